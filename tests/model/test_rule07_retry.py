"""Rule 7: bad connections and DB.retry — two cachedOrNewConn attempts, then one new."""

from simpool.model.errors import ERR_BAD_CONN
from simpool.model.events import call_later
from tests.model.harness import make_app


def _three_idle(env, h):
    for _ in range(3):
        h.send()
    env.run(until=1)
    assert [dc.id for dc in h.instance.db.free_conn] == [1, 2, 3]


def test_rule_7_3_three_attempts_exactly_one_fresh_dial(env, monkeypatch):
    """Rule 7.3 (verified 1.15/1.19/1.23): with 3 idle conns and a driver that always
    returns ErrBadConn: 3 driver calls, exactly 1 new dial, "driver: bad connection",
    and the oldest idle conn still idle (newest-first took the two newest)."""
    h = make_app(env, pool={"max_idle": 3})
    _three_idle(env, h)
    calls = []

    def always_bad(_database, session, demand, deadline, client):
        calls.append(session.id)
        call_later(env, 0.0, lambda c: client.query_done(ERR_BAD_CONN))

    monkeypatch.setattr(type(h.database), "execute", always_bad)  # slotted: patch the class
    h.send()
    env.run(until=2)
    db = h.instance.db
    assert calls == [3, 2, 4]
    assert db.dials == 4
    assert [dc.id for dc in db.free_conn] == [1]
    last = h.recorder.records[-1]
    assert (last.outcome, last.error) == ("bad_connection", "driver: bad connection")


def test_rule_7_5_dead_idle_conns_are_retried_transparently(env):
    """Rule 7.5: conns the server killed fail ResetSession at checkout (ErrBadConn); the
    retry closes them and the request succeeds on a fresh dial."""
    h = make_app(env, pool={"max_idle": 3})
    _three_idle(env, h)
    for dc in h.instance.db.free_conn[1:]:
        dc.session.dead = True
    h.send()
    env.run(until=2)
    db = h.instance.db
    assert h.recorder.records[-1].outcome == "ok"
    assert db.dials == 4 and sorted(dc.id for dc in db.free_conn) == [1, 4]


def test_rule_7_1_other_errors_are_not_retried(env):
    """Rule 7.1: only ErrBadConn is retried; a refused dial fails the request at once."""
    h = make_app(env, database={"max_connections": 10, "superuser_reserved_connections": 0,
                                "other_clients": 9})
    h.send()
    h.send()
    env.run(until=1)
    outcomes = [r.outcome for r in h.recorder.records]
    assert sorted(outcomes) == ["ok", "too_many_connections"]
    assert h.instance.db.dials == 2


def test_rule_7_1_no_retry_inside_a_transaction(env):
    """Rule 7.1: statements inside a Tx are not retried: a dead conn mid-transaction fails
    the request with the driver's error and the conn is discarded."""
    h = make_app(env, queries=2, transaction=True, think="10ms")
    request = h.send()
    env.run(until=0.005)  # first statement done, the handler is thinking, holding the conn
    db = h.instance.db
    assert db.num_open == 1 and not db.free_conn
    request.conn.session.dead = True
    env.run(until=1)
    assert h.recorder.records[-1].outcome == "bad_connection"
    assert db.dials == 1 and db.num_open == 0


def test_rule_7_1_retries_are_counted(env):
    """Each attempt made again after ErrBadConn counts once: two dead idle conns, then a
    fresh dial, is two retries (bad_conn_retries, which Go itself does not count)."""
    h = make_app(env, pool={"max_idle": 3})
    _three_idle(env, h)
    for dc in h.instance.db.free_conn[1:]:
        dc.session.dead = True
    h.send()
    env.run(until=2)
    assert h.instance.db.bad_conn_retries == 2
    assert h.instance.db.stats().bad_conn_retries == 2
