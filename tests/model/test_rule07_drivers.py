"""Rule 7.5 and 4.3 by driver (``fleet.pool.driver``): how a dead pooled conn is noticed
(at checkout, retried invisibly, or only when the query fails) and what a query cut short
by its deadline does on the server."""

import pytest

from simpool.exceptions import ScenarioError
from simpool.model.drivers import MYSQL_INVALID_CONN, PGX_UNEXPECTED_EOF, PQ_CONN_RESET
from simpool.scenario import load_scenario
from tests.model.harness import make_app


def _idle_conns(env, h, n=2):
    """n idle conns, each returned once (so ResetSession runs at their next checkout)."""
    for _ in range(n):
        h.send()
    env.run(until=1)
    db = h.instance.db
    assert len(db.free_conn) == n
    return db


def _kill(dc, dropped):
    """The server closed the session (FIN), or a middlebox dropped the flow (RST later)."""
    dc.session.dead = True
    dc.session.dropped = dropped


def _last(h):
    record = h.recorder.records[-1]
    return record.outcome, record.error


@pytest.mark.parametrize("dropped", [False, True])
def test_neutral_catches_every_dead_conn_at_checkout(env, dropped):
    """neutral (the default): both kinds fail ResetSession, the request succeeds on a retry."""
    h = make_app(env, pool={"max_idle": 2})
    db = _idle_conns(env, h)
    _kill(db.free_conn[-1], dropped)
    h.send()
    env.run(until=2)
    assert _last(h) == ("ok", None) and db.dials == 2


def test_mysql_sees_a_closed_conn_at_checkout(env):
    """go-sql-driver/mysql: CheckConnLiveness reads the server's FIN: ErrBadConn, retried."""
    h = make_app(env, pool={"max_idle": 2, "driver": "mysql"}, database={"flavor": "mysql"})
    db = _idle_conns(env, h)
    _kill(db.free_conn[-1], dropped=False)
    h.send()
    env.run(until=2)
    assert _last(h) == ("ok", None)


def test_mysql_misses_a_dropped_flow_and_the_caller_sees_invalid_connection(env):
    """A dropped flow passes the liveness check; the query's read meets the RST:
    ``invalid connection``, not retried; the conn is discarded."""
    h = make_app(env, pool={"max_idle": 2, "driver": "mysql"}, database={"flavor": "mysql"})
    db = _idle_conns(env, h)
    dead = db.free_conn[-1]
    _kill(dead, dropped=True)
    h.send()
    env.run(until=2)
    assert _last(h) == ("bad_connection", MYSQL_INVALID_CONN.message)
    assert dead.closed and db.dials == 2


@pytest.mark.parametrize("dropped", [False, True])
def test_pgx_pings_a_conn_not_reset_for_a_second(env, dropped):
    """pgx: ResetSession pings when more than 1 s passed since the previous reset: the
    dead conn fails the ping (ErrBadConn) and the request succeeds on a retry."""
    h = make_app(env, pool={"max_idle": 2, "driver": "pgx"})
    db = _idle_conns(env, h)
    _kill(db.free_conn[-1], dropped)
    h.send()
    env.run(until=2)
    assert _last(h) == ("ok", None)


def test_pgx_does_not_ping_a_conn_reset_under_a_second_ago(env):
    """A conn reset at 1.0 s and dead by 1.5 s is not pinged at 1.5 s: its query fails with
    pgx's own error, which the caller sees (nothing was SafeToRetry)."""
    h = make_app(env, pool={"max_idle": 1, "driver": "pgx"})
    db = _idle_conns(env, h, n=1)
    h.send()  # checks the conn out at 1.0 s: ResetSession (and a ping) runs now
    env.run(until=1.5)
    _kill(db.free_conn[-1], dropped=False)
    h.send()
    env.run(until=3)
    assert _last(h) == ("bad_connection", PGX_UNEXPECTED_EOF.message)


def test_pq_retries_a_closed_conn_after_the_query_fails(env):
    """lib/pq has no probe: the query reads io.EOF, which it reports as ErrBadConn, so
    database/sql retries and the request succeeds."""
    h = make_app(env, pool={"max_idle": 2, "driver": "pq"})
    db = _idle_conns(env, h)
    _kill(db.free_conn[-1], dropped=False)
    h.send()
    env.run(until=2)
    assert _last(h) == ("ok", None) and db.dials == 2


def test_pq_retries_begin_on_a_closed_conn(env):
    """In a transaction the first statement is BEGIN, and BeginTx is retried too."""
    h = make_app(env, pool={"max_idle": 2, "driver": "pq"}, queries=2, transaction=True)
    db = _idle_conns(env, h)
    _kill(db.free_conn[-1], dropped=False)
    h.send()
    env.run(until=2)
    assert _last(h) == ("ok", None)


def test_pq_returns_connection_reset_on_a_dropped_flow(env):
    """A dropped flow: the query's read gets the RST as a *net.OpError, returned as is."""
    h = make_app(env, pool={"max_idle": 2, "driver": "pq"})
    db = _idle_conns(env, h)
    _kill(db.free_conn[-1], dropped=True)
    h.send()
    env.run(until=2)
    assert _last(h) == ("bad_connection", PQ_CONN_RESET.message)


@pytest.mark.parametrize(("driver", "core_busy_after_deadline"), [("pgx", True), ("pq", False)])
def test_a_cancelled_query_keeps_running_unless_pq_cancels_it(env, driver, core_busy_after_deadline):
    """Rule 4.3: a 1 s query with a 100 ms deadline. pgx closes the socket and the server
    runs the query on (its core busy until 1 s); lib/pq's CancelRequest stops it at once,
    and the session's slot goes with the discarded conn."""
    h = make_app(env, pool={"driver": driver}, database={"cores": 1}, timeout="100ms", query="1s")
    h.send()
    env.run(until=0.5)
    assert _last(h)[0] == "deadline_exceeded"
    assert (h.database.running == 1) is core_busy_after_deadline
    assert h.database.connections == (1 if core_busy_after_deadline else 0)
    env.run(until=2)
    assert h.database.running == 0 and h.database.connections == 0


def test_a_driver_must_speak_the_servers_protocol():
    with pytest.raises(ScenarioError, match="driver mysql does not talk to database.flavor postgres"):
        load_scenario(overrides={"fleet.pool.driver": "mysql"})
    with pytest.raises(ScenarioError, match="driver pgx"):
        load_scenario({"database": {"flavor": "mysql"}, "fleet": {"pool": {"driver": "pgx"}}})


@pytest.mark.parametrize(("driver", "message"), [
    ("neutral", "FATAL: sorry, too many clients already (SQLSTATE 53300)"),
    ("pgx", "failed to connect to `user=app database=app`: 10.0.0.5:5432 (db): server error: "
            "FATAL: sorry, too many clients already (SQLSTATE 53300)"),
    ("pq", "pq: sorry, too many clients already"),
])
def test_a_refusal_reads_as_the_driver_wraps_it(env, driver, message):
    """The server's words, wrapped as each driver's Connect returns them; still counted
    as too_many_connections."""
    h = make_app(env, pool={"driver": driver}, database={"max_connections": 10, "other_clients": 9,
                                                        "superuser_reserved_connections": 0})
    h.send()
    h.send()
    env.run(until=1)
    refused = [r for r in h.recorder.records if r.outcome == "too_many_connections"]
    assert [r.error for r in refused] == [message]
