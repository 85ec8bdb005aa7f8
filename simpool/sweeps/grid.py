"""``simpool.sweep()``: a grid of scenarios × replications, run anywhere, aggregated in
grid order.

Every point is built and validated before anything runs, so a bad combination fails in a
second, not an hour in. Replication *k* of every point uses the same seed and therefore
the same traffic (common random numbers, see :mod:`simpool.engine`): differences between
points are the settings' doing, not the dice's. Rows are aggregated per point in
replication order, so they are byte-identical whatever the executor or ``jobs``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine import check_consistency
from ..exceptions import ScenarioError
from ..result import ERROR_KINDS, ReplicationResult, Result
from ..scenario import Scenario, apply_overrides, validate_scenario
from ..scenario.loading import _read_yaml
from ..stats import mean_ci95
from .axes import Axis, grid, label, make_axes
from .executors import Outcome, make_executor

STREAMS = "numpy SeedSequence(seed, spawn_key=(replication, source, index))"
"""How each run's random streams derive from the seed (see simpool.engine.Streams)."""

FAILURE_KINDS = ("failed", *ERROR_KINDS)
PER_SECOND = (("requests", "requests", "total"), ("dials", "pool", "dials"),
              ("handshake_s", "pool", "handshake_s"), ("refused_connections", "database", "refused_connections"))
"""Rates per second of measured traffic: (name, summary section, key)."""

OnPoint = Callable[[int, int, dict[str, Any]], None]


@dataclass(frozen=True)
class SweepResult:
    """A finished (or interrupted) sweep: plain data, ready for CSV, JSON, tables and charts.

    ``rows`` holds one dict per finished point, in grid order: the swept settings (keyed
    by path, valued as given), then every metric of ``Result.flat()`` (mean, and
    ``<metric>.ci95``), then ``failure_rate.*`` (share of requests) and ``per_s.*`` (per
    second of measured traffic), computed per replication so their CIs are honest.
    """

    name: str
    scenario: dict[str, Any]
    """The base scenario's effective settings (every default filled in, before the axes)."""
    axes: tuple[Axis, ...]
    seed: int
    replications: int
    points: int
    """Points in the grid (``len(rows)`` is smaller when interrupted)."""
    rows: tuple[dict[str, Any], ...]
    interrupted: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)
    """``--set`` overrides applied to every point."""

    def document(self) -> dict[str, Any]:
        """The ``sweep.json`` document."""
        from .. import __version__

        return {
            "simpool": __version__,
            "name": self.name,
            "scenario": self.scenario,
            "overrides": self.overrides,
            "axes": [{"path": a.path, "values": list(a.values)} for a in self.axes],
            "seed": self.seed,
            "replications": self.replications,
            "streams": STREAMS,
            "points": self.points,
            "finished": len(self.rows),
            "interrupted": self.interrupted,
            "rows": list(self.rows),
        }


    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> SweepResult:
        """Rebuild a result from its ``sweep.json`` document (to redraw charts or tables
        without running the sweep again)."""
        return cls(name=doc["name"], scenario=doc["scenario"],
                   axes=tuple(Axis(a["path"], tuple(a["values"])) for a in doc["axes"]),
                   seed=doc["seed"], replications=doc["replications"], points=doc["points"],
                   rows=tuple(doc["rows"]), interrupted=doc["interrupted"], overrides=doc.get("overrides", {}))


def sweep(
    scenario: Scenario | dict[str, Any] | str | Path | None,
    axes: dict[str, Any] | Sequence[Axis],
    *,
    replications: int = 5,
    seed: int | None = None,
    jobs: int | None = None,
    executor: str = "local",
    scheduler: Any = None,
    on_point: OnPoint | None = None,
    overrides: dict[str, Any] | None = None,
    base_dir: str | Path | None = None,
) -> SweepResult:
    """Run every combination of ``axes`` with ``replications`` replications each.

    Args:
        scenario: scenario data (a dict), a YAML path, None for the built-in default, or a
            Scenario (then its effective settings are the base).
        axes: ``{dotted path: values}``; values are a list or a string in the range syntax
            (``"10..50"``, ``"0,30m,1h"``, ``"default"``); several axes make a full grid,
            the first varying slowest.
        replications: independent replications per point (common random numbers).
        seed: overrides the scenario's seed.
        jobs: local worker processes (default: the cores available); 1 runs here.
        executor: ``"local"`` or ``"dask"`` (with ``scheduler``: an address or a Client).
        on_point: called as ``on_point(points done, points in grid, row)`` after each point.
        overrides: dotted-path settings applied to every point (``--set``).
        base_dir: where relative files (traces, samples) are found.

    Returns:
        A :class:`SweepResult`; on Ctrl-C (KeyboardInterrupt) the finished points, with
        ``interrupted=True``.

    Raises:
        ScenarioError: a bad axis or a bad point (named), before anything runs.
        ExecutorError: the executor cannot start.
    """
    data, base_dir, source = _base_data(scenario, base_dir)
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ScenarioError(f"must be an integer >= 1 (not {replications!r})", field="replications")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ScenarioError(f"must be an integer >= 0 (not {seed!r})", field="seed")
    axes = make_axes(axes)
    overrides = dict(overrides or {})
    for axis in axes:
        apply_overrides({}, {axis.path: None})  # an unknown path fails here, naming the path alone
        if axis.path in overrides:
            raise ScenarioError("is both set (--set) and swept", field=axis.path)
        if axis.path == "seed" and seed is not None:
            raise ScenarioError("is both given (--seed) and swept", field="seed")
    if overrides:
        data = apply_overrides(data, overrides, source=source)
    points = [_point(data, axes, combo, base_dir, source) for combo in grid(axes)]
    base = _effective(data, base_dir, source) or points[0].effective()
    seeds = [point.seed if seed is None else seed for point in points]

    tasks = [(point, point_seed, k)
             for point, point_seed in zip(points, seeds, strict=True) for k in range(replications)]
    runner = make_executor(executor, jobs=jobs, scheduler=scheduler, tasks=len(tasks))
    outcomes: dict[int, dict[int, Outcome]] = {}
    rows: dict[int, dict[str, Any]] = {}
    interrupted = False
    try:
        for task, outcome in runner.run(tasks):
            index, k = divmod(task, replications)
            done = outcomes.setdefault(index, {})
            done[k] = outcome
            if len(done) == replications:
                runs = [done[j] for j in range(replications)]  # replication order: same sums, same bytes
                rows[index] = _row(axes, grid_values(axes, index), points[index], seeds[index], runs)
                del outcomes[index]
                if on_point is not None:
                    on_point(len(rows), len(points), rows[index])
    except KeyboardInterrupt:
        interrupted = True
        try:
            runner.close(cancel=True)
        except KeyboardInterrupt:  # an impatient second Ctrl-C must not lose the finished points
            pass
    except BaseException:
        runner.close(cancel=True)
        raise
    else:
        runner.close()
    return SweepResult(
        name=str(base.get("name", "default")), scenario=base, axes=axes, seed=seed if seed is not None else seeds[0],
        replications=replications, points=len(points),
        rows=tuple(rows[i] for i in sorted(rows)), interrupted=interrupted, overrides=overrides,
    )


def grid_values(axes: Sequence[Axis], index: int) -> tuple[Any, ...]:
    """The settings of grid point ``index`` (first axis slowest)."""
    values = []
    for axis in reversed(axes):
        index, i = divmod(index, len(axis.values))
        values.append(axis.values[i])
    return tuple(reversed(values))


def point_label(axes: Sequence[Axis], values: Sequence[Any]) -> str:
    return ", ".join(f"{a.path}={label(v)}" for a, v in zip(axes, values, strict=True))


# ---------------------------------------------------------------------------- building points


def _base_data(scenario: Any, base_dir: Any) -> tuple[dict[str, Any], Any, str | None]:
    """The scenario as raw data (so a swept ``database.flavor`` still gets its flavour's
    defaults), where its relative files live, and its name for error messages."""
    if scenario is None:
        return {}, base_dir, None
    if isinstance(scenario, Scenario):
        return scenario.effective(), base_dir, None
    if isinstance(scenario, dict):
        return scenario, base_dir, None
    path = Path(scenario)
    data = _read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(f"expected a mapping of sections, found {type(data).__name__}", source=str(path))
    return data, path.parent if base_dir is None else base_dir, str(path)


def _point(data: dict[str, Any], axes: Sequence[Axis], values: Sequence[Any],
           base_dir: Any, source: str | None) -> Scenario:
    where = f"{source}, point {point_label(axes, values)}" if source else f"point {point_label(axes, values)}"
    try:
        overrides = {axis.path: axis.override(value) for axis, value in zip(axes, values, strict=True)}
        scenario = validate_scenario(apply_overrides(data, overrides), base_dir=base_dir)
        check_consistency(scenario)
    except ScenarioError as exc:
        raise ScenarioError(exc.problem, field=exc.field, source=where) from None
    return scenario


def _effective(data: dict[str, Any], base_dir: Any, source: str | None) -> dict[str, Any] | None:
    """The base scenario's effective settings, or None if only the swept values make it
    valid (``--set duration=10s --vary warmup=1s,2s`` with a 30s default warm-up)."""
    try:
        return validate_scenario(data, base_dir=base_dir, source=source).effective()
    except ScenarioError:
        return None


# ---------------------------------------------------------------------------- aggregation


def _row(axes: Sequence[Axis], values: Sequence[Any], scenario: Scenario, seed: int,
         runs: list[Outcome]) -> dict[str, Any]:
    row: dict[str, Any] = {axis.path: value for axis, value in zip(axes, values, strict=True)}
    row.update(metric_row(scenario, seed, runs))
    return row


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
    return row


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


def _put(row: dict[str, Any], name: str, values: list[float]) -> None:
    mean, half = mean_ci95(values)
    row[name] = None if math.isnan(mean) else mean
    row[f"{name}.ci95"] = half
