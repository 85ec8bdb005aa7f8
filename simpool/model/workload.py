"""Traffic: arrival processes that add up (superposition), each on its own stream.

Each process yields arrival times in chunks (numpy), and the workload keeps one pending
event per process, so the schedule holds a handful of arrival events, not millions.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from heapq import heappush
from typing import Any

import numpy as np
from simpy.events import NORMAL

from ..scenario import (
    DiurnalArrivals,
    OnOffArrivals,
    PoissonArrivals,
    SpikeArrivals,
    TraceArrivals,
    TraceRow,
)
from .events import Call, push

CHUNK = 4096


def _poisson(rng: np.random.Generator, rate: float, start: float, end: float) -> Iterator[np.ndarray]:
    """Homogeneous Poisson arrival times in [start, end)."""
    if rate <= 0 or end <= start:
        return
    t = start
    while True:
        times = t + np.cumsum(rng.exponential(1.0 / rate, CHUNK))
        inside = times[times < end]
        if len(inside):
            yield inside
        if len(inside) < CHUNK:
            return
        t = float(times[-1])


def _onoff(rng: np.random.Generator, spec: OnOffArrivals, end: float) -> Iterator[np.ndarray]:
    """Poisson on an "on-time" axis, mapped onto the on windows of each cycle."""
    cycle = spec.on + spec.off
    for chunk in _poisson(rng, spec.rate, 0.0, np.inf):
        k = np.floor(chunk / spec.on)
        times = spec.start + k * cycle + (chunk - k * spec.on)
        inside = times[times < end]
        if len(inside):
            yield inside
        if len(inside) < len(times):
            return


def _diurnal(rng: np.random.Generator, spec: DiurnalArrivals, end: float) -> Iterator[np.ndarray]:
    """Non-homogeneous Poisson by thinning (Lewis & Shedler) from the peak rate."""
    peak = spec.rate * (1 + spec.amplitude)
    for chunk in _poisson(rng, peak, 0.0, end):
        rate = spec.rate * (1 + spec.amplitude * np.cos(2 * np.pi * (chunk - spec.peak_at) / spec.period))
        keep = rng.random(len(chunk)) * peak < rate
        if keep.any():
            yield chunk[keep]


def arrival_chunks(spec: Any, rng: np.random.Generator, end: float) -> Iterator[Sequence[float]]:
    """Chunks of one process's arrival times before ``end``, in time order (a trace's
    rows' times; its rows themselves come from ``spec.trace.rows(end)``)."""
    if isinstance(spec, TraceArrivals):
        times = memoryview(spec.trace.t)[:spec.trace.count(end)]
        for i in range(0, len(times), CHUNK):
            yield times[i:i + CHUNK]
        return
    if isinstance(spec, PoissonArrivals):
        stop = end if spec.end is None else min(end, spec.end)
        chunks = _poisson(rng, spec.rate, spec.start, stop)
    elif isinstance(spec, SpikeArrivals):
        chunks = _poisson(rng, spec.rate, spec.at, min(end, spec.at + spec.for_))
    elif isinstance(spec, OnOffArrivals):
        chunks = _onoff(rng, spec, end)
    elif isinstance(spec, DiurnalArrivals):
        chunks = _diurnal(rng, spec, end)
    else:
        raise TypeError(f"unknown arrival spec {spec!r}")
    for chunk in chunks:
        # NOTE: a memoryview of the doubles, not ``tolist()``: each arrival's float is made
        # only when it comes up, for performance (as in distributions.Sampler).
        yield memoryview(chunk)


def replay(rows: Iterable[TraceRow], dispatch_row: Callable[[TraceRow], Any]) -> Callable[[], Any]:
    """The ``dispatch`` of a trace's :class:`ArrivalProcess`: each arrival hands the next
    row to ``dispatch_row`` (the process fires the rows' times in the same order)."""
    next_row = iter(rows).__next__
    return lambda: dispatch_row(next_row())


class ArrivalProcess:
    """Calls ``dispatch()`` at each arrival time of one process.

    Each arrival is scheduled at its own time (the chunks are in time order), so a
    request's arrival time is exactly the one drawn or replayed. Only the next arrival is
    on the schedule, and one :class:`Call` serves them all: it is re-armed as it fires.
    A trace's dispatch takes its next row itself (the rows fire in order).
    """

    def __init__(self, env: Any, chunks: Iterator[Sequence[float]], dispatch: Callable[[], Any]):
        self.env = env
        self._times = itertools.chain.from_iterable(chunks)
        self._dispatch = dispatch
        self._on_arrival = (self._arrive,)
        first = next(self._times, None)
        if first is not None:
            push(env, max(first, env._now), Call(self._on_arrival))

    def _arrive(self, call: Call) -> None:
        following = next(self._times, None)
        if following is not None:
            # NOTE: the fired Call is re-armed rather than a new one made, and
            # env.schedule is inlined, for performance (one arrival per request).
            call.callbacks = self._on_arrival
            env = self.env
            if following < env._now:  # never in the past (chunks are sorted; this is a guard)
                following = env._now
            heappush(env._queue, (following, NORMAL, next(env._eid), call))
        self._dispatch()
