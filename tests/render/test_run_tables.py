"""The run's rich summary: number formatting and what each part shows."""

from __future__ import annotations

import io
import re

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
    for part in ("arrived (after warm-up)", "succeeded", "Times (ms)", "to get a connection", "latency",
                 "PostgreSQL peak connections", "max_connections 100, 97 usable",
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


def test_many_instances_are_summarised(run):
    """Eight instances at 80 columns: the lowest, mean and highest instance, not eight
    columns squeezed into unreadable stubs; each instance stays in summary.json."""
    scenario, result = run
    summary = result.summary()
    first = summary["instances"][0]
    summary["instances"] = [dict(first, name=f"app-{i}", dials={"mean": 100.0 + i}) for i in range(8)]
    text = render(summary, scenario, width=80)
    assert "db.Stats() over 8 instances (each one in summary.json)" in text
    assert "app-0" not in text.split("db.Stats()")[1].split("Diagnosis")[0]
    assert re.search(r"dials\s+100\s+104\s+107\s", text)
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80


def test_a_few_instances_get_a_column_each(run):
    scenario, result = run
    summary = result.summary()
    summary["instances"] = [dict(summary["instances"][0], name=f"app-{i}") for i in range(4)]
    text = render(summary, scenario, width=80)
    assert "db.Stats() per instance" in text and "app-3" in text


def test_no_warm_up_is_not_called_after_warm_up(run):
    scenario, result = run
    assert "arrived (after warm-up)" in render(result.summary(), scenario)
    without = render(result.summary(), scenario.model_copy(update={"warmup": 0.0}))
    assert re.search(r"\n  arrived\s+[\d,.± ]+\n", without)


def test_the_two_waits_are_named_apart(run):
    """The time to get a connection (pool queue, dials, retries) and WaitCount (checkouts
    that queued in the pool) must not read as the same thing."""
    scenario, result = run
    text = render(result.summary(), scenario)
    assert "to get a connection" in text and re.search(r"checkouts that queued\s+[\d,.± ]+\s+WaitCount", text)
    assert "waits for a connection" not in text and "wait for a connection" not in text


def test_database_load_in_cores(run):
    scenario, result = run
    summary = result.summary()
    text = render(summary, scenario)
    assert f"Database load ({scenario.database.cores} cores)" in text
    busy = summary["load"]["busy_cores"]["mean"]
    assert re.search(rf"cores busy\s+{busy:.1f}", text)
    assert "queued for a core" in text and "wait for a core" in text


def test_unlimited_cores_say_so(run):
    scenario, result = run
    summary = result.summary()
    summary["load"]["cores"] = {"mean": 0.0}
    text = render(summary, scenario)
    assert "Database load (unlimited cores)" in text and "unlimited: no query waits for one" in text
    assert "queued for a core" not in text
