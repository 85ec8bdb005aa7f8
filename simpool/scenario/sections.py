"""The scenario's sections (database, fleet, workload, pitfalls, network); the whole is in
:mod:`.top_level`."""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from ..units import format_duration
from ._base import Duration, Float, Int, OptionalInt, Rate, Spec, as_written
from .arrivals import ArrivalSpec, PoissonArrivals, SpikeArrivals
from .distributions import Distribution, ExponentialDist, LognormalDist


class ContentionSpec(Spec):
    """Universal Scalability Law: each query runs ``1 + sigma·(N−1) + kappa·N·(N−1)`` times
    slower when N queries are inside the database, so throughput falls past the knee."""

    sigma: Float = Field(0.0, ge=0, le=1, description="Contention (serialisation) coefficient.")
    kappa: Float = Field(0.0, ge=0, le=1, description="Coherency (crosstalk) coefficient.")


MAX_CONNECTIONS = 262_143
"""PostgreSQL's own ceiling for max_connections (MAX_BACKENDS, 2^18 − 1); MySQL's is 100,000."""
MAX_INSTANCES = 10_000
MAX_POOL = 1_000_000
"""Largest pool setting (SetMaxOpenConns, SetMaxIdleConns)."""


def _zero_or_at_least(minimum: float, text: str) -> AfterValidator:
    """A duration that is 0 (off) or at least ``minimum`` seconds: a timer armed every
    nanosecond would keep a run busy forever."""
    def check(seconds: float) -> float:
        if 0 < seconds < minimum:
            raise ValueError(f"must be 0 (off) or at least {text} (not {format_duration(seconds)})")
        return seconds
    return AfterValidator(check)


FLAVOR_DEFAULTS = {
    "postgres": {"max_connections": 100, "superuser_reserved_connections": 3, "idle_timeout": 0.0,
                 "handshake_before_slot": 0.28, "refused_handshake": 0.28, "accept_rate": 2000.0},
    "mysql": {"max_connections": 151, "superuser_reserved_connections": 0, "idle_timeout": 28800.0,
              "handshake_before_slot": 0.0, "refused_handshake": 0.35, "accept_rate": 0.0},
}
"""PostgreSQL's fractions and accept rate were measured against a real PostgreSQL 15 on
loopback (``python -m tests.realpg.measure``: the "sorry" refusal, decided where the slot
is taken, came at 0.28–0.38 of a 4.5–8 ms SCRAM handshake without TLS; the postmaster spent
430–670 µs of CPU per connection). MySQL counts a connection at accept; its other values
are not measured."""

PG_TLS_FRACTIONS = {"handshake_before_slot": 0.65, "refused_handshake": 0.65}
"""The same measurement with TLS 1.3 (``--tls``): the TLS handshake comes before the slot,
so "sorry" came at 0.65 of a 7.6 ms handshake. ``simpool calibrate`` writes these for a
DSN that uses TLS."""

PG_AUX_BACKENDS = 22
"""What PostgreSQL adds to ``max_connections`` to get ``MaxBackends`` with default settings:
autovacuum_max_workers 3 + the launcher 1 + max_worker_processes 8 + max_wal_senders 10."""

SOMAXCONN = 4096
"""Linux's cap on a listen backlog (``net.core.somaxconn``, 4096 since Linux 5.4)."""


class RestartSpec(Spec):
    """The database goes away (a restart, a failover) and comes back."""

    at: Duration = Field(..., description="When the server goes down: every session ends.")
    down: Duration = Field(..., gt=0, description="How long it is gone before it is back.")
    answer: Literal["refused", "silent"] = Field(
        "refused",
        description="While down: 'refused' (the host restarts, its port is closed) or 'silent' (a failover: "
        "nothing answers the old address, SYNs are resent until the deadline).",
    )


class DatabaseSpec(Spec):
    """The kitchen: a server with a connection cap, a handshake cost and finite cores."""

    flavor: Literal["postgres", "mysql"] = Field(
        "postgres", description="Server flavour: slot arithmetic and error texts."
    )
    max_connections: OptionalInt = Field(
        None, ge=1, le=MAX_CONNECTIONS, description="Server cap (PostgreSQL default 100, MySQL 151)."
    )
    superuser_reserved_connections: OptionalInt = Field(
        None, ge=0, le=MAX_CONNECTIONS, description="PostgreSQL slots kept for superusers (default 3; MySQL: 0)."
    )
    reserved_connections: Int = Field(
        0, ge=0, le=MAX_CONNECTIONS, description="PostgreSQL 16+ slots for pg_use_reserved_connections roles."
    )
    version: Int = Field(
        16, ge=9, le=99, description="PostgreSQL major version: its refusal texts (<= 15 or 16+)."
    )
    other_clients: Int = Field(
        0, ge=0, le=MAX_CONNECTIONS, description="Sessions held all run long by others (monitoring, migrations, admin)."
    )
    handshake: Distribution = Field(
        default_factory=lambda: LognormalDist(median="20ms", p99="100ms"),
        description="Time to set up a connection (TCP, TLS, startup, SCRAM authentication).",
    )
    handshake_before_slot: Float | None = Field(
        None, ge=0, le=1,
        description="Fraction of a handshake before the server takes a slot (accept, fork, TLS, "
        "startup packet); PostgreSQL 0.28, MySQL 0 (counted at accept).",
    )
    refused_handshake: Float | None = Field(
        None, ge=0, le=1,
        description="Fraction of a handshake a dial refused for want of a slot still pays "
        "(PostgreSQL 0.28, MySQL 0.35).",
    )
    accept_rate: Rate | None = Field(
        None, ge=0,
        description="Connections per second the server's single accept loop takes in "
        "(PostgreSQL's postmaster 2000/s; 0 = no limit, MySQL's default).",
    )
    listen_backlog: OptionalInt = Field(
        None, ge=1, le=65_535,
        description="Connections waiting to be accepted before SYNs are dropped "
        "(PostgreSQL 2 × (max_connections + 22), MySQL max_connections; at most 4096).",
    )
    cores: Int = Field(16, ge=0, le=100_000, description="Queries run at once; more queue inside (0 = unlimited).")
    query: Distribution = Field(
        default_factory=lambda: ExponentialDist(mean="1ms"),
        description="Service time of one query on an idle server.",
    )
    contention: ContentionSpec = Field(default_factory=ContentionSpec)
    idle_timeout: Annotated[Duration, _zero_or_at_least(1e-3, "1ms")] | None = Field(
        None, description="Server kills sessions idle this long (PostgreSQL 0 = off; MySQL wait_timeout 8h)."
    )
    restarts: list[RestartSpec] = Field(
        default_factory=list, max_length=100,
        description="Restarts and failovers: at each, every session ends; dials are refused while it is down.",
    )

    @model_validator(mode="after")
    def _flavor_defaults(self) -> DatabaseSpec:
        # Into __dict__, not setattr: model_fields_set keeps only what was given, so that
        # as_data() leaves these defaults to follow the flavour (and max_connections).
        for name, default in FLAVOR_DEFAULTS[self.flavor].items():
            if getattr(self, name) is None:
                self.__dict__[name] = default
        for earlier, later in itertools.pairwise(self.restarts):
            if later.at < earlier.at + earlier.down:
                raise ValueError("restarts must be in time order and must not overlap")
        if self.listen_backlog is None:
            extra = PG_AUX_BACKENDS if self.flavor == "postgres" else 0
            self.__dict__["listen_backlog"] = min(
                (2 if self.flavor == "postgres" else 1) * (self.max_connections + extra), SOMAXCONN)
        if self.flavor == "postgres" and self.version < 16 and self.reserved_connections:
            raise ValueError(f"reserved_connections needs PostgreSQL 16 or later (version is {self.version})")
        if self.flavor == "mysql" and (self.superuser_reserved_connections or self.reserved_connections):
            raise ValueError("reserved connections are a PostgreSQL setting; MySQL keeps one extra admin slot")
        reserved = self.superuser_reserved_connections + self.reserved_connections
        if reserved >= self.max_connections:
            raise ValueError(
                f"reserved slots ({reserved}) leave no connection for the application "
                f"(max_connections {self.max_connections})"
            )
        if self.other_clients >= self.usable_connections:
            raise ValueError(
                f"other_clients ({self.other_clients}) take every usable slot "
                f"({self.usable_connections} of max_connections {self.max_connections})"
            )
        return self

    def as_data(self) -> dict[str, Any]:
        """Plain data that validates back to this section, without the defaults the flavour
        chose (unless given): change ``flavor`` in it and the new flavour's apply."""
        derived = {*FLAVOR_DEFAULTS[self.flavor], "listen_backlog"} - self.model_fields_set
        return self.model_dump(mode="json", by_alias=True, exclude=derived)

    @property
    def usable_connections(self) -> int:
        """Sessions an ordinary role can hold: PostgreSQL ``max − superuser_reserved − reserved``."""
        return self.max_connections - self.superuser_reserved_connections - self.reserved_connections


# ---------------------------------------------------------------------------- pool and fleet


class PoolSpec(Spec):
    """Go's ``*sql.DB`` settings, one pool per instance (``SetMaxOpenConns`` and friends)."""

    max_open: Int = Field(0, ge=0, le=MAX_POOL, description="SetMaxOpenConns; 0 = unlimited (Go's default).")
    max_idle: OptionalInt = Field(
        None, ge=0, le=MAX_POOL, description="SetMaxIdleConns; absent = Go's default 2, 0 = keep no idle conns."
    )
    conn_max_lifetime: Duration = Field(0.0, description="SetConnMaxLifetime; 0 = forever.")
    conn_max_idle_time: Duration = Field(0.0, description="SetConnMaxIdleTime; 0 = forever.")
    conn_max_lifetime_jitter: Duration = Field(
        0.0,
        description="What-if, not a database/sql setting: each connection lives conn_max_lifetime plus a "
        "uniform random share of this (pgxpool's MaxConnLifetimeJitter), so a burst of connections does not "
        "expire in one burst.",
    )
    max_dialing: Int = Field(
        0, ge=0, le=MAX_POOL,
        description="What-if, not a database/sql setting (the knob proposed in golang/go#57248): at most this "
        "many dials in flight per pool; a request that would dial beyond it waits like a MaxOpen waiter. "
        "0 = unlimited, as database/sql.",
    )
    go_version: Annotated[Literal["1.23", "1.18", "1.17"], BeforeValidator(as_written)] = Field(
        "1.23",
        description="Behaviour profile: 1.23+ (uniform random waiter), 1.18 (1.18-1.22, map-biased "
        "waiter), 1.17 (oldest idle first, fixed-interval cleaner).",
    )
    waiter_order: Literal["random", "fifo"] = Field(
        "random", description="What-if: 'random' as the Go version does, or a FIFO queue."
    )
    connect_timeout: Duration = Field(
        0.0,
        description="The driver's connect timeout (pgx and lib/pq connect_timeout, go-sql-driver/mysql "
        "timeout in the DSN); 0 = none, as by default: the opener's dials then have no deadline at all.",
    )
    driver: Literal["neutral", "pgx", "pq", "mysql"] = Field(
        "neutral",
        description="How dead connections are noticed and cancelled queries end: neutral (every dead conn "
        "caught at checkout), pgx (jackc/pgx v5 stdlib), pq (lib/pq), mysql (go-sql-driver/mysql).",
    )

    @model_validator(mode="after")
    def _jitter_needs_lifetime(self) -> PoolSpec:
        if self.conn_max_lifetime_jitter > 0 and self.conn_max_lifetime == 0:
            raise ValueError("conn_max_lifetime_jitter spreads conn_max_lifetime, which is 0 (forever): set both")
        return self

    @property
    def effective_max_idle(self) -> int:
        """The idle cap Go ends up with (``maxIdleConnsLocked`` after both setters)."""
        idle = 2 if self.max_idle is None else self.max_idle
        if self.max_open > 0:
            idle = min(idle, self.max_open)
        return idle


class AutoscaleSpec(Spec):
    """Horizontal autoscaling on arrival rate per instance."""

    min: Int = Field(1, ge=1, le=MAX_INSTANCES, description="Fewest instances.")
    max: Int = Field(10, ge=1, le=MAX_INSTANCES, description="Most instances.")
    target: Rate = Field(..., gt=0, description="Arrival rate one instance should take, e.g. 300/s.")
    interval: Annotated[Duration, _zero_or_at_least(1.0, "1s")] = Field(
        "15s", gt=0, description="How often the autoscaler looks.")
    delay: Duration = Field("30s", description="Time for a new instance to start serving.")

    @model_validator(mode="after")
    def _bounds(self) -> AutoscaleSpec:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must be >= min ({self.min})")
        return self


class DeploySpec(Spec):
    """A rolling deploy: instances are replaced in batches, old and new overlapping."""

    at: Duration = Field(..., description="When the deploy starts.")
    batch: Int = Field(1, ge=1, le=MAX_INSTANCES, description="Instances replaced at a time (max surge).")
    overlap: Duration = Field(
        "30s", description="How long a batch of new instances runs beside the old ones before they go."
    )


class FleetSpec(Spec):
    """The app instances, each with its own pool, sharing one database."""

    instances: Int = Field(3, ge=1, le=MAX_INSTANCES, description="Instances (the starting count when autoscaling).")
    pool: PoolSpec = Field(default_factory=PoolSpec)
    autoscale: AutoscaleSpec | None = Field(None, description="Scale on load (off when absent).")
    deploy: DeploySpec | None = Field(None, description="A rolling deploy (none when absent).")

    @model_validator(mode="after")
    def _autoscale_bounds(self) -> FleetSpec:
        a = self.autoscale
        if a is not None and not a.min <= self.instances <= a.max:
            raise ValueError(f"instances ({self.instances}) must lie within autoscale min..max ({a.min}..{a.max})")
        return self


class RequestSpec(Spec):
    """What one request does with the database."""

    queries: Int = Field(2, ge=1, le=1_000, description="Queries per request.")
    transaction: bool = Field(True, description="Run all queries in one transaction on one connection.")
    timeout: Duration = Field(
        "2s", description="Context deadline: bounds the wait, the dial and the queries (0 = none)."
    )
    think: Distribution = Field(
        default_factory=lambda: ExponentialDist(mean="25ms"),
        description="App time between queries, e.g. a call to another service (a transaction keeps its conn).",
    )


def _default_arrivals() -> list[Any]:
    return [PoissonArrivals(rate="600/s"), SpikeArrivals(**{"at": "20s", "for": "30s", "rate": "2000/s"})]


class WorkloadSpec(Spec):
    """Traffic: arrival processes that add up, and the request each arrival makes."""

    arrivals: list[ArrivalSpec] = Field(default_factory=_default_arrivals, min_length=1, max_length=100)
    request: RequestSpec = Field(default_factory=RequestSpec)


class PitfallsSpec(Spec):
    """Production mistakes, each off by default."""

    pool_per_request: bool = Field(False, description="sql.Open per request (then db.Close): a dial each time.")
    leaked_rows: Float = Field(
        0.0, ge=0, le=1,
        description="Fraction of requests that never close their *sql.Rows (held until the ctx ends, or forever).",
    )
    no_deadline: bool = Field(False, description="Handlers use context.Background(): no deadline anywhere.")


class NetworkSpec(Spec):
    """A middlebox (NAT, firewall, load balancer) between the app and the database."""

    idle_drop: Annotated[Duration, _zero_or_at_least(1e-3, "1ms")] = Field(
        0.0, description="Silently drop flows idle this long (0 = never).")
    keepalive: Duration = Field(
        "15s", description="Client TCP keepalive interval (Go's default 15s; 0 = off). Probes keep flows alive."
    )
    orphan_timeout: Duration = Field(
        "2h11m15s",
        description="How long the server keeps a session whose client vanished (server TCP keepalive: 2h + 9 × 75s).",
    )
