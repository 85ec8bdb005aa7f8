"""A user's files are sacred, on the command line: ``--out`` is checked before any
simulation, nothing simpool did not write is replaced or removed, a real Ctrl-C at any
moment leaves the earlier results or the new ones (never a mix), and two writers at once
cannot interleave."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import simpool.engine
import simpool.sweeps.grid
from simpool.render.files import MANIFEST
from tests.cli.conftest import TINY
from tests.conftest import results_in

ASSETS = Path(__file__).parent.parent / "assets"
SWEEP = str(ASSETS / "sweep-spike.yaml")
PLOTS = {"timeseries.png", "timeseries.svg", "wait_cdf.png", "wait_cdf.svg"}
RUN_FILES = {"summary.json", "timeseries.csv", *PLOTS}


def manifest_files(folder: Path) -> dict[str, dict]:
    """The manifest's files, each checked against the bytes on disk."""
    listed = json.loads((folder / MANIFEST).read_text())["files"]
    for name, entry in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == entry["sha256"], name
    return listed


def simpool_process(*args: str, cwd: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "simpool", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=cwd, env={**os.environ, "COLUMNS": "120"},
        # A test runner's worker may ignore SIGINT, and children inherit that; Ctrl-C must work here.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def no_simulation(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("simulated before checking --out")

    monkeypatch.setattr(simpool.engine, "simulate", refuse)
    monkeypatch.setattr(simpool.sweeps.grid, "run_sweep", refuse)


# ---------------------------------------------------------------------------- checked first


@pytest.mark.parametrize("command", ["run", "sweep"])
@pytest.mark.parametrize(("target", "problem"), [
    ("file", "is not a folder"),
    ("file/sub", "cannot write there: a part of the path is a file, not a folder"),
    ("/dev/null", "is not a folder"),
])
def test_an_unusable_out_fails_before_simulating(invoke, tiny, tmp_path, monkeypatch, command, target, problem):
    """--out FILE, --out FILE/sub, --out /dev/null: exit 2, one line, nothing simulated."""
    (tmp_path / "file").write_text("the user's")
    out = target if target.startswith("/") else str(tmp_path / target)
    no_simulation(monkeypatch)
    extra = ["--max-open", "1,2"] if command == "sweep" else []
    result = invoke(command, tiny, *extra, "--out", out)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [f"error: --out {out}: {problem}"]
    assert (tmp_path / "file").read_text() == "the user's"


def test_a_replay_into_the_traces_folder_keeps_the_trace(invoke, tmp_path, monkeypatch):
    """`simpool run replay.yaml --out .` beside the user's requests.csv: the trace stays;
    with --requests (which would replace it) the folder is refused before simulating."""
    monkeypatch.chdir(tmp_path)
    trace = "t_ms,instance\n0,0\n10,1\n20,0\n30,1\n"
    (tmp_path / "requests.csv").write_text(trace)
    (tmp_path / "replay.yaml").write_text("name: replay\nfleet: {instances: 2}\n"
                                          "workload:\n  arrivals: [{kind: trace, file: requests.csv}]\n")
    for _ in range(2):
        result = invoke("run", "replay.yaml", "--out", ".", "--no-plots", "--quiet")
        assert result.exit_code == 0, result.output
        assert (tmp_path / "requests.csv").read_text() == trace
    assert results_in(tmp_path) == {"requests.csv", "replay.yaml", "summary.json", "timeseries.csv"}
    no_simulation(monkeypatch)
    result = invoke("run", "replay.yaml", "--out", ".", "--no-plots", "--requests")
    assert result.exit_code == 2
    assert "error: --out .: holds 'requests.csv', which simpool did not write" in result.stderr
    assert (tmp_path / "requests.csv").read_text() == trace


def test_a_folder_of_someone_elses_results_is_refused(invoke, tiny, tmp_path):
    """Result files with simpool's names but no manifest (hand-made, or an older simpool's)
    are not simpool's to replace."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    result = invoke("run", tiny, "--out", out, "--no-plots")
    assert result.exit_code == 2
    assert f"error: --out {out}: holds 'summary.json', which simpool did not write" in result.stderr
    assert results_in(out) == {"summary.json"}


# ---------------------------------------------------------------------------- a real Ctrl-C


def interrupt(args: list[str], delay: float) -> tuple[int, str, float]:
    """Start simpool, send SIGINT after ``delay`` seconds; (status, stderr, seconds to exit)."""
    process = simpool_process(*args)
    time.sleep(delay)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr, time.monotonic() - sent


@pytest.mark.slow  # several subprocesses, each drawing figures
def test_ctrl_c_at_any_moment_leaves_old_or_new_results_never_a_mix(tiny, tmp_path):
    """A rerun into a folder of complete results, interrupted at moments from the start up
    (loading, simulating, drawing, committing, done): afterwards the folder holds exactly
    one run's files, all listed in the manifest with their bytes; the first run's, or the
    second's. Ctrl-C takes effect within seconds even on a busy machine."""
    out = tmp_path / "out"
    first = subprocess.run([sys.executable, "-m", "simpool", "run", str(tiny), "--out", str(out), "--quiet",
                            "--seed", "1"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    old = manifest_files(out)
    seen = set()
    for delay in (0.2, 0.6, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0):
        status, stderr, took = interrupt(["run", str(tiny), "--out", str(out), "--quiet", "--seed", "2"], delay)
        # Killed by SIGINT (-2) happens now and then when the signal lands while Python is
        # importing the command line; a shell reports it as 130 too.
        status = 130 if status == -signal.SIGINT else status
        assert status in (0, 130), stderr
        assert "Traceback" not in stderr
        assert took < 10, f"Ctrl-C took {took:.1f} s"
        now = manifest_files(out)
        assert set(now) == RUN_FILES and results_in(out) == RUN_FILES
        seed = json.loads((out / "summary.json").read_text())["seed"]
        assert now == old if seed == 1 else seed == 2
        seen.add((status, seed))
    assert (130, 1) in seen, "some interrupts came before the commit and kept the old results"


@pytest.mark.slow  # a sweep twice, with a process pool
def test_ctrl_c_on_a_rerun_sweep_never_touches_the_complete_one(tmp_path):
    """An interrupted rerun writes sweep.partial.csv/.json beside the complete sweep.csv,
    sweep.json and charts of the first run, which stay byte for byte."""
    out = tmp_path / "out"
    common = [SWEEP, "--replications", "1", "--out", str(out)]
    complete = subprocess.run([sys.executable, "-m", "simpool", "sweep", "--max-open", "1..3", *common],
                              capture_output=True, text=True)
    assert complete.returncode == 0, complete.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    assert {"sweep.csv", "sweep.json", "sweep-wait.png"} <= set(before)
    process = simpool_process("sweep", "--max-open", "1..40", "--jobs", "1", *common)
    for line in process.stderr:
        if line.startswith("point 2/40 done"):
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    after = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    assert set(after) == set(before) | {"sweep.partial.csv", "sweep.partial.json"}
    assert all(after[name] == data for name, data in before.items())
    assert json.loads(after["sweep.partial.json"])["interrupted"] is True
    manifest_files(out)


def test_sigterm_stops_a_sweep_and_leaves_the_folder_as_it_was(tmp_path):
    """``kill`` during a sweep on two processes: exit 143, the workers gone, the earlier
    results (here: a run's) untouched, nothing staged left behind."""
    out = tmp_path / "out"
    first = subprocess.run([sys.executable, "-m", "simpool", "run", SWEEP, "--out", str(out), "--no-plots",
                            "--quiet"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    before = manifest_files(out)
    process = simpool_process("sweep", SWEEP, "--max-open", "1..40", "--replications", "1", "--jobs", "2",
                              "--out", str(out))
    for line in process.stderr:
        if line.startswith("point 1/40 done"):
            break
    process.terminate()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert manifest_files(out) == before and results_in(out) == {"summary.json", "timeseries.csv"}


def test_ctrl_c_before_any_point_finished_writes_nothing(invoke, tmp_path, monkeypatch):
    def interrupted(plan, **kwargs):
        from simpool.sweeps.grid import SweepResult

        return SweepResult(name=plan.name, scenario=plan.base, axes=plan.axes, seed=1, replications=1,
                           points=plan.points, rows=(), interrupted=True)

    monkeypatch.setattr(simpool.sweeps.grid, "run_sweep", interrupted)
    out = tmp_path / "out"
    result = invoke("sweep", SWEEP, "--max-open", "1,2", "--out", out)
    assert result.exit_code == 130
    assert result.stderr.strip() == f"interrupted before any point finished; nothing written to {out}"
    assert not out.exists()


# ---------------------------------------------------------------------------- two writers


@pytest.mark.slow  # two simulations at once
def test_two_runs_into_one_folder_do_not_interleave(tmp_path):
    """Two simpool runs started together on one --out: the second waits for the folder
    (2 s), then gives up clearly (exit 1) or, if the first has finished, writes its own
    results whole. Either way the folder holds one run's files, none of the other's."""
    scenario = tmp_path / "slow.yaml"
    scenario.write_text(TINY.replace("duration: 6s", "duration: 40s"))
    out = tmp_path / "out"
    args = ["run", str(scenario), "--out", str(out), "--quiet"]
    first = simpool_process(*args, "--seed", "1")
    time.sleep(0.5)
    second = simpool_process(*args, "--seed", "2", "--no-plots")
    _, err2 = second.communicate(timeout=120)
    _, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1
    if second.returncode == 1:
        assert err2.strip() == f"error: {out}: another simpool is writing there; try again when it has finished, " \
                               "or choose another --out"
        expected, seed = RUN_FILES, 1
    else:
        assert second.returncode == 0, err2
        expected, seed = {"summary.json", "timeseries.csv"}, 2
    assert set(manifest_files(out)) == expected == results_in(out)
    assert json.loads((out / "summary.json").read_text())["seed"] == seed
