"""Shared figure plumbing: a document-friendly style and atomic PNG + SVG saving.

matplotlib is imported lazily (and with the non-interactive Agg backend) so that commands
that draw nothing do not pay for it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .outputs import atomic_write

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


def pyplot() -> Any:
    """``matplotlib.pyplot`` with the Agg backend and simpool's style applied."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(STYLE)
    return plt


def save_figure(fig: Any, stem: str | Path) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.svg`` (each atomically), then close it."""
    plt = pyplot()
    paths = []
    for fmt in ("png", "svg"):
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buffer, format=fmt, metadata=metadata)
        paths.append(atomic_write(Path(f"{stem}.{fmt}"), buffer.getvalue()))
    plt.close(fig)
    return paths
