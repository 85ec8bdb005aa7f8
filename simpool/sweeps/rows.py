"""A point's metric row: the one definition of its metrics and their 95% CIs, which a
sweep row, an SLO verdict, a what-if and an adaptive replication's decision all read."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..result import ERROR_KINDS, ReplicationResult, Result
from ..scenario import Scenario
from ..stats import mean_ci95
from .executors import Outcome

FAILURE_KINDS = ("failed", *ERROR_KINDS)
PER_SECOND = (("requests", "requests", "total"), ("dials", "pool", "dials"),
              ("handshake_s", "pool", "handshake_s"), ("refused_connections", "database", "refused_connections"))
"""Rates per second of measured traffic: (name, summary section, key)."""


def metric_row(scenario: Scenario, seed: int, runs: Sequence[Outcome]) -> dict[str, Any]:
    """A point's metrics from its runs' outcomes: every metric of ``Result.flat()`` (mean
    and ``.ci95``), then ``failure_rate.*`` and ``per_s.*``, each computed per replication
    so its CI is honest. The one definition a sweep row, an SLO and a what-if all read."""
    row: dict[str, Any] = {}
    # Result.flat() is the single definition of a flattened metric and its ci95; the runs
    # carry only metrics, which is all summary() reads.
    replications = tuple(
        ReplicationResult(index=k, metrics=metrics, wait=None, latency=None, timeseries=None,  # type: ignore[arg-type]
                          error_messages=messages)
        for k, (metrics, messages) in enumerate(runs))
    row.update(Result(scenario=scenario, seed=seed, replications=replications).flat())
    measured = scenario.duration - scenario.warmup
    metrics = [m for m, _ in runs]
    for kind in FAILURE_KINDS:
        section, key = ("requests", "failed") if kind == "failed" else ("errors", kind)
        _put(row, f"failure_rate.{kind}", [_ratio(m[section][key], m["requests"]["total"]) for m in metrics])
    for name, section, key in PER_SECOND:
        _put(row, f"per_s.{name}", [m[section][key] / measured for m in metrics])
    # The same rates for each service (``services.api.failure_rate.failed``), so that an
    # SLO term can be judged on one service's traffic (a service has no database section).
    for index, service in enumerate(metrics[0].get("services", ()) if metrics else ()):
        mine = [m["services"][index] for m in metrics]
        prefix = f"services.{service['name']}"
        for kind in FAILURE_KINDS:
            section, key = ("requests", "failed") if kind == "failed" else ("errors", kind)
            _put(row, f"{prefix}.failure_rate.{kind}", [_ratio(m[section][key], m["requests"]["total"]) for m in mine])
        for name, section, key in PER_SECOND:
            if section != "database":
                _put(row, f"{prefix}.per_s.{name}", [m[section][key] / measured for m in mine])
    return row


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


def _put(row: dict[str, Any], name: str, values: list[float]) -> None:
    mean, half = mean_ci95(values)
    row[name] = None if math.isnan(mean) else mean
    row[f"{name}.ci95"] = half
