"""Several services on one database: a fleet per service, seen together as one fleet.

Each service is a :class:`~simpool.model.fleet.Fleet` of its own (its instances, pools,
round robin, autoscaler and deploy) with its own handler (:class:`~simpool.model.app.App`:
its request shape and streams); they share only the database. :class:`Services` answers
what the recorder and the engine ask of a fleet (its instances in creation order, those
serving, the arrivals, the requests in flight, the open connections with their peak), over
every service at once.
"""

from __future__ import annotations

from typing import Any

from .app import Instance
from .dbstats import OpenGauge
from .fleet import Fleet


class Services:
    """Every service's fleet, as one fleet."""

    def __init__(self) -> None:
        self.fleets: list[Fleet] = []
        """One per service, in the scenario's order."""
        self.instances: list[Instance] = []
        """Every instance of every service, in creation order (so a sample's gauges keep
        their places as autoscalers add instances)."""
        self.open_gauge = OpenGauge()
        """Open conns over every service, with their exact peak."""

    def __repr__(self) -> str:
        return f"Services({', '.join(f'{f.name}={f!r}' for f in self.fleets)})"

    def add(self, fleet: Fleet) -> None:
        """A service's fleet, made with ``roster=self.instances`` and ``total_gauge=self.open_gauge``."""
        self.fleets.append(fleet)

    @property
    def serving(self) -> list[Instance]:
        return [instance for fleet in self.fleets for instance in fleet.serving]

    @property
    def arrivals(self) -> int:
        return sum(fleet.arrivals for fleet in self.fleets)

    @property
    def offered(self) -> float:
        return sum(fleet.offered for fleet in self.fleets)

    @property
    def in_flight(self) -> int:
        return sum(fleet.in_flight for fleet in self.fleets)

    def service_of(self) -> tuple[int, ...]:
        """For each instance (creation order), the index of its service."""
        index = {id(instance): k for k, fleet in enumerate(self.fleets) for instance in fleet.instances}
        return tuple(index[id(instance)] for instance in self.instances)


def service_names(fleet: Any) -> tuple[str, ...]:
    """The services' names of a :class:`Services`, or () for a plain fleet."""
    return tuple(f.name for f in fleet.fleets) if isinstance(fleet, Services) else ()
