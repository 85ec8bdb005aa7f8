"""The kitchen: slot arithmetic, error texts, handshake cost, cores, contention, idle kills."""

import pytest

from simpool.exceptions import ScenarioError
from simpool.model.database import Database
from simpool.model.distributions import ConstantSampler
from simpool.model.errors import (
    MYSQL_TOO_MANY,
    PG_RESERVED_ROLE,
    PG_RESERVED_SUPERUSER,
    PG_TOO_MANY_CLIENTS,
)
from simpool.model.events import call_later
from simpool.scenario import load_scenario
from tests.model.harness import QueryClient, make_app


def _server(env, handshake=0.01, **database):
    """A server whose accept loop has no limit unless the test gives one, so that slot
    arithmetic is seen alone."""
    scenario = load_scenario({"database": {"refused_handshake": 0.5, "accept_rate": 0, **database}})
    return Database(env, scenario.database, scenario.network, ConstantSampler(handshake))


def _dial(env, server, n, results, deadline=float("inf")):
    for _ in range(n):
        server.dial(deadline, lambda token, session, err: results.append((env.now, session, err)), None)


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
    """§12.2: with every PGPROC taken the dial fails where it would take one (after the
    startup packet): "sorry, too many clients already" (53300), after the refused fraction
    of a handshake."""
    server = _server(env)
    results = []
    _dial(env, server, 101, results)
    env.run(until=0.0051)
    assert results == [(0.005, None, PG_TOO_MANY_CLIENTS)]
    assert PG_TOO_MANY_CLIENTS.sqlstate == "53300" and server.refused_connections == 1
    assert PG_TOO_MANY_CLIENTS.message == "FATAL: sorry, too many clients already (SQLSTATE 53300)"


def test_postgres_slot_is_taken_only_after_the_startup_packet(env):
    """PG: InitProcess runs after accept, fork, TLS and the startup packet: the first
    ``handshake_before_slot`` of a handshake holds no PGPROC."""
    server = _server(env, handshake=0.01, handshake_before_slot=0.3)
    results = []
    _dial(env, server, 1, results)
    env.run(until=0.0029)
    assert server.connections == 0
    env.run(until=0.0031)
    assert server.connections == 1
    env.run()
    assert results[0][0] == pytest.approx(0.01) and results[0][2] is None


def test_postgres_a_dial_given_up_before_the_slot_never_takes_one(env):
    """The client's deadline comes before InitProcess: the backend finds the socket closed
    and exits; no slot was ever counted."""
    server = _server(env, handshake=0.01, handshake_before_slot=0.5)
    results = []
    _dial(env, server, 1, results, deadline=0.004)
    env.run()
    assert [(t, e.kind) for t, _, e in results] == [(0.004, "deadline_exceeded")]
    assert server.peak_connections == 0


def test_postgres_refusals_follow_the_startup_order(env):
    """A burst beyond the free PGPROCs: the late ones are refused before authentication
    ("sorry"), the early ones that took the last slots after it ("reserved")."""
    server = _server(env, max_connections=10, handshake_before_slot=0.3, refused_handshake=0.3)
    results = []
    _dial(env, server, 12, results)
    env.run()
    messages = [e.server_text if e else "ok" for _, _, e in results]
    assert messages.count("ok") == 7
    assert messages.count("sorry, too many clients already") == 2
    assert messages.count("remaining connection slots are reserved for roles with the SUPERUSER attribute") == 3
    assert [t for t, _, e in results if e is PG_TOO_MANY_CLIENTS] == [pytest.approx(0.003)] * 2


@pytest.mark.parametrize("version, text", [
    (15, "remaining connection slots are reserved for non-replication superuser connections"),
    (16, "remaining connection slots are reserved for roles with the SUPERUSER attribute"),
    (17, "remaining connection slots are reserved for roles with the SUPERUSER attribute"),
])
def test_postgres_reserved_message_depends_on_the_version(env, version, text):
    """postinit.c: PG <= 15 names non-replication superusers, 16+ the SUPERUSER attribute."""
    server = _server(env, max_connections=5, version=version)
    results = []
    _dial(env, server, 3, results)
    env.run(until=1)
    _dial(env, server, 1, results)
    env.run(until=2)
    assert results[-1][2].server_text == text and results[-1][2].sqlstate == "53300"
    assert results[-1][2].message == f"FATAL: {text} (SQLSTATE 53300)"


def test_reserved_connections_need_postgres_16():
    """reserved_connections (pg_use_reserved_connections) appeared in PostgreSQL 16."""
    with pytest.raises(ScenarioError, match="reserved_connections needs PostgreSQL 16"):
        load_scenario({"database": {"version": 15, "reserved_connections": 2}})


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
    assert results[10][0] == pytest.approx(10.01)  # the whole handshake paid


def test_mysql_admits_max_plus_one_and_rechecks_after_auth(env):
    """§13: MySQL counts at accept and lets max_connections + 1 in (the extra for
    CONNECTION_ADMIN); an ordinary user over max_connections is refused after
    authentication; one more is refused at accept. Both are Error 1040."""
    server = _server(env, flavor="mysql")
    results = []
    _dial(env, server, 153, results)
    assert server.connections == 152  # counted at accept, before any handshake ends
    env.run(until=1)  # not to the end: wait_timeout (8 h) would kill the idle sessions
    errors = [(t, err) for t, _, err in results if err is not None]
    assert errors == [(pytest.approx(0.005), MYSQL_TOO_MANY), (pytest.approx(0.01), MYSQL_TOO_MANY)]
    assert "1040" in MYSQL_TOO_MANY.message and MYSQL_TOO_MANY.code == 1040
    assert server.connections == 151


def test_accept_loop_serialises_connections(env):
    """postmaster.c: one loop accepts and forks each connection in turn. Alone, a dial
    takes exactly its handshake; three at once are accepted 1 / accept_rate apart."""
    server = _server(env, handshake=0.1, handshake_before_slot=0.5, accept_rate="100/s")
    results = []
    _dial(env, server, 1, results)
    env.run()
    assert results[0][0] == pytest.approx(0.1)
    _dial(env, server, 3, results)
    env.run()
    assert [t - 0.1 for t, _, _ in results[1:]] == pytest.approx([0.1, 0.11, 0.12])


def test_full_backlog_drops_syns_until_the_client_resends(env):
    """pqcomm.c / Linux: beyond the listen backlog the SYN is dropped and resent 1 s later
    (then 2 s, 4 s …); with a deadline before the resend, the dial times out in connect."""
    server = _server(env, handshake=1.0, handshake_before_slot=0.5, accept_rate="10/s", listen_backlog=2)
    results = []
    _dial(env, server, 5, results)
    env.run()
    assert [t for t, _, _ in results] == pytest.approx([1.0, 1.1, 1.2, 2.0, 2.1])
    assert server.listener.overflows == 2
    late = []
    start = env.now
    _dial(env, server, 5, late, deadline=start + 1.25)
    env.run()
    assert [(round(t - start, 6), e.kind if e else "ok") for t, _, e in late] == [
        (1.0, "ok"), (1.1, "ok"), (1.2, "ok"), (1.25, "deadline_exceeded"), (1.25, "deadline_exceeded")]


def test_a_dial_given_up_in_the_queue_still_costs_the_loop(env):
    """A connection whose client left stays in the accept queue: the loop accepts and
    forks it anyway, and the next one waits for that."""
    server = _server(env, handshake=1.0, handshake_before_slot=0.5, accept_rate="10/s")
    results = []
    _dial(env, server, 2, results, deadline=0.05)
    _dial(env, server, 1, results)
    env.run()
    assert [round(t, 6) for t, _, _ in results] == [0.05, 0.05, 1.2]


def test_a_dial_storm_waits_before_the_slot_and_times_out(env):
    """The measured storm (#13): dials arriving faster than the accept loop takes them
    wait in the backlog, so handshakes grow a hundredfold, nearly all of it before the
    slot, and once the backlog overflows dials time out at their deadline."""
    server = _server(env, handshake=0.004, handshake_before_slot=0.3, accept_rate="1000/s",
                     max_connections=5000, superuser_reserved_connections=0, listen_backlog=244)
    results = []

    def arrive(i):
        started = env.now
        server.dial(started + 2.0, lambda token, session, err: results.append((started, env.now, err)), None)

    for i in range(3000):  # 1,500 dials/s for 2 s
        call_later(env, i / 1500, lambda call, i=i: arrive(i), None)
    env.run(until=2.5)
    ok = [end - start for start, end, err in results if err is None]
    timed_out = [end - start for start, end, err in results if err is not None]
    assert server.listener.overflows > 0 and timed_out
    assert all(err.kind == "deadline_exceeded" for *_, err in results if err is not None)
    assert timed_out == pytest.approx([2.0] * len(timed_out))
    assert max(ok) > 50 * 0.004  # from 4 ms to a backlog's wait
    assert (max(ok) - 0.004 * 0.7) / max(ok) > 0.95  # all but the post-slot part before the slot


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


def test_mysql_counts_a_connection_once_its_accept_is_done(env):
    """MySQL's listener thread accepts (no fork) and counts the connection at once: with a
    slow loop the count follows the accepts, 1 / accept_rate apart."""
    server = _server(env, flavor="mysql", accept_rate="100/s")
    _dial(env, server, 2, [])
    counts = []
    for t in (0.005, 0.015, 0.025):
        env.run(until=t)
        counts.append(server.connections)
    assert counts == [0, 1, 2]
