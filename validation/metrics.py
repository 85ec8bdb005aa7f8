"""The numbers both sides are reduced to: pool waits, outcomes, dials, refusals and every
``DBStats`` field, summed over the fleet's pools and taken when the last request finishes
(the harness takes ``db.Stats()`` then; simpool's replay stops then)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

STATS_FIELDS = ("max_open_connections", "open_connections", "in_use", "idle", "wait_count",
                "wait_duration_s", "max_idle_closed", "max_idle_time_closed", "max_lifetime_closed")
"""Every ``DBStats`` field, as the harness names them."""

OUTCOMES = ("too_many_connections", "deadline_exceeded", "bad_connection")
"""The error kinds a request can end with here (simpool's names)."""

METRICS = ("wait_ms.mean", "wait_ms.p95", "wait_ms.p99", "requests.ok",
           *(f"errors.{kind}" for kind in OUTCOMES), "errors.reserved_slots",
           "dials", "failed_dials", "handshake_s", "refused_connections", "peak_connections",
           *(f"stats.{name}" for name in STATS_FIELDS))
"""What is compared, in table order. ``errors.reserved_slots`` counts the refusals that
came after authentication (PostgreSQL's "remaining connection slots are reserved")."""

TIME_METRICS = frozenset({"wait_ms.mean", "wait_ms.p95", "wait_ms.p99", "handshake_s", "stats.wait_duration_s"})
"""Metrics in time units; every other metric counts events."""

RESERVED_PHRASE = "remaining connection slots are reserved"
"""In every PostgreSQL version's refusal after authentication (and no other error)."""


def request_metrics(waits_ms: np.ndarray, outcomes: Sequence[str], errors: Sequence[str | None]) -> dict[str, float]:
    """Wait mean and percentiles, and outcome counts, from each request's pool wait (ms),
    outcome (``ok`` or an error kind) and error text."""
    metrics = {"wait_ms.mean": float(waits_ms.mean()), "wait_ms.p95": float(np.percentile(waits_ms, 95)),
               "wait_ms.p99": float(np.percentile(waits_ms, 99)), "requests.ok": outcomes.count("ok")}
    for kind in OUTCOMES:
        metrics[f"errors.{kind}"] = outcomes.count(kind)
    metrics["errors.reserved_slots"] = sum(e is not None and RESERVED_PHRASE in e for e in errors)
    return metrics


def go_waits_ms(run: dict[str, Any]) -> np.ndarray:
    """Each request's pool wait in a harness run, as simpool counts it: from asking to the
    moment the pool handed the connection over (its previous holder returned it, its
    dial finished, or at once from the idle list), or to the error. The microseconds of
    ``database/sql`` code and goroutine wake-up after that (a median 10 µs; the
    harness's ``wait_ms`` includes them) are CPU time, which simpool does not model."""
    return np.array([r["latency_ms"] if r["acquired_ms"] is None else r["acquired_ms"] - r["arrival_ms"]
                     for r in run["requests"]])


def code_path_ms(run: dict[str, Any]) -> float:
    """The harness's resolution of a hand-over: the median time from the pool handing a
    connection over to the query starting (``database/sql`` code, a goroutine waking),
    over the requests that got one."""
    gaps = [r["wait_ms"] - (r["acquired_ms"] - r["arrival_ms"]) for r in run["requests"] if r["acquired_ms"] is not None]
    return float(np.median(gaps)) if gaps else 0.0


def dial_ms(dial: dict[str, Any], asked_ms: dict[int, float]) -> float:
    """How long a dial took as the pool sees it: a request's own dial from its asking (the
    microseconds of pool code before ``Connect`` are part of its wait, and simpool's pool
    has no code to run), the opener's from ``Connect``. ``asked_ms`` maps request ids to
    their asking times."""
    start = asked_ms[dial["request"]] if dial["request"] >= 0 else dial["start_ms"]
    return dial["end_ms"] - start


def go_metrics(run: dict[str, Any]) -> dict[str, float]:
    """The metrics of one harness run (its JSON output)."""
    requests = run["requests"]
    metrics = request_metrics(go_waits_ms(run), [r["outcome"] for r in requests],
                              [r.get("error") for r in requests])
    dials = run["dials"]
    ended = [d for d in dials if d["outcome"] != "pending"]
    metrics["dials"] = len(dials)
    metrics["failed_dials"] = sum(d["outcome"] != "ok" for d in ended)
    asked = {r["id"]: r["arrival_ms"] for r in requests}
    metrics["handshake_s"] = sum(dial_ms(d, asked) for d in ended) / 1e3
    metrics["refused_connections"] = run["refused_connections"]
    metrics["peak_connections"] = run["peak_connections"]
    for name in STATS_FIELDS:
        metrics[f"stats.{name}"] = sum(s[name] for s in run["stats"])
    return metrics


def model_metrics(simulation: Any) -> dict[str, float]:
    """The same metrics from a finished simpool replay (``engine.Simulation`` run with
    ``record_requests=True``): its pools' ``DBStats`` are read where the run stopped."""
    requests = simulation.recorder.records
    metrics = request_metrics(np.array([r.wait for r in requests]) * 1e3, [r.outcome for r in requests],
                              [r.error for r in requests])
    stats = [instance.db.stats() for instance in simulation.fleet.instances]
    metrics["dials"] = sum(s.dials for s in stats)
    metrics["failed_dials"] = sum(s.failed_dials for s in stats)
    metrics["handshake_s"] = sum(s.handshake_s for s in stats)
    metrics["refused_connections"] = simulation.database.refused_connections
    metrics["peak_connections"] = simulation.database.peak_connections
    for name in STATS_FIELDS:
        attribute = "wait_duration" if name == "wait_duration_s" else name
        metrics[f"stats.{name}"] = sum(getattr(s, attribute) for s in stats)
    return metrics
