"""Peak memory of long runs: does anything grow with the number of requests?

    python benchmarks/memory.py [--sizes 10000,1000000,10000000] [--tracemalloc] [--scenario NAME]

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
RATE = 2000.0


def _pitfall(requests: int, kind: str) -> dict:
    """Scenarios where state could pile up: a pool per request, FIFO waiters that time out
    while leaked rows hold conns, a database short of cores (queued queries time out)."""
    base = {"duration": f"{requests / RATE}s", "warmup": "0", "seed": 1,
            "database": {"handshake": "1ms", "max_connections": 100,
                         "query": {"dist": "exponential", "mean": "10ms"}},
            "fleet": {"instances": 1, "pool": {"max_open": 25, "max_idle": 25}},
            "workload": {"arrivals": [{"kind": "poisson", "rate": f"{RATE:g}/s"}],
                         "request": {"queries": 1, "transaction": False, "think": "0", "timeout": "1s"}}}
    if kind == "pool-per-request":
        base["pitfalls"] = {"pool_per_request": True}
        base["fleet"]["pool"] = {"max_open": 0, "max_idle": 2}
        base["database"]["max_connections"] = 1000
    elif kind == "fifo-leak":
        base["fleet"]["pool"]["waiter_order"] = "fifo"
        base["pitfalls"] = {"leaked_rows": 0.05}
    elif kind == "db-overload":
        base["database"]["cores"] = 4
        base["database"]["query"] = {"dist": "exponential", "mean": "3ms"}
    return base


SCENARIOS = ("mmc", "pool-per-request", "fifo-leak", "db-overload")


def child(requests: int, trace: bool, kind: str) -> None:
    import resource
    import tracemalloc

    from _common import mmc_scenario

    import simpool

    scenario = mmc_scenario(requests) if kind == "mmc" else simpool.load_scenario(_pitfall(requests, kind))
    if trace:
        tracemalloc.start()
    start = time.process_time()
    result = simpool.simulate(scenario).replications[0]
    out = {"requests": result.metrics["requests"]["total"]}
    seconds = time.process_time() - start
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"requests": out["requests"], "rss_mb": rss, "traced_mb": traced, "cpu_s": seconds}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000,10000000")
    parser.add_argument("--tracemalloc", action="store_true", help="also report tracemalloc's peak (slow)")
    parser.add_argument("--scenario", choices=SCENARIOS, default="mmc",
                        help="mmc (the M/M/25 benchmark) or a pitfall where state could pile up")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.tracemalloc, args.scenario)
        return 0

    from _common import machine

    what = "simpool M/M/25 at rho 0.8" if args.scenario == "mmc" else f"simpool, {args.scenario} scenario"
    print(f"# {what}, one fresh process per size")
    print(f"# {machine()}")
    header = f"{'requests':>11} {'peak RSS MB':>12} {'CPU s':>8}"
    print(header + (f" {'tracemalloc peak MB':>20}" if args.tracemalloc else ""))
    worst = 0.0
    for n in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(n), "--scenario", args.scenario]
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
