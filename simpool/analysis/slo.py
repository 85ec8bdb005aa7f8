"""Service-level objectives: the terms a run is gated on and ``recommend`` aims for.

A term such as ``p99_wait<50ms`` or ``error_rate<=0.1%`` names a metric of the summary, a
comparison and a threshold; a :class:`SloVerdict` says whether a run met it, by how much,
and how sure the replications make that. These are the records every renderer reads.

The metrics a term may name (:data:`METRICS`) are read from a sweep row's flattened names
(:func:`simpool.sweeps.grid.metric_row`), so a run and a sweep point are judged alike.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from ..exceptions import ScenarioError
from ..units import parse_duration, parse_rate

Comparison = Literal["<", "<=", ">", ">="]


@dataclass(frozen=True)
class SloTerm:
    """One objective, parsed from its text.

    Attributes:
        text: the term as the user wrote it, e.g. ``"p99_wait<50ms"``.
        metric: the summary path it reads, e.g. ``"wait_ms.p99"``.
        op: the comparison.
        threshold: the bound in the metric's own unit (ms for times, a fraction for rates,
            per second for rates of events).
        unit: the metric's unit as printed (``"ms"``, ``"%"``, ``"/s"``, ``""``).
        service: the service whose own metrics it reads (``api:p99_wait<50ms``, or a
            term given to one service by :func:`for_service`); None: the whole scenario's.
    """

    text: str
    metric: str
    op: Comparison
    threshold: float
    unit: str
    service: str | None = None


@dataclass(frozen=True)
class SloVerdict:
    """How a run (its replications) did against one term.

    Attributes:
        term: the objective.
        value: the metric's mean over the replications.
        ci95: the 95% confidence half-width, None with one replication.
        passed: the mean meets the term.
        confident: the whole 95% interval meets (or misses) the term, so more
            replications would not change the verdict.
        margin: how far the mean is inside the bound (positive) or past it (negative),
            in the metric's unit.
    """

    term: SloTerm
    value: float
    ci95: float | None
    passed: bool
    confident: bool
    margin: float


# ---------------------------------------------------------------------------- the terms

_TIMES = {"mean": "mean", "p50": "p50", "p95": "p95", "p99": "p99", "max": "max"}
METRICS: dict[str, tuple[str, str, str]] = {
    **{f"{stat}_wait": (f"wait_ms.{key}", "ms", "time") for stat, key in _TIMES.items()},
    **{f"{stat}_latency": (f"latency_ms.{key}", "ms", "time") for stat, key in _TIMES.items()},
    "error_rate": ("failure_rate.failed", "%", "fraction"),
    "refusal_rate": ("failure_rate.too_many_connections", "%", "fraction"),
    "timeout_rate": ("failure_rate.deadline_exceeded", "%", "fraction"),
    "refusals": ("database.refused_connections", "", "count"),
    "refusals_per_s": ("per_s.refused_connections", "/s", "rate"),
    "dials_per_s": ("per_s.dials", "/s", "rate"),
}
"""Name in a term → (metric path, unit printed, how its threshold is written):
``p99_wait`` (time to get a connection) and ``p99_latency`` take a Go duration; the rates
of failed requests (``error_rate``, by refusal, by deadline) a percentage or a fraction;
``refusals`` a count of refused connections; ``*_per_s`` a rate (``5/s``, ``300/min``) or
a number per second."""

_TERM = re.compile(r"^\s*(?:([a-z][a-z0-9_-]{0,31})\s*:\s*)?([A-Za-z0-9_]+)\s*(<=|>=|<|>|==|=)\s*(\S.*?)\s*$")
SERVICE_METRICS = frozenset(name for name, (metric, _, _) in METRICS.items()
                            if not metric.startswith("database.") and metric != "per_s.refused_connections")
"""The terms a service has metrics for (the database's refusals are the whole database's)."""
_HOW = {"time": "a Go duration such as 50ms", "fraction": "a share such as 0.1% or 0.001",
        "count": "a count such as 0", "rate": "a rate such as 5/s or 300/min"}


def parse_terms(texts: Sequence[str]) -> tuple[SloTerm, ...]:
    """Every ``--slo`` text as a term.

    Raises:
        ScenarioError: one line naming the term and what is wrong (the CLI exits 2).
    """
    return tuple(parse_term(text) for text in texts)


def parse_term(text: str) -> SloTerm:
    """``p99_wait<50ms`` → ``SloTerm(metric="wait_ms.p99", op="<", threshold=50.0, unit="ms")``;
    ``api:p99_wait<50ms`` reads service ``api``'s own metrics (see :func:`for_service`)."""
    field = f"--slo {text!r}"
    match = _TERM.match(text)
    if match is None:
        raise ScenarioError("expected METRIC<VALUE, METRIC<=VALUE, > or >=, e.g. p99_wait<50ms or "
                            "error_rate<=0.1% (for one service: api:p99_wait<50ms)", field=field)
    service, name, op, value = match.groups()
    if name not in METRICS:
        close = difflib.get_close_matches(name, list(METRICS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ScenarioError(f"unknown metric {name!r}; {hint}known: {', '.join(METRICS)}", field=field)
    if op in ("=", "=="):
        raise ScenarioError(f"use <, <=, > or >= (for none at all: {name}<=0)", field=field)
    metric, unit, kind = METRICS[name]
    try:
        threshold = _threshold(value, kind)
    except ValueError as exc:
        raise ScenarioError(f"{exc}: {name} takes {_HOW[kind]}", field=field) from None
    term = SloTerm(text=text.strip() if service is None else f"{name}{op}{value}", metric=metric, op=op,  # type: ignore[arg-type]
                   threshold=threshold, unit=unit)
    return term if service is None else for_service(term, service)


def for_service(term: SloTerm, service: str) -> SloTerm:
    """``term`` read on one service's own metrics: ``p99_wait<50ms`` for ``api`` reads
    ``services.api.wait_ms.p99`` and reads ``api:p99_wait<50ms``. A term already bound to
    that service is returned as it is.

    Raises:
        ScenarioError: the term is another service's, or names a metric a service does not
            have (``refusals``: the database's count).
    """
    if term.service == service:
        return term
    if term.service is not None:
        raise ScenarioError(f"this term is for service {term.service}, not {service}", field=f"--slo {term.text!r}")
    name = _TERM.match(term.text).group(2)  # type: ignore[union-attr]
    if name not in SERVICE_METRICS:
        raise ScenarioError(f"{name} counts the whole database, not one service's traffic; per service: "
                            f"{', '.join(sorted(SERVICE_METRICS))}", field=f"--slo {term.text!r}")
    return replace(term, text=f"{service}:{term.text}", metric=f"services.{service}.{term.metric}", service=service)


def _threshold(text: str, kind: str) -> float:
    if kind == "time":
        return parse_duration(text) * 1e3
    if kind == "rate":
        return parse_rate(text) if "/" in text else _number(text)
    if kind == "fraction":
        share = _number(text[:-1]) / 100 if text.endswith("%") else _number(text)
        if share > 1:
            raise ValueError(f"{text!r} is more than 100%")
        return share
    return _number(text)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{text!r} must be a finite number >= 0")
    return value


# ---------------------------------------------------------------------------- verdicts


def judge(term: SloTerm, value: float | None, ci95: float | None) -> SloVerdict:
    """The verdict on one term from the metric's mean and 95% half-width. A metric with
    no value (no request finished) fails, unconfidently."""
    if value is None:
        return SloVerdict(term=term, value=float("nan"), ci95=None, passed=False, confident=False,
                          margin=float("nan"))
    below = term.op in ("<", "<=")
    margin = term.threshold - value if below else value - term.threshold
    passed = _meets(term, value)
    confident = ci95 is not None and all(_meets(term, v) == passed for v in (value - ci95, value + ci95))
    return SloVerdict(term=term, value=value, ci95=ci95, passed=passed, confident=confident, margin=margin)


def _meets(term: SloTerm, value: float) -> bool:
    return {"<": value < term.threshold, "<=": value <= term.threshold,
            ">": value > term.threshold, ">=": value >= term.threshold}[term.op]


def judge_row(terms: Sequence[SloTerm], row: dict[str, Any]) -> tuple[SloVerdict, ...]:
    """The verdicts on a metric row (a sweep row, or :func:`measure` of a run)."""
    return tuple(judge(term, row.get(term.metric), row.get(f"{term.metric}.ci95")) for term in terms)


def measure(result: Any) -> dict[str, Any]:
    """A run's metric row, as a sweep point's would be (see :func:`simpool.sweeps.grid.metric_row`)."""
    from ..sweeps.grid import metric_row

    runs = [(rep.metrics, rep.error_messages) for rep in result.replications]
    return metric_row(result.scenario, result.seed, runs)


def gate(terms: Sequence[SloTerm], result: Any) -> tuple[SloVerdict, ...]:
    """The verdicts of a run on every term."""
    return judge_row(terms, measure(result)) if terms else ()
