"""Why no point of a sweep is free of failed requests: the run's diagnosis rules, read at
the point that failed least.

A sweep row holds the summary's metrics flattened (``wait_ms.p99``, ``load.utilisation``…),
so the rules can read it as a summary; the point's scenario is the sweep's base with the
point's settings. The findings say what happened there and give no advice (what-ifs are
for ``simpool run`` at that point), so that a grid whose every point fails says *why*:
a saturated database, a cap the fleet outgrows, leaked rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..exceptions import ScenarioError
from .diagnosis import Finding, diagnose

SHOWN = 3
"""At most this many causes (problems and warnings, in the diagnosis's order)."""


def least_failing(rows: Any) -> int | None:
    """Index of the point with the smallest share of failed requests (first on a tie)."""
    rated = [(row.get("failure_rate.failed"), i) for i, row in enumerate(rows)]
    rated = [(rate, i) for rate, i in rated if rate is not None]
    return min(rated)[1] if rated else None


def summary_of(row: dict[str, Any]) -> dict[str, Any]:
    """A sweep row read back as a summary document (no instances, no error texts)."""
    summary: dict[str, Any] = {"instances": [], "error_messages": {}}
    for name, value in row.items():
        section, _, key = name.partition(".")
        if not key or key.endswith(".ci95") or "." in key:
            continue
        summary.setdefault(section, {})[key] = {"mean": value, "ci95": row.get(f"{name}.ci95")}
    return summary


def why_no_clean_point(result: Any, *, base_dir: str | Path | None = None) -> tuple[int | None, tuple[Finding, ...]]:
    """When every point of ``result`` (a SweepResult) failed requests: the point that
    failed least and the problems and warnings the rules find there; else ``(None, ())``.
    Also ``(None, ())`` when the point's scenario cannot be rebuilt (a relative file path
    without ``base_dir``)."""
    from ..scenario import apply_overrides, validate_scenario

    rows = result.rows
    if not rows or any(row.get("requests.failed") == 0 for row in rows):
        return None, ()
    index = least_failing(rows)
    if index is None:
        return None, ()
    row = rows[index]
    settings = {axis.path: axis.override(row[axis.path]) for axis in result.axes}
    try:
        scenario = validate_scenario(apply_overrides(result.scenario, settings), base_dir=base_dir)
    except ScenarioError:
        return None, ()
    findings = [f for f in diagnose(scenario, summary_of(row)) if f.severity in ("problem", "warning")]
    return index, tuple(findings[:SHOWN])
