"""The report: number formatting, the rich summary's content, and the CSV/JSON writers."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rich.console import Console

from simpool import load_scenario, simulate
from simpool.diagnosis import diagnose
from simpool.report import (
    _fmt,
    requests_csv,
    summary_json,
    summary_renderable,
    timeseries_csv,
    write_results,
)

SMALL = {
    "name": "small", "duration": "4s", "warmup": "1s", "seed": 5,
    "fleet": {"instances": 2, "pool": {"max_open": 3}},
    "workload": {"arrivals": [{"kind": "poisson", "rate": "120/s"}]},
}


@pytest.fixture(scope="module")
def run():
    scenario = load_scenario(SMALL)
    return scenario, simulate(scenario, replications=2, record_requests=True)


def render(summary, scenario, width=120) -> str:
    console = Console(width=width, file=io.StringIO(), force_terminal=False, color_system=None, _environ={})
    console.print(summary_renderable(summary, scenario, diagnose(scenario, summary)))
    return console.file.getvalue()


@pytest.mark.parametrize(("stat", "args", "text"), [
    ({"mean": 2970.0}, (), "2,970"),
    ({"mean": 2970.4, "ci95": 41.2}, (), "2,970 ± 41"),
    ({"mean": 3.0, "ci95": 0.0}, (), "3"),
    ({"mean": 67.94}, ("ms", 1), "67.9 ms"),
    ({"mean": None}, (), "–"),
    (None, (), "–"),
])
def test_numbers_are_formatted_for_people(stat, args, text):
    assert _fmt(stat, *args) == text


def test_summary_shows_each_part(run):
    scenario, result = run
    summary = result.summary()
    text = render(summary, scenario)
    assert "simpool · small  seed 5, 2 replications (means ± 95% confidence half-width)" in text
    for part in ("arrived (after warm-up)", "succeeded", "Times (ms)", "wait for a connection", "latency",
                 "PostgreSQL peak connections", "of max_connections 100, 97 usable by the app",
                 "handshake time", "db.Stats() per instance", "MaxOpenConnections", "OpenConnections (peak)",
                 "WaitDuration", "MaxLifetimeClosed", "app-0", "app-1", "Diagnosis"):
        assert part in text, part
    total = summary["requests"]["total"]
    assert _fmt(total) in text


def test_error_texts_are_listed_per_replication(run):
    scenario, result = run
    summary = result.summary()
    summary["error_messages"] = {"FATAL: sorry, too many clients already (SQLSTATE 53300)": 5.0}
    text = render(summary, scenario)
    assert "Errors as Go returned them" in text
    assert "5 FATAL: sorry, too many clients already (SQLSTATE 53300)" in " ".join(text.split())


def test_summary_error_messages_are_means_per_replication():
    """error_messages, like every metric, are the mean per replication, so they add up to
    the mean failure counts."""
    import simpool

    scenario = simpool.load_scenario("scenarios/spike.yaml", overrides={"duration": "30s", "warmup": "5s"})
    summary = simpool.simulate(scenario, replications=2).summary()
    assert sum(summary["error_messages"].values()) == summary["requests"]["failed"]["mean"] > 0


def test_many_instances_are_left_to_the_json(run):
    scenario, result = run
    summary = result.summary()
    summary["instances"] = [dict(summary["instances"][0], name=f"app-{i}") for i in range(12)]
    text = render(summary, scenario, width=200)
    assert "first 10 of 12; all in summary.json" in text
    assert "app-9" in text and "app-10" not in text


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
    paths = write_results(result, tmp_path / "out", requests=True)
    assert sorted(p.name for p in paths) == ["requests.csv", "summary.json", "timeseries.csv"]
    assert not list((tmp_path / "out").glob(".*.tmp")), "no temporary file is left behind"


def test_result_files_get_the_usual_permissions(tmp_path):
    """atomic_write gives files the mode open() would (0666 & ~umask), not mkstemp's 0600."""
    import os
    import stat

    from simpool.outputs import atomic_write

    umask = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "x.json", "{}")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
