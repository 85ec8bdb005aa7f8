"""The ``conn_max_lifetime_jitter`` what-if (not a database/sql rule: pgxpool's
``MaxConnLifetimeJitter``): each conn lives ConnMaxLifetime plus its own random extra,
at checkout, at return and in the cleaner alike, so conns opened together expire apart."""

import pytest

from simpool import load_scenario, simulate
from simpool.exceptions import ScenarioError


class Extras:
    """Hands out the given extra lifetimes, one per new conn."""

    def __init__(self, *values):
        self.values = list(values)

    def __call__(self):
        return self.values.pop(0)


def test_checkout_honours_the_extra_lifetime(env, make_db, caller, advance):
    """A conn with 0.5 s extra on a 1 s lifetime is reused at 1.4 s, but not at 1.6 s."""
    db = make_db(lifetime=1.0, max_idle=2)
    db.lifetime_jitter = Extras(0.5)
    a = caller("a")
    db.conn(a)
    advance(0, db)
    assert a.dc.lifetime_extra == 0.5
    db.put_conn(a.dc)
    env.run(until=0.9)  # the cleaner's first tick (1 s) comes later
    b = caller("b")
    db.conn(b)
    assert b.dc is a.dc
    env.run(until=1.4)
    db.put_conn(b.dc)
    assert db.max_lifetime_closed == 0, "not expired at return: 1.4 < 1.5"
    env.run(until=1.45)
    c = caller("c")
    db.conn(c)
    assert c.dc is a.dc
    env.run(until=1.6)
    db.put_conn(c.dc)
    assert db.max_lifetime_closed == 1, "expired at return: 1.6 > 1.5"


@pytest.mark.parametrize("version", ["1.23", "1.17"])
def test_the_cleaner_closes_each_conn_at_its_own_expiry(env, make_db, caller, advance, version):
    """Two idle conns dialed together, extras 0 s and 3 s on a 2 s lifetime: the cleaner
    takes the first at its 2 s tick and keeps the second until a tick past 5 s."""
    db = make_db(lifetime=2.0, max_idle=2, version=version)
    db.lifetime_jitter = Extras(0.0, 3.0)
    a, b = caller("a"), caller("b")
    db.conn(a)
    db.conn(b)
    advance(0, db)
    db.put_conn(a.dc)
    db.put_conn(b.dc)
    advance(2.0, db)
    assert db.free_conn == [b.dc] and db.max_lifetime_closed == 1
    advance(4.99, db)
    assert db.free_conn == [b.dc]
    advance(6.0, db)
    assert db.free_conn == [] and db.max_lifetime_closed == 2


def test_without_jitter_nothing_is_drawn(make_db):
    """database/sql has no jitter: by default no sampler exists and conns live exactly
    ConnMaxLifetime."""
    assert make_db(lifetime=1.0).lifetime_jitter is None


def test_jitter_needs_a_lifetime():
    with pytest.raises(ScenarioError, match="conn_max_lifetime_jitter"):
        load_scenario(overrides={"fleet.pool.conn_max_lifetime_jitter": "1m"})


def test_jitter_keeps_the_traffic_and_is_reproducible():
    """The jitter has its own random stream: arrivals (common random numbers) stay, and
    the same seed gives the same numbers."""
    base = {"duration": "5s", "warmup": "1s", "fleet.pool.max_open": 20, "fleet.pool.max_idle": 20,
            "fleet.pool.conn_max_lifetime": "1s"}
    plain = simulate(load_scenario(overrides=base)).summary()
    jittered = [simulate(load_scenario(overrides={**base, "fleet.pool.conn_max_lifetime_jitter": "1s"})).summary()
                for _ in range(2)]
    assert jittered[0] == jittered[1]
    assert jittered[0]["requests"]["total"] == plain["requests"]["total"]
    assert jittered[0]["pool"]["max_lifetime_closed"] != plain["pool"]["max_lifetime_closed"]
