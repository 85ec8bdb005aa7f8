"""Where simpool's time goes on the M/M/c benchmark, by sampling (py-spy), not by tracing.

    pip install py-spy
    py-spy record -r 2000 -f raw -o /tmp/spy.txt -- python benchmarks/hotspots.py
    python benchmarks/hotspots.py --summarize /tmp/spy.txt [--top 25]

Without ``--summarize`` it runs simpool's M/M/25 benchmark scenario ``--runs`` times
(something steady for py-spy to sample). With it, it reads py-spy's raw (collapsed stack)
output and prints each function's and each line's share of the samples taken inside
``simpool.simulate``, by self time (the frame on top of the stack). Sampling leaves the
code's speed alone, unlike ``cProfile``, whose per-call cost inflates small functions.
"""

from __future__ import annotations

import argparse
import collections
import sys

from _common import mmc_scenario, run_simpool


def summarize(path: str, top: int) -> None:
    by_function: collections.Counter[str] = collections.Counter()
    by_line: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            frames = stack.split(";")
            if not any(frame.startswith("simulate ") for frame in frames):
                continue  # imports, set-up: not the simulation
            n = int(count)
            total += n
            leaf = frames[-1]  # "function (path:line)"
            name, _, where = leaf.partition(" (")
            by_function[f"{name} ({where.rsplit(':', 1)[0]})"] += n
            by_line[leaf] += n
    if not total:
        sys.exit(f"{path}: no samples inside simpool.simulate")
    print(f"{total:,} samples inside simpool.simulate")
    for title, counter in (("self time by function", by_function), ("self time by line", by_line)):
        print(f"\n{title}:")
        for name, n in counter.most_common(top):
            print(f"  {100 * n / total:5.1f}%  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summarize", metavar="RAW", help="py-spy raw output to summarize")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--timeout", default="0", help="the request timeout (simpool's default: 2s)")
    args = parser.parse_args()
    if args.summarize:
        summarize(args.summarize, args.top)
        return 0
    scenario = mmc_scenario(args.requests, timeout=args.timeout)
    for _ in range(args.runs):
        run_simpool(scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())
