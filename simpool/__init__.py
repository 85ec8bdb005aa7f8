"""simpool: reproduce "too many connections" with a simulation of Go's database/sql pool.

The public API::

    scenario = simpool.load_scenario("scenarios/spike.yaml")
    result = simpool.simulate(scenario, seed=7, replications=5)
    result.summary()   # the summary.json document
"""

from .engine import simulate
from .exceptions import ScenarioError, SimpoolError
from .result import ReplicationResult, RequestRecord, Result, TimeSeries
from .scenario import Scenario, load_scenario

__all__ = [
    "load_scenario",
    "simulate",
    "Scenario",
    "Result",
    "ReplicationResult",
    "RequestRecord",
    "TimeSeries",
    "SimpoolError",
    "ScenarioError",
]
__version__ = "0.1.0"
