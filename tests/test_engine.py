"""The engine: reproducibility, common random numbers, replications, argument checks."""

import json

import numpy as np
import pytest
from simpy import Environment
from simpy.events import URGENT

import simpool
from simpool import ScenarioError, load_scenario, simulate
from simpool.engine import Simulation, run_until
from simpool.model.events import Call, call_later

SMALL = {
    "duration": "20s", "warmup": "2s", "seed": 42,
    "fleet": {"instances": 2, "pool": {"max_open": 8, "max_idle": 4}},
    "workload": {"arrivals": [{"kind": "poisson", "rate": "400/s"},
                              {"kind": "spike", "at": "8s", "for": "4s", "rate": "1200/s"}],
                 "request": {"timeout": "1s", "queries": 2}},
}


def _summary_json(result):
    return json.dumps(result.summary(), sort_keys=True)


def test_same_seed_same_numbers_byte_for_byte():
    """Reproducible: the same scenario and seed give identical summaries and time series."""
    a = simulate(load_scenario(SMALL), replications=2)
    b = simulate(load_scenario(SMALL), replications=2)
    assert _summary_json(a) == _summary_json(b)
    for ra, rb in zip(a.replications, b.replications, strict=True):
        assert np.array_equal(ra.timeseries.open, rb.timeseries.open)
        assert np.array_equal(ra.timeseries.database_connections, rb.timeseries.database_connections)


def test_different_seed_different_numbers():
    """Different seeds give different traffic."""
    a = simulate(load_scenario(SMALL), seed=1)
    b = simulate(load_scenario(SMALL), seed=2)
    assert a.summary()["requests"]["total"] != b.summary()["requests"]["total"]


def _arrivals(overrides, replication=0):
    scenario = load_scenario(SMALL, overrides=overrides)
    result = simulate(scenario, replications=replication + 1, record_requests=True)
    records = result.replications[replication].requests
    return sorted(r.arrival for r in records), result


def test_pool_settings_leave_the_traffic_unchanged():
    """Common random numbers: changing pool settings does not reshuffle arrivals."""
    base, base_result = _arrivals({})
    for overrides in ({"fleet.pool.max_open": 2}, {"fleet.pool.max_idle": 0},
                      {"fleet.pool.conn_max_lifetime": "1s"}, {"fleet.instances": 3}):
        arrivals, result = _arrivals(overrides)
        assert arrivals == base
        assert _summary_json(result) != _summary_json(base_result)


def test_replications_are_independent_and_stable():
    """Replication k has its own traffic, the same whatever the other settings (CRN)."""
    first, _ = _arrivals({}, replication=0)
    second, _ = _arrivals({}, replication=1)
    second_again, _ = _arrivals({"fleet.pool.max_open": 3}, replication=1)
    assert first != second and second == second_again


def test_replications_report_confidence_intervals():
    """With R > 1 each metric carries a ci95 half-width; with R = 1 it does not."""
    one = simulate(load_scenario(SMALL)).summary()
    three = simulate(load_scenario(SMALL), replications=3).summary()
    assert "ci95" not in one["wait_ms"]["p99"]
    assert three["wait_ms"]["p99"]["ci95"] >= 0
    assert three["replications"] == 3
    assert [i["name"] for i in three["instances"]] == ["app-0", "app-1"]


@pytest.mark.parametrize("kwargs,field", [
    ({"replications": 0}, "replications"),
    ({"replications": 1.5}, "replications"),
    ({"seed": -1}, "seed"),
])
def test_bad_arguments_raise_one_error_type(kwargs, field):
    """Bad input to the API raises ScenarioError naming the field."""
    with pytest.raises(ScenarioError, match=field):
        simulate(load_scenario(SMALL), **kwargs)


def test_simulate_wants_a_scenario():
    """A dict is not silently accepted: load_scenario validates it first."""
    with pytest.raises(ScenarioError, match="load_scenario"):
        simulate({"duration": "1s"})


def test_trace_instance_out_of_range_is_an_error(tmp_path):
    """A trace naming an instance the fleet does not have is a ScenarioError: when the
    scenario is validated, and again at simulate() for one changed since."""
    trace = tmp_path / "t.csv"
    trace.write_text("t_ms,instance\n0,0\n5,7\n")
    data = {"workload": {"arrivals": [{"kind": "trace", "file": str(trace)}]}}
    with pytest.raises(ScenarioError, match="workload.arrivals.0.file.*instance 7"):
        load_scenario({**data, "fleet": {"instances": 2}})
    scenario = load_scenario({**data, "fleet": {"instances": 8}})
    shrunk = scenario.model_copy(update={"fleet": scenario.fleet.model_copy(update={"instances": 2})})
    with pytest.raises(ScenarioError, match="workload.arrivals.0.file.*instance 7"):
        simulate(shrunk)


def test_public_api_is_small():
    """The public API is the documented list."""
    assert set(simpool.__all__) == {
        "load_scenario", "simulate", "sweep", "recommend", "Scenario", "Result", "ReplicationResult",
        "RequestRecord", "TimeSeries", "SweepResult", "SimpoolError", "ScenarioError"}


# ---------------------------------------------------------------------------- the event loop


def test_run_until_processes_what_env_run_would():
    """``run_until`` is ``env.run(until)``: events before ``until`` in time, priority and
    insertion order; at ``until`` itself only URGENT events scheduled before the run (SimPy's
    stop event is URGENT too); the clock ends at ``until``."""
    def schedule(env, log):
        for t, name in [(2.0, "b"), (1.0, "a"), (2.0, "c"), (3.0, "at-until"), (4.0, "after")]:
            call_later(env, t, lambda call: log.append((env.now, call.value)), name)
        env.schedule(Call((lambda call: log.append((env.now, "urgent")),)), URGENT, 2.0)
        env.schedule(Call((lambda call: log.append((env.now, "urgent-at-until")),)), URGENT, 3.0)

    ours, simpys = [], []
    env = Environment()
    schedule(env, ours)
    run_until(env, 3.0)
    reference = Environment()
    schedule(reference, simpys)
    reference.run(until=3.0)
    assert ours == simpys == [(1.0, "a"), (2.0, "urgent"), (2.0, "b"), (2.0, "c"), (3.0, "urgent-at-until")]
    assert env.now == reference.now == 3.0
    # What is left is the same (SimPy also re-queues its spent stop event, with no callbacks).
    def pending(e):
        return sorted(entry[0] for entry in e._queue if entry[-1].callbacks)

    assert pending(env) == pending(reference) == [3.0, 4.0]


def test_run_until_raises_a_failed_event():
    """A failed event nobody defused stops the run with its exception, as in SimPy."""
    env = Environment()
    env.event().fail(ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        run_until(env, 1.0)


def test_simulation_run_matches_simpy_run():
    """The engine's loop gives the very numbers ``env.run`` + ``env.step`` give."""
    scenario = load_scenario(SMALL)
    ours = Simulation(scenario, 7)
    ours.run()
    reference = Simulation(scenario, 7)
    reference.env.run(until=scenario.duration)
    reference.recorder.end_window(reference.fleet, reference.database)
    while reference.fleet.in_flight and reference.env.peek() <= reference.drain_until:
        reference.env.step()
    a, b = ours.result(), reference.result()
    assert json.dumps(a.metrics, sort_keys=True) == json.dumps(b.metrics, sort_keys=True)
    assert np.array_equal(a.timeseries.open, b.timeseries.open)


def test_objects_read_on_every_event_keep_cpython_fast_attribute_path():
    """CPython 3.11 shares an instance's dict keys (its fast attribute reads) only up to 30
    attributes: the objects the hot path reads are slotted or stay within that (a pool or
    database that grew past it cost the M/M/c benchmark 7%, benchmarks/README.md)."""
    scenario = load_scenario({"duration": "1s", "warmup": "0"})
    sim = Simulation(scenario, 1)
    sim.run()
    instance = sim.fleet.instances[0]
    assert not hasattr(instance.db, "__dict__") and not hasattr(sim.database, "__dict__")
    for obj in (instance, sim.fleet, sim.app, sim.recorder):
        assert len(vars(obj)) <= 30, type(obj).__name__
