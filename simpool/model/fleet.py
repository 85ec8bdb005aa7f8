"""The fleet: app instances over time, each with its own pool, sharing one database.

Requests go round-robin over the instances that are serving (a trace may name one).
Optional autoscaling adds instances when the arrival rate per instance exceeds its target
(each new one serves after a start-up delay, with a cold, empty pool) and removes them when
it falls; a rolling deploy replaces instances in batches, old and new overlapping.

The two share one state machine, as a Deployment's rollout and its HorizontalPodAutoscaler
do: an old instance whose replacement is up is *replacing* (``Fleet.replacing``): it still
serves until the overlap ends, but the autoscaler neither counts it nor scales it in. So
the instances that count (serving, not replacing) never drop below one: scale-in keeps at
least one, a deploy step adds a new instance for each old one it marks, and retiring a
replaced one changes nothing that counts. Hence at least one instance serves at every
instant (``tests/model/test_fleet_states.py`` checks it over generated fleets).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..scenario import FleetSpec, TraceRow
from .app import App, Instance, Request
from .dbstats import OpenGauge
from .events import call_later


class Fleet:
    """Every instance that ever ran, and the round-robin over those serving."""

    def __init__(self, env: Any, spec: FleetSpec, app: App, database: Any,
                 make_uniform: Callable[[int], Any], *, pool_per_request: bool = False,
                 make_jitter: Callable[[int], Any] | None = None, name: str = "app",
                 roster: list[Instance] | None = None, total_gauge: OpenGauge | None = None):
        self.env = env
        self.name = name
        """The service's name, the prefix of its instances' names (``app`` for a plain fleet)."""
        self._roster = roster
        """With several services: every service's instances, in creation order."""
        self.spec = spec
        self.app = app
        self.database = database
        self._make_uniform = make_uniform
        self._make_jitter = make_jitter
        """Per instance, the sampler of the lifetime-jitter what-if (None: off)."""
        self._pool_per_request = pool_per_request
        self.instances: list[Instance] = []
        """Every instance, in creation order (names app-0, app-1, …; with services api-0, …)."""
        self.serving: list[Instance] = []
        self.replacing: set[Instance] = set()
        """Old instances serving beside their replacements until a deploy's overlap ends."""
        self.starting = 0
        self._next = 0
        self.open_gauge = OpenGauge()
        """Open conns over the whole fleet, with their exact peak."""
        self._fleet_gauges = (self.open_gauge,) if total_gauge is None else (self.open_gauge, total_gauge)
        for _ in range(spec.instances):
            self._serve(self._create())
        if spec.autoscale is not None:
            call_later(env, spec.autoscale.interval, self._autoscale, 0)
        if spec.deploy is not None:
            call_later(env, spec.deploy.at, self._deploy_step, None)

    def __repr__(self) -> str:
        return f"Fleet(serving={len(self.serving)}, starting={self.starting}, total={len(self.instances)})"

    @property
    def arrivals(self) -> int:
        """Requests dispatched so far (each arrival is one request)."""
        return self.app.requests

    @property
    def offered(self) -> float:
        """Query seconds the arrived requests ask of the database (see :attr:`App.offered`)."""
        return self.app.offered

    @property
    def in_flight(self) -> int:
        return sum(i.in_flight for i in self.instances)

    def _create(self) -> Instance:
        index = len(self.instances)
        instance = Instance(self.env, f"{self.name}-{index}", index, self.database, self.spec.pool,
                            self._make_uniform(index), pool_per_request=self._pool_per_request,
                            fleet_gauges=self._fleet_gauges,
                            lifetime_jitter=None if self._make_jitter is None else self._make_jitter(index))
        self.instances.append(instance)
        if self._roster is not None:
            self._roster.append(instance)
        return instance

    def _serve(self, instance: Instance) -> None:
        self.serving.append(instance)

    def dispatch(self, service: float | None = None, timeout: float | None = None,
                 handshake: float | None = None) -> None:
        """Route one arrival to the next serving instance (round robin), where it becomes a
        request; ``service``, ``timeout`` and ``handshake`` are a trace row's overrides."""
        serving = self.serving
        turn = self._next
        if turn >= len(serving):
            turn = 0
        self._next = turn + 1
        Request(self.app, serving[turn], self.env._now, service, timeout, handshake)

    def arrival_handler(self) -> Callable[[], None]:
        """What each generated arrival calls: :meth:`dispatch`, or for a fleet of one
        instance that no autoscaler or deploy changes, :meth:`_dispatch_to_only` (the round
        robin would pick that instance every time)."""
        if len(self.serving) == 1 and self.spec.autoscale is None and self.spec.deploy is None:
            return self._dispatch_to_only
        return self.dispatch

    def _dispatch_to_only(self) -> None:
        # NOTE: the round robin bound away at build time, for performance (every arrival).
        Request(self.app, self.serving[0], self.env._now)

    def dispatch_row(self, row: TraceRow) -> None:
        """Route one trace row to the instance it names (an index, checked by validation to
        be one the fleet starts with), or round robin if it names none."""
        _, index, service, timeout, handshake = row
        if index is None:
            self.dispatch(service, timeout, handshake)
        else:
            Request(self.app, self.instances[index], self.env._now, service, timeout, handshake)

    @property
    def counted(self) -> int:
        """Instances the autoscaler counts: serving, less those a deploy is replacing."""
        return len(self.serving) - len(self.replacing)

    # ------------------------------------------------------------------ autoscaling

    def _autoscale(self, call: Any) -> None:
        spec = self.spec.autoscale
        seen_before = call.value
        rate = (self.arrivals - seen_before) / spec.interval
        desired = min(spec.max, max(spec.min, math.ceil(rate / spec.target)))
        counted = self.counted
        current = counted + self.starting
        if desired > current:
            for _ in range(desired - current):
                self.starting += 1
                call_later(self.env, spec.delay, self._started, self._create())
        elif desired < counted and counted > 1:
            # Scale in one instance per look (a stabilisation window, as HPA has): the
            # newest that counts, never one a deploy is replacing.
            self._retire(next(i for i in reversed(self.serving) if i not in self.replacing))
        call_later(self.env, spec.interval, self._autoscale, self.arrivals)

    def _started(self, call: Any) -> None:
        self.starting -= 1
        self._serve(call.value)

    def _retire(self, instance: Instance) -> None:
        self.serving.remove(instance)
        self.replacing.discard(instance)
        instance.retire()

    # ------------------------------------------------------------------ rolling deploy

    def _deploy_step(self, call: Any) -> None:
        """Start a batch of new instances beside the old (one for each old one still
        serving: the autoscaler may have retired some); retire the old batch after the
        overlap; repeat until every instance serving at the start has been replaced."""
        deploy = self.spec.deploy
        old = call.value if call.value is not None else list(self.serving)
        old = [instance for instance in old if instance in self.serving]
        batch, rest = old[:deploy.batch], old[deploy.batch:]
        for instance in batch:
            self._serve(self._create())
            self.replacing.add(instance)
        if batch:
            call_later(self.env, deploy.overlap, self._deploy_retire, (batch, rest))

    def _deploy_retire(self, call: Any) -> None:
        batch, rest = call.value
        for instance in batch:
            if instance in self.serving:
                self._retire(instance)
        if rest:
            call_later(self.env, 0.0, self._deploy_step, rest)
