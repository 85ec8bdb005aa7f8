"""Rule 5: returning a connection; the idle cap; the setters."""

import pytest


def _open(db, caller, advance, n):
    cs = [caller(f"c{i}") for i in range(n)]
    for c in cs:
        db.conn(c)
    advance(0, db)
    return [c.dc for c in cs]


def test_rule_5_1_lifetime_checked_at_return(env, make_db, caller, advance):
    """Rule 5.1 step 2: a conn past its lifetime is closed when returned (MaxLifetimeClosed++)."""
    db = make_db(lifetime=5.0)
    (dc,) = _open(db, caller, advance, 1)
    env.run(until=6)
    db.put_conn(dc)
    assert db.free_conn == [] and db.max_lifetime_closed == 1 and db.num_open == 0


def test_rule_5_1_returned_at_is_stamped(env, make_db, caller, advance):
    """Rule 5.1 step 3: returnedAt = now at every return."""
    db = make_db()
    (dc,) = _open(db, caller, advance, 1)
    env.run(until=3)
    db.put_conn(dc)
    assert dc.returned_at == 3.0 and dc.created_at == 0.0 and not dc.in_use


def test_rule_5_1_idle_list_full_closes_and_counts(make_db, caller, advance):
    """Rule 5.1 step 5: with the idle list full the conn is closed, MaxIdleClosed++."""
    db = make_db(max_idle=1)
    a, b = _open(db, caller, advance, 2)
    db.put_conn(a)
    db.put_conn(b)
    assert db.free_conn == [a] and db.max_idle_closed == 1 and db.num_open == 1


def test_rule_5_1_bad_conn_closed_and_not_counted(make_db, caller, advance):
    """Rule 5.1 step 4 / Rule 9: a bad conn is closed and counted nowhere."""
    db = make_db()
    (dc,) = _open(db, caller, advance, 1)
    db.put_conn(dc, bad=True)
    s = db.stats()
    assert (s.open_connections, s.max_idle_closed, s.max_lifetime_closed) == (0, 0, 0)


def test_rule_5_1_invalid_conn_is_discarded(make_db, caller, advance):
    """Rule 5.1 step 1: a conn the driver reports invalid (IsValid false) is treated as bad."""
    db = make_db()
    (dc,) = _open(db, caller, advance, 1)
    dc.broken = True
    db.put_conn(dc)
    assert db.free_conn == [] and db.num_open == 0


def test_rule_5_1_returning_a_conn_twice_fails_loudly(make_db, caller, advance):
    """Rule 5.1: putConn panics on a conn that is not out."""
    db = make_db()
    (dc,) = _open(db, caller, advance, 1)
    db.put_conn(dc)
    with pytest.raises(RuntimeError, match="never out"):
        db.put_conn(dc)


def test_rule_5_2_default_idle_cap_is_two(make_db, caller, advance):
    """Rule 5.2: SetMaxIdleConns never called → 2 idle conns kept."""
    db = make_db()
    conns = _open(db, caller, advance, 3)
    for dc in conns:
        db.put_conn(dc)
    assert len(db.free_conn) == 2 and db.max_idle_closed == 1


def test_rule_5_2_max_idle_zero_keeps_none(make_db, caller, advance):
    """Rule 5.2: SetMaxIdleConns(0) means zero idle conns, not the default."""
    db = make_db(max_idle=0)
    conns = _open(db, caller, advance, 2)
    for dc in conns:
        db.put_conn(dc)
    assert db.free_conn == [] and db.max_idle_closed == 2 and db.num_open == 0


def test_rule_5_3_lowering_max_idle_closes_the_newest(make_db, caller, advance):
    """Rule 5.3: SetMaxIdleConns keeps freeConn[:n] and closes the most recently
    returned, counting them in MaxIdleClosed."""
    db = make_db(max_idle=3)
    conns = _open(db, caller, advance, 3)
    for dc in conns:
        db.put_conn(dc)
    db.set_max_idle_conns(1)
    assert db.free_conn == [conns[0]] and db.max_idle_closed == 2 and db.num_open == 1


def test_rule_5_4_max_open_lowers_the_idle_cap_for_good(make_db):
    """Rule 5.4: SetMaxOpenConns(1) on a fresh DB lowers idle from 2 to 1; raising it
    later does not raise the idle cap back."""
    db = make_db(max_open=1)
    assert db.max_idle_conns_locked() == 1
    db.set_max_open_conns(5)
    assert db.max_idle_conns_locked() == 1


def test_rule_5_4_lowering_max_open_closes_surplus_idle_now(make_db, caller, advance):
    """Rule 5.4 (source wins): lowering maxOpen below the idle cap calls SetMaxIdleConns(n),
    which closes idle conns beyond n at once (MaxIdleClosed)."""
    db = make_db(max_open=3, max_idle=3)
    conns = _open(db, caller, advance, 3)
    for dc in conns:
        db.put_conn(dc)
    db.set_max_open_conns(1)
    assert db.free_conn == [conns[0]] and db.max_idle_closed == 2


def test_rule_5_4_raising_max_open_wakes_no_waiter(env, make_db, caller, advance):
    """Rule 5.4: raising maxOpen wakes no waiter; a newcomer dials and overtakes it
    (verified on 1.23.5: WaitCount 1, WaitDuration 0 while the wait goes on)."""
    db = make_db(max_open=1)
    a, b, c = caller("a"), caller("b"), caller("c")
    db.conn(a)
    advance(0, db)
    db.conn(b)
    db.set_max_open_conns(2)
    advance(0.3, db)
    assert b.answers == 0
    db.conn(c)
    advance(0.3, db)
    assert c.dc is not None and b.answers == 0
    assert (db.wait_count, db.wait_duration) == (1, 0.0)
    env.run(until=1)
    db.put_conn(a.dc)
    assert b.dc is a.dc
