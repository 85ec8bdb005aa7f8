"""Peak memory of long runs: does anything grow with the number of requests?

    python benchmarks/memory.py [--sizes 10000,1000000,10000000] [--tracemalloc]

Each size runs in a fresh subprocess (simpool's M/M/25 benchmark scenario, recorder on,
no per-request records) and reports the process's peak resident set size
(``resource.getrusage(...).ru_maxrss``), which includes the interpreter and numpy,
simpy and pydantic. With ``--tracemalloc`` each child also reports the peak of Python
allocations during the run alone (tracemalloc makes the run several times slower).
The target: a 10-million-request run stays under 300 MB peak.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

LIMIT_MB = 300.0


def child(requests: int, trace: bool) -> None:
    import resource
    import tracemalloc

    from _common import mmc_scenario, run_simpool

    scenario = mmc_scenario(requests)
    if trace:
        tracemalloc.start()
    start = time.process_time()
    out = run_simpool(scenario)
    seconds = time.process_time() - start
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"requests": out["requests"], "rss_mb": rss, "traced_mb": traced, "cpu_s": seconds}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000,10000000")
    parser.add_argument("--tracemalloc", action="store_true", help="also report tracemalloc's peak (slow)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.tracemalloc)
        return 0

    from _common import machine

    print("# simpool M/M/25 at rho 0.8, one fresh process per size")
    print(f"# {machine()}")
    header = f"{'requests':>11} {'peak RSS MB':>12} {'CPU s':>8}"
    print(header + (f" {'tracemalloc peak MB':>20}" if args.tracemalloc else ""))
    worst = 0.0
    for n in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(n)]
        if args.tracemalloc:
            command.append("--tracemalloc")
        out = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        worst = max(worst, out["rss_mb"])
        line = f"{out['requests']:>11,} {out['rss_mb']:>12.1f} {out['cpu_s']:>8.1f}"
        if args.tracemalloc:
            line += f" {out['traced_mb']:>20.2f}"
        print(line)
    ok = worst < LIMIT_MB
    print(f"largest peak RSS {worst:.1f} MB (target < {LIMIT_MB:.0f} MB: {'ok' if ok else 'FAILED'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
