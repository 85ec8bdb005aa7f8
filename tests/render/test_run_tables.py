"""The run's rich summary: number formatting and what each part shows."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from simpool.analysis.diagnosis import diagnose
from simpool.render.run_tables import _fmt, summary_renderable


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
