"""A small two-replication run that the renderers' tests share."""

from __future__ import annotations

import pytest

from simpool import load_scenario, simulate
from simpool.render.files import OutputFolder

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


def folder_for(path, *names: str) -> OutputFolder:
    """An output folder that commits ``names`` (each as given, or ``stem.*`` for a figure's
    PNG and SVG) when its ``with`` block ends."""
    expanded = [n for name in names for n in ([f"{name[:-2]}.png", f"{name[:-2]}.svg"] if name.endswith(".*")
                                              else [name])]
    return OutputFolder(path, owner="test", names=expanded)
