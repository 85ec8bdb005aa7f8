"""Pitfalls end to end: each one changes what the database and the callers see."""

import simpool

BASE = {
    "duration": "30s", "warmup": "5s", "seed": 3,
    "database": {"handshake": "4ms", "cores": 0, "query": {"dist": "exponential", "mean": "5ms"}},
    "fleet": {"instances": 2, "pool": {"max_open": 10, "max_idle": 10}},
    "workload": {"arrivals": [{"kind": "poisson", "rate": "200/s"}],
                 "request": {"timeout": "1s", "queries": 1, "transaction": False, "think": "0"}},
}


def _summary(**overrides):
    return simpool.simulate(simpool.load_scenario(BASE, overrides=overrides)).summary()


def _mean(summary, section, key):
    return summary[section][key]["mean"]


def test_healthy_baseline():
    """The baseline pool reuses its conns: few dials, no failures."""
    s = _summary()
    assert _mean(s, "requests", "failed") == 0
    assert _mean(s, "pool", "dials") < 30


def test_pool_per_request_dials_for_every_request():
    """sql.Open per request: every request pays a dial (and its handshake)."""
    s = _summary(**{"pitfalls.pool_per_request": True})
    requests = _mean(s, "requests", "total")
    dials = _mean(s, "pool", "dials")
    assert abs(dials - requests) <= 0.01 * requests
    assert _mean(s, "pool", "handshake_s") > 0.9 * requests * 0.004
    assert _mean(s, "latency_ms", "p50") > 4.0


def test_leaked_rows_exhaust_the_pool_until_deadlines():
    """Leaked *sql.Rows hold conns until the ctx deadline: callers wait and time out."""
    s = _summary(**{"pitfalls.leaked_rows": 0.1})
    assert _mean(s, "errors", "deadline_exceeded") > 0
    assert _mean(s, "pool", "wait_count") > 0


def test_leaked_rows_without_deadlines_hang_forever():
    """Without deadlines leaked conns never come back: the pool fills and requests hang."""
    s = _summary(**{"pitfalls.leaked_rows": 0.1, "pitfalls.no_deadline": True})
    assert _mean(s, "requests", "unfinished") > 0.5 * _mean(s, "requests", "total")
    assert _mean(s, "errors", "deadline_exceeded") == 0


def test_firewall_idle_drop_with_keepalive_off():
    """A middlebox dropping idle flows (keepalive off) kills idle conns: the pool retries
    on fresh dials and the database keeps orphaned sessions."""
    s = _summary(**{"workload.arrivals.0.rate": "2/s", "network.idle_drop": "200ms",
                    "network.keepalive": "0"})
    assert _mean(s, "requests", "failed") == 0  # ErrBadConn retries hide it from callers
    assert _mean(s, "pool", "dials") > 0.5 * _mean(s, "requests", "total")
    assert _mean(s, "database", "peak_connections") > 10


def test_warmup_is_excluded_from_request_counts():
    """Only requests arriving after the warm-up are counted."""
    s = _summary()
    assert abs(_mean(s, "requests", "total") - 200 * 25) < 4 * (200 * 25) ** 0.5
