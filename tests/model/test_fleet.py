"""The fleet: round-robin dispatch, autoscaling, rolling deploys."""

import simpool
from simpool.engine import Simulation


def _run(data, record=True):
    scenario = simpool.load_scenario(data)
    sim = Simulation(scenario, scenario.seed, record_requests=record)
    sim.run()
    return sim, sim.result()


def test_round_robin_over_instances():
    """Requests go to the serving instances in turn."""
    _, result = _run({"duration": "2s", "warmup": "0", "fleet": {"instances": 3},
                      "workload": {"arrivals": [{"kind": "poisson", "rate": "200/s"}]}})
    names = [r.instance for r in sorted(result.requests, key=lambda r: r.arrival)]
    assert names[:6] == ["app-0", "app-1", "app-2", "app-0", "app-1", "app-2"]
    assert abs(names.count("app-0") - names.count("app-2")) <= 1


def test_autoscale_adds_instances_after_the_delay_and_removes_them_later():
    """Autoscaling: desired = ceil(rate / target) every interval, new instances serve after
    the start-up delay, and scale-in retires one instance per look."""
    sim, result = _run({
        "duration": "120s", "warmup": "0",
        "fleet": {"instances": 1, "autoscale": {"min": 1, "max": 6, "target": "100/s",
                                                "interval": "10s", "delay": "20s"}},
        "workload": {"arrivals": [{"kind": "poisson", "rate": "400/s", "end": "60s"},
                                  {"kind": "poisson", "rate": "50/s"}]},
    }, record=True)
    names = {r.instance for r in result.requests}
    first_seen = {}
    for r in sorted(result.requests, key=lambda r: r.arrival):
        first_seen.setdefault(r.instance, r.arrival)
    assert len(sim.fleet.instances) == 5  # 450/s → 5 instances
    assert names == {f"app-{i}" for i in range(5)}
    assert 30.0 <= first_seen["app-1"] < 31.0  # asked for at the 10 s look, serving 20 s later
    assert len(sim.fleet.serving) < 5  # traffic fell at 60 s: instances were retired
    retired = [i for i in sim.fleet.instances if i.retiring]
    assert retired and all(i.db.closed and i.db.num_open == 0 for i in retired)


def test_rolling_deploy_replaces_every_instance_with_overlap():
    """A rolling deploy starts a batch of new instances, retires the old batch after the
    overlap, and goes on until all old ones are replaced; new pools start cold."""
    sim, result = _run({
        "duration": "60s", "warmup": "0",
        "fleet": {"instances": 3, "deploy": {"at": "10s", "batch": 1, "overlap": "5s"}},
        "workload": {"arrivals": [{"kind": "poisson", "rate": "300/s"}]},
    })
    fleet = sim.fleet
    assert [i.name for i in fleet.serving] == ["app-3", "app-4", "app-5"]
    assert all(i.retiring and i.db.closed for i in fleet.instances[:3])
    first_seen = {}
    for r in sorted(result.requests, key=lambda r: r.arrival):
        first_seen.setdefault(r.instance, r.arrival)
    assert [round(first_seen[f"app-{i}"]) for i in (3, 4, 5)] == [10, 15, 20]
    last_seen = {}
    for r in result.requests:
        last_seen[r.instance] = max(last_seen.get(r.instance, 0), r.arrival)
    assert [round(last_seen[f"app-{i}"]) for i in (0, 1, 2)] == [15, 20, 25]


def test_autoscaled_fleet_with_default_pools_outgrows_the_database():
    """The production story: scaling out multiplies unlimited pools until PostgreSQL refuses."""
    _, result = _run({
        "duration": "90s", "warmup": "0",
        "database": {"cores": 4, "query": {"dist": "exponential", "mean": "8ms"}},
        "fleet": {"instances": 2, "autoscale": {"min": 2, "max": 12, "target": "100/s",
                                                "interval": "5s", "delay": "10s"}},
        "workload": {"arrivals": [{"kind": "poisson", "rate": "200/s"},
                                  {"kind": "spike", "at": "20s", "for": "40s", "rate": "700/s"}]},
    }, record=False)
    metrics = result.metrics
    assert len(metrics["instances"]) >= 8
    assert metrics["database"]["peak_connections"] == 100
    assert metrics["errors"]["too_many_connections"] > 0


def test_a_fixed_single_instance_fleet_skips_the_round_robin_with_the_same_results(monkeypatch):
    """One instance that no autoscaler or deploy changes: arrivals go straight to it
    (``_dispatch_to_only``), and the run is the one the round robin gives."""
    one = {"duration": "5s", "warmup": "0", "fleet": {"instances": 1, "pool": {"max_open": 3}},
           "workload": {"arrivals": [{"kind": "poisson", "rate": "400/s"}]}}
    sim, bound = _run(one)
    assert sim.fleet.arrival_handler() == sim.fleet._dispatch_to_only
    monkeypatch.setattr(simpool.model.fleet.Fleet, "arrival_handler", lambda fleet: fleet.dispatch)
    _, round_robin = _run(one)
    assert bound.requests == round_robin.requests and bound.metrics == round_robin.metrics


def test_fleets_that_can_change_keep_the_round_robin():
    """Several instances, an autoscaler or a deploy: every arrival goes through ``dispatch``."""
    base = {"duration": "1s", "warmup": "0", "workload": {"arrivals": [{"kind": "poisson", "rate": "10/s"}]}}
    for fleet in ({"instances": 2},
                  {"instances": 1, "autoscale": {"min": 1, "max": 2, "target": "100/s", "interval": "10s"}},
                  {"instances": 1, "deploy": {"at": "10s", "batch": 1, "overlap": "5s"}}):
        sim, _ = _run({**base, "fleet": fleet})
        assert sim.fleet.arrival_handler() == sim.fleet.dispatch, fleet
