"""What-if runs: the same traffic (seed, replications, common random numbers) with one
change; advice is given only when its what-if helps, and a saturated database is never
blamed on the pool."""

from __future__ import annotations

import pytest

from simpool import load_scenario, simulate
from simpool.analysis.counterfactual import Counterfactuals, Remedy, changed
from simpool.analysis.diagnosis import diagnose_run, prove

SMALL_SATURATED = {
    "duration": "10s", "warmup": "2s", "seed": 3,
    "database": {"max_connections": 40, "cores": 4, "query": {"dist": "exponential", "mean": "10ms"}},
    "fleet": {"instances": 2, "pool": {"max_open": 8}},
    "workload": {"arrivals": [{"kind": "poisson", "rate": "1000/s"}], "request": {"queries": 1, "timeout": "500ms"}},
}
"""10 cores of work (1,000/s × 10 ms) on 4 cores, behind 2 pools of 8."""


def _remedy(*overrides, goal="failure_rate.failed"):
    return Remedy(change="x", overrides=tuple(overrides), advice="Do x.", goal=goal, effects=(goal, "wait_ms.p99"))


@pytest.fixture(scope="module")
def saturated():
    return simulate(load_scenario(SMALL_SATURATED), replications=2)


def test_no_change_is_the_same_traffic_to_the_last_request(saturated):
    """Common random numbers: re-running with a value equal to the scenario's gives every
    replication's metrics back exactly; so it cannot help."""
    what_ifs = Counterfactuals(saturated)
    proof = what_ifs.prove(_remedy(("fleet.pool.max_open", 8)))
    assert not proof.helped and proof.replications == 2
    assert all(effect.before == effect.after for effect in proof.effects)
    assert what_ifs.outcomes(_remedy(("fleet.pool.max_open", 8))) == \
        [(r.metrics, r.error_messages) for r in saturated.replications]


def test_a_change_runs_once_however_many_findings_propose_it(saturated):
    what_ifs = Counterfactuals(saturated)
    what_ifs.run_all([_remedy(("database.cores", 16)), _remedy(("database.cores", 16), goal="wait_ms.p99")])
    assert what_ifs.runs == 2  # one change × 2 replications
    what_ifs.prove(_remedy(("database.cores", 16)))
    assert what_ifs.runs == 2


def test_the_saturated_database_is_not_blamed_on_the_pool(saturated):
    """The database's cores are the cause: more cores, faster queries or less traffic
    help (each proved); a larger pool does not, so the pool is not blamed and no pool
    advice is given."""
    diagnosis = diagnose_run(saturated)
    first = diagnosis.findings[0]
    assert first.rule == "saturated_database" and first.severity == "problem"
    assert first.what_if.helped and first.what_if.change == "database.cores 4 → 16"
    proofs = {w.change: w for w in first.what_ifs}
    assert [w.helped for w in first.what_ifs] == [True, True, True, False]
    larger = proofs["SetMaxOpenConns(18)"]
    failed = {e.metric: e for e in larger.effects}["failure_rate.failed"]
    assert failed.after >= 0.9 * failed.before > 0.5, "a larger pool fails as much"
    cores = {e.metric: e for e in first.what_if.effects}["failure_rate.failed"]
    assert cores.after == 0 < cores.before
    assert "No pool setting can fix this" in first.text and first.advice.startswith("What can fix it: about 16 cores")
    pool = next(f for f in diagnosis.findings if f.rule == "pool_bottleneck")
    assert pool.advice is None and not pool.what_if.helped and pool.severity == "note"
    assert "SetMaxOpenConns" not in pool.text
    assert diagnosis.runs == 4 * 2, "four changes (the pool's is shared), each on both replications"


def test_advice_that_does_not_help_is_not_given(saturated):
    """A remedy whose what-if changes nothing keeps its finding's description and loses
    its advice; the what-if that showed it stays, marked as no help."""
    from simpool.analysis import rules

    def no_op(scenario, summary):
        return rules.Draft("test", "warning", "Something happened.", remedies=(_remedy(("fleet.pool.max_open", 8)),))

    finding = prove(no_op(None, None), Counterfactuals(saturated))
    assert finding.text == "Something happened." and finding.advice is None
    assert finding.what_if is not None and not finding.what_if.helped


def test_what_ifs_off_means_no_advice(saturated):
    diagnosis = diagnose_run(saturated, what_ifs=False)
    assert not diagnosis.what_ifs and diagnosis.runs == 0
    assert all(f.advice is None and not f.what_ifs for f in diagnosis.findings)
    assert "What can fix it" not in diagnosis.findings[0].text


def test_changes_are_validated_as_fields_and_files_stay_loaded(tmp_path):
    trace = tmp_path / "t.csv"
    trace.write_text("t_ms\n0\n5\n")
    scenario = load_scenario({"workload": {"arrivals": [{"kind": "trace", "file": "t.csv"},
                                                        {"kind": "poisson", "rate": "10/s"}]}}, base_dir=tmp_path)
    trace.unlink()  # a what-if must not read it again
    new = changed(scenario, [("fleet.pool.conn_max_idle_time", "5m"), ("workload.arrivals.1.rate", "20/min"),
                             ("database.query", {"dist": "constant", "value": "3ms"})])
    assert new.fleet.pool.conn_max_idle_time == 300 and new.workload.arrivals[1].rate == pytest.approx(1 / 3)
    assert new.database.query.mean == 0.003 and new.workload.arrivals[0].rows == scenario.workload.arrivals[0].rows
    assert scenario.fleet.pool.conn_max_idle_time == 0, "the original is left alone"
    with pytest.raises(Exception, match="greater than or equal to 0"):
        changed(scenario, [("fleet.pool.max_open", -1)])


@pytest.mark.slow
def test_what_ifs_on_worker_processes_give_the_same_proofs(saturated):
    one = diagnose_run(saturated, jobs=1)
    two = diagnose_run(saturated, jobs=2)
    assert one == two
