"""What a run or a sweep will cost, estimated from the scenario before anything runs.

Work is counted as the simulation spends it: events (each request schedules about two per
query: its arrival or think time and each query's completion, plus dials and timers),
time-series samples (one per instance and step), and the memory of what a run keeps
(samples, ``--requests`` records, a sweep's rows). The constants below were measured with
``benchmarks/budget.py`` on this project's 2-core machine (see benchmarks/RESULTS.txt);
they are rough on purpose: the budget is there to catch ``duration: 1000h`` or a 10^6-point
grid, not to schedule work. A command over budget is refused, with the estimate, unless
run with ``--yes``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .exceptions import ScenarioError
from .scenario import (
    DiurnalArrivals,
    OnOffArrivals,
    PoissonArrivals,
    Scenario,
    SpikeArrivals,
    TraceArrivals,
)

SECONDS_BUDGET = 600.0
"""Estimated wall-clock time above which a command needs ``--yes`` (10 minutes)."""
MEMORY_SHARE = 0.5
"""Share of the machine's memory above which a command needs ``--yes``."""

EVENTS_PER_QUERY = 2.0
EVENTS_PER_REQUEST = 0.2
"""Events per request: about 2 per query (measured 2.0 for one query, 4.0–4.8 for two)."""
SECONDS_PER_EVENT = 2.5e-6
"""Wall-clock seconds per event: the median over the bundled scenarios measured by
benchmarks/budget.py on the shared 2-core machine at a load average of 4–5 (2.46 µs wall,
1.99 µs of CPU; 1.5–3.3 µs of CPU scenario by scenario)."""
POOL_PER_REQUEST_COST = 3.0
"""``sql.Open`` per request costs this many times the median time per event (measured 2.4–3.1×)."""
SECONDS_PER_SAMPLE = 1e-6
"""One instance's gauges at one time-series step, kept and turned into the result
(measured 0.75 µs on 100 instances)."""
BYTES_PER_SAMPLE = 120
"""One instance's gauges kept at one step (measured 115–230 bytes)."""
WHAT_IF_RUNS = 4
"""An allowance for the what-if runs that prove a run's advice, per replication: the most
any bundled scenario needs (``simpool run NAME``'s summary.json, ``diagnosis.what_if_runs``:
0 to 4); each distinct change is one more run of the scenario."""
BYTES_PER_RECORD = 270
"""One request's record with ``--requests`` (measured)."""
BYTES_PER_ROW = 4_000
"""One finished sweep point's row (measured 3.5 kB)."""
BYTES_PER_POINT = 9_000
"""One validated sweep point kept in memory (grids of up to 10,000 points, measured 8.9 kB)."""


@dataclass(frozen=True)
class Work:
    """An estimate: totals over every run, and the wall-clock time and peak memory."""

    runs: int
    requests: float
    events: float
    samples: float
    seconds: float
    memory: float

    def over_budget(self) -> bool:
        return self.seconds > SECONDS_BUDGET or self.memory > MEMORY_SHARE * physical_memory()

    def describe(self) -> str:
        """The estimate in words, e.g. ``about 2 h 10 min and 1.2 GB (3.1e9 events)``."""
        return (f"about {_duration(self.seconds)} and {_size(self.memory)} of memory "
                f"({_count(self.requests)} requests, {_count(self.events)} events, {_count(self.samples)} samples"
                f"{f' over {self.runs:,} runs' if self.runs > 1 else ''})")


def run_work(scenario: Scenario, replications: int = 1, *, record_requests: bool = False,
             what_ifs: bool = False) -> Work:
    """The work of ``replications`` runs of ``scenario``, one after another, and with
    ``what_ifs`` the allowance for the what-if runs of its diagnosis (each as the run, run
    after it; their results are not kept, so memory is the run's)."""
    requests, events, samples, seconds, memory = _one_run(scenario, record_requests=record_requests)
    runs = replications * (1 + (WHAT_IF_RUNS if what_ifs else 0))
    return Work(runs=runs, requests=requests * runs, events=events * runs, samples=samples * runs,
                seconds=seconds * runs, memory=memory * replications)


def sweep_work(sample: Sequence[Scenario], points: int, replications: int, workers: int) -> Work:
    """The work of a sweep of ``points`` points, from a sample of them (every point, or
    spot checks), run on ``workers`` processes at once."""
    runs = [_one_run(scenario, record_requests=False) for scenario in sample]
    scale = points * replications / len(runs)
    requests, events, samples, seconds = (sum(run[i] for run in runs) * scale for i in range(4))
    memory = (max(run[4] for run in runs) * workers + points * BYTES_PER_ROW
              + min(points, len(sample)) * BYTES_PER_POINT)
    return Work(runs=points * replications, requests=requests, events=events, samples=samples,
                seconds=seconds / max(1, workers), memory=memory)


def check(work: Work, *, yes: bool, what: str) -> None:
    """Refuse work over budget unless ``yes``.

    Raises:
        ScenarioError: one line with the estimate and how to go ahead.
    """
    if work.over_budget() and not yes:
        raise ScenarioError(f"this {what} would take {work.describe()}, more than the budget of "
                            f"{_duration(SECONDS_BUDGET)} or half the memory; add --yes to run it anyway")


def expected_requests(scenario: Scenario) -> float:
    """Arrivals expected before ``duration`` (a trace's are counted), every service's."""
    return sum(_expected_arrivals(view.workload, scenario.duration) for view in scenario.service_list())


def _expected_arrivals(workload: Any, end: float) -> float:
    """One workload's arrivals expected before ``end``."""
    total = 0.0
    for spec in workload.arrivals:
        if isinstance(spec, PoissonArrivals):
            total += spec.rate * max(0.0, min(end, spec.end if spec.end is not None else end) - spec.start)
        elif isinstance(spec, SpikeArrivals):
            total += spec.rate * max(0.0, min(end, spec.at + spec.for_) - spec.at)
        elif isinstance(spec, OnOffArrivals):
            cycles, rest = divmod(max(0.0, end - spec.start), spec.on + spec.off)
            total += spec.rate * (cycles * spec.on + min(rest, spec.on))
        elif isinstance(spec, DiurnalArrivals):
            total += spec.rate * end
        elif isinstance(spec, TraceArrivals):
            total += spec.trace.count(end)
    return total


def physical_memory() -> float:
    """Bytes of memory in this machine (4 GiB where the OS will not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 4.0 * 2**30


def _one_run(scenario: Scenario, *, record_requests: bool) -> tuple[float, float, float, float, float]:
    """(requests, events, samples, seconds, bytes) of one replication, over every service."""
    requests = events = 0.0
    instances = 0
    database, network = scenario.database, scenario.network
    watch = min((t for t in (database.idle_timeout or 0.0, network.idle_drop) if t > 0), default=0.0)
    for view in scenario.service_list():
        arrivals = _expected_arrivals(view.workload, scenario.duration)
        request = view.workload.request
        service_events = arrivals * (EVENTS_PER_REQUEST + EVENTS_PER_QUERY * request.queries)
        if watch:
            # A busy session's idle timer re-arms every `watch` while it holds a connection.
            held = request.queries * (database.query.mean + request.think.mean)
            service_events *= 1 + held / watch
        fleet = view.fleet
        if fleet.autoscale is not None:
            service_events += scenario.duration / fleet.autoscale.interval
        instances += fleet.autoscale.max if fleet.autoscale is not None else fleet.instances
        if fleet.deploy is not None:
            instances += fleet.instances
        requests += arrivals
        events += service_events
    cost = SECONDS_PER_EVENT * (POOL_PER_REQUEST_COST if scenario.pitfalls.pool_per_request else 1.0)
    samples = (math.floor(scenario.duration / scenario.step) + 1) * (instances + 1)
    seconds = events * cost + samples * SECONDS_PER_SAMPLE
    memory = samples * BYTES_PER_SAMPLE + (requests * BYTES_PER_RECORD if record_requests else 0.0)
    return requests, events, samples, seconds, memory


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        hours, minutes = divmod(round(seconds / 60), 60)
        return f"{hours} h {minutes} min"
    return f"{seconds / 86400:,.0f} days"


def _size(size: float) -> str:
    for unit, factor in (("GB", 1e9), ("MB", 1e6)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size / 1e3:.0f} kB"


def _count(n: float) -> str:
    return f"{n:,.0f}" if n < 1e6 else f"{n:.1e}"
