"""The recorder: request outcomes after the warm-up, gauges at a fixed step, the pool
counters' change since the warm-up and the database's load over the measured window
(warm-up to ``duration``), turned into a :class:`ReplicationResult`."""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from typing import Any

import numpy as np

from .model.events import call_later
from .result import (
    ERROR_KINDS,
    POOL_FIELDS,
    ReplicationResult,
    RequestRecord,
    TimeSeries,
)
from .service_tally import ServiceTally, open_at_database_peak
from .stats import LogHistogram

FLUSH_EVERY = 16384
"""Finished requests between two folds of their waits and latencies into the histograms."""

PEAK_WINDOW = 1.0
"""Seconds over which a peak load is averaged (or the sample step, if longer): the
busiest second, not the luckiest instant."""


class Recorder:
    """Collects one replication's statistics.

    Requests count if they *arrived* at or after ``warmup`` (those the fleet dispatched
    after :meth:`mark_warmup`, which runs before anything else at that instant); pool and
    database counters are differences between the end and the warm-up instant, and peaks
    restart there.
    """

    def __init__(self, env: Any, warmup: float, *, record_requests: bool = False):
        self.env = env
        self.warmup = warmup
        self._arrivals_baseline = 0
        """``fleet.arrivals`` when the warm-up ended."""
        self.errors = dict.fromkeys(ERROR_KINDS, 0)
        self._failures = dict.fromkeys(ERROR_KINDS, 0)
        """Every failed request by error, warm-up included: the time series' failures
        (``errors`` counts only those that arrived after the warm-up)."""
        self.messages: dict[str, int] = {}
        self.wait = LogHistogram()
        self.latency = LogHistogram()
        self._waits = array("d")
        self._latencies = array("d")
        """Values not yet folded into the histograms (they go in by the thousand). C
        doubles, not a list: each float object is freed at once instead of living until
        the fold, which measured 2% faster on the M/M/c benchmark."""
        self.records: list[RequestRecord] | None = [] if record_requests else None
        self._baseline: dict[str, dict[str, float]] = {}
        self._refused_baseline = 0
        self._samples: list[tuple[Any, ...]] = []
        """Per sample: time, each instance's gauges, the database's connections, running and
        queued queries, then arrivals, failures by kind and instances serving so far, then the
        query seconds offered and the core-seconds used so far."""
        self._load_start: tuple[float, float, float] | None = None
        """(t, offered query seconds, core-seconds used) when the warm-up ended."""
        self._load_end: _WindowEnd | None = None
        self.services: list[ServiceTally] = []
        """With ``services:``, one tally per service (each service's handler records there)."""

    def add_service(self) -> ServiceTally:
        """A tally for the next service: its handler's recorder, passing every request on."""
        tally = ServiceTally(self, self.warmup)
        self.services.append(tally)
        return tally

    def request_done(self, request: Any, err: Any) -> None:
        """A request answered: ``err`` is None on success or the Go error it returned."""
        if err is not None:
            self._failures[err.kind] += 1
        if request.arrival < self.warmup:
            return
        latency = self.env._now - request.arrival
        if err is not None:
            self.errors[err.kind] += 1
            self.messages[err.message] = self.messages.get(err.message, 0) + 1
        # NOTE: buffered here rather than LogHistogram.add per value, for performance.
        waits = self._waits
        waits.append(request.wait)
        self._latencies.append(latency)
        if len(waits) >= FLUSH_EVERY:
            self._flush()
        if self.records is not None:
            self.records.append(RequestRecord(
                request.id, request.instance.name, request.arrival, request.wait, latency,
                "ok" if err is None else err.kind, None if err is None else err.message))

    @property
    def answered(self) -> int:
        """Requests answered, ok or failed: one wait recorded for each."""
        return self.wait.n + len(self._waits)

    @property
    def ok(self) -> int:
        """Requests answered without an error."""
        return self.answered - sum(self.errors.values())

    def _flush(self) -> None:
        self.wait.extend(np.frombuffer(self._waits, dtype=float))
        self.latency.extend(np.frombuffer(self._latencies, dtype=float))
        self._waits = array("d")
        self._latencies = array("d")

    # ------------------------------------------------------------------ warm-up and gauges

    def start_sampling(self, fleet: Any, database: Any, step: float, until: float) -> None:
        """Sample every ``step`` seconds from 0 to ``until`` inclusive."""
        self._fleet, self._database, self._step, self._until = fleet, database, step, until
        call_later(self.env, 0.0, self._sample, 0)

    def _sample(self, call: Any) -> None:
        k = call.value
        fleet, database = self._fleet, self._database
        gauges = [instance.gauges() for instance in fleet.instances]
        self._samples.append((self.env._now, gauges, database.connections, database.running, database.queued,
                              fleet.arrivals, tuple(self._failures.values()), len(fleet.serving),
                              fleet.offered, database.core_seconds()))
        nxt = (k + 1) * self._step
        if nxt <= self._until + 1e-9:
            call_later(self.env, nxt - self.env._now, self._sample, k + 1)

    def mark_warmup(self, fleet: Any, database: Any) -> None:
        """Remember counters and restart peaks at the end of the warm-up."""
        for instance in fleet.instances:
            self._baseline[instance.name] = instance.counters()
            instance.open_gauge.reset_peak()
        fleet.open_gauge.reset_peak()
        self._arrivals_baseline = fleet.arrivals
        database.peak_connections = database.connections
        self._refused_baseline = database.refused_connections
        database.restart_meters()
        for tally in self.services:
            tally.mark_warmup()
        self._load_start = (self.env._now, fleet.offered, database.core_seconds())

    def end_window(self, fleet: Any, database: Any) -> None:
        """The measured window ends (at ``duration``; requests in flight may still finish):
        freeze the database's load meters, so the drain does not dilute them."""
        meter = database.queue_meter
        self._load_end = _WindowEnd(
            t=self.env._now, offered=fleet.offered, core_seconds=database.core_seconds(),
            queue_time=meter.times_until(self.env._now), peak_queued=meter.peak,
            queries=database.queries, core_waits=meter.waits())
        database.restart_meters()  # what the drain adds goes elsewhere

    # ------------------------------------------------------------------ the result

    def result(self, index: int, fleet: Any, database: Any) -> ReplicationResult:
        self._flush()
        instances = []
        totals: dict[str, float] = {}
        for instance in fleet.instances:
            row = self._instance_row(instance)
            instances.append(row)
            for key, value in row.items():
                if key != "name" and key != "peak_open":
                    totals[key] = totals.get(key, 0) + value
        totals["peak_open"] = fleet.open_gauge.peak
        arrived = fleet.arrivals - self._arrivals_baseline
        finished = self.answered
        ok = finished - sum(self.errors.values())
        metrics = {
            "requests": {"total": arrived, "ok": ok, "failed": sum(self.errors.values()),
                         "unfinished": arrived - finished},
            "errors": dict(self.errors),
            "wait_ms": _distribution_ms(self.wait),
            "latency_ms": _distribution_ms(self.latency),
            "pool": {key: totals.get(key, 0) for key in POOL_FIELDS},
            "database": {
                "peak_connections": database.peak_connections,
                "max_connections": database.max_connections,
                "usable_connections": database.usable_connections,
                "refused_connections": database.refused_connections - self._refused_baseline,
            },
            "load": self._load(database),
            "instances": instances,
        }
        if self.services:
            held = open_at_database_peak(self._samples, self.warmup, fleet.service_of(), len(self.services))
            metrics["services"] = [tally.metrics(instances, held[k], _distribution_ms)
                                   for k, tally in enumerate(self.services)]
        return ReplicationResult(
            index=index, metrics=metrics, wait=self.wait, latency=self.latency,
            timeseries=self._timeseries([i.name for i in fleet.instances], fleet),
            error_messages=dict(self.messages),
            requests=None if self.records is None else tuple(self.records),
        )

    def _instance_row(self, instance: Any) -> dict[str, Any]:
        now = instance.counters()
        base = self._baseline.get(instance.name, {})
        delta = {key: now[key] - base.get(key, 0) for key in now if key != "peak_open"}
        return {
            "name": instance.name,
            "wait_count": delta["wait_count"],
            "wait_duration_s": delta["wait_duration"],
            "max_idle_closed": delta["max_idle_closed"],
            "max_idle_time_closed": delta["max_idle_time_closed"],
            "max_lifetime_closed": delta["max_lifetime_closed"],
            "dials": delta["dials"],
            "failed_dials": delta["failed_dials"],
            "handshake_s": delta["handshake_s"],
            "bad_conn_retries": delta["bad_conn_retries"],
            "peak_open": now["peak_open"],
        }

    def _timeseries(self, names: list[str], fleet: Any) -> TimeSeries:
        n = len(self._samples)
        arrays = {key: np.zeros((len(names), n), dtype=np.int64) for key in ("open", "in_use", "idle", "waiting")}
        for j, (_, gauges, *_) in enumerate(self._samples):
            for i, (open_, in_use, idle, waiting) in enumerate(gauges):
                arrays["open"][i, j] = open_
                arrays["in_use"][i, j] = in_use
                arrays["idle"][i, j] = idle
                arrays["waiting"][i, j] = waiting
        return TimeSeries(
            t=np.array([s[0] for s in self._samples], dtype=float),
            instances=tuple(names),
            database_connections=np.array([s[2] for s in self._samples], dtype=np.int64),
            database_running=np.array([s[3] for s in self._samples], dtype=np.int64),
            database_queued=np.array([s[4] for s in self._samples], dtype=np.int64),
            arrived=np.array([s[5] for s in self._samples], dtype=np.int64),
            failed=np.array([s[6] for s in self._samples], dtype=np.int64).reshape(n, len(ERROR_KINDS)).T,
            serving=np.array([s[7] for s in self._samples], dtype=np.int64),
            offered_core_seconds=np.array([s[8] for s in self._samples], dtype=float),
            database_core_seconds=np.array([s[9] for s in self._samples], dtype=float),
            **arrays,
            **({"services": tuple(f.name for f in fleet.fleets), "instance_service": fleet.service_of()}
               if self.services else {}),
        )

    def _load(self, database: Any) -> dict[str, float]:
        """The database's load over the measured window (see :data:`LOAD_FIELDS`)."""
        if self._load_end is None:  # a run stepped by hand: the window ends now
            self.end_window(self._fleet, database)
        end, (t0, offered0, core0) = self._load_end, self._load_start
        span = end.t - t0
        cores = database.cores
        offered = (end.offered - offered0) / span if span > 0 else math.nan
        busy = (end.core_seconds - core0) / span if span > 0 else math.nan
        offered_peak, busy_peak = self._peaks(t0, end)
        if cores:  # the running totals' rounding must not show 16 cores as 16.0000000001
            busy, busy_peak = min(busy, cores), min(busy_peak, cores)
        waits = LogHistogram()
        waits.merge(end.core_waits)
        waits.add_zeros(max(0, end.queries - waits.n))  # queries that found a free core
        return {
            "cores": cores,
            "offered_cores": offered,
            "offered_cores_peak": offered_peak,
            "busy_cores": busy,
            "busy_cores_peak": busy_peak,
            "utilisation": busy / cores if cores else math.nan,
            "utilisation_peak": busy_peak / cores if cores else math.nan,
            "queue_mean": _time_mean(end.queue_time),
            "queue_p99": _time_percentile(end.queue_time, 99),
            "queue_max": end.peak_queued,
            "core_wait_ms_mean": waits.mean() * 1e3,
            "core_wait_ms_p99": waits.percentile(99) * 1e3,
        }

    def _peaks(self, t0: float, end: _WindowEnd) -> tuple[float, float]:
        """Offered and busy cores in the busiest :data:`PEAK_WINDOW` of the window, from
        the cumulative readings at the samples (and at the window's ends)."""
        points = [(t0, *self._load_start[1:])]
        points += [(s[0], s[8], s[9]) for s in self._samples if t0 < s[0] < end.t]
        points.append((end.t, end.offered, end.core_seconds))
        t, offered, core = (np.array(column, dtype=float) for column in zip(*points, strict=True))
        lag = max(1, round(PEAK_WINDOW / self._step)) if self._step > 0 else 1
        lag = min(lag, len(t) - 1)
        if lag < 1 or t[-1] <= t[0]:
            return math.nan, math.nan
        dt = t[lag:] - t[:-lag]
        keep = dt > 0
        return (float(np.max((offered[lag:] - offered[:-lag])[keep] / dt[keep])),
                float(np.max((core[lag:] - core[:-lag])[keep] / dt[keep])))


@dataclass(frozen=True, slots=True)
class _WindowEnd:
    """The database's load meters when the measured window ended."""

    t: float
    offered: float
    core_seconds: float
    queue_time: dict[int, float]
    peak_queued: int
    queries: int
    core_waits: LogHistogram


def _time_mean(times: dict[int, float]) -> float:
    """Mean queue length from the time spent at each length."""
    total = sum(times.values())
    return sum(n * dt for n, dt in times.items()) / total if total > 0 else math.nan


def _time_percentile(times: dict[int, float], p: float) -> float:
    """The length the queue stayed at or below for ``p``% of the time."""
    total = sum(times.values())
    if total <= 0:
        return math.nan
    running = 0.0
    for n in sorted(times):
        running += times[n]
        if running >= p / 100 * total * (1 - 1e-12):
            return float(n)
    return float(max(times))


def _distribution_ms(histogram: LogHistogram) -> dict[str, float]:
    return {
        "mean": histogram.mean() * 1e3,
        "p50": histogram.percentile(50) * 1e3,
        "p95": histogram.percentile(95) * 1e3,
        "p99": histogram.percentile(99) * 1e3,
        "max": histogram.maximum * 1e3 if histogram.n else float("nan"),
    }
