"""A sweep's outputs: ``sweep.csv``, ``sweep.json`` (each written atomically), and the rich
table of points with the best point and the first refusal marked."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from .outputs import atomic_write
from .sweep_axes import label
from .sweep_run import SweepResult

BEST = "★"
FIRST_REFUSAL = "⚠"
BEST_RULE = (f"{BEST} best point: lowest p99 wait among points without failed requests (within its 95% CI), "
             "then fewest database connections")


# ---------------------------------------------------------------------------- marked points


def best_point(rows: Sequence[dict[str, Any]]) -> int | None:
    """Index of the point a planner would pick, or None if every point has failures.

    Among points with no failed request, those whose p99 wait is within the lowest
    p99's 95% CI (or 1% of it) are statistically tied; of those, the one with the
    fewest peak database connections wins (the knee, not the plateau), then grid order.
    """
    clean = [i for i, row in enumerate(rows)
             if row.get("requests.failed") == 0 and row.get("wait_ms.p99") is not None]
    if not clean:
        return None
    lowest = min(clean, key=lambda i: rows[i]["wait_ms.p99"])
    p99 = rows[lowest]["wait_ms.p99"]
    margin = max(rows[lowest].get("wait_ms.p99.ci95") or 0.0, 0.01 * p99)
    tied = [i for i in clean if rows[i]["wait_ms.p99"] <= p99 + margin]
    return min(tied, key=lambda i: (rows[i].get("database.peak_connections") or 0.0, i))


def first_refusal(rows: Sequence[dict[str, Any]]) -> int | None:
    """Index of the first point (grid order) where the database refused a connection."""
    for i, row in enumerate(rows):
        if (row.get("database.refused_connections") or 0.0) > 0:
            return i
    return None


def notes(rows: Sequence[dict[str, Any]]) -> dict[int, str]:
    marks: dict[int, list[str]] = {}
    best, refusal = best_point(rows), first_refusal(rows)
    if best is not None:
        marks.setdefault(best, []).append(BEST)
    if refusal is not None:
        marks.setdefault(refusal, []).append(FIRST_REFUSAL)
    return {i: " ".join(m) for i, m in marks.items()}


# ---------------------------------------------------------------------------- files


def write_outputs(result: SweepResult, out: str | Path) -> list[Path]:
    """Write ``sweep.csv`` and ``sweep.json`` into ``out``; each appears whole or not at all."""
    out = Path(out)
    return [atomic_write(out / "sweep.csv", to_csv(result)), atomic_write(out / "sweep.json", to_json(result))]


def to_csv(result: SweepResult) -> str:
    """One row per finished point: the swept settings, then every metric and its ``ci95``."""
    columns = list(result.rows[0]) if result.rows else [a.path for a in result.axes]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in result.rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same float
    return label(value)


def to_json(result: SweepResult) -> str:
    return json.dumps(_json_safe(result.document()), indent=2, allow_nan=False) + "\n"


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


# ---------------------------------------------------------------------------- table


def sweep_table(result: SweepResult, *, max_rows: int = 60) -> Table:
    """The points as a table; long sweeps show an even sample plus the marked points."""
    from rich import box

    rows = result.rows
    title = f"{result.name}: sweep of {len(result.axes)} setting{'s' if len(result.axes) > 1 else ''}, " \
            f"{result.replications} replication{'s' if result.replications > 1 else ''} per point, mean ±95% CI"
    if result.interrupted:
        title += f" (interrupted: {len(rows)} of {result.points} points)"
    marks = notes(rows)
    caption = (f"{BEST_RULE}. {FIRST_REFUSAL} first refusal: the first point where the database refused a "
               "connection. Peak DB conns: highest count against the slots usable by the app.")
    if rows and best_point(rows) is None:
        caption = "No point is free of failed requests. " + caption
    table = Table(title=title, caption=caption, caption_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False)
    table.add_column("", no_wrap=True)  # the marks, first so a narrow terminal cannot squeeze them out
    for axis in result.axes:
        table.add_column(axis.name, justify="right")
    headers = ("wait p50\nms", "wait p99\nms", "failed\n%", "refused\nconns", "dials\nper s", "peak DB\nconns")
    for header in headers:
        table.add_column(header, justify="right")
    shown = _rows_to_show(len(rows), marks, max_rows)
    previous = -1
    for i in shown:
        if i != previous + 1:
            table.add_row("", *["…"] * (len(result.axes) + len(headers)), style="dim")
        previous = i
        row = rows[i]
        style = "bold green" if BEST in marks.get(i, "") else ("bold red" if i in marks else None)
        table.add_row(
            Text(marks.get(i, "")),
            *[label(row[a.path]) for a in result.axes],
            _fmt(row, "wait_ms.p50"),
            _fmt(row, "wait_ms.p99", ci=True),
            _fmt(row, "failure_rate.failed", scale=100),
            _fmt(row, "database.refused_connections", decimals=0),
            _fmt(row, "per_s.dials"),
            _peak(row),
            style=style,
        )
    if rows and previous != len(rows) - 1:
        table.add_row("", *["…"] * (len(result.axes) + len(headers)), style="dim")
    return table


def _rows_to_show(n: int, marks: dict[int, str], max_rows: int) -> list[int]:
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
