"""SLO terms: parsed from their text with one-line errors, judged with a margin and the
replications' 95% interval."""

from __future__ import annotations

import pytest

from simpool import load_scenario, simulate
from simpool.analysis.slo import SloTerm, gate, judge, judge_row, measure, parse_term, parse_terms
from simpool.exceptions import ScenarioError


@pytest.mark.parametrize(("text", "metric", "op", "threshold", "unit"), [
    ("p99_wait<50ms", "wait_ms.p99", "<", 50.0, "ms"),
    (" p95_latency <= 1.5s ", "latency_ms.p95", "<=", 1500.0, "ms"),
    ("mean_wait<250us", "wait_ms.mean", "<", 0.25, "ms"),
    ("max_latency<2s", "latency_ms.max", "<", 2000.0, "ms"),
    ("error_rate<=0.1%", "failure_rate.failed", "<=", 0.001, "%"),
    ("error_rate<0.02", "failure_rate.failed", "<", 0.02, "%"),
    ("refusal_rate<=0", "failure_rate.too_many_connections", "<=", 0.0, "%"),
    ("timeout_rate<1%", "failure_rate.deadline_exceeded", "<", 0.01, "%"),
    ("refusals<=0", "database.refused_connections", "<=", 0.0, ""),
    ("refusals_per_s<0.5", "per_s.refused_connections", "<", 0.5, "/s"),
    ("dials_per_s<5/s", "per_s.dials", "<", 5.0, "/s"),
    ("dials_per_s<=300/min", "per_s.dials", "<=", 5.0, "/s"),
])
def test_terms_read_as_written(text, metric, op, threshold, unit):
    term = parse_term(text)
    assert (term.metric, term.op, term.unit) == (metric, op, unit)
    assert term.threshold == pytest.approx(threshold)
    assert term.text == text.strip()


@pytest.mark.parametrize(("text", "message"), [
    ("p99_wiat<50ms", "--slo 'p99_wiat<50ms': unknown metric 'p99_wiat'; did you mean 'p99_wait'?"),
    ("p99_wait<50", "--slo 'p99_wait<50': missing unit in duration '50'"),
    ("p99_wait 50ms", "--slo 'p99_wait 50ms': expected METRIC<VALUE"),
    ("error_rate<=150%", "--slo 'error_rate<=150%': '150%' is more than 100%: error_rate takes a share"),
    ("error_rate<=lots", "'lots' is not a number: error_rate takes a share such as 0.1% or 0.001"),
    ("refusals==0", "--slo 'refusals==0': use <, <=, > or >= (for none at all: refusals<=0)"),
    ("dials_per_s<5/fortnight", "invalid rate '5/fortnight'"),
    ("refusals<-1", "'-1' must be a finite number >= 0"),
])
def test_bad_terms_are_one_line_errors(text, message):
    with pytest.raises(ScenarioError) as caught:
        parse_terms([text])
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def _term(text="p99_wait<50ms"):
    return parse_term(text)


def test_a_verdict_carries_its_margin_and_confidence():
    """Below the bound by 10 ± 4: passed, and the whole interval is below it."""
    verdict = judge(_term(), 40.0, 4.0)
    assert (verdict.passed, verdict.confident, verdict.margin) == (True, True, 10.0)
    shaky = judge(_term(), 48.0, 4.0)  # 44..52 straddles 50
    assert shaky.passed and not shaky.confident
    missed = judge(_term(), 60.0, 4.0)
    assert (missed.passed, missed.confident, missed.margin) == (False, True, -10.0)


def test_one_replication_is_never_confident():
    verdict = judge(_term(), 10.0, None)
    assert verdict.passed and not verdict.confident and verdict.ci95 is None


def test_the_bound_itself_and_lower_bounds():
    assert judge(_term("refusals<=0"), 0.0, 0.0).passed
    assert not judge(_term("refusals<0"), 0.0, 0.0).passed
    above = judge(SloTerm(text="x", metric="m", op=">=", threshold=5.0, unit=""), 7.0, None)
    assert above.passed and above.margin == 2.0


def test_no_data_fails():
    verdict = judge(_term(), None, None)
    assert not verdict.passed and not verdict.confident


def test_a_run_is_judged_as_a_sweep_point_is():
    """The run's metric row has the sweep row's names, with per-replication CIs."""
    scenario = load_scenario({"duration": "4s", "warmup": "1s", "seed": 5,
                              "fleet": {"instances": 2, "pool": {"max_open": 4, "max_idle": 4}},
                              "workload": {"arrivals": [{"kind": "poisson", "rate": "100/s"}]}})
    result = simulate(scenario, replications=3)
    row = measure(result)
    summary = result.summary()
    assert row["wait_ms.p99"] == summary["wait_ms"]["p99"]["mean"]
    assert row["failure_rate.failed"] == 0 and row["per_s.dials.ci95"] is not None
    wait, errors, dials = gate(parse_terms(["p99_wait<10s", "error_rate<=0", "dials_per_s<0.001"]), result)
    assert wait.passed and wait.confident and errors.passed
    assert not dials.passed
    assert judge_row([_term()], {})[0].passed is False
