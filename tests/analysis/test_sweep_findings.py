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


# ---------------------------------------------------------------------------- why no point is clean

SATURATED = {
    "duration": "6s", "warmup": "1s", "seed": 3,
    "database": {"max_connections": 60, "cores": 4, "query": {"dist": "exponential", "mean": "10ms"}},
    "fleet": {"instances": 2, "pool": {"max_open": 8}},
    "workload": {"arrivals": [{"kind": "poisson", "rate": "1000/s"}], "request": {"queries": 1, "timeout": "500ms"}},
}
"""10 cores of work on 4: every MaxOpen fails requests."""


def test_a_row_reads_back_as_a_summary():
    from simpool.analysis.sweep_causes import summary_of

    summary = summary_of({"fleet.pool.max_open": 8, "wait_ms.p99": 12.0, "wait_ms.p99.ci95": 1.5,
                          "load.utilisation": 0.5, "failure_rate.failed": 0.1})
    assert summary["wait_ms"]["p99"] == {"mean": 12.0, "ci95": 1.5}
    assert summary["load"]["utilisation"]["mean"] == 0.5 and "fleet" not in summary


def test_a_sweep_that_always_fails_says_why():
    """Every MaxOpen fails requests, and the reason at the least failing point is the
    database's cores, not the pool; the table and sweep.json say so."""
    import io
    import json

    from rich.console import Console

    from simpool import sweep
    from simpool.analysis.sweep_causes import why_no_clean_point
    from simpool.render.sweep_files import to_json
    from simpool.render.sweep_table import sweep_table

    result = sweep(SATURATED, {"fleet.pool.max_open": "4,8,16"}, replications=1, jobs=1)
    index, causes = why_no_clean_point(result)
    rates = [row["failure_rate.failed"] for row in result.rows]
    assert index == rates.index(min(rates)) and min(rates) > 0.1
    assert causes[0].rule == "saturated_database" and causes[0].advice is None
    findings = find(result.rows, least_failing=index, causes=causes)
    console = Console(width=100, file=io.StringIO(), color_system=None)
    console.print(sweep_table(result, findings))
    text = " ".join(console.file.getvalue().split())
    assert "No point is free of failed requests." in text
    assert "Why, at the point that failed least (max_open=" in text and "✗ The database is saturated" in text
    why = json.loads(to_json(result, findings))["findings"]["why_no_clean_point"]
    assert why["point"] == {"fleet.pool.max_open": result.rows[index]["fleet.pool.max_open"]}
    assert why["findings"][0]["rule"] == "saturated_database"


def test_a_clean_point_needs_no_explanation():
    from simpool import sweep
    from simpool.analysis.sweep_causes import why_no_clean_point

    calm = {**SATURATED, "workload": {**SATURATED["workload"], "arrivals": [{"kind": "poisson", "rate": "50/s"}]}}
    result = sweep(calm, {"fleet.pool.max_open": "4,8"}, replications=1, jobs=1)
    assert why_no_clean_point(result) == (None, ())
    assert find(result.rows).causes == ()
