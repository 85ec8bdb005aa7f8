"""Shared figure plumbing: one document-friendly style and palette, a header (title over
the configuration) and a footnote on every figure, figures without global state, and
PNG + SVG output.

Figures are built with matplotlib's object API on a :class:`matplotlib.figure.Figure`:
no ``pyplot``, no backend switch, no global ``rcParams`` change, so a notebook that
imports simpool keeps its inline backend and its own style. The style applies inside
:func:`figure_style`, around both drawing and saving (``savefig.*`` are read at save time).
A figure shows itself in Jupyter (``_repr_png_``) although pyplot never saw it.
"""

from __future__ import annotations

import functools
import io
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .files import atomic_write

STYLE = {
    "figure.figsize": (8.0, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.15,
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10.5,
    "axes.titlelocation": "left",
    "axes.labelsize": 9.5,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "svg.hashsalt": "simpool",  # stable SVG ids: the same figure gives the same bytes
}
TITLE_SIZE = 13
NOTE_SIZE = 8
NOTE_COLOR = "#444444"

# One palette for every figure: the same thing has the same colour everywhere.
CAP_COLOR = "#c0392b"
"""max_connections, and the database refusing."""
USABLE_COLOR = "#e67e22"
DB_COLOR = "#1f2d3d"
FLEET_COLOR = "#2e86c1"
SPIKE_COLOR = "#f5b041"
WARMUP_COLOR = "#b3b6b7"
LIMIT_COLOR = "#222222"
"""A setting's limit (MaxOpen, MaxIdle, cores, a deadline)."""
BEST_COLOR = "#2ca02c"
ERROR_COLORS = {"too_many_connections": CAP_COLOR, "deadline_exceeded": "#ff7f0e",
                "bad_connection": "#9467bd", "other": "#7f7f7f"}
ERROR_LABELS = {"too_many_connections": "too many connections (refused)", "deadline_exceeded": "deadline exceeded",
                "bad_connection": "bad connection", "other": "other"}


@contextmanager
def figure_style() -> Iterator[None]:
    """simpool's style for the figures drawn (and saved) inside the block."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield


@functools.cache
def _figure_class() -> type:
    from matplotlib.figure import Figure

    class SimpoolFigure(Figure):
        """A Figure that Jupyter draws inline without pyplot (IPython asks ``_repr_png_``)."""

        def _repr_png_(self) -> bytes:
            return render_figure(self, "png")

    return SimpoolFigure


def new_figure(**kwargs: Any) -> Any:
    """A :class:`~matplotlib.figure.Figure` (call inside :func:`figure_style`)."""
    return _figure_class()(**kwargs)


def subplots(*args: Any, figsize: tuple[float, float] | None = None, layout: str | None = None,
             **kwargs: Any) -> tuple[Any, Any]:
    """``pyplot.subplots`` without pyplot: a new figure and its axes."""
    figure_kwargs = {key: value for key, value in (("figsize", figsize), ("layout", layout)) if value is not None}
    fig = new_figure(**figure_kwargs)
    return fig, fig.subplots(*args, **kwargs)


def render_figure(fig: Any, fmt: str) -> bytes:
    """``fig`` as PNG or SVG bytes, in simpool's style, without dates or software names
    (the same figure gives the same bytes)."""
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with figure_style():
        fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def figure_files(fig: Any, stem: str) -> list[tuple[str, bytes]]:
    """``(stem.png, bytes)`` and ``(stem.svg, bytes)``: what :func:`save_figure` writes."""
    return [(f"{stem}.{fmt}", render_figure(fig, fmt)) for fmt in ("png", "svg")]


def save_figure(fig: Any, stem: str | Path) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.svg`` (each atomically)."""
    stem = Path(stem)
    return [atomic_write(stem.parent / name, data) for name, data in figure_files(fig, stem.name)]


def titles(ax: Any, title: str, subtitle: str) -> None:
    """The figure's header, on its top-left axes: a bold title over a small grey subtitle
    (the configuration), left-aligned and stacked in points so that they never overlap
    whatever the figure's size, above the axes' own title if it has one."""
    lines = subtitle.count("\n") + 1 if subtitle else 0
    base = 6 + (20 if ax.get_title(loc="left") else 0)
    if subtitle:
        ax.annotate(subtitle, xy=(0, 1), xycoords="axes fraction", xytext=(0, base), textcoords="offset points",
                    fontsize=NOTE_SIZE, color=NOTE_COLOR, va="bottom", ha="left", linespacing=1.3)
    ax.annotate(title, xy=(0, 1), xycoords="axes fraction", xytext=(0, base + 4 + 10.5 * lines),
                textcoords="offset points", fontsize=TITLE_SIZE, fontweight="bold", va="bottom", ha="left")


def footnote(ax: Any, lines: list[str], width: int = 120) -> None:
    """Notes under the bottom axes (below its x label), each wrapped at ``width``
    characters: what is left out and why, or what a mark means. Nothing for no notes."""
    if lines:
        text = "\n".join(wrapped for line in lines for wrapped in textwrap.wrap(line, width, break_on_hyphens=False))
        ax.annotate(text, xy=(0, 0), xycoords="axes fraction", xytext=(0, -36), textcoords="offset points",
                    fontsize=NOTE_SIZE, color=NOTE_COLOR, va="top", ha="left", linespacing=1.3)
