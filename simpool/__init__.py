"""simpool: reproduce "too many connections" with a simulation of Go's database/sql pool.

The public API::

    scenario = simpool.load_scenario("scenarios/spike.yaml")
    result = simpool.simulate(scenario, seed=7, replications=5)
    result.summary()   # the summary.json document
    grid = simpool.sweep(scenario, {"fleet.pool.max_open": "10..50"}, replications=5)
    grid.rows          # one dict per point: the settings, then each metric and its ci95
    advice = simpool.recommend(scenario, ["p99_wait<100ms", "error_rate<=0"])
    advice.max_open, advice.max_idle   # the smallest safe pool, proved by runs

The names are imported on first use (PEP 562), so that ``import simpool.cli`` (and with
it ``simpool --help`` and ``simpool validate``) does not pay for numpy and simpy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = [
    "load_scenario",
    "simulate",
    "sweep",
    "recommend",
    "Scenario",
    "Result",
    "ReplicationResult",
    "RequestRecord",
    "TimeSeries",
    "SweepResult",
    "SimpoolError",
    "ScenarioError",
]
__version__ = "0.1.0"

_HOMES = {
    "load_scenario": ".scenario",
    "Scenario": ".scenario",
    "simulate": ".engine",
    "Result": ".result",
    "ReplicationResult": ".result",
    "RequestRecord": ".result",
    "TimeSeries": ".result",
    "sweep": ".sweeps",
    "recommend": ".analysis.recommend",
    "SweepResult": ".sweeps",
    "SimpoolError": ".exceptions",
    "ScenarioError": ".exceptions",
}

if TYPE_CHECKING:
    from .analysis.recommend import recommend
    from .engine import simulate
    from .exceptions import ScenarioError, SimpoolError
    from .result import ReplicationResult, RequestRecord, Result, TimeSeries
    from .scenario import Scenario, load_scenario
    from .sweeps import SweepResult, sweep


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'simpool' has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
