"""A sweep with adaptive replications (``--min-replications`` below ``--replications``):
each point is replicated only until its numbers decide it for the findings a sweep
reports (:mod:`simpool.analysis.sweep_findings`: the best point, which is the knee, and the
first refusal), on :class:`~simpool.sweeps.adaptive.Replicator`'s deterministic rounds.

A point is settled when:

- it **failed** requests (a mean above 0 stays above 0 whatever runs next, so it can never
  be the best point) and its refusals are known: it refused (the same argument), or its
  95% CI on refused connections is [0, 0];
- it is **clean** (no failed request, no refusal, both with their CIs) and its p99 wait is
  clearly placed: its 95% CI lies above the best point's tie band (the lowest p99 plus its
  CI, as the best-point rule ties), so it cannot be the best, or it does not overlap the
  CI of any neighbour on the grid (one step along any axis), so its rank among them is
  known.

A point still unsettled at ``--replications`` stops there, as in a fixed grid. Rows record
the replications each point ran (``replications``), after the swept settings.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from ..exceptions import ScenarioError
from .adaptive import Point, Replicator
from .cache import RunCache
from .plan import SweepPlan, grid_values


def neighbours(sizes: Sequence[int], index: int) -> list[int]:
    """Grid indices one step away along each axis (first axis slowest)."""
    out, stride = [], 1
    for size in reversed(sizes):
        position = index // stride % size
        if position > 0:
            out.append(index - stride)
        if position < size - 1:
            out.append(index + stride)
        stride *= size
    return sorted(out)


def _known_zero(row: dict[str, Any], metric: str) -> bool:
    return row.get(metric) == 0 and row.get(f"{metric}.ci95") == 0


def settled(index: int, rows: Mapping[Hashable, dict[str, Any]], near: Sequence[int]) -> bool:
    """Whether point ``index`` is decided for the sweep's findings (see the module's rules)."""
    row = rows[index]
    failed, refused = row.get("requests.failed"), row.get("database.refused_connections") or 0.0
    if failed is None:
        return False
    refusals_known = refused > 0 or _known_zero(row, "database.refused_connections")
    if failed > 0:
        return refusals_known
    if not (refusals_known and _known_zero(row, "requests.failed")):
        return False
    p99, half = row.get("wait_ms.p99"), row.get("wait_ms.p99.ci95")
    if p99 is None or half is None:
        return False
    clean = [r for r in rows.values() if r.get("requests.failed") == 0 and r.get("wait_ms.p99") is not None]
    lowest = min(clean, key=lambda r: r["wait_ms.p99"])
    band = lowest["wait_ms.p99"] + max(lowest.get("wait_ms.p99.ci95") or 0.0, 0.01 * lowest["wait_ms.p99"])
    if lowest is not row and p99 - half > band:
        return True
    return all(_apart(row, rows[n]) for n in near if n in rows)


def _apart(row: dict[str, Any], other: dict[str, Any]) -> bool:
    """The two p99 waits' 95% CIs do not overlap (a neighbour that failed does not compete)."""
    if other.get("requests.failed") != 0:
        return True
    a, b = other.get("wait_ms.p99"), other.get("wait_ms.p99.ci95")
    if a is None or b is None:
        return False
    return abs(row["wait_ms.p99"] - a) > row["wait_ms.p99.ci95"] + b


def run_adaptive(plan: SweepPlan, *, min_replications: int, jobs: int | None, executor: str, scheduler: Any,
                 on_point: Callable[[int, int, dict[str, Any]], None] | None, cache: RunCache | None = None,
                 resume: bool = False) -> tuple[dict[int, dict[str, Any]], bool, int]:
    """Run ``plan`` with adaptive replications; returns the rows by grid index (settled
    points only, when interrupted), whether it was interrupted, and how many runs came
    from the run ``cache`` (with ``resume``; see :class:`~.adaptive.Replicator`).

    Raises:
        ScenarioError: for a grid too large to hold (rounds need every point at once).
    """
    if not plan.eager:
        raise ScenarioError(f"adaptive replications need every point at once: at most {len(plan.checked):,} "
                            f"points (not {plan.points:,})", field="--min-replications")
    if not 1 <= min_replications <= plan.replications:
        raise ScenarioError(f"must be from 1 to --replications ({plan.replications}), not {min_replications}",
                            field="--min-replications")
    sizes = [len(axis.values) for axis in plan.axes]
    points = []
    for index in range(plan.points):
        scenario = plan.scenario(index)
        points.append(Point(index, scenario, plan.point_seed(scenario)))
    near = {index: neighbours(sizes, index) for index in range(plan.points)}
    rows: dict[int, dict[str, Any]] = {}
    replicator = Replicator(jobs=jobs, executor=executor, scheduler=scheduler, cache=cache, resume=resume)

    def final(index: Hashable, metrics: dict[str, Any]) -> None:
        assert isinstance(index, int)
        row: dict[str, Any] = {axis.path: value for axis, value in
                               zip(plan.axes, grid_values(plan.axes, index), strict=True)}
        row["replications"] = replicator.count(index)
        row.update(metrics)
        rows[index] = row
        if on_point is not None:
            on_point(len(rows), plan.points, row)

    try:
        replicator.run(points, min_replications=min_replications, max_replications=plan.replications,
                       decide=lambda k, all_rows: settled(k, all_rows, near[k]), on_final=final)  # type: ignore[index]
    except KeyboardInterrupt:
        try:
            replicator.close(cancel=True)
        except KeyboardInterrupt:
            pass
        return rows, True, replicator.reused
    except BaseException:
        replicator.close(cancel=True)
        raise
    replicator.close()
    return rows, False, replicator.reused
