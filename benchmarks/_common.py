"""Shared pieces of the benchmarks: the plain M/M/c scenario, a bare callback-style SimPy
M/M/c fed the very same arrivals and query times, a hand-written heapq loop for context,
and timing helpers (medians of alternating runs, ratios within one process)."""

from __future__ import annotations

import gc
import heapq
import itertools
import platform
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import simpy

import simpool
from simpool.engine import SOURCES

SERVERS = 25
RATE = 2000.0
MEAN_SERVICE = 0.010
SEED = 1
CHUNK = 4096
"""simpool's chunk of random draws (simpool.model.workload.CHUNK, distributions.CHUNK)."""


def mmc_scenario(requests: int, *, servers: int = SERVERS, rate: float = RATE, seed: int = SEED,
                 timeout: str = "0", **pool: Any) -> simpool.Scenario:
    """simpool's plain M/M/c: one instance, MaxOpen = MaxIdle = c, no handshake cost,
    unlimited cores, Poisson arrivals, exponential 10 ms queries, no deadline (``timeout``:
    the request's context deadline, a Go duration; simpool's default is 2s). Every Go
    rule and the recorder stay on; ``requests`` sets the duration (requests / rate)."""
    return simpool.load_scenario({
        "duration": f"{requests / rate}s", "warmup": "0", "seed": seed,
        "database": {"handshake": "0", "cores": 0, "max_connections": 1000,
                     "query": {"dist": "exponential", "mean": f"{MEAN_SERVICE * 1e3:g}ms"}},
        "fleet": {"instances": 1, "pool": {"max_open": servers, "max_idle": servers, **pool}},
        "workload": {"arrivals": [{"kind": "poisson", "rate": f"{rate:g}/s"}],
                     "request": {"queries": 1, "transaction": False, "think": "0", "timeout": timeout}},
    })


def _stream(seed: int, replication: int, source: int) -> np.random.Generator:
    """simpool's stream for one source (engine.Streams: SeedSequence spawn keys)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, source, 0)))


def same_traffic(scenario: simpool.Scenario, replication: int = 0) -> tuple[Iterator[float], Iterator[float]]:
    """The arrival times and query times simpool's replication sees, regenerated here
    from the same ``SeedSequence`` streams in the same chunks (simpool's Poisson process:
    cumulated exponential gaps, 4096 at a time; query times drawn 4096 at a time, one per
    request in arrival order, as each ``Request`` draws them at its arrival). Written out here rather than
    borrowed from simpool, so that the baseline's cost does not change with simpool's
    code; ``mmc.py`` checks that both models saw the same number of requests and agree on
    the waits."""
    (spec,) = scenario.workload.arrivals
    query = scenario.database.query
    if spec.kind != "poisson" or spec.start != 0 or spec.end is not None or query.dist != "exponential":
        raise ValueError("the bare models know only simpool's plain M/M/c scenario")
    arrivals = _stream(scenario.seed, replication, SOURCES["arrivals"])
    service = _stream(scenario.seed, replication, SOURCES["service"])

    def arrival_chunks() -> Iterator[list[float]]:
        t = 0.0
        while True:
            times = t + np.cumsum(arrivals.exponential(1.0 / spec.rate, CHUNK))
            inside = times[times < scenario.duration]
            yield inside.tolist()
            if len(inside) < CHUNK:
                return
            t = float(times[-1])

    service_chunks = iter(lambda: service.exponential(query.mean, CHUNK).tolist(), None)
    return itertools.chain.from_iterable(arrival_chunks()), itertools.chain.from_iterable(service_chunks)


class BareMMc:
    """A minimal callback-style SimPy M/M/c: ``Timeout`` events with callbacks, a free
    server count and a FIFO deque; waits summed in plain counters."""

    def __init__(self, env: simpy.Environment, servers: int, times: Iterator[float], services: Iterator[float]):
        self.env = env
        self.free = servers
        self.queue: deque[tuple[float, float]] = deque()
        self.times = times
        self.services = services
        self.n = 0
        self.waited = 0
        self.total_wait = 0.0
        self._next_arrival()

    def _next_arrival(self) -> None:
        t = next(self.times, None)
        if t is not None:
            self.env.timeout(t - self.env.now).callbacks.append(self._arrive)

    def _arrive(self, _event: Any) -> None:
        self._next_arrival()
        now = self.env.now
        self.n += 1
        if self.free:
            self.free -= 1
            self.env.timeout(next(self.services)).callbacks.append(self._depart)
        else:
            self.queue.append((now, next(self.services)))

    def _depart(self, _event: Any) -> None:
        if self.queue:
            arrived, service = self.queue.popleft()
            wait = self.env.now - arrived
            self.total_wait += wait
            self.waited += wait > 0
            self.env.timeout(service).callbacks.append(self._depart)
        else:
            self.free += 1


def run_bare(scenario: simpool.Scenario) -> dict[str, float]:
    """The bare SimPy model on simpool's traffic, run to the end of its arrivals."""
    times, services = same_traffic(scenario)
    env = simpy.Environment()
    model = BareMMc(env, scenario.fleet.pool.max_open, times, services)
    env.run()
    return {"requests": model.n, "mean_wait": model.total_wait / model.n, "p_wait": model.waited / model.n}


def run_heapq(scenario: simpool.Scenario) -> dict[str, float]:
    """The same FIFO M/M/c as a hand-written heapq event loop (no SimPy), for context."""
    times, services = same_traffic(scenario)
    service = services.__next__
    c = scenario.fleet.pool.max_open
    heap: list[tuple[float, int, int]] = []
    seq = itertools.count()
    queue: deque[tuple[float, float]] = deque()
    free, n, waited, total_wait = c, 0, 0, 0.0
    t = next(times, None)
    if t is not None:
        heapq.heappush(heap, (t, next(seq), 0))
    while heap:
        now, _, kind = heapq.heappop(heap)
        if kind == 0:  # arrival
            t = next(times, None)
            if t is not None:
                heapq.heappush(heap, (t, next(seq), 0))
            n += 1
            if free:
                free -= 1
                heapq.heappush(heap, (now + service(), next(seq), 1))
            else:
                queue.append((now, service()))
        elif queue:  # departure with someone waiting
            arrived, s = queue.popleft()
            wait = now - arrived
            total_wait += wait
            waited += wait > 0
            heapq.heappush(heap, (now + s, next(seq), 1))
        else:
            free += 1
    return {"requests": n, "mean_wait": total_wait / n, "p_wait": waited / n}


def run_simpool(scenario: simpool.Scenario) -> dict[str, float]:
    """simpool end to end (``simulate``: build, run, drain, result)."""
    metrics = simpool.simulate(scenario).replications[0]
    wait = metrics.wait
    return {"requests": metrics.metrics["requests"]["total"], "mean_wait": wait.mean(),
            "p_wait": wait.fraction_positive()}


def timed(fn: Callable[[], dict[str, float]]) -> tuple[float, dict[str, float]]:
    """CPU seconds of this process for one call, starting from a collected heap (the
    previous run's garbage is not charged to this one).

    CPU time rather than wall-clock: the machine is shared, and a run is one thread, so
    its CPU time is what a quiet machine's wall-clock would show, with less noise.
    """
    gc.collect()
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def alternate(runs: dict[str, Callable[[], dict[str, float]]], repeats: int) -> dict[str, list[tuple[float, dict]]]:
    """Run each callable ``repeats`` times, interleaved (a, b, c, a, b, c, …), so that
    load from other processes on the machine hits every contender alike."""
    out: dict[str, list[tuple[float, dict]]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            out[name].append(timed(fn))
    return out


def median_rate(samples: list[tuple[float, dict]]) -> float:
    return statistics.median(out["requests"] / seconds for seconds, out in samples)


def median_ratio(a: list[tuple[float, dict]], b: list[tuple[float, dict]]) -> float:
    """Median over rounds of rate(a) / rate(b), each round's pair run back to back."""
    return statistics.median((x["requests"] / sa) / (y["requests"] / sb) for (sa, x), (sb, y) in zip(a, b, strict=True))


def machine() -> str:
    import os

    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
            f"simpy {simpy.__version__}, {time.strftime('%Y-%m-%d')}, load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
