"""Every file in scenarios/: it tells its story in a leading comment, loads, runs briefly,
and (at full length, marked slow) does what its story says."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from simpool import load_scenario, simulate
from simpool.catalog import SCENARIO_DIR, bundled_scenarios, scenario_dir
from simpool.stats import erlang_c, mmc_mean_wait

FILES = sorted(SCENARIO_DIR.glob("*.yaml"))
NAMES = [path.stem for path in FILES]


def test_the_bundled_set():
    """The stories the README promises are all there."""
    assert set(NAMES) >= {"spike", "tuned", "idle-churn", "mmc", "leaked-rows", "pool-per-request",
                          "firewall-idle-drop", "autoscale-past-cap", "mysql"}
    assert [s.name for s in bundled_scenarios()] == NAMES


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_each_scenario_tells_its_story_and_runs(path):
    """A leading comment, a name equal to the file name, a description; a short run works."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# "), "the file starts with a comment telling its story"
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert scenario.description
    short = load_scenario(path, overrides={"duration": "3s", "warmup": "500ms"})
    summary = simulate(short).summary()
    assert summary["requests"]["total"]["mean"] > 0
    assert summary["scenario"] == path.stem


def _without(scenario, *paths):
    data = scenario.effective()
    for dotted in paths:
        *parents, last = dotted.split(".")
        node = data
        for part in parents:
            node = node[part]
        node.pop(last)
    return data


def test_spike_is_the_built_in_default():
    """scenarios/spike.yaml spells out Scenario()'s defaults (all but its name and description)."""
    assert _without(load_scenario(SCENARIO_DIR / "spike.yaml"), "name", "description") == \
        _without(load_scenario(), "name", "description")


def test_tuned_differs_from_spike_only_in_the_pool():
    """Same fleet, database and traffic; only SetMaxOpenConns & co differ."""
    spike, tuned = load_scenario(SCENARIO_DIR / "spike.yaml"), load_scenario(SCENARIO_DIR / "tuned.yaml")
    keep = ("name", "description", "fleet.pool")
    assert _without(spike, *keep) == _without(tuned, *keep)
    pool = tuned.fleet.pool
    assert (pool.max_open, pool.max_idle, pool.conn_max_lifetime) == (25, 10, 3600.0)
    assert tuned.fleet.instances * pool.max_open <= tuned.database.usable_connections


def test_mmc_story_quotes_erlang_c():
    """The numbers in mmc.yaml's story are Erlang C's for its own parameters."""
    scenario = load_scenario(SCENARIO_DIR / "mmc.yaml")
    c = scenario.fleet.pool.max_open
    rate = scenario.workload.arrivals[0].rate
    mean = scenario.database.query.mean
    text = (SCENARIO_DIR / "mmc.yaml").read_text()
    p_wait = erlang_c(c, rate * mean)
    wait_ms = mmc_mean_wait(c, rate, mean) * 1e3
    assert f"{100 * p_wait:.1f}%" in text
    assert f"{wait_ms:.2f} ms" in text
    assert re.search(rf"utilisation {rate * mean / c:g}", text)


def _errors(summary, kind):
    return summary["errors"][kind]["mean"]


def _service(summary, name, section, key):
    return summary["services"][name][section][key]["mean"]


STEADY = {"duration": "20s"}
"""Steady-load stories show their effect within 20 s; spikes and slow drifts need their full length."""

SCALED_OUT = {"duration": "110s"}
"""The autoscaler has its fifth instance serving by about 90 s."""

STORIES = {
    "idle-churn": (STEADY, lambda s: s["requests"]["failed"]["mean"] == 0
                   and s["pool"]["dials"]["mean"] > 0.2 * s["requests"]["total"]["mean"]
                   and s["pool"]["max_idle_closed"]["mean"] > 0.9 * s["pool"]["dials"]["mean"]),
    "leaked-rows": (STEADY, lambda s: _errors(s, "deadline_exceeded") >= 10
                    and _errors(s, "too_many_connections") == 0 and s["wait_ms"]["p50"]["mean"] > 100),
    "pool-per-request": (STEADY, lambda s: _errors(s, "too_many_connections") > 500
                         and s["pool"]["dials"]["mean"] == s["requests"]["total"]["mean"]),
    "firewall-idle-drop": ({}, lambda s: _errors(s, "too_many_connections") > 1000
                           and s["pool"]["peak_open"]["mean"] < 50
                           and s["database"]["peak_connections"]["mean"] == 100),
    "autoscale-past-cap": (SCALED_OUT, lambda s: _errors(s, "too_many_connections") > 100 and len(s["instances"]) == 5),
    "mysql-invalid-connection": ({}, lambda s: s["error_messages"].get("invalid connection", 0) >= 20
                                 and s["requests"]["failed"]["mean"] == _errors(s, "bad_connection")
                                 and s["database"]["peak_connections"]["mean"] > 2 * s["pool"]["peak_open"]["mean"]),
    "mysql-idle-time": ({}, lambda s: s["requests"]["failed"]["mean"] == 0
                        and s["database"]["peak_connections"]["mean"] <= s["pool"]["peak_open"]["mean"]),
    "rolling-deploy": ({}, lambda s: _errors(s, "too_many_connections") > 1000 and len(s["instances"]) == 8),
    "deploy-within-budget": ({}, lambda s: s["requests"]["failed"]["mean"] == 0 and len(s["instances"]) == 8
                             and s["database"]["peak_connections"]["mean"] <= 97),
    "no-deadline": ({}, lambda s: s["requests"]["failed"]["mean"] == 0 and s["latency_ms"]["p99"]["mean"] > 10_000),
    "request-deadline": ({}, lambda s: s["requests"]["failed"]["mean"] == _errors(s, "deadline_exceeded") > 1000
                         and s["latency_ms"]["max"]["mean"] <= 2000 + 1e-6),  # a deadline, in floating point
    "mysql": ({"duration": "35s"}, lambda s: _errors(s, "too_many_connections") > 300
              and "Error 1040 (08004): Too many connections" in s["error_messages"]),
    "month-end-batch": ({}, lambda s: _service(s, "api", "errors", "too_many_connections") > 500
                        and _service(s, "batch", "connections", "at_database_peak") > 60
                        and _service(s, "batch", "connections", "at_database_peak")
                        > _service(s, "api", "connections", "at_database_peak")),
    "month-end-budget": ({}, lambda s: _service(s, "api", "errors", "too_many_connections") == 0
                         and s["requests"]["failed"]["mean"] == 0
                         and s["database"]["peak_connections"]["mean"] <= 96
                         and _service(s, "batch", "pool", "wait_count") > 1000),
    "saturated-database": (STEADY, lambda s: _errors(s, "deadline_exceeded") > 0.5 * s["requests"]["total"]["mean"]
                           and _errors(s, "too_many_connections") == 0
                           and s["load"]["offered_cores"]["mean"] > 3.5 * s["load"]["cores"]["mean"]
                           and s["load"]["utilisation"]["mean"] > 0.99),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(STORIES))
def test_story_comes_true(name):
    """What each file's comment says happens, happens (spike and tuned: tests/cli; mmc:
    tests/test_theory.py)."""
    overrides, story = STORIES[name]
    summary = simulate(load_scenario(SCENARIO_DIR / f"{name}.yaml", overrides=overrides)).summary()
    assert story(summary), summary


@pytest.mark.slow
@pytest.mark.parametrize(("name", "fix"), [
    ("firewall-idle-drop", {"network.keepalive": "15s"}),
    ("firewall-idle-drop", {"fleet.pool.conn_max_idle_time": "5m"}),
    ("autoscale-past-cap", {"database.max_connections": 210, **SCALED_OUT}),
    ("pool-per-request", {"pitfalls.pool_per_request": False, **STEADY}),
    ("spike", {"fleet.pool.max_open": 25, "fleet.pool.max_idle": 10}),
    ("mysql", {"fleet.pool.max_open": 35, "fleet.pool.max_idle": 10, "duration": "35s"}),
    ("saturated-database", {"database.cores": 80, **STEADY}),
    ("saturated-database", {"database.query.mean": "6ms", **STEADY}),
    ("dial-limit", {"fleet.pool.max_open": 30, "fleet.pool.max_idle": 30, "fleet.pool.max_dialing": 0}),
    ("rolling-deploy", {"fleet.deploy.batch": 1, "fleet.pool.max_open": 16, "fleet.pool.max_idle": 16}),
    ("request-deadline", {"database.cores": 12}),
    ("mysql-invalid-connection", {"fleet.pool.conn_max_idle_time": "5m"}),
    ("month-end-batch", {"services.batch.pool.max_open": 17}),
])
def test_the_suggested_fix_works(name, fix):
    """The 'Try:' line of a story removes its failures."""
    summary = simulate(load_scenario(SCENARIO_DIR / f"{name}.yaml", overrides=fix)).summary()
    assert _errors(summary, "too_many_connections") == 0
    assert summary["requests"]["failed"]["mean"] == 0


# ---------------------------------------------------------------------------- packaging


def test_a_wheel_ships_every_package_and_the_scenarios():
    """pyproject.toml lists the packages by hand (one of them, ``simpool._bundled``, is the
    top-level ``scenarios/`` folder): every package on disk is listed, and the scenarios go
    in as package data, so ``simpool run spike`` works from a plain ``pip install .``."""
    root = Path(__file__).resolve().parent.parent
    setuptools = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    on_disk = {".".join(init.parent.relative_to(root).parts) for init in (root / "simpool").rglob("__init__.py")}
    assert set(setuptools["packages"]) == on_disk | {"simpool._bundled"}
    assert setuptools["package-dir"] == {"simpool._bundled": "scenarios"}
    assert setuptools["package-data"] == {"simpool._bundled": ["*.yaml"]}
    assert {path.suffix for path in (root / "scenarios").iterdir()} == {".yaml"}, "data files need package-data too"


def test_an_installed_copy_of_the_scenarios_comes_first(tmp_path):
    """In a wheel the scenarios sit in ``simpool/_bundled``; in a checkout, in ``scenarios/``."""
    package = tmp_path / "simpool"
    package.mkdir()
    assert scenario_dir(package) == tmp_path / "scenarios"
    (package / "_bundled").mkdir()
    assert scenario_dir(package) == package / "_bundled"
    assert SCENARIO_DIR == Path(__file__).resolve().parent.parent / "scenarios"  # this checkout


# ---------------------------------------------------------------------------- stories told over time


def dials_per_second(name: str, **overrides) -> list[int]:
    """The whole fleet's dials in each second of the run, after the warm-up."""
    from simpool.engine import Simulation, run_until

    scenario = load_scenario(SCENARIO_DIR / f"{name}.yaml", overrides=overrides)
    simulation = Simulation(scenario, scenario.seed)
    counts, before = [], 0
    for t in range(1, int(scenario.duration) + 1):
        run_until(simulation.env, float(t))
        dials = sum(instance.counters()["dials"] for instance in simulation.fleet.instances)
        if t > scenario.warmup:
            counts.append(dials - before)
        before = dials
    return counts


@pytest.mark.slow
def test_lifetime_waves_come_back_and_jitter_spreads_them():
    """lifetime-waves: the 75 connections born together re-dial together at every
    lifetime (3m, 6m, 9m), 40+ in one second; lifetime-jitter (the fix): no second sees ten."""
    waves = dials_per_second("lifetime-waves")
    surges = [second + 31 for second, n in enumerate(waves) if n >= 30]
    assert [round(s / 180) for s in surges] == [1, 2, 3], surges
    assert all(n < 15 for second, n in enumerate(waves) if second + 31 not in surges)
    assert max(dials_per_second("lifetime-jitter")) < 10


@pytest.mark.slow
def test_a_dial_limit_turns_the_storm_into_a_queue():
    """dial-storm: thousands of refused dials, nothing waits in a pool; dial-limit (the
    what-if): the bursts queue in the pools, the fleet dials less than half as often and
    refusals fall by over 90%."""
    storm = simulate(load_scenario(SCENARIO_DIR / "dial-storm.yaml")).summary()
    limited = simulate(load_scenario(SCENARIO_DIR / "dial-limit.yaml")).summary()
    assert _errors(storm, "too_many_connections") > 3000 and storm["pool"]["wait_count"]["mean"] == 0
    assert limited["pool"]["wait_count"]["mean"] > 1000
    assert limited["pool"]["dials"]["mean"] < 0.5 * storm["pool"]["dials"]["mean"]
    assert _errors(limited, "too_many_connections") < 0.1 * _errors(storm, "too_many_connections")


# ---------------------------------------------------------------------------- advice proven on every story

ADVISED = {
    "spike": {"unlimited_pools", "idle_churn"},
    "idle-churn": {"idle_churn"},
    "leaked-rows": {"leaked_rows"},
    "pool-per-request": {"unlimited_pools"},
    "firewall-idle-drop": {"orphaned_sessions"},
    "autoscale-past-cap": {"pools_exceed_cap"},
    "mysql": {"unlimited_pools"},
    "saturated-database": {"saturated_database"},
    "request-deadline": {"saturated_database"},
    "no-deadline": {"saturated_database"},
    "rolling-deploy": {"pools_exceed_cap"},
    "dial-storm": {"unlimited_pools"},
    "mysql-invalid-connection": {"orphaned_sessions", "bad_connections"},
    "month-end-batch": {"services_budget"},
}
"""The findings each story must get advice from (at least); the others (tuned, mmc, the
fixes and what-ifs of other stories, the lifetime stories) need none."""


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_every_piece_of_advice_carries_a_what_if_that_helped(path):
    """Each bundled story, diagnosed with its what-ifs: every finding that gives advice
    carries the what-if that proved it (helped, on the same traffic), and names its change;
    the stories that need advice get it."""
    from simpool.analysis.diagnosis import diagnose_run

    overrides = {"duration": "90s"} if path.stem.startswith("lifetime") else {}  # no advice to prove: 90 s say so
    diagnosis = diagnose_run(simulate(load_scenario(path, overrides=overrides or None)))
    advised = set()
    for finding in diagnosis.findings:
        for what_if in finding.what_ifs:
            assert what_if.replications == 1 and what_if.effects
        if finding.advice is None:
            assert not any(w.helped for w in finding.what_ifs), finding
            continue
        advised.add(finding.rule)
        assert finding.what_if.helped and finding.advice in finding.text
    assert advised >= ADVISED.get(path.stem, set()), [f.text for f in diagnosis.findings]
    if path.stem == "saturated-database":
        first = diagnosis.findings[0]
        assert first.rule == "saturated_database"
        assert any(w.change.startswith("SetMaxOpenConns") and not w.helped for w in first.what_ifs)
        assert any(w.change.startswith("database.cores") and w.helped for w in first.what_ifs)
        assert not any("bottleneck" in (f.advice or "") for f in diagnosis.findings)
    if path.stem == "month-end-batch":
        budget = next(f for f in diagnosis.findings if f.rule == "services_budget")
        assert budget.text.startswith("batch holds ") and "api had " in budget.text
        assert budget.what_if.overrides == (("services.batch.pool.max_open", 17),)
        assert budget.what_if.effects[0].label == "api: refused requests" and budget.what_if.effects[0].after == 0


def _failed_after(name: str, t: float, **overrides) -> int:
    """Requests that arrived at or after ``t`` and failed."""
    result = simulate(load_scenario(SCENARIO_DIR / f"{name}.yaml", overrides=overrides), record_requests=True)
    return sum(1 for r in result.replications[0].requests if r.arrival >= t and r.outcome != "ok")


@pytest.mark.slow
def test_a_failover_without_a_connect_timeout_outlives_the_outage():
    """failover: thousands of requests fail after the database is back (1m10s), while the
    opener's dials sit in SYN backoff; failover-connect-timeout (the fix): none do."""
    assert _failed_after("failover", 70.0) > 5000
    assert _failed_after("failover-connect-timeout", 70.0) == 0
