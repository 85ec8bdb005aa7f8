"""Rules every figure keeps, checked on the drawn matplotlib objects: a header with the
configuration, legend entries only for what is drawn, no empty panel, and the marks a
reader looks for (the best point, percentiles at 0, refusal shading from a grid point)."""

from __future__ import annotations

import numpy as np
import pytest

from simpool import load_scenario, simulate
from simpool.analysis.sweep_findings import find
from simpool.render.bins import Bins
from simpool.render.figures import render_figure
from simpool.render.run_plots import run_figures, timeseries_figure, wait_cdf_figure
from simpool.render.sweep_plots import sweep_figures
from simpool.result import ERROR_KINDS
from simpool.sweeps import Axis, SweepResult

SCALING = {
    "name": "scaling", "duration": "40s", "warmup": "0", "seed": 3,
    "database": {"max_connections": 20, "cores": 2, "query": {"dist": "exponential", "mean": "5ms"}},
    "fleet": {"instances": 1, "pool": {"max_open": 8, "max_idle": 2},
              "autoscale": {"min": 1, "max": 4, "target": "50/s", "interval": "5s", "delay": "5s"}},
    "workload": {"arrivals": [{"kind": "poisson", "rate": "60/s"},
                              {"kind": "spike", "at": "10s", "for": "20s", "rate": "200/s"}]},
}
"""Autoscales 1 → 4, past a cap of 20: refusals and deadlines, and queries queued for 2 cores."""
CALM = {
    "name": "calm", "duration": "20s", "warmup": "2s", "seed": 1, "database": {"handshake": "0"},
    "fleet": {"instances": 2, "pool": {"max_open": 0, "max_idle": 50}},
    "workload": {"arrivals": [{"kind": "poisson", "rate": "50/s"}]},
}
"""Nothing fails and nobody waits (free dials, idle conns kept): p50, p95 and p99 of the wait are 0."""


@pytest.fixture(scope="module")
def scaling():
    scenario = load_scenario(SCALING)
    return scenario, simulate(scenario)


@pytest.fixture(scope="module")
def calm():
    scenario = load_scenario(CALM)
    return scenario, simulate(scenario)


def _texts(fig) -> str:
    return "\n".join(text.get_text() for ax in fig.axes for text in ax.texts)


def _titles(fig) -> list[str]:
    return [ax.get_title(loc="left") for ax in fig.axes]


def _legend_labels_are_drawn(fig) -> None:
    """Each legend entry names an artist on its axes that has something to draw."""
    from matplotlib.lines import Line2D

    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        drawn = {artist.get_label() for artist in [*ax.get_lines(), *ax.patches, *ax.collections]
                 if not isinstance(artist, Line2D) or len(artist.get_xdata())}
        for text in legend.get_texts():
            assert text.get_text() in drawn, f"legend entry {text.get_text()!r} has no line on its axes"


def test_the_time_series_records_arrivals_failures_and_instances(scaling):
    """The recorder's counters agree with the summary (no warm-up here, so all count)."""
    scenario, result = scaling
    ts, summary = result.replications[0].timeseries, result.summary()
    assert ts.arrived[-1] == summary["requests"]["total"]["mean"]
    assert np.all(np.diff(ts.arrived) >= 0)
    for k, kind in enumerate(ERROR_KINDS):
        assert ts.failed[k, -1] == summary["errors"][kind]["mean"]
    assert ts.serving[0] == 1 and ts.serving.max() == 4


def test_the_time_series_shows_failures_cores_and_instances(scaling):
    scenario, result = scaling
    fig = timeseries_figure(result, scenario)
    titles = _titles(fig)
    assert any(t.startswith("Failed requests per second, by error") for t in titles)
    assert any(t.startswith("Requests arriving per second") for t in titles)
    assert any(t.startswith("Database cores") and "queued at a sample" in t for t in titles)
    assert any(t.startswith("Instances serving: 1 →") for t in titles)
    failures = next(ax for ax in fig.axes if ax.get_title(loc="left").startswith("Failed"))
    assert {line.get_label() for line in failures.get_lines()} == {"too many connections (refused)",
                                                                  "deadline exceeded"}
    _legend_labels_are_drawn(fig)


def test_empty_panels_are_left_out_and_the_footnote_says_why(calm):
    scenario, result = calm
    fig = timeseries_figure(result, scenario)
    titles = _titles(fig)
    assert not any(t.startswith("Failed") or t.startswith("Requests waiting") or t.startswith("Instances")
                   for t in titles)
    notes = _texts(fig)
    assert "No request failed: the failures panel is left out." in notes
    assert "No requests waiting for a connection at any instant: that panel is left out." in notes
    assert "Database cores: queries on a core and queued for one (no query queued for a core)" in titles
    for ax in fig.axes:  # every panel that is drawn has data in it
        assert any(len(line.get_xdata()) and np.nanmax(line.get_ydata()) > 0 for line in ax.get_lines()) \
            or ax.collections, ax.get_title(loc="left")


def test_every_run_figure_has_the_configuration_under_its_title(scaling):
    scenario, result = scaling
    for stem, fig in run_figures(result, scenario).items():
        texts = _texts(fig)
        assert "scaling: " in texts, stem
        assert "1–4 instances (autoscale at 50/s each) × MaxOpen 8 / MaxIdle 2 / lifetime forever" in texts, stem
        assert "PostgreSQL max_connections 20, 2 cores" in texts, stem
        assert "traffic 60/s + spike +200/s at 10s for 20s" in texts, stem


def test_database_and_fleet_totals_stay_apart_where_they_coincide(calm):
    """With no other clients the two totals are equal: a wide pale line under a thin dark one."""
    scenario, result = calm
    fig = timeseries_figure(result, scenario)
    top = fig.axes[0]
    db = next(line for line in top.get_lines() if line.get_label().startswith("database connections"))
    fleet = next(line for line in top.get_lines() if line.get_label().startswith("open in the pools"))
    assert np.array_equal(db.get_ydata(), fleet.get_ydata())
    assert db.get_linewidth() >= 3 * fleet.get_linewidth() and db.get_color() != fleet.get_color()


def test_gauges_are_averaged_into_bins_of_a_round_width_when_dense():
    """600 samples of a gauge flapping 0, 2, 0, 2 over 40 s become bins of 500ms, at most
    MAX_STEPS of them, each near the level 1; a counter becomes a rate."""
    t = np.arange(601) * (40 / 600)
    bins = Bins(t, 1.0)
    assert bins.averaged and bins.per() == "per 500ms" and len(bins.x) == 81
    means = bins.mean(np.tile([0, 2], 301)[:601])
    assert len(means) == len(bins.x) and np.all(np.abs(means[:-1] - 1) <= 0.3)
    counter = np.arange(601) * 3  # 3 events per sample, 45 per second
    assert np.allclose(bins.rate(counter)[:-1], 45.0)
    few = Bins(np.arange(11) * 1.0, 1.0)
    assert not few.averaged and few.per() == "per 1s" and list(few.mean(np.arange(11))) == [*range(10), 9]


def test_every_quoted_percentile_has_a_marker_even_at_zero(calm):
    scenario, result = calm
    assert result.summary()["wait_ms"]["p99"]["mean"] == 0
    fig = wait_cdf_figure(result, scenario)
    ax = fig.axes[0]
    for p in (50, 95, 99):
        marker = next(line for line in ax.get_lines() if line.get_label() == f"p{p} wait 0 (no wait)")
        assert marker.get_marker() == "o" and list(marker.get_ydata()) == [p / 100]
        assert marker.get_xdata()[0] == ax.get_xlim()[0]  # on the left edge: 0 has no place on a log axis
    _legend_labels_are_drawn(fig)


def test_a_figure_shows_itself_in_jupyter_without_pyplot(calm):
    scenario, result = calm
    fig = wait_cdf_figure(result, scenario)
    assert fig._repr_png_().startswith(b"\x89PNG")
    assert fig._repr_png_() == render_figure(fig, "png")


# ---------------------------------------------------------------------------- sweeps


def _sweep(axes, rows, scenario=None) -> SweepResult:
    return SweepResult(name="synthetic", scenario=scenario or load_scenario(CALM).effective(), axes=axes, seed=1,
                       replications=2, points=len(rows), rows=tuple(rows))


def _row(settings, *, p99, failed, refused, peak=10.0):
    row = dict(settings)
    row.update({"wait_ms.p50": p99 / 4, "wait_ms.p95": p99 / 2, "wait_ms.p99": p99, "requests.failed": failed,
                "failure_rate.failed": failed / 100, "failure_rate.too_many_connections": refused / 100,
                "failure_rate.deadline_exceeded": (failed - refused) / 100, "database.refused_connections": refused,
                "database.peak_connections": peak, "database.usable_connections": 97.0,
                "database.max_connections": 100.0, "per_s.dials": 5.0, "per_s.handshake_s": 0.1})
    return row


def test_refusal_shading_starts_at_a_grid_point():
    axis = Axis("fleet.pool.max_open", (10, 20, 30, 40, 50))
    rows = [_row({axis.path: v}, p99=100.0 / v, failed=0 if v < 30 else 2, refused=0 if v < 30 else 2)
            for v in axis.values]
    result = _sweep((axis,), rows)
    fig = sweep_figures(result, find(result.rows))["sweep-failures"]
    ax = fig.axes[0]
    spans = [p for p in ax.patches if p.get_label() == "database refusing"]
    assert len(spans) == 1
    x0, x1 = spans[0].get_x(), spans[0].get_x() + spans[0].get_width()
    assert (x0, x1) == (30, 50)
    _legend_labels_are_drawn(fig)


def test_heatmaps_star_the_best_point_and_keep_colour_bars_readable():
    xa, ya = Axis("fleet.pool.max_open", (10, 20, 30, 40)), Axis("fleet.pool.max_idle", (2, 5, 10))
    rows = []
    for x in xa.values:
        for y in ya.values:
            refused = 3 if x == 40 else 0
            rows.append(_row({xa.path: x, ya.path: y}, p99=2000.0 / x / y if x < 40 else 0.05, failed=refused,
                             refused=refused, peak=3.0 * x))
    result = _sweep((xa, ya), rows)
    findings = find(result.rows)
    best = result.rows[findings.best]
    for stem, fig in sweep_figures(result, findings).items():
        heat, bar = fig.axes
        stars = [line for line in heat.get_lines() if line.get_marker() == "*"]
        assert len(stars) == 1, stem
        j, i = xa.values.index(best[xa.path]), ya.values.index(best[ya.path])
        assert abs(stars[0].get_xdata()[0] - j) < 0.5 and abs(stars[0].get_ydata()[0] - i) < 0.5
        fig.canvas.draw()  # lay the ticks out
        labels = [t.get_text() for t in bar.get_yticklabels() if t.get_text()]
        assert 2 <= len(labels) <= 12 and len(set(labels)) == len(labels), labels
        assert not any("\\times" in label or "^" in label for label in labels), labels  # 300, not 3 × 10²
        assert "★ best point: max_open 30, max_idle 10" in _texts(fig), stem
        assert "swept: max_open 10, 20, 30, 40, max_idle 2, 5, 10" in _texts(fig), stem
