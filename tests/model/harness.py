"""A hand-driven app: one instance, the real database and handler, no workload.
Requests are injected with ``send()``: ``Request(app, instance, env.now)``."""

from __future__ import annotations

from types import SimpleNamespace

from simpool.model.app import App, Instance, Request
from simpool.model.database import Database
from simpool.model.distributions import ConstantSampler, make_sampler
from simpool.recorder import Recorder
from simpool.scenario import load_scenario
from tests.conftest import Uniform


def make_app(env, *, pool=None, database=None, network=None, queries=1, transaction=False,
             timeout="0", think="0", leak=0.0, query="1ms", pool_per_request=False):
    scenario = load_scenario({
        "database": {"handshake": "0", "cores": 0, "refused_handshake": 0, **(database or {})},
        "network": network or {},
        "fleet": {"instances": 1, "pool": pool or {}},
        "workload": {"request": {"queries": queries, "transaction": transaction, "timeout": timeout,
                                 "think": think}},
    })
    db_spec = scenario.database
    server = Database(env, db_spec, scenario.network, make_sampler(db_spec.handshake, None))
    recorder = Recorder(env, 0.0, record_requests=True)
    request = scenario.workload.request
    app = App(env, server, recorder, queries=queries, transaction=transaction, timeout=request.timeout,
              think=make_sampler(request.think, None), query=ConstantSampler(_seconds(query)),
              leak_fraction=leak, no_deadline=False, coin=Uniform([0.0] * 1000))
    instance = Instance(env, "app-0", 0, server, scenario.fleet.pool, Uniform(),
                        pool_per_request=pool_per_request)
    return SimpleNamespace(app=app, instance=instance, database=server, recorder=recorder,
                           send=lambda: Request(app, instance, env.now))


class QueryClient:
    """A database client for tests: each answer ``query_done(err)`` is logged as
    ``(now, name, err)``."""

    def __init__(self, env, log: list, name=None):
        self.env, self.log, self.name = env, log, name

    def query_done(self, err) -> None:
        self.log.append((self.env.now, self.name, err))


def _seconds(text: str) -> float:
    from simpool.units import parse_duration

    return parse_duration(text)
