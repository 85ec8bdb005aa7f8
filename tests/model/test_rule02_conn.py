"""Rule 2: DB.conn — closed, ctx done, idle reuse, wait, dial, in that order."""

from simpool.model.errors import (
    ERR_BAD_CONN,
    ERR_DB_CLOSED,
    ERR_DEADLINE,
    PG_TOO_MANY_CLIENTS,
)


def _open_conns(db, caller, advance, n):
    callers = [caller(f"c{i}") for i in range(n)]
    for c in callers:
        db.conn(c)
    advance(0, db)
    return [c.dc for c in callers]


def test_rule_2_1_closed_db(make_db, caller, server):
    """Rule 2 step 1: a closed DB answers errDBClosed and dials nothing."""
    db = make_db()
    db.close()
    a = caller("a")
    db.conn(a)
    assert a.err is ERR_DB_CLOSED and server.dials == 0


def test_rule_2_2_ctx_done_before_asking(env, make_db, caller, server, advance):
    """Rule 2 step 2: an expired ctx returns ctx.Err() with no counter change."""
    db = make_db(max_open=1)
    env.run(until=1)
    a = caller("a")
    db.conn(a, deadline=1.0)
    assert a.err is ERR_DEADLINE
    assert (db.wait_count, db.dials, server.dials) == (0, 0, 0)


def test_rule_2_3_idle_reuse_newest_first_go_1_18_plus(env, make_db, caller, advance):
    """Rule 2 step 3: Go >= 1.18 reuses freeConn[last], the most recently returned."""
    db = make_db(max_idle=5)
    conns = _open_conns(db, caller, advance, 3)
    for t, dc in zip((1, 2, 3), conns, strict=True):
        env.run(until=t)
        db.put_conn(dc)
    assert [dc.id for dc in db.free_conn] == [1, 2, 3]
    a = caller("a")
    db.conn(a)
    assert a.dc.id == 3
    assert [dc.id for dc in db.free_conn] == [1, 2]


def test_rule_2_3_idle_reuse_oldest_first_go_1_17(env, make_db, caller, advance):
    """Rule 2 step 3: Go <= 1.17 reuses freeConn[0], the least recently returned."""
    db = make_db(max_idle=5, version="1.17")
    conns = _open_conns(db, caller, advance, 3)
    for t, dc in zip((1, 2, 3), conns, strict=True):
        env.run(until=t)
        db.put_conn(dc)
    a = caller("a")
    db.conn(a)
    assert a.dc.id == 1


def test_rule_2_3_expired_idle_conn_is_bad_conn(env, make_db, caller, advance, log):
    """Rule 2 step 3: an idle conn past its lifetime (strictly) is closed at checkout,
    MaxLifetimeClosed++, and the attempt returns ErrBadConn."""
    db = make_db(lifetime=10.0, max_idle=2)
    (dc,) = _open_conns(db, caller, advance, 1)
    env.run(until=1)
    db.put_conn(dc)
    env.run(until=10)
    a = caller("a")
    db.conn(a)  # created 0 + 10 is not before 10: still good
    assert a.dc is dc and db.max_lifetime_closed == 0
    db.put_conn(dc)
    env.run(until=10.5)
    b = caller("b")
    db.conn(b)
    assert b.err is ERR_BAD_CONN
    assert db.max_lifetime_closed == 1
    assert db.num_open == 0 and log[-2] == (10.5, f"close {dc.session.id}")


def test_rule_2_3_idle_time_not_checked_at_checkout(env, make_db, caller, advance):
    """Rule 2 step 3: a conn idle past ConnMaxIdleTime is still handed out if the
    cleaner (1 s floor) has not removed it yet."""
    db = make_db(idle_time=0.5)
    (dc,) = _open_conns(db, caller, advance, 1)
    db.put_conn(dc)
    advance(0.9, db)
    a = caller("a")
    db.conn(a)
    assert a.dc is dc and db.max_idle_time_closed == 0


def test_rule_2_5_num_open_counts_pending_dial(env, make_db, caller, server, advance):
    """Rule 2 step 5: numOpen++ happens before the dial finishes; InUse includes it."""
    server.dial_time = 1.0
    db = make_db()
    db.conn(caller("a"))
    advance(0.5, db)
    stats = db.stats()
    assert (stats.open_connections, stats.in_use, stats.idle) == (1, 1, 0)


def test_rule_2_5_failed_dial_is_returned_not_retried(make_db, caller, server, advance):
    """Rule 2 step 5: a dial error returns unchanged, numOpen is corrected, no retry."""
    server.refuse = True
    db = make_db()
    a = caller("a")
    db.conn(a)
    advance(1, db)
    assert a.err is PG_TOO_MANY_CLIENTS
    assert (server.dials, db.failed_dials, db.num_open) == (1, 1, 0)


def test_rule_2_unlimited_pool_never_waits(make_db, caller, server, advance):
    """Rule 2 consequences: with maxOpen 0 every caller without an idle conn dials."""
    db = make_db()
    callers = [caller(str(i)) for i in range(50)]
    for c in callers:
        db.conn(c)
    advance(0, db)
    assert server.dials == 50 and db.wait_count == 0 and db.num_open == 50


def test_rule_2_idle_reused_above_max_open(env, make_db, caller, advance):
    """Rule 2 consequences: an idle conn is reused even when numOpen > maxOpen."""
    db = make_db(max_open=3, max_idle=3)
    conns = _open_conns(db, caller, advance, 3)
    db.put_conn(conns[0])
    db.set_max_open_conns(2)
    assert db.num_open == 3 and len(db.free_conn) == 1
    a = caller("a")
    db.conn(a)
    assert a.dc is conns[0]
