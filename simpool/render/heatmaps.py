"""Two-axis sweeps as heatmaps: p99 wait and failure rate over the grid, the best point
starred, refusing cells outlined, values written in the cells when they fit."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..analysis.sweep_findings import BEST_RULE, SweepFindings
from ..sweeps import SweepResult
from ..sweeps.axes import label
from .figures import BEST_COLOR, footnote, subplots, titles
from .sweep_style import AXIS_LABELS, LOG_SPAN, REFUSAL, subtitle


def heatmap_figure(result: SweepResult, findings: SweepFindings, key: str, what: str, *,
                   scale: float = 1.0) -> Any:
    """The metric ``key`` (times ``scale``) over a two-axis grid (call inside
    :func:`~simpool.render.figures.figure_style`)."""
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    xa, ya = result.axes
    grid = np.full((len(ya.values), len(xa.values)), np.nan)
    refused = np.zeros_like(grid, dtype=bool)
    for row in result.rows:
        i, j = ya.values.index(row[ya.path]), xa.values.index(row[xa.path])
        value = row.get(key)
        grid[i, j] = np.nan if value is None else value * scale
        refused[i, j] = (row.get("database.refused_connections") or 0) > 0
    positive = grid[np.isfinite(grid) & (grid > 0)]
    wide = positive.size and positive.max() / positive.min() > LOG_SPAN
    norm = LogNorm(positive.min(), positive.max()) if wide else Normalize(0, np.nanmax(grid) if positive.size else 1)
    cmap = colormaps["YlGnBu" if key.startswith("wait") else "magma_r"].with_extremes(bad="#f0f0f0")  # dark = bad
    shown = np.where(grid > 0, grid, np.nan) if wide else grid
    width = max(8.0, min(14.0, 0.45 * len(xa.values) + 2.5))
    height = max(3.5, min(10.0, 0.4 * len(ya.values) + 2.0))
    fig, ax = subplots(figsize=(width, height))
    image = ax.imshow(shown, origin="lower", aspect="auto", cmap=cmap, norm=norm, interpolation="nearest")
    bar = fig.colorbar(image, ax=ax, label=what + (", log scale" if wide else ""))
    if wide:  # ticks at 1 (and 2, 5 over up to 3 decades) × 10ⁿ: enough to read a colour, never crowded
        decades = math.log10(positive.max() / positive.min())
        bar.ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if decades <= 3 else (1.0,)))
        bar.ax.yaxis.set_minor_formatter(NullFormatter())
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 300, not 3 × 10²
    ax.grid(False)
    ax.set_xticks(range(len(xa.values)), xa.labels())
    ax.set_yticks(range(len(ya.values)), ya.labels())
    _thin_ticks(ax)
    ax.set_xlabel(AXIS_LABELS.get(xa.path, xa.path))
    ax.set_ylabel(AXIS_LABELS.get(ya.path, ya.path))
    if grid.size <= 300:
        for (i, j), value in np.ndenumerate(grid):
            if np.isfinite(value):
                shade = cmap(norm(shown[i, j])) if np.isfinite(shown[i, j]) else cmap.get_bad()
                luminance = 0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2]
                ax.text(j, i, _short(value), ha="center", va="center", fontsize=7,
                        color="white" if luminance < 0.5 else "black")
    for i, j in zip(*np.nonzero(refused), strict=True):
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=REFUSAL, linewidth=1.5))
    notes = ["Red outline: the database refused connections at that point." if refused.any()
             else "The database refused no connection at any point."]
    if findings.best is not None:
        row = result.rows[findings.best]
        i, j = ya.values.index(row[ya.path]), xa.values.index(row[xa.path])
        ax.plot(j - 0.3, i + 0.28, marker="*", markersize=13, color=BEST_COLOR, markeredgecolor="white",
                markeredgewidth=0.8, linestyle="none", zorder=5)
        notes.append(f"★ best point: {xa.name} {label(row[xa.path])}, {ya.name} {label(row[ya.path])} ({BEST_RULE}).")
    else:
        notes.append("No point is free of failed requests: no best point.")
    if wide and (grid == 0).any():
        notes.append("Grey: 0, which has no place on a log colour scale.")
    name = what.split(" (")[0]
    titles(ax, f"{name if name.startswith('p99') else name.capitalize()} by {xa.name} and {ya.name}",
           subtitle(result, width=int(width * 13), bands=False))
    footnote(ax, notes, width=int(width * 13))
    return fig


def _thin_ticks(ax: Any, most: int = 20) -> None:
    for axis in (ax.xaxis, ax.yaxis):
        ticks = axis.get_major_ticks()
        step = math.ceil(len(ticks) / most)
        for k, tick in enumerate(ticks):
            tick.label1.set_visible(k % step == 0)


def _short(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2g}"
