"""``simpool run``: the default story fails, the tuned one survives, files and JSON follow
the output contract, options reach ``simulate``, exit statuses."""

from __future__ import annotations

import csv
import json
import re

import pytest

import simpool
import simpool.engine
from simpool import load_scenario, simulate
from tests.conftest import results_in

CONTRACT = {
    "requests": {"total", "ok", "failed", "unfinished"},
    "errors": {"too_many_connections", "deadline_exceeded", "bad_connection", "other"},
    "wait_ms": {"mean", "p50", "p95", "p99", "max"},
    "latency_ms": {"mean", "p50", "p95", "p99", "max"},
    "pool": {"wait_count", "wait_duration_s", "max_idle_closed", "max_idle_time_closed",
             "max_lifetime_closed", "dials", "failed_dials", "handshake_s", "bad_conn_retries", "peak_open"},
    "database": {"peak_connections", "max_connections", "usable_connections", "refused_connections"},
    "load": {"cores", "offered_cores", "offered_cores_peak", "busy_cores", "busy_cores_peak", "utilisation",
             "utilisation_peak", "queue_mean", "queue_p99", "queue_max", "core_wait_ms_mean", "core_wait_ms_p99"},
}
PLOTS = {"timeseries.png", "timeseries.svg", "wait_cdf.png", "wait_cdf.svg"}


def test_default_run_reproduces_too_many_connections(invoke, tmp_path):
    """`simpool run` alone: the built-in story fails with PostgreSQL's own refusals, by the thousand."""
    result = invoke("run", "--out", tmp_path / "out", "--no-plots")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    refused = summary["errors"]["too_many_connections"]["mean"]
    assert refused > 1000
    assert summary["database"]["peak_connections"]["mean"] == 100
    assert "FATAL: sorry, too many clients already (SQLSTATE 53300)" in summary["error_messages"]
    out = " ".join(result.stdout.split())  # the diagnosis wraps at the console width
    assert "too many connections" in out
    assert "sorry, too many clients already" in out
    assert "3 instances × unlimited MaxOpen" in out and "PostgreSQL allows 97 to ordinary roles" in out


def test_tuned_scenario_survives_the_same_spike(invoke, tmp_path):
    """`simpool run tuned`: 3 × 25 = 75 connections, no refusal, no failure, some pool waits."""
    result = invoke("run", "tuned", "--out", tmp_path / "out", "--no-plots")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["errors"]["too_many_connections"]["mean"] == 0
    assert summary["requests"]["failed"]["mean"] == 0
    assert summary["pool"]["wait_count"]["mean"] > 0
    assert summary["database"]["peak_connections"]["mean"] <= 75
    assert "Healthy: all" in result.stdout


def test_summary_json_is_the_output_contract(invoke, tiny, tmp_path):
    """summary.json has the design's keys, a mean per metric, and equals Result.summary()."""
    result = invoke("run", tiny, "--out", tmp_path / "out", "--no-plots")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "summary.json").read_text()
    summary = json.loads(text)
    assert set(summary) == {"scenario", "seed", "replications", "instances", "error_messages", *CONTRACT,
                            "diagnosis", "slo"}
    for section, keys in CONTRACT.items():
        assert set(summary[section]) == keys, section
        assert all(set(stat) == {"mean"} for stat in summary[section].values()), "one replication: no ci95"
    assert [i["name"] for i in summary["instances"]] == ["app-0", "app-1"]
    expected = simulate(load_scenario(tiny)).summary()
    assert text.startswith(json.dumps(expected, indent=2)[:-2]), "Result.summary(), then the diagnosis and SLOs"
    assert {key: summary[key] for key in expected} == expected
    assert summary["slo"] == {"passed": True, "terms": []}


def test_json_flag_puts_only_json_on_stdout(invoke, tiny, tmp_path):
    """--json: stdout is exactly summary.json; the table goes to stderr."""
    result = invoke("run", tiny, "--json", "--out", tmp_path / "out", "--no-plots")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "db.Stats() per instance" in result.stderr


def test_quiet_prints_no_table(invoke, tiny, tmp_path):
    """--quiet: nothing on stdout, files still written."""
    result = invoke("run", tiny, "--quiet", "--out", tmp_path / "out", "--no-plots")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert (tmp_path / "out" / "summary.json").exists()


def test_table_shows_requests_percentiles_connections_and_instances(invoke, tiny, tmp_path):
    """The summary names every part the issue asks for, and a diagnosis."""
    out = invoke("run", tiny, "--out", tmp_path / "out", "--no-plots").stdout
    for heading in ("Requests", "Times (ms)", "to get a connection", "p99", "Connections",
                    "PostgreSQL peak connections", "handshake time", "db.Stats() per instance",
                    "MaxIdleClosed", "WaitCount", "Diagnosis"):
        assert heading in out, heading


def test_replications_give_confidence_intervals(invoke, tiny, tmp_path):
    """-R 2: each metric carries ci95 and the table shows ±."""
    result = invoke("run", tiny, "-R", "2", "--out", tmp_path / "out", "--no-plots")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["replications"] == 2
    assert "ci95" in summary["wait_ms"]["p99"]
    assert "±" in result.stdout and "95% confidence" in result.stdout


def test_results_and_plots_are_written(invoke, tiny, tmp_path):
    """summary.json, timeseries.csv and both plots as PNG and SVG."""
    out = tmp_path / "out"
    result = invoke("run", tiny, "--out", out)
    assert result.exit_code == 0, result.output
    assert results_in(out) == {"summary.json", "timeseries.csv", *PLOTS}
    assert (out / "timeseries.png").read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in (out / "wait_cdf.svg").read_bytes()[:500]
    with (out / "timeseries.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["replication", "t_s", "series", "open", "in_use", "idle", "waiting", "busy_cores",
                             "offered_cores"]
    assert {r["series"] for r in rows} == {"app-0", "app-1", "database"}
    database = [r for r in rows if r["series"] == "database"]
    assert database[0]["busy_cores"] == "" and float(database[-1]["busy_cores"]) >= 0
    assert all(r["busy_cores"] == r["offered_cores"] == "" for r in rows if r["series"] != "database")


def test_rerun_replaces_the_folder_without_mixing_runs(invoke, tiny, tmp_path):
    """A run removes the outputs an earlier run wrote that it does not write itself (plots
    after --no-plots, requests.csv without --requests); other files are left alone."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the user's")
    assert invoke("run", tiny, "--out", out, "--requests").exit_code == 0
    assert results_in(out) == {"summary.json", "timeseries.csv", "requests.csv", "notes.txt", *PLOTS}
    assert invoke("run", tiny, "--out", out, "--no-plots", "--seed", "9").exit_code == 0
    assert results_in(out) == {"summary.json", "timeseries.csv", "notes.txt"}
    assert json.loads((out / "summary.json").read_text())["seed"] == 9
    assert (out / "notes.txt").read_text() == "the user's"


def test_requests_flag_writes_one_row_per_finished_request(invoke, tiny, tmp_path):
    """--requests: requests.csv holds every request that finished after the warm-up."""
    out = tmp_path / "out"
    result = invoke("run", tiny, "--out", out, "--no-plots", "--requests")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    with (out / "requests.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    finished = summary["requests"]["ok"]["mean"] + summary["requests"]["failed"]["mean"]
    assert len(rows) == finished
    assert sum(r["outcome"] == "ok" for r in rows) == summary["requests"]["ok"]["mean"]
    assert set(rows[0]) == {"replication", "id", "instance", "arrival_s", "wait_ms", "latency_ms", "outcome", "error"}


def test_default_out_folder_is_named_after_the_scenario(invoke, tiny, tmp_path):
    """Without --out, results go to ./simpool-out/<name>/."""
    result = invoke("run", tiny, "--no-plots")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "simpool-out" / "tiny" / "summary.json").exists()


def test_scenario_names_become_safe_folder_names(invoke, tmp_path):
    """A name with a slash or spaces does not escape or nest the output folder."""
    path = tmp_path / "odd.yaml"
    path.write_text("name: ../a/b c\nduration: 2s\nwarmup: 0\n", encoding="utf-8")
    result = invoke("run", path, "--no-plots", "--set", "workload.arrivals.0.rate=20/s")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "simpool-out" / "a-b-c" / "summary.json").exists()


def test_options_reach_simulate(invoke, tiny, tmp_path, monkeypatch):
    """--seed, -R, --requests, --duration, --go-version and --set arrive in simulate()."""
    calls = []
    real = simpool.engine.simulate

    def spy(scenario, seed=None, replications=1, *, record_requests=False):
        calls.append((scenario, seed, replications, record_requests))
        return real(scenario, seed=seed, replications=replications, record_requests=record_requests)

    monkeypatch.setattr(simpool.engine, "simulate", spy)
    result = invoke("run", tiny, "--seed", "7", "-R", "2", "--requests", "--duration", "3s",
                    "--go-version", "1.18", "--set", "fleet.pool.max_open=30",
                    "--set", "workload.arrivals.1.rate=50/s", "--out", tmp_path / "out", "--no-plots")
    assert result.exit_code == 0, result.output
    [(scenario, seed, replications, record)] = calls
    assert (seed, replications, record) == (7, 2, True)
    assert scenario.duration == 3.0
    assert scenario.fleet.pool.go_version == "1.18"
    assert scenario.fleet.pool.max_open == 30
    assert scenario.workload.arrivals[1].rate == 50.0


def test_set_values_parse_as_in_the_file(invoke, tiny, tmp_path, monkeypatch):
    """--set values are YAML: numbers, null, durations, and flow mappings."""
    seen = []
    monkeypatch.setattr(simpool.engine, "simulate", lambda s, **kw: seen.append(s) or simulate(s, **kw))
    result = invoke("run", tiny, "--no-plots", "--out", tmp_path / "out",
                    "--set", "fleet.pool.max_idle=null", "--set", "database.query={dist: constant, value: 2ms}",
                    "--set", "workload.request.transaction=false")
    assert result.exit_code == 0, result.output
    scenario = seen[0]
    assert scenario.fleet.pool.max_idle is None
    assert scenario.database.query.mean == pytest.approx(0.002)
    assert scenario.workload.request.transaction is False


def test_bundled_scenario_by_name(invoke, tmp_path):
    """`simpool run mmc` runs scenarios/mmc.yaml."""
    result = invoke("run", "mmc", "--duration", "20s", "--out", tmp_path / "out", "--no-plots")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["scenario"] == "mmc"


def test_unexpected_error_is_one_line_and_status_1(invoke, tiny, tmp_path, monkeypatch):
    """A bug gives exit 1 and one line, no traceback, no files."""
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(simpool.engine, "simulate", boom)
    result = invoke("run", tiny, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: RuntimeError: boom (SIMPOOL_DEBUG=1 shows the traceback)"]
    assert not (tmp_path / "out").exists()


def test_simpool_debug_lets_the_traceback_through(invoke, tiny, tmp_path, monkeypatch):
    """SIMPOOL_DEBUG=1: the exception propagates (typer then shows it)."""
    monkeypatch.setenv("SIMPOOL_DEBUG", "1")
    monkeypatch.setattr(simpool.engine, "simulate", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    result = invoke("run", tiny, "--out", tmp_path / "out")
    assert isinstance(result.exception, RuntimeError)


def test_ctrl_c_exits_130_and_writes_nothing(invoke, tiny, tmp_path, monkeypatch):
    """KeyboardInterrupt during the simulation: status 130, no result files."""
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(simpool.engine, "simulate", interrupted)
    result = invoke("run", tiny, "--out", tmp_path / "out")
    assert result.exit_code == 130
    assert "interrupted" in result.stderr
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- the SLO gate and the what-ifs


def test_an_slo_that_holds_exits_0(invoke, tiny, tmp_path):
    result = invoke("run", tiny, "--slo", "p99_wait<10s", "--slo", "refusals<=0", "--no-plots", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "SLO: 2 of 2 met" in result.stdout
    slo = json.loads((tmp_path / "summary.json").read_text())["slo"]
    assert slo["passed"] is True and [t["term"]["text"] for t in slo["terms"]] == ["p99_wait<10s", "refusals<=0"]


def test_an_slo_that_fails_exits_3_with_its_margin(invoke, tiny, tmp_path):
    """The gate: a failed term is marked with how far past the bound it is, the results are
    still written, and the status is 3, also with --quiet (one line on stderr) and --json."""
    result = invoke("run", tiny, "--slo", "p50_latency<1ms", "-R", "2", "--no-plots", "--out", tmp_path / "a")
    assert result.exit_code == 3, result.output
    assert "SLO: 0 of 1 met (exit status 3)" in result.stdout
    assert re.search(r"✗\s+p50_latency<1ms\s+[\d.]+ ms\s+past the bound by [\d.]+ ms ± [\d.]+ ms \(95% CI\)",
                     result.stdout)
    slo = json.loads((tmp_path / "a" / "summary.json").read_text())["slo"]
    assert slo["passed"] is False and slo["terms"][0]["margin"] < 0 and slo["terms"][0]["ci95"] is not None
    quiet = invoke("run", tiny, "--slo", "p50_latency<1ms", "-q", "--no-plots", "--out", tmp_path / "b")
    assert quiet.exit_code == 3 and quiet.stderr == "SLO failed: p50_latency<1ms\n"
    as_json = invoke("run", tiny, "--slo", "p50_latency<1ms", "--json", "--no-plots", "--out", tmp_path / "c")
    assert as_json.exit_code == 3 and json.loads(as_json.stdout)["slo"]["passed"] is False


def test_a_bad_slo_is_bad_input_before_anything_runs(invoke, tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(simpool.engine, "simulate", lambda *a, **k: pytest.fail("simulated a bad gate"))
    result = invoke("run", tiny, "--slo", "p99_wiat<50ms", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == ("error: --slo 'p99_wiat<50ms': unknown metric 'p99_wiat'; did you mean 'p99_wait'? "
                             "known: " + ", ".join(__import__("simpool.analysis.slo").analysis.slo.METRICS) + "\n")
    assert not (tmp_path / "out").exists()


def test_advice_comes_with_its_what_if(invoke, tmp_path):
    """The default story: capping MaxOpen is advised, with the measured effect under it."""
    result = invoke("run", "--no-plots", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "Cap each pool with SetMaxOpenConns(32)" in out
    assert re.search(r"✓ with SetMaxOpenConns\(32\): refused requests [\d.]+% → 0%", out)
    assert "advice only where it helped" in out
    diagnosis = json.loads((tmp_path / "summary.json").read_text())["diagnosis"]
    assert diagnosis["what_ifs"] is True and diagnosis["what_if_runs"] == 2
    capped = next(f for f in diagnosis["findings"] if f["rule"] == "unlimited_pools")
    assert capped["what_if"]["helped"] and capped["what_if"]["overrides"] == [["fleet.pool.max_open", 32]]


def test_no_what_if_gives_no_advice_and_says_so(invoke, tmp_path):
    result = invoke("run", "--no-what-if", "--no-plots", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "What-ifs skipped (--no-what-if): these findings say what happened and give no advice." in out
    assert "SetMaxOpenConns(" not in out and "✓ with" not in out
    diagnosis = json.loads((tmp_path / "summary.json").read_text())["diagnosis"]
    assert diagnosis == {**diagnosis, "what_ifs": False, "what_if_runs": 0}
    assert all(f["advice"] is None for f in diagnosis["findings"])


def test_replications_on_two_processes_write_the_same_bytes(invoke, tiny, tmp_path):
    """``-R 3 --jobs 2`` runs the replications on two processes, and every file is byte for
    byte the one ``--jobs 1`` writes (the what-ifs included)."""
    for jobs in ("1", "2"):
        result = invoke("run", tiny, "-R", "3", "--jobs", jobs, "--requests", "--no-plots", "--quiet",
                        "--out", tmp_path / jobs)
        assert result.exit_code == 0, result.output
    for name in ("summary.json", "timeseries.csv", "requests.csv"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name


def test_replications_go_to_the_executor_in_order(tiny, monkeypatch):
    """With jobs > 1 every replication is handed to the local pool and put back in
    replication order, whatever order the runs finish in."""
    from simpool.sweeps import replications as parallel

    scenario = simpool.load_scenario(tiny)

    class Backwards:
        def run(self, tasks, function):
            tasks = list(tasks)
            for i in reversed(range(len(tasks))):
                yield i, function(*tasks[i])

        def close(self, *, cancel=False):
            pass

    monkeypatch.setattr(parallel, "local_jobs", lambda jobs, tasks: 2)
    monkeypatch.setattr(parallel, "make_executor", lambda *a, **k: Backwards())
    result = parallel.simulate_replications(scenario, seed=4, replications=3, jobs=2)
    assert [run.index for run in result.replications] == [0, 1, 2]
    assert result.summary() == simpool.simulate(scenario, seed=4, replications=3).summary()
