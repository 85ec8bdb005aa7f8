"""The engine's event loop (``run_before``) processes events exactly as SimPy's
``Environment.run(until=…)`` would, and the warm-up mark comes before anything else at
its instant."""

import pytest
import simpy

from simpool import load_scenario, simulate
from simpool.engine import run_before
from simpool.model.events import Call, call_later


def _schedule_mix(env, log):
    """Calls at equal and distinct times, a SimPy process and a plain Timeout."""

    def note(call):
        log.append((env.now, call.value))

    for t, name in [(1.0, "a"), (0.5, "b"), (1.0, "c"), (2.0, "d"), (3.0, "at-until"), (4.0, "after")]:
        call_later(env, t, note, name)

    def proc(env):
        yield env.timeout(1.0)
        log.append((env.now, "process"))
        yield env.timeout(0.5)
        log.append((env.now, "process again"))

    env.process(proc(env))
    env.timeout(2.0).callbacks.append(lambda event: log.append((env.now, "timeout")))


def test_same_order_as_simpy_run():
    """Every event before ``until`` runs, in SimPy's order (time, then scheduling order);
    events at ``until`` and later stay on the schedule."""
    expected, got = [], []
    reference = simpy.Environment()
    _schedule_mix(reference, expected)
    reference.run(until=3.0)
    env = simpy.Environment()
    _schedule_mix(env, got)
    run_before(env, 3.0)
    assert got == expected
    assert [entry[-1].value for entry in env._queue if isinstance(entry[-1], Call)] == ["at-until", "after"]


def test_failed_event_raises_as_simpy_does():
    """A failed event that nobody defused crashes the run, with the original as cause."""
    env = simpy.Environment()
    env.event().fail(ValueError("boom"))
    with pytest.raises(ValueError, match="boom") as info:
        run_before(env, 1.0)
    assert isinstance(info.value.__cause__, ValueError)


def test_defused_failure_does_not_raise():
    env = simpy.Environment()
    event = env.event()
    event.fail(ValueError("ignored"))
    event.defused = True
    run_before(env, 1.0)


def test_cancelled_call_does_nothing():
    env = simpy.Environment()
    log = []
    call = call_later(env, 1.0, lambda c: log.append("ran"))
    call.cancel()
    run_before(env, 2.0)
    assert log == []


def test_request_arriving_exactly_at_warmup_counts(tmp_path):
    """A trace row at exactly the warm-up instant counts as arrived (and answered): the
    warm-up mark is URGENT, so it comes before that arrival."""
    trace = tmp_path / "t.csv"
    trace.write_text("t_ms\n500\n1000\n1000\n1500\n")
    scenario = load_scenario({"duration": "3s", "warmup": "1s",
                              "workload": {"arrivals": [{"kind": "trace", "file": str(trace)}]}})
    requests = simulate(scenario).summary()["requests"]
    assert requests["total"]["mean"] == 3
    assert requests["ok"]["mean"] + requests["failed"]["mean"] == 3
