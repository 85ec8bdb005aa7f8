"""The diagnosis rules: each names its cause with the numbers, proposes the change that
should fix it (advice only once a what-if proves it: tests/analysis/test_whatif.py), and
stays silent when the cause is absent. Summaries are built by hand so every rule can be
made to fire or not."""

from __future__ import annotations

from typing import Any

import pytest

from simpool import load_scenario
from simpool.analysis.diagnosis import diagnose
from simpool.analysis.rules import (
    bad_connections,
    healthy,
    idle_churn,
    leaked_rows,
    orphaned_sessions,
    pool_waits,
    pools_exceed_cap,
    refusals,
    restarts,
    slow_without_waits,
    unlimited_pools,
)
from simpool.analysis.saturation import saturated_database

SECTIONS = {
    "requests": ("total", "ok", "failed", "unfinished"),
    "errors": ("too_many_connections", "deadline_exceeded", "bad_connection", "other"),
    "wait_ms": ("mean", "p50", "p95", "p99", "max"),
    "latency_ms": ("mean", "p50", "p95", "p99", "max"),
    "pool": ("wait_count", "wait_duration_s", "max_idle_closed", "max_idle_time_closed",
             "max_lifetime_closed", "dials", "failed_dials", "handshake_s", "peak_open"),
    "database": ("peak_connections", "max_connections", "usable_connections", "refused_connections"),
    "load": ("cores", "offered_cores", "offered_cores_peak", "busy_cores", "busy_cores_peak", "utilisation",
             "utilisation_peak", "queue_mean", "queue_p99", "queue_max", "core_wait_ms_mean", "core_wait_ms_p99"),
}


def summary(messages: dict[str, int] | None = None, replications: int = 1, peaks: tuple[float, ...] = (),
            **values: float) -> dict[str, Any]:
    """A summary document, every metric 0 but those given as ``section__key=value``
    (``peaks``: each instance's peak open connections)."""
    doc: dict[str, Any] = {"scenario": "t", "seed": 1, "replications": replications,
                           "instances": [{"name": f"app-{i}", "peak_open": {"mean": p}} for i, p in enumerate(peaks)],
                           "error_messages": messages or {}}
    for section, keys in SECTIONS.items():
        doc[section] = {key: {"mean": 0.0} for key in keys}
    doc["database"]["max_connections"]["mean"] = 100.0
    doc["database"]["usable_connections"]["mean"] = 97.0
    for name, value in values.items():
        section, key = name.split("__")
        doc[section][key] = {"mean": float(value)}
    return doc


def scenario(**data: Any):
    return load_scenario(data)


# ---------------------------------------------------------------------------- unlimited pools


def test_unlimited_pools_names_the_fleet_and_the_usable_cap():
    """Go's default pools on 3 instances against PostgreSQL's 97 for ordinary roles."""
    finding = unlimited_pools(scenario(), summary(errors__too_many_connections=5))
    assert finding.severity == "problem"
    assert finding.text.startswith("3 instances × unlimited MaxOpen")
    assert "PostgreSQL allows 97 to ordinary roles (max_connections 100 − 3 reserved for superusers)" in finding.text


def test_unlimited_pools_without_refusals_is_a_warning():
    assert unlimited_pools(scenario(), summary()).severity == "warning"


def test_unlimited_pools_silent_when_max_open_is_set():
    assert unlimited_pools(scenario(fleet={"pool": {"max_open": 25}}), summary()) is None


def test_unlimited_pools_propose_the_cap_that_fits():
    """3 instances and 97 usable slots: SetMaxOpenConns(32), 3 × 32 = 96; other clients
    and the autoscaler's maximum count; no refusals, no remedy (a risk, not a failure)."""
    (remedy,) = unlimited_pools(scenario(), summary(errors__too_many_connections=5)).remedies
    assert remedy.overrides == (("fleet.pool.max_open", 32),) and remedy.change == "SetMaxOpenConns(32)"
    assert "3 × 32 = 96 ≤ 97" in remedy.advice and remedy.goal == "failure_rate.too_many_connections"
    (remedy,) = unlimited_pools(scenario(database={"other_clients": 10}, fleet={"instances": 2, "autoscale": {
        "max": 8, "target": "100/s"}}), summary(errors__too_many_connections=5)).remedies
    assert remedy.overrides == (("fleet.pool.max_open", 10),)  # (97 − 10) // 8
    assert unlimited_pools(scenario(), summary()).remedies == ()


def test_a_pool_per_request_is_fixed_by_one_pool():
    (remedy,) = unlimited_pools(scenario(pitfalls={"pool_per_request": True}),
                                summary(errors__too_many_connections=5)).remedies
    assert remedy.overrides == (("pitfalls.pool_per_request", False),)
    assert "one *sql.DB per process" in remedy.advice


@pytest.mark.parametrize(("data", "phrase"), [
    ({"database": {"flavor": "mysql"}}, "MySQL allows 151 (max_connections)"),
    ({"database": {"other_clients": 10}}, "97 to ordinary roles (max_connections 100 − 3 reserved for superusers), "
                                          "10 of them held by other clients"),
    ({"database": {"reserved_connections": 2}}, "PostgreSQL allows 95 to ordinary roles"),
    ({"fleet": {"instances": 2, "autoscale": {"max": 8, "target": "100/s"}}}, "Up to 8 instances (autoscale max)"),
    ({"fleet": {"instances": 4, "deploy": {"at": "10s", "batch": 2}}},
     "8 instances during a rolling deploy (4 + 2 new + 2 draining)"),
    ({"pitfalls": {"pool_per_request": True}}, "Every request opens its own pool"),
])
def test_unlimited_pools_wording_follows_the_scenario(data, phrase):
    assert phrase in unlimited_pools(scenario(**data), summary()).text


# ---------------------------------------------------------------------------- sum of MaxOpen


def test_sum_of_max_open_above_the_cap():
    finding = pools_exceed_cap(scenario(fleet={"instances": 4, "pool": {"max_open": 30}}), summary())
    assert finding.rule == "pools_exceed_cap" and finding.severity == "warning"
    assert "4 instances × MaxOpen 30 = 120 connections can exceed the 97 PostgreSQL allows ordinary roles" in finding.text
    assert finding.remedies == ()


def test_refusals_from_the_sum_propose_a_fitting_cap_or_more_slots():
    finding = pools_exceed_cap(scenario(fleet={"instances": 4, "pool": {"max_open": 30}}),
                               summary(errors__too_many_connections=3))
    fit, slots = finding.remedies
    assert fit.overrides == (("fleet.pool.max_open", 24),)  # 97 // 4
    assert slots.overrides == (("database.max_connections", 123),)  # 4 × 30 + 3 reserved


def test_other_clients_push_the_sum_over():
    finding = pools_exceed_cap(scenario(fleet={"pool": {"max_open": 30}}, database={"other_clients": 10}),
                               summary(errors__too_many_connections=1))
    assert finding.severity == "problem"
    assert "= 90 connections + 10 held by other clients can exceed the 97" in finding.text


def test_autoscaler_max_counts():
    finding = pools_exceed_cap(scenario(fleet={"pool": {"max_open": 25},
                                               "autoscale": {"min": 3, "max": 8, "target": "150/s"}}), summary())
    assert "Up to 8 instances (autoscale max) × MaxOpen 25 = 200 connections" in finding.text


def test_pools_that_fit_say_so():
    finding = pools_exceed_cap(scenario(fleet={"pool": {"max_open": 25}}), summary())
    assert finding.rule == "pools_fit" and finding.severity == "note"
    assert "3 instances × MaxOpen 25 = 75 connections fit within the 97 usable" in finding.text


def test_sum_rule_silent_for_unlimited_pools():
    assert pools_exceed_cap(scenario(), summary()) is None


# ---------------------------------------------------------------------------- refusals


def test_refusals_quote_the_database_and_its_peak():
    messages = {"FATAL: sorry, too many clients already (SQLSTATE 53300)": 850,
                "context deadline exceeded": 3}
    finding = refusals(scenario(), summary(messages, requests__total=90359, errors__too_many_connections=2970,
                                           database__peak_connections=100, pool__peak_open=112))
    assert finding.severity == "problem"
    text = finding.text
    assert text.startswith("2,970 of 90,359 requests (3.3%) failed because PostgreSQL refused a connection")
    assert '"FATAL: sorry, too many clients already (SQLSTATE 53300)" (850×)' in text
    assert "context deadline" not in text
    assert "peaked at 100 of max_connections 100 (97 usable by the app)" in text
    assert "up to 112 connections open or dialing" in text


def test_refusal_counts_are_per_replication():
    """The summary's error_messages are already means per replication; quoted as they are."""
    finding = refusals(scenario(), summary({"Error 1040 (08004): Too many connections": 100.0}, replications=3,
                                           requests__total=1000, errors__too_many_connections=100))
    assert '"Error 1040 (08004): Too many connections" (100×)' in finding.text


def test_no_refusals_no_finding():
    assert refusals(scenario(), summary(requests__total=10)) is None


# ---------------------------------------------------------------------------- idle churn


def test_idle_churn_counts_dials_closes_and_handshake_time():
    finding = idle_churn(scenario(), summary(requests__total=90359, pool__dials=23920,
                                             pool__max_idle_closed=20962, pool__handshake_s=595.1))
    assert finding.severity == "warning"
    text = finding.text
    assert text.startswith("Most dials came from idle connections closed by MaxIdle")
    assert "23,920 dials for 90,359 requests" in text and "20,962 connections were closed" in text
    assert "because 2 were already idle" in text
    assert "595 s in total, 6.6 ms per request" in text
    assert finding.remedies == (), "no instance peaks in this summary: nothing to size MaxIdle by"


def test_idle_churn_keeps_each_pools_peak_within_the_cap():
    """Unlimited pools peaking at 43-45 connections: MaxIdle 32, what the 97 slots allow
    each of 3 pools (Go's default 2 closed the rest)."""
    finding = idle_churn(scenario(), summary(requests__total=90359, pool__dials=23920, pool__max_idle_closed=20962,
                                             peaks=(43, 44, 45)))
    (remedy,) = finding.remedies
    assert remedy.overrides == (("fleet.pool.max_idle", 32),) and remedy.goal == "pool.dials"
    assert "SetMaxIdleConns(32)" in remedy.advice and "Go's default keeps 2" in remedy.advice
    assert "SetMaxIdleConns" not in finding.text, "advice waits for its what-if"


def test_idle_churn_advice_with_max_open():
    finding = idle_churn(scenario(fleet={"pool": {"max_open": 30}}),
                         summary(requests__total=1000, pool__dials=400, pool__max_idle_closed=390))
    (remedy,) = finding.remedies
    assert remedy.overrides == (("fleet.pool.max_idle", 30),)
    assert "as many as each pool may open" in remedy.advice


@pytest.mark.parametrize("values", [
    {"requests__total": 90000, "pool__dials": 20000, "pool__max_idle_closed": 5000},  # dials from elsewhere
    {"requests__total": 90000, "pool__dials": 50, "pool__max_idle_closed": 50},       # a handful
])
def test_idle_churn_silent_when_maxidle_is_not_the_cause(values):
    assert idle_churn(scenario(), summary(**values)) is None


# ---------------------------------------------------------------------------- pool waits


def test_deadlines_missed_while_waiting_propose_a_larger_max_open():
    finding = pool_waits(scenario(fleet={"pool": {"max_open": 25}}),
                         summary(requests__total=1000, errors__deadline_exceeded=50, pool__wait_count=900,
                                 wait_ms__p99=1980))
    assert finding.rule == "pool_bottleneck" and finding.severity == "problem"
    assert "50 requests (5.0%) missed their 2s deadline" in finding.text
    assert "p99 wait 1,980 ms" in finding.text
    assert "bottleneck" not in finding.text, "the blame is advice: it waits for its what-if"
    (remedy,) = finding.remedies
    assert remedy.overrides == (("fleet.pool.max_open", 32),)
    assert "MaxOpen 25 per instance is the bottleneck" in remedy.advice


def test_with_a_saturated_database_the_pool_is_not_blamed():
    finding = pool_waits(scenario(fleet={"pool": {"max_open": 20}}),
                         summary(requests__total=1000, errors__deadline_exceeded=700, pool__wait_count=900),
                         saturated=True)
    assert finding.severity == "note" and "the database is the bottleneck" in finding.text


def test_waits_without_failures_are_fine():
    finding = pool_waits(scenario(fleet={"pool": {"max_open": 25}}),
                         summary(requests__total=1000, pool__wait_count=400, wait_ms__p99=51))
    assert finding.rule == "pool_waits" and finding.severity == "ok"
    assert "400 checkouts waited" in finding.text and "p99 wait 51 ms" in finding.text


def test_no_waits_no_pool_finding():
    assert pool_waits(scenario(), summary(errors__deadline_exceeded=5)) is None


def test_deadlines_without_waits_blame_the_database():
    finding = slow_without_waits(scenario(), summary(requests__total=100, errors__deadline_exceeded=5,
                                                     latency_ms__p99=2000))
    assert "without waiting in a pool" in finding.text and "16 cores" in finding.text
    assert slow_without_waits(scenario(), summary(errors__deadline_exceeded=5, pool__wait_count=3)) is None


# ---------------------------------------------------------------------------- pitfalls and the network


def test_leaked_rows_held_until_the_deadline():
    finding = leaked_rows(scenario(pitfalls={"leaked_rows": 0.05}, fleet={"pool": {"max_open": 25}}),
                          summary(requests__total=1000, pool__peak_open=75))
    assert "About 50 of 1,000 requests (5.0%, pitfalls.leaked_rows) never closed their rows" in finding.text
    assert "until its 2s deadline" in finding.text and "25 per instance" in finding.text
    assert finding.remedies[0].overrides == (("pitfalls.leaked_rows", 0),)


def test_leaked_rows_without_deadline_are_held_for_good():
    finding = leaked_rows(scenario(pitfalls={"leaked_rows": 0.01, "no_deadline": True}), summary(requests__total=100))
    assert "for good" in finding.text
    assert leaked_rows(scenario(), summary(requests__total=100)) is None


IDLE_DROP = {"network": {"idle_drop": "350s", "keepalive": "0"}}


def test_bad_connections_name_the_idle_drop():
    finding = bad_connections(scenario(**IDLE_DROP), summary(errors__bad_connection=12))
    assert '12 requests failed with "driver: bad connection"' in finding.text
    assert "idle longer than 5m50s" in finding.text
    (remedy,) = finding.remedies
    assert remedy.overrides == (("fleet.pool.conn_max_idle_time", "2m55s"),)


def test_bad_connections_name_the_server_idle_timeout():
    finding = bad_connections(scenario(database={"flavor": "mysql", "idle_timeout": "30s"}),
                              summary(errors__bad_connection=1))
    assert "the server closed sessions idle longer than 30s" in finding.text
    assert bad_connections(scenario(**IDLE_DROP), summary()) is None


def test_orphaned_sessions_after_silent_drops():
    finding = orphaned_sessions(scenario(**IDLE_DROP), summary(database__peak_connections=100, pool__peak_open=39))
    assert finding.severity == "problem"
    assert "held up to 100 connections while the pools had at most 39 open" in finding.text
    assert "orphaned session for 2h11m15s" in finding.text
    idle_time, keepalive = finding.remedies
    assert idle_time.overrides == (("fleet.pool.conn_max_idle_time", "2m55s"),)
    assert keepalive.overrides == (("network.keepalive", "15s"),)


@pytest.mark.parametrize("data", [
    {"network": {"idle_drop": "350s", "keepalive": "15s"}},                      # keepalive saves the flows
    {**IDLE_DROP, "fleet": {"pool": {"conn_max_idle_time": "5m"}}},              # idle conns retired first
    {},                                                                          # no middlebox
])
def test_no_orphans_when_flows_survive_or_retire(data):
    assert orphaned_sessions(scenario(**data), summary(database__peak_connections=100, pool__peak_open=39)) is None


# ---------------------------------------------------------------------------- the verdict


def test_healthy_run_says_so_first():
    s = scenario(fleet={"pool": {"max_open": 25, "max_idle": 10}})
    findings = diagnose(s, summary(requests__total=90359, requests__ok=90359, database__peak_connections=75,
                                   pool__wait_count=10, wait_ms__p99=51, latency_ms__p99=127))
    assert findings[0].rule == "healthy"
    assert findings[0].text.startswith("Healthy: all 90,359 requests succeeded")
    assert "peaked at 75 of the 97 connections" in findings[0].text


def test_no_healthy_verdict_with_failures_or_warnings():
    assert healthy(scenario(), summary(requests__failed=1), []) is None
    warned = diagnose(scenario(), summary(requests__total=10))  # unlimited pools: a warning
    assert all(f.rule != "healthy" for f in warned)


def test_problems_come_first():
    findings = diagnose(scenario(), summary({"FATAL: sorry, too many clients already (SQLSTATE 53300)": 5},
                                            requests__total=1000, requests__failed=5, errors__too_many_connections=5,
                                            pool__dials=400, pool__max_idle_closed=380))
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=["problem", "warning", "note", "ok"].index)
    assert [f.rule for f in findings][:2] == ["refusals", "unlimited_pools"]
    assert "idle_churn" in [f.rule for f in findings]



# ---------------------------------------------------------------------------- a saturated database

SATURATED = {"database": {"max_connections": 200, "other_clients": 10, "cores": 16,
                          "query": {"dist": "exponential", "mean": "30ms"}},
             "fleet": {"instances": 8, "pool": {"max_open": 20}},
             "workload": {"arrivals": [{"kind": "poisson", "rate": "2000/s"}], "request": {"queries": 1}}}


def saturated_summary(**values: float) -> dict[str, Any]:
    return summary(**{"requests__total": 100000, "requests__failed": 73000, "errors__deadline_exceeded": 73000,
                      "pool__wait_count": 99000, "load__cores": 16, "load__offered_cores": 60,
                      "load__offered_cores_peak": 63.4, "load__utilisation": 1.0, "load__utilisation_peak": 1.0,
                      "load__queue_mean": 142, "load__queue_max": 146, "load__core_wait_ms_mean": 238, **values})


def test_a_saturated_database_is_named_with_its_load():
    """60 cores of work offered to 16: the numbers, and three remedies sized to use 80%
    of the cores in the busiest second (63.4 cores offered)."""
    finding = saturated_database(scenario(**SATURATED), saturated_summary())
    assert finding.rule == "saturated_database" and finding.severity == "problem"
    assert finding.text.startswith("The database is saturated: the traffic offers 60.0 cores of query work")
    assert "63.4 in the busiest second, to 16 cores" in finding.text and "100% busy" in finding.text
    cores, faster, traffic = finding.remedies
    assert cores.overrides == (("database.cores", 80),)  # 63.4 / 0.8 = 79.3, in steps of 4
    ((path, spec),) = faster.overrides
    assert path == "database.query" and spec["dist"] == "exponential" and spec["mean"] == "6.06ms"
    assert traffic.overrides == (("workload.arrivals.0.rate", "404/s"),)
    (larger,) = finding.refutes
    assert larger.overrides == (("fleet.pool.max_open", 23),)  # (197 − 10) // 8
    assert "No pool setting can fix this" in finding.claim


def test_a_database_saturated_only_at_its_peaks_says_so():
    finding = saturated_database(scenario(**SATURATED), saturated_summary(load__offered_cores=12))
    assert finding.text.startswith("The database saturates at the peaks: the traffic offers 12.0 cores")
    assert "on average but 63.4 in the busiest second, to 16 cores" in finding.text


def test_an_idle_or_unlimited_database_is_not_saturated():
    assert saturated_database(scenario(**SATURATED), saturated_summary(load__utilisation_peak=0.6)) is None
    assert saturated_database(scenario(**SATURATED), saturated_summary(load__queue_max=0)) is None
    unlimited = {**SATURATED, "database": {**SATURATED["database"], "cores": 0}}
    assert saturated_database(scenario(**unlimited), saturated_summary()) is None


def test_saturation_outranks_the_pool_rules():
    findings = diagnose(scenario(**SATURATED), saturated_summary())
    assert findings[0].rule == "saturated_database"
    pool = next(f for f in findings if f.rule == "pool_bottleneck")
    assert pool.severity == "note" and "MaxOpen 20 per instance is the bottleneck" not in pool.text
    assert all(f.rule != "slow_database" for f in findings)


def test_without_what_ifs_no_advice_is_given():
    """diagnose() without what-if runs: descriptions only."""
    findings = diagnose(scenario(), summary(requests__total=90359, errors__too_many_connections=2970,
                                            pool__dials=23920, pool__max_idle_closed=20962, peaks=(43, 44, 45)))
    assert all(f.advice is None and f.what_if is None for f in findings)
    assert not any("SetMaxOpenConns(" in f.text or "SetMaxIdleConns(" in f.text for f in findings)


# ---------------------------------------------------------------------------- restarts


def test_restarts_say_when_and_what_it_cost():
    silent = scenario(database={"restarts": [{"at": "1m", "down": "10s", "answer": "silent"}]},
                      fleet={"pool": {"max_open": 30}})
    draft = restarts(silent, summary(requests__total=1000, requests__failed=150))
    assert "went away once (at 1m for 10s, silently: a failover)" in draft.text
    assert "150 of 1,000 requests (15.0%) failed" in draft.text
    assert [r.change for r in draft.remedies] == ["connect_timeout=1s"]


@pytest.mark.parametrize("data", [
    {"database": {"restarts": [{"at": "1m", "down": "10s"}]}, "fleet": {"pool": {"max_open": 30}}},
    {"database": {"restarts": [{"at": "1m", "down": "10s", "answer": "silent"}]}},
    {"database": {"restarts": [{"at": "1m", "down": "10s", "answer": "silent"}]},
     "fleet": {"pool": {"max_open": 30, "connect_timeout": "2s"}}},
])
def test_a_connect_timeout_is_proposed_only_where_dials_can_hang(data):
    """A refused dial fails at once; unlimited pools have no opener dials to hang; a
    connect timeout already set needs no advice."""
    assert restarts(scenario(**data), summary(requests__total=1000, requests__failed=150)).remedies == ()


def test_no_restarts_no_finding():
    assert restarts(scenario(), summary(requests__total=1000)) is None
