"""A sweep with adaptive replications: each point stops once its numbers decide it for the
findings (best point, first refusal); rows say how many replications each ran; the same
findings as the full grid, and the same bytes whatever ``jobs``."""

import json
from pathlib import Path

import pytest

import simpool
from simpool.analysis.sweep_findings import find
from simpool.exceptions import ScenarioError
from simpool.render.sweep_files import to_csv
from simpool.sweeps.adaptive_grid import neighbours, settled

SPIKE = Path(__file__).parent.parent / "assets" / "sweep-spike.yaml"


def test_neighbours_are_one_step_along_each_axis():
    assert neighbours([5], 0) == [1] and neighbours([5], 2) == [1, 3] and neighbours([5], 4) == [3]
    # 2 × 3 grid, first axis slowest: index 4 is (1, 1)
    assert neighbours([2, 3], 4) == [1, 3, 5]


def _row(p99, half, failed=0.0, failed_half=0.0, refused=0.0, refused_half=0.0):
    return {"wait_ms.p99": p99, "wait_ms.p99.ci95": half, "requests.failed": failed,
            "requests.failed.ci95": failed_half, "database.refused_connections": refused,
            "database.refused_connections.ci95": refused_half}


def test_failing_points_settle_once_their_refusals_are_known():
    """Failures can only stay failures (the mean stays above 0); a refusal is known once
    seen, or once its CI is [0, 0] (two replications)."""
    assert settled(0, {0: _row(500, None, failed=3, failed_half=None, refused=2, refused_half=None)}, [])
    assert not settled(0, {0: _row(500, None, failed=3, failed_half=None, refused_half=None)}, [])
    assert settled(0, {0: _row(500, 10, failed=3, failed_half=1)}, [])


def test_clean_points_settle_when_clearly_placed():
    rows = {0: _row(50, 2), 1: _row(30, 2), 2: _row(31, 2), 3: _row(90, 5)}
    assert settled(0, rows, [1]), "apart from its neighbour"
    assert not settled(1, rows, [0, 2]), "overlaps its neighbour 2: their order is not known yet"
    assert settled(3, rows, [2]), "above the best point's tie band: cannot be the best"
    assert not settled(0, {0: _row(50, None)}, []), "no CI yet"


def test_rows_record_their_replications_and_the_findings_match_the_full_grid():
    axes = {"fleet.pool.max_open": "2..12:2"}
    full = simpool.sweep(SPIKE, axes, replications=4, jobs=1)
    adaptive = simpool.sweep(SPIKE, axes, replications=4, min_replications=2, jobs=1)
    counts = [row["replications"] for row in adaptive.rows]
    assert all(2 <= n <= 4 for n in counts) and sum(counts) < 4 * len(counts)
    assert list(adaptive.rows[0])[:2] == ["fleet.pool.max_open", "replications"]
    f, a = find(full.rows), find(adaptive.rows)
    assert (f.best, f.first_refusal) == (a.best, a.first_refusal)
    doc = adaptive.document()
    assert doc["min_replications"] == 2 and doc["replications"] == 4
    assert "min_replications" not in full.document() and "replications" not in full.rows[0]
    assert ",replications," in to_csv(adaptive).splitlines()[0]


def test_bad_minimum_is_named():
    with pytest.raises(ScenarioError, match="--min-replications"):
        simpool.sweep(SPIKE, {"fleet.pool.max_open": [2]}, replications=3, min_replications=5, jobs=1)


@pytest.mark.slow
def test_adaptive_sweep_is_identical_whatever_the_jobs():
    axes = {"fleet.pool.max_open": "2..10:2"}
    out = [json.dumps(simpool.sweep(SPIKE, axes, replications=4, min_replications=2, jobs=j).document(),
                      sort_keys=True) for j in (1, 2)]
    assert out[0] == out[1]
