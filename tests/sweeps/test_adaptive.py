"""Adaptive replications: rounds that stop a point once ``decide`` settles it, never
before ``min_replications`` nor after ``max_replications``, replication k always on the
same seed streams, and the same rows whatever the executor."""

import json
from pathlib import Path

import pytest

import simpool
from simpool.sweeps.adaptive import Point, Replicator
from simpool.sweeps.grid import metric_row

SPIKE = Path(__file__).parent.parent / "assets" / "sweep-spike.yaml"


def _points(*max_open: int) -> list[Point]:
    out = []
    for m in max_open:
        scenario = simpool.load_scenario(SPIKE, overrides={"fleet.pool.max_open": m})
        out.append(Point(key=m, scenario=scenario, seed=scenario.seed))
    return out


def _settle_when_confident(key, rows):
    """Settled once the p99 wait's CI is within 10% of its mean (a rule that needs a
    few replications on some points and more on others)."""
    row = rows[key]
    half = row.get("wait_ms.p99.ci95")
    return half is not None and half <= 0.1 * max(row["wait_ms.p99"], 1e-9)


def test_min_and_max_bound_the_replications():
    points = _points(2, 9)
    with Replicator(jobs=1) as never:
        never.run(points, min_replications=2, max_replications=4, decide=lambda k, rows: False)
    assert [never.count(p.key) for p in points] == [4, 4]
    with Replicator(jobs=1) as always:
        always.run(points, min_replications=2, max_replications=4, decide=lambda k, rows: True)
    assert [always.count(p.key) for p in points] == [2, 2]
    assert always.replications == 4


def test_a_point_stops_once_decided_and_others_go_on():
    """The decision is per point: one settled at 2 stops, the other runs on, and
    ``decide`` sees every point's row (so it may compare neighbours)."""
    points = _points(2, 9)
    seen = []

    def decide(key, rows):
        seen.append((key, {k: int(r["requests.total"] > 0) for k, r in rows.items()}))
        return key == 9
    with Replicator(jobs=1) as reps:
        reps.run(points, min_replications=2, max_replications=5, decide=decide)
    assert reps.count(9) == 2 and reps.count(2) == 5
    assert all(set(rows) == {2, 9} for _, rows in seen)


def test_replication_k_is_the_grids_replication_k():
    """The rows are metric_row of runs 0..n-1, the very runs a sweep makes (CRN)."""
    (point,) = _points(6)
    with Replicator(jobs=1) as reps:
        rows = reps.run([point], min_replications=3, max_replications=3, decide=lambda k, r: False)
    grid = simpool.sweep(SPIKE, {"fleet.pool.max_open": [6]}, replications=3, jobs=1)
    assert {k: rows[6][k] for k in grid.rows[0] if k != "fleet.pool.max_open"} == \
        {k: v for k, v in grid.rows[0].items() if k != "fleet.pool.max_open"}
    assert rows[6] == metric_row(point.scenario, point.seed, reps._runs[6])


def test_a_point_met_again_reuses_its_runs():
    points = _points(4)
    with Replicator(jobs=1) as reps:
        reps.run(points, min_replications=2, max_replications=2, decide=lambda k, r: True)
        reps.run(points, min_replications=3, max_replications=3, decide=lambda k, r: True)
        assert reps.count(4) == 3 and reps.replications == 3


@pytest.mark.slow
def test_identical_whatever_the_jobs():
    """Two processes finish runs in any order; the rounds, the stopping points and the
    rows are byte-identical to one process."""
    results = []
    for jobs in (1, 2):
        with Replicator(jobs=jobs) as reps:
            rows = reps.run(_points(2, 5, 9), min_replications=2, max_replications=6,
                            decide=_settle_when_confident)
            results.append((json.dumps(rows, sort_keys=True), [reps.count(k) for k in (2, 5, 9)]))
    assert results[0] == results[1]
    assert len(set(results[0][1])) > 1, "the rule should stop the points at different counts"
