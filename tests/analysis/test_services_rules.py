"""The diagnosis with several services: it names the service holding the slots, caps that
service's pool only (leaving the others' budgets), and never blames a budget split for a
saturated database."""

from __future__ import annotations

from simpool import load_scenario
from simpool.analysis import services
from simpool.analysis.diagnosis import diagnose

SCENARIO = load_scenario({"services": [
    {"name": "api", "instances": 4, "pool": {"max_open": 20}},
    {"name": "batch", "instances": 1},
    {"name": "cron", "instances": 1, "pool": {"max_open": 5}},
]})


def _stat(x):
    return {"mean": x}


def _service(refused, held, peak, total=1000):
    return {"requests": {"total": _stat(total), "failed": _stat(refused)},
            "errors": {"too_many_connections": _stat(refused), "deadline_exceeded": _stat(0)},
            "connections": {"at_database_peak": _stat(held)}, "pool": {"peak_open": _stat(peak)}}


def _summary(api, batch, cron, *, utilisation=0.3, queue=0):
    refused = sum(s["errors"]["too_many_connections"]["mean"] for s in (api, batch, cron))
    return {"requests": {"total": _stat(3000), "failed": _stat(refused)},
            "errors": {"too_many_connections": _stat(refused)},
            "database": {"peak_connections": _stat(100), "max_connections": _stat(100),
                         "usable_connections": _stat(97)},
            "pool": {"peak_open": _stat(110)},
            "load": {"utilisation_peak": _stat(utilisation), "queue_max": _stat(queue), "offered_cores": _stat(20),
                     "offered_cores_peak": _stat(24), "utilisation": _stat(utilisation), "core_wait_ms_mean": _stat(3)},
            "services": {"api": api, "batch": batch, "cron": cron}}


def test_the_service_holding_the_slots_is_named_not_the_one_refused_most():
    # The batch was refused more (its own dial storm), but the api is the one starved.
    summary = _summary(_service(50, 30, 40), _service(900, 62, 70), _service(0, 5, 5))
    draft = services.budget_split(SCENARIO, summary)
    assert draft.text.startswith("batch holds 62 of the 97 usable slots")
    assert "api had 50 of its 1,000 requests" in draft.text
    (remedy,) = draft.remedies
    # 97 − api 4 × 20 − cron 1 × 5 = 12 for the batch's one instance.
    assert remedy.overrides == (("services.batch.pool.max_open", 12),)
    assert remedy.goal == "services.api.errors.too_many_connections"
    assert "services.batch.latency_ms.p99" in remedy.effects  # the capped service's cost is shown


def test_no_cap_is_proposed_when_the_others_budgets_leave_no_room():
    crowded = load_scenario({"services": [{"name": "api", "instances": 5, "pool": {"max_open": 20}},
                                          {"name": "batch", "instances": 1}]})
    summary = _summary(_service(50, 40, 100), _service(900, 57, 70), _service(0, 0, 0))
    summary["services"].pop("cron")
    draft = services.budget_split(crowded, summary)
    assert draft.remedies == () and "No MaxOpen for it fits" in draft.text


def test_a_saturated_database_is_not_blamed_on_the_budget():
    summary = _summary(_service(50, 30, 40), _service(900, 62, 70), _service(0, 5, 5), utilisation=1.0, queue=40)
    assert services.budget_split(SCENARIO, summary) is None
    findings = diagnose(SCENARIO, summary)
    rules = [f.rule for f in findings]
    assert rules[0] == "saturated_database" and "services_budget" not in rules
    assert "not a pool's or a budget's" in findings[0].text


def test_a_plain_scenarios_rules_never_run_on_services():
    summary = _summary(_service(50, 30, 40), _service(900, 62, 70), _service(0, 5, 5))
    rules = {f.rule for f in diagnose(SCENARIO, summary)}
    assert rules <= {"refusals", "services_budget", "services_fit", "saturated_database"}
    assert "services_budget" in rules


def test_budgets_that_fit_are_said_to_fit():
    fitting = load_scenario({"services": [{"name": "api", "instances": 4, "pool": {"max_open": 15}},
                                          {"name": "batch", "instances": 1, "pool": {"max_open": 36}}]})
    draft = services.budget_fits(fitting, {"services": {}})
    assert draft.text.startswith("The services' budgets fit: api 4 × 15 + batch 1 × 36 = 96 ≤ 97")
    assert services.budget_fits(SCENARIO, {"services": {}}) is None  # the batch is unbounded
