"""The validation traces: a few seconds of requests each, every one a pool rule at work.

A trace is the setting (database, fleet, pool) and its rows, as simpool's trace replay
reads them (``t_ms``, ``instance``, ``service_ms``, ``timeout_ms``). Rows are drawn from
a fixed seed, so a trace is the same on every machine. Service times are several
milliseconds, because Go's timers wake a fraction of a millisecond late (the harness
measures the real durations, and those are what simpool replays).
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass

import numpy as np

from simpool.scenario import FLAVOR_DEFAULTS

Row = tuple[float, int, float, float]
"""(t_ms, instance, service_ms, timeout_ms); timeout 0 = no deadline."""


@dataclass(frozen=True)
class Trace:
    """One validation trace: the setting and the requests.

    Pool fields are simpool's (``max_idle`` None = Go's default 2; durations in ms, 0 =
    forever). The handshake is a constant in the harness; the server asks for a slot
    ``handshake_before_slot`` into it and answers a refusal
    ``max(refused_handshake, handshake_before_slot)`` into it, as simpool's database does
    (``refused_handshake`` None: the flavour's default).

    The slot is asked for at the handshake's start (``handshake_before_slot`` 0, as MySQL
    counts at accept) in every trace: where a handshake takes its slot is the server's
    rule, measured against a real PostgreSQL by ``tests/realpg``, while the pool's rules
    hold whatever it is. With PostgreSQL's 0.28, the harness's two timers (before and
    after the slot) each wake late, and simpool, given one handshake per dial, takes the
    slot some 0.3 ms off the moment Go did, which measurably moved refusals (3% more in
    ``fleet-burst``).
    """

    name: str
    story: str
    rows: tuple[Row, ...]
    instances: int = 1
    max_open: int = 0
    max_idle: int | None = None
    lifetime_ms: float = 0.0
    idle_time_ms: float = 0.0
    flavor: str = "postgres"
    max_connections: int = 100
    superuser_reserved: int = 3
    handshake_ms: float = 3.0
    handshake_before_slot: float = 0.0
    refused_handshake: float | None = None

    @property
    def duration_ms(self) -> float:
        """When the last request arrives."""
        return self.rows[-1][0]

    @property
    def refused_share(self) -> float:
        """``refused_handshake``, the flavour's default if not given."""
        value = self.refused_handshake
        return FLAVOR_DEFAULTS[self.flavor]["refused_handshake"] if value is None else value

    @property
    def digest(self) -> str:
        """A fingerprint of the setting and rows, so results of another trace are noticed."""
        return hashlib.sha256(repr(astuple(self)).encode()).hexdigest()[:16]


def _poisson(rng: np.random.Generator, rate_per_s: float, start_ms: float, end_ms: float) -> np.ndarray:
    n = rng.poisson(rate_per_s * (end_ms - start_ms) / 1e3)
    return np.sort(rng.uniform(start_ms, end_ms, n))


def _rows(times: np.ndarray, services: np.ndarray, *, instances: int = 1, timeout_ms: float = 0.0) -> tuple[Row, ...]:
    """Rows in time order, round robin over the instances (as simpool's fleet routes)."""
    order = np.argsort(times, kind="stable")
    return tuple(
        (round(float(times[j]), 3), i % instances, round(float(services[j]), 3), timeout_ms)
        for i, j in enumerate(order)
    )


def plain_mmc() -> Trace:
    """M/M/4 at 80% load: Poisson arrivals, exponential queries, four kept connections."""
    rng = np.random.default_rng(101)
    t = _poisson(rng, 400, 0, 3000)
    return Trace("mmc", "M/M/4 at 80% load: MaxOpen 4, MaxIdle 4; Poisson 400/s, queries exp(8 ms)",
                 _rows(t, rng.exponential(8.0, len(t))), max_open=4, max_idle=4, handshake_ms=2.0)


def idle_churn() -> Trace:
    """Go's default MaxIdle 2 under a concurrency of about 3: connections closed on
    return (MaxIdleClosed) and dialed again."""
    rng = np.random.default_rng(102)
    t = _poisson(rng, 600, 0, 2500)
    return Trace("idle-churn", "MaxIdle 2 (default), MaxOpen unlimited; Poisson 600/s, queries exp(5 ms)",
                 _rows(t, rng.exponential(5.0, len(t))))


def fleet_burst() -> Trace:
    """Three uncapped pools share a PostgreSQL with 21 usable slots; a burst overflows it."""
    rng = np.random.default_rng(103)
    t = np.concatenate([_poisson(rng, 150, 0, 3000), _poisson(rng, 2000, 1000, 1400)])
    return Trace("fleet-burst", "3 instances, MaxOpen unlimited, max_connections 24 (21 usable); "
                 "150/s plus a 2000/s burst for 400 ms, queries exp(10 ms)",
                 _rows(t, rng.exponential(10.0, len(t)), instances=3),
                 instances=3, max_connections=24, handshake_ms=5.0)


def lifetime_expiry() -> Trace:
    """ConnMaxLifetime 400 ms: expired at checkout, on return and by the cleaner."""
    rng = np.random.default_rng(104)
    t = _poisson(rng, 300, 0, 3000)
    return Trace("lifetime", "ConnMaxLifetime 400 ms, MaxOpen 5, MaxIdle 5; Poisson 300/s, queries exp(6 ms)",
                 _rows(t, rng.exponential(6.0, len(t))), max_open=5, max_idle=5, lifetime_ms=400.0)


def idle_time_expiry() -> Trace:
    """ConnMaxIdleTime 250 ms: a burst opens ten connections, then a trickle needs one or
    two. Go hands out the most recently returned idle connection (LIFO since 1.18), so
    the spare ones sit idle and only the cleaner closes them, on its own clock (at least
    a second between runs); a second burst opens them again. Had Go handed out the
    oldest (Go ≤ 1.17), the trickle would cycle through all ten and keep them alive.

    The cleaner runs about 1, 2 and 3 s in (a second after the first return). The
    trickle pauses for the 120 ms before each of those runs' 250 ms horizon, so that no
    connection was returned within a few milliseconds of it: there, whether it is closed
    would depend on how late Go's timer fires, not on a pool rule."""
    rng = np.random.default_rng(105)
    trickle = [_poisson(rng, 80, start, end) for start, end in ((200, 700), (820, 1700), (1820, 2700), (2820, 3500))]
    t = np.concatenate([_poisson(rng, 1000, 0, 200), *trickle, _poisson(rng, 1000, 1800, 2000)])
    return Trace("idle-time", "ConnMaxIdleTime 250 ms, MaxOpen 10, MaxIdle 10; 80/s with 200 ms bursts at "
                 "1000/s at 0 and 1.8 s, queries exp(8 ms)",
                 _rows(t, rng.exponential(8.0, len(t))), max_open=10, max_idle=10, idle_time_ms=250.0)


def deadlines_overload() -> Trace:
    """120% load on MaxOpen 3 with a 40 ms deadline: waits that expire, and queries
    cancelled mid-flight (their connections destroyed and dialed again by the opener)."""
    rng = np.random.default_rng(106)
    t = _poisson(rng, 450, 0, 2500)
    return Trace("deadlines", "MaxOpen 3, MaxIdle 3, 40 ms deadline at 120% load; Poisson 450/s, queries exp(8 ms)",
                 _rows(t, rng.exponential(8.0, len(t)), timeout_ms=40.0), max_open=3, max_idle=3)


TRACES = (plain_mmc(), idle_churn(), fleet_burst(), lifetime_expiry(), idle_time_expiry(), deadlines_overload())
"""Every validation trace, by name order of the README table."""

BY_NAME = {trace.name: trace for trace in TRACES}
