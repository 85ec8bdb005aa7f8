"""The database's load: offered cores, cores busy, the queue for a core and the wait for
one, measured over the window from the warm-up to ``duration`` (summary ``load``)."""

from __future__ import annotations

import pytest

import simpool
from simpool.stats import erlang_c, mmc_mean_wait


def _load(summary):
    return {key: stat["mean"] for key, stat in summary["load"].items()}


def _three_at_once(tmp_path, cores=1, **data):
    """Three requests at t = 0, one 100 ms query each, on one instance: with one core the
    second waits 100 ms for it and the third 200 ms; the run lasts 1 s."""
    trace = tmp_path / "three.csv"
    trace.write_text("t_ms,service_ms\n0,100\n0,100\n0,100\n")
    return simpool.load_scenario({
        "database": {"handshake": "0", "cores": cores}, "fleet": {"instances": 1},
        "workload": {"arrivals": [{"kind": "trace", "file": str(trace)}],
                     "request": {"queries": 1, "transaction": False}}, **data})


def test_a_queue_for_one_core_measured_exactly(tmp_path):
    """Queue length 2 for 0.1 s, 1 for 0.1 s, then 0: mean 0.3 over the 1 s window, p99
    and max 2; waits 0, 100 and 200 ms; 0.3 core-seconds of work in 1 s."""
    load = _load(simpool.simulate(_three_at_once(tmp_path)).summary())
    assert load == pytest.approx({
        "cores": 1, "offered_cores": 0.3, "offered_cores_peak": 0.3, "busy_cores": 0.3, "busy_cores_peak": 0.3,
        "utilisation": 0.3, "utilisation_peak": 0.3, "queue_mean": 0.3, "queue_p99": 2, "queue_max": 2,
        "core_wait_ms_mean": 100, "core_wait_ms_p99": 200})


def test_unlimited_cores_have_no_utilisation_and_no_queue(tmp_path):
    """cores: 0 runs every query at once: the same work, nothing queued, utilisation null."""
    load = _load(simpool.simulate(_three_at_once(tmp_path, cores=0)).summary())
    assert load["cores"] == 0 and load["utilisation"] is None and load["utilisation_peak"] is None
    assert load["busy_cores"] == pytest.approx(0.3) and load["busy_cores_peak"] == pytest.approx(0.3)
    assert load["queue_max"] == 0 and load["core_wait_ms_p99"] == 0


def test_the_warm_up_is_left_out(tmp_path):
    """With the warm-up ending at 250 ms, the window [0.25 s, 1 s] sees the last query
    run from 0.2 to 0.3 s (0.05 core-seconds) and no queue; the requests arrived before it."""
    load = _load(simpool.simulate(_three_at_once(tmp_path, warmup="250ms", duration="1s")).summary())
    assert load["busy_cores"] == pytest.approx(0.05 / 0.75)
    assert load["offered_cores"] == 0
    assert load["queue_mean"] == 0 and load["queue_max"] == 0


def test_the_time_series_carries_busy_and_offered_cores(tmp_path):
    """Per interval: 1 core busy while the queries run (0 to 0.3 s), idle after; all the
    work is offered at t = 0, none after."""
    series = simpool.simulate(_three_at_once(tmp_path)).replications[0].timeseries
    busy = series.busy_cores()
    assert busy[1] == pytest.approx(1.0) and busy[-1] == 0
    assert series.offered_core_seconds[-1] == pytest.approx(0.3) and series.arrived[-1] == 3
    assert series.offered_cores()[2:].max() == 0 and series.arrival_rate()[2:].max() == 0
    assert series.database_core_seconds[-1] == pytest.approx(0.3)


@pytest.mark.slow
def test_cores_as_servers_match_erlang_c():
    """Poisson arrivals, exponential queries and c cores behind pools that never wait nor
    dial for long (MaxOpen = MaxIdle = 200, no handshake cost) make the database an M/M/c
    queue: utilisation ρ, offered load λ/μ, and the mean queue and core wait of Erlang C."""
    c, rate, mean = 4, 3000.0, 0.001
    scenario = simpool.load_scenario({
        "duration": "100s", "warmup": "5s", "seed": 11,
        "database": {"handshake": "0", "cores": c, "max_connections": 1000,
                     "query": {"dist": "exponential", "mean": "1ms"}},
        "fleet": {"instances": 1, "pool": {"max_open": 200, "max_idle": 200}},
        "workload": {"arrivals": [{"kind": "poisson", "rate": f"{rate:g}/s"}],
                     "request": {"queries": 1, "transaction": False, "timeout": "0"}},
    })
    load = _load(simpool.simulate(scenario, replications=3).summary())
    wait = mmc_mean_wait(c, rate, mean)
    assert load["offered_cores"] == pytest.approx(rate * mean, rel=0.01)
    assert load["utilisation"] == pytest.approx(rate * mean / c, rel=0.01)
    assert load["core_wait_ms_mean"] == pytest.approx(1e3 * wait, rel=0.08)
    assert load["queue_mean"] == pytest.approx(rate * wait, rel=0.08)  # Little's law
    assert erlang_c(c, rate * mean) > 0.5  # a queue worth measuring
