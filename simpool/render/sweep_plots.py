"""Sweep charts a planner can paste into a design document (PNG and SVG).

One axis: wait percentiles, failure rate by kind, dials and handshake time per second,
and peak database connections against the cap, each against the swept setting, with 95%
CI bands, the best point starred and the first refusal marked. Two axes: heatmaps of p99
wait and failure rate (:mod:`simpool.render.heatmaps`). Values spanning more than 1.5
decades get a log scale. The marked points are the sweep's findings
(:mod:`simpool.analysis.sweep_findings`); nothing is ranked here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis.sweep_findings import SweepFindings
from ..result import ERROR_KINDS
from ..sweeps import SweepResult
from ..sweeps.axes import Axis, label
from ..units import format_duration, parse_duration
from .figures import (
    BEST_COLOR,
    ERROR_COLORS,
    ERROR_LABELS,
    LIMIT_COLOR,
    figure_files,
    figure_style,
    footnote,
    subplots,
    titles,
)
from .files import atomic_write
from .heatmaps import heatmap_figure
from .sweep_style import AXIS_LABELS, LOG_SPAN, REFUSAL, setting, subtitle

COLORS = {"p50": "#9ecae1", "p95": "#3182bd", "p99": "#08306b", **ERROR_COLORS}


def plot_files(result: SweepResult, findings: SweepFindings) -> list[tuple[str, bytes]]:
    """Every chart as ``(name, bytes)``, PNG and SVG: what :func:`plot_sweep` writes."""
    return [file for stem, fig in sweep_figures(result, findings).items() for file in figure_files(fig, stem)]


def plot_sweep(result: SweepResult, findings: SweepFindings, out: str | Path) -> list[Path]:
    """Write the charts for ``result`` into ``out``; returns the files (none for 3+ axes)."""
    return [atomic_write(Path(out) / name, data) for name, data in plot_files(result, findings)]


def sweep_figures(result: SweepResult, findings: SweepFindings) -> dict[str, Any]:
    """The charts of a sweep by file stem: four for one axis, two heatmaps for two axes,
    none for more (or for a sweep with no finished point)."""
    if not result.rows:
        return {}
    with figure_style():
        if len(result.axes) == 1:
            x = XAxis(result.axes[0], result.rows)
            return {"sweep-wait": wait_chart(result, findings, x),
                    "sweep-failures": failure_chart(result, findings, x),
                    "sweep-dials": dial_chart(result, findings, x),
                    "sweep-connections": connection_chart(result, findings, x)}
        if len(result.axes) == 2:
            return {"sweep-wait-heatmap": heatmap_figure(result, findings, "wait_ms.p99",
                                                         "p99 wait for a connection (ms)"),
                    "sweep-failures-heatmap": heatmap_figure(result, findings, "failure_rate.failed",
                                                             "failed requests (%)", scale=100)}
    return {}


# ---------------------------------------------------------------------------- the x axis


class XAxis:
    """Positions of the swept values: numbers as numbers, durations in seconds (ticks
    written as durations), anything else (``default``, names) as evenly spaced categories."""

    def __init__(self, axis: Axis, rows: Sequence[dict[str, Any]]):
        self.axis = axis
        self.values = [row[axis.path] for row in rows]
        self.kind = _kind(axis.values)
        if self.kind == "number":
            self.positions = np.array(self.values, dtype=float)
        elif self.kind == "duration":
            self.positions = np.array([parse_duration(v) for v in self.values], dtype=float)
        else:
            order = list(axis.values)
            self.positions = np.array([order.index(v) for v in self.values], dtype=float)
        self.label = AXIS_LABELS.get(axis.path, axis.path)

    def apply(self, ax: Any) -> None:
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        ax.set_xlabel(self.label)
        if self.kind == "category":
            ax.set_xticks(self.positions, [label(v) for v in self.values])
        elif self.kind == "duration":
            ax.set_xticks(_duration_ticks(self.positions))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda s, _: format_duration(max(s, 0.0))))
        elif all(float(v).is_integer() for v in self.values):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(self.positions) > 1:
            pad = 0.02 * (self.positions.max() - self.positions.min())
            ax.set_xlim(self.positions.min() - pad, self.positions.max() + pad)

    def at(self, i: int) -> str:
        return f"{self.axis.name} = {label(self.values[i])}"


def _duration_ticks(seconds: np.ndarray) -> np.ndarray:
    """The swept values themselves when few, else round steps in the unit that suits the
    range (ticks at 30m, 1h, not at 33m20s)."""
    from matplotlib.ticker import MaxNLocator

    if len(seconds) <= 10:
        return np.unique(seconds)
    low, high = float(seconds.min()), float(seconds.max())
    unit = next((u for u in (3600.0, 60.0, 1.0, 1e-3) if (high - low) / u >= 2), 1e-3)
    ticks = MaxNLocator(8, steps=[1, 2, 3, 5, 6, 10]).tick_values(low / unit, high / unit) * unit
    return ticks[(ticks >= low) & (ticks <= high)]


def _kind(values: Sequence[Any]) -> str:
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "number"
    try:
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (str, int, float)):
                return "category"
            parse_duration(v)
        return "duration"
    except ValueError:
        return "category"


# ---------------------------------------------------------------------------- one axis


def wait_chart(result: SweepResult, findings: SweepFindings, x: XAxis) -> Any:
    fig, ax = subplots()
    series = {p: _series(result.rows, f"wait_ms.{p}") for p in ("p50", "p95", "p99")}
    log = _log_if_wide(ax, [mean for mean, _ in series.values()])
    notes = []
    for p, (mean, half) in series.items():
        if np.nan_to_num(mean).max(initial=0) == 0:
            notes.append(f"{p} wait is 0 ms at every point: not drawn.")
            continue
        if log and (mean == 0).any():
            notes.append(f"{p} wait is 0 ms from {x.at(int(np.nonzero(mean == 0)[0][0]))} on: not drawn on a log scale."
                         if _zero_tail(mean) else f"{p} wait is 0 ms at some points: not drawn on a log scale.")
        _line(ax, x, mean, half, label=p, color=COLORS[p], log=log)
    best = findings.best
    if best is not None:
        mean, _ = series["p99"]
        if mean[best] > 0 or not log:
            ax.plot(x.positions[best], mean[best], marker="*", markersize=16, color=BEST_COLOR, linestyle="none",
                    label=f"best: {x.at(best)}", zorder=5)
    _mark_refusals(ax, result, findings, x)
    ax.set_ylabel("wait for a connection (ms)" + (", log scale" if log else ""))
    _finish(ax, x, result, "Wait for a connection", notes)
    return fig


def _zero_tail(mean: np.ndarray) -> bool:
    """True when the zeros form the end of the series (the usual shape: no wait past the knee)."""
    zero = np.nonzero(mean == 0)[0]
    return bool(zero.size) and bool((mean[zero[0]:] == 0).all())


def failure_chart(result: SweepResult, findings: SweepFindings, x: XAxis) -> Any:
    fig, ax = subplots()
    kinds = {kind: _series(result.rows, f"failure_rate.{kind}") for kind in ERROR_KINDS}
    kinds = {k: (100 * m, None if h is None else 100 * h) for k, (m, h) in kinds.items()
             if np.nan_to_num(m).max(initial=0) > 0}
    log = _log_if_wide(ax, [mean for mean, _ in kinds.values()])
    for kind, (mean, half) in kinds.items():
        _line(ax, x, mean, half, label=ERROR_LABELS[kind], color=COLORS[kind], log=log)
    notes = []
    if log and any((mean == 0).any() for mean, _ in kinds.values()):
        notes.append("A point with 0 % of a kind has no place on the log scale: its line has a gap there.")
    if not kinds:
        ax.text(0.5, 0.5, "no failed requests at any point", transform=ax.transAxes, ha="center", va="center")
        ax.set_ylim(0, 1)
    elif not log:
        ax.set_ylim(bottom=0)
    _mark_refusals(ax, result, findings, x)
    ax.set_ylabel("failed requests (% of requests)" + (", log scale" if log else ""))
    _finish(ax, x, result, "Failed requests by kind", notes)
    return fig


def dial_chart(result: SweepResult, findings: SweepFindings, x: XAxis) -> Any:
    fig, (left, right) = subplots(1, 2, figsize=(10, 4.5))
    for ax, key, ylabel, color in (
        (left, "per_s.dials", "connection dials per second of traffic", "#3182bd"),
        (right, "per_s.handshake_s", "handshake time (s per second of traffic)", "#e6550d"),
    ):
        mean, half = _series(result.rows, key)
        log = _log_if_wide(ax, [mean])
        _line(ax, x, mean, half, label="mean, 95% CI band", color=color, log=log)
        if not log:
            ax.set_ylim(bottom=0)
        _mark_refusals(ax, result, findings, x, legend=ax is left)
        ax.set_ylabel(ylabel)
        x.apply(ax)
    left.legend(loc="best", frameon=True, framealpha=0.85, edgecolor="none")
    titles(left, f"Connection churn vs {x.axis.name}: dials, and database time spent on handshakes",
            subtitle(result, width=150))
    return fig


def connection_chart(result: SweepResult, findings: SweepFindings, x: XAxis) -> Any:
    fig, ax = subplots()
    mean, half = _series(result.rows, "database.peak_connections")
    _line(ax, x, mean, half, label="peak database connections", color="#08306b")
    usable, _ = _series(result.rows, "database.usable_connections")
    cap, _ = _series(result.rows, "database.max_connections")
    ax.plot(x.positions, cap, color=LIMIT_COLOR, linewidth=1.5, label="max_connections")
    if not np.array_equal(usable, cap):
        ax.plot(x.positions, usable, color=LIMIT_COLOR, linewidth=1.2, linestyle="--",
                label="usable by the app (max_connections − reserved)")
    ceiling = _ceiling(result, x)
    if ceiling is not None:
        ax.plot(x.positions, ceiling, color="#7f7f7f", linewidth=1, linestyle=":",
                label="configured ceiling: instances × max_open + other clients")
    _mark_refusals(ax, result, findings, x)
    top = np.nanmax([np.nanmax(mean), np.nanmax(cap)])
    ax.set_ylim(0, top * 1.15)
    ax.set_ylabel("database connections")
    _finish(ax, x, result, "Peak database connections against the cap")
    return fig


def _ceiling(result: SweepResult, x: XAxis) -> np.ndarray | None:
    """instances × max_open + other_clients per point, where max_open is finite."""
    values = []
    for row in result.rows:
        instances = setting(result, row, "fleet.instances")
        max_open = setting(result, row, "fleet.pool.max_open")
        others = setting(result, row, "database.other_clients") or 0
        if not isinstance(instances, int) or not isinstance(max_open, int) or max_open <= 0:
            return None
        if result.scenario.get("fleet", {}).get("autoscale") is not None:
            return None
        values.append(instances * max_open + others)
    return np.array(values, dtype=float)


# ---------------------------------------------------------------------------- shared pieces


def _series(rows: Sequence[dict[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray | None]:
    mean = np.array([np.nan if row.get(key) is None else row[key] for row in rows], dtype=float)
    halves = [row.get(f"{key}.ci95") for row in rows]
    half = None if all(h is None for h in halves) else np.array([np.nan if h is None else h for h in halves])
    return mean, half


def _line(ax: Any, x: XAxis, mean: np.ndarray, half: np.ndarray | None, *, label: str, color: str,
          log: bool = False) -> None:
    """A mean with its 95% CI band; on a log scale zeros are left out rather than drawn
    as a plunge to the axis."""
    if log:
        mean = np.where(mean > 0, mean, np.nan)
    ax.plot(x.positions, mean, marker="o", markersize=3, linewidth=1.6, color=color, label=label)
    if half is not None:
        low = mean - np.nan_to_num(half)
        low = np.where(low > 0, low, mean / 10) if log else np.maximum(low, 0)
        ax.fill_between(x.positions, low, mean + np.nan_to_num(half), color=color, alpha=0.2, linewidth=0)


def _log_if_wide(ax: Any, series: Sequence[np.ndarray]) -> bool:
    """A log scale when the positive values span more than LOG_SPAN; says if it chose one."""
    values = np.concatenate([s[np.isfinite(s) & (s > 0)] for s in series]) if series else np.array([])
    if values.size and values.max() / values.min() > LOG_SPAN:
        from matplotlib.ticker import FuncFormatter

        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 1000, not 10³
        return True
    return False


def _mark_refusals(ax: Any, result: SweepResult, findings: SweepFindings, x: XAxis, *,
                   legend: bool = True) -> None:
    """Shade each run of neighbouring points where the database refused connections, from
    its first point to its last (half a step wide for a lone point: nothing is claimed
    about the settings between two measured points), and draw a line at the first refusal."""
    first = findings.first_refusal
    if first is None:
        return
    refusing = {float(x.positions[i]) for i, row in enumerate(result.rows)
                if (row.get("database.refused_connections") or 0) > 0}
    ordered = np.unique(x.positions)
    shaded = False
    for start, end in _runs(ordered, refusing):
        if start == end:
            k = int(np.searchsorted(ordered, start))
            step = (ordered[k + 1] - start) if k + 1 < len(ordered) else (start - ordered[k - 1] if k else 1.0)
            end = start + step / 2
        ax.axvspan(start, end, color=REFUSAL, alpha=0.07, linewidth=0,
                   label="database refusing" if legend and not shaded else None)
        shaded = True
    ax.axvline(x.positions[first], color=REFUSAL, linestyle="--", linewidth=1.2,
               label=f"first refusal: {x.at(first)}" if legend else None)


def _runs(ordered: np.ndarray, marked: set[float]) -> list[tuple[float, float]]:
    """Maximal runs of neighbouring positions in ``marked``: (first, last) of each."""
    runs: list[tuple[float, float]] = []
    previous = False
    for position in ordered.tolist():
        if position in marked:
            runs = [*runs[:-1], (runs[-1][0], position)] if previous else [*runs, (position, position)]
        previous = position in marked
    return runs


def _finish(ax: Any, x: XAxis, result: SweepResult, title: str, notes: Sequence[str] = ()) -> None:
    x.apply(ax)
    ax.legend(loc="best", frameon=True, framealpha=0.85, edgecolor="none")  # readable over the lines
    titles(ax, f"{title} vs {x.axis.name}", subtitle(result))
    footnote(ax, list(notes))
