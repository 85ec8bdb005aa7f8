"""The app: a Go HTTP handler running queries through its instance's ``*sql.DB``.

A request runs ``queries`` queries, each acquiring and releasing a connection as
``QueryContext`` + ``rows.Close`` do (Rule 10), or all of them in one ``*sql.Tx`` holding
one connection. Acquisition goes through Go's ``retry`` (Rule 7.1): two attempts that
may reuse idle conns, then one that must dial, only while the error is ``ErrBadConn``.
The context deadline bounds the wait, the dial, the queries and the think time; a
deadline mid-query destroys the connection, as pgx, lib/pq and the MySQL driver do
(Rule 4.3).
"""

from __future__ import annotations

from typing import Any

from ..scenario import PoolSpec
from .dbstats import COUNTER_FIELDS, OpenGauge
from .drivers import DRIVERS
from .errors import ERR_BAD_CONN, ERR_DEADLINE, DriverError
from .events import INF, call_later, push
from .pool import ALWAYS_NEW, CACHED_OR_NEW, DB
from .profiles import PROFILES

MAX_BAD_CONN_RETRIES = 2
"""Go: ``maxBadConnRetries`` (sql.go:1572): two cachedOrNewConn attempts, then one alwaysNewConn."""


class Instance:
    """One app instance (a pod) with its own pool, or a pool per request (the pitfall)."""

    def __init__(self, env: Any, name: str, index: int, database: Any, pool: PoolSpec,
                 uniform: Any, *, pool_per_request: bool = False, fleet_gauges: tuple[OpenGauge, ...] = (),
                 lifetime_jitter: Any = None):
        self.env = env
        self.name = name
        self.index = index
        self.database = database
        self.pool_spec = pool
        self.profile = PROFILES[pool.go_version]
        self.driver = DRIVERS[pool.driver]
        self._uniform = uniform
        self._lifetime_jitter = lifetime_jitter
        self.pool_per_request = pool_per_request
        self.in_flight = 0
        self.retiring = False
        self.pools: list[DB] = []
        """Live pools: the instance's one pool, or one per in-flight request."""
        self._retired_counters = dict.fromkeys(COUNTER_FIELDS, 0)
        self.open_gauge = OpenGauge()
        """This instance's open conns over all its pools, with their exact peak."""
        self._gauges = (self.open_gauge, *fleet_gauges)
        """Every running total its pools report to: its own, its fleet's (and, with services,
        every service's together)."""
        self.db = None if pool_per_request else self.new_pool()

    def __repr__(self) -> str:
        return f"Instance(name={self.name!r}, in_flight={self.in_flight}, pools={len(self.pools)})"

    def new_pool(self) -> DB:
        """``sql.Open`` plus the configured setters (Rule 1: nothing is dialed yet)."""
        spec = self.pool_spec
        db = DB(self.env, self.database, profile=self.profile, waiter_order=spec.waiter_order,
                uniform=self._uniform, name=self.name, gauges=self._gauges,
                lifetime_jitter=self._lifetime_jitter, driver=self.driver)
        db.configure(spec.max_open, spec.max_idle, spec.conn_max_lifetime, spec.conn_max_idle_time)
        db.max_dialing = spec.max_dialing
        db.connect_timeout = spec.connect_timeout
        self.pools.append(db)
        return db

    def close_if_idle(self) -> None:
        """A retiring instance closes its pool once no request is in flight."""
        if self.in_flight == 0 and self.db is not None:
            self.db.close()

    def retire(self) -> None:
        """Stop taking requests; close the pool once in-flight requests are done (graceful
        shutdown, then ``db.Close``)."""
        self.retiring = True
        self.close_if_idle()

    def prune_pools(self) -> None:
        """Fold closed pools with nothing open into the totals (pool-per-request mode)."""
        live = []
        for db in self.pools:
            if db.closed and db.num_open == 0:
                for field in COUNTER_FIELDS:
                    self._retired_counters[field] += getattr(db, field)
            else:
                live.append(db)
        self.pools = live

    def gauges(self) -> tuple[int, int, int, int]:
        """(open, in use, idle, waiting) now, over this instance's live pools."""
        if self.pool_per_request:
            self.prune_pools()
        open_ = idle = waiting = 0
        for db in self.pools:
            open_ += db.num_open
            idle += len(db.free_conn)
            waiting += len(db.conn_requests)
        return open_, open_ - idle, idle, waiting

    def counters(self) -> dict[str, float]:
        """Cumulative ``DBStats`` counters plus dials, over every pool this instance had."""
        totals = dict(self._retired_counters)
        for db in self.pools:
            for field in COUNTER_FIELDS:
                totals[field] += getattr(db, field)
        totals["peak_open"] = self.open_gauge.peak
        return totals


class Request:
    """One request's journey, from its arrival at an instance (one call of the Go handler).

    Making one *is* the request, as making a SimPy ``Request`` is: it draws its queries
    and pitfalls from the app's streams there and then, in arrival order, so that pool
    settings cannot reshuffle them (common random numbers), and asks its pool for a
    connection (the first attempt of ``DB.retry``, Rule 7.1). It is then the pool's caller
    (``conn_ready``) and the database's client (``query_done``).

    Args:
        app: what every instance's handler shares.
        instance: the instance it arrived at.
        arrival: its arrival time (now).
        service: a trace row's query time, for every query (None: drawn).
        timeout: a trace row's timeout (None: the request spec's).
        handshake: a trace row's handshake, for a dial the request makes itself (None:
            drawn); the pool hands it to the database as Go's ``Connect`` gets the
            caller's context.
    """

    __slots__ = (
        "app", "instance", "db", "id", "arrival", "deadline", "demands", "query_index",
        "conn", "attempt", "asked_at", "wait", "leak", "holding", "callbacks", "handshake",
    )

    _ok = True
    """With ``callbacks``, SimPy's event protocol: the request is its own think-time event
    (no timer object per request). A class attribute: it never changes."""

    def __init__(self, app: App, instance: Instance, arrival: float, service: float | None = None,
                 timeout: float | None = None, handshake: float | None = None):
        app.requests += 1
        self.app = app
        self.instance = instance
        self.id = app.requests
        self.arrival = arrival
        self.handshake = handshake
        if service is not None:
            self.demands = (service,) * app.queries
            app.replayed += 1
            app.replayed_demand += service * app.queries
        elif app.queries == 1:
            self.demands = (app.query(),)
        else:
            self.demands = app.draw_demands()
        self.leak = app.leak_fraction > 0 and app.coin() < app.leak_fraction and not app.transaction
        """Rule 10: its last ``*sql.Rows`` is never closed. Not inside a Tx: Commit cancels
        the Tx's context, which closes its rows (sql.go ``Tx.Commit``)."""
        if timeout is None:
            self.deadline = deadline = arrival + app.patience
        else:
            self.deadline = deadline = arrival + timeout if timeout > 0 and not app.no_deadline else INF
        self.query_index = 0
        self.conn: Any = None
        self.attempt = 0
        self.asked_at = arrival
        self.wait = 0.0
        """Seconds spent getting connections (pool wait, dials and retries)."""
        instance.in_flight += 1
        self.db = db = instance.new_pool() if instance.pool_per_request else instance.db
        """The instance's pool, or this request's own (``pool_per_request``)."""
        db.conn(self, CACHED_OR_NEW, deadline)

    def __repr__(self) -> str:
        return f"Request(id={self.id}, instance={self.instance.name!r}, arrival={self.arrival:g})"

    # --------------------------------------------------------------- getting a conn (Rule 7)

    def _acquire(self) -> None:
        self.attempt = 0
        self.asked_at = self.app.env._now
        self.db.conn(self, CACHED_OR_NEW, self.deadline)

    def conn_ready(self, dc: Any, err: DriverError | None) -> None:
        """The pool's answer to one attempt of ``DB.retry``."""
        if err is None:
            app = self.app
            self.wait += app.env._now - self.asked_at
            self.conn = dc
            # NOTE: _run_query inlined for performance (every request).
            app.database.execute(dc.session, self.demands[self.query_index], self.deadline, self)
        elif err is ERR_BAD_CONN:
            self._retry_bad_conn()
        else:
            self.wait += self.app.env._now - self.asked_at
            self._finish(err)

    def _retry_bad_conn(self) -> None:
        """Rule 7.1: retry while ``ErrBadConn``: attempts 1-2 cachedOrNewConn, 3 alwaysNewConn."""
        self.attempt += 1
        if self.attempt <= MAX_BAD_CONN_RETRIES:
            self.db.bad_conn_retries += 1
        if self.attempt < MAX_BAD_CONN_RETRIES:
            self.db.conn(self, CACHED_OR_NEW, self.deadline)
        elif self.attempt == MAX_BAD_CONN_RETRIES:
            self.db.conn(self, ALWAYS_NEW, self.deadline)
        else:
            self.wait += self.app.env._now - self.asked_at
            self._finish(ERR_BAD_CONN)

    # --------------------------------------------------------------- queries

    def _run_query(self) -> None:
        self.app.database.execute(self.conn.session, self.demands[self.query_index], self.deadline, self)

    def query_done(self, err: DriverError | None) -> None:
        """The database's answer to the current query."""
        if err is not None:
            self._query_failed(err)
            return
        self.query_index += 1
        more = self.query_index < len(self.demands)
        if more and self.app.transaction:
            self._think(holding=True)  # the Tx keeps its conn between statements
            return
        dc, self.conn = self.conn, None
        if self.leak and not more:
            self._leak(dc)
        else:
            self.db.put_conn(dc)  # rows.Close, or the Tx's Commit
        if more:
            self._think(holding=False)
        else:
            self._finish(None)

    def _query_failed(self, err: DriverError) -> None:
        dc, self.conn = self.conn, None
        db = self.db
        err = db.driver.query_error(err)  # a dead socket, as this driver reports it (Rule 7.5)
        if err is ERR_BAD_CONN and (not self.app.transaction or self.query_index == 0):
            # ErrBadConn on a plain query, or on a transaction's first statement (BeginTx
            # retries too): part of DB.retry (Rule 7.2).
            db.put_conn(dc, bad=True)
            self.asked_at = self.app.env._now
            self._retry_bad_conn()
            return
        if err is ERR_DEADLINE and db.driver.cancel_stops_query:
            self.app.database.cancel(dc.session)  # lib/pq's CancelRequest (Rule 4.3)
        # Cancelled mid-query (the driver destroys the socket), or a dead conn the driver
        # reports with its own error or inside a Tx: the caller sees the error.
        dc.broken = True
        db.put_conn(dc, bad=err is ERR_BAD_CONN)
        self._finish(err)

    def _leak(self, dc: Any) -> None:
        """Rule 10: ``*sql.Rows`` never closed. With a cancellable ctx, ``awaitDone`` closes
        them when it ends; the driver has destroyed the socket by then (``IsValid`` false),
        so the conn is discarded. Under ``context.Background()`` it is held forever."""
        if self.deadline < INF:
            call_later(self.app.env, self.deadline - self.app.env._now, _end_leak, (self.db, dc))

    def _think(self, holding: bool) -> None:
        think = self.app.think()
        env = self.app.env
        if think <= 0 and env._now < self.deadline:
            self._after_think(holding)
            return
        # NOTE: the request itself goes on the schedule (no Call made), for performance:
        # one think per request in a transaction.
        self.holding = holding
        """Whether the think time under way keeps the connection (inside a Tx)."""
        self.callbacks = _THINK_DONE
        push(env, env._now + min(think, max(0.0, self.deadline - env._now)), self)

    def _after_think(self, holding: bool) -> None:
        if self.app.env._now >= self.deadline:
            if holding:  # Tx.awaitDone: rollback; pgx discards the conn (Rule 4.4)
                dc, self.conn = self.conn, None
                self.db.put_conn(dc, bad=True)
            self._finish(ERR_DEADLINE)
            return
        if holding:
            self._run_query()
        else:
            self._acquire()

    def _finish(self, err: DriverError | None) -> None:
        instance = self.instance
        if instance.pool_per_request:
            self.db.close()  # defer db.Close()
        self.app.recorder.request_done(self, err)
        instance.in_flight -= 1
        if instance.retiring:
            instance.close_if_idle()


def _think_done(request: Request) -> None:
    request._after_think(request.holding)


_THINK_DONE = (_think_done,)
"""The callbacks of a request on the schedule for its think time (one shared tuple)."""


def _end_leak(call: Any) -> None:
    db, dc = call.value
    dc.broken = True
    db.put_conn(dc)


class App:
    """What every instance's handler shares: the request shape, pitfalls and streams."""

    def __init__(self, env: Any, database: Any, recorder: Any, *, queries: int, transaction: bool,
                 timeout: float, think: Any, query: Any, leak_fraction: float, no_deadline: bool,
                 coin: Any):
        self.env = env
        self.database = database
        self.recorder = recorder
        self.queries = queries
        self.transaction = transaction
        self.think = think
        self.query = query
        self.leak_fraction = leak_fraction
        self.no_deadline = no_deadline
        self.coin = coin
        self.patience = timeout if timeout > 0 and not no_deadline else INF
        """Seconds from arrival to the deadline of a request with the default timeout."""
        self.requests = 0
        """Requests that have arrived (the last one's id)."""
        self.replayed = 0
        """Requests whose trace row gave their query time (they draw none)."""
        self.replayed_demand = 0.0
        """The query seconds those rows ask for."""

    def draw_demands(self) -> tuple[float, ...]:
        """A request's query times, one draw per query, in order."""
        query = self.query
        return tuple([query() for _ in range(self.queries)])

    @property
    def offered(self) -> float:
        """Query seconds the arrived requests ask of the database, whether or not they get
        to run: arrivals × queries × the mean query time (a trace row's own time where it
        gives one). Computed, not summed per request, to keep the hot path short."""
        drawn = self.requests - self.replayed
        return drawn * self.queries * self.query.mean + self.replayed_demand
