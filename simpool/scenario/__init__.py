"""Scenario files: one pydantic model per YAML section, every field with a default.

``Scenario()`` (an empty file) is the built-in default story: three Go services with Go's
default pool settings (unlimited open, 2 idle) behind one PostgreSQL (``max_connections``
100, 97 for ordinary roles). Each request runs a two-query transaction around a ~25 ms call
to another service; a 30-second spike raises traffic from 600/s to 2,600/s, the fleet
opens more connections than PostgreSQL allows, and it refuses them. Durations are Go
strings (``250ms``, ``1h30m``) parsed to seconds; rates are ``N/s``, ``N/min``, ``N/h``
parsed to events per second. Unknown keys are errors, so typos cannot pass silently.

The model (``simpool.model``) only reads these specs; it never parses text.
"""

from ._base import Duration, Float, Int, Rate, Spec
from .arrivals import (
    ArrivalSpec,
    DiurnalArrivals,
    OnOffArrivals,
    PoissonArrivals,
    SpikeArrivals,
    TraceArrivals,
    TraceRow,
)
from .distributions import (
    ConstantDist,
    Distribution,
    EmpiricalDist,
    ExponentialDist,
    LognormalDist,
    UniformDist,
)
from .files import FileError
from .loading import apply_overrides, field_default, load_scenario, validate_scenario
from .sections import (
    FLAVOR_DEFAULTS,
    AutoscaleSpec,
    ContentionSpec,
    DatabaseSpec,
    DeploySpec,
    FleetSpec,
    NetworkSpec,
    PitfallsSpec,
    PoolSpec,
    RequestSpec,
    RestartSpec,
    WorkloadSpec,
)
from .top_level import PLAIN_SERVICE, Scenario, ServiceSpec, ServiceView
from .yaml_reading import parse_yaml

__all__ = [
    "ArrivalSpec", "AutoscaleSpec", "FileError", "Float", "Int", "ConstantDist", "ContentionSpec", "DatabaseSpec", "DeploySpec",
    "DiurnalArrivals", "Distribution", "Duration", "EmpiricalDist", "ExponentialDist", "FLAVOR_DEFAULTS",
    "FleetSpec", "LognormalDist", "NetworkSpec", "OnOffArrivals", "PitfallsSpec", "PoissonArrivals",
    "PoolSpec", "Rate", "RequestSpec", "PLAIN_SERVICE", "RestartSpec", "Scenario", "ServiceSpec", "ServiceView", "Spec", "SpikeArrivals", "TraceArrivals", "TraceRow",
    "UniformDist", "WorkloadSpec", "apply_overrides", "field_default", "load_scenario", "parse_yaml", "validate_scenario",
]
