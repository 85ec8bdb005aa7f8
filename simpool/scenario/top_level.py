"""The whole scenario: its clock, the database, and either one fleet with its traffic
(``fleet:`` + ``workload:``) or several named services sharing the database
(``services:``), each its own fleet and traffic; and the checks that span sections."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, model_serializer, model_validator

from ..exceptions import ScenarioError
from ..units import format_duration
from ._base import Duration, Int, Name, Spec, Text, as_written
from .arrivals import TraceArrivals
from .sections import (
    DatabaseSpec,
    FleetSpec,
    NetworkSpec,
    PitfallsSpec,
    WorkloadSpec,
    _zero_or_at_least,
)

SERVICE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
"""A service's name: it is part of file names, instance names (``api-0``) and dotted
paths (``services.api.pool.max_open``), so lower-case letters, digits, ``_`` and ``-``,
starting with a letter, at most 32 characters."""

PLAIN_SERVICE = "app"
"""The name of the one service of a scenario without ``services:`` (its instances are
``app-0``, ``app-1``, …, as they always were)."""

MAX_SERVICES = 100


def _service_name(name: str) -> str:
    if not SERVICE_NAME.fullmatch(name):
        raise ValueError(f"must be lower-case letters, digits, '_' or '-', start with a letter and be at most "
                         f"32 characters (not {name!r})")
    return name


class ServiceSpec(FleetSpec):
    """One service: its own fleet (instances, pool, autoscale, deploy) and its own traffic,
    against the scenario's one database."""

    name: Annotated[str, BeforeValidator(as_written), AfterValidator(_service_name)] = Field(
        ..., description="Short name: its instances are NAME-0, NAME-1, …; --set services.NAME.pool.max_open=20.")
    workload: WorkloadSpec = Field(default_factory=WorkloadSpec)

    @model_serializer(mode="wrap")
    def _name_first(self, handler: Any) -> Any:
        data = handler(self)
        return {"name": data.pop("name"), **data} if isinstance(data, dict) and "name" in data else data


@dataclass(frozen=True)
class ServiceView:
    """One service as the engine, the budget and the diagnosis see it, whether the
    scenario names services or has one plain fleet.

    Attributes:
        index: its place in ``services`` (0 for a plain fleet): part of its random
            streams' seeds, so adding a service does not reshuffle another's traffic.
        fleet_path: the dotted path of its fleet fields (``fleet`` or ``services.api``).
        workload_path: the dotted path of its traffic (``workload`` or ``services.api.workload``).
        named: whether the scenario has ``services:`` (else this is its plain fleet).
    """

    name: str
    index: int
    fleet: FleetSpec
    workload: WorkloadSpec
    fleet_path: str
    workload_path: str
    named: bool

    def pool_path(self, field: str) -> str:
        """``fleet.pool.max_open`` or ``services.api.pool.max_open``."""
        return f"{self.fleet_path}.pool.{field}"


class Scenario(Spec):
    """A whole simulation: the database, the fleet (or services), the traffic, the pitfalls
    and the clock."""

    name: Name = Field("default", description="Short name, used for output folders.")
    description: Text = Field("", description="The story this scenario tells.")
    duration: Duration = Field("1m", gt=0, description="Simulated time with arrivals.")
    warmup: Duration = Field("10s", description="Initial time excluded from statistics.")
    seed: Int = Field(1, ge=0, le=2**64 - 1, description="Seed of every random stream.")
    sample_every: Annotated[Duration, _zero_or_at_least(1e-3, "1ms")] = Field(
        0.0, description="Time-series step (0 = duration / 600).")
    database: DatabaseSpec = Field(default_factory=DatabaseSpec)
    fleet: FleetSpec = Field(default_factory=FleetSpec)
    workload: WorkloadSpec = Field(default_factory=WorkloadSpec)
    services: list[ServiceSpec] | None = Field(
        None, min_length=1, max_length=MAX_SERVICES,
        description="Several services on the one database, each its own fleet and traffic (instead of "
        "fleet and workload).")
    pitfalls: PitfallsSpec = Field(default_factory=PitfallsSpec)
    network: NetworkSpec = Field(default_factory=NetworkSpec)

    @model_validator(mode="after")
    def _clock(self) -> Scenario:
        if self.services is not None:
            given = sorted({"fleet", "workload"} & self.model_fields_set)
            if given:
                raise ValueError(f"{given[0]}: give services or fleet and workload, not both "
                                 "(each service has its own fleet and workload)")
            names = [service.name for service in self.services]
            twice = next((n for i, n in enumerate(names) if n in names[:i]), None)
            if twice is not None:
                raise ValueError(f"services: two services are named {twice!r}; names must be unique")
        views = self.service_list()
        arrivals = [a for view in views for a in view.workload.arrivals]
        traces = [a for a in arrivals if isinstance(a, TraceArrivals)]
        if traces and len(traces) == len(arrivals):
            # A replay should replay all of it: unless the file says otherwise, run until
            # just past the last request and count every request from the first.
            if "duration" not in self.model_fields_set:
                self.duration = math.floor(max(t.trace.last for t in traces)) + 1.0
            if "warmup" not in self.model_fields_set:
                self.warmup = 0.0
        flavor = self.database.flavor
        for view in views:
            driver = view.fleet.pool.driver
            if (driver == "mysql") != (flavor == "mysql") and driver != "neutral":
                raise ValueError(f"{view.pool_path('driver')} {driver} does not talk to database.flavor {flavor}")
        if self.warmup >= self.duration:
            raise ValueError(
                f"warmup ({format_duration(self.warmup)}) must be shorter than duration "
                f"({format_duration(self.duration)})"
            )
        return self

    @property
    def step(self) -> float:
        """The time-series step in seconds."""
        return self.sample_every or self.duration / 600

    @property
    def has_services(self) -> bool:
        """Whether the scenario names its services (``services:``)."""
        return self.services is not None

    def service_list(self) -> tuple[ServiceView, ...]:
        """Every service in order: the named ones, or the plain fleet as one named ``app``."""
        if self.services is None:
            return (ServiceView(PLAIN_SERVICE, 0, self.fleet, self.workload, "fleet", "workload", False),)
        return tuple(ServiceView(s.name, i, s, s.workload, f"services.{s.name}", f"services.{s.name}.workload", True)
                     for i, s in enumerate(self.services))

    def _dump(self) -> dict[str, Any]:
        # Only the shape the scenario has: a plain one never shows ``services``, a services
        # one never the unused default fleet and workload.
        unused = {"services"} if self.services is None else {"fleet", "workload"}
        return self.model_dump(mode="json", by_alias=True, exclude=unused)

    def effective(self) -> dict[str, Any]:
        """The scenario with every default filled in, as YAML-ready plain data."""
        return self._dump()

    def as_data(self) -> dict[str, Any]:
        """Plain data that validates back to this scenario, every default filled in except
        those that follow the database's flavour (see :meth:`DatabaseSpec.as_data`)."""
        return {**self.effective(), "database": self.database.as_data()}


def check_services_or_fleet(data: Any, *, source: str | None = None) -> None:
    """``services`` and ``fleet``/``workload`` in the same data: one line naming the field.

    (The model says it too; here it names the field, which a model-wide check cannot.)
    """
    if isinstance(data, dict) and data.get("services") is not None:
        for field in ("fleet", "workload"):
            if field in data:
                raise ScenarioError("give services or fleet and workload, not both (each service has its own "
                                    "fleet and workload)", field=field, source=source)


def check_traces(scenario: Scenario, *, source: str | None = None) -> None:
    """A trace may name only instances its service starts with (a cross-section check).

    Raises:
        ScenarioError: naming the trace's ``file`` field.
    """
    for view in scenario.service_list():
        instances = view.fleet.instances
        owner = f"service {view.name}" if view.named else "the fleet"
        first = f"{view.name}-0" if view.named else "app-0"
        for i, arrivals in enumerate(view.workload.arrivals):
            if isinstance(arrivals, TraceArrivals) and arrivals.trace.max_instance >= instances:
                trace = arrivals.trace
                row = next(j for j, index in enumerate(trace.instance) if index >= instances)
                raise ScenarioError(
                    f"trace row at t_ms={trace.t[row] * 1e3:g} names instance {trace.instance[row]}, but {owner} "
                    f"has {instances} (0..{instances - 1} or {first}..{first[:-1]}{instances - 1})",
                    field=f"{view.workload_path}.arrivals.{i}.file", source=source)
