"""The proof's paperwork, without Go: the committed results cover every trace under both
Go releases and all agree; the README's tables and ``validation/RESULTS.md`` are what
``validation.report`` renders from them (nobody typed them in); and the comparison's
arithmetic (what is replayed, how tolerances are made) does what it says."""

from __future__ import annotations

import math

import pytest

from validation import report
from validation.compare import CHECKS, SIGMAS, check
from validation.gorun import TOOLCHAINS, harness_config
from validation.replay import measured
from validation.traces import TRACES, Trace


@pytest.fixture(scope="module")
def results():
    return report.load_results()


def test_results_cover_every_trace_under_both_go_releases(results):
    """One comparison per trace and toolchain, of today's traces, each run by its profile."""
    assert results["traces"] == {t.name: t.digest for t in TRACES}, "traces changed: rerun python -m validation.report"
    seen = {(c.trace, c.go_version.rsplit(".", 1)[0], c.profile) for c in results["comparisons"]}
    assert seen == {(t.name, f"go{tc.version}", tc.profile) for t in TRACES for tc in TOOLCHAINS}


def test_every_committed_comparison_agrees(results):
    failures = [c.explain() for c in results["comparisons"] if c.failures]
    assert not failures, "\n".join(failures)


def test_readme_tables_are_rendered_from_the_results(results):
    readme = report.README.read_text(encoding="utf-8")
    for key, body in (("go", report.render_go_table(results["comparisons"])),
                      ("theory", report.render_theory_table(results["theory"]))):
        start, end = report.MARKERS[key]
        assert f"{start}\n{body}\n{end}" in readme, f"README's {key} table is not the rendered results"


def test_details_are_rendered_from_the_results(results):
    assert report.DETAILS.read_text(encoding="utf-8") == report.render_details(results["comparisons"])


def test_committed_theory_checks_pass_their_margins(results):
    for row in results["theory"]:
        assert math.isclose(row["simpool"], row["theory"], rel_tol=row["margin"]), row["check"]


TINY = Trace("tiny", "two requests", rows=((0.0, 0, 5.0, 40.0), (1.0, 0, 5.0, 40.0)), max_open=1, max_idle=1)


def _run(requests, dials):
    return {"go_version": "go1.23.5", "requests": requests, "dials": dials}


def test_measured_replays_what_go_really_did():
    """Each request asks when Go asked, holds its connection from hand-over to return, has
    its deadline when it really took effect, and dials for as long as its own dial took;
    what Go did not show is nominal plus the request's own lateness."""
    run = _run(
        requests=[
            {"id": 0, "arrival_ms": 0.2, "acquired_ms": 3.4, "released_ms": 8.9, "completed": True,
             "wait_ms": 3.2, "latency_ms": 8.9, "deadline_ms": None, "outcome": "ok"},
            {"id": 1, "arrival_ms": 1.3, "acquired_ms": 8.9, "released_ms": 41.5, "completed": False,
             "wait_ms": 7.6, "latency_ms": 40.2, "deadline_ms": 40.1, "outcome": "deadline_exceeded"},
        ],
        dials=[{"request": 0, "outcome": "ok", "start_ms": 0.2, "end_ms": 3.4},
               {"request": -1, "outcome": "ok", "start_ms": 9.0, "end_ms": 12.6}])
    inputs = measured(TINY, run)
    first, second = inputs.rows
    # Its deadline never fired: 40 ms plus its query's lateness (5.5 - 5); its dial from
    # asking at 0.2 ms to the connection at 3.4 ms.
    assert first == (pytest.approx(0.2), 0, pytest.approx(5.5), pytest.approx(40.0 + 0.5), pytest.approx(3.2))
    # Cancelled mid-query: its deadline as its context timed it (40.1 ms, not 40.2 ms when
    # it returned), its query nominal 5 ms plus that same lateness.
    assert second == (pytest.approx(1.3), 0, pytest.approx(5.0 + 0.1), pytest.approx(40.1), None)
    assert inputs.handshakes_ms == (pytest.approx(3.2), pytest.approx(3.6))


def test_each_moment_is_placed_within_the_harness_resolution():
    """With 10 µs between the pool's hand-over and the query (what the harness cannot
    place), each seed moves every measured moment by at most ±5 µs."""
    run = _run(
        requests=[{"id": i, "arrival_ms": i + 1.0, "acquired_ms": i + 4.0, "released_ms": i + 9.0,
                   "completed": True, "wait_ms": 3.01, "latency_ms": 8.0, "deadline_ms": None, "outcome": "ok"} for i in range(2)],
        dials=[{"request": i, "outcome": "ok", "start_ms": i + 1.0, "end_ms": i + 4.0} for i in range(2)])
    exact = [(i + 1.0, 0, 5.0, None, 3.0) for i in range(2)]
    seen = set()
    for seed in range(5):
        rows = measured(TINY, run, seed).rows
        seen.add(rows[0][0])
        for row, (t, _, hold, _, dial) in zip(rows, exact, strict=True):
            assert row[0] == pytest.approx(t, abs=0.005) and row[2] == pytest.approx(hold, abs=0.005)
            assert row[4] == pytest.approx(dial, abs=0.005)
    assert len(seen) == 5  # and the seeds do move them


def test_a_refused_dial_is_replayed_at_its_measured_cost():
    """A dial refused before authentication pays the refused share of its handshake in
    simpool: the row's handshake is its time over that share (measured in the run)."""
    run = _run(
        requests=[{"id": i, "arrival_ms": float(i), "acquired_ms": None, "released_ms": None, "completed": False,
                   "wait_ms": 1.5, "latency_ms": 1.5, "deadline_ms": None, "outcome": "too_many_connections"} for i in range(2)],
        dials=[{"request": -1, "outcome": "ok", "start_ms": 0.0, "end_ms": 4.0},
               {"request": 0, "outcome": "refused", "start_ms": 0.0, "end_ms": 1.0},
               {"request": 1, "outcome": "refused", "start_ms": 1.01, "end_ms": 3.0}])
    inputs = measured(TINY, run)
    assert inputs.refused_handshake == pytest.approx(1.5 / 4.0)  # own dials timed from their asking
    assert [row[4] * inputs.refused_handshake for row in inputs.rows] == [pytest.approx(1.0), pytest.approx(2.0)]


def test_sigmas_keep_false_alarms_of_a_full_run_under_one_in_a_hundred():
    """Every check of a full run shares a 1% chance of failing with the model right."""
    assert CHECKS == 22 * 6 * 2 * 2
    assert SIGMAS == pytest.approx(4.28, abs=0.01)


def test_tolerance_is_sigmas_of_both_spreads_plus_the_resolution():
    """SIGMAS standard deviations of Go's two runs and the model's seeds combined, plus one
    event for a count, the hand-over resolution for a time, once per event for a sum."""
    go = [{"dials": 100.0, "wait_ms.mean": 2.0, "handshake_s": 0.3},
          {"dials": 106.0, "wait_ms.mean": 2.0, "handshake_s": 0.3}]
    model = [[{"dials": d, "wait_ms.mean": 2.1, "handshake_s": 0.3} for d in (98.0, 102.0)],
             [{"dials": d, "wait_ms.mean": 2.1, "handshake_s": 0.3} for d in (104.0, 108.0)]]
    dials = check("dials", go, model, code_path=0.01)
    go_sd, model_sd = 6 / math.sqrt(2), math.sqrt(8.0)
    assert dials.tolerance == pytest.approx(SIGMAS * math.hypot(go_sd, model_sd) + 1)
    assert dials.differences == (0.0, 0.0) and dials.ok
    wait = check("wait_ms.mean", go, model, code_path=0.01)
    assert wait.tolerance == pytest.approx(0.01) and not wait.ok  # no spread: within the resolution only
    assert check("handshake_s", go, model, code_path=0.01).tolerance == pytest.approx(0.01e-3 * 106)


def test_harness_config_carries_the_trace():
    config = harness_config(TRACES[2])
    assert config["instances"] == 3 and config["superuser_reserved_connections"] == 3
    assert len(config["requests"]) == len(TRACES[2].rows)
    assert [r["instance"] for r in config["requests"][:4]] == [0, 1, 2, 0]
