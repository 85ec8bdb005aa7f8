"""The constants of simpool/budget.py, measured: events per request and seconds per event
over the bundled scenarios, seconds per time-series sample, and how far the estimate is
from what each run really does (as ratios, measured in this process).

    python benchmarks/budget.py [--duration 60s] [--only NAME ...]

For each bundled scenario (cut to ``--duration``): requests and events scheduled
(``Environment._eid``) against the estimate, the wall-clock time against the estimate,
and the time per event. Then the cost of sampling: a fleet of 100 instances with almost
no traffic, sampled every 10 ms. The module's constants should sit inside the ranges
printed here; the ratios est/real say how rough the estimate is.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time

import simpool
from simpool import budget
from simpool.catalog import bundled_scenarios
from simpool.engine import Simulation


def events(simulation: Simulation) -> int:
    return int(re.search(r"\d+", repr(simulation.env._eid)).group())  # itertools.count(n)


def timed(scenario: simpool.Scenario) -> tuple[Simulation, float]:
    started = time.process_time()  # CPU time: less of the other sessions' noise (as the others do)
    simulation = Simulation(scenario, scenario.seed)
    simulation.run()
    simulation.result()
    return simulation, time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="60s")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    print(f"# load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'scenario':22s} {'requests':>9s} {'events':>10s} {'ev/req':>6s} {'est/real':>8s} "
          f"{'µs/event':>8s} {'time est/real':>13s}")
    per_event, per_request_ratio = [], []
    for item in bundled_scenarios():
        if args.only and item.name not in args.only:
            continue
        scenario = simpool.load_scenario(item.path, overrides={"duration": args.duration, "warmup": "0"})
        simulation, seconds = timed(scenario)
        work = budget.run_work(scenario)
        n, e = simulation.fleet.arrivals, events(simulation)
        cost = seconds / e / (budget.POOL_PER_REQUEST_COST if scenario.pitfalls.pool_per_request else 1)
        per_event.append(cost)
        per_request_ratio.append(work.events / e)
        print(f"{item.name:22s} {n:9,d} {e:10,d} {e / max(n, 1):6.2f} {work.events / e:8.2f} "
              f"{cost * 1e6:8.2f} {work.seconds / seconds:13.2f}")
    print(f"events est/real: {min(per_request_ratio):.2f}..{max(per_request_ratio):.2f}")
    print(f"seconds per event: median {statistics.median(per_event) * 1e6:.2f} µs "
          f"(module: {budget.SECONDS_PER_EVENT * 1e6:.2f} µs)")

    idle = simpool.load_scenario({"duration": args.duration, "warmup": "0", "sample_every": "10ms",
                                  "fleet": {"instances": 100},
                                  "workload": {"arrivals": [{"kind": "poisson", "rate": "0.01/s"}]}})
    simulation, seconds = timed(idle)
    samples = len(simulation.recorder._samples) * 101
    print(f"seconds per instance sample: {seconds / samples * 1e6:.2f} µs "
          f"(module: {budget.SECONDS_PER_SAMPLE * 1e6:.2f} µs)")
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
