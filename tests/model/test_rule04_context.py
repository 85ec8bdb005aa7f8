"""Rule 4: context deadlines while waiting and while dialing."""

from simpool.model.errors import ERR_DEADLINE


def test_rule_4_1_deadline_while_waiting(env, make_db, caller, advance, log):
    """Rule 4.1: the ctx ends while waiting: the request leaves the queue, its wait is
    added to WaitDuration, ctx.Err() is returned; a later return goes to the idle list."""
    db = make_db(max_open=1)
    a, b = caller("a"), caller("b")
    db.conn(a)
    advance(0, db)
    db.conn(b, deadline=1.0)
    advance(1.0, db)
    assert log[-1] == (1.0, "b", "deadline_exceeded") and b.err is ERR_DEADLINE
    assert len(db.conn_requests) == 0
    assert (db.wait_count, db.wait_duration) == (1, 1.0)
    env.run(until=2)
    db.put_conn(a.dc)
    assert db.free_conn == [a.dc]


def test_rule_4_2_caller_dial_is_bounded_by_its_deadline(make_db, caller, server, advance):
    """Rule 4.2: the caller's ctx goes to Connect; if it ends first the dial fails with
    ctx.Err() and numOpen is corrected."""
    server.dial_time = 1.0
    db = make_db()
    a = caller("a")
    db.conn(a, deadline=0.5)
    advance(0.5, db)
    assert a.err is ERR_DEADLINE
    assert (db.num_open, db.failed_dials, db.handshake_s) == (0, 1, 0.5)


def test_rule_4_2_opener_dials_have_no_deadline(env, make_db, caller, server, advance):
    """Rule 4.2: opener dials use the DB's own ctx: a waiter's deadline does not cut them."""
    server.dial_time = 2.0
    db = make_db(max_open=1, max_idle=1)
    a, b = caller("a"), caller("b")
    db.conn(a)
    advance(2, db)
    db.conn(b, deadline=3.0)
    db.put_conn(a.dc, bad=True)  # closes → maybeOpenNewConnections → opener dial until t=4
    advance(4, db)
    assert b.err is ERR_DEADLINE
    assert db.free_conn and db.free_conn[0].created_at == 4.0


def test_rule_4_1_each_waiter_ends_at_its_own_deadline(env, make_db, caller, advance, log):
    """Rule 4.1 with several waiters: each still waiting leaves at exactly its own deadline,
    in deadline order whatever order they came in; the one served in time never times out."""
    db = make_db(max_open=1)
    holder, a, b, c = caller("holder"), caller("a"), caller("b"), caller("c")
    db.conn(holder)
    advance(0, db)
    db.conn(a, deadline=3.0)
    db.conn(b, deadline=2.0)
    db.conn(c, deadline=1.0)  # the earliest deadline, though it came last
    db.put_conn(holder.dc)  # the stream's 0.0 picks index 0 of the slice: a
    advance(5, db)
    assert log == [(0, "dial"), (0, "holder", 1), (0, "a", 1), (1.0, "c", "deadline_exceeded"),
                   (2.0, "b", "deadline_exceeded")]
    assert db.wait_duration == 3.0


def test_rule_4_1_a_served_waiter_leaves_no_timer_behind(env, make_db, caller, advance):
    """The pool keeps one timer for the earliest live deadline, not one per waiter: a
    thousand waiters served at once leave a single pending timer in the schedule."""
    db = make_db(max_open=1000, max_idle=1000)
    holders = [caller(f"h{i}") for i in range(1000)]
    for h in holders:
        db.conn(h)
    advance(0, db)
    waiters = [caller(f"w{i}") for i in range(1000)]
    for i, w in enumerate(waiters):
        db.conn(w, deadline=10.0 + i)
    for h in holders:
        db.put_conn(h.dc)
    assert all(w.dc is not None for w in waiters)
    assert len(env._queue) == 1  # the one deadline timer, due at 10 s, now with nothing to do
    advance(11, db)
    assert len(env._queue) == 0 and len(db.wait_deadlines) == 0
