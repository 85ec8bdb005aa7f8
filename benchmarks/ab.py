"""A/B: a committed simpool against the working tree's, in one process.

    python benchmarks/ab.py [REV] [--requests 200000] [--repeats 15] [--timeout 2s]
    python benchmarks/ab.py [REV] --scenario tuned [--set fleet.pool.max_open=25] [--repeats 15]

Exports ``simpool`` at REV (default HEAD) as the package ``simpool_a`` and copies the
working tree's as ``simpool_b`` into a temporary directory, imports both, and runs the
M/M/25 benchmark scenario on each, interleaved, CPU time. Prints the median of the
per-round speed-ups B/A: above 1 means the working tree is faster. On this shared
machine, identical code reads 0.99–1.03, so differences under ~3% are noise. ``--timeout``
gives every request a context deadline (the default story's 2 s), so that waiters carry one.
``--scenario`` times a bundled scenario (or a file) instead, with ``--set`` overrides.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def scenario(requests: int, rate: float = 2000.0, timeout: str = "0") -> dict:
    return {"duration": f"{requests / rate}s", "warmup": "0", "seed": 1,
            "database": {"handshake": "0", "cores": 0, "max_connections": 1000,
                         "query": {"dist": "exponential", "mean": "10ms"}},
            "fleet": {"instances": 1, "pool": {"max_open": 25, "max_idle": 25}},
            "workload": {"arrivals": [{"kind": "poisson", "rate": f"{rate:g}/s"}],
                         "request": {"queries": 1, "transaction": False, "think": "0", "timeout": timeout}}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", nargs="?", default="HEAD")
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--timeout", default="0", help="request deadline, a Go duration (default 0: none)")
    parser.add_argument("--scenario", help="a bundled scenario's name or a file, instead of the M/M/25")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override (with --scenario)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.rev, "simpool"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        (Path(tmp) / "simpool").rename(Path(tmp) / "simpool_a")
        shutil.copytree(ROOT / "simpool", Path(tmp) / "simpool_b", ignore=shutil.ignore_patterns("__pycache__"))
        sys.path.insert(0, tmp)
        packages = {name: importlib.import_module(f"simpool_{name}") for name in "ab"}
        if args.scenario:
            bundled = ROOT / "scenarios" / f"{args.scenario}.yaml"
            source = bundled if bundled.is_file() else Path(args.scenario)
            overrides = {path: yaml.safe_load(value) for path, _, value in (item.partition("=") for item in args.set)}
            scenarios = {name: package.load_scenario(source, overrides=overrides or None)
                         for name, package in packages.items()}
        else:
            scenarios = {name: package.load_scenario(scenario(args.requests, timeout=args.timeout))
                         for name, package in packages.items()}
        seconds: dict[str, list[float]] = {name: [] for name in packages}
        for package in packages.values():
            package.simulate(package.load_scenario(scenario(5_000)))
        for _ in range(args.repeats):
            for name, package in packages.items():
                gc.collect()
                start = time.process_time()
                package.simulate(scenarios[name])
                seconds[name].append(time.process_time() - start)
    speedup = statistics.median(a / b for a, b in zip(seconds["a"], seconds["b"], strict=True))
    print(f"A = {args.rev}: median {statistics.median(seconds['a']):.3f} s;  B = working tree: median "
          f"{statistics.median(seconds['b']):.3f} s;  speed-up B/A {speedup:.3f} ({args.repeats} rounds, CPU time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
