"""Valid input is not rejected: defaults that depend on the database's flavour follow the
flavour wherever it is set (the file, --set, --vary, a Scenario given to sweep), and text
fields take numbers as written (``go_version: 1.17``; ``1.20`` is not ``1.2``)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import simpool
from simpool import load_scenario
from simpool.cli import app
from simpool.exceptions import ScenarioError
from simpool.scenario.loading import field_is_text, override_value

MYSQL = (151, 0, 8 * 3600.0)


def flavour_defaults(scenario) -> tuple:
    db = scenario.database
    return db.max_connections, db.superuser_reserved_connections, db.idle_timeout


def test_set_flavor_brings_the_flavours_defaults():
    assert flavour_defaults(load_scenario(None, overrides={"database.flavor": "mysql"})) == MYSQL
    assert flavour_defaults(load_scenario({"database": {"cores": 8}}, overrides={"database.flavor": "mysql"})) == MYSQL
    given = load_scenario({"database": {"max_connections": 500}}, overrides={"database.flavor": "mysql"})
    assert flavour_defaults(given) == (500, 0, 8 * 3600.0), "a value given stays"


def test_set_flavor_on_the_command_line(tmp_path):
    result = CliRunner().invoke(app, ["validate", str(_write(tmp_path, "{}\n")), "--set", "database.flavor=mysql"])
    assert result.exit_code == 0, result.output
    assert "max_connections: 151" in result.stdout and "idle_timeout: 8h" in result.stdout


def test_a_scenario_given_to_sweep_keeps_the_flavour_free():
    """sweep(Scenario, {database.flavor: ...}): the base is the scenario as given, so the
    MySQL point gets MySQL's 151 connections, not PostgreSQL's 100 carried over."""
    base = load_scenario({"duration": "3s", "warmup": "0", "fleet": {"instances": 1},
                          "workload": {"arrivals": [{"kind": "poisson", "rate": "20/s"}]}})
    result = simpool.sweep(base, {"database.flavor": ["postgres", "mysql"]}, replications=1, jobs=1)
    assert [row["database.max_connections"] for row in result.rows] == [100, 151]
    assert base.as_data()["database"].keys().isdisjoint({"max_connections", "superuser_reserved_connections"})
    assert load_scenario(base.as_data()) == base


def test_go_version_as_written_in_a_file(tmp_path):
    assert load_scenario(_write(tmp_path, "fleet:\n  pool: {go_version: 1.17}\n")).fleet.pool.go_version == "1.17"
    with pytest.raises(ScenarioError, match=r"fleet.pool.go_version: .* \(not '1.20'\)"):
        load_scenario(_write(tmp_path, "fleet:\n  pool: {go_version: 1.20}\n"))


@pytest.mark.parametrize("args", [["--set", "fleet.pool.go_version=1.17"], ["--go-version", "1.17"]])
def test_go_version_on_the_command_line(tmp_path, monkeypatch, args):
    import simpool.engine

    seen = []
    real = simpool.engine.simulate
    monkeypatch.setattr(simpool.engine, "simulate", lambda scenario, **kw: seen.append(scenario) or real(scenario, **kw))
    result = CliRunner().invoke(app, ["run", str(_write(tmp_path, "duration: 2s\nwarmup: 0\n")), *args,
                                      "--no-plots", "--quiet", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert seen[0].fleet.pool.go_version == "1.17"


def test_go_version_swept(tmp_path):
    result = CliRunner().invoke(app, ["sweep", str(_write(tmp_path, "duration: 2s\nwarmup: 0\n")),
                                      "--vary", "fleet.pool.go_version=1.17,1.23", "--replications", "1",
                                      "--jobs", "1", "--no-plots", "--quiet", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "out" / "sweep.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines] == ["fleet.pool.go_version", "1.17", "1.23"]


def test_text_fields_take_numbers_as_written():
    assert field_is_text("fleet.pool.go_version") and field_is_text("name") and field_is_text("workload.arrivals.0.file")
    assert not field_is_text("fleet.pool.max_open") and not field_is_text("duration")
    assert override_value("name", "1.20") == "1.20" and override_value("name", "'quoted'") == "quoted"
    assert override_value("fleet.pool.max_open", "30") == 30
    assert load_scenario(None, overrides={"name": override_value("name", "007")}).name == "007"


def _write(folder, text: str):
    path = folder / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path
