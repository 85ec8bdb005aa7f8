"""Runaway sweeps: a grid of a million points is planned from spot checks and generated as
it runs, executors take runs through a small window, ``jobs`` is capped at the cores, and
a Dask scheduler that never answers is given up on after the documented 10 s."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

import simpool
from simpool.exceptions import ScenarioError
from simpool.scenario import loading
from simpool.sweeps import executors
from simpool.sweeps import plan as plan_module
from simpool.sweeps.executors import DASK_TIMEOUT, ExecutorError, InProcess, LocalPool, default_jobs, local_jobs
from simpool.sweeps.grid import run_sweep
from simpool.sweeps.plan import EAGER_POINTS, SPOT_CHECKS, plan_sweep

SPIKE = str(Path(__file__).parent.parent / "assets" / "sweep-spike.yaml")
MILLION = {"fleet.pool.max_open": "1..1000", "fleet.pool.max_idle": "0..999"}


def count_validations(monkeypatch) -> list[int]:
    calls = [0]
    real = plan_module.validate_scenario

    def counting(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(plan_module, "validate_scenario", counting)
    return calls


def test_a_million_point_grid_is_planned_from_spot_checks(monkeypatch):
    calls = count_validations(monkeypatch)
    plan = plan_sweep(SPIKE, MILLION, replications=1)
    assert plan.points == 1_000_000 and not plan.eager
    assert 0 in plan.checked and len(plan.checked) <= 2 * SPOT_CHECKS + 1
    assert calls[0] <= len(plan.checked) + 1  # the points checked, and the base
    index = 123_456
    assert (plan.scenario(index).fleet.pool.max_open, plan.scenario(index).fleet.pool.max_idle) == (124, 456)


def test_spot_checks_include_each_axis_first_and_last_value():
    with pytest.raises(ScenarioError, match="point fleet.pool.max_open=1, database.other_clients=17"):
        plan_sweep(SPIKE, {"fleet.pool.max_open": "1..1000", "database.other_clients": "0..17"}, replications=1)


def test_a_bad_point_met_later_stops_the_sweep_with_its_name(monkeypatch):
    """Beyond the spot checks a bad combination is found when its turn comes."""
    monkeypatch.setattr(plan_module, "EAGER_POINTS", 3)
    plan = plan_sweep(SPIKE, {"duration": ["4s", "2s"], "warmup": ["0", "3s"]}, replications=1)
    assert not plan.eager and sorted(plan.checked) == [0, 1, 2]
    with pytest.raises(ScenarioError, match=r"point duration=2s, warmup=3s: warmup \(3s\) must be shorter"):
        run_sweep(plan, jobs=1)


def test_points_are_built_as_the_executor_takes_them(monkeypatch):
    """Interrupted after the first point of a million, only that point (and the next the
    executor asked for) were ever built."""
    plan = plan_sweep(SPIKE, MILLION, replications=1)
    built = []
    real = plan.scenario
    monkeypatch.setattr(type(plan), "scenario", lambda self, i: built.append(i) or real(i))

    def stop(done, total, row):
        raise KeyboardInterrupt

    result = run_sweep(plan, jobs=1, on_point=stop)
    assert result.interrupted and len(result.rows) == 1 and result.points == 1_000_000
    assert sorted(set(built)) == [0], built


def test_local_jobs_are_capped_at_the_cores_and_the_runs():
    assert local_jobs(1000, 10_000) == default_jobs()
    assert local_jobs(None, 1) == 1 and local_jobs(1, 50) == 1
    for bad in (0, -1, True, 2.5):
        with pytest.raises(ScenarioError, match="jobs: must be an integer >= 1"):
            local_jobs(bad, 10)


def test_executors_take_tasks_through_a_window():
    """A local pool of 2 has at most WINDOW_PER_WORKER × 2 runs submitted ahead."""
    plan = plan_sweep(SPIKE, {"fleet.pool.max_open": [2, 3, 4, 5, 6, 7]}, replications=1)
    taken, finished = [], []

    def tasks():
        for i in range(plan.points):
            taken.append(i)
            assert len(taken) - len(finished) <= executors.WINDOW_PER_WORKER * 2
            point = plan.scenario(i)
            yield point, point.seed, 0

    pool = LocalPool(2)
    try:
        for index, _ in pool.run(tasks()):
            finished.append(index)
    finally:
        pool.close()
    assert sorted(finished) == list(range(6))
    assert [i for i, _ in InProcess().run(iter([]))] == []


def test_eager_grids_are_still_validated_whole(monkeypatch):
    calls = count_validations(monkeypatch)
    plan = plan_sweep(SPIKE, {"fleet.pool.max_open": "1..50"}, replications=1)
    assert plan.eager and calls[0] == 50 + 1 and EAGER_POINTS == 10_000


# ---------------------------------------------------------------------------- Dask


@pytest.fixture
def silent_scheduler():
    """A TCP port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    threading.Thread(target=lambda: [accepted.append(server.accept()) for _ in iter(int, 1)], daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_a_scheduler_that_never_answers_is_given_up_on(silent_scheduler, monkeypatch):
    """distributed.Client's own timeout covers the connection, not the handshake, and waits
    forever here; the probe gives up after DASK_TIMEOUT (10 s; 1 s in this test)."""
    pytest.importorskip("distributed")
    assert DASK_TIMEOUT == 10.0
    monkeypatch.setattr(executors, "DASK_TIMEOUT", 1.0)
    started = time.monotonic()
    with pytest.raises(ExecutorError, match=f"the Dask scheduler at {silent_scheduler} did not answer within 1 s"):
        simpool.sweep(SPIKE, {"fleet.pool.max_open": [2]}, executor="dask", scheduler=silent_scheduler)
    assert time.monotonic() - started < 8


def test_a_scheduler_nobody_listens_on_is_an_error(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(executors, "DASK_TIMEOUT", 2.0)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(ExecutorError, match=f"at tcp://127.0.0.1:{port}"):
        simpool.sweep(SPIKE, {"fleet.pool.max_open": [2]}, executor="dask", scheduler=f"tcp://127.0.0.1:{port}")


def test_loading_is_not_patched_by_these_tests():
    assert plan_module.validate_scenario is loading.validate_scenario
