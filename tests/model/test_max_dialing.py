"""The ``max_dialing`` what-if (the knob golang/go#57248 proposes; database/sql has none):
at most N dials in flight per pool. A request that would dial beyond the limit waits as a
MaxOpen waiter does: a returned conn goes to it, or the opener dials for it once a dial
slot frees, and never more opener dials than waiters."""


def test_at_the_limit_a_caller_waits(env, make_db, caller, advance, server):
    """Limit 1, no MaxOpen: the first caller dials, the second waits (WaitCount 1) and
    gets a conn of its own from the opener as soon as the first dial is done."""
    server.dial_time = 0.02
    db = make_db()
    db.max_dialing = 1
    a, b = caller("a"), caller("b")
    db.conn(a)
    db.conn(b)
    assert (server.dials, db.wait_count, len(db.conn_requests)) == (1, 1, 1)
    advance(0.02, db)
    assert a.dc is not None and b.dc is None
    assert server.dials == 2, "the freed dial slot went to the waiter, through the opener"
    advance(0.04, db)
    assert b.dc is not None and b.dc is not a.dc
    assert db.wait_duration == 0.04


def test_a_returned_conn_goes_to_the_waiter(env, make_db, caller, advance, server):
    """The waiter takes the first conn that frees: here a's conn, returned before the
    opener's dial for b finishes; that dial's conn then goes to the idle list."""
    server.dial_time = 0.02
    db = make_db()
    db.max_dialing = 1
    a, b = caller("a"), caller("b")
    db.conn(a)
    db.conn(b)
    advance(0.02, db)
    db.put_conn(a.dc)
    assert b.dc is a.dc
    advance(0.04, db)
    assert len(db.free_conn) == 1 and db.num_open == 2


def test_the_opener_never_dials_more_than_the_limit(env, make_db, caller, advance, server):
    """Limit 2 and ten waiters: at no moment are more than two dials in flight, and every
    waiter is served."""
    server.dial_time = 0.01
    db = make_db(max_idle=10)
    db.max_dialing = 2
    callers = [caller(str(i)) for i in range(12)]
    for c in callers:
        db.conn(c)
    peak = 0
    while env.peek() < 1.0:
        env.step()
        db.check_invariants()
        peak = max(peak, db._dialing)
    assert peak <= 2
    assert all(c.dc is not None for c in callers)
    assert server.dials == 12


def test_without_the_limit_nothing_waits(make_db, caller):
    """database/sql (max_dialing 0): every caller that finds no idle conn dials at once."""
    db = make_db()
    for name in "abcde":
        db.conn(caller(name))
    assert db.wait_count == 0 and db._dialing == 5
