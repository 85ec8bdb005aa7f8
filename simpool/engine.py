"""Wires a :class:`~simpool.scenario.Scenario` into a ``simpy.Environment`` and runs it.

Randomness: every source has its own ``numpy`` generator seeded from
``SeedSequence(seed, spawn_key=(replication, source, index))``. Replication *k* therefore
sees the same traffic, query times and pitfalls whatever the pool settings are (common
random numbers across sweep points), and the same seed gives the same numbers.
"""

from __future__ import annotations

from heapq import heappop
from typing import Any

import numpy as np
import simpy
from simpy.events import URGENT

from .exceptions import ScenarioError
from .model.app import App
from .model.database import Database
from .model.distributions import make_sampler, uniform_span, uniform_stream
from .model.events import Call
from .model.fleet import Fleet
from .model.services import Services
from .model.workload import ArrivalProcess, arrival_chunks, replay
from .recorder import Recorder
from .result import ReplicationResult, Result
from .scenario import Scenario, ServiceView, TraceArrivals
from .scenario.top_level import check_traces

SOURCES = {"arrivals": 0, "service": 1, "handshake": 2, "waiters": 3, "pitfalls": 4, "think": 5, "jitter": 6}
"""One stream per source of randomness; the number is part of the seed's spawn key."""

MIN_DRAIN = 60.0
"""Requests in flight at ``duration`` get at least this long to finish."""


class Streams:
    """Independent random generators for one replication."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication

    def rng(self, source: str, index: int = 0, service: int = 0) -> np.random.Generator:
        """The stream of ``source`` (its ``index``-th: an arrival process, an instance) of the
        ``service``-th service. Service 0 (a plain fleet's) keeps the key it always had, and
        each other service adds its index, so adding a service reshuffles no one's traffic."""
        key = (self.replication, SOURCES[source], index) if service == 0 else \
            (self.replication, SOURCES[source], index, service)
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))


def simulate(scenario: Scenario, seed: int | None = None, replications: int = 1, *,
             record_requests: bool = False) -> Result:
    """Run ``replications`` independent replications of ``scenario``.

    Args:
        scenario: a validated scenario (see :func:`simpool.load_scenario`).
        seed: overrides ``scenario.seed``.
        replications: independent runs; the summary reports their mean and 95% CI.
        record_requests: keep a :class:`~simpool.result.RequestRecord` per request.

    Raises:
        ScenarioError: for settings that are valid alone but not together.
    """
    seed = check_run(scenario, seed, replications)
    runs = tuple(run_replication(scenario, seed, k, record_requests=record_requests) for k in range(replications))
    return Result(scenario=scenario, seed=seed, replications=runs)


def check_run(scenario: Scenario, seed: int | None, replications: int) -> int:
    """:func:`simulate`'s checks of its arguments; returns the seed to use.

    Raises:
        ScenarioError: naming the bad argument.
    """
    if not isinstance(scenario, Scenario):
        raise ScenarioError(f"expected a Scenario (use load_scenario), got {type(scenario).__name__}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ScenarioError(f"must be an integer >= 1 (not {replications!r})", field="replications")
    seed = scenario.seed if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ScenarioError(f"must be an integer >= 0 (not {seed!r})", field="seed")
    check_consistency(scenario)
    return seed


def check_consistency(scenario: Scenario) -> None:
    """Cross-field checks the section models cannot make alone (made by validation too;
    again here for a scenario changed since, e.g. with ``model_copy``)."""
    check_traces(scenario)


def run_replication(scenario: Scenario, seed: int, index: int, *, record_requests: bool = False) -> ReplicationResult:
    """One replication on a fresh environment."""
    simulation = Simulation(scenario, seed, index, record_requests=record_requests)
    simulation.run()
    return simulation.result()


class _RunEndedError(Exception):
    """Raised by the event that ends :func:`run_until` (SimPy's ``StopSimulation``): not an error."""


def _stop_run(_event: Any) -> None:
    raise _RunEndedError


def run_until(env: simpy.Environment, until: float) -> None:
    """``env.run(until=until)``: the same events in the same order, and ``env.now`` is
    ``until`` afterwards.

    As SimPy does, an URGENT event at ``until`` ends the run, so events at ``until`` itself
    wait (unless URGENT and scheduled earlier); each event's callbacks are taken (and set
    to ``None``) and called in order, and a failed event that nobody defused raises.
    """
    env.schedule(Call((_stop_run,)), URGENT, until - env._now)
    queue = env._queue
    # NOTE: Environment.step inlined for performance (two events per request); the stop
    # event is always on the schedule until it fires, so heappop never meets an empty one.
    try:
        while True:
            env._now, _, _, event = heappop(queue)
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                failure = event._value
                raise type(failure)(*failure.args) from failure
    except _RunEndedError:
        pass


class Simulation:
    """One replication, built and ready to run: the environment, database, fleet,
    workload and recorder, wired together. Tests may step ``env`` themselves."""

    def __init__(self, scenario: Scenario, seed: int, index: int = 0, *, record_requests: bool = False):
        self.scenario = scenario
        self.index = index
        streams = Streams(seed, index)
        self.env = env = simpy.Environment()
        self.database = Database(env, scenario.database, scenario.network,
                                 make_sampler(scenario.database.handshake, streams.rng("handshake")))
        self.recorder = recorder = Recorder(env, scenario.warmup, record_requests=record_requests)
        views = scenario.service_list()
        if not scenario.has_services:
            self.app, self.fleet = self._service(views[0], streams, recorder)
        else:
            self.fleet = services = Services()
            apps = []
            for view in views:
                tally = recorder.add_service()
                app, fleet = self._service(view, streams, tally, services)
                tally.fleet = fleet
                services.add(fleet)
                apps.append(app)
            self.app = apps[0]
            """With services, the first service's handler (each fleet holds its own: ``fleet.app``)."""
        recorder.start_sampling(self.fleet, self.database, scenario.step, scenario.duration)
        if scenario.warmup > 0:
            # URGENT: the warm-up ends before anything else that happens at that instant, so
            # a request arriving exactly then counts (as "arrived at or after warmup" says).
            env.schedule(Call((self._warmup_over,)), URGENT, scenario.warmup)
        else:
            recorder.mark_warmup(self.fleet, self.database)
        longest = max(view.workload.request.timeout for view in views)
        self.drain_until = scenario.duration + max(MIN_DRAIN, 2 * longest)
        """After ``duration`` no request arrives; in-flight ones may finish until then."""

    def _service(self, view: ServiceView, streams: Streams, recorder: Any,
                 services: Services | None = None) -> tuple[App, Fleet]:
        """One service's handler, fleet and arrival processes, on the service's streams."""
        scenario, env, k = self.scenario, self.env, view.index
        request = view.workload.request
        pitfalls = scenario.pitfalls
        app = App(
            env, self.database, recorder,
            queries=request.queries, transaction=request.transaction, timeout=request.timeout,
            think=make_sampler(request.think, streams.rng("think", 0, k)),
            query=make_sampler(scenario.database.query, streams.rng("service", 0, k)),
            leak_fraction=pitfalls.leaked_rows, no_deadline=pitfalls.no_deadline,
            coin=uniform_stream(streams.rng("pitfalls", 0, k)),
        )
        extra = {} if services is None else {"roster": services.instances, "total_gauge": services.open_gauge}
        fleet = Fleet(env, view.fleet, app, self.database,
                      lambda i: uniform_stream(streams.rng("waiters", i, k)),
                      pool_per_request=pitfalls.pool_per_request,
                      make_jitter=self._jitter_maker(streams, view), name=view.name, **extra)
        for i, spec in enumerate(view.workload.arrivals):
            chunks = arrival_chunks(spec, streams.rng("arrivals", i, k), scenario.duration)
            if isinstance(spec, TraceArrivals):
                dispatch = replay(spec.trace.rows(scenario.duration), fleet.dispatch_row)
            else:
                dispatch = fleet.arrival_handler()
            ArrivalProcess(env, chunks, dispatch)
        return app, fleet

    @staticmethod
    def _jitter_maker(streams: Streams, view: ServiceView) -> Any:
        """Per instance, a sampler of the lifetime-jitter what-if on its own stream, or
        None when the what-if is off (so no stream is made and nothing changes)."""
        jitter = view.fleet.pool.conn_max_lifetime_jitter
        if jitter <= 0:
            return None
        return lambda i: uniform_span(streams.rng("jitter", i, view.index), jitter)

    def _warmup_over(self, _call: Any) -> None:
        self.recorder.mark_warmup(self.fleet, self.database)

    def run(self) -> None:
        """Run to ``duration``, then let in-flight requests finish (up to ``drain_until``).

        The same as ``env.run(until=duration)`` followed by ``env.step()`` while requests
        are in flight: events at ``duration`` itself wait for the drain.
        """
        env = self.env
        run_until(env, self.scenario.duration)
        fleet = self.fleet
        self.recorder.end_window(fleet, self.database)
        while fleet.in_flight and env.peek() <= self.drain_until:
            env.step()

    def result(self) -> ReplicationResult:
        return self.recorder.result(self.index, self.fleet, self.database)
