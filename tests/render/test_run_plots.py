"""The figures: both written as PNG and SVG, titled with the scenario, caps and spikes
drawn, deterministic, and readable for one instance, many, and long runs."""

from __future__ import annotations

import pytest

from simpool import load_scenario, simulate
from simpool.render.figures import save_figure
from simpool.render.run_files import FIGURES
from simpool.render.run_plots import _spike_windows, _time_axis, timeseries_figure, write_plots
from tests.render.conftest import folder_for

SPIKY = {
    "name": "spiky", "duration": "6s", "warmup": "1s", "seed": 2,
    "fleet": {"instances": 2, "pool": {"max_open": 4, "max_idle": 4}},
    "workload": {"arrivals": [{"kind": "poisson", "rate": "100/s"},
                              {"kind": "spike", "at": "2s", "for": "2s", "rate": "200/s"}]},
}


@pytest.fixture(scope="module")
def spiky(tmp_path_factory):
    """A small run with a spike, drawn once (drawing costs about a second)."""
    scenario = load_scenario(SPIKY)
    result = simulate(scenario)
    folder = tmp_path_factory.mktemp("plots")
    with folder_for(folder, *(f"{stem}.*" for stem in FIGURES)) as out:
        written = write_plots(result, scenario, out)
    return scenario, result, folder, written


def test_both_figures_in_png_and_svg(spiky):
    *_, paths = spiky
    assert sorted(p.name for p in paths) == ["timeseries.png", "timeseries.svg", "wait_cdf.png", "wait_cdf.svg"]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG") if path.suffix == ".png" else b"<svg" in data[:1000]


def test_timeseries_names_the_scenario_caps_and_spike(spiky):
    folder = spiky[2]
    svg = (folder / "timeseries.svg").read_text()
    for text in ("spiky: connections over time", "max_connections 100", "usable by the app 97",
                 "traffic spike", "warm-up", "MaxOpen 4", "MaxIdle 4", "time (s)", "connections", "app-0"):
        assert text in svg, text


def test_cdf_marks_percentiles_and_the_deadline(spiky):
    folder = spiky[2]
    svg = (folder / "wait_cdf.svg").read_text()
    for text in ("spiky: time to get a connection", "p50 wait", "p95 wait", "p99 wait", "deadline 2s",
                 "time (ms, log scale)", "fraction of requests"):
        assert text in svg, text


def test_figures_are_reproducible(spiky, tmp_path):
    """The same result draws the same SVG bytes."""
    scenario, result, folder, _ = spiky
    save_figure(timeseries_figure(result, scenario), tmp_path / "timeseries")
    assert (tmp_path / "timeseries.svg").read_bytes() == (folder / "timeseries.svg").read_bytes()


def test_many_instances_share_one_legend_entry(tmp_path):
    scenario = load_scenario({**SPIKY, "fleet": {"instances": 9}, "duration": "2s", "warmup": "0"})
    save_figure(timeseries_figure(simulate(scenario), scenario), tmp_path / "timeseries")
    svg = (tmp_path / "timeseries.svg").read_text()
    assert "9 instances," in svg and "app-8" not in svg


def test_long_runs_use_minutes_and_spikes_are_clipped():
    scenario = load_scenario({"duration": "30m", "workload": {"arrivals": [
        {"kind": "poisson", "rate": "1/s"}, {"kind": "spike", "at": "25m", "for": "10m", "rate": "1/s"},
        {"kind": "spike", "at": "40m", "for": "1m", "rate": "1/s"}]}})
    import numpy as np

    _, scale, label = _time_axis(np.array([0.0, 1800.0]), scenario.duration)
    assert (scale, label) == (60.0, "time (min)")
    assert _spike_windows(scenario) == [(1500.0, 1800.0)]
