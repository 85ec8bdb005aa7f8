"""Go: ``DBStats`` (Rule 9), and running totals of open connections over several pools."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DBStats:
    """Go: ``DBStats`` (Rule 9), plus simpool's dial accounting and the attempts
    ``DB.retry`` made again after ``driver.ErrBadConn`` (Rule 7.1; Go counts them nowhere).

    ``wait_duration`` and ``handshake_s`` are seconds; everything else counts.
    """

    max_open_connections: int
    open_connections: int
    in_use: int
    idle: int
    wait_count: int
    wait_duration: float
    max_idle_closed: int
    max_idle_time_closed: int
    max_lifetime_closed: int
    dials: int
    failed_dials: int
    handshake_s: float
    bad_conn_retries: int
    peak_open: int


class OpenGauge:
    """A running total of ``numOpen`` over several pools (an instance, the fleet) and its
    peak, kept exactly: pools report every change to it."""

    __slots__ = ("open", "peak")

    def __init__(self) -> None:
        self.open = 0
        self.peak = 0

    def add(self, delta: int) -> None:
        self.open += delta
        if self.open > self.peak:
            self.peak = self.open

    def reset_peak(self) -> None:
        self.peak = self.open

    def __repr__(self) -> str:
        return f"OpenGauge(open={self.open}, peak={self.peak})"


COUNTER_FIELDS = (
    "wait_count", "wait_duration", "max_idle_closed", "max_idle_time_closed",
    "max_lifetime_closed", "dials", "failed_dials", "handshake_s", "bad_conn_retries",
)
"""The cumulative fields of :class:`DBStats` (the rest are gauges)."""
