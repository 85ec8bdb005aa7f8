"""Rule 9: db.Stats() — every field with the reference's exact meaning."""

from simpool.model.dbstats import DBStats


def test_rule_9_every_field_after_a_scripted_run(env, make_db, caller, server, advance):
    """Rule 9: InUse = numOpen − idle (pending dials included); counters as in Rules 3-6."""
    server.dial_time = 0.5
    db = make_db(max_open=3, max_idle=1, lifetime=10.0)
    a, b, c, d = (caller(n) for n in "abcd")
    db.conn(a)
    db.conn(b)
    advance(0.25, db)
    assert db.stats().in_use == 2 and db.stats().open_connections == 2  # both still dialing
    advance(0.5, db)
    db.conn(c)
    advance(1.0, db)
    db.conn(d)  # numOpen 3 = maxOpen: waits
    env.run(until=2.0)
    db.put_conn(a.dc)  # → d (waited 1.0 s)
    db.put_conn(b.dc)  # → idle
    db.put_conn(c.dc)  # idle full → MaxIdleClosed
    env.run(until=12.0)
    db.put_conn(d.dc)  # created 0.5 + 10 < 12 → MaxLifetimeClosed
    assert db.stats() == DBStats(
        max_open_connections=3, open_connections=1, in_use=0, idle=1, wait_count=1,
        wait_duration=1.0, max_idle_closed=1, max_idle_time_closed=0, max_lifetime_closed=1,
        dials=3, failed_dials=0, handshake_s=1.5, bad_conn_retries=0, peak_open=3)
