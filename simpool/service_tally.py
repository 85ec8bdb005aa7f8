"""One service's share of a replication's results (scenarios with ``services:``).

A :class:`ServiceTally` is the ``recorder`` of one service's handler: it counts that
service's requests (outcomes, waits, latencies) after the warm-up and passes each on to the
replication's :class:`~simpool.recorder.Recorder`, which keeps the fleet-wide totals. The
pool counters and the instances come from the recorder's per-instance rows, grouped by
service; the connections a service held when the database was fullest come from the
samples.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np

from .result import ERROR_KINDS, POOL_FIELDS
from .stats import LogHistogram


class ServiceTally:
    """One service's requests after the warm-up; each is passed on to ``recorder`` too."""

    def __init__(self, recorder: Any, warmup: float):
        self.recorder = recorder
        self.warmup = warmup
        self.fleet: Any = None
        """The service's :class:`~simpool.model.fleet.Fleet` (set once it is made)."""
        self.errors = dict.fromkeys(ERROR_KINDS, 0)
        self.messages: dict[str, int] = {}
        self.wait = LogHistogram()
        self.latency = LogHistogram()
        self._waits = array("d")
        self._latencies = array("d")
        self._arrivals_baseline = 0

    def __repr__(self) -> str:
        name = None if self.fleet is None else self.fleet.name
        return f"ServiceTally(service={name!r}, answered={self.wait.n + len(self._waits)})"

    def request_done(self, request: Any, err: Any) -> None:
        """As :meth:`Recorder.request_done`, for this service (then the recorder's own)."""
        self.recorder.request_done(request, err)
        if request.arrival < self.warmup:
            return
        if err is not None:
            self.errors[err.kind] += 1
            self.messages[err.message] = self.messages.get(err.message, 0) + 1
        self._waits.append(request.wait)
        self._latencies.append(self.recorder.env._now - request.arrival)
        if len(self._waits) >= 16384:
            self._flush()

    def _flush(self) -> None:
        self.wait.extend(np.frombuffer(self._waits, dtype=float))
        self.latency.extend(np.frombuffer(self._latencies, dtype=float))
        self._waits = array("d")
        self._latencies = array("d")

    def mark_warmup(self) -> None:
        self._arrivals_baseline = self.fleet.arrivals
        self.fleet.open_gauge.reset_peak()

    def metrics(self, rows: list[dict[str, Any]], at_database_peak: int,
                distribution_ms: Any) -> dict[str, Any]:
        """The service's section of one replication's metrics, from its instances' rows."""
        self._flush()
        names = {instance.name for instance in self.fleet.instances}
        mine = [row for row in rows if row["name"] in names]
        pool = {key: sum(row[key] for row in mine) for key in POOL_FIELDS if key != "peak_open"}
        pool["peak_open"] = self.fleet.open_gauge.peak
        arrived = self.fleet.arrivals - self._arrivals_baseline
        answered = self.wait.n
        failed = sum(self.errors.values())
        return {
            "name": self.fleet.name,
            "requests": {"total": arrived, "ok": answered - failed, "failed": failed,
                         "unfinished": arrived - answered},
            "errors": dict(self.errors),
            "wait_ms": distribution_ms(self.wait),
            "latency_ms": distribution_ms(self.latency),
            "pool": pool,
            "connections": {"at_database_peak": at_database_peak},
            "instances": [row["name"] for row in mine],
            "error_messages": dict(self.messages),
        }


def open_at_database_peak(samples: list[tuple[Any, ...]], warmup: float, service_of: tuple[int, ...],
                          services: int) -> list[int]:
    """Per service, its pools' open connections at the sample (after the warm-up) where
    the database held the most connections (the first such sample)."""
    best = None
    for sample in samples:
        if sample[0] >= warmup and (best is None or sample[2] > best[2]):
            best = sample
    held = [0] * services
    if best is not None:
        for i, gauges in enumerate(best[1]):
            held[service_of[i]] += gauges[0]
    return held
