"""``simpool.sweep``: rows equal to ``simulate``'s, common random numbers, identical results
whatever the executor, every point validated first, and interruption keeping finished points."""

from pathlib import Path

import pytest

import simpool
from simpool.exceptions import ScenarioError
from simpool.render.sweep_files import to_csv
from simpool.sweeps import executors as sweep_exec

SPIKE = Path(__file__).parent.parent / "assets" / "sweep-spike.yaml"


def test_a_row_is_simulates_flat_summary():
    """A sweep row carries the point's settings, then exactly ``Result.flat()`` of the same
    point run on its own: the same metrics, means and 95% half-widths."""
    result = simpool.sweep(SPIKE, {"fleet.pool.max_open": [3, 9]}, replications=3, jobs=1)
    assert [row["fleet.pool.max_open"] for row in result.rows] == [3, 9]
    for row in result.rows:
        scenario = simpool.load_scenario(SPIKE, overrides={"fleet.pool.max_open": row["fleet.pool.max_open"]})
        alone = simpool.simulate(scenario, replications=3).flat()
        assert {key: row[key] for key in alone} == alone
        assert list(row)[:1 + len(alone)] == ["fleet.pool.max_open", *alone]


def test_rates_are_per_replication_means():
    result = simpool.sweep(SPIKE, {"fleet.pool.max_open": [9]}, replications=2, jobs=1)
    row = result.rows[0]
    assert row["failure_rate.failed"] == pytest.approx(row["requests.failed"] / row["requests.total"], rel=0.02)
    assert row["per_s.dials"] == pytest.approx(row["pool.dials"] / 5.0)  # duration 6s − warm-up 1s
    assert row["failure_rate.too_many_connections.ci95"] is not None


def test_common_random_numbers():
    """Replication k sees the same traffic at every point: arrivals counted after the
    warm-up are identical whatever max_open is, so differences come from the setting."""
    result = simpool.sweep(SPIKE, {"fleet.pool.max_open": "2..10:4"}, replications=2, jobs=1)
    totals = {(row["requests.total"], row["requests.total.ci95"]) for row in result.rows}
    assert len(totals) == 1
    p99 = [row["wait_ms.p99"] for row in result.rows]
    assert p99[0] > 10 * p99[-1], "a starved pool waits far longer than a roomy one"


def test_the_knee_and_the_refusals_show():
    """The story a planner needs: long waits below the knee, none refused below the cap,
    refusals once instances × max_open exceeds the usable slots (2 × 9 > 17)."""
    result = simpool.sweep(SPIKE, {"fleet.pool.max_open": [2, 6, 12]}, replications=2, jobs=1)
    low, middle, high = result.rows
    assert low["wait_ms.p99"] > 100 > middle["wait_ms.p99"]
    assert low["database.refused_connections"] == middle["database.refused_connections"] == 0
    assert high["database.refused_connections"] > 0
    assert high["errors.too_many_connections"] > 0


def test_dask_on_a_local_cluster_matches_local():
    """The Dask adapter gives the same bytes as local runs (jobs 1 vs 2: test_sweep_cli)."""
    distributed = pytest.importorskip("distributed")
    axes = {"fleet.pool.max_open": [2, 9]}
    local = simpool.sweep(SPIKE, axes, replications=2, jobs=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        remote = simpool.sweep(SPIKE, axes, replications=2, executor="dask", scheduler=cluster.scheduler_address)
    assert to_csv(remote) == to_csv(local)


def test_dask_needs_a_scheduler():
    pytest.importorskip("distributed")
    with pytest.raises(ScenarioError, match="needs a scheduler address"):
        simpool.sweep(SPIKE, {"fleet.pool.max_open": [2]}, executor="dask")


def test_every_point_is_validated_before_any_runs(monkeypatch):
    """A bad combination fails at once, naming the point, and nothing runs."""
    def no_run(*args, **kwargs):
        raise AssertionError("ran before validating every point")

    monkeypatch.setattr(sweep_exec, "run_task", no_run)
    with pytest.raises(ScenarioError) as info:
        simpool.sweep(SPIKE, {"fleet.pool.max_open": [2, 4], "database.other_clients": [0, 17]}, jobs=1)
    message = str(info.value)
    assert "point fleet.pool.max_open=2, database.other_clients=17" in message
    assert "database: other_clients (17) take every usable slot" in message
    assert str(SPIKE) in message


@pytest.mark.parametrize(("kwargs", "problem"), [
    ({"replications": 0}, "replications: must be an integer from 1 to 10,000"),
    ({"replications": 10_001}, "replications: must be an integer from 1 to 10,000"),
    ({"seed": -1}, "seed: must be an integer >= 0"),
    ({"overrides": {"fleet.pool.max_open": 3}}, "fleet.pool.max_open: is both set"),
])
def test_bad_arguments(kwargs, problem):
    with pytest.raises(ScenarioError, match=problem):
        simpool.sweep(SPIKE, {"fleet.pool.max_open": [2]}, jobs=1, **kwargs)


def test_unknown_path_is_named_alone():
    message = r"^fleet.pool.max_opn: unknown field 'max_opn'; did you mean 'max_open'\?$"
    with pytest.raises(ScenarioError, match=message):
        simpool.sweep(None, {"fleet.pool.max_opn": [2]})


def test_bad_executor_and_jobs():
    """A bad executor or jobs is bad input (ScenarioError, exit 2 at the command line)."""
    with pytest.raises(ScenarioError, match="executor: must be 'local' or 'dask'"):
        simpool.sweep(SPIKE, {"fleet.pool.max_open": [2]}, executor="slurm")
    for jobs in (0, -1, True, 1.5):
        with pytest.raises(ScenarioError, match="jobs: must be an integer >= 1"):
            simpool.sweep(SPIKE, {"fleet.pool.max_open": [2]}, jobs=jobs)


def test_default_and_overrides_reach_the_points():
    """``default`` for max_idle is Go's 2 (not 0); --set applies to every point and is
    recorded; the flavour's defaults still apply to a swept flavour."""
    result = simpool.sweep(SPIKE, {"fleet.pool.max_idle": ["default", 0], "database.flavor": ["postgres", "mysql"]},
                           replications=1, jobs=1, overrides={"database.max_connections": None})
    by_point = {(r["fleet.pool.max_idle"], r["database.flavor"]): r for r in result.rows}
    assert by_point[("default", "postgres")]["database.max_connections"] == 100
    assert by_point[("default", "mysql")]["database.max_connections"] == 151
    go_default, no_idle = by_point[("default", "postgres")], by_point[(0, "postgres")]
    assert no_idle["pool.max_idle_closed"] > go_default["pool.max_idle_closed"]
    assert result.overrides == {"database.max_connections": None}
    assert result.scenario["name"] == "tiny-spike"


def test_interrupted_sweep_keeps_finished_points():
    """Ctrl-C (KeyboardInterrupt) stops the sweep; the finished points come back in grid
    order, flagged. (A real SIGINT, with a process pool too: test_sweep_cli.)"""
    seen = []

    def interrupt_after_first(done, total, row):
        seen.append(row)
        raise KeyboardInterrupt

    result = simpool.sweep(SPIKE, {"fleet.pool.max_open": "1..12"}, replications=2, jobs=1,
                           on_point=interrupt_after_first)
    assert result.interrupted
    assert result.points == 12
    assert list(result.rows) == seen and len(seen) == 1
    assert result.document()["finished"] == 1
