"""``recommend`` on a scenario with services: one service's pool tuned against its own
metrics, the cap left by the others' bounds; an unbounded other service is the finding."""

import pytest

from simpool.analysis.recommend import recommend
from simpool.analysis.slo import for_service, judge_row, parse_term
from simpool.cli.common import load
from simpool.exceptions import ScenarioError
from simpool.sweeps.adaptive import Point, Replicator

SHORT = ["duration=100s"]
"""The batch's month-end spike starts at 1m and lasts 40 s: 100 s keeps the story."""


def test_a_service_term_reads_that_services_own_metrics():
    """``api:error_rate<=0`` and ``for_service`` read ``services.api.failure_rate.failed``,
    which the metric row now has per service; a database-wide count is refused per service."""
    term = parse_term("api:error_rate<=0")
    assert term.service == "api" and term.metric == "services.api.failure_rate.failed"
    assert for_service(parse_term("error_rate<=0"), "api") == term
    assert for_service(parse_term("p99_wait<100ms"), "batch").metric == "services.batch.wait_ms.p99"
    with pytest.raises(ScenarioError, match="whole database"):
        for_service(parse_term("refusals<=0"), "api")
    scenario = load("month-end-batch", ["duration=40s", "warmup=5s"])
    with Replicator(jobs=1) as replicator:
        row = replicator.run([Point("p", scenario, 1)], min_replications=2, max_replications=2,
                             decide=lambda *_: True)["p"]
    api = row["services.api.requests.failed"] / row["services.api.requests.total"]
    assert row["services.api.failure_rate.failed"] == pytest.approx(api)
    assert row["services.batch.per_s.dials"] == pytest.approx(row["services.batch.pool.dials"] / 35)
    assert row["services.api.per_s.dials"] + row["services.batch.per_s.dials"] == pytest.approx(row["per_s.dials"])
    (verdict,) = judge_row([term], row)
    assert verdict.value == row["services.api.failure_rate.failed"]


def test_one_service_is_tuned_under_what_the_others_leave():
    """month-end-budget caps batch at 1 × 36: api's cap is (97 − 36) // 4 = 15, and its
    answer is proved on api's own p99 wait, with batch held as the scenario sets it."""
    scenario = load("month-end-budget", SHORT)
    rec = recommend(scenario, ["p99_wait<100ms", "error_rate<=0"], service="api", jobs=2)
    assert rec.service == "api" and rec.others == (("batch", 36, "batch 1 × 36"),)
    assert rec.cap == 15 and rec.fits and 1 <= rec.max_open <= 15
    assert rec.margin == 97 - 4 * rec.max_open - 36
    assert all(path.startswith("services.api.pool.") for probe in rec.probes for path, _ in probe.overrides)
    assert {v.term.metric for v in rec.at.verdicts} == {"services.api.wait_ms.p99", "services.api.failure_rate.failed",
                                                        "services.api.per_s.dials"}
    assert rec.at.passed and all(v.value < 100 for v in rec.at.verdicts if v.term.metric.endswith("p99"))
    below = next(p for p in rec.neighbours if p.setting("services.api.pool.max_open") == rec.max_open - 1)
    assert not below.passed, "the value below the answer is measured and misses"


def test_an_unbounded_other_service_must_be_capped_first():
    """On month-end-batch, batch has Go's unlimited MaxOpen: no cap for api exists; the
    finding says so with what batch held in a run of the scenario as it is."""
    scenario = load("month-end-batch", SHORT)
    rec = recommend(scenario, ["error_rate<=0"], service="api", jobs=2)
    assert not rec.fits and rec.cap == 0
    (change,) = rec.changes
    assert change.kind == "cap_others" and change.text.startswith("Cap batch first")
    held = change.proof.row()["services.batch.connections.at_database_peak"]
    assert held > 50 and f"held {round(held)} slots" in change.text
    assert not change.proof.passed, "the api is refused while batch is unbounded"


def test_the_budget_split_keeps_the_api_free_of_refusals_and_caps_the_batch(tmp_path):
    """The story check: on month-end-batch the api is refused while batch is unbounded;
    the split searches api (its only terms), gives batch the rest, and the whole split,
    applied in one run on the same traffic, keeps api free of refusals."""
    from simpool.analysis.budget_split import split_budget
    from simpool.sweeps.cache import RunCache

    scenario = load("month-end-batch", SHORT)
    split = split_budget(scenario, ["api:error_rate<=0"], jobs=2, cache=RunCache(tmp_path / "cache"))
    assert split.baseline.row()["services.api.errors.too_many_connections"] > 100, "the problem shows first"
    api, batch = split.shares
    assert (api.service, api.how, batch.service, batch.how) == ("api", "searched", "batch", "rest")
    assert 1 <= api.max_open < 20 and api.recommendation.fits
    assert batch.max_open == 97 - 4 * api.max_open, "batch takes what api leaves, no more"
    assert split.line == f"api 4 × {api.max_open} + batch 1 × {batch.max_open} + other 0 = 97 ≤ 97"
    assert split.fits and split.final.row()["services.api.errors.too_many_connections"] == 0
    assert split.final.row()["database.refused_connections"] == 0
    assert split.final.row()["services.batch.connections.at_database_peak"] <= batch.max_open
    settings = dict(split.final.overrides)
    assert settings["services.batch.pool.max_open"] == batch.max_open
    assert settings["services.api.pool.max_open"] == api.max_open


def test_the_split_refuses_a_term_for_no_service():
    from simpool.analysis.budget_split import split_budget

    with pytest.raises(ScenarioError, match="no service 'web'"):
        split_budget(load("month-end-batch", SHORT), ["web:error_rate<=0"])


def test_a_ci_of_identical_replications_prints_as_zero_not_a_rounding_residue():
    from simpool.render.recommend_table import figure

    assert figure(0.343, 1.69e-16, "/s") == "0.343 ± 0/s"
    assert figure(5.71, 1.0, "/s") == "5.71 ± 1/s"
