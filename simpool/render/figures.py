"""Shared figure plumbing: one document-friendly style, figures without global state, and
PNG + SVG saving into an :class:`~simpool.render.files.OutputFolder`.

Figures are built with matplotlib's object API on a :class:`matplotlib.figure.Figure`:
no ``pyplot``, no backend switch, no global ``rcParams`` change, so a notebook that
imports simpool keeps its inline backend and its own style. The style applies inside
:func:`figure_style`, around both drawing and saving (``savefig.*`` are read at save time).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FORMATS = ("png", "svg")
"""Every figure is written in each of these formats."""

STYLE = {
    "figure.figsize": (8.0, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "svg.hashsalt": "simpool",  # stable SVG ids: the same figure gives the same bytes
}


@contextmanager
def figure_style() -> Iterator[None]:
    """simpool's style for the figures drawn (and saved) inside the block."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield


def new_figure(**kwargs: Any) -> Any:
    """A :class:`~matplotlib.figure.Figure` (call inside :func:`figure_style`)."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def subplots(*args: Any, figsize: tuple[float, float] | None = None, layout: str | None = None,
             **kwargs: Any) -> tuple[Any, Any]:
    """``pyplot.subplots`` without pyplot: a new figure and its axes."""
    figure_kwargs = {key: value for key, value in (("figsize", figsize), ("layout", layout)) if value is not None}
    fig = new_figure(**figure_kwargs)
    return fig, fig.subplots(*args, **kwargs)


def figure_names(stems: Iterable[str]) -> list[str]:
    """The file names of figures ``stems``, in every format."""
    return [f"{stem}.{fmt}" for stem in stems for fmt in FORMATS]


def save_figure(fig: Any, out: Any, stem: str) -> list[Path]:
    """Write ``fig`` as ``stem.png`` and ``stem.svg`` into ``out`` (an
    :class:`~simpool.render.files.OutputFolder`); returns their paths."""
    paths = []
    with figure_style():
        for fmt in FORMATS:
            buffer = io.BytesIO()
            metadata = {"Date": None} if fmt == "svg" else {"Software": None}
            fig.savefig(buffer, format=fmt, metadata=metadata)
            paths.append(out.write(f"{stem}.{fmt}", buffer.getvalue()))
    return paths


def titles(ax: Any, title: str, subtitle: str) -> None:
    """A title over a small grey subtitle, both left-aligned and stacked in points so they
    never overlap whatever the figure's size."""
    lines = subtitle.count("\n") + 1
    ax.annotate(subtitle, xy=(0, 1), xycoords="axes fraction", xytext=(0, 6), textcoords="offset points",
                fontsize=8, color="#444444", va="bottom", ha="left")
    ax.annotate(title, xy=(0, 1), xycoords="axes fraction", xytext=(0, 10 + 10 * lines), textcoords="offset points",
                fontsize=12, va="bottom", ha="left")
