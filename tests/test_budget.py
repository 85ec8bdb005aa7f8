"""The work estimate: requests and events within reach of what a run really does, and
work over the budget refused (one line with the estimate and --yes) before it starts."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

import simpool
import simpool.engine
import simpool.sweeps.grid
from simpool import budget
from simpool.catalog import bundled_scenarios
from simpool.cli import app
from simpool.engine import Simulation
from simpool.exceptions import ScenarioError

SHORT = {"duration": "15s", "warmup": "0"}


@pytest.mark.parametrize("item", bundled_scenarios(), ids=lambda item: item.name)
def test_estimated_requests_and_events_match_a_run(item):
    """Each bundled scenario (15 s of it): arrivals within 5% of the expected count, and
    events scheduled within a factor of 1.6 of the estimate."""
    scenario = simpool.load_scenario(item.path, overrides=SHORT)
    simulation = Simulation(scenario, scenario.seed)
    simulation.run()
    events = int(re.search(r"\d+", repr(simulation.env._eid)).group())  # itertools.count(n)
    work = budget.run_work(scenario)
    assert work.requests == pytest.approx(simulation.fleet.arrivals, rel=0.05)
    assert 1 / 1.6 < work.events / events < 1.6, (work.events, events)


def test_replications_and_records_add_up():
    scenario = simpool.load_scenario(None)
    one, three = budget.run_work(scenario), budget.run_work(scenario, 3, record_requests=True)
    assert three.runs == 3 and three.events == pytest.approx(3 * one.events)
    assert three.memory == pytest.approx(3 * (one.memory + one.requests * budget.BYTES_PER_RECORD))


@pytest.mark.parametrize(("overrides", "phrase"), [
    ({"duration": "1000h"}, "2.2e+09 requests"),
    ({"workload.arrivals.0.rate": "10000000/s"}, "6.0e+08 requests"),
    ({"duration": "8000h", "sample_every": "1ms", "workload.arrivals": [{"kind": "poisson", "rate": "1/h"}]},
     "GB of memory"),
])
def test_runaway_runs_are_refused_unless_yes(overrides, phrase):
    work = budget.run_work(simpool.load_scenario(None, overrides=overrides))
    assert work.over_budget()
    with pytest.raises(ScenarioError, match="add --yes to run it anyway") as info:
        budget.check(work, yes=False, what="run")
    assert phrase in str(info.value) and "\n" not in str(info.value)
    budget.check(work, yes=True, what="run")


def test_the_default_story_is_well_within_budget():
    work = budget.run_work(simpool.load_scenario(None))
    assert not work.over_budget() and work.seconds < budget.SECONDS_BUDGET / 20


def test_a_sweep_is_estimated_from_its_points_and_workers():
    sample = [simpool.load_scenario(None, overrides={"fleet.pool.max_open": n}) for n in (5, 10)]
    one = budget.sweep_work(sample, points=2, replications=5, workers=1)
    two = budget.sweep_work(sample, points=2, replications=5, workers=2)
    assert one.runs == 10 and one.events == pytest.approx(10 * budget.run_work(sample[0]).events)
    assert two.seconds == pytest.approx(one.seconds / 2)
    assert budget.sweep_work(sample, points=1_000_000, replications=5, workers=2).over_budget()


def test_the_run_command_refuses_before_simulating_and_yes_goes_ahead(tmp_path, monkeypatch):
    def reached(*args, **kwargs):
        raise RuntimeError("simulating")

    monkeypatch.setattr(simpool.engine, "simulate", reached)
    runner = CliRunner()
    refused = runner.invoke(app, ["run", "--duration", "1000h", "--out", str(tmp_path / "out")])
    assert refused.exit_code == 2 and not (tmp_path / "out").exists()
    assert re.fullmatch(r"error: this run would take about \d+ h \d+ min and .* add --yes to run it anyway\n",
                        refused.stderr), refused.stderr
    allowed = runner.invoke(app, ["run", "--duration", "1000h", "--yes", "--out", str(tmp_path / "out")])
    assert "RuntimeError: simulating" in allowed.stderr


def test_the_sweep_command_refuses_before_running_and_yes_goes_ahead(tmp_path, monkeypatch):
    def reached(*args, **kwargs):
        raise RuntimeError("running")

    monkeypatch.setattr(simpool.sweeps.grid, "run_sweep", reached)
    runner = CliRunner()
    args = ["sweep", "--max-open", "1..400", "--out", str(tmp_path / "out")]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and not (tmp_path / "out").exists()
    assert refused.stderr.startswith("error: this sweep would take about ") and "over 2,000 runs" in refused.stderr
    assert "RuntimeError: running" in runner.invoke(app, [*args, "--yes"]).stderr
