"""Restarts (``database.restarts``): every session ends at once, dials are refused while
the server is down, then it is back, empty, and the pools reconnect."""

import pytest

from simpool.exceptions import ScenarioError
from simpool.model.errors import ERR_CONNECTION_REFUSED, PG_TERMINATED
from simpool.scenario import load_scenario
from tests.model.harness import make_app

RESTART = {"restarts": [{"at": "1s", "down": "500ms"}]}


def _outcomes(h):
    return [(r.outcome, r.error) for r in h.recorder.records]


def test_a_query_under_way_fails_with_the_servers_words(env):
    """A 2 s query started at 0.5 s is ended by the restart at 1 s: the caller gets
    PostgreSQL's FATAL 57P01 (neutral driver), its slot is gone, nothing is left running."""
    h = make_app(env, database={**RESTART, "cores": 4}, query="2s")
    env.run(until=0.5)
    h.send()
    env.run(until=1.0 + 1e-9)
    assert _outcomes(h) == [("bad_connection", PG_TERMINATED.message)]
    assert (h.database.connections, h.database.running) == (0, 0)
    env.run(until=3)
    assert h.database.running == 0


def test_dials_are_refused_while_down_and_work_after(env):
    """At 1.2 s (down) a new request's dial is refused at once: ``connection refused``, not
    retried; at 2 s (back) a request dials and succeeds."""
    h = make_app(env, database=RESTART)
    env.run(until=1.2)
    h.send()
    env.run(until=1.3)
    assert _outcomes(h) == [("other", ERR_CONNECTION_REFUSED.message)]
    env.run(until=2.0)
    h.send()
    env.run(until=2.5)
    assert _outcomes(h)[-1] == ("ok", None)


def test_idle_conns_die_and_the_pool_redials(env):
    """Two idle conns at the restart are dead afterwards: the next checkouts fail their
    ResetSession, are retried and dial fresh conns (neutral driver)."""
    h = make_app(env, database=RESTART, pool={"max_idle": 2})
    h.send()
    h.send()
    env.run(until=0.5)
    db = h.instance.db
    assert len(db.free_conn) == 2 and h.database.connections == 2
    env.run(until=1.0 + 1e-9)
    assert h.database.connections == 0
    assert all(dc.session.dead and not dc.session.dropped for dc in db.free_conn)
    env.run(until=2.0)
    h.send()
    env.run(until=2.5)
    assert _outcomes(h)[-1] == ("ok", None)
    assert db.dials == 3


def test_lib_pq_retries_the_fatal_and_meets_the_closed_door(env):
    """lib/pq reports a FATAL mid-query as ErrBadConn, so database/sql retries it; while
    the server is down that retry's dial is refused, and the caller sees the refusal."""
    h = make_app(env, database={**RESTART, "cores": 4}, pool={"driver": "pq"}, query="2s")
    env.run(until=0.5)
    h.send()
    env.run(until=1.1)
    assert _outcomes(h) == [("other", ERR_CONNECTION_REFUSED.message)]


def test_a_handshake_under_way_is_cut_off(env):
    """A dial started at 0.95 s with a 100 ms handshake (its slot taken at 0.978 s) is cut
    off by the restart at 1 s: the terminated backend's FATAL, as a failed dial."""
    h = make_app(env, database={**RESTART, "handshake": "100ms"})
    env.run(until=0.95)
    h.send()
    env.run(until=0.99)
    assert h.database.connections == 1
    env.run(until=1.2)
    assert _outcomes(h) == [("other", PG_TERMINATED.message)]
    assert h.database.connections == 0


def test_other_clients_come_back_with_the_server(env):
    h = make_app(env, database={**RESTART, "other_clients": 5})
    assert h.database.connections == 5
    env.run(until=1.2)
    assert h.database.connections == 0
    env.run(until=1.6)
    assert h.database.connections == 5


def test_restarts_must_not_overlap():
    with pytest.raises(ScenarioError, match="restarts must be in time order"):
        load_scenario(overrides={"database.restarts": [{"at": "10s", "down": "5s"}, {"at": "12s", "down": "1s"}]})


def test_a_silent_failover_holds_dials_until_the_server_is_back(env):
    """answer: silent: a dial at 1.2 s gets no SYN-ACK; its SYN is resent at 2.2 s, when the
    server (back at 1.5 s) accepts it: the request succeeds, about a second late."""
    h = make_app(env, database={"restarts": [{"at": "1s", "down": "500ms", "answer": "silent"}]}, timeout="5s")
    env.run(until=1.2)
    h.send()
    env.run(until=2.1)
    assert h.recorder.records == []
    env.run(until=3)
    (record,) = h.recorder.records
    assert record.outcome == "ok" and record.wait == pytest.approx(1.0)


def test_a_silent_failover_times_dials_out_at_their_deadline(env):
    """The same dial with a 500 ms deadline: context deadline exceeded at 1.7 s."""
    h = make_app(env, database={"restarts": [{"at": "1s", "down": "2s", "answer": "silent"}]}, timeout="500ms")
    env.run(until=1.2)
    h.send()
    env.run(until=1.8)
    (record,) = h.recorder.records
    assert record.outcome == "deadline_exceeded" and record.latency == pytest.approx(0.5)


def test_a_connect_timeout_ends_a_hanging_dial_first(env):
    """connect_timeout 300 ms under a 2 s context, during a silent failover: the dial
    gives up after 300 ms with ``i/o timeout`` (not retried)."""
    from simpool.model.errors import ERR_DIAL_TIMEOUT

    h = make_app(env, database={"restarts": [{"at": "1s", "down": "5s", "answer": "silent"}]},
                 pool={"connect_timeout": "300ms"}, timeout="2s")
    env.run(until=1.2)
    h.send()
    env.run(until=2)
    (record,) = h.recorder.records
    assert (record.outcome, record.error) == ("other", ERR_DIAL_TIMEOUT.message)
    assert record.latency == pytest.approx(0.3)


@pytest.mark.parametrize(("connect_timeout", "waited"), [("0", 1.0), ("1s", 0.0)])
def test_the_openers_dials_hang_without_a_connect_timeout(env, connect_timeout, waited):
    """MaxOpen 1, a 2 s query in flight and a waiter behind it when a silent failover
    starts at 1 s (back at 2.5 s). Closing the killed conn starts an opener dial for the
    waiter, with no deadline of its own: its SYN is resent at 2 s (still down) and 4 s, so
    the pool stays full until 4 s and a request at 3 s waits a second for that conn. With
    connect_timeout 1 s the opener gives up at 2 s, the pool is empty, and the request at
    3 s dials at once."""
    h = make_app(env, database={"restarts": [{"at": "1s", "down": "1500ms", "answer": "silent"}], "cores": 4},
                 pool={"max_open": 1, "connect_timeout": connect_timeout}, timeout="3s", query="2s")
    h.send()
    env.run(until=0.6)
    h.send()  # waits behind the 2 s query
    env.run(until=3.0)
    h.send()
    env.run(until=8)
    third = max(h.recorder.records, key=lambda r: r.arrival)
    assert third.arrival == 3.0
    assert third.wait == pytest.approx(waited, abs=0.01)
