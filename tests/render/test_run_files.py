"""A run's result files: summary.json, timeseries.csv, requests.csv, written whole."""

from __future__ import annotations

import csv
import io
import json

import pytest

from simpool.render.run_files import names, requests_csv, summary_json, timeseries_csv, write_results
from tests.conftest import results_in
from tests.render.conftest import folder_for


def test_summary_json_is_result_summary(run):
    _, result = run
    assert json.loads(summary_json(result)) == result.summary()


def test_timeseries_csv_has_a_row_per_sample_series_and_replication(run):
    _, result = run
    rows = list(csv.DictReader(io.StringIO(timeseries_csv(result))))
    samples = len(result.replications[0].timeseries.t)
    assert len(rows) == 2 * samples * 3  # replications × samples × (2 instances + database)
    database = [r for r in rows if r["series"] == "database"]
    assert all(r["idle"] == "" for r in database)
    first = result.replications[0].timeseries
    assert [int(r["open"]) for r in database[:samples]] == first.database_connections.tolist()


def test_requests_csv_matches_the_records(run):
    _, result = run
    rows = list(csv.DictReader(io.StringIO(requests_csv(result))))
    records = [r for rep in result.replications for r in rep.requests]
    assert len(rows) == len(records)
    assert float(rows[0]["latency_ms"]) == pytest.approx(records[0].latency * 1e3, abs=1e-3)


def test_write_results_writes_whole_files(run, tmp_path):
    _, result = run
    with folder_for(tmp_path / "out", *names(plots=False, requests=True)) as out:
        paths = write_results(result, out, requests=True)
        assert not any(p.exists() for p in paths), "nothing appears before the commit"
    assert sorted(p.name for p in paths) == ["requests.csv", "summary.json", "timeseries.csv"]
    assert results_in(tmp_path / "out") == {"requests.csv", "summary.json", "timeseries.csv"}
    assert (tmp_path / "out" / "summary.json").read_text() == summary_json(result)


def test_run_names_follow_the_options():
    assert names(plots=False, requests=False) == ["summary.json", "timeseries.csv"]
    assert names(plots=True, requests=True) == ["summary.json", "timeseries.csv", "requests.csv", "timeseries.png",
                                                "timeseries.svg", "wait_cdf.png", "wait_cdf.svg"]


def test_result_files_get_the_usual_permissions(tmp_path):
    """Result files get the mode open() would (0666 & ~umask), not a temporary file's 0600."""
    import os
    import stat

    umask = os.umask(0o022)
    try:
        with folder_for(tmp_path, "x.json") as out:
            path = out.write("x.json", "{}")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
