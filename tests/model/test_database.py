"""The kitchen: slot arithmetic, error texts, handshake cost, cores, contention, idle kills."""

import pytest

from simpool.model.database import Database
from simpool.model.distributions import ConstantSampler
from simpool.model.errors import (
    MYSQL_TOO_MANY,
    PG_RESERVED_ROLE,
    PG_RESERVED_SUPERUSER,
    PG_TOO_MANY_CLIENTS,
)
from simpool.scenario import load_scenario
from tests.model.harness import QueryClient, make_app


def _server(env, handshake=0.01, **database):
    scenario = load_scenario({"database": {"refused_handshake": 0.5, **database}})
    return Database(env, scenario.database, scenario.network, ConstantSampler(handshake))


def _dial(env, server, n, results):
    for _ in range(n):
        server.dial(float("inf"), lambda token, session, err: results.append((env.now, session, err)), None)


def test_postgres_storm_leaves_97_for_the_app(env):
    """§12.2/12.3: 100 simultaneous dials all take a PGPROC; the first to finish auth see
    fewer than 3 free slots and get the reserved-slots message; 97 succeed."""
    server = _server(env)
    results = []
    _dial(env, server, 100, results)
    env.run()
    errors = [err for _, _, err in results if err is not None]
    assert len(results) - len(errors) == 97
    assert errors == [PG_RESERVED_SUPERUSER] * 3
    assert server.peak_connections == 100 and server.connections == 97


def test_postgres_no_pgproc_means_too_many_clients(env):
    """§12.2: with every PGPROC taken the dial fails pre-auth: "sorry, too many clients
    already" (53300), after the refused fraction of a handshake."""
    server = _server(env)
    results = []
    _dial(env, server, 101, results)
    env.run(until=0.0051)
    assert results == [(0.005, None, PG_TOO_MANY_CLIENTS)]
    assert "53300" in PG_TOO_MANY_CLIENTS.message and server.refused_connections == 1


def test_postgres_sequential_dials_stop_at_the_usable_cap(env):
    """§12.1: ordinary roles get max_connections − superuser_reserved − reserved sessions;
    the next one pays the whole handshake and gets the reserved-slots message."""
    server = _server(env, max_connections=20, reserved_connections=2, other_clients=5)
    assert server.usable_connections == 15
    results = []
    for _ in range(12):
        _dial(env, server, 1, results)
        env.run(until=env.now + 1)
    ok = [r for r in results if r[2] is None]
    assert len(ok) == 10  # 15 usable − 5 other clients
    assert results[10][2] is PG_RESERVED_ROLE and results[11][2] is PG_RESERVED_ROLE


def test_mysql_cap_and_error_1040(env):
    """§13: MySQL lets the app hold max_connections sessions (151), then Error 1040."""
    server = _server(env, flavor="mysql")
    results = []
    _dial(env, server, 152, results)
    env.run(until=1)  # not to the end: wait_timeout (8 h) would kill the idle sessions
    errors = [err for _, _, err in results if err is not None]
    assert errors == [MYSQL_TOO_MANY] and "1040" in MYSQL_TOO_MANY.message
    assert server.connections == 151


def test_other_clients_hold_slots(env):
    """other_clients occupy slots from the start."""
    server = _server(env, other_clients=40)
    assert server.connections == 40 and server.peak_connections == 40


def test_cores_queue_queries_fifo(env):
    """Queries beyond the cores wait inside the database, first come first served."""
    server = _server(env, cores=2)
    sessions = []
    _dial(env, server, 4, sessions)
    env.run(until=1)
    done = []
    for i, (_, session, _) in enumerate(sessions):
        server.execute(session, 1.0, float("inf"), QueryClient(env, done, i))
    assert (server.running, server.queued) == (2, 2)
    env.run(until=5)
    assert done == [(2.0, 0, None), (2.0, 1, None), (3.0, 2, None), (3.0, 3, None)]


def test_usl_contention_slows_queries(env):
    """USL: a query starting with N queries inside runs 1 + σ(N−1) + κN(N−1) times slower."""
    server = _server(env, cores=0, contention={"sigma": 0.1, "kappa": 0.01})
    sessions = []
    _dial(env, server, 3, sessions)
    env.run(until=1)
    done = []
    for i, (_, session, _) in enumerate(sessions):
        server.execute(session, 1.0, float("inf"), QueryClient(env, done, i))
    env.run(until=5)
    assert [t - 1 for t, _, _ in done] == pytest.approx([1.0, 1.12, 1.26])


def test_server_idle_timeout_kills_and_frees(env):
    """Server idle kill (MySQL wait_timeout): the slot frees at the timeout; the next
    checkout finds the conn dead (ErrBadConn), retries and dials anew."""
    h = make_app(env, database={"idle_timeout": "10s"})
    h.send()
    env.run(until=1)
    assert h.database.connections == 1
    env.run(until=10.5)
    assert h.database.connections == 0
    h.send()
    env.run(until=11)
    assert [r.outcome for r in h.recorder.records] == ["ok", "ok"]
    assert h.instance.db.dials == 2


def test_middlebox_drop_orphans_the_server_slot(env):
    """§14: with keepalive off a middlebox silently drops an idle flow; the client's next
    use fails (retried), but the server keeps the session until its own keepalive gives up."""
    h = make_app(env, network={"idle_drop": "10s", "keepalive": "0", "orphan_timeout": "100s"})
    h.send()
    env.run(until=20)
    h.send()
    env.run(until=21)
    assert [r.outcome for r in h.recorder.records] == ["ok", "ok"]
    assert h.database.connections == 2  # the orphan and the new session
    env.run(until=101)
    assert h.database.connections == 1


def test_keepalive_keeps_middlebox_flows_alive(env):
    """§14 / Rule 7.6: Go's 15 s keepalive resets the middlebox idle timer: no drop."""
    h = make_app(env, network={"idle_drop": "350s"})
    h.send()
    env.run(until=1000)
    h.send()
    env.run(until=1001)
    assert h.instance.db.dials == 1 and h.database.connections == 1
