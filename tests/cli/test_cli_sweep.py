"""``simpool sweep`` on the command line: outputs, one-line errors with exit 2, identical
CSVs whatever ``--jobs``, and Ctrl-C keeping the finished points (exit 130)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simpool.cli import app
from tests.conftest import results_in

ASSETS = Path(__file__).parent.parent / "assets"
SPIKE = str(ASSETS / "sweep-spike.yaml")
runner = CliRunner()


@pytest.mark.slow  # draws all four charts (matplotlib: a few seconds)
def test_sweep_writes_table_csv_json_and_charts(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", SPIKE, "--max-open", "2..10:4", "--replications", "2", "--jobs", "1",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "tiny-spike: sweep of 1 setting, 2 replications per point" in result.stdout
    assert "point 3/3 done: max_open=10" in result.stderr  # not a terminal: one line per point
    assert "3 points × 2 replications in" in result.stderr
    charts = [f"sweep-{n}.{e}" for n in ("wait", "failures", "dials", "connections") for e in ("png", "svg")]
    assert results_in(out) == {"sweep.csv", "sweep.json", *charts}


def test_default_out_folder_is_named_after_the_scenario_and_the_axes(tmp_path, monkeypatch):
    """Two different sweeps of one scenario write to two folders: neither mixes nor
    replaces the other's files."""
    monkeypatch.chdir(tmp_path)
    for values in ("2", "3,4"):
        result = runner.invoke(app, ["sweep", SPIKE, "--max-open", values, "--replications", "1", "--jobs", "1",
                                     "--no-plots", "--quiet"])
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
    folders = sorted(p.name for p in (tmp_path / "simpool-out").iterdir() if not p.name.startswith("."))
    assert folders == ["tiny-spike-sweep-max_open-2", "tiny-spike-sweep-max_open-3,4"]
    for folder in folders:
        assert results_in(tmp_path / "simpool-out" / folder) == {"sweep.csv", "sweep.json"}
    first = (tmp_path / "simpool-out" / folders[0] / "sweep.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in first] == ["fleet.pool.max_open", "2"]


def test_json_output_and_set(tmp_path):
    result = runner.invoke(app, ["sweep", SPIKE, "--instances", "1,2", "--set", "fleet.pool.max_open=3",
                                 "--replications", "1", "--jobs", "1", "--json", "--no-plots", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["overrides"] == {"fleet.pool.max_open": 3}
    assert [row["fleet.instances"] for row in doc["rows"]] == [1, 2]
    assert doc == json.loads((tmp_path / "sweep.json").read_text())


def test_jobs_1_and_2_write_identical_csvs(tmp_path):
    args = [SPIKE, "--max-open", "2..12:2", "--replications", "2", "--no-plots", "--quiet"]
    for jobs in ("1", "2"):
        result = runner.invoke(app, ["sweep", *args, "--jobs", jobs, "--out", str(tmp_path / jobs)])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "1" / "sweep.csv").read_bytes() == (tmp_path / "2" / "sweep.csv").read_bytes()
    assert (tmp_path / "1" / "sweep.json").read_bytes() == (tmp_path / "2" / "sweep.json").read_bytes()


@pytest.mark.parametrize(("args", "message"), [
    (["--max-open", "50..10"], "error: --max-open: empty range '50..10': start 50 is after end 10"),
    (["--max-open", "10..50:0"], "error: --max-open: step must be positive (not '0')"),
    (["--lifetime", "0..1h"], "error: --lifetime: a range of durations needs a step, e.g. 0..1h:STEP"),
    (["--max-idle", "1,,2"], "error: --max-idle: empty item in list '1,,2'"),
    ([], "error: nothing to sweep: give --max-open"),
    (["--max-open", "1..200", "--instances", "1..100"],
     "error: the grid has 20,000 points (more than 10,000); add --yes to run it"),
    (["--vary", "fleet.pool.max_opn=1,2"],
     "error: fleet.pool.max_opn: unknown field 'max_opn'; did you mean 'max_open'?"),
    (["--vary", "fleet.instances"], "error: --vary: expected PATH=VALUES"),
    (["--max-open", "1", "--vary", "fleet.pool.max_open=2"], "error: fleet.pool.max_open: swept twice"),
    (["--max-open", "1", "--set", "oops"], "error: --set: expected PATH=VALUE"),
    (["--max-open", "1", "--set", "fleet.pool.max_open=2"],
     "error: fleet.pool.max_open: is both set (--set) and swept"),
    (["--max-open", "-1,2"],
     "error: point fleet.pool.max_open=-1: fleet.pool.max_open: Input should be greater than or equal to 0"),
    (["--lifetime", "0,5"],
     "error: point fleet.pool.conn_max_lifetime=5: fleet.pool.conn_max_lifetime: missing unit"),
    (["--max-open", "1", "--replications", "0"], "error: replications: must be an integer from 1 to 10,000 (not 0)"),
    (["--max-open", "1", "--jobs", "0"], "error: jobs: must be an integer >= 1 (not 0)"),
    (["--max-open", "1", "--jobs", "-1"], "error: jobs: must be an integer >= 1 (not -1)"),
    (["no-such-scenario", "--max-open", "1"], "error: no-such-scenario: no such file, nor a bundled scenario"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    """Bad input: one line naming the option or field, exit 2, no traceback, no files."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", *args, "--out", str(out), *([] if "--jobs" in args else ["--jobs", "1"])])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert not out.exists()


def test_yes_lifts_the_grid_limit(tmp_path):
    """With --yes a big grid gets past the size check (and here stops at its first, bad point)."""
    result = runner.invoke(app, ["sweep", "--max-open", "-1..199", "--instances", "1..100", "--yes", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: point fleet.pool.max_open=-1, fleet.instances=1:")


@pytest.mark.parametrize(("scheduler", "message"), [
    ([], "error: --scheduler: the dask executor needs a scheduler address, e.g. tcp://10.0.0.5:8786\n"),
    (["--scheduler", "tcp://bad:xx"],
     "error: --scheduler: expected an address such as tcp://10.0.0.5:8786 (not 'tcp://bad:xx')\n"),
    (["--scheduler", "host:99999"],
     "error: --scheduler: expected an address such as tcp://10.0.0.5:8786 (not 'host:99999')\n"),
])
def test_dask_without_a_good_scheduler_is_bad_input(tmp_path, scheduler, message):
    """A missing or malformed --scheduler is bad input: one line, exit 2, before any run."""
    pytest.importorskip("distributed")
    out = tmp_path / "o"
    result = runner.invoke(app, ["sweep", SPIKE, "--max-open", "1", "--executor", "dask", *scheduler, "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr == message
    assert not out.exists()


@pytest.mark.parametrize("jobs", ["1", pytest.param("2", marks=pytest.mark.slow)])  # 2: spawns a pool too
def test_sigint_keeps_finished_points_and_exits_130(tmp_path, jobs):
    """A real Ctrl-C: SIGINT once the first point is reported; the finished points are
    written, the count is said, and the exit status is 130."""
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "simpool", "sweep", SPIKE, "--max-open", "1..40", "--replications", "2",
         "--jobs", jobs, "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "120"},
        # A test runner's worker may ignore SIGINT, and children inherit that; Ctrl-C must work here.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        if line.startswith("point 1/40 done") or not line:
            break
    assert lines[-1].startswith("point 1/40 done"), "".join(lines)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    finished = int(stderr.split("interrupted: ")[1].split(" of 40")[0])
    assert 1 <= finished < 40
    assert (f"interrupted: {finished} of 40 points finished; wrote them to {out}/sweep.partial.csv and "
            "sweep.partial.json") in stderr.replace("\n", " ")
    assert results_in(out) == {"sweep.partial.csv", "sweep.partial.json"}
    rows = (out / "sweep.partial.csv").read_text().splitlines()
    assert len(rows) == 1 + finished
    doc = json.loads((out / "sweep.partial.json").read_text())
    assert (doc["interrupted"], doc["finished"], doc["points"]) == (True, finished, 40)
    settings = [r["fleet.pool.max_open"] for r in doc["rows"]]
    assert settings == sorted(set(settings)) and set(settings) <= set(range(1, 41))  # grid order
    assert "Traceback" not in stderr


def test_bundled_scenario_by_name_and_default_values(tmp_path):
    """A bare name finds scenarios/<name>.yaml; ``default`` goes into the CSV as written."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", "spike", "--max-idle", "default,0", "--set", "duration=12s",
                                 "--set", "warmup=2s", "--replications", "1", "--jobs", "1",
                                 "--no-plots", "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = (out / "sweep.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines] == ["fleet.pool.max_idle", "default", "0"]


def test_interrupted_then_resumed_sweep_is_byte_identical(tmp_path):
    """A real Ctrl-C mid-sweep, then ``--resume``: the finished points come from the run
    cache (and are said to), the rest run, and sweep.csv and sweep.json are byte for byte
    those of a sweep never interrupted; the partial files are gone."""
    args = ["sweep", SPIKE, "--max-open", "1..20", "--replications", "2", "--jobs", "1", "--no-plots"]
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "simpool", *args, "--out", str(out)], cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "120"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    line = ""
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if line.startswith("point 2/20 done") or not line:
            break
    assert line.startswith("point 2/20 done"), line
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    finished = int(stderr.split("interrupted: ")[1].split(" of 20")[0])
    assert 2 <= finished < 20
    assert results_in(out) == {"sweep.partial.csv", "sweep.partial.json"}

    resumed = runner.invoke(app, [*args, "--out", str(out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    reused = int(resumed.stderr.split("reused ")[1].split(" of 20 points")[0])
    assert finished <= reused < 20
    assert "from the run cache simpool-out/.cache" in resumed.stderr
    fresh = runner.invoke(app, [*args, "--out", str(tmp_path / "fresh"), "--cache", str(tmp_path / "other")])
    assert fresh.exit_code == 0, fresh.output
    assert results_in(out) == {"sweep.csv", "sweep.json"}
    for name in ("sweep.csv", "sweep.json"):
        assert (out / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes(), name


def test_resume_reruns_what_changed(tmp_path):
    """Another seed or another setting is not reused; the same sweep is, whole."""
    args = ["sweep", SPIKE, "--max-open", "2,4", "--replications", "1", "--jobs", "1", "--no-plots"]
    first = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    assert "reused" not in first.stderr
    for extra, reused in ((["--seed", "5"], "reused 0 of 2 points (0 runs)"),
                          (["--set", "database.cores=4"], "reused 0 of 2 points (0 runs)"),
                          ([], "reused 2 of 2 points (2 runs)")):
        again = runner.invoke(app, [*args, *extra, "--out", str(tmp_path / "b"), "--resume"])
        assert again.exit_code == 0, again.output
        assert reused in again.stderr, (extra, again.stderr)


def test_a_cache_folder_of_other_files_is_refused_first(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    result = runner.invoke(app, ["sweep", SPIKE, "--max-open", "2", "--cache", str(foreign), "--out",
                                 str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: cache {foreign}: holds files that are not simpool's run cache (no CACHEDIR.TAG of simpool's); "
        "give an empty or new folder"]
    assert not (tmp_path / "out").exists() and sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]


def test_adaptive_replications_on_the_command_line(tmp_path):
    """--min-replications below -R: the table says the range, the summary line the total,
    and sweep.csv how many each point ran; a minimum above -R is one line, exit 2."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", SPIKE, "--max-open", "2..10:4", "-R", "4", "--min-replications", "2",
                                 "--jobs", "1", "--no-plots", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2–4 replications per point" in result.stdout
    assert "3 points, " in result.stderr and "(2–4 per point)" in result.stderr
    assert (out / "sweep.csv").read_text().splitlines()[0].startswith("fleet.pool.max_open,replications,")
    bad = runner.invoke(app, ["sweep", SPIKE, "--max-open", "2", "-R", "2", "--min-replications", "3",
                              "--jobs", "1", "--no-plots", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "--min-replications" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_an_adaptive_sweep_resumes_from_the_run_cache(tmp_path):
    """--min-replications with --resume: every run comes from the cache the first sweep
    filled, and the files are byte for byte the first sweep's."""
    args = ["sweep", SPIKE, "--max-open", "2..10:4", "-R", "3", "--min-replications", "1", "--jobs", "1",
            "--no-plots"]
    first = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, [*args, "--out", str(tmp_path / "b"), "--resume"])
    assert again.exit_code == 0, again.output
    runs = int(again.stderr.split("reused ")[1].split(" run")[0])
    assert runs >= 3
    for name in ("sweep.csv", "sweep.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
