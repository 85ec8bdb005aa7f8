"""Results: plain, frozen data (no simpy objects), and the ``summary.json`` shape.

A :class:`Result` holds one :class:`ReplicationResult` per replication; :meth:`Result.summary`
turns them into the output contract of ``shared/design.md``: every metric as
``{"mean": …}`` plus ``"ci95"`` (95% half-width) when there are two or more replications.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .stats import LogHistogram, mean_ci95

Outcome = Literal["ok", "too_many_connections", "deadline_exceeded", "bad_connection", "other"]
ERROR_KINDS = ("too_many_connections", "deadline_exceeded", "bad_connection", "other")
POOL_FIELDS = (
    "wait_count", "wait_duration_s", "max_idle_closed", "max_idle_time_closed",
    "max_lifetime_closed", "dials", "failed_dials", "handshake_s", "bad_conn_retries", "peak_open",
)
PERCENTILE_FIELDS = ("mean", "p50", "p95", "p99", "max")
LOAD_FIELDS = (
    "cores", "offered_cores", "offered_cores_peak", "busy_cores", "busy_cores_peak", "utilisation",
    "utilisation_peak", "queue_mean", "queue_p99", "queue_max", "core_wait_ms_mean", "core_wait_ms_p99",
)
"""The database's load over the measured window (warm-up to ``duration``), the
``load`` section of ``summary.json``: its ``cores`` (0 = unlimited); the query work the
arrived requests offer and the cores busy, in cores, on average and in the busiest
second; utilisation (busy / cores; null when unlimited); queries queued for a core
(time-weighted mean, p99 and max); and each query's wait for a core (mean and p99 over
all queries, in ms)."""
SECTIONS = ("requests", "errors", "wait_ms", "latency_ms", "pool", "database", "load")
"""The sections of ``summary.json`` that hold one metric per key."""
SERVICE_SECTIONS = ("requests", "errors", "wait_ms", "latency_ms", "pool", "connections")
"""The sections of each service's part of ``summary.json`` (scenarios with ``services:``):
the fleet-wide sections of the same name for that service alone, and ``connections``
(``at_database_peak``: its pools' open connections when the database held the most)."""


@dataclass(frozen=True)
class RequestRecord:
    """One finished request (kept only when asked for: ``record_requests=True``).

    Times are seconds; ``wait`` is the time spent getting connections (queueing in the
    pool, dialing, retries), ``latency`` arrival to response.
    """

    id: int
    instance: str
    arrival: float
    wait: float
    latency: float
    outcome: Outcome
    error: str | None


@dataclass(frozen=True)
class TimeSeries:
    """Gauges sampled every ``step`` seconds: per instance (rows in ``instances`` order)
    open / in use / idle / waiting, and the database's connections and queries; and, for
    rates over time, counters since the start (warm-up included) read at the same instants,
    whose steps give rates per interval (:meth:`arrival_rate`, :meth:`offered_cores`,
    :meth:`busy_cores`).

    Attributes:
        arrived: requests arrived so far.
        failed: failed requests answered so far, one row per kind in ``ERROR_KINDS`` order.
        serving: instances serving requests (an autoscaled or deploying fleet changes it).
        offered_core_seconds: query seconds the arrived requests offered the database so far.
        database_core_seconds: core-seconds the database spent on queries so far.
    """

    t: np.ndarray
    instances: tuple[str, ...]
    open: np.ndarray
    in_use: np.ndarray
    idle: np.ndarray
    waiting: np.ndarray
    database_connections: np.ndarray
    database_running: np.ndarray
    database_queued: np.ndarray
    arrived: np.ndarray
    failed: np.ndarray
    serving: np.ndarray
    offered_core_seconds: np.ndarray
    database_core_seconds: np.ndarray
    services: tuple[str, ...] = ()
    """With ``services:``, their names (else empty)."""
    instance_service: tuple[int, ...] = ()
    """With ``services:``, for each instance (row), the index of its service in ``services``."""

    def service_open(self) -> np.ndarray:
        """Open connections per service (rows in ``services`` order): its instances' sum."""
        out = np.zeros((len(self.services), len(self.t)), dtype=np.int64)
        for i, k in enumerate(self.instance_service):
            out[k] += self.open[i]
        return out

    def _per_interval(self, totals: np.ndarray) -> np.ndarray:
        """A running total's rate over each interval ending at a sample (NaN at the first)."""
        out = np.full(len(self.t), np.nan)
        if len(self.t) > 1:
            out[1:] = np.diff(totals) / np.diff(self.t)
        return out

    def arrival_rate(self) -> np.ndarray:
        """Requests per second over the interval ending at each sample."""
        return self._per_interval(self.arrived)

    def offered_cores(self) -> np.ndarray:
        """Offered load in cores (query seconds offered per second) per interval."""
        return self._per_interval(self.offered_core_seconds)

    def busy_cores(self) -> np.ndarray:
        """Mean cores busy with queries per interval (divide by ``cores`` for utilisation)."""
        return self._per_interval(self.database_core_seconds)

    def rows(self) -> list[dict[str, Any]]:
        """Long-format rows (one per time and instance, plus the database), for CSV. The
        database rows also carry the busy and offered cores of the interval ending there;
        with services, each instance row its ``service`` and each database row every
        service's open connections (``open.NAME``)."""
        out = []
        busy, offered = self.busy_cores().tolist(), self.offered_cores().tolist()
        held = self.service_open() if self.services else None
        for j, t in enumerate(self.t.tolist()):
            for i, name in enumerate(self.instances):
                out.append({"t_s": t, "series": name, "open": int(self.open[i, j]),
                            "in_use": int(self.in_use[i, j]), "idle": int(self.idle[i, j]),
                            "waiting": int(self.waiting[i, j])})
                if self.services:
                    out[-1]["service"] = self.services[self.instance_service[i]]
            out.append({"t_s": t, "series": "database", "open": int(self.database_connections[j]),
                        "in_use": int(self.database_running[j]), "idle": None,
                        "waiting": int(self.database_queued[j]), "busy_cores": busy[j],
                        "offered_cores": offered[j]})
            if held is not None:
                out[-1].update({f"open.{name}": int(held[k, j]) for k, name in enumerate(self.services)})
        return out


@dataclass(frozen=True)
class ReplicationResult:
    """One replication: its metrics (the summary's shape, plain numbers), its
    distributions and time series."""

    index: int
    metrics: dict[str, Any]
    wait: LogHistogram
    latency: LogHistogram
    timeseries: TimeSeries
    error_messages: dict[str, int]
    requests: tuple[RequestRecord, ...] | None = None


@dataclass(frozen=True)
class Result:
    """Everything a run produced; renderers (tables, JSON, plots) read only this."""

    scenario: Any
    seed: int
    replications: tuple[ReplicationResult, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` document (design.md, "Outputs")."""
        reps = [r.metrics for r in self.replications]
        first = reps[0]
        summary: dict[str, Any] = {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "replications": len(reps),
        }
        for section in SECTIONS:
            summary[section] = {key: _aggregate([r[section][key] for r in reps]) for key in first[section]}
        summary["instances"] = _aggregate_instances([r["instances"] for r in reps])
        messages: dict[str, int] = {}
        for rep in self.replications:
            for message, count in rep.error_messages.items():
                messages[message] = messages.get(message, 0) + count
        # Like every other metric: the mean per replication (an error absent from a replication counts 0).
        summary["error_messages"] = {
            message: count / len(reps) for message, count in sorted(messages.items(), key=lambda kv: (-kv[1], kv[0]))}
        if "services" in first:
            summary["services"] = _aggregate_services([r["services"] for r in reps])
        return summary

    def flat(self) -> dict[str, float | None]:
        """The summary's metrics flattened for a sweep row: ``wait_ms.p99`` →
        mean, ``wait_ms.p99.ci95`` → half-width (None for one replication)."""
        summary = self.summary()
        row: dict[str, float | None] = {}
        for section in SECTIONS:
            for key, stat in summary[section].items():
                row[f"{section}.{key}"] = stat["mean"]
                row[f"{section}.{key}.ci95"] = stat.get("ci95")
        for name, service in summary.get("services", {}).items():
            for section in SERVICE_SECTIONS:
                for key, stat in service[section].items():
                    row[f"services.{name}.{section}.{key}"] = stat["mean"]
                    row[f"services.{name}.{section}.{key}.ci95"] = stat.get("ci95")
        return row


def _aggregate(values: list[float]) -> dict[str, float]:
    mean, half = mean_ci95(values)
    out = {"mean": _clean(mean)}
    if half is not None:
        out["ci95"] = _clean(half)
    return out


def _clean(x: float) -> float | None:
    """JSON has no NaN: a metric without data (no requests) is null."""
    return None if x is None or np.isnan(x) else float(x)


def _aggregate_instances(per_rep: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Instances matched by name across replications (an instance absent from a
    replication, e.g. never started by the autoscaler, is averaged where present)."""
    names: list[str] = []
    for rep in per_rep:
        for inst in rep:
            if inst["name"] not in names:
                names.append(inst["name"])
    out = []
    for name in names:
        rows = [inst for rep in per_rep for inst in rep if inst["name"] == name]
        entry: dict[str, Any] = {"name": name}
        for key in rows[0]:
            if key != "name":
                entry[key] = _aggregate([row[key] for row in rows])
        out.append(entry)
    return out


def _aggregate_services(per_rep: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Each service's sections over the replications, keyed by name (in the scenario's
    order), with its instances (every one that ran in some replication) and its errors'
    texts (the mean per replication, as ``error_messages``)."""
    out: dict[str, Any] = {}
    for k, first in enumerate(per_rep[0]):
        reps = [rep[k] for rep in per_rep]
        entry: dict[str, Any] = {section: {key: _aggregate([r[section][key] for r in reps]) for key in first[section]}
                                 for section in SERVICE_SECTIONS}
        entry["instances"] = list(dict.fromkeys(name for r in reps for name in r["instances"]))
        messages: dict[str, int] = {}
        for r in reps:
            for message, count in r["error_messages"].items():
                messages[message] = messages.get(message, 0) + count
        entry["error_messages"] = {
            message: count / len(reps) for message, count in sorted(messages.items(), key=lambda kv: (-kv[1], kv[0]))}
        out[first["name"]] = entry
    return out
