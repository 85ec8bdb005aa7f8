"""What the sweep charts share: axis labels, the log-scale rule, and the subtitle: the
base configuration, what is swept, and what a point is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sweeps import SweepResult
from ..sweeps.axes import label
from .describe import configuration, join_wrapped
from .figures import CAP_COLOR

REFUSAL = CAP_COLOR
"""The colour of the database refusing."""
LOG_SPAN = 30.0
"""Positive values spanning more than this ratio (1.5 decades) get a log scale: a linear
one would flatten the small values a planner cares about (refusals beside timeouts)."""

AXIS_LABELS = {
    "fleet.pool.max_open": "max_open per instance (SetMaxOpenConns)",
    "fleet.pool.max_idle": "max_idle per instance (SetMaxIdleConns)",
    "fleet.pool.conn_max_lifetime": "conn_max_lifetime (SetConnMaxLifetime)",
    "fleet.pool.conn_max_idle_time": "conn_max_idle_time (SetConnMaxIdleTime)",
    "fleet.instances": "app instances",
    "database.max_connections": "database max_connections",
}


def setting(result: SweepResult, row: dict[str, Any], path: str) -> Any:
    """A point's value for ``path``: swept, or the base scenario's."""
    if path in row:
        value = row[path]
        return None if value == "default" else value
    node: Any = result.scenario
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def subtitle(result: SweepResult, width: int = 115, *, bands: bool = True) -> str:
    """The base configuration (swept settings written ``swept``), what is swept, the
    ``--set`` overrides, and what a point is."""
    swept = [a.path for a in result.axes]
    parts = [f"swept: {', '.join(f'{a.name} {value_list(a.values)}' for a in result.axes)}"]
    parts += [f"--set {path}={label(value)}" for path, value in result.overrides.items()]
    parts.append(f"mean of {result.replications} replication{'s' if result.replications > 1 else ''} per point"
                 + (", bands = 95% CI" if bands else ""))
    return configuration(result.scenario, swept=swept, width=width) + "\n" + join_wrapped(parts, width)


def value_list(values: Sequence[Any]) -> str:
    """A swept axis's values, shortened when many: ``10, 15, 20`` or ``10 … 50 (9 values)``."""
    shown = [label(v) for v in values]
    return ", ".join(shown) if len(shown) <= 6 else f"{shown[0]} … {shown[-1]} ({len(shown)} values)"
