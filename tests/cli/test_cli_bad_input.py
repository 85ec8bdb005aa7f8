"""Bad input: one line on stderr naming the file, the field path and the problem; exit
status 2; no traceback; nothing written under --out."""

from __future__ import annotations

import os

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
        # Beyond what Python converts, recursion, the home folders of nobody, infinity:
        pytest.param(f"fleet:\n  instances: {'9' * 5000}\n",
                     ["fleet.instances", "less than or equal to 10000", "(not a 5,000-digit number)"], id="5000-digits"),
        pytest.param(f"fleet:\n  pool: {{max_open: -{'9' * 400}}}\n",
                     ["fleet.pool.max_open", "greater than or equal to 0", "(not a 400-digit number)"],
                     id="negative-400-digits"),
        pytest.param("a: " + "[" * 3000 + "]" * 3000 + "\n", ["YAML too large", "nested more than 64 levels"],
                     id="deep-yaml"),
        pytest.param("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
                     ["YAML too large", "more than 100,000 values"], id="alias-bomb"),
        pytest.param("workload:\n  arrivals:\n    - {kind: trace, file: '~nosuchuser/t.csv'}\n",
                     ["workload.arrivals.0.file", "cannot expand '~nosuchuser': no such user"], id="unknown-user"),
        pytest.param(f"duration: {'9' * 400}h\n", ["duration", "longer than a year (at most 8760h)"], id="inf-duration"),
        pytest.param("duration: .inf\n", ["duration", "expected a duration such as", "(not inf)"], id="yaml-inf"),
        pytest.param("workload:\n  arrivals:\n    - {kind: poisson, rate: 1e400/s}\n",
                     ["workload.arrivals.0.rate", "above the highest allowed, 10,000,000/s"], id="inf-rate"),
        pytest.param("pitfalls:\n  leaked_rows: .nan\n", ["pitfalls.leaked_rows", "finite number"], id="nan-fraction"),
        pytest.param(f"fleet:\n  pool: {{max_open: {'9' * 320}}}\n",
                     ["fleet.pool.max_open", "less than or equal to 1000000"], id="320-digit-max-open"),
        pytest.param(f"name: {'n' * 300}\n", ["name", "longer than 100 characters (300)"], id="300-character-name"),
        pytest.param('name: "a\\ud800b"\n', ["name", "lone UTF-16 surrogate"], id="surrogate-name"),
        pytest.param('name: "two\\nlines"\n', ["name", "control character"], id="newline-in-name"),
        pytest.param("fleet:\n  instances: 1000000\n", ["fleet.instances", "less than or equal to 10000"],
                     id="million-instances"),
        pytest.param("fleet:\n  autoscale: {target: 100/s, max: 100000000}\n",
                     ["fleet.autoscale.max", "less than or equal to 10000"], id="autoscale-max-1e8"),
        pytest.param("fleet:\n  autoscale: {target: 100/s, interval: 1ns}\n",
                     ["fleet.autoscale.interval", "must be 0 (off) or at least 1s (not 1ns)"], id="interval-1ns"),
        pytest.param("database:\n  idle_timeout: 1ns\n",
                     ["database.idle_timeout", "at least 1ms (not 1ns)"], id="idle-timeout-1ns"),
        pytest.param("network:\n  idle_drop: 1ns\n", ["network.idle_drop", "at least 1ms (not 1ns)"],
                     id="idle-drop-1ns"),
        pytest.param("sample_every: 1ns\n", ["sample_every", "at least 1ms (not 1ns)"], id="sample-every-1ns"),
        pytest.param("workload:\n  request: {queries: 100000000}\n",
                     ["workload.request.queries", "less than or equal to 1000"], id="queries-1e8"),
        pytest.param("seed: 18446744073709551616\n", ["seed", "less than or equal to 18446744073709551615"],
                     id="seed-2**64"),
    ],
)
def test_bad_scenario_file(invoke, tmp_path, text, phrases):
    """Each class of mistake in a file: one line naming the file, the field and the problem."""
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    line = check_bad_input(invoke("run", path, "--out", out), out, *phrases)
    assert line.startswith(f"error: {path}: ")


@pytest.mark.parametrize(("name", "text", "phrases"), [
    pytest.param("t.json", "[" * 5000 + "]" * 5000, ["t.json item 0: nested too deeply"], id="deep-json-trace"),
    pytest.param("t.json", f'[{{"t_ms": {"9" * 5000}}}]', ["t.json item 0: a number with too many digits"],
                 id="5000-digit-json"),
    pytest.param("t.csv", f"t_ms\n{'9' * 5000}\n", ["t.csv line 2: t_ms must be a finite number", "…"],
                 id="5000-digit-csv"),
    pytest.param("t.csv", "t_ms\n1e20\n", ["t.csv line 2: t_ms must be at most 31536000000 ms, a year"],
                 id="t-beyond-a-year"),
    pytest.param("t.csv", "t_ms,instance\n1,app-²\n", ["t.csv line 2: instance must be an index 0..9999"],
                 id="superscript-instance"),
    pytest.param("t.csv", "t_ms\n" + "1" * 70_000 + "\n", ["t.csv: a line longer than 65,536 characters"],
                 id="endless-line"),
    pytest.param("t.csv", "t_ms\n1\n\0\0\0\n", ["t.csv: holds NUL characters"], id="nul-bytes"),
])
def test_bad_trace_files(invoke, tmp_path, name, text, phrases):
    """Traces as hostile files: nesting, digits, lines without end, binary bytes."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    path = tmp_path / "bad.yaml"
    path.write_text(f"workload:\n  arrivals:\n    - {{kind: trace, file: {name}}}\n", encoding="utf-8")
    out = tmp_path / "out"
    check_bad_input(invoke("validate", path), out, "workload.arrivals.0.file", *phrases)


@pytest.mark.parametrize(("text", "phrases"), [
    pytest.param("[" * 5000 + "]" * 5000, ["samples.json item 0: nested too deeply"], id="deep-json"),
    pytest.param("ms\n" + "5\n" * 1_000_001, ["more than 1,000,000 samples"], id="too-many"),
    pytest.param("\xff\xfe garbage", ["not UTF-8 text"], id="binary"),
])
def test_bad_samples_files(invoke, tmp_path, text, phrases):
    data = text.encode("latin-1") if "\xff" in text else text.encode("utf-8")
    (tmp_path / ("samples.json" if text.startswith("[") else "samples.csv")).write_bytes(data)
    name = "samples.json" if text.startswith("[") else "samples.csv"
    path = tmp_path / "bad.yaml"
    path.write_text(f"database:\n  query: {{dist: empirical, file: {name}}}\n", encoding="utf-8")
    check_bad_input(invoke("validate", path), tmp_path / "out", "database.query.file", *phrases)


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "fifo"])
def test_special_files_are_refused_not_read(invoke, tmp_path, special):
    """/dev/zero never ends, /dev/urandom is not text, a FIFO blocks until written: each is
    refused as not a regular file, as a scenario, a trace or a samples file."""
    if special == "fifo":
        os.mkfifo(tmp_path / "fifo")
        special = str(tmp_path / "fifo")
    out = tmp_path / "out"
    check_bad_input(invoke("run", special, "--out", out), out, special, "not a regular file")
    for section in (f"workload:\n  arrivals: [{{kind: trace, file: '{special}'}}]\n",
                    f"database:\n  query: {{dist: empirical, file: '{special}'}}\n"):
        path = tmp_path / "s.yaml"
        path.write_text(section, encoding="utf-8")
        check_bad_input(invoke("run", path, "--out", out), out, ".file", "not a regular file")


def test_a_huge_scenario_file_is_refused(invoke, tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("# " + "x" * (5 * 1024 * 1024) + "\n", encoding="utf-8")
    check_bad_input(invoke("validate", path), tmp_path / "out", "larger than 4 MiB")


def test_bad_trace_row_names_the_file_field_and_line(invoke, tmp_path):
    """A malformed trace row: the .file field, the CSV line and the problem."""
    (tmp_path / "t.csv").write_text("t_ms\n1\n2\n-5\n", encoding="utf-8")
    path = tmp_path / "bad.yaml"
    path.write_text("workload:\n  arrivals:\n    - {kind: trace, file: t.csv}\n", encoding="utf-8")
    out = tmp_path / "out"
    check_bad_input(invoke("run", path, "--out", out), out,
                    "workload.arrivals.0.file", "t.csv line 4", "t_ms must be a finite number >= 0")


def test_trace_naming_a_missing_instance_fails_validation(invoke, tmp_path):
    """A cross-section problem (a trace row for instance 7 of 2) is bad input to validate as
    to run."""
    (tmp_path / "t.csv").write_text("t_ms,instance\n0,0\n5,7\n", encoding="utf-8")
    path = tmp_path / "bad.yaml"
    path.write_text(SPIKE_FIELDS + "fleet: {instances: 2}\n"
                    "workload:\n  arrivals:\n    - {kind: trace, file: t.csv}\n", encoding="utf-8")
    out = tmp_path / "out"
    for command in ("validate", "run"):
        check_bad_input(invoke(command, path, "--out", out) if command == "run" else invoke(command, path), out,
                        "workload.arrivals.0.file", "instance 7")


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
        pytest.param(["--set", "workload.arrivals.²=1"], ["--set workload.arrivals.²", "no list item '²'"],
                     id="superscript-index"),
        pytest.param(["--set", f"workload.arrivals.{'9' * 5000}.rate=1/s"],
                     ["--set workload.arrivals.", "no list item", "characters)"], id="5000-digit-index"),
        pytest.param(["--set", f"fleet.instances={'9' * 5000}"],
                     ["--set fleet.instances", "(not a 5,000-digit number)"], id="5000-digit-set"),
        pytest.param(["--set", "duration=inf"], ["--set duration", "invalid duration 'inf'"], id="inf-set"),
        pytest.param(["--set", "fleet.pool.go_version=1.20"],
                     ["--set fleet.pool.go_version", "'1.17' (not '1.20')"], id="go-1.20-as-written"),
        pytest.param(["--set", 'name="\\udcff"'], ["--set name", "lone UTF-16 surrogate"], id="surrogate-set"),
        pytest.param(["--duration", "1000h"], ["this run would take about", "add --yes to run it anyway"],
                     id="1000h-over-budget"),
        pytest.param(["--set", "workload.arrivals.0.rate=1e7/s"], ["this run would take about", "--yes"],
                     id="rate-1e7-over-budget"),
        pytest.param(["--duration", "8000h", "--set", "sample_every=1ms"], ["GB of memory", "--yes"],
                     id="samples-over-budget"),
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
