"""The command line with several services: validate prints them, --set and --vary name
them, and a run's table has a column per service readable at 80 columns."""

from __future__ import annotations

import json

import yaml

SERVICES = """\
name: two
duration: 6s
warmup: 1s
services:
  - name: api
    instances: 2
    pool: {max_open: 10, max_idle: 20}
    workload: {arrivals: [{kind: poisson, rate: 300/s}]}
  - name: batch
    instances: 1
    workload:
      arrivals: [{kind: spike, at: 2s, for: 2s, rate: 1500/s}]
      request: {queries: 3, timeout: 30s}
"""


def _write(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(SERVICES, encoding="utf-8")
    return path


def test_validate_prints_the_services(invoke, tmp_path):
    result = invoke("validate", _write(tmp_path), "--set", "services.batch.pool.max_open=7")
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.stdout)
    assert [s["name"] for s in data["services"]] == ["api", "batch"] and "fleet" not in data
    assert data["services"][1]["pool"]["max_open"] == 7
    assert data["services"][0]["pool"]["max_idle"] == 10  # as Go clamps it, and said on stderr
    assert "services.api.pool.max_idle 20 is above max_open 10" in result.stderr


def test_an_unknown_service_is_one_line_and_exit_2(invoke, tmp_path):
    result = invoke("run", _write(tmp_path), "--set", "services.apx.pool.max_open=5")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'two.yaml'}: --set services.apx.pool.max_open: no service named 'apx' "
        "(the services are api, batch)"]


def test_services_and_fleet_together_is_one_line_and_exit_2(invoke, tmp_path):
    path = tmp_path / "both.yaml"
    path.write_text(SERVICES + "fleet: {instances: 2}\n", encoding="utf-8")
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: {path}: fleet: give services or fleet and workload, not both "
                                     "(each service has its own fleet and workload)")


def test_go_version_applies_to_every_service(invoke, tmp_path):
    result = invoke("run", _write(tmp_path), "--go-version", "1.17", "--json", "--no-plots", "--no-what-if",
                    "-q", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert list(json.loads(result.stdout)["services"]) == ["api", "batch"]


def test_the_run_table_has_a_column_per_service_at_80_columns(invoke, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = invoke("run", _write(tmp_path), "--no-plots", "--no-what-if", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    table = result.stdout[result.stdout.index("Services"):result.stdout.index("Diagnosis")]
    assert max(len(line) for line in table.splitlines()) <= 80
    header = next(line for line in table.splitlines() if "api" in line).split()
    assert header == ["api", "batch"]
    assert "MaxOpen per instance" in table and "unlimited" in table and "held at the db's peak" in table
    assert "db.Stats() per instance" not in result.stdout  # instances of different services: in summary.json


def test_a_sweep_varies_one_service_by_name(invoke, tmp_path):
    result = invoke("sweep", _write(tmp_path), "--vary", "services.batch.pool.max_open=5,50", "-R", "1",
                    "--no-plots", "--quiet", "--out", tmp_path / "sweep")
    assert result.exit_code == 0, result.output
    header = (tmp_path / "sweep" / "sweep.csv").read_text().splitlines()[0].split(",")
    assert header[0] == "services.batch.pool.max_open"
    assert "services.api.errors.too_many_connections" in header
