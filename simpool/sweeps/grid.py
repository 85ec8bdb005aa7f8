"""``simpool.sweep()``: a grid of scenarios × replications, run anywhere, aggregated in
grid order.

The points are checked before anything runs (:mod:`simpool.sweeps.plan`). Replication *k* of every point uses the same seed and therefore
the same traffic (common random numbers, see :mod:`simpool.engine`): differences between
points are the settings' doing, not the dice's. Rows are aggregated per point in
replication order, so they are byte-identical whatever the executor or ``jobs``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..scenario import Scenario
from .axes import Axis
from .cache import RunCache
from .executors import Outcome, Task, make_executor
from .plan import SweepPlan, grid_values, plan_sweep
from .rows import FAILURE_KINDS as FAILURE_KINDS
from .rows import PER_SECOND as PER_SECOND
from .rows import metric_row

STREAMS = "numpy SeedSequence(seed, spawn_key=(replication, source, index))"
"""How each run's random streams derive from the seed (see simpool.engine.Streams)."""


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
    min_replications: int | None = None
    """With adaptive replications, the fewest a point ran (``replications`` is then the
    most, and each row's ``replications`` says how many it ran); None: a fixed grid."""
    reused_points: int = field(default=0, compare=False)
    """Points whose every replication came from the run cache (``resume``); not in the document."""
    reused_runs: int = field(default=0, compare=False)

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
            **({} if self.min_replications is None else {"min_replications": self.min_replications}),
            "rows": list(self.rows),
        }


    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> SweepResult:
        """Rebuild a result from its ``sweep.json`` document (to redraw charts or tables
        without running the sweep again)."""
        return cls(name=doc["name"], scenario=doc["scenario"],
                   axes=tuple(Axis(a["path"], tuple(a["values"])) for a in doc["axes"]),
                   seed=doc["seed"], replications=doc["replications"], points=doc["points"],
                   rows=tuple(doc["rows"]), interrupted=doc["interrupted"], overrides=doc.get("overrides", {}),
                   min_replications=doc.get("min_replications"))


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
    cache: RunCache | str | Path | None = None,
    resume: bool = False,
    min_replications: int | None = None,
) -> SweepResult:
    """Run every combination of ``axes`` with ``replications`` replications each.

    Args:
        scenario: scenario data (a dict), a YAML path, None for the built-in default, or a
            Scenario (then its settings are the base).
        axes: ``{dotted path: values}``; values are a list or a string in the range syntax
            (``"10..50"``, ``"0,30m,1h"``, ``"default"``); several axes make a full grid,
            the first varying slowest.
        replications: independent replications per point (common random numbers).
        seed: overrides the scenario's seed.
        jobs: local worker processes (default, and at most: the cores available); 1 runs here.
        executor: ``"local"`` or ``"dask"`` (with ``scheduler``: an address or a Client).
        on_point: called as ``on_point(points done, points in grid, row)`` after each point.
        overrides: dotted-path settings applied to every point (``--set``).
        base_dir: where relative files (traces, samples) are found.
        cache: a :class:`~simpool.sweeps.cache.RunCache` (or its folder) that keeps every
            run's outcome as it finishes.
        resume: take the runs the cache holds (same settings, seed, replication and
            code) instead of running them; the rows are byte-identical either way.
        min_replications: below ``replications``, replicate each point only until its
            numbers decide it for the sweep's findings (:mod:`.adaptive_grid`), from this
            many up to ``replications``; None: every point gets ``replications``.

    Returns:
        A :class:`SweepResult`; on Ctrl-C (KeyboardInterrupt) the finished points, with
        ``interrupted=True``.

    Raises:
        ScenarioError: a bad argument, axis or point (named), before anything runs (see
            :mod:`simpool.sweeps.plan` for grids of more than 10,000 points).
        ExecutorError: the executor cannot start.
    """
    plan = plan_sweep(scenario, axes, replications=replications, seed=seed, overrides=overrides, base_dir=base_dir)
    if cache is not None and not isinstance(cache, RunCache):
        cache = RunCache(cache)
    return run_sweep(plan, jobs=jobs, executor=executor, scheduler=scheduler, on_point=on_point, cache=cache,
                     resume=resume, min_replications=min_replications)


def run_sweep(plan: SweepPlan, *, jobs: int | None = None, executor: str = "local", scheduler: Any = None,
              on_point: OnPoint | None = None, cache: RunCache | None = None, resume: bool = False,
              min_replications: int | None = None) -> SweepResult:
    """Run a planned sweep (:func:`~simpool.sweeps.plan.plan_sweep`); see :func:`sweep`.

    Points are built as the executor asks for runs, so only those in flight are in memory.
    With a ``cache``, every finished run is kept in it; with ``resume`` too, runs found
    there are taken from it instead of run (same scenario, seed, replication and code).
    """
    replications = plan.replications
    if min_replications is not None and min_replications != replications:
        from .adaptive_grid import run_adaptive

        done, stopped, reused_runs = run_adaptive(plan, min_replications=min_replications, jobs=jobs,
                                                  executor=executor, scheduler=scheduler, on_point=on_point,
                                                  cache=cache, resume=resume)
        return SweepResult(
            name=plan.name, scenario=plan.base, axes=plan.axes, seed=plan.point_seed(plan.scenario(0)),
            replications=replications, points=plan.points, rows=tuple(done[i] for i in sorted(done)),
            interrupted=stopped, overrides=plan.overrides, min_replications=min_replications,
            reused_runs=reused_runs)
    running: dict[int, Scenario] = {}
    """Points with replications still out, by grid index (a handful: the executor's window)."""
    sent: dict[int, tuple[int, int]] = {}
    """The runs handed to the executor and not back yet: its task number → (point, replication)."""
    outcomes: dict[int, dict[int, Outcome]] = {}
    rows: dict[int, dict[str, Any]] = {}
    reused = [0, 0]
    """Points wholly reused, runs reused."""
    numbers = itertools.count()

    def finish(index: int, k: int, outcome: Outcome) -> None:
        done = outcomes.setdefault(index, {})
        done[k] = outcome
        if len(done) == replications:
            runs = [done[j] for j in range(replications)]  # replication order: same sums, same bytes
            point = running.pop(index)
            rows[index] = _row(plan.axes, grid_values(plan.axes, index), point, plan.point_seed(point), runs)
            del outcomes[index]
            if on_point is not None:
                on_point(len(rows), plan.points, rows[index])

    def tasks() -> Iterator[Task]:
        for index in range(plan.points):
            point = running[index] = plan.scenario(index)
            seed = plan.point_seed(point)
            kept = [cache.get(point, seed, k) for k in range(replications)] if cache is not None and resume else []
            reused[0] += bool(kept) and all(o is not None for o in kept)
            for k in range(replications):
                if kept and kept[k] is not None:
                    reused[1] += 1
                    finish(index, k, kept[k])
                else:
                    sent[next(numbers)] = (index, k)  # the executor numbers the runs it takes 0, 1, 2, …
                    yield point, seed, k

    runner = make_executor(executor, jobs=jobs, scheduler=scheduler, tasks=plan.points * replications)
    interrupted = False
    try:
        for task, outcome in runner.run(tasks()):
            index, k = sent.pop(task)
            if cache is not None:
                cache.put(running[index], plan.point_seed(running[index]), k, outcome)
            finish(index, k, outcome)
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
        if cache is not None and cache.stored:
            cache.prune()
    return SweepResult(
        name=plan.name, scenario=plan.base, axes=plan.axes, seed=plan.point_seed(plan.scenario(0)),
        replications=replications, points=plan.points,
        rows=tuple(rows[i] for i in sorted(rows)), interrupted=interrupted, overrides=plan.overrides,
        reused_points=reused[0], reused_runs=reused[1],
    )


# ---------------------------------------------------------------------------- aggregation


def _row(axes: Sequence[Axis], values: Sequence[Any], scenario: Scenario, seed: int,
         runs: list[Outcome]) -> dict[str, Any]:
    row: dict[str, Any] = {axis.path: value for axis, value in zip(axes, values, strict=True)}
    row.update(metric_row(scenario, seed, runs))
    return row
