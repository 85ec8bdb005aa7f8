"""Service-level objectives: the terms a run is gated on and ``recommend`` aims for.

A term such as ``p99_wait<50ms`` or ``error_rate<=0.1%`` names a metric of the summary, a
comparison and a threshold; a :class:`SloVerdict` says whether a run met it, by how much,
and how sure the replications make that. These are the records every renderer reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Comparison = Literal["<", "<=", ">", ">="]


@dataclass(frozen=True)
class SloTerm:
    """One objective, parsed from its text.

    Attributes:
        text: the term as the user wrote it, e.g. ``"p99_wait<50ms"``.
        metric: the summary path it reads, e.g. ``"wait_ms.p99"``.
        op: the comparison.
        threshold: the bound in the metric's own unit (ms for times, a fraction for rates,
            per second for rates of events).
        unit: the metric's unit as printed (``"ms"``, ``"%"``, ``"/s"``, ``""``).
    """

    text: str
    metric: str
    op: Comparison
    threshold: float
    unit: str


@dataclass(frozen=True)
class SloVerdict:
    """How a run (its replications) did against one term.

    Attributes:
        term: the objective.
        value: the metric's mean over the replications.
        ci95: the 95% confidence half-width, None with one replication.
        passed: the mean meets the term.
        confident: the whole 95% interval meets (or misses) the term, so more
            replications would not change the verdict.
        margin: how far the mean is inside the bound (positive) or past it (negative),
            in the metric's unit.
    """

    term: SloTerm
    value: float
    ci95: float | None
    passed: bool
    confident: bool
    margin: float
