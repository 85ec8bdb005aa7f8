"""The database's queue for a core, metered: how long it stood at each length, its peak,
and how long each query that found every core busy waited for one.

The queue changes only when queries wait (rarely, unless the cores are saturated), so
this runs off the common path; the cores' busy time is kept by the database itself.
"""

from __future__ import annotations

from array import array

import numpy as np

from ..stats import LogHistogram


class QueueMeter:
    """The queue's time at each length and its waits, from ``since`` on (the warm-up's end).

    Args:
        now: when metering starts.
        queued: the queue's length then.
    """

    __slots__ = ("times", "since", "length", "peak", "_waits")

    def __init__(self, now: float, queued: int):
        self.times: dict[int, float] = {}
        """Seconds spent at each length, up to the last change."""
        self.since = now
        """When the queue last changed (or metering started)."""
        self.length = queued
        self.peak = queued
        self._waits = array("d")
        """Each queued query's wait for a core, in seconds (a cancelled one counts too):
        C doubles, appended without a Python call per value (saturated runs queue every query)."""

    def __repr__(self) -> str:
        return f"QueueMeter(length={self.length}, peak={self.peak}, waits={len(self._waits)})"

    def changed(self, now: float, length: int, waited: float | None = None) -> None:
        """The queue is ``length`` long from ``now`` on; a query that left it had ``waited``."""
        old = self.length
        times = self.times
        times[old] = times.get(old, 0.0) + (now - self.since)
        self.since = now
        self.length = length
        if length > self.peak:
            self.peak = length
        if waited is not None:
            self._waits.append(waited)

    def times_until(self, now: float) -> dict[int, float]:
        """:attr:`times` with the current length's time up to ``now`` added (a copy)."""
        times = dict(self.times)
        times[self.length] = times.get(self.length, 0.0) + (now - self.since)
        return times

    def waits(self) -> LogHistogram:
        """The waits so far, as a histogram (seconds)."""
        histogram = LogHistogram()
        histogram.extend(np.frombuffer(self._waits, dtype=float))
        return histogram
