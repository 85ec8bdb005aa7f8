"""``simpool validate``, ``simpool scenarios``, and the real entry points
(``simpool`` console script, ``python -m simpool``) in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from simpool import load_scenario
from simpool.catalog import SCENARIO_DIR, bundled_scenarios
from simpool.scenario import validate_scenario


def test_validate_prints_the_effective_scenario_as_yaml(invoke):
    """validate NAME: every default filled in, as YAML that loads back to the same scenario."""
    result = invoke("validate", "spike")
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.stdout)
    assert data["database"]["max_connections"] == 100
    assert data["database"]["superuser_reserved_connections"] == 3
    assert data["fleet"]["pool"]["max_idle"] is None, "absent max_idle stays absent (Go's default 2)"
    assert data["network"]["keepalive"] == "15s", "defaults the file left out are filled in"
    assert validate_scenario(data, base_dir=SCENARIO_DIR) == load_scenario(SCENARIO_DIR / "spike.yaml")


def test_validate_applies_set(invoke):
    """validate --set shows the overridden value."""
    result = invoke("validate", "tuned", "--set", "fleet.pool.max_open=40")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["fleet"]["pool"]["max_open"] == 40


def test_scenarios_lists_every_bundled_file_with_its_story(invoke):
    """Each bundled scenario appears with the first line of its comment."""
    result = invoke("scenarios")
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    bundled = bundled_scenarios()
    assert {s.name for s in bundled} >= {"spike", "tuned", "idle-churn", "mmc"}
    for item in bundled:
        assert item.name in out
        assert " ".join(item.story.split()) in out


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "120", **(env or {})})


def test_python_dash_m_simpool(tmp_path):
    """`python -m simpool` is the same CLI."""
    done = _run(sys.executable, "-m", "simpool", "--help")
    assert done.returncode == 0, done.stderr
    for command in ("run", "validate", "scenarios"):
        assert command in done.stdout


def test_console_script_runs_and_reports_bad_input(tmp_path):
    """The installed `simpool` script: a real run with --json, and a bad file (status 2, one line)."""
    script = Path(sys.executable).with_name("simpool")
    assert script.exists(), "pip install -e . installs the simpool console script"
    out = tmp_path / "out"
    done = _run(str(script), "run", "mmc", "--duration", "15s", "--json", "--no-plots", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["scenario"] == "mmc"
    bad = tmp_path / "bad.yaml"
    bad.write_text("fleet:\n  instances: -1\n", encoding="utf-8")
    done = _run(str(script), "run", str(bad), "--out", str(tmp_path / "bad-out"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {bad}: fleet.instances: Input should be greater than or equal to 1 (not -1)"]
    assert not (tmp_path / "bad-out").exists()


def test_cli_import_stays_light():
    """--help and validate must not pay for numpy, simpy, scipy or matplotlib."""
    code = ("import sys, simpool.cli; "
            "print(sorted(m for m in ('numpy', 'simpy', 'scipy', 'matplotlib') if m in sys.modules))")
    done = _run(sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
