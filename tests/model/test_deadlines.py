"""The pool's waiter deadlines (Rule 4.1, :class:`WaitDeadlines`): deadlines in order go to a
deque, earlier ones to a heap, and together they expire exactly as one heap (a timer per
waiter) would: at each deadline, in (deadline, order of waiting) order; served waiters'
entries do not pile up."""

from __future__ import annotations

import random

import pytest
import simpy

from simpool.model.deadlines import COMPACT_MIN, WaitDeadlines
from simpool.model.waiters import ConnRequest


class _Waiter(ConnRequest):
    __slots__ = ("name", "at")


def _waiter(name: str, at: float) -> _Waiter:
    req = _Waiter(None, 0, 0.0)
    req.name, req.at, req.slot = name, at, 0  # slot not None: still waiting
    return req


@pytest.mark.parametrize("seed", range(12))
def test_expiries_match_one_heap_of_timers(seed):
    """Random adds (mostly in order, some earlier, some at the same instant), serves and
    time steps: every waiter still waiting expires at its deadline, in the order of
    (deadline, when it was added): the order one timer per waiter gives."""
    rng = random.Random(seed)
    env = simpy.Environment()
    expired: list[tuple[float, str]] = []

    def expire(req):
        req.slot = None
        expired.append((env.now, req.name))

    deadlines = WaitDeadlines(env, expire)
    added: list[_Waiter] = []
    t = 0.0
    for i in range(400):
        t += rng.choice([0.0, 0.01, 0.1, 0.3])
        env.run(until=t) if t > env.now else None
        patience = rng.choice([2.0, 2.0, 2.0, 0.5, 1.0, 0.0 + rng.random()])
        at = round(env.now + patience, 2)  # rounded: ties at one instant happen
        req = _waiter(f"w{i}", at)
        added.append(req)
        deadlines.add(req, at)
        if rng.random() < 0.7:  # most are served before their deadline
            rng.choice([r for r in added if r.slot is not None] or [req]).slot = None
    env.run()
    served = {r.name for r in added if r.name not in {n for _, n in expired}}
    # The reference: every waiter not served expires at its own deadline, ties by the order added.
    order = {r.name: i for i, r in enumerate(added)}
    expected = sorted(((r.at, r.name) for r in added if r.name not in served), key=lambda e: (e[0], order[e[1]]))
    assert expired == expected
    assert len(deadlines) == 0 and len(env._queue) == 0


def test_served_entries_do_not_pile_up():
    """Thousands of waiters served at once (their deadlines seconds away) leave at most
    twice the live ones, plus a few, in the deadline queue."""
    env = simpy.Environment()
    deadlines = WaitDeadlines(env, lambda req: pytest.fail("nobody should expire"))
    live = []
    for i in range(10_000):
        req = _waiter(f"w{i}", 2.0 + i * 1e-4)
        deadlines.add(req, req.at)
        if i % 100 == 0:
            live.append(req)
        else:
            req.slot = None
        assert len(deadlines) <= 2 * len(live) + COMPACT_MIN + 1
    for req in live:
        req.slot = None
    env.run()


def test_a_served_waiter_is_let_go(env, make_db, caller, advance):
    """A served waiter's request is not kept alive by its deadline entry."""
    db = make_db(max_open=1)
    a, b = caller("a"), caller("b")
    db.conn(a)
    advance(0, db)
    db.conn(b, deadline=5.0)
    (req,) = list(db.conn_requests)
    db.put_conn(a.dc)
    assert b.dc is not None and req.caller is None and req.slot is None
