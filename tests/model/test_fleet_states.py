"""The fleet's state machine: autoscaling and a rolling deploy together never leave it
with no instance serving (a scenario cannot ask for zero: instances and autoscale.min are
at least 1), whatever the fleet, the traffic and the seed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simpool
from simpool.engine import Simulation
from simpool.model.fleet import Fleet


@st.composite
def fleets(draw) -> dict:
    instances = draw(st.integers(1, 5))
    fleet: dict = {"instances": instances, "pool": {"max_open": draw(st.sampled_from([0, 2, 5]))}}
    if draw(st.booleans()):
        low = draw(st.integers(1, instances))
        fleet["autoscale"] = {"min": low, "max": draw(st.integers(instances, 8)),
                              "target": f"{draw(st.integers(10, 200))}/s", "interval": f"{draw(st.integers(1, 8))}s",
                              "delay": f"{draw(st.integers(0, 8))}s"}
    if draw(st.booleans()):
        fleet["deploy"] = {"at": f"{draw(st.integers(0, 30))}s", "batch": draw(st.integers(1, 4)),
                           "overlap": f"{draw(st.integers(0, 15))}s"}
    arrivals = [{"kind": "poisson", "rate": f"{draw(st.integers(5, 150))}/s"}]
    if draw(st.booleans()):
        arrivals.append({"kind": "spike", "at": f"{draw(st.integers(0, 20))}s", "for": f"{draw(st.integers(1, 20))}s",
                         "rate": f"{draw(st.integers(10, 400))}/s"})
    return {"duration": f"{draw(st.integers(20, 60))}s", "warmup": "0", "seed": draw(st.integers(0, 10_000)),
            "fleet": fleet, "workload": {"arrivals": arrivals, "request": {"queries": 1}}}


def run_checked(data: dict, monkeypatch) -> Simulation:
    """Run ``data``, checking after every change of the fleet that at least one instance
    serves and that the instances the autoscaler counts stay within one and its max."""
    changes = []

    def checked(method):
        def wrapper(self, *args):
            method(self, *args)
            assert self.serving, f"no instance serving after {method.__name__} at t={self.env.now}"
            assert self.counted >= 1
            assert self.replacing <= set(self.serving)
            changes.append(method.__name__)
        return wrapper

    for name in ("_retire", "_serve", "_autoscale", "_started", "_deploy_step", "_deploy_retire"):
        monkeypatch.setattr(Fleet, name, checked(getattr(Fleet, name)))
    scenario = simpool.load_scenario(data)
    simulation = Simulation(scenario, scenario.seed)
    simulation.run()
    return simulation


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=fleets())
def test_some_instance_always_serves(data, monkeypatch):
    """Generated fleets, with and without autoscaling and a rolling deploy: the run ends
    (no IndexError in dispatch), and at every change some instance serves."""
    assert run_checked(data, monkeypatch).fleet.serving


def test_autoscale_removing_the_new_instance_during_a_deploy(monkeypatch):
    """The crash of issue #12: scale-in retired the deploy's new instance, then the deploy
    retired the last old one (seed 3 of this scenario raised IndexError in dispatch)."""
    data = {"duration": "120s", "warmup": "0", "seed": 3,
            "fleet": {"instances": 1, "autoscale": {"min": 1, "max": 4, "target": "100/s", "interval": "5s",
                                                    "delay": "5s"},
                      "deploy": {"at": "20s", "batch": 1, "overlap": "10s"}},
            "workload": {"arrivals": [{"kind": "poisson", "rate": "90/s"},
                                      {"kind": "spike", "at": "10s", "for": "15s", "rate": "100/s"}]}}
    fleet = run_checked(data, monkeypatch).fleet
    assert fleet.instances[0] not in fleet.serving, "the deploy replaced the original instance"
    assert not fleet.replacing
