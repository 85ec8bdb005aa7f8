"""The database's cores: queries run on them, wait in a FIFO queue for one, and are
cancelled (a mixin of :class:`~simpool.model.database.Database`, kept apart for size).

Queries run on ``cores`` (0 = unlimited); the rest wait in a FIFO queue inside the server.
With the Universal Scalability Law on, a query starting when N queries are inside runs
``1 + σ(N−1) + κN(N−1)`` times slower. A query whose client gave up keeps running to
completion (the server notices the closed socket only when it writes), and its session
holds its slot until then (Rule 4.3), unless the driver sends a CancelRequest.

The load on the cores is metered without a running integral touched on every event: the
core-seconds used up to now are ``core_clock + running × now`` (``core_clock`` adds each
query's end time and subtracts its start); the queue for a core has its own meter
(:class:`~simpool.model.queue_meter.QueueMeter`), touched only when queries queue.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

from simpy.events import NORMAL

from .drivers import SOCKET_CLOSED, SOCKET_DROPPED
from .errors import ERR_DEADLINE
from .events import INF, Call, call_later
from .queue_meter import QueueMeter
from .session import Session


class _Query(Call):
    """One query sent on a session; also the event of its end, put on the schedule when
    it gets a core (``callbacks`` is the database's ``_finish``)."""

    __slots__ = ("session", "demand", "deadline", "client", "state", "timer", "queued_at")

    def __init__(self, on_finish: tuple[Callable[[Any], None]], session: Session, demand: float,
                 deadline: float, client: Any):
        # NOTE: Call.__init__ inlined (``value`` is unused), for performance.
        self.callbacks = on_finish
        self._ok = True
        self.session = session
        self.demand = demand
        self.deadline = deadline
        self.client = client
        self.state = "queued"
        self.timer: Any = None
        self.queued_at = 0.0

    def __repr__(self) -> str:
        return f"_Query(session={self.session.id}, demand={self.demand:g}, state={self.state!r})"


class Cores:
    """The query half of the database: the state it uses (``running``, ``queued``,
    ``_queue``, the meters, the limits) is set up by ``Database.__init__``."""

    __slots__ = ()  # Database declares the slots (see its NOTE)

    # ------------------------------------------------------------------ queries

    def execute(self, session: Session, demand: float, deadline: float, client: Any) -> None:
        """Run one query of ``demand`` seconds; later ``client.query_done(None)`` when it
        completes or ``client.query_done(error)``: on a dead session ``SOCKET_CLOSED`` (the
        server closed it) or ``SOCKET_DROPPED`` (a middlebox dropped the flow), which the
        client's driver turns into its own error; ``DeadlineExceeded`` if the deadline
        comes first."""
        env = self.env
        if session.dead:
            call_later(env, 0.0, self._query_refused, (client, SOCKET_DROPPED if session.dropped else SOCKET_CLOSED))
            return
        if session.busy:
            raise RuntimeError(f"a session runs one query at a time: {session!r}")
        session.busy = True
        self.queries += 1
        now = env._now
        end = now + demand
        if end <= deadline and self.running < self._plain_limit:
            # A plain query: a free core, no contention model, and it ends before the
            # client's deadline. It runs for exactly its demand and nothing can stop it,
            # so the session is its end event.
            # NOTE: no _Query record and env.schedule inlined, for performance (the
            # common case: one per request).
            self.running += 1
            self.core_clock -= now
            session.callbacks = self._on_plain_finish
            session.client = client
            heappush(env._queue, (end, NORMAL, next(env._eid), session))
            return
        query = _Query(self._on_finish, session, demand, deadline, client)
        if self.running < self._core_limit:
            self._start(query)
        else:
            self._queue.append(query)
            query.queued_at = now
            self.queued += 1
            self.queue_meter.changed(now, self.queued)
            if deadline < INF:
                query.timer = call_later(env, deadline - now, self._queued_deadline, query)

    @staticmethod
    def _query_refused(call: Any) -> None:
        client, error = call.value
        client.query_done(error)

    def _start(self, query: _Query) -> None:
        """The query gets a core: its end goes on the schedule (and a timer for the
        client's deadline if the end would come after it)."""
        env = self.env
        now = env._now
        self.running += 1
        self.core_clock -= now
        query.state = "running"
        query.session.query = query
        n = self.running + self.queued
        duration = query.demand
        if n > 1 and (self.sigma or self.kappa):
            duration *= 1.0 + self.sigma * (n - 1) + self.kappa * n * (n - 1)
        if now + duration > query.deadline:
            query.timer = call_later(env, query.deadline - now, self._running_deadline, query)
        # NOTE: env.schedule inlined, for performance.
        heappush(env._queue, (now + duration, NORMAL, next(env._eid), query))

    def _finish(self, query: _Query) -> None:
        """A query ends: its core goes to the next queued query, and the client hears
        back unless it gave up meanwhile."""
        query.session.query = None
        self._plain_finish(query.session, answer=False)
        if query.state == "running":
            query.state = "done"
            query.client.query_done(None)

    def _plain_finish(self, session: Session, answer: bool = True) -> None:
        """A query ends on ``session``: its core goes to the next queued query, and the
        session's slot goes if its client has gone. A plain query (the session was its end
        event, no client can have given up on it) also calls its client back here."""
        self.running -= 1
        session.busy = False
        session.last_active = now = self.env._now
        self.core_clock += now
        if session.client_gone:
            self._release_slot(session)
        if self._queue:
            self._start_queued()
        if answer:
            client, session.client = session.client, None
            client.query_done(None)

    def _start_queued(self) -> None:
        queue = self._queue
        while queue and self.running < self._core_limit:
            query = queue.popleft()
            if query.state != "queued":
                continue
            self.queued -= 1
            now = self.env._now
            self.queue_meter.changed(now, self.queued, now - query.queued_at)
            if query.timer is not None:
                query.timer.cancel()
                query.timer = None
            self._start(query)

    def _running_deadline(self, call: Any) -> None:
        """The client cancels mid-query; the server keeps running it (see module doc)."""
        query = call.value
        if query.state == "running":
            query.state = "cancelled"
            query.client.query_done(ERR_DEADLINE)

    def cancel(self, session: Session) -> None:
        """A CancelRequest (lib/pq, Rule 4.3): the server stops the query its client gave
        up on, freeing the core now instead of at the query's end."""
        query = session.query
        if query is None or query.state != "cancelled":
            return
        query.state = "stopped"
        query.callbacks = ()  # its end, already on the schedule, now does nothing
        session.query = None
        self._plain_finish(session, answer=False)

    def _queued_deadline(self, call: Any) -> None:
        query = call.value
        if query.state != "queued":
            return
        query.state = "cancelled"
        self.queued -= 1
        now = self.env._now
        self.queue_meter.changed(now, self.queued, now - query.queued_at)
        query.session.busy = False
        query.client.query_done(ERR_DEADLINE)

    # ------------------------------------------------------------------ load meters

    def core_seconds(self) -> float:
        """Core-seconds of query work done since the start, up to now (the queries still
        running count their time so far)."""
        return self.core_clock + self.running * self.env._now

    def restart_meters(self) -> None:
        """Meter the queue and count queries afresh (the warm-up ends)."""
        self.queue_meter = QueueMeter(self.env._now, self.queued)
        self.queries = 0
