"""The README stays true: its commands, API list, references and sample come from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

import simpool
from simpool import load_scenario, simulate
from simpool.catalog import bundled_scenarios
from simpool.cli import app
from simpool.scenario import (
    AutoscaleSpec,
    ContentionSpec,
    DatabaseSpec,
    DeploySpec,
    FleetSpec,
    NetworkSpec,
    PitfallsSpec,
    PoolSpec,
    RequestSpec,
    Scenario,
    WorkloadSpec,
)

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TEST_COMMAND = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && pytest"
RUN_COMMAND = "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && simpool run"


def test_the_two_commands():
    """The README's two commands, and .ci/run runs the same test command."""
    assert TEST_COMMAND in README and RUN_COMMAND in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv .venv" in ci and ". .venv/bin/activate" in ci
    assert "pip install -e '.[test]' && pytest" in ci


def test_public_names_are_the_documented_list():
    match = re.search(r"Public names: (.*?)\.\n", README, re.S)
    assert set(re.findall(r"`(\w+)`", match.group(1))) == set(simpool.__all__)


def test_every_scenario_field_is_in_the_reference():
    reference = README[README.index("## Scenario reference"):README.index("## How the model maps")]
    prefixes = {Scenario: "", DatabaseSpec: "", ContentionSpec: "contention.", FleetSpec: "",
                PoolSpec: "pool.", AutoscaleSpec: "autoscale.", DeploySpec: "deploy.", WorkloadSpec: "",
                RequestSpec: "request.", PitfallsSpec: "", NetworkSpec: ""}
    for model, prefix in prefixes.items():
        for name, field in model.model_fields.items():
            if model is Scenario and name in {"database", "fleet", "workload", "pitfalls", "network"}:
                continue
            if model in (FleetSpec, WorkloadSpec) and name in {"pool", "autoscale", "deploy", "request"}:
                continue
            if model is DatabaseSpec and name == "contention":
                continue
            key = f"{prefix}{field.alias or name}"
            assert f"`{key}" in reference, key


def test_every_run_option_is_in_the_cli_reference():
    command = typer.main.get_command(app).commands["run"]
    reference = README[README.index("## Command line"):README.index("### Results")]
    for param in command.params:
        for opt in param.opts:
            if opt.startswith("--"):
                assert f"`{opt}" in reference, opt


@pytest.mark.parametrize("name", ["sweep", "calibrate"])
def test_every_sweep_option_is_in_the_cli_reference(name):
    command = typer.main.get_command(app).commands[name]
    reference = README[README.index("## Command line"):README.index("### Results")]
    for param in command.params:
        for opt in param.opts:
            if opt.startswith("--") and opt != "--help":
                assert f"`{opt}" in reference, opt


def test_every_bundled_scenario_is_listed():
    for item in bundled_scenarios():
        assert f"| `{item.name}` |" in README


def test_sample_summary_is_the_tools_output():
    """The sample in the README is docs/sample-summary.txt, and its numbers are today's."""
    sample = (ROOT / "docs" / "sample-summary.txt").read_text(encoding="utf-8").rstrip("\n")
    assert sample in README
    summary = simulate(load_scenario()).summary()
    total = summary["requests"]["total"]["mean"]
    refused = summary["errors"]["too_many_connections"]["mean"]
    assert re.search(rf"arrived \(after warm-up\)\s+{total:,.0f}\n", sample)
    assert re.search(rf"too many connections\s+{refused:,.0f}\s", sample)
    assert f"refused {refused:,.0f} connections" in README


def test_sample_plot_is_small():
    assert (ROOT / "docs" / "timeseries.png").stat().st_size < 300_000
