"""Rule 3: the waiter queue — registration, hand-off, which waiter, counters."""

import numpy as np
import pytest

from simpool.model.distributions import uniform_stream
from simpool.model.errors import ERR_BAD_CONN
from simpool.model.pool import ALWAYS_NEW, CACHED_OR_NEW
from simpool.model.waiters import ConnRequest


def test_rule_3_1_wait_count_rises_when_the_wait_starts(env, make_db, caller, advance):
    """Rule 3.1: waitCount++ at registration; WaitDuration excludes waits in progress."""
    db = make_db(max_open=1)
    db.conn(caller("a"))
    advance(0, db)
    b = caller("b")
    db.conn(b)
    assert db.wait_count == 1 and b.answers == 0
    advance(5, db)
    assert db.stats().wait_duration == 0.0
    assert len(db.conn_requests) == 1


def test_rule_3_2_freed_conn_goes_to_a_waiter(env, make_db, caller, advance, log):
    """Rule 3.2: a returned conn goes to a waiter, not the idle list; the wait counts."""
    db = make_db(max_open=1)
    a, b = caller("a"), caller("b")
    db.conn(a)
    advance(0, db)
    db.conn(b)
    env.run(until=2)
    db.put_conn(a.dc)
    assert log[-1] == (2.0, "b", 1)
    assert db.free_conn == [] and db.wait_duration == 2.0
    db.check_invariants()


def test_rule_3_2_over_max_open_serves_no_waiter(env, make_db, caller, advance):
    """Rule 3.2: with numOpen > maxOpen a returned conn is closed and waiters keep
    waiting; the close is not counted in MaxIdleClosed."""
    db = make_db(max_open=2)
    a, b, c = caller("a"), caller("b"), caller("c")
    db.conn(a)
    db.conn(b)
    advance(0, db)
    db.conn(c)
    db.set_max_open_conns(1)
    env.run(until=1)
    db.put_conn(a.dc)
    assert c.answers == 0 and db.num_open == 1 and db.max_idle_closed == 0
    env.run(until=2)
    db.put_conn(b.dc)
    assert c.dc is b.dc


def _winner_frequencies(version, n, trials, order="random", seed=11, warm=0):
    """Reference's method: maxOpen 1, hold the only conn, queue n waiters one at a time,
    release, record which one got it. ``warm`` waiters queue (and leave) first."""
    import simpy

    from simpool.model.pool import DB
    from simpool.model.profiles import PROFILES
    from tests.conftest import Caller, FakeServer

    rng = np.random.default_rng(seed)
    wins = np.zeros(n)
    for _ in range(trials):
        env = simpy.Environment()
        log: list = []
        db = DB(env, FakeServer(env, log), profile=PROFILES[version], waiter_order=order,
                uniform=uniform_stream(np.random.default_rng(rng.integers(2**63))))
        db.configure(max_open=1)
        holder = Caller(env, log, "holder")
        db.conn(holder)
        env.run(until=1)
        if warm:
            warmers = [Caller(env, log, "w") for _ in range(warm)]
            for w in warmers:
                db.conn(w, deadline=2.0)
            env.run(until=3)
        waiters = [Caller(env, log, str(i)) for i in range(n)]
        for w in waiters:
            db.conn(w)
        db.put_conn(holder.dc)
        wins[[i for i, w in enumerate(waiters) if w.dc is not None][0]] += 1
    return wins / trials


def test_rule_3_3_uniform_random_waiter_go_1_23():
    """Rule 3.3: Go >= 1.23 TakeRandom is uniform (measured 1.23.5: n=4 ≈ 0.25 each).
    Tolerance 0.03 at 6000 trials (over 4 standard deviations)."""
    freq = _winner_frequencies("1.23", 4, 6000)
    assert freq == pytest.approx([0.25] * 4, abs=0.03)


@pytest.mark.parametrize("n", [2, 4, 8])
def test_rule_3_3_map_biased_waiter_go_1_18(n):
    """Rule 3.3: Go 1.9-1.22 map pick on a fresh pool: P(oldest) = (9-n)/8, others 1/8
    (measured 1.19.8: n=2 0.869/0.131, n=4 0.62/0.13/0.12/0.14). Tolerance 0.03."""
    freq = _winner_frequencies("1.18", n, 6000)
    expected = [(9 - n) / 8] + [1 / 8] * (n - 1)
    assert freq == pytest.approx(expected, abs=0.03)


def test_rule_3_3_map_many_waiters_favours_the_oldest():
    """Rule 3.3: with 20 waiters (the map has grown) the oldest still wins most often and
    the newest least (measured 1.19.8: 0.117 falling to 0.028)."""
    freq = _winner_frequencies("1.18", 20, 6000)
    assert 0.08 < freq[0] < 0.16
    assert freq[-1] < 0.05
    assert freq[:5].mean() > freq[-5:].mean() * 1.5


def test_rule_3_3_map_once_grown_is_near_uniform():
    """Rule 3.3: maps never shrink; after 200 waiters once, a 4-waiter queue is ≈ uniform
    (measured 1.19.8: 0.27/0.25/0.24/0.25)."""
    freq = _winner_frequencies("1.18", 4, 3000, warm=200)
    assert freq == pytest.approx([0.25] * 4, abs=0.04)


def test_rule_3_3_fifo_what_if():
    """What-if waiter_order: fifo always serves the oldest waiter."""
    freq = _winner_frequencies("1.23", 5, 200, order="fifo")
    assert list(freq) == [1.0, 0.0, 0.0, 0.0, 0.0]


def test_rule_3_4_expiry_checked_only_for_cached_or_new(env, make_db, caller, advance):
    """Rule 3.4: a received conn past its lifetime is closed with ErrBadConn (and
    MaxLifetimeClosed++) only for cachedOrNewConn; alwaysNewConn takes it as it is."""
    db = make_db(max_open=2, lifetime=5.0)
    a, b = caller("a"), caller("b")
    db.conn(a)
    db.conn(b)
    advance(0, db)
    env.run(until=6)
    cached, fresh = caller("cached"), caller("always-new")
    db._wait(cached, CACHED_OR_NEW, env.now, float("inf"))
    req = db.conn_requests.take()
    db._deliver(req, a.dc, None)
    assert cached.err is ERR_BAD_CONN and db.max_lifetime_closed == 1
    db._deliver(ConnRequest(fresh, ALWAYS_NEW, env.now), b.dc, None)
    assert fresh.dc is b.dc and db.max_lifetime_closed == 1


def test_rule_3_5_wait_duration_on_either_outcome(env, make_db, caller, advance):
    """Rule 3.5: WaitCount counts every wait started; WaitDuration adds each wait when it
    ends, served or timed out."""
    db = make_db(max_open=1)
    a, b, c = caller("a"), caller("b"), caller("c")
    db.conn(a)
    advance(0, db)
    db.conn(b, deadline=1.5)
    db.conn(c)
    advance(1.5, db)
    assert db.wait_count == 2 and db.wait_duration == 1.5
    env.run(until=4)
    db.put_conn(a.dc)
    assert c.dc is a.dc and db.wait_duration == 1.5 + 4.0
