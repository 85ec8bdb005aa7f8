"""The kitchen: a database server with a connection cap, handshake cost and finite cores.

A new connection, as the servers' source shows it (Part B of the reference):

- **Accept.** One loop accepts (PostgreSQL: and forks) every connection behind the listen
  backlog (:mod:`.listener`); a dial storm waits there, and overflows.
- **PostgreSQL** (PG 15: ``postmaster.c`` ``BackendStartup`` → ``BackendInitialize``, then
  ``InitProcess``; PG 17+: ``tcop/backend_startup.c``): the backend takes a PGPROC, one of
  ``max_connections``, only after the fork, TLS and the startup packet,
  ``handshake_before_slot`` into its handshake. None free → ``sorry, too many clients
  already`` (``storage/lmgr/proc.c``), ``refused_handshake`` into it. After authentication
  ``InitPostgres`` (``utils/init/postinit.c``) refuses an ordinary role if fewer than
  ``superuser_reserved + reserved`` slots are free, the whole handshake paid; the text
  depends on ``version`` (≤ 15 "… non-replication superuser connections"; 16+ "… the
  SUPERUSER attribute" or "… "pg_use_reserved_connections" role"). So an application
  holds ``max − superuser_reserved − reserved`` sessions (97 by default).
- **MySQL** (``Connection_handler_manager::check_and_incr_conn_count``): counted at accept,
  ``max_connections + 1`` let in (the extra for CONNECTION_ADMIN/SUPER); after
  authentication an ordinary user over ``max_connections`` is refused
  (``valid_connection_count``). Both are ``Error 1040``.

Queries run on the database's cores (:mod:`.cores`, its other half).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from ..scenario import DatabaseSpec, NetworkSpec
from .cores import Cores, _Query
from .errors import (
    ERR_CONNECT_TIMEOUT,
    ERR_CONNECTION_REFUSED,
    ERR_DEADLINE,
    MYSQL_TOO_MANY,
    PG_TOO_MANY_CLIENTS,
    reserved_refusals,
)
from .events import INF, call_later
from .listener import SYN_RETRIES, SYN_TIMEOUT, Listener
from .queue_meter import QueueMeter
from .restarts import Restarts
from .session import Dial, DialCallback, Session


class Database(Cores):
    """The database server shared by the whole fleet.

    Args:
        env: the simulation environment.
        spec: the ``database`` section of the scenario.
        network: the ``network`` section (middlebox idle drops).
        handshake: sampler of handshake times (the handshake stream).
    """

    # NOTE: __slots__ for performance, as DB's: past 30 instance attributes CPython 3.11
    # stops sharing an instance's dict keys, and every attribute read takes a slower path.
    __slots__ = (
        "env", "spec", "postgres", "max_connections", "superuser_reserved", "reserved_total",
        "usable_connections", "before_slot", "refused_fraction", "listener",
        "_reserved_superuser_error", "_reserved_role_error", "cores", "sigma", "kappa",
        "_handshake", "connections", "peak_connections", "refused_connections", "running",
        "queued", "_queue", "queries", "core_clock", "queue_meter", "_next_session_id",
        "_idle_timeout", "_idle_drop", "_orphan_timeout", "_watch", "_core_limit", "_plain_limit",
        "_on_finish", "_on_plain_finish", "down", "silent", "epoch", "live",
        "query_terminated", "dial_terminated",
    )

    def __init__(self, env: Any, spec: DatabaseSpec, network: NetworkSpec, handshake: Callable[[], float]):
        self.env = env
        self.spec = spec
        self.postgres = spec.flavor == "postgres"
        self.max_connections = spec.max_connections
        self.superuser_reserved = spec.superuser_reserved_connections
        self.reserved_total = spec.superuser_reserved_connections + spec.reserved_connections
        self.usable_connections = spec.usable_connections
        self.before_slot = spec.handshake_before_slot
        self.refused_fraction = max(spec.refused_handshake, spec.handshake_before_slot)
        """A refusal for want of a slot is decided where the slot would be taken."""
        self.listener = Listener(spec.accept_rate, spec.listen_backlog)
        self._reserved_superuser_error, self._reserved_role_error = reserved_refusals(spec.version)
        self.cores = spec.cores
        self.sigma = spec.contention.sigma
        self.kappa = spec.contention.kappa
        self._handshake = handshake
        self.connections = spec.other_clients
        """Slots taken now: other clients, handshakes in progress, sessions (orphans included)."""
        self.peak_connections = self.connections
        self.refused_connections = 0
        self.running = 0
        """Queries on a core."""
        self.queued = 0
        """Queries waiting for a core (cancelled ones left in the queue not counted).
        Running plus queued is the N of the contention model."""
        self._queue: deque[_Query] = deque()
        self.queries = 0
        """Queries sent on live sessions (each runs, or waits for a core first)."""
        self.core_clock = 0.0
        """Σ end − Σ start of the queries that have run: see :meth:`core_seconds`."""
        self.queue_meter = QueueMeter(0.0, 0)
        """The queue for a core since :meth:`restart_meters`."""
        self._next_session_id = 0
        self._idle_timeout = spec.idle_timeout or 0.0
        keepalive_saves = 0 < network.keepalive < network.idle_drop
        self._idle_drop = 0.0 if keepalive_saves else network.idle_drop
        self._orphan_timeout = network.orphan_timeout
        self._watch = min((t for t in (self._idle_timeout, self._idle_drop) if t > 0), default=0.0)
        self._core_limit = self.cores or INF
        """Queries that may run at once (``cores``, 0 meaning unlimited)."""
        self._plain_limit = self._core_limit if not (self.sigma or self.kappa) else 0
        """As ``_core_limit`` if a query runs for exactly its demand (no contention model),
        else 0: no query is plain (see :meth:`execute`)."""
        self._on_finish = (self._finish,)
        self._on_plain_finish = (self._plain_finish,)
        """The callbacks of every query's end event (one shared tuple each)."""
        self.down = False
        """The server is down (a restart): nothing listens."""
        self.silent = False
        """While down, SYNs go unanswered (a failover) instead of being refused."""
        self.epoch = 0
        """Restarts so far: a dial accepted in an earlier life of the server is cut off."""
        self.live: set[Session] | None = set() if spec.restarts else None
        """Sessions holding a slot, kept only when a restart must end them all."""
        if spec.restarts:
            Restarts(self, spec.restarts)

    def __repr__(self) -> str:
        return (f"Database(flavor={self.spec.flavor!r}, connections={self.connections}/"
                f"{self.max_connections}, running={self.running}, queued={len(self._queue)})")

    # ------------------------------------------------------------------ connecting

    def dial(self, deadline: float, callback: DialCallback, token: Any, handshake: float | None = None) -> None:
        """Start a handshake; later ``callback(token, session, None)`` or
        ``callback(token, None, error)``. The caller's deadline (if any) cuts it short.
        ``handshake`` is its time when known (a replayed trace measured it), else drawn.
        Never calls back synchronously."""
        if handshake is None:
            handshake = self._handshake()
        self._knock(Dial(callback, token, handshake, deadline))

    def _refuse_while_down(self, dial: Dial) -> None:
        call_later(self.env, 0.0, self._dial_failed, (dial, ERR_CONNECTION_REFUSED))

    def _knock(self, dial: Dial) -> None:
        """A SYN reaches the listen socket: queued for the accept loop, or dropped when
        the backlog is full (the client resends it, 1 s later, then 2 s, 4 s …)."""
        if self.down:
            if self.silent:
                self._syn_lost(dial)
            else:
                self._refuse_while_down(dial)
            return
        env = self.env
        now = env._now
        handshake = dial.handshake
        listener = self.listener
        work = listener.work(handshake)
        accepted = listener.admit(now, work)
        if accepted is None:
            self._syn_lost(dial)
            return
        dial.accepted = accepted
        dial.epoch = self.epoch
        # The slot comes after the loop's accept (and fork): MySQL counts right there.
        before = handshake * self.before_slot
        at_slot = accepted + (before if before > work else work)
        if at_slot > dial.deadline:
            # The client gives up first; its backend finds the socket closed and exits
            # before it takes a slot.
            call_later(env, dial.deadline - now, self._dial_failed, (dial, ERR_DEADLINE))
        elif at_slot == now:
            self._at_slot(dial)
        else:
            call_later(env, at_slot - now, self._reach_slot, dial)

    def _syn_lost(self, dial: Dial) -> None:
        """No SYN-ACK came back (a full backlog, or an address nobody answers at): the
        client resends the SYN after 1 s, 2 s, 4 s … until its deadline or ETIMEDOUT."""
        env = self.env
        now = env._now
        wait = SYN_TIMEOUT * 2 ** dial.syn_tries
        dial.syn_tries += 1
        if now + wait > dial.deadline:
            call_later(env, dial.deadline - now, self._dial_failed, (dial, ERR_DEADLINE))
        elif dial.syn_tries > SYN_RETRIES:
            call_later(env, wait, self._dial_failed, (dial, ERR_CONNECT_TIMEOUT))
        else:
            call_later(env, wait, self._syn_resent, dial)

    def _syn_resent(self, call: Any) -> None:
        self._knock(call.value)

    def _reach_slot(self, call: Any) -> None:
        dial = call.value
        if dial.epoch != self.epoch:  # the server restarted under it
            self._cut_off(dial)
            return
        self._at_slot(dial)

    def _cut_off(self, dial: Dial) -> None:
        """A dial the server's restart ended: its backend was terminated. (The client
        hears it when its next handshake step was due, not at the restart itself: at
        most one handshake late.)"""
        dial.callback(dial.token, None, self.dial_terminated)

    def _at_slot(self, dial: Dial) -> None:
        """The backend asks for a slot (PostgreSQL's PGPROC; MySQL's count at accept)."""
        env = self.env
        now = env._now
        if self.connections >= self.max_connections + (0 if self.postgres else 1):
            self.refused_connections += 1
            error = PG_TOO_MANY_CLIENTS if self.postgres else MYSQL_TOO_MANY
            answer = dial.accepted + dial.handshake * self.refused_fraction
            if answer > dial.deadline:
                call_later(env, dial.deadline - now, self._dial_failed, (dial, ERR_DEADLINE))
            else:
                call_later(env, answer - now, self._dial_failed, (dial, error))
            return
        self._take_slot()
        self._next_session_id += 1
        session = Session(self._next_session_id, now)
        if self.live is not None:
            self.live.add(session)
        done = dial.accepted + dial.handshake
        if done > dial.deadline:
            call_later(env, dial.deadline - now, self._dial_abandoned, (session, dial))
        else:
            call_later(env, done - now, self._handshake_done, (session, dial))

    def _take_slot(self) -> None:
        self.connections += 1
        if self.connections > self.peak_connections:
            self.peak_connections = self.connections

    def _release_slot(self, session: Session) -> None:
        if session.holds_slot:
            session.holds_slot = False
            self.connections -= 1
            if self.live is not None:
                self.live.discard(session)

    @staticmethod
    def _dial_failed(call: Any) -> None:
        dial, error = call.value
        dial.callback(dial.token, None, error)

    def _dial_abandoned(self, call: Any) -> None:
        """The client's context ended mid-handshake: it closes the socket; the backend
        exits and frees its slot."""
        session, dial = call.value
        self._release_slot(session)
        dial.callback(dial.token, None, ERR_DEADLINE)

    def _handshake_done(self, call: Any) -> None:
        """Authentication is over: the servers check their limits once more."""
        session, dial = call.value
        if dial.epoch != self.epoch:  # the server restarted mid-handshake
            self._cut_off(dial)
            return
        error = None
        if self.postgres:
            if self.reserved_total:
                free = self.max_connections - self.connections
                if free < self.superuser_reserved:
                    error = self._reserved_superuser_error
                elif free < self.reserved_total:
                    error = self._reserved_role_error
        elif self.connections > self.max_connections:
            error = MYSQL_TOO_MANY  # the extra slot is for CONNECTION_ADMIN only
        if error is not None:
            self.refused_connections += 1
            self._release_slot(session)
            dial.callback(dial.token, None, error)
            return
        session.last_active = self.env._now
        if self._watch:
            call_later(self.env, self._watch, self._watch_idle, session)
        dial.callback(dial.token, session, None)

    def disconnect(self, session: Session) -> None:
        """The client closed its socket. A busy backend finishes its query first; a flow a
        middlebox dropped never reaches the server, which keeps the slot until its own TCP
        keepalive gives up."""
        session.dead = True
        if session.busy:
            session.client_gone = True
        elif not session.dropped:
            self._release_slot(session)

    # ------------------------------------------------------------------ idle sessions

    def _watch_idle(self, call: Any) -> None:
        """One lazy timer per session: server idle kill (``idle_timeout``) and middlebox
        drop (``network.idle_drop``), whichever comes first."""
        session = call.value
        if session.dead or not session.holds_slot:
            return
        now = self.env._now
        if session.busy:
            call_later(self.env, self._watch, self._watch_idle, session)
            return
        # A nanosecond of slack: the timer was set for last_active + watch, but the float
        # sum may land a hair early, and then no branch would fire and it would re-arm at
        # the same instant forever.
        idle_for = now - session.last_active + 1e-9
        if self._idle_drop and idle_for >= self._idle_drop and not session.dropped:
            session.dropped = True
            session.dead = True
            orphan_end = session.last_active + self._orphan_timeout
            if self._idle_timeout:
                orphan_end = min(orphan_end, session.last_active + self._idle_timeout)
            call_later(self.env, max(0.0, orphan_end - now), self._orphan_expired, session)
            return
        if self._idle_timeout and idle_for >= self._idle_timeout:
            session.dead = True
            self._release_slot(session)
            return
        call_later(self.env, session.last_active + self._watch - now, self._watch_idle, session)

    def _orphan_expired(self, call: Any) -> None:
        self._release_slot(call.value)
