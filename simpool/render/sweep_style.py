"""What the sweep charts share: axis labels, colours, the log-scale rule, and the subtitle
naming the scenario and the settings held fixed."""

from __future__ import annotations

import textwrap
from typing import Any

from ..sweeps import SweepResult
from ..sweeps.axes import label

REFUSAL = "#d62728"
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
FIXED = (
    ("fleet.instances", "instances", str),
    ("fleet.pool.max_open", "max_open", lambda v: "unlimited" if v == 0 else str(v)),
    ("fleet.pool.max_idle", "max_idle", lambda v: "2 (Go default)" if v is None else str(v)),
    ("fleet.pool.conn_max_lifetime", "lifetime", lambda v: "forever" if v in (0, "0") else str(v)),
    ("fleet.pool.conn_max_idle_time", "idle time", lambda v: "forever" if v in (0, "0") else str(v)),
    ("database.max_connections", "max_connections", str),
)


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


def subtitle(result: SweepResult, width: int = 110, *, bands: bool = True) -> str:
    """The scenario and the settings held fixed, as a title's second line."""
    swept = {a.path for a in result.axes}
    fixed = []
    for path, name, fmt in FIXED:
        if path in swept:
            continue
        value = setting(result, {}, path)
        if path == "database.max_connections":
            fixed.append(f"{result.scenario.get('database', {}).get('flavor', '')} {name} {value}")
        else:
            fixed.append(f"{name} {fmt(value)}")
    for path, value in result.overrides.items():
        if path not in {p for p, _, _ in FIXED}:
            fixed.append(f"{path}={label(value)}")
    text = (f"scenario '{result.name}' · {', '.join(fixed)} · mean of {result.replications} "
            f"replication{'s' if result.replications > 1 else ''}" + (", bands = 95% CI" if bands else ""))
    return "\n".join(textwrap.wrap(text, width))
