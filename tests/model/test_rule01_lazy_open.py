"""Rule 1: sql.Open is lazy; the first call that needs a connection dials it."""


def test_rule_1_3_open_and_setters_dial_nothing(env, make_db, server):
    """Rule 1.3: after Open + setters, OpenConnections == 0, no dial, no cleaner."""
    db = make_db(max_open=10, max_idle=5, lifetime=60.0, idle_time=30.0)
    env.run(until=5)
    stats = db.stats()
    assert (stats.open_connections, stats.idle, stats.in_use) == (0, 0, 0)
    assert server.dials == 0
    assert not db.cleaner.running


def test_rule_1_2_first_call_dials(env, make_db, server, caller, log, advance):
    """Rule 1.2: the first DB.conn dials; the conn goes straight to the caller."""
    server.dial_time = 0.25
    db = make_db()
    a = caller("a")
    db.conn(a)
    advance(1, db)
    assert log == [(0.0, "dial"), (0.25, "a", 1)]
    assert a.dc.created_at == a.dc.returned_at == 0.25
    assert db.free_conn == []
