"""Go: each caller blocked in ``DB.conn`` also waits on its ``ctx.Done()`` (Rule 4.1).

The pool keeps those deadlines itself, with **one** scheduled timer for the earliest one
still live, instead of a timer per waiting request. Most waiters get a connection long
before their deadline, and a cancelled timer would stay in the simulation's heap until its
time came: at MaxOpen 25 under the default story that was about 0.64 dead timers per request
and a heap fifty times larger than the live events, which every event then paid for.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from itertools import count
from typing import Any

from .events import INF, Call, push
from .waiters import ConnRequest


class WaitDeadlines:
    """The deadlines of one pool's waiters, earliest first.

    A request served or removed before its deadline is skipped when its turn comes (a
    waiter queue sets ``req.slot`` to None when it lets a request go). Requests due at the
    same instant expire in the order they started waiting, as their own timers would have.

    Args:
        env: the simulation environment.
        expire: called with each request still waiting when its deadline comes.
    """

    __slots__ = ("env", "_expire", "_heap", "_order", "_timer", "_armed_at", "_on_fire")

    def __init__(self, env: Any, expire: Callable[[ConnRequest], None]):
        self.env = env
        self._expire = expire
        self._heap: list[tuple[float, int, ConnRequest]] = []
        self._order = count()
        self._timer: Call | None = None
        self._armed_at = INF
        self._on_fire = (self._fire,)

    def __len__(self) -> int:
        return len(self._heap)

    def __repr__(self) -> str:
        return f"WaitDeadlines({len(self._heap)} held, next at {self._armed_at:g})"

    def add(self, req: ConnRequest, at: float) -> None:
        """Expire ``req`` at absolute time ``at`` unless it is served first."""
        heappush(self._heap, (at, next(self._order), req))
        if at < self._armed_at:
            if self._timer is not None:
                self._timer.cancel()
            self._arm(at)

    def _arm(self, at: float) -> None:
        self._armed_at = at
        self._timer = timer = Call(self._on_fire)
        push(self.env, at, timer)

    def _fire(self, _call: Call) -> None:
        self._timer = None
        self._armed_at = INF
        heap = self._heap
        now = self.env._now
        while heap and heap[0][0] <= now:
            req = heappop(heap)[2]
            if req.slot is not None:  # still waiting
                self._expire(req)
        while heap and heap[0][2].slot is None:  # served meanwhile: no need to wake for it
            heappop(heap)
        if heap:
            self._arm(heap[0][0])
