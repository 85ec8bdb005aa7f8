"""A sweep's findings: the best point is the knee, not the plateau; the first refusal;
the headroom at the best point; and how sweep.json names them."""

from simpool.analysis.sweep_findings import best_point, find, first_refusal


def _row(p99, ci=0.0, failed=0.0, refused=0.0, peak=10.0):
    return {"wait_ms.p99": p99, "wait_ms.p99.ci95": ci, "requests.failed": failed,
            "database.refused_connections": refused, "database.peak_connections": peak}


def test_best_point_is_the_knee_not_the_plateau():
    """Lowest p99 among points without failures; points within its CI tie, and the one
    with fewer database connections wins."""
    rows = [_row(900, failed=50, peak=4), _row(20, ci=1, peak=8), _row(15.5, ci=1, peak=10),
            _row(15, ci=1, peak=12), _row(15, ci=1, failed=3, refused=2, peak=20)]
    assert best_point(rows) == 2
    assert first_refusal(rows) == 4


def test_no_best_point_when_everything_fails():
    assert best_point([_row(900, failed=1), _row(800, failed=2)]) is None
    assert first_refusal([_row(1)]) is None


def test_findings_carry_the_headroom_at_the_best_point():
    rows = [_row(20, peak=8), _row(15, peak=10)]
    for row in rows:
        row["database.usable_connections"] = 17
    findings = find(rows)
    assert (findings.best, findings.first_refusal, findings.headroom_at_best) == (1, None, 7)
    assert findings.marked() == {1: ("best",)}


def test_one_point_can_be_best_and_first_refusal_and_the_document_names_settings():
    """Both marks can fall on one point, and the document names points by their swept
    settings (the rows here are made up: a real refusal fails a request)."""
    rows = [{"fleet.pool.max_open": 5, **_row(30, refused=0.5)}, {"fleet.pool.max_open": 6, **_row(40)}]
    findings = find(rows)
    assert findings.marked() == {0: ("best", "first_refusal")}
    doc = findings.document(rows, ["fleet.pool.max_open"])
    assert doc["best_point"] == {"fleet.pool.max_open": 5}
    assert doc["first_refusal"] == {"fleet.pool.max_open": 5}
    assert doc["headroom_at_best"] is None  # no usable_connections in these rows
