"""The warm-up mark comes before anything else at its instant."""

from simpool import load_scenario, simulate


def test_request_arriving_exactly_at_warmup_counts(tmp_path):
    """A trace row at exactly the warm-up instant counts as arrived (and answered): the
    warm-up mark is URGENT, so it comes before that arrival, even the very first one
    (scheduled before the mark was)."""
    trace = tmp_path / "t.csv"
    trace.write_text("t_ms\n1000\n1000\n1500\n")
    scenario = load_scenario({"duration": "3s", "warmup": "1s",
                              "workload": {"arrivals": [{"kind": "trace", "file": str(trace)}]}})
    requests = simulate(scenario).summary()["requests"]
    assert requests["total"]["mean"] == 3
    assert requests["ok"]["mean"] + requests["failed"]["mean"] == 3
