"""Go: ``connectionCleaner`` — Rule 6: closing idle conns past ``ConnMaxIdleTime`` or
``ConnMaxLifetime``. In-use conns are never touched; idle time is checked nowhere else.

Ties: Go compares with strict ``Before``, but a Go timer always fires a little *after* its
nominal time, so a conn due exactly at a tick is already past due when Go looks. Here the
clock is exact, so the cleaner's comparisons include equality; that reproduces the
reference's measurement (idle limit 1.5 s → removed 1.50 s after return, not 2.5 s).
"""

from __future__ import annotations

from typing import Any

from .events import call_later

MIN_INTERVAL = 1.0
"""Go: ``minInterval = time.Second`` — the cleaner never runs more often than this."""


class ConnectionCleaner:
    """Go: the cleaner goroutine and its ``cleanerCh``; at most one per pool."""

    def __init__(self, db: Any):
        self.db = db
        self.running = False
        self._timer: Any = None

    def __repr__(self) -> str:
        return f"ConnectionCleaner(running={self.running})"

    def start(self) -> None:
        """Rule 6.3: start unless one runs; the first timer is ``max(1s, shortest)``."""
        if self.running:
            return
        self.running = True
        self._schedule(self.db.shortest_idle_time_locked())

    def wake(self) -> None:
        """Rule 6.5: a non-blocking send on ``cleanerCh`` (a setter shortened a limit, or
        ``DB.Close``): the cleaner runs now instead of at its timer."""
        if self.running:
            self._timer.cancel()
            self._timer = call_later(self.db.env, 0.0, self._tick)

    def _schedule(self, d: float) -> None:
        self._timer = call_later(self.db.env, max(d, MIN_INTERVAL), self._tick)

    def _tick(self, _call: Any) -> None:
        """Rule 6.3/6.4 (``connectionCleaner``, sql.go:1095): exit if the DB is closed, has
        no open conns, or no limit is set; otherwise clean and re-arm."""
        db = self.db
        d = db.shortest_idle_time_locked()
        if db.closed or db.num_open == 0 or d <= 0:
            self.running = False
            self._timer = None
            return
        if db.profile.cleaner == "next_expiry":
            d, closing = self._run_next_expiry(d)
        else:
            closing = self._run_fixed_interval()
        for dc in closing:
            db.close_conn(dc)
        self._schedule(d)

    def _run_next_expiry(self, d: float) -> tuple[float, list[Any]]:
        """Rule 6.4, Go ≥ 1.18 (``connectionCleanerRunLocked``, sql.go:1141): the idle pass
        closes the newest conn idle too long and everything older; the lifetime pass removes
        expired conns keeping order; ``d`` shrinks to the next expiry."""
        db = self.db
        now = db.env._now
        free = db.free_conn
        closing: list[Any] = []
        idle_closing = 0
        if db.max_idle_time > 0:
            idle_since = now - db.max_idle_time
            for i in range(len(free) - 1, -1, -1):
                if free[i].returned_at <= idle_since:
                    closing = free[: i + 1]
                    del free[: i + 1]
                    idle_closing = len(closing)
                    db.max_idle_time_closed += idle_closing
                    break
            if free:
                d = min(d, free[0].returned_at - idle_since)
        if db.max_lifetime > 0:
            expired_since = now - db.max_lifetime
            kept = []
            for dc in free:
                start = dc.created_at + dc.lifetime_extra
                if start <= expired_since:
                    closing.append(dc)
                else:
                    kept.append(dc)
                    d = min(d, start - expired_since)
            free[:] = kept
            db.max_lifetime_closed += len(closing) - idle_closing
        return d, closing

    def _run_fixed_interval(self) -> list[Any]:
        """Rule 6.6, Go 1.16 – 1.17: lifetime pass, then idle pass, each removing by
        swap-delete (order lost); the timer stays ``max(1s, shortest)``."""
        db = self.db
        now = db.env._now
        free = db.free_conn
        closing: list[Any] = []
        for limit, stamp, counter in (
            (db.max_lifetime, "lifetime_start", "max_lifetime_closed"),
            (db.max_idle_time, "returned_at", "max_idle_time_closed"),
        ):
            if limit <= 0:
                continue
            since = now - limit
            count = 0
            i = 0
            while i < len(free):
                if getattr(free[i], stamp) <= since:
                    closing.append(free[i])
                    count += 1
                    free[i] = free[-1]
                    free.pop()
                else:
                    i += 1
            setattr(db, counter, getattr(db, counter) + count)
        return closing
