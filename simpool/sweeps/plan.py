"""A sweep's plan: the base scenario, the axes, and the points, checked before anything runs.

A grid of up to :data:`EAGER_POINTS` points is built and validated whole, so a bad
combination fails in a second, not an hour in. A bigger grid (it needs ``--yes``) is
generated as it runs, one point at a time, so that memory does not grow with the grid;
before it starts, the first point and up to :data:`SPOT_CHECKS` evenly spaced values of
each axis (its first and last included) are validated, and a bad point met later stops
the sweep with the same one-line error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import ScenarioError
from ..scenario import Scenario, apply_overrides, validate_scenario
from ..scenario.loading import read_scenario_file
from .axes import Axis, grid_size, label, make_axes

EAGER_POINTS = 10_000
"""Grids up to this size are validated whole before the first run."""
SPOT_CHECKS = 64
"""Values of each axis validated up front in a bigger grid."""


@dataclass(frozen=True)
class SweepPlan:
    """Everything a sweep needs before it runs: validated, and cheap to keep.

    ``checked`` maps grid indices to their validated scenarios: every point of a grid of
    up to :data:`EAGER_POINTS`, else the spot checks (grid index 0 always among them).
    """

    data: dict[str, Any]
    """The base scenario as plain data, ``--set`` overrides applied."""
    axes: tuple[Axis, ...]
    replications: int
    seed: int | None
    """The seed given for every point (None: each point's scenario seed)."""
    overrides: dict[str, Any]
    base: dict[str, Any]
    """The base scenario's effective settings (every default filled in, before the axes)."""
    points: int
    checked: dict[int, Scenario] = field(repr=False)
    base_dir: Any = None
    source: str | None = None

    @property
    def name(self) -> str:
        return str(self.base.get("name", "default"))

    @property
    def eager(self) -> bool:
        """Whether every point was built up front."""
        return len(self.checked) == self.points

    def scenario(self, index: int) -> Scenario:
        """The validated scenario of grid point ``index`` (first axis slowest)."""
        built = self.checked.get(index)
        if built is not None:
            return built
        return _point(self.data, self.axes, grid_values(self.axes, index), self.base_dir, self.source)

    def point_seed(self, scenario: Scenario) -> int:
        return scenario.seed if self.seed is None else self.seed


def plan_sweep(
    scenario: Scenario | dict[str, Any] | str | Path | None,
    axes: dict[str, Any] | Sequence[Axis],
    *,
    replications: int = 5,
    seed: int | None = None,
    overrides: dict[str, Any] | None = None,
    base_dir: str | Path | None = None,
) -> SweepPlan:
    """Check the arguments and the points of a sweep (see :func:`simpool.sweep`).

    Raises:
        ScenarioError: a bad argument, axis or point (named), before anything runs.
    """
    data, base_dir, source = _base_data(scenario, base_dir)
    if isinstance(replications, bool) or not isinstance(replications, int) or not 1 <= replications <= 10_000:
        raise ScenarioError(f"must be an integer from 1 to 10,000 (not {replications!r})", field="replications")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64):
        raise ScenarioError(f"must be an integer >= 0 and < 2**64 (not {seed!r})", field="seed")
    axes = make_axes(axes)
    overrides = dict(overrides or {})
    for axis in axes:
        # An unknown path fails here, naming the path alone (a service by name, against the base's services).
        apply_overrides({"services": data["services"]} if isinstance(data.get("services"), list) else {},
                        {axis.path: None})
        if axis.path in overrides:
            raise ScenarioError("is both set (--set) and swept", field=axis.path)
        if axis.path == "seed" and seed is not None:
            raise ScenarioError("is both given (--seed) and swept", field="seed")
    if overrides:
        data = apply_overrides(data, overrides, source=source)
    points = grid_size(axes)
    indices = range(points) if points <= EAGER_POINTS else _spot_checks(axes)
    checked = {i: _point(data, axes, grid_values(axes, i), base_dir, source) for i in indices}
    base = _effective(data, base_dir, source) or checked[0].effective()
    return SweepPlan(data=data, axes=axes, replications=replications, seed=seed, overrides=overrides, base=base,
                     points=points, checked=checked, base_dir=base_dir, source=source)


def grid_values(axes: Sequence[Axis], index: int) -> tuple[Any, ...]:
    """The settings of grid point ``index`` (first axis slowest)."""
    values = []
    for axis in reversed(axes):
        index, i = divmod(index, len(axis.values))
        values.append(axis.values[i])
    return tuple(reversed(values))


def point_label(axes: Sequence[Axis], values: Sequence[Any]) -> str:
    return ", ".join(f"{a.path}={label(v)}" for a, v in zip(axes, values, strict=True))


def _spot_checks(axes: Sequence[Axis]) -> list[int]:
    """Grid index 0, then for each axis up to SPOT_CHECKS of its values, evenly spaced
    (first and last included), the other axes at their first value."""
    indices = {0}
    stride = 1
    for axis in reversed(axes):
        n = len(axis.values)
        picks = {round(j * (n - 1) / (SPOT_CHECKS - 1)) for j in range(SPOT_CHECKS)} if n > SPOT_CHECKS else range(n)
        indices.update(i * stride for i in picks)
        stride *= n
    return sorted(indices)


def _base_data(scenario: Any, base_dir: Any) -> tuple[dict[str, Any], Any, str | None]:
    """The scenario as raw data (so a swept ``database.flavor`` still gets its flavour's
    defaults), where its relative files live, and its name for error messages."""
    if scenario is None:
        return {}, base_dir, None
    if isinstance(scenario, Scenario):
        return scenario.as_data(), base_dir, None
    if isinstance(scenario, dict):
        return scenario, base_dir, None
    path = Path(scenario)
    return read_scenario_file(path), path.parent if base_dir is None else base_dir, str(path)


def _point(data: dict[str, Any], axes: Sequence[Axis], values: Sequence[Any], base_dir: Any,
           source: str | None) -> Scenario:
    where = f"{source}, point {point_label(axes, values)}" if source else f"point {point_label(axes, values)}"
    try:
        overrides = {axis.path: axis.override(value) for axis, value in zip(axes, values, strict=True)}
        return validate_scenario(apply_overrides(data, overrides), base_dir=base_dir)
    except ScenarioError as exc:
        raise ScenarioError(exc.problem, field=exc.field, source=where) from None


def _effective(data: dict[str, Any], base_dir: Any, source: str | None) -> dict[str, Any] | None:
    """The base scenario's effective settings, or None if only the swept values make it
    valid (``--set duration=10s --vary warmup=1s,2s`` with a 30s default warm-up)."""
    try:
        return validate_scenario(data, base_dir=base_dir, source=source).effective()
    except ScenarioError:
        return None
