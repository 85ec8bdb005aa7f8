"""simpool: reproduce "too many connections" with a simulation of Go's database/sql pool.

The public API::

    scenario = simpool.load_scenario("scenarios/spike.yaml")
    result = simpool.simulate(scenario, seed=7, replications=5)
    result.summary()   # the summary.json document
    grid = simpool.sweep(scenario, {"fleet.pool.max_open": "10..50"}, replications=5)
    grid.rows          # one dict per point: the settings, then each metric and its ci95
"""

from .engine import simulate
from .exceptions import ScenarioError, SimpoolError
from .result import ReplicationResult, RequestRecord, Result, TimeSeries
from .scenario import Scenario, load_scenario
from .sweep_run import SweepResult, sweep

__all__ = [
    "load_scenario",
    "simulate",
    "sweep",
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
