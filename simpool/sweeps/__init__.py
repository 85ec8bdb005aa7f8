"""Sweeps: a grid of settings × replications with common random numbers, run here, on
local processes or on a Dask cluster.

- :mod:`.axes`: the value syntax (``10..50``, ``10..50:5``, ``2,5,10``, ``0,30m,1h``) and grids;
- :mod:`.grid`: :func:`sweep`, the points, their replications and their rows;
- :mod:`.executors`: where runs happen;
- :mod:`.cache`: the run cache (each run's outcome on disk, for ``--resume``);
- :mod:`.replications`: a run's replications on several processes (``simpool run --jobs``).

``sweep`` and ``SweepResult`` are imported on first use (PEP 562), so that the command
line can read the value syntax (:mod:`.axes`) without paying for numpy and simpy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .axes import Axis as Axis

__all__ = ["Axis", "SweepResult", "sweep"]

if TYPE_CHECKING:
    from .grid import SweepResult, sweep


def __getattr__(name: str) -> Any:
    if name in ("SweepResult", "sweep"):
        value = getattr(import_module(".grid", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
