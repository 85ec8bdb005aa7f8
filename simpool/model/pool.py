"""Go: ``sql.DB`` — the host stand. One connection pool, rule by rule from the reference
(``shared/reference/go-database-sql-pool.md``, line numbers from go1.26 ``sql.go``).

Go's methods run under ``db.mu``; here each method runs to completion inside one
simulation callback, which gives the same atomicity. A waiter that Go would wake by a
channel send is called back synchronously, after the pool's state is consistent (the
sender in Go also finishes its critical section first). Closing a connection is instant.

Callers implement ``conn_ready(dc, err)`` (and may carry a ``handshake``, see
:meth:`DB.conn`); the connector (the database) implements
``dial(deadline, callback, token, handshake)`` and ``disconnect(session)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cleaner import ConnectionCleaner
from .conn import DriverConn
from .dbstats import COUNTER_FIELDS, DBStats, OpenGauge
from .deadlines import WaitDeadlines
from .drivers import DRIVERS, DriverProfile
from .errors import ERR_BAD_CONN, ERR_DB_CLOSED, ERR_DEADLINE, ERR_DIAL_TIMEOUT, DriverError
from .events import INF
from .opener import ConnectionOpener
from .profiles import PROFILES, GoProfile
from .waiters import ConnRequest

CACHED_OR_NEW = 0
"""Go: ``cachedOrNewConn`` — an idle conn may be reused."""
ALWAYS_NEW = 1
"""Go: ``alwaysNewConn`` — the last retry attempt skips the idle list."""

DEFAULT_MAX_IDLE_CONNS = 2
"""Go: ``defaultMaxIdleConns`` (sql.go:960)."""


class DB:
    """Go: ``sql.DB``. Rule 1: creating one dials nothing; the first ``conn`` call does.

    Args:
        env: the simulation environment (only its clock and schedule are used).
        connector: the database side; see the module docstring.
        profile: the Go release family whose rules apply (Rule 11).
        waiter_order: ``random`` (as the profile does) or the what-if ``fifo``.
        uniform: this pool's random stream, floats in [0, 1) (waiter picks).
        lifetime_jitter: the ``conn_max_lifetime_jitter`` what-if: a sampler of the extra
            seconds each new conn lives past ``ConnMaxLifetime`` (None in database/sql).
        driver: how the driver notices dead conns (``ResetSession``) and what its queries
            return on them (Rule 7.5).
    """

    # NOTE: __slots__ for performance: past 30 instance attributes CPython 3.11 stops sharing
    # an instance's dict keys, and every attribute read takes a slower path (several per event).
    __slots__ = (
        "env", "driver", "_stamps_resets", "connector", "profile", "_newest_first", "name",
        "free_conn", "conn_requests", "wait_deadlines", "num_open", "max_open", "max_idle_count",
        "_max_idle", "max_lifetime", "max_idle_time", "connect_timeout", "max_dialing", "closed",
        "wait_count", "wait_duration", "max_idle_closed", "max_idle_time_closed",
        "max_lifetime_closed", "dials", "failed_dials", "handshake_s", "bad_conn_retries",
        "peak_open", "gauges", "lifetime_jitter", "cleaner", "opener", "_next_conn_id", "_out",
        "_dialing",
    )

    def __init__(self, env: Any, connector: Any, *, profile: GoProfile = PROFILES["1.23"],
                 waiter_order: str = "random", uniform: Callable[[], float], name: str = "db",
                 gauges: tuple[OpenGauge, ...] = (), lifetime_jitter: Callable[[], float] | None = None,
                 driver: DriverProfile = DRIVERS["neutral"]):
        self.env = env
        self.driver = driver
        self._stamps_resets = driver.ping_after > 0
        """Whether checkouts record ``reset_at`` (only the driver's check reads it)."""
        self.connector = connector
        self.profile = profile
        self._newest_first = profile.idle_pick == "newest"
        self.name = name
        self.free_conn: list[DriverConn] = []
        """Idle conns, oldest return first (Go: ``freeConn``)."""
        self.conn_requests = profile.make_waiters(waiter_order, uniform)
        """Blocked callers (Go: ``connRequests``)."""
        self.wait_deadlines = WaitDeadlines(env, self._wait_deadline)
        """Their context deadlines, one timer for the earliest."""
        self.num_open = 0
        """Open conns plus pending dials (Go: ``numOpen``)."""
        self.max_open = 0
        self.max_idle_count = 0
        """Go's encoding: 0 = default (2), −1 = zero idle, n > 0 = n."""
        self._max_idle = DEFAULT_MAX_IDLE_CONNS
        """``maxIdleConnsLocked()``, worked out whenever a setter changes ``max_idle_count``."""
        self.max_lifetime = 0.0
        self.max_idle_time = 0.0
        self.connect_timeout = 0.0
        """The driver's connect timeout (``connect_timeout`` in the DSN; 0 = none): it
        bounds every dial, the opener's too, which otherwise have no deadline (Rule 4.2)."""
        self.max_dialing = 0
        """The ``max_dialing`` what-if (not in database/sql, see :meth:`conn`); 0 = unlimited."""
        self.closed = False
        self.wait_count = 0
        self.wait_duration = 0.0
        self.max_idle_closed = 0
        self.max_idle_time_closed = 0
        self.max_lifetime_closed = 0
        self.dials = 0
        self.failed_dials = 0
        self.handshake_s = 0.0
        self.bad_conn_retries = 0
        """Attempts made again after ``driver.ErrBadConn`` (Rule 7.1), counted by the caller."""
        self.peak_open = 0
        self.gauges = gauges
        """Totals over several pools that this one reports ``numOpen`` changes to."""
        self.lifetime_jitter = lifetime_jitter
        self.cleaner = ConnectionCleaner(self)
        self.opener = ConnectionOpener(self)
        self._next_conn_id = 0
        self._out = 0
        """Conns handed to callers (``inUse``), for the invariant check."""
        self._dialing = 0
        """Pending dials, the opener's queue included, for the invariant check."""

    def __repr__(self) -> str:
        return (f"DB(name={self.name!r}, num_open={self.num_open}, idle={len(self.free_conn)}, "
                f"waiting={len(self.conn_requests)}, max_open={self.max_open})")

    # ------------------------------------------------------------------ setters (Rule 5)

    def configure(self, max_open: int = 0, max_idle: int | None = None,
                  max_lifetime: float = 0.0, max_idle_time: float = 0.0) -> None:
        """The usual start-up calls, in Go's usual order. ``max_idle=None`` leaves Go's default."""
        self.set_max_open_conns(max_open)
        if max_idle is not None:
            self.set_max_idle_conns(max_idle)
        self.set_conn_max_lifetime(max_lifetime)
        self.set_conn_max_idle_time(max_idle_time)

    def max_idle_conns_locked(self) -> int:
        """Rule 5.2 (``maxIdleConnsLocked``): never set → 2; ``SetMaxIdleConns(n ≤ 0)`` → 0."""
        return self._max_idle

    def _set_max_idle_count(self, n: int) -> None:
        """Store Go's encoded idle cap and its decoded value (Rule 5.2)."""
        self.max_idle_count = n
        if n == 0:
            self._max_idle = DEFAULT_MAX_IDLE_CONNS
        else:
            self._max_idle = 0 if n < 0 else n

    def set_max_idle_conns(self, n: int) -> None:
        """Rule 5.3 (sql.go:995): store, cap at ``maxOpen``, close the *newest* surplus idle
        conns (``freeConn[cap:]``), counting them in ``MaxIdleClosed``."""
        self._set_max_idle_count(n if n > 0 else -1)
        if self.max_open > 0 and self._max_idle > self.max_open:
            self._set_max_idle_count(self.max_open)
        keep = self._max_idle
        closing = self.free_conn[keep:]
        if closing:
            del self.free_conn[keep:]
            self.max_idle_closed += len(closing)
            for dc in closing:
                self.close_conn(dc)

    def set_max_open_conns(self, n: int) -> None:
        """Rule 5.4 (sql.go:1029): lowering closes nothing now; raising wakes no waiter;
        an idle cap above the new limit is lowered to it."""
        self.max_open = max(n, 0)
        if self.max_open > 0 and self.max_idle_conns_locked() > self.max_open:
            self.set_max_idle_conns(self.max_open)

    def set_conn_max_lifetime(self, d: float) -> None:
        """Rule 6.5: shortening below the current shortest limit wakes the cleaner (Go 1.26)."""
        self._set_limit("max_lifetime", max(d, 0.0))

    def set_conn_max_idle_time(self, d: float) -> None:
        """Rule 6.5, as :meth:`set_conn_max_lifetime`."""
        self._set_limit("max_idle_time", max(d, 0.0))

    def _set_limit(self, attribute: str, d: float) -> None:
        shortest = self.shortest_idle_time_locked()
        setattr(self, attribute, d)
        if d > 0 and (shortest <= 0 or d < shortest):
            self.cleaner.wake()
        self.start_cleaner_locked()

    def shortest_idle_time_locked(self) -> float:
        """Go: ``shortestIdleTimeLocked`` — the smaller of the positive limits (Rule 6.4)."""
        if self.max_idle_time <= 0:
            return self.max_lifetime
        if self.max_lifetime <= 0:
            return self.max_idle_time
        return min(self.max_idle_time, self.max_lifetime)

    def start_cleaner_locked(self) -> None:
        """Rule 6.3 (sql.go:1088): start the cleaner if a limit is set, conns are open and
        none runs."""
        if (self.max_lifetime > 0 or self.max_idle_time > 0) and self.num_open > 0:
            self.cleaner.start()

    # ------------------------------------------------------------------ checkout (Rules 2, 3, 4)

    def conn(self, caller: Any, strategy: int = CACHED_OR_NEW, deadline: float = INF) -> None:
        """Rule 2 (``DB.conn``, sql.go:1316): closed → error; ctx done → its error; reuse an
        idle conn; else wait at ``maxOpen``; else count the conn and dial.

        The answer arrives as ``caller.conn_ready(dc, err)``, now or later. The caller's own
        dial gets its deadline and its ``handshake`` (a replayed trace's measured time, or
        None), as Go's ``Connect`` gets the caller's context.
        """
        if self.closed:
            caller.conn_ready(None, ERR_DB_CLOSED)
            return
        now = self.env._now
        if now >= deadline:
            caller.conn_ready(None, ERR_DEADLINE)
            return
        free = self.free_conn
        if strategy == CACHED_OR_NEW and free:
            # Rule 2 step 3: newest first (Go >= 1.18, "lowest idle time"), oldest first before.
            dc = free.pop() if self._newest_first else free.pop(0)
            dc.in_use = True
            self._out += 1
            if self.max_lifetime > 0 and dc.expired(self.max_lifetime, now):
                self.max_lifetime_closed += 1
                self.close_conn(dc)
                caller.conn_ready(None, ERR_BAD_CONN)
                return
            # Idle time is deliberately not checked here (Rule 2 step 3): only the cleaner does.
            # Go: driverConn.resetSession, only for a conn returned at least once (Go never
            # clears needReset: the source, not the reference's "last returned", decides).
            # NOTE: the call skipped when it can neither fail nor stamp (a live session, a
            # driver that keeps no reset time), for performance: every reuse of a conn.
            if dc.need_reset and (self._stamps_resets or dc.session.dead) and self._reset_session_fails(dc, now):
                self.close_conn(dc)
                caller.conn_ready(None, ERR_BAD_CONN)
                return
            caller.conn_ready(dc, None)
            return
        if self.max_open > 0 and self.num_open >= self.max_open:
            self._wait(caller, strategy, now, deadline)
            return
        if self.max_dialing and self._dialing >= self.max_dialing:
            # The max_dialing what-if (golang/go#57248's knob; database/sql has none): with
            # every dial slot taken the caller waits as at MaxOpen, served by a returned conn
            # or by the opener when a dial slot frees.
            self._wait(caller, strategy, now, deadline)
            return
        # Rule 2 step 5: numOpen is counted before the dial finishes ("optimistically").
        self.count_open(1)
        self._dialing += 1
        self.dials += 1
        if self.connect_timeout and now + self.connect_timeout < deadline:
            deadline = now + self.connect_timeout
        self.connector.dial(deadline, self._caller_dial_done, (caller, now), getattr(caller, "handshake", None))

    def _wait(self, caller: Any, strategy: int, now: float, deadline: float) -> None:
        """Rule 3.1: register, ``waitCount++`` before blocking; the ctx deadline bounds it."""
        req = ConnRequest(caller, strategy, now)
        self.conn_requests.add(req)
        self.wait_count += 1
        if deadline < INF:
            # The instant a timer set now for the deadline fires (``now + delay``, as
            # call_later computes it), so that waits end at exactly the same times.
            self.wait_deadlines.add(req, now + (deadline - now))

    def _wait_deadline(self, req: ConnRequest) -> None:
        """Rule 4.1: the ctx ended while waiting — leave the queue, add the wait to
        ``WaitDuration``, return ``context.DeadlineExceeded`` (never retried).

        Only a request still queued gets here (:class:`WaitDeadlines` skips the others).
        """
        self.conn_requests.delete(req)
        self.wait_duration += self.env._now - req.wait_start
        req.caller.conn_ready(None, ERR_DEADLINE)

    def _deliver(self, req: ConnRequest, dc: DriverConn | None, err: DriverError | None) -> None:
        """Rule 3.4: what the woken waiter does with what it received."""
        now = self.env._now
        self.wait_duration += now - req.wait_start
        caller = req.caller
        req.caller = None  # served: a deadline entry left behind (WaitDeadlines) keeps no request alive
        if dc is None:
            caller.conn_ready(None, err)
            return
        # Only cachedOrNewConn checks expiry here (golang/go#32530).
        if req.strategy == CACHED_OR_NEW and self.max_lifetime > 0 and dc.expired(self.max_lifetime, now):
            self.max_lifetime_closed += 1
            self.close_conn(dc)
            caller.conn_ready(None, ERR_BAD_CONN)
            return
        if dc.need_reset and (self._stamps_resets or dc.session.dead) and self._reset_session_fails(dc, now):
            self.close_conn(dc)
            caller.conn_ready(None, ERR_BAD_CONN)
            return
        caller.conn_ready(dc, None)

    def _reset_session_fails(self, dc: DriverConn, now: float) -> bool:
        """The driver's ``ResetSession`` (Rule 7.5): ``ErrBadConn`` for a dead session it
        notices (the MySQL liveness check, pgx's ping; lib/pq notices nothing). Called at
        checkout (``conn``, ``_deliver``) only when it can fail or must stamp the reset."""
        fails = dc.session.dead and self.driver.checkout_fails(dc, now)
        if self._stamps_resets:
            dc.reset_at = now
        return fails

    def _caller_dial_done(self, token: tuple[Any, float], session: Any, err: DriverError | None) -> None:
        """Rule 2 step 5: a caller's own dial ended. Failure: ``numOpen--``,
        ``maybeOpenNewConnections``, the driver's error unchanged (not retried). Success:
        a new conn straight to the caller (never through ``freeConn``)."""
        caller, started = token
        now = self.env._now
        self.handshake_s += now - started
        self._dialing -= 1
        if err is not None:
            err = self.dial_error(err, now - started)
            self.failed_dials += 1
            self.count_open(-1)
            self.maybe_open_new_connections()
            caller.conn_ready(None, err)
            return
        self._out += 1
        if self.max_dialing:
            self.dial_slot_freed()
        caller.conn_ready(self.new_driver_conn(session, now, in_use=True), None)

    def dial_error(self, err: DriverError, took: float) -> DriverError:
        """A failed dial's error as ``Connect`` returns it: the driver's wording, and its
        own timeout's ``i/o timeout`` when that, not the caller's context, ran out."""
        if err is ERR_DEADLINE and self.connect_timeout and took >= self.connect_timeout:
            return ERR_DIAL_TIMEOUT
        return self.driver.connect_error(err)

    def new_driver_conn(self, session: Any, now: float, *, in_use: bool) -> DriverConn:
        """A ``driverConn`` for a finished dial: ``createdAt = returnedAt = now``."""
        self._next_conn_id += 1
        dc = DriverConn(self._next_conn_id, session, now)
        dc.in_use = in_use
        if self.lifetime_jitter is not None:
            dc.lifetime_extra = self.lifetime_jitter()
        return dc

    # ------------------------------------------------------------------ return (Rule 5)

    def put_conn(self, dc: DriverConn, bad: bool = False) -> None:
        """Rule 5.1 (``putConn``, sql.go:1481): validate, check lifetime (→
        ``MaxLifetimeClosed``), stamp ``returnedAt``; bad conns are closed, good ones go to
        a waiter, the idle list, or are closed (→ ``MaxIdleClosed``). Every caller here is
        a ``releaseConn``, which asks for a session reset."""
        if not bad:
            dc.need_reset = True  # validateConnection(resetSession=true)
            bad = dc.broken  # driver.Validator.IsValid() == false
        if not dc.in_use:
            raise RuntimeError(f"sql: connection returned that was never out: {dc!r}")
        now = self.env._now
        if not bad and self.max_lifetime > 0 and dc.expired(self.max_lifetime, now):
            self.max_lifetime_closed += 1
            bad = True
        dc.in_use = False
        self._out -= 1
        dc.returned_at = now
        if bad:
            self.maybe_open_new_connections()
            self.close_conn(dc)
            return
        if not self.put_conn_db_locked(dc, None):
            self.close_conn(dc)

    def put_conn_db_locked(self, dc: DriverConn | None, err: DriverError | None) -> bool:
        """Rule 3.2 (``putConnDBLocked``, sql.go:1542): closed → no; over ``maxOpen`` → no
        (waiters are *not* served); a waiter → hand off; room in the idle list → append and
        start the cleaner; else ``MaxIdleClosed++``. False means "caller closes it"."""
        if self.closed:
            return False
        if self.max_open > 0 and self.num_open > self.max_open:
            return False
        waiters = self.conn_requests
        if waiters:
            req = waiters.take()
            if err is None:
                dc.in_use = True
                self._out += 1
            self._deliver(req, dc, err)
            return True
        if err is None:
            free = self.free_conn
            # NOTE: max_idle_conns_locked() read from its cache, for performance (every return).
            if self._max_idle > len(free):
                free.append(dc)
                # NOTE: start_cleaner_locked() inlined for performance (every return);
                # numOpen > 0 here, since dc is open.
                if (self.max_lifetime > 0 or self.max_idle_time > 0) and not self.cleaner.running:
                    self.cleaner.start()
                return True
            self.max_idle_closed += 1
        return False

    # ------------------------------------------------------------------ open and close (Rule 8)

    def count_open(self, delta: int) -> None:
        """``numOpen += delta``, keeping the peak and the shared gauges in step."""
        self.num_open += delta
        if self.num_open > self.peak_open:
            self.peak_open = self.num_open
        for gauge in self.gauges:
            gauge.add(delta)

    def maybe_open_new_connections(self) -> None:
        """Rule 8.1 (sql.go:1240): one opener dial per waiter, within ``maxOpen``; each is
        counted in ``numOpen`` now."""
        n = len(self.conn_requests)
        if n == 0:
            return
        if self.max_open > 0:
            n = min(n, self.max_open - self.num_open)
        if self.max_dialing:
            # The what-if: within the free dial slots (the opener's queue counts), and only
            # for waiters no opener dial is already meant for, so repeated calls never dial
            # more than the waiters need (without MaxOpen, numOpen would not stop them).
            n = min(n - self.opener.outstanding, self.max_dialing - self._dialing)
        while n > 0:
            self.count_open(1)
            n -= 1
            if self.closed:
                return
            self._dialing += 1
            self.opener.request()

    def dial_slot_freed(self) -> None:
        """The max_dialing what-if: a dial ended and freed its slot, so dial for a waiter
        (in database/sql, without the limit, a finished dial serves no one else)."""
        if self.conn_requests:
            self.maybe_open_new_connections()

    def close_conn(self, dc: DriverConn) -> None:
        """Go: ``driverConn.Close`` → ``finalClose`` (sql.go:677): the driver closes the
        socket, then ``numOpen--`` and ``maybeOpenNewConnections`` (the call that dials
        replacements for waiters)."""
        if dc.closed:
            raise RuntimeError(f"sql: duplicate driverConn close: {dc!r}")
        dc.closed = True
        if dc.in_use:
            dc.in_use = False
            self._out -= 1
        self.connector.disconnect(dc.session)
        self.count_open(-1)
        self.maybe_open_new_connections()

    def close(self) -> None:
        """Go: ``DB.Close`` — close idle conns, fail every waiter with ``errDBClosed``;
        conns still out are closed when they come back (``putConnDBLocked`` says no)."""
        if self.closed:
            return
        idle, self.free_conn = self.free_conn, []
        self.closed = True
        self.cleaner.wake()
        now = self.env._now
        for req in self.conn_requests.drain():
            self.wait_duration += now - req.wait_start
            req.caller.conn_ready(None, ERR_DB_CLOSED)
        for dc in idle:
            self.close_conn(dc)

    # ------------------------------------------------------------------ stats (Rule 9)

    def stats(self) -> DBStats:
        """Rule 9 (``DB.Stats``, sql.go:1215). ``InUse = numOpen − len(freeConn)``, so pending
        dials count as in use."""
        idle = len(self.free_conn)
        counters = {name: getattr(self, name) for name in COUNTER_FIELDS}
        return DBStats(max_open_connections=self.max_open, open_connections=self.num_open,
                       in_use=self.num_open - idle, idle=idle, peak_open=self.peak_open, **counters)

    def check_invariants(self) -> None:
        """Raise ``RuntimeError`` if the books stop balancing: ``numOpen`` = idle + out +
        dialing, no conn both idle and out, counters never negative."""
        problems = []
        if self.num_open != len(self.free_conn) + self._out + self._dialing and not self.closed:
            problems.append(f"num_open {self.num_open} != idle {len(self.free_conn)} + out {self._out}"
                            f" + dialing {self._dialing}")
        if any(dc.in_use or dc.closed for dc in self.free_conn):
            problems.append("an idle conn is in use or closed")
        for name in ("num_open", "_out", "_dialing", *COUNTER_FIELDS):
            if getattr(self, name) < 0:
                problems.append(f"{name} is negative")
        if problems:
            raise RuntimeError(f"{self!r}: " + "; ".join(problems))
