"""The rich table of a sweep's points, with the best point and the first refusal marked
(as :mod:`simpool.analysis.sweep_findings` found them)."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table
from rich.text import Text

from ..analysis.sweep_findings import BEST_RULE, SweepFindings
from ..sweeps import SweepResult
from ..sweeps.axes import label
from .findings_table import SEVERITY_MARKS

BEST = "★"
FIRST_REFUSAL = "⚠"
MARKS = {"best": BEST, "first_refusal": FIRST_REFUSAL}


def sweep_table(result: SweepResult, findings: SweepFindings, *, max_rows: int = 60) -> Table:
    """The points as a table; long sweeps show an even sample plus the marked points."""
    from rich import box

    rows = result.rows
    reps = result.replications if result.min_replications is None else \
        f"{result.min_replications}–{result.replications}"
    title = f"{result.name}: sweep of {len(result.axes)} setting{'s' if len(result.axes) > 1 else ''}, " \
            f"{reps} replication{'s' if result.replications > 1 else ''} per point, mean ±95% CI"
    if result.interrupted:
        title += f" (interrupted: {len(rows)} of {result.points} points)"
    marks = {i: " ".join(MARKS[what] for what in marked) for i, marked in findings.marked().items()}
    caption = (f"{BEST} best point: {BEST_RULE}. {FIRST_REFUSAL} first refusal: the first point where the "
               "database refused a connection. Peak DB conns: highest count against the slots usable by the app.")
    if rows and findings.best is None:
        caption = "No point is free of failed requests. " + caption
        if findings.causes:
            where = ", ".join(f"{a.name}={label(rows[findings.least_failing][a.path])}" for a in result.axes)
            failed = rows[findings.least_failing].get("failure_rate.failed") or 0.0
            caption += (f"\nWhy, at the point that failed least ({where}: {100 * failed:.1f}% failed):"
                        + "".join(f"\n {SEVERITY_MARKS[f.severity]} {f.text}" for f in findings.causes))
    table = Table(title=title, caption=caption, caption_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False)
    table.add_column("", no_wrap=True)  # the marks, first so a narrow terminal cannot squeeze them out
    for axis in result.axes:
        table.add_column(axis.name, justify="right")
    headers = COLUMNS
    for header in headers:
        table.add_column(header, justify="right")
    shown = rows_to_show(len(rows), marks, max_rows)
    previous = -1
    for i in shown:
        if i != previous + 1:
            table.add_row("", *["…"] * (len(result.axes) + len(headers)), style="dim")
        previous = i
        row = rows[i]
        style = "bold green" if BEST in marks.get(i, "") else ("bold red" if i in marks else None)
        table.add_row(Text(marks.get(i, "")), *[label(row[a.path]) for a in result.axes], *point_cells(row),
                      style=style)
    if rows and previous != len(rows) - 1:
        table.add_row("", *["…"] * (len(result.axes) + len(headers)), style="dim")
    return table


COLUMNS = ("wait p50\nms", "wait p99\nms", "failed\n%", "refused\nconns", "dials\nper s", "peak DB\nconns")
"""The measured columns of a point (after its settings), for the table and the report."""


def point_cells(row: dict[str, Any]) -> list[str]:
    """A point's measured :data:`COLUMNS`, formatted."""
    return [_fmt(row, "wait_ms.p50"), _fmt(row, "wait_ms.p99", ci=True), _fmt(row, "failure_rate.failed", scale=100),
            _fmt(row, "database.refused_connections", decimals=0), _fmt(row, "per_s.dials"), _peak(row)]


def rows_to_show(n: int, marks: dict[int, str], max_rows: int) -> list[int]:
    """The rows a long table shows: an even sample, the last row and the marked ones."""
    if n <= max_rows:
        return list(range(n))
    step = math.ceil(n / max_rows)
    return sorted(set(range(0, n, step)) | {n - 1} | set(marks))


def _fmt(row: dict[str, Any], key: str, *, scale: float = 1.0, decimals: int | None = None, ci: bool = False) -> str:
    """A mean (and ``±`` its CI, to the same decimals) with three significant digits or so."""
    value = row.get(key)
    if value is None:
        return "–"
    value *= scale
    if decimals is None:
        decimals = _decimals(value)
    text = f"{value:,.{decimals}f}"
    half = row.get(f"{key}.ci95")
    if ci and half is not None and round(half * scale, decimals) > 0:
        text += f" ±{half * scale:,.{decimals}f}"
    return text


def _decimals(value: float) -> int:
    if value == 0 or abs(value) >= 100:
        return 0
    if abs(value) >= 10:
        return 1
    if abs(value) >= 1:
        return 2
    return min(6, 1 - math.floor(math.log10(abs(value))))


def _peak(row: dict[str, Any]) -> str:
    peak, usable = row.get("database.peak_connections"), row.get("database.usable_connections")
    if peak is None:
        return "–"
    text = f"{peak:.0f}" if float(peak).is_integer() else f"{peak:.1f}"
    return f"{text}/{usable:.0f}" if usable is not None else text
