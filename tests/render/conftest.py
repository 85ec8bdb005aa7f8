"""A small two-replication run that the renderers' tests share."""

from __future__ import annotations

import pytest

from simpool import load_scenario, simulate

SMALL = {
    "name": "small", "duration": "4s", "warmup": "1s", "seed": 5,
    "fleet": {"instances": 2, "pool": {"max_open": 3}},
    "workload": {"arrivals": [{"kind": "poisson", "rate": "120/s"}]},
}


@pytest.fixture(scope="module")
def run():
    """(scenario, result) of SMALL with two replications and every request recorded."""
    scenario = load_scenario(SMALL)
    return scenario, simulate(scenario, replications=2, record_requests=True)
