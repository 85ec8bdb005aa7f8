"""What-if runs: the same traffic re-run with one change, to prove (or refute) advice.

A :class:`Remedy` is advice not yet proven: the change in ``--set`` form, the sentence to
print if it helps, and the metric it must improve. :class:`Counterfactuals` runs each
distinct change once for every replication of the run it explains, with the run's own
seed and replication indices, so replication *k* sees the very arrivals, query times and
handshakes it saw before (common random numbers, see :mod:`simpool.engine`); changes that
several findings propose run once. :meth:`Counterfactuals.prove` turns a remedy into the
:class:`~simpool.analysis.whatif.WhatIf` record.

A change *helps* when its goal metric improves by at least :data:`MATERIAL` of its value
(and, with two or more replications, the paired differences' 95% interval excludes zero)
and the share of failed requests does not grow.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from .whatif import Effect, WhatIf

MATERIAL = 0.10
"""The least improvement, relative to the value before, that counts as help."""

LABELS: dict[str, tuple[str, str]] = {
    "failure_rate.failed": ("failed", "%"),
    "failure_rate.too_many_connections": ("refused requests", "%"),
    "failure_rate.deadline_exceeded": ("missed deadlines", "%"),
    "failure_rate.bad_connection": ("bad connections", "%"),
    "database.refused_connections": ("refused connections", ""),
    "database.peak_connections": ("peak database connections", ""),
    "pool.dials": ("dials", ""),
    "pool.handshake_s": ("handshake time", "s"),
    "wait_ms.p99": ("p99 wait", "ms"),
    "latency_ms.p99": ("p99 latency", "ms"),
    "load.utilisation": ("core utilisation", "%"),
    "load.core_wait_ms_mean": ("wait for a core", "ms"),
}
"""Metric path → (how a reader names it, its unit; ``%`` metrics are fractions)."""


@dataclass(frozen=True)
class Remedy:
    """Advice waiting for its proof.

    Attributes:
        change: the change as an engineer writes it, e.g. ``"SetMaxOpenConns(32)"``.
        overrides: ``(path, value)`` pairs in ``--set`` form (``"5m"``, ``"400/s"``, 32).
        advice: the sentence given if the what-if helps.
        goal: the metric (a sweep row's name) the change must lower.
        effects: the metrics to print, goal first.
    """

    change: str
    overrides: tuple[tuple[str, Any], ...]
    advice: str
    goal: str
    effects: tuple[str, ...]


class Counterfactuals:
    """The what-if runs behind one run's findings (each change run once, then cached).

    Args:
        result: the run being explained (its scenario, seed and replications are reused).
        jobs: local processes for the what-if runs (1: in this process).
    """

    def __init__(self, result: Any, *, jobs: int = 1):
        from ..sweeps.grid import metric_row

        self.result = result
        self.jobs = jobs
        self._metric_row = metric_row
        self._base = [(rep.metrics, rep.error_messages) for rep in result.replications]
        self._runs: dict[str, list[Any]] = {}
        """Outcomes per replication, by change (see :func:`_key`)."""

    @property
    def replications(self) -> int:
        return len(self._base)

    @property
    def runs(self) -> int:
        """Scenario runs made so far (distinct changes × replications)."""
        return len(self._runs) * self.replications

    def run_all(self, remedies: Iterable[Remedy]) -> None:
        """Run every change not run yet, all at once (on ``jobs`` processes)."""
        from ..sweeps.executors import make_executor

        todo: dict[str, tuple[tuple[str, Any], ...]] = {}
        for remedy in remedies:
            key = _key(remedy.overrides)
            if key not in self._runs:
                todo.setdefault(key, remedy.overrides)
        if not todo:
            return
        scenarios = [changed(self.result.scenario, overrides) for overrides in todo.values()]
        tasks = [(scenario, self.result.seed, k) for scenario in scenarios for k in range(self.replications)]
        outcomes: dict[int, Any] = {}
        runner = make_executor("local", jobs=self.jobs, scheduler=None, tasks=len(tasks))
        try:
            for index, outcome in runner.run(tasks):
                outcomes[index] = outcome
        finally:
            runner.close()
        for i, key in enumerate(todo):
            self._runs[key] = [outcomes[i * self.replications + k] for k in range(self.replications)]

    def outcomes(self, remedy: Remedy) -> list[Any]:
        """The change's runs, one ``(metrics, error messages)`` per replication (run now
        if it was not run yet)."""
        self.run_all([remedy])
        return self._runs[_key(remedy.overrides)]

    def prove(self, remedy: Remedy) -> WhatIf:
        """The measured what-if of one remedy (run now if it was not run yet)."""
        after_runs = self.outcomes(remedy)
        scenario = changed(self.result.scenario, remedy.overrides)
        before = self._metric_row(self.result.scenario, self.result.seed, self._base)
        after = self._metric_row(scenario, self.result.seed, after_runs)
        pairs = [(self._value(self.result.scenario, run, remedy.goal), self._value(scenario, other, remedy.goal))
                 for run, other in zip(self._base, after_runs, strict=True)]
        failed = "failure_rate.failed"
        no_worse = _no_worse(before.get(failed), after.get(failed))
        shown = remedy.effects if no_worse or failed in remedy.effects else (*remedy.effects, failed)
        effects = tuple(_effect(metric, before, after) for metric in shown)
        helped = _lower(pairs) and no_worse
        return WhatIf(change=remedy.change, overrides=remedy.overrides, effects=effects, helped=helped,
                      replications=self.replications)

    def _value(self, scenario: Any, run: Any, metric: str) -> float:
        value = self._metric_row(scenario, self.result.seed, [run]).get(metric)
        return math.nan if value is None else float(value)


def _key(overrides: Sequence[tuple[str, Any]]) -> str:
    """One change, however its values are spelled in Python (a distribution is a dict)."""
    return json.dumps(list(overrides), sort_keys=True)


SERVICE_LABELS: dict[str, tuple[str, str]] = {
    "errors.too_many_connections": ("refused requests", ""),
    "errors.deadline_exceeded": ("missed deadlines", ""),
    "requests.failed": ("failed requests", ""),
    "wait_ms.p99": ("p99 wait", "ms"),
    "latency_ms.p99": ("p99 latency", "ms"),
    "connections.at_database_peak": ("connections at the database's peak", ""),
}
"""A service's metric (``services.NAME.<key>``) → its label after the service's name."""


def label_of(metric: str) -> tuple[str, str]:
    """How a reader names a metric, and its unit (``api: refused requests`` for a service's)."""
    if metric.startswith("services."):
        _, name, rest = metric.split(".", 2)
        label, unit = SERVICE_LABELS.get(rest, (rest, ""))
        return f"{name}: {label}", unit
    return LABELS.get(metric, (metric, ""))


def _effect(metric: str, before: dict[str, Any], after: dict[str, Any]) -> Effect:
    label, unit = label_of(metric)
    a, b = before.get(metric), after.get(metric)
    return Effect(metric=metric, label=label, before=math.nan if a is None else a,
                  after=math.nan if b is None else b, unit=unit)


def _lower(pairs: Sequence[tuple[float, float]]) -> bool:
    """The goal fell materially, on average and (with replications) beyond their noise."""
    from ..stats import mean_ci95

    if any(math.isnan(a) or math.isnan(b) for a, b in pairs):
        return False
    before = sum(a for a, _ in pairs) / len(pairs)
    gain, half = mean_ci95([a - b for a, b in pairs])
    if before <= 0 or gain < MATERIAL * before:
        return False
    return half is None or gain - half > 0


def _no_worse(before: float | None, after: float | None) -> bool:
    """The share of failed requests did not grow (beyond a tenth of a percent or 10%)."""
    if before is None or after is None:
        return after is None
    return after <= before * (1 + MATERIAL) + 0.001


# ---------------------------------------------------------------------------- changing a scenario


def changed(scenario: Any, overrides: Sequence[tuple[str, Any]]) -> Any:
    """``scenario`` with ``--set``-form values at dotted paths, each validated as its field
    validates it (a duration string, a rate, a distribution), without re-reading any file
    the scenario names (traces and samples keep their loaded rows)."""
    for path, value in overrides:
        scenario = _set(scenario, path.split("."), value)
    return scenario


def _set(node: Any, parts: list[str], value: Any) -> Any:
    head, rest = parts[0], parts[1:]
    if isinstance(node, list):
        # An index, or a service's name (services.batch.pool.max_open).
        names = [getattr(item, "name", None) for item in node]
        index = names.index(head) if head in names else int(head)
        items = list(node)
        items[index] = _set(items[index], rest, value) if rest else value
        return items
    if rest:
        return node.model_copy(update={head: _set(getattr(node, head), rest, value)})
    from pydantic import TypeAdapter

    field = type(node).model_fields[head]
    kind = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    return node.model_copy(update={head: TypeAdapter(kind).validate_python(value)})
