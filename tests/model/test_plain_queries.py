"""The database's plain-query path: a query that can neither wait for a core nor be cut
short by its deadline uses its session as its end event, and behaves exactly as the
general path does."""

import pytest
from simpy import Environment

from simpool.model.database import Database, _Query
from simpool.model.distributions import ConstantSampler
from simpool.model.errors import ERR_DEADLINE
from simpool.scenario import load_scenario
from tests.model.harness import QueryClient


def _server(env, **database):
    scenario = load_scenario({"database": {"handshake": "0", "refused_handshake": 0, **database}})
    return Database(env, scenario.database, scenario.network, ConstantSampler(0.0))


def _sessions(env, server, n):
    out = []
    for _ in range(n):
        server.dial(float("inf"), lambda token, session, err: out.append(session), None)
    env.run(until=env.now + 1)
    return out


def _queries_on_schedule(env):
    return [entry[-1] for entry in env._queue if isinstance(entry[-1], _Query)]


@pytest.mark.parametrize("deadline", [float("inf"), 5.0])
def test_plain_query_ends_on_time_without_a_query_record(deadline):
    """Unlimited cores, no contention, ending before the deadline: the session itself is
    on the schedule, and the reply comes at now + demand."""
    env = Environment()
    server = _server(env, cores=0)
    (session,) = _sessions(env, server, 1)
    done = []
    server.execute(session, 0.25, deadline, QueryClient(env, done, "q"))
    assert session.busy and server.running == 1 and not _queries_on_schedule(env)
    assert any(entry[-1] is session for entry in env._queue)
    env.run(until=10)
    assert done == [(1.25, "q", None)]
    assert not session.busy and session.last_active == 1.25 and session.client is None
    assert (server.running, server.queued) == (0, 0)


def test_query_that_would_outlive_its_deadline_takes_the_general_path():
    """A deadline before the end: the query gets its own record and is cut short."""
    env = Environment()
    server = _server(env, cores=0)
    (session,) = _sessions(env, server, 1)
    done = []
    server.execute(session, 2.0, env.now + 0.5, QueryClient(env, done))
    assert len(_queries_on_schedule(env)) == 1
    env.run(until=10)
    assert done == [(1.5, None, ERR_DEADLINE)]


def test_queries_beyond_the_cores_are_queued_not_plain():
    """With every core busy, the next query waits in the server's queue (general path)."""
    env = Environment()
    server = _server(env, cores=1)
    first, second = _sessions(env, server, 2)
    done = []
    server.execute(first, 1.0, float("inf"), QueryClient(env, done, 1))
    server.execute(second, 1.0, float("inf"), QueryClient(env, done, 2))
    assert (server.running, server.queued) == (1, 1)
    env.run(until=10)
    assert done == [(2.0, 1, None), (3.0, 2, None)]


def test_contention_model_takes_the_general_path():
    """With the USL on, a query's duration depends on the load: no plain path."""
    env = Environment()
    server = _server(env, cores=0, contention={"sigma": 0.1, "kappa": 0})
    (session,) = _sessions(env, server, 1)
    server.execute(session, 1.0, float("inf"), QueryClient(env, []))
    assert len(_queries_on_schedule(env)) == 1


def test_a_session_runs_one_query_at_a_time():
    """A second query on a busy session is a bug in the caller, reported loudly."""
    env = Environment()
    server = _server(env, cores=0)
    (session,) = _sessions(env, server, 1)
    server.execute(session, 1.0, float("inf"), QueryClient(env, []))
    with pytest.raises(RuntimeError, match="one query at a time"):
        server.execute(session, 1.0, float("inf"), QueryClient(env, []))
