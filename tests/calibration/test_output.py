"""What calibrate writes: a new scenario, or a merge that keeps the user's file as it was
but for the calibrated keys; the notes; backups; files it may not touch."""

from __future__ import annotations

from pathlib import Path

import pytest

from simpool.calibration import Calibration, CalibrationError, ServerFacts, SessionGroup, fit_samples
from simpool.calibration.output import CSV_HEADER, MARKER, backup_path, guess_indent, merge, plan
from simpool.catalog import SCENARIO_DIR
from simpool.exceptions import ScenarioError
from simpool.scenario import load_scenario


def _calibration(version=15, other=2, max_connections=20) -> Calibration:
    facts = ServerFacts(version=version, version_text=f"{version}.1", max_connections=max_connections,
                        superuser_reserved_connections=3, reserved_connections=0,
                        sessions=(SessionGroup("mon", "pgwatch", other, True), SessionGroup("app", "api", 4, False)),
                        tls=False)
    return Calibration(facts=facts, handshake=fit_samples("handshake", [0.004, 0.005, 0.006, 0.009]),
                       query=fit_samples("query", [0.0002, 0.0003, 0.0004]), probe="SELECT 1",
                       where="app@db:5432/app")


def test_fit_is_a_lognormal_by_median_and_p99_with_raw_quantiles():
    fit = fit_samples("handshake", [0.001 * k for k in range(1, 101)])
    assert fit.spec == {"dist": "lognormal", "median": "50.5ms", "p99": "99.01ms"}
    assert fit.quantiles[90] == pytest.approx(0.0901) and fit.maximum == pytest.approx(0.1)
    assert fit_samples("q", [0.002, 0.002]).p99 > fit_samples("q", [0.002, 0.002]).median


def test_merge_changes_only_the_calibrated_keys(tmp_path):
    """Comments, key order, flow style and indentation stay; the calibrated database keys
    are replaced in place, the new ones appended; the notes sit above database:."""
    original = (SCENARIO_DIR / "dial-storm.yaml").read_text()
    merged = merge(original, _calibration(), {"handshake": Path("x.handshake.csv"), "query": Path("x.query.csv")})
    old_lines, new_lines = original.splitlines(), merged.splitlines()
    assert [line for line in old_lines if line.startswith("#")] == [
        line for line in new_lines if line.startswith("#") and not line.startswith(("# Measured", "# handshake:",
                                                                                   "# query:", "# sessions", "# To"))]
    kept = [line for line in old_lines if not line.startswith(("  max_connections", "  handshake", "  query"))]
    assert all(line in new_lines for line in kept)
    assert "  handshake: {dist: lognormal, median: 5.5ms, p99: 8.91ms}" in new_lines
    assert "    - {kind: poisson, rate: 500/s}" in new_lines  # the sequence indent kept
    database = load_scenario(_write(tmp_path, merged)).database
    assert (database.version, database.max_connections, database.other_clients, database.cores) == (15, 20, 2, 16)
    again = merge(merged, _calibration(other=5), {"handshake": Path("x.handshake.csv"), "query": Path("x.query.csv")})
    assert again.count("# Measured ") == 1 and "other_clients: 5" in again


def _write(folder: Path, text: str) -> Path:
    path = folder / "s.yaml"
    path.write_text(text)
    return path


def test_guess_indent():
    assert guess_indent("a:\n  b: 1\n  c:\n    - 1\n") == (2, 4, 2)
    assert guess_indent("a:\n    b:\n    - 1\n") == (4, 2, 0)
    assert guess_indent("") == (2, 2, 0)


def test_a_new_scenario_and_its_samples(tmp_path):
    target = tmp_path / "prod-db.yaml"
    writes = dict(plan(_calibration(), None, target))
    text = writes[target]
    assert text.startswith(MARKER + "\n") and "name: prod-db" in text
    assert writes[tmp_path / "prod-db.handshake.csv"].startswith(CSV_HEADER + "\n4.0000\n")
    for path, content in writes.items():
        path.write_text(content)
    scenario = load_scenario(target, overrides={
        "database.handshake": {"dist": "empirical", "file": "prod-db.handshake.csv"}})
    assert scenario.database.handshake.samples == pytest.approx((0.004, 0.005, 0.006, 0.009))
    assert plan(_calibration(), None, target)  # its own file may be replaced


def test_never_overwrites_a_file_simpool_did_not_write(tmp_path):
    mine = tmp_path / "calibrated.yaml"
    mine.write_text("name: mine\n")
    with pytest.raises(CalibrationError, match="was not written by simpool calibrate"):
        plan(_calibration(), None, mine)
    mine.unlink()
    (tmp_path / "calibrated.query.csv").write_text("ms\n1\n")
    with pytest.raises(CalibrationError, match="calibrated.query.csv exists"):
        plan(_calibration(), None, mine)


def test_merging_in_place_keeps_a_backup_that_never_replaces_a_file(tmp_path):
    scenario = _write(tmp_path, "# my notes\nname: s\nfleet: {instances: 2}\n")
    (tmp_path / "s.yaml.bak").write_text("someone's\n")
    writes = plan(_calibration(), scenario, None)
    assert [p.name for p, _ in writes] == ["s.yaml.bak.1", "s.handshake.csv", "s.query.csv", "s.yaml"]
    assert writes[0][1] == scenario.read_text() and writes[-1][1].startswith("# my notes\nname: s\n")
    assert backup_path(scenario).name == "s.yaml.bak.1"


def test_a_result_that_is_not_a_valid_scenario_is_refused(tmp_path):
    """Other sessions filling every usable slot: the block would not load; nothing is planned."""
    with pytest.raises(ScenarioError, match="other_clients"):
        plan(_calibration(other=17), None, tmp_path / "c.yaml")
