"""What ``simpool recommend`` costs, in default-run equivalents of CPU time.

    python benchmarks/recommend.py [--repeats 1] [--duration D] [--jobs 1]

The unit is one default run (``simpool run --no-plots`` without the what-ifs: ``simulate()``
of the built-in default scenario), timed with the process's CPU time in this process,
alternating with the recommendation on the same scenario with
``--slo 'p99_wait<100ms' --slo 'error_rate<=0'`` (issue #11's target: at most 15, and
MaxOpen 25–27). With ``--jobs`` above 1 the workers' CPU time is counted too (it is in the
recommendation's ``cpu_s``). ``--duration`` shortens both (for a quick check only: the
answer is then about another story).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time

from _common import machine

import simpool
from simpool.analysis.recommend import recommend

TERMS = ("p99_wait<100ms", "error_rate<=0")
TARGET = 15.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--duration", default=None, help="a Go duration for both runs (default: the scenario's)")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    overrides = {"duration": args.duration} if args.duration else None
    scenario = simpool.load_scenario(None, overrides=overrides)
    print(f"# recommend on the default scenario, --slo {' --slo '.join(TERMS)}; jobs {args.jobs}")
    print(f"# {machine()}")
    units, costs, ratios = [], [], []
    for _ in range(args.repeats):
        gc.collect()
        start = time.process_time()
        simpool.simulate(scenario)
        unit = time.process_time() - start
        gc.collect()
        rec = recommend(scenario, TERMS, jobs=args.jobs)
        units.append(unit)
        costs.append(rec.cpu_s)
        ratios.append(rec.cpu_s / unit)
        print(f"default run {unit:.2f} s CPU; recommend {rec.cpu_s:.2f} s CPU = {rec.cpu_s / unit:.1f} default runs "
              f"({rec.points} points, {rec.replications} replications); answer MaxOpen {rec.max_open}, "
              f"MaxIdle {rec.max_idle}")
    ratio = statistics.median(ratios)
    print(f"median: {ratio:.1f} default-run equivalents (target <= {TARGET:g}: "
          f"{'met' if ratio <= TARGET else 'not met'}); default run {statistics.median(units):.2f} s, "
          f"recommend {statistics.median(costs):.2f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
