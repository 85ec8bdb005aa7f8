"""Go: ``connectionOpener`` — Rule 8: one goroutine that dials, serially, for waiters."""

from __future__ import annotations

from typing import Any

from .events import INF


class ConnectionOpener:
    """Go: ``connectionOpener`` reading ``openerCh``. Each token was already counted in
    ``numOpen`` by ``maybeOpenNewConnections`` (Rule 8.1); dials run one at a time, with
    the DB's own context (no deadline), so k replacements take k dial latencies (Rule 8.3).
    """

    def __init__(self, db: Any):
        self.db = db
        self.pending = 0
        self.busy = False

    def __repr__(self) -> str:
        return f"ConnectionOpener(pending={self.pending}, busy={self.busy})"

    @property
    def outstanding(self) -> int:
        """Dials asked of the opener and not finished: queued, plus the one under way."""
        return self.pending + self.busy

    def request(self) -> None:
        """A token on ``openerCh``."""
        self.pending += 1
        if not self.busy:
            self._next()

    def _next(self) -> None:
        if self.pending == 0:
            self.busy = False
            return
        self.pending -= 1
        self.busy = True
        db = self.db
        db.dials += 1
        now = db.env._now
        # The DB's own context has no deadline (Rule 4.2): only the driver's connect timeout.
        db.connector.dial(now + db.connect_timeout if db.connect_timeout else INF, self._dial_done, now, None)

    def _dial_done(self, started: float, session: Any, err: Any) -> None:
        """Rule 8.2 (``openNewConnection``, sql.go:1271). DB closed → drop the conn. Error →
        ``numOpen--``, the error to one random waiter, then ``maybeOpenNewConnections``
        again (no backoff). Success → a waiter, else the idle list; if neither takes it,
        ``numOpen--`` and a plain driver close: no ``finalClose``, so no further dials."""
        db = self.db
        now = db.env._now
        db.handshake_s += now - started
        db._dialing -= 1
        if err is not None:
            err = db.dial_error(err, now - started)
            db.failed_dials += 1
        if db.closed:
            if session is not None:
                db.connector.disconnect(session)
            db.count_open(-1)
        elif err is not None:
            db.count_open(-1)
            db.put_conn_db_locked(None, err)
            db.maybe_open_new_connections()
        else:
            dc = db.new_driver_conn(session, now, in_use=False)
            if not db.put_conn_db_locked(dc, None):
                db.count_open(-1)
                dc.closed = True
                db.connector.disconnect(session)
        self._next()
        if db.max_dialing and not db.closed:
            db.dial_slot_freed()  # the what-if: this dial's slot is free, whatever its outcome
