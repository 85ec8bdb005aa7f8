"""Go: each caller blocked in ``DB.conn`` also waits on its ``ctx.Done()`` (Rule 4.1).

The pool keeps those deadlines itself, with **one** scheduled timer for the earliest one
still live, instead of a timer per waiting request. Most waiters get a connection long
before their deadline, and a cancelled timer would stay in the simulation's heap until its
time came: at MaxOpen 25 under the default story that was about 0.64 dead timers per request
and a heap fifty times larger than the live events, which every event then paid for.

Deadlines mostly come in order: a request's deadline is its arrival plus the same timeout,
and requests start waiting roughly in arrival order. Those go to the end of a deque (no
heap push, no comparisons); only one that comes earlier than the last one added (a
request waiting again for its second query, a trace row's own timeout) goes into a heap.
The earliest of the two heads is the next deadline, so they expire in exactly the order
one heap would give.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from itertools import count
from typing import Any

from .events import INF, Call, push
from .waiters import ConnRequest

COMPACT_MIN = 32
"""Served entries tolerated in the in-order deque beyond twice the live ones."""


class WaitDeadlines:
    """The deadlines of one pool's waiters, earliest first.

    A request served or removed before its deadline is skipped when its turn comes (a
    waiter queue sets ``req.slot`` to None when it lets a request go). Requests due at the
    same instant expire in the order they started waiting, as their own timers would have.

    Args:
        env: the simulation environment.
        expire: called with each request still waiting when its deadline comes.
    """

    __slots__ = ("env", "_expire", "_in_order", "_last", "_compact_at", "_heap", "_order", "_timer", "_armed_at",
                 "_on_fire")

    def __init__(self, env: Any, expire: Callable[[ConnRequest], None]):
        self.env = env
        self._expire = expire
        self._in_order: deque[tuple[float, int, ConnRequest]] = deque()
        """Entries added at or after the latest deadline so far: sorted as they come."""
        self._last = -INF
        """The latest deadline in ``_in_order``."""
        self._compact_at = COMPACT_MIN
        """``_in_order``'s length at which the entries of served requests are dropped."""
        self._heap: list[tuple[float, int, ConnRequest]] = []
        """Entries that came earlier than ``_last``."""
        self._order = count()
        self._timer: Call | None = None
        self._armed_at = INF
        self._on_fire = (self._fire,)

    def __len__(self) -> int:
        return len(self._in_order) + len(self._heap)

    def __repr__(self) -> str:
        return f"WaitDeadlines({len(self)} held, next at {self._armed_at:g})"

    def add(self, req: ConnRequest, at: float) -> None:
        """Expire ``req`` at absolute time ``at`` unless it is served first."""
        if at >= self._last:
            in_order = self._in_order
            in_order.append((at, next(self._order), req))
            self._last = at
            if len(in_order) >= self._compact_at:
                self._compact()
        else:
            heappush(self._heap, (at, next(self._order), req))
        if at < self._armed_at:
            if self._timer is not None:
                self._timer.cancel()
            self._arm(at)

    def _compact(self) -> None:
        """Drop the entries of requests served meanwhile (most of them: a waiter is served
        in milliseconds, its deadline is seconds away), so that they do not pile up until
        the timer reaches them: memory stays that of the live waiters, recycled while hot.
        Every live entry keeps its place, so nothing else changes."""
        live = deque(entry for entry in self._in_order if entry[2].slot is not None)
        self._in_order = live
        self._compact_at = 2 * len(live) + COMPACT_MIN  # amortised: a few checks per add

    def _arm(self, at: float) -> None:
        self._armed_at = at
        self._timer = timer = Call(self._on_fire)
        push(self.env, at, timer)

    def _fire(self, _call: Call) -> None:
        self._timer = None
        self._armed_at = INF
        in_order, heap = self._in_order, self._heap
        now = self.env._now
        while True:  # the earliest of the two heads, while due: (time, order) as one heap's
            if in_order and (not heap or in_order[0] < heap[0]):
                if in_order[0][0] > now:
                    break
                req = in_order.popleft()[2]
            elif heap and heap[0][0] <= now:
                req = heappop(heap)[2]
            else:
                break
            if req.slot is not None:  # still waiting
                self._expire(req)
        while in_order and in_order[0][2].slot is None:  # served meanwhile: no need to wake for it
            in_order.popleft()
        while heap and heap[0][2].slot is None:
            heappop(heap)
        if in_order and (not heap or in_order[0] < heap[0]):
            self._arm(in_order[0][0])
        elif heap:
            self._arm(heap[0][0])
