"""simpool against the real ``database/sql`` pool, under Go 1.19 and Go 1.23.

Each trace is replayed twice, in real time, through the Go harness (``validation/``),
then through simpool with the durations each run measured and the matching profile;
every metric must agree within the tolerance the runs themselves measure. Each test then
replays the same runs with one pool rule made wrong, and the comparison must reject it:
the check is sharp enough to catch a wrong rule, not just loose enough to pass.

About 5 s per test: two replays of a few seconds each, side by side, and simpool's 30.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from unittest import mock

import pytest

import simpool.model.conn
import simpool.model.pool
import simpool.model.profiles
from tests.conftest import need
from validation.compare import compare, validate
from validation.gorun import TOOLCHAINS
from validation.traces import TRACES

pytestmark = pytest.mark.slow


def _lifetime_from_last_return(self, lifetime, now, *_):
    return lifetime > 0 and self.returned_at + lifetime < now


def _fifo_waiters(self, order, uniform):
    return simpool.model.profiles.FifoWaiters(uniform)


WrongRule = Callable[[], AbstractContextManager]
WRONG_RULES: dict[str, tuple[str, WrongRule | str]] = {
    "mmc": ("SetMaxIdleConns ignored (Go's default of 2 kept)",
            lambda: mock.patch.object(simpool.model.pool.DB, "set_max_idle_conns", lambda self, n: None)),
    "idle-churn": ("Go's default MaxIdle taken as 3, not 2",
                   lambda: mock.patch.object(simpool.model.pool, "DEFAULT_MAX_IDLE_CONNS", 3)),
    "fleet-burst": ("Go's default MaxIdle taken as 3, not 2",
                    lambda: mock.patch.object(simpool.model.pool, "DEFAULT_MAX_IDLE_CONNS", 3)),
    "lifetime": ("ConnMaxLifetime counted from the last return, not from the dial",
                 lambda: mock.patch.object(simpool.model.conn.DriverConn, "expired", _lifetime_from_last_return)),
    "idle-time": ("Go 1.17's rules: the oldest idle connection first, the fixed-interval cleaner", "1.17"),
    "deadlines": ("waiters served first come, first served (no Go since 1.9)",
                  lambda: mock.patch.object(simpool.model.profiles.GoProfile, "make_waiters", _fifo_waiters)),
}
"""Per trace, a wrong rule its comparison must reject: a patch of the model, or the name
of a wrong profile."""

EXERCISES = {
    "mmc": ("stats.wait_count", 500), "idle-churn": ("stats.max_idle_closed", 200),
    "fleet-burst": ("refused_connections", 100), "lifetime": ("stats.max_lifetime_closed", 20),
    "idle-time": ("stats.max_idle_time_closed", 10), "deadlines": ("errors.deadline_exceeded", 100),
}
"""What each trace is about, and how often the real pool must do it (else the trace
proves nothing)."""


def test_every_trace_has_a_wrong_rule_and_a_purpose():
    assert set(WRONG_RULES) == set(EXERCISES) == {t.name for t in TRACES}


@pytest.mark.parametrize("toolchain", TOOLCHAINS, ids=lambda t: f"go{t.version}")
@pytest.mark.parametrize("trace", TRACES, ids=lambda t: t.name)
def test_simpool_agrees_with_real_go(trace, toolchain, harness):
    """Every metric within tolerance; the trace exercises its rule; a wrong rule is rejected."""
    need(toolchain.available, f"Go {toolchain.version} ({toolchain.go})")
    comparison, runs = validate(trace, toolchain, harness(toolchain))
    assert comparison.go_version.startswith(f"go{toolchain.version}")
    assert not comparison.failures, comparison.explain()

    metric, at_least = EXERCISES[trace.name]
    assert min(comparison.by_metric(metric).go) >= at_least, f"{trace.name} hardly exercises {metric}"

    name, wrong = WRONG_RULES[trace.name]
    if isinstance(wrong, str):
        rejected = compare(trace, runs, wrong, seeds=range(5))
    else:
        with wrong():
            rejected = compare(trace, runs, toolchain.profile, seeds=range(5))
    assert rejected.failures, f"{trace.name}: the comparison did not notice a wrong rule: {name}"
