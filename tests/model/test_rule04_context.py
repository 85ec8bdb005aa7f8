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
