"""Rule 8: maybeOpenNewConnections and the serial opener goroutine."""

import numpy as np

from simpool.model.distributions import uniform_stream


def _full_pool(env, make_db, caller, advance, server, n, **kw):
    db = make_db(max_open=n, uniform=uniform_stream(np.random.default_rng(5)), **kw)
    holders = [caller(f"h{i}") for i in range(n)]
    for h in holders:
        db.conn(h)
    advance(env.now + server.dial_time, db)
    return db, holders


def test_rule_8_1_one_opener_dial_per_waiter_within_max_open(env, make_db, caller, server, advance):
    """Rule 8.1: a close calls maybeOpenNewConnections: min(waiters, maxOpen - numOpen)
    dials, each counted in numOpen at once (not when a waiter registers)."""
    db, holders = _full_pool(env, make_db, caller, advance, server, 2)
    for name in "cde":
        db.conn(caller(name))
    assert server.dials == 2  # registering waiters dials nothing
    db.put_conn(holders[0].dc, bad=True)
    assert db.num_open == 2 and server.dials == 3
    db.check_invariants()


def test_rule_8_2_refusal_cascade(env, make_db, caller, server, advance, log):
    """Rule 8.2: against a refusing server each failed opener dial fails exactly one
    waiter and queues the next dial at once (no backoff)."""
    server.dial_time = 1.0
    db, holders = _full_pool(env, make_db, caller, advance, server, 1)
    waiters = [caller(n) for n in "bcd"]
    for w in waiters:
        db.conn(w)
    server.refuse = True
    db.put_conn(holders[0].dc, bad=True)
    advance(10, db)
    answers = [entry for entry in log if len(entry) == 3]
    assert [(t, kind) for t, _, kind in answers] == [
        (1.0, 1), (2.0, "too_many_connections"), (3.0, "too_many_connections"), (4.0, "too_many_connections")]
    assert sorted(name for _, name, _ in answers[1:]) == ["b", "c", "d"]
    assert db.failed_dials == 3 and db.num_open == 0


def test_rule_8_3_opener_dials_serially(env, make_db, caller, server, advance, log):
    """Rule 8.3: k replacements for k waiters take k dial latencies (one opener)."""
    server.dial_time = 1.0
    db, holders = _full_pool(env, make_db, caller, advance, server, 3)
    for name in "abc":
        db.conn(caller(name))
    for h in holders:
        db.put_conn(h.dc, bad=True)
    advance(10, db)
    served = [t for t, *rest in log if len(rest) == 2 and rest[0] in "abc"]
    assert served == [2.0, 3.0, 4.0]


def test_rule_8_2_opener_conn_with_no_waiter_goes_idle(env, make_db, caller, server, advance):
    """Rule 8.2: if the waiter left while the opener dialed, the new conn goes idle."""
    server.dial_time = 2.0
    db, holders = _full_pool(env, make_db, caller, advance, server, 1)
    b = caller("b")
    db.conn(b, deadline=env.now + 0.5)
    db.put_conn(holders[0].dc, bad=True)
    advance(env.now + 2.0, db)
    assert len(db.free_conn) == 1 and db.max_idle_closed == 0


def test_rule_8_2_opener_conn_closed_without_final_close(env, make_db, caller, server, advance):
    """Rule 8.2 (source): with no waiter and no idle room the opener closes the conn itself
    (numOpen--, MaxIdleClosed++) and dials nothing more."""
    server.dial_time = 2.0
    db, holders = _full_pool(env, make_db, caller, advance, server, 1, max_idle=0)
    b = caller("b")
    db.conn(b, deadline=env.now + 0.5)
    db.put_conn(holders[0].dc, bad=True)
    advance(env.now + 5.0, db)
    assert (db.num_open, db.max_idle_closed, server.dials) == (0, 1, 2)
