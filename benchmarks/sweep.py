"""A sweep's speed-up from one process to two; with ``--headline``, what adaptive
replications save on the headline sweep.

    python benchmarks/sweep.py [--points 16] [--replications 2] [--requests 200000] [--repeats 1]
    python benchmarks/sweep.py --headline [--range 10..50] [--duration D] [--min-replications 2]

``--headline``: ``simpool sweep --max-open 10..50`` of the default scenario, the full
5-replication grid against adaptive replications (``--min-replications 2``), both in this
process, in default-run equivalents of CPU time (one ``simulate()`` of the default
scenario, timed in the same call; issue #11's target for the adaptive sweep: at most 30,
with the same knee, i.e. best point, and first refusal as the full grid).

A grid over ``fleet.pool.max_open`` (21, 22, …) of simpool's M/M/c benchmark scenario,
each point with a few replications, run with 1 and then 2 processes, alternating, wall
clock (parallel speed-up can only be seen on a clock; other processes on the machine
take their share of it, so the load average is printed).

It uses ``simpool.sweep(…, jobs=N)`` when this checkout has it. Otherwise it does what
the sweep does: ``run_replication`` tasks on one process, or on a spawned
``ProcessPoolExecutor`` with 2 workers (started inside the timing, as a sweep pays it).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from _common import machine, mmc_scenario

import simpool
from simpool.engine import run_replication

TARGET = 1.8


def _task(args: tuple[int, int, int]) -> tuple[float, int, float]:
    """One replication; returns its mean wait, the worker's pid and the CPU seconds it took."""
    max_open, requests, replication = args
    start = time.process_time()
    scenario = mmc_scenario(requests, servers=max_open)
    run = run_replication(scenario, scenario.seed, replication)
    return run.metrics["wait_ms"]["mean"], os.getpid(), time.process_time() - start


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def by_pool(tasks: list[tuple[int, int, int]], jobs: int) -> tuple[list[float], float | None]:
    """The tasks' mean waits, and for 2 processes an estimate of the wall-clock time on an
    idle machine: the busiest worker's CPU plus each worker's share of the start-up CPU
    (spawning and importing), from CPU accounting, which other processes do not inflate
    (much)."""
    if jobs == 1:
        return [_task(t)[0] for t in tasks], None
    before = _children_cpu()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        out = list(pool.map(_task, tasks))
    total = _children_cpu() - before
    busy: dict[int, float] = {}
    for _, pid, cpu in out:
        busy[pid] = busy.get(pid, 0.0) + cpu
    startup = max(0.0, total - sum(busy.values())) / jobs
    return [wait for wait, _, _ in out], max(busy.values()) + startup


def by_sweep(points: int, replications: int, requests: int, jobs: int) -> list[float]:
    scenario = mmc_scenario(requests)
    axes = {"fleet.pool.max_open": f"21..{20 + points}"}
    result = simpool.sweep(scenario, axes, replications=replications, jobs=jobs)
    return [row.get("wait_ms.mean") for row in result.rows]


def headline(axis: str, duration: str | None, min_replications: int) -> int:
    from simpool.analysis.sweep_findings import find

    overrides = {"duration": duration} if duration else None
    scenario = simpool.load_scenario(None, overrides=overrides)
    print(f"# headline sweep: default scenario, fleet.pool.max_open {axis}; full 5-replication grid vs "
          f"--min-replications {min_replications}")
    print(f"# {machine()}")
    start = time.process_time()
    simpool.simulate(scenario)
    unit = time.process_time() - start
    found = {}
    for label, low in (("full grid", None), ("adaptive", min_replications)):
        start = time.process_time()
        result = simpool.sweep(scenario, {"fleet.pool.max_open": axis}, replications=5, jobs=1,
                               min_replications=low)
        cpu = time.process_time() - start
        findings = find(result.rows)

        def at(i: int | None) -> object:
            return None if i is None else result.rows[i]["fleet.pool.max_open"]

        runs = sum(row.get("replications", 5) for row in result.rows)
        found[label] = (at(findings.best), at(findings.first_refusal))
        print(f"{label}: {runs} replications, {cpu:.1f} s CPU = {cpu / unit:.1f} default runs; best point (knee) "
              f"MaxOpen {found[label][0]}, first refusal MaxOpen {found[label][1]}")
    same = found["full grid"] == found["adaptive"]
    print(f"default run {unit:.2f} s CPU; check: same knee and first refusal: {'ok' if same else 'FAILED'}")
    return 0 if same else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--headline", action="store_true")
    parser.add_argument("--range", default="10..50")
    parser.add_argument("--duration", default=None)
    parser.add_argument("--min-replications", type=int, default=2)
    parser.add_argument("--points", type=int, default=16)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    if args.headline:
        return headline(args.range, args.duration, args.min_replications)

    has_sweep = hasattr(simpool, "sweep")
    tasks = [(20 + p, args.requests, r) for p in range(1, args.points + 1) for r in range(args.replications)]
    how = "simpool.sweep(jobs=N)" if has_sweep else "run_replication on a spawned ProcessPoolExecutor (no simpool.sweep here)"
    print(f"# sweep: {args.points} points x {args.replications} replications x {args.requests:,} requests; {how}")
    print(f"# {machine()}")
    times: dict[int, list[float]] = {1: [], 2: []}
    cpu_one: list[float] = []
    idle_two: list[float] = []
    results: dict[int, list[float]] = {}
    for _ in range(args.repeats):
        for jobs in (1, 2):
            start, cpu = time.perf_counter(), time.process_time()
            if has_sweep:
                results[jobs] = by_sweep(args.points, args.replications, args.requests, jobs)
            else:
                results[jobs], estimate = by_pool(tasks, jobs)
                if estimate is not None:
                    idle_two.append(estimate)
            times[jobs].append(time.perf_counter() - start)
            if jobs == 1:
                cpu_one.append(time.process_time() - cpu)
    same = results[1] == results[2]
    speedup = statistics.median(a / b for a, b in zip(times[1], times[2], strict=True))
    for jobs in (1, 2):
        print(f"{jobs} process{'es' if jobs > 1 else '  '}: median {statistics.median(times[jobs]):6.2f} s wall "
              f"(runs: {', '.join(f'{t:.2f}' for t in times[jobs])})")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"speed-up 1 -> 2 processes, wall clock: {speedup:.2f}x (target >= {TARGET}x: "
          f"{'ok' if speedup >= TARGET else 'not met'})")
    if idle_two:
        estimate = statistics.median(cpu_one) / statistics.median(idle_two)
        print(f"speed-up 1 -> 2 processes, from CPU accounting (1 process's CPU / the busiest worker's CPU "
              f"+ its start-up): {estimate:.2f}x, what an idle 2-core machine would show")
    print(f"check: same numbers with 1 and 2 processes: {'ok' if same else 'FAILED'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
