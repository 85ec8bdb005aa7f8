"""Bad input: one line on stderr naming the file, the field path and the problem; exit
status 2; no traceback; nothing written under --out."""

from __future__ import annotations

import pytest

SPIKE_FIELDS = "duration: 6s\nwarmup: 1s\n"


def check_bad_input(result, out, *phrases):
    """Exit 2, exactly one line on stderr holding every phrase, no traceback, no --out folder."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in lines[0], (phrase, lines[0])
    assert not out.exists(), "no result may be written for bad input"
    assert result.stdout == ""
    return lines[0]


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        pytest.param("name: x\nfleet:\n  pool: {max_open: 3\n  x: 1\n",
                     ["YAML syntax error", "line 4, column 4"], id="yaml-syntax"),
        pytest.param("fleet:\n  pool:\n    max_opn: 3\n",
                     ["fleet.pool.max_opn", "unknown field 'max_opn'", "did you mean 'max_open'?"], id="unknown-key"),
        pytest.param("fleet:\n  instances: three\n", ["fleet.instances", "valid integer"], id="wrong-type"),
        pytest.param("fleet:\n  pool:\n    max_open: true\n",
                     ["fleet.pool.max_open", "not a boolean"], id="boolean-in-number"),
        pytest.param("pitfalls:\n  leaked_rows: yes\n",
                     ["pitfalls.leaked_rows", "valid number"], id="word-in-fraction"),
        pytest.param("fleet:\n  pool:\n    max_idle: -2\n",
                     ["fleet.pool.max_idle", "greater than or equal to 0", "(not -2)"], id="negative-number"),
        pytest.param("database:\n  other_clients: 97\n",
                     ["database", "other_clients (97) take every usable slot"], id="impossible-value"),
        pytest.param("database:\n  max_connections: 3\n",
                     ["database", "reserved slots (3) leave no connection"], id="impossible-cap"),
        pytest.param("duration: 10 minutes\n", ["duration", "invalid duration '10 minutes'"], id="bad-duration"),
        pytest.param("warmup: 30\n", ["warmup", "missing unit"], id="duration-without-unit"),
        pytest.param("fleet:\n  pool:\n    conn_max_lifetime: -1h\n",
                     ["fleet.pool.conn_max_lifetime", "must not be negative"], id="negative-duration"),
        pytest.param("workload:\n  arrivals:\n    - {kind: poisson, rate: fast}\n",
                     ["workload.arrivals.0.rate", "invalid rate"], id="bad-rate"),
        pytest.param("workload:\n  arrivals:\n    - {kind: poisson, rate: 600}\n",
                     ["workload.arrivals.0.rate", "missing unit"], id="rate-without-unit"),
        pytest.param("database:\n  handshake: {dist: lognormal, median: 20ms, p99: 5ms}\n",
                     ["database.handshake", "p99 (5ms) must be greater than the median (20ms)"], id="bad-range"),
        pytest.param("database:\n  query: {dist: uniform, low: 5ms, high: 1ms}\n",
                     ["database.query", "high (1ms) must be >= low (5ms)"], id="reversed-range"),
        pytest.param("fleet:\n  autoscale: {min: 5, max: 2, target: 100/s}\n",
                     ["fleet.autoscale", "max (2) must be >= min (5)"], id="autoscale-range"),
        pytest.param("duration: 5s\n", ["warmup (10s) must be shorter than duration (5s)"], id="warmup-too-long"),
        pytest.param("workload:\n  arrivals:\n    - {kind: trace, file: missing.csv}\n",
                     ["workload.arrivals.0.file", "cannot read", "missing.csv"], id="missing-trace-file"),
        pytest.param("database:\n  query: {dist: empirical, file: samples.csv}\n",
                     ["database.query.file", "cannot read", "samples.csv"], id="missing-samples-file"),
        pytest.param("- 1\n- 2\n", ["expected a mapping of sections"], id="not-a-mapping"),
    ],
)
def test_bad_scenario_file(invoke, tmp_path, text, phrases):
    """Each class of mistake in a file: one line naming the file, the field and the problem."""
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    line = check_bad_input(invoke("run", path, "--out", out), out, *phrases)
    assert line.startswith(f"error: {path}: ")


def test_bad_trace_row_names_the_file_field_and_line(invoke, tmp_path):
    """A malformed trace row: the .file field, the CSV line and the problem."""
    (tmp_path / "t.csv").write_text("t_ms\n1\n2\n-5\n", encoding="utf-8")
    path = tmp_path / "bad.yaml"
    path.write_text("workload:\n  arrivals:\n    - {kind: trace, file: t.csv}\n", encoding="utf-8")
    out = tmp_path / "out"
    check_bad_input(invoke("run", path, "--out", out), out,
                    "workload.arrivals.0.file", "t.csv line 4", "t_ms must be a finite number >= 0")


def test_trace_naming_a_missing_instance_fails_before_writing(invoke, tmp_path):
    """A problem found when the run starts (a trace row for instance 7 of 2) is still bad input."""
    (tmp_path / "t.csv").write_text("t_ms,instance\n0,0\n5,7\n", encoding="utf-8")
    path = tmp_path / "bad.yaml"
    path.write_text(SPIKE_FIELDS + "fleet: {instances: 2}\n"
                    "workload:\n  arrivals:\n    - {kind: trace, file: t.csv}\n", encoding="utf-8")
    out = tmp_path / "out"
    check_bad_input(invoke("run", path, "--out", out), out, "workload.arrivals.0.file", "instance 7")


@pytest.mark.parametrize(
    ("args", "phrases"),
    [
        pytest.param(["--set", "fleet.pool.max_opn=3"],
                     ["--set fleet.pool.max_opn", "did you mean 'max_open'?"], id="unknown-set-path"),
        pytest.param(["--set", "fleet.pool.max_open=abc"],
                     ["--set fleet.pool.max_open", "valid integer"], id="bad-set-value"),
        pytest.param(["--set", "fleet.pool.max_open=true"],
                     ["--set fleet.pool.max_open", "not a boolean"], id="boolean-set-value"),
        pytest.param(["--set", "workload.arrivals.5.rate=1/s"],
                     ["workload.arrivals.5.rate", "no list item '5'"], id="set-index-out-of-range"),
        pytest.param(["--set", "max_open"], ["--set", "expected PATH=VALUE"], id="set-without-equals"),
        pytest.param(["--set", "database.cores=[1"], ["--set database.cores", "cannot read the value"],
                     id="set-value-not-yaml"),
        pytest.param(["--duration", "ten"], ["--duration (duration)", "invalid duration 'ten'"], id="bad-duration"),
        pytest.param(["--go-version", "1.20"], ["--go-version (fleet.pool.go_version)", "'1.23'"], id="bad-go-version"),
        pytest.param(["no-such-file.yaml"], ["no-such-file.yaml", "no such file"], id="missing-scenario"),
        pytest.param(["spkie"], ["spkie", "did you mean the bundled scenario 'spike'?"], id="near-miss-name"),
    ],
)
def test_bad_command_line(invoke, tmp_path, args, phrases):
    """Mistakes on the command line: one line naming the option or path and the problem."""
    out = tmp_path / "out"
    check_bad_input(invoke("run", *args, "--out", out), out, *phrases)


def test_bad_set_on_a_file_names_the_file_too(invoke, tmp_path):
    """A bad --set applied to a file names both."""
    path = tmp_path / "ok.yaml"
    path.write_text(SPIKE_FIELDS, encoding="utf-8")
    out = tmp_path / "out"
    line = check_bad_input(invoke("run", path, "--set", "fleet.instances=0", "--out", out), out,
                           "--set fleet.instances", "greater than or equal to 1")
    assert line.startswith(f"error: {path}: --set fleet.instances: ")


@pytest.mark.parametrize("args", [["--replications", "0"], ["--seed", "-1"], ["--bogus"]])
def test_usage_errors_exit_2(invoke, tmp_path, args):
    """Options typer rejects (out of range, unknown) also exit with status 2 and write nothing."""
    out = tmp_path / "out"
    result = invoke("run", *args, "--out", out)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not out.exists()


def test_validate_bad_file_exits_2(invoke, tmp_path):
    """validate reports the same one line and status 2."""
    path = tmp_path / "bad.yaml"
    path.write_text("fleet:\n  pool:\n    max_opn: 3\n", encoding="utf-8")
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: {path}: fleet.pool.max_opn: unknown field 'max_opn'; "
                                     "did you mean 'max_open'?")
