"""The queueing-theory checks of ``tests/test_theory.py``, rerun for the README's table.

The M/M/c cases, their seeds and the estimator (the FIFO recursion on the same sample
path as a control variate) are the test's own, imported from it, so the table shows
exactly what the test asserts. The loss system repeats the test's scenario.
"""

from __future__ import annotations

from typing import Any

import simpool
from simpool.stats import erlang_b, erlang_c, mmc_mean_wait
from tests.test_theory import MEAN_SERVICE, _fifo_waits, _mmc, test_mmc_matches_erlang_c

SERVERS = 5
"""c of the test's M/M/c cases."""


def _mmc_cases() -> list[tuple[float, int, str]]:
    """``(rho, customers, go_version)`` as the test is parametrized."""
    return next(m for m in test_mmc_matches_erlang_c.pytestmark if m.name == "parametrize").args[1]


def _loss_share() -> tuple[float, float]:
    """``test_loss_system_matches_erlang_b``: the refused share and Erlang B."""
    c, rate, n = 10, 800.0, 600_000
    scenario = simpool.load_scenario({
        "duration": f"{n / rate}s", "warmup": "5s", "seed": 5,
        "database": {"max_connections": c, "superuser_reserved_connections": 0, "handshake": "0",
                     "refused_handshake": 0, "cores": 0, "query": {"dist": "exponential", "mean": "10ms"}},
        "fleet": {"instances": 3, "pool": {"max_open": 0, "max_idle": 0}},
        "workload": {"arrivals": [{"kind": "poisson", "rate": f"{rate}/s"}], "request": {"queries": 1, "timeout": "0"}},
    })
    summary = simpool.simulate(scenario).summary()
    refused = summary["errors"]["too_many_connections"]["mean"] / summary["requests"]["total"]["mean"]
    return refused, erlang_b(c, rate * MEAN_SERVICE)


def theory_checks() -> list[dict[str, Any]]:
    """One row per asserted quantity: what, theory, simpool's estimate, the test's margin."""
    rows = []
    for rho, n, version in _mmc_cases():
        rate = rho * SERVERS / MEAN_SERVICE
        arrivals, waits, services = _mmc(SERVERS, rate, n, seed=int(rho * 100), version=version)
        fifo = _fifo_waits(arrivals, services, SERVERS)
        wait = mmc_mean_wait(SERVERS, rate, MEAN_SERVICE)
        p_wait = erlang_c(SERVERS, rate * MEAN_SERVICE)
        case = f"M/M/5, ρ = {rho}, `go_version` {version}, {n:,} requests"
        rows.append({"check": f"{case}: mean wait (ms), Erlang C", "theory": wait * 1e3,
                     "simpool": (waits.mean() - (fifo.mean() - wait)) * 1e3, "margin": 0.03})
        rows.append({"check": f"{case}: P(wait > 0), Erlang C", "theory": p_wait,
                     "simpool": (waits > 0).mean() - ((fifo > 0).mean() - p_wait), "margin": 0.03})
    refused, theory = _loss_share()
    rows.append({"check": "3 uncapped pools, MaxIdle 0, 10 slots, 8 erlangs: share refused, Erlang B",
                 "theory": theory, "simpool": refused, "margin": 0.03})
    return rows
