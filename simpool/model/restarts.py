"""Restarts and failovers (``database.restarts``): the server goes away and comes back.

At ``at`` every session ends at once, as a PostgreSQL fast shutdown (or a failover to a
standby) ends them: a query under way fails with the server's ``terminating connection
due to administrator command`` (MySQL: ``Server shutdown in progress``), an idle session is
closed (its FIN waits in the client's socket, for the driver to notice, Rule 7.5), a
handshake under way is cut off, and the other clients' sessions go too. For ``down``
seconds nothing listens: every dial is refused (``connect: connection refused``, the same
host restarting), which database/sql does not retry, or, with ``answer: silent`` (a
failover: the old address stops answering until the new primary takes it over), its SYNs
go unanswered and are resent after 1 s, 2 s, 4 s …, so dials hang until their deadline and
those still trying when the server is back all arrive together. Then the server is back, empty, and the fleet reconnects at
once: a herd of handshakes against the cap and the accept loop, shaped by how many dead
connections each pool held (MaxIdle), how many it may open (MaxOpen) and how the driver
finds out. Other clients are assumed to reconnect the moment the server is back.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .errors import MYSQL_SHUTDOWN, PG_TERMINATED
from .events import call_later
from .listener import Listener


class Restarts:
    """Schedules each restart of ``database`` and carries it out.

    Args:
        database: the server (:class:`~simpool.model.database.Database`).
        restarts: the ``database.restarts`` specs, in time order.
    """

    def __init__(self, database: Any, restarts: list[Any]):
        self.database = database
        terminated = PG_TERMINATED if database.postgres else MYSQL_SHUTDOWN
        database.query_terminated = terminated
        """What a query under way at a restart gets."""
        database.dial_terminated = replace(terminated, kind="other")
        """What a handshake under way at a restart gets (a failed dial, not a bad conn)."""
        for spec in restarts:
            call_later(database.env, spec.at, self._go_down, spec)

    def __repr__(self) -> str:
        return f"Restarts(down={self.database.down}, epoch={self.database.epoch})"

    def _go_down(self, call: Any) -> None:
        db = self.database
        env = db.env
        now = env._now
        spec = call.value
        db.down = True
        db.silent = spec.answer == "silent"
        db.epoch += 1
        db.listener = Listener(db.spec.accept_rate, db.spec.listen_backlog)
        answer = []
        # Queries waiting for a core first: their sessions are busy but run nothing yet.
        for query in db._queue:
            if query.state == "queued":
                query.state = "killed"
                query.session.busy = False
                if query.timer is not None:
                    query.timer.cancel()
                answer.append(query.client)
        db._queue.clear()
        db.queued = 0
        db.queue_meter.changed(now, 0)
        for session in db.live:
            session.dead = True
            session.holds_slot = False
            if session.busy:
                query = session.query
                if query is None:  # a plain query: the session itself is its end event
                    session.callbacks = ()
                    answer.append(session.client)
                    session.client = None
                else:
                    query.callbacks = ()
                    if query.state == "running":
                        answer.append(query.client)
                    query.state = "killed"
                    session.query = None
                session.busy = False
        db.live.clear()
        db.core_clock += db.running * now
        db.running = 0
        db.connections = 0
        call_later(env, spec.down, self._come_up)
        error = db.query_terminated
        for client in answer:
            client.query_done(error)

    def _come_up(self, _call: Any) -> None:
        db = self.database
        db.down = False
        db.connections = db.spec.other_clients
        if db.connections > db.peak_connections:
            db.peak_connections = db.connections
