"""Rule 6: ConnMaxLifetime, ConnMaxIdleTime and the cleaner."""

import pytest


def _idle_conn_at(env, db, caller, advance, t):
    a = caller("a")
    db.conn(a)
    advance(env.now, db)
    if t > env.now:
        env.run(until=t)
    db.put_conn(a.dc)
    return a.dc


def _closed_at(env, db, advance, horizon=20.0, step=0.01):
    """The first time (to the step) at which the pool has no idle conn."""
    t = env.now
    while t < horizon:
        t = round(t + step, 6)
        advance(t, db)
        if not db.free_conn:
            return t
    return None


@pytest.mark.parametrize("version", ["1.23", "1.18"])
def test_rule_6_4_one_second_floor(env, make_db, caller, advance, version):
    """Rule 6.4: idle limit 100 ms → the idle conn is removed 1.00 s after return
    (measured 1.19.8 and 1.23.5): the cleaner never runs more often than once a second."""
    db = make_db(idle_time=0.1, version=version)
    _idle_conn_at(env, db, caller, advance, 0)
    assert _closed_at(env, db, advance) == pytest.approx(1.0)
    assert db.max_idle_time_closed == 1


def test_rule_6_4_next_expiry_scheduling(env, make_db, caller, advance):
    """Rule 6.4: idle limit 1.5 s → removed at 1.50 s; a conn returned later is removed at
    its own expiry because the timer shrinks to the next one (Go >= 1.18)."""
    db = make_db(idle_time=1.5, max_idle=2)
    a, b = caller("a"), caller("b")
    db.conn(a)
    db.conn(b)
    advance(0, db)
    db.put_conn(a.dc)
    env.run(until=1.0)
    db.put_conn(b.dc)
    advance(1.5, db)
    assert db.free_conn == [b.dc] and db.max_idle_time_closed == 1
    advance(2.49, db)
    assert db.free_conn == [b.dc]
    advance(2.5, db)
    assert db.free_conn == [] and db.max_idle_time_closed == 2


def test_rule_6_6_go_1_17_fixed_interval(env, make_db, caller, advance):
    """Rule 6.6: Go <= 1.17 ticks every max(1 s, shortest) without shortening: the conn
    returned at 1.0 s lives until the 3.0 s tick."""
    db = make_db(idle_time=1.5, max_idle=2, version="1.17")
    a, b = caller("a"), caller("b")
    db.conn(a)
    db.conn(b)
    advance(0, db)
    db.put_conn(a.dc)
    env.run(until=1.0)
    db.put_conn(b.dc)
    advance(2.9, db)
    assert db.free_conn == [b.dc]
    advance(3.0, db)
    assert db.free_conn == []


def test_rule_6_4_lifetime_only(env, make_db, caller, advance):
    """Rule 6.4: lifetime 300 ms alone → the idle conn is removed at 1.00 s,
    MaxLifetimeClosed = 1 (measured)."""
    db = make_db(lifetime=0.3)
    _idle_conn_at(env, db, caller, advance, 0)
    assert _closed_at(env, db, advance) == pytest.approx(1.0)
    assert (db.max_lifetime_closed, db.max_idle_time_closed) == (1, 0)


@pytest.mark.parametrize("version,counter", [("1.23", "max_idle_time_closed"), ("1.17", "max_lifetime_closed")])
def test_rule_6_pass_order_decides_the_counter(env, make_db, caller, advance, version, counter):
    """Rule 6.4/6.6 (source): >= 1.18 runs the idle pass first, <= 1.17 the lifetime pass,
    so a conn past both limits lands in a different counter."""
    db = make_db(lifetime=1.0, idle_time=1.0, version=version)
    _idle_conn_at(env, db, caller, advance, 0)
    advance(1.0, db)
    assert db.free_conn == []
    assert db.max_idle_time_closed + db.max_lifetime_closed == 1
    assert getattr(db, counter) == 1


def test_rule_6_3_cleaner_stops_when_nothing_is_open(env, make_db, caller, advance):
    """Rule 6.3: the cleaner exits when numOpen == 0 and restarts on the next idle append."""
    db = make_db(idle_time=0.1)
    _idle_conn_at(env, db, caller, advance, 0)
    advance(2.0, db)
    assert not db.cleaner.running and db.num_open == 0
    _idle_conn_at(env, db, caller, advance, 0)
    assert db.cleaner.running


def test_rule_6_2_in_use_conns_are_never_interrupted(env, make_db, caller, advance):
    """Rule 6.2: the cleaner touches only idle conns; an in-use conn past its lifetime is
    closed when returned."""
    db = make_db(lifetime=1.0, max_idle=2)
    a, b = caller("a"), caller("b")
    db.conn(a)
    db.conn(b)
    advance(0, db)
    db.put_conn(b.dc)  # starts the cleaner
    advance(5.0, db)
    assert a.dc.in_use and not a.dc.closed
    db.put_conn(a.dc)
    assert a.dc.closed and db.max_lifetime_closed == 2


def test_rule_6_5_shortening_a_limit_wakes_the_cleaner(env, make_db, caller, advance):
    """Rule 6.5 (Go 1.26): a setter that makes the shortest limit smaller wakes the
    cleaner now instead of at its old timer."""
    db = make_db(lifetime=100.0)
    _idle_conn_at(env, db, caller, advance, 0)
    env.run(until=2.0)
    db.set_conn_max_idle_time(0.5)
    advance(2.0, db)
    assert db.free_conn == [] and db.max_idle_time_closed == 1
