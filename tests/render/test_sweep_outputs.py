"""Sweep outputs: the CSV and JSON files, the table with its marks, the charts."""

import csv
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

import simpool
from simpool.analysis.sweep_findings import find
from simpool.render.figures import save_figure, subplots
from simpool.render.sweep_files import COMPLETE, to_csv, to_json, write_outputs
from simpool.render.sweep_plots import XAxis, _log_if_wide, chart_names, plot_sweep, wait_chart
from simpool.render.sweep_table import sweep_table
from simpool.sweeps import Axis, SweepResult
from tests.render.conftest import folder_for

SPIKE = Path(__file__).parent.parent / "assets" / "sweep-spike.yaml"


@pytest.fixture(scope="module")
def one_axis():
    return simpool.sweep(SPIKE, {"fleet.pool.max_open": "2..12:2"}, replications=2, jobs=1)


def test_csv_has_settings_then_metrics_and_ci(one_axis, tmp_path):
    with folder_for(tmp_path, *COMPLETE) as out:
        files = write_outputs(one_axis, find(one_axis.rows), out)
    assert [f.name for f in files] == ["sweep.csv", "sweep.json"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "sweep.csv").read_text())))
    assert len(rows) == 6
    header = list(rows[0])
    assert header[:3] == ["fleet.pool.max_open", "requests.total", "requests.total.ci95"]
    for name in ("wait_ms.p99", "wait_ms.p99.ci95", "errors.too_many_connections", "database.peak_connections",
                 "failure_rate.failed", "per_s.dials", "per_s.handshake_s"):
        assert name in header
    assert [r["fleet.pool.max_open"] for r in rows] == ["2", "4", "6", "8", "10", "12"]
    assert float(rows[0]["wait_ms.p99"]) == one_axis.rows[0]["wait_ms.p99"]  # floats round-trip exactly


def test_json_carries_scenario_axes_seeds_and_rows(one_axis, tmp_path):
    with folder_for(tmp_path, *COMPLETE) as out:
        write_outputs(one_axis, find(one_axis.rows), out)
    doc = json.loads((tmp_path / "sweep.json").read_text())
    assert doc["axes"] == [{"path": "fleet.pool.max_open", "values": [2, 4, 6, 8, 10, 12]}]
    assert doc["seed"] == 1 and doc["replications"] == 2
    assert "SeedSequence" in doc["streams"]
    assert doc["scenario"]["fleet"]["instances"] == 2
    assert (doc["points"], doc["finished"], doc["interrupted"]) == (6, 6, False)
    assert doc["rows"][0]["wait_ms.p99"] == one_axis.rows[0]["wait_ms.p99"]
    assert doc["findings"]["best_point"] == {"fleet.pool.max_open": 4}
    assert doc["findings"]["first_refusal"] == {"fleet.pool.max_open": 10}


def test_a_result_comes_back_from_its_json(one_axis):
    again = SweepResult.from_document(json.loads(to_json(one_axis, find(one_axis.rows))))
    assert again == one_axis
    assert to_csv(again) == to_csv(one_axis)


def test_table_marks_the_best_point_and_the_first_refusal(one_axis):
    console = Console(width=120, file=io.StringIO(), force_terminal=False, _environ={})
    console.print(sweep_table(one_axis, find(one_axis.rows)))
    lines = console.file.getvalue().splitlines()
    best = next(line for line in lines if line.lstrip().startswith("★"))
    refusal = next(line for line in lines if line.lstrip().startswith("⚠"))
    assert best.split()[1] == "4"        # the knee: p99 ≈ the plateau's, fewer connections
    assert refusal.split()[1] == "10"    # 2 instances × 10 > 17 usable slots
    assert "tiny-spike: sweep of 1 setting, 2 replications per point" in lines[0]


def test_charts_are_reproducible(one_axis, tmp_path):
    """The same sweep draws the same bytes (PNG and SVG). All four one-axis charts are
    drawn by test_sweep_cli."""
    x = XAxis(one_axis.axes[0], one_axis.rows)
    findings = find(one_axis.rows)
    first = save_figure(wait_chart(one_axis, findings, x), tmp_path / "a")
    again = save_figure(wait_chart(one_axis, findings, x), tmp_path / "b")
    assert [f.name for f in first] == ["a.png", "a.svg"]
    assert first[0].stat().st_size > 10_000
    assert [f.read_bytes() for f in first] == [f.read_bytes() for f in again]


def test_two_axis_heatmaps_and_none_for_three(tmp_path):
    two = simpool.sweep(SPIKE, {"fleet.pool.max_open": [2, 9], "fleet.instances": [1, 2]}, replications=1, jobs=1)
    with folder_for(tmp_path, *chart_names(2)) as out:
        written = plot_sweep(two, find(two.rows), out)
    assert sorted(f.name for f in written) == sorted(chart_names(2)) == [
        "sweep-failures-heatmap.png", "sweep-failures-heatmap.svg", "sweep-wait-heatmap.png", "sweep-wait-heatmap.svg"]
    three = SweepResult(name="x", scenario={}, axes=(Axis("a", (1,)), Axis("b", (1,)), Axis("c", (1,))), seed=1,
                        replications=1, points=1, rows=({"a": 1, "b": 1, "c": 1},))
    with folder_for(tmp_path / "three") as out:
        assert plot_sweep(three, find(three.rows), out) == []
    assert chart_names(3) == []


def test_log_scale_only_when_values_span_decades():
    import numpy as np

    _, ax = subplots()
    assert not _log_if_wide(ax, [np.array([0.0, 10.0, 200.0])])
    assert _log_if_wide(ax, [np.array([0.0, 10.0, 996.0])])
