"""Scheduling a plain callback on a ``simpy.Environment``.

SimPy's ``Environment.step`` only needs an event's ``callbacks`` and ``_ok`` flag.
A :class:`Call` is that and nothing more: scheduling one costs a heap push, with no
``Timeout``/``Process`` machinery, so the per-request path stays cheap.

The schedule is SimPy's own heap of ``(time, priority, event id, event)`` entries;
:func:`call_later` and :func:`push` add to it exactly as ``Environment.schedule`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

from simpy.events import NORMAL

INF = float("inf")
"""A deadline that never comes."""


class Call:
    """A callback scheduled at a time: ``callback(call)`` runs when the clock gets there.

    ``value`` carries the payload. :meth:`cancel` leaves the entry in SimPy's heap (lazy
    deletion) but makes it do nothing when popped. ``callbacks`` is a tuple (SimPy only
    iterates it and then sets it to ``None``), so a handler's one-element tuple can be
    built once and shared by every call to it.
    """

    # NOTE: __slots__ and no base class, for performance: one of these per request.
    __slots__ = ("callbacks", "_ok", "value")

    def __init__(self, callbacks: tuple[Callable[[Call], Any], ...], value: Any = None):
        self.callbacks = callbacks
        self._ok = True
        self.value = value

    def cancel(self) -> None:
        """Make the pending call a no-op (it stays in the schedule until its time)."""
        if self.callbacks:
            self.callbacks = ()

    def __repr__(self) -> str:
        names = [getattr(c, "__qualname__", repr(c)) for c in self.callbacks or ()]
        return f"Call({names}, value={self.value!r})"


def push(env: Any, at: float, event: Any) -> None:
    """Put ``event`` on the schedule at absolute time ``at`` (``at >= env.now``), with
    SimPy's normal priority, after every event already scheduled for that time: what
    ``env.schedule(event, NORMAL, at - env.now)`` does, without the subtraction."""
    heappush(env._queue, (at, NORMAL, next(env._eid), event))


def call_later(env: Any, delay: float, callback: Callable[[Call], Any], value: Any = None) -> Call:
    """Schedule ``callback(call)`` ``delay`` seconds from now and return the :class:`Call`."""
    call = Call((callback,), value)
    # NOTE: env.schedule(call, NORMAL, delay) inlined for performance.
    heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), call))
    return call
