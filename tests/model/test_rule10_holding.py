"""Rule 10 (what holds a connection) and Rule 4.3 (a mid-query cancel destroys it)."""

from tests.model.harness import make_app


def test_rule_10_leaked_rows_without_deadline_hold_forever(env):
    """Rule 10: Rows never closed under context.Background() hold the conn forever; with
    MaxOpen 1 the next caller waits forever."""
    h = make_app(env, pool={"max_open": 1}, leak=1.0)
    h.send()
    env.run(until=0.5)
    h.send()
    env.run(until=100)
    db = h.instance.db
    assert [r.outcome for r in h.recorder.records] == ["ok"]
    assert (db.stats().in_use, len(db.conn_requests), h.instance.in_flight) == (1, 1, 1)


def test_rule_10_leaked_rows_end_with_their_context(env):
    """Rule 10 / 4.4: with a deadline, awaitDone closes the leaked Rows when the ctx ends;
    the driver has destroyed the socket, so the conn is discarded and the waiter gets a
    fresh one from the opener."""
    h = make_app(env, pool={"max_open": 1}, leak=1.0, timeout="1s")
    h.send()
    env.run(until=0.5)
    h.send()
    env.run(until=3)
    first, second = h.recorder.records
    assert first.outcome == second.outcome == "ok"
    assert abs(second.wait - 0.5) < 1e-9
    assert h.instance.db.dials == 2


def test_rule_10_transaction_holds_one_conn(env):
    """Rule 10: a Tx holds one conn from BeginTx to Commit, think time included; a second
    request at MaxOpen 1 waits for the commit."""
    h = make_app(env, pool={"max_open": 1}, queries=3, transaction=True, think="10ms")
    h.send()
    h.send()
    env.run(until=1)
    first, second = h.recorder.records
    assert abs(first.latency - 0.023) < 1e-9  # 3 × 1 ms queries + 2 × 10 ms think
    assert abs(second.wait - 0.023) < 1e-9
    assert h.instance.db.dials == 1


def test_rule_10_each_query_releases_its_conn(env):
    """Rule 10: without a Tx each QueryContext + rows.Close holds the conn only for that
    query; between queries the conn is idle (and reused, newest first)."""
    h = make_app(env, pool={"max_open": 1}, queries=3, think="10ms")
    request = h.send()
    env.run(until=0.005)
    db = h.instance.db
    assert request.conn is None and len(db.free_conn) == 1
    env.run(until=1)
    assert h.recorder.records[0].outcome == "ok" and db.dials == 1


def test_rule_4_3_mid_query_cancel_destroys_the_conn(env):
    """Rule 4.3: a deadline mid-query fails the request and destroys the conn at once;
    the server runs the query to completion and only then frees the session's slot."""
    h = make_app(env, timeout="500ms", query="1s")
    h.send()
    env.run(until=0.6)
    assert h.recorder.records[0].outcome == "deadline_exceeded"
    assert h.instance.db.num_open == 0
    assert h.database.connections == 1 and h.database.running == 1
    env.run(until=1.1)
    assert h.database.connections == 0 and h.database.running == 0
