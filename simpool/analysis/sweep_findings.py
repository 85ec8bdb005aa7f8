"""What a sweep found, computed once as data: the best point, the first refusal, and the
headroom left under the database's cap at the best point.

The table, the charts and ``sweep.json`` all read a :class:`SweepFindings`; none of them
ranks points itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

BEST_RULE = ("lowest p99 wait among points without failed requests (within its 95% CI), "
             "then fewest database connections")
"""How the best point is chosen, in words (for captions and reports)."""


@dataclass(frozen=True)
class SweepFindings:
    """The points a planner looks at first (indices into the sweep's rows, grid order).

    Attributes:
        best: the point to pick (see :data:`BEST_RULE`), or None when every point has
            failed requests.
        first_refusal: the first point where the database refused a connection, or None.
        headroom_at_best: usable database connections minus the peak the best point
            reached (None without a best point).
        least_failing, causes: see below.
    """

    best: int | None
    first_refusal: int | None
    headroom_at_best: float | None
    least_failing: int | None = None
    """With no best point: the point that failed least, where :attr:`causes` were read."""
    causes: tuple[Any, ...] = ()
    """With no best point: why (the diagnosis's problems and warnings at
    :attr:`least_failing`, descriptions without advice; see :mod:`.sweep_causes`)."""

    def marked(self) -> dict[int, tuple[str, ...]]:
        """The marked points and what each is (``"best"``, ``"first_refusal"``)."""
        marks: dict[int, tuple[str, ...]] = {}
        for index, what in ((self.best, "best"), (self.first_refusal, "first_refusal")):
            if index is not None:
                marks[index] = (*marks.get(index, ()), what)
        return marks

    def document(self, rows: Sequence[dict[str, Any]], paths: Sequence[str]) -> dict[str, Any]:
        """The findings for ``sweep.json``: each marked point by its swept settings."""
        def settings(index: int | None) -> dict[str, Any] | None:
            return None if index is None else {path: rows[index][path] for path in paths}

        document = {"best_point": settings(self.best), "best_rule": BEST_RULE,
                    "first_refusal": settings(self.first_refusal), "headroom_at_best": self.headroom_at_best}
        if self.causes:
            document["why_no_clean_point"] = {
                "point": settings(self.least_failing),
                "findings": [{"rule": f.rule, "severity": f.severity, "text": f.text} for f in self.causes]}
        return document


def find(rows: Sequence[dict[str, Any]], *, least_failing: int | None = None,
         causes: Sequence[Any] = ()) -> SweepFindings:
    """The findings of a sweep's rows (finished points, grid order), with the causes of
    failure at the point that failed least when no point is clean
    (:func:`simpool.analysis.sweep_causes.why_no_clean_point`)."""
    best = best_point(rows)
    headroom = None
    if best is not None:
        peak, usable = rows[best].get("database.peak_connections"), rows[best].get("database.usable_connections")
        if peak is not None and usable is not None:
            headroom = usable - peak
    return SweepFindings(best=best, first_refusal=first_refusal(rows), headroom_at_best=headroom,
                         least_failing=least_failing if causes else None, causes=tuple(causes))


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
