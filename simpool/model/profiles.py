"""Go version profiles: the pool behaviours that changed between releases (Rule 11)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .waiters import FifoWaiters, MapWaiters, RandomWaiters, Uniform


@dataclass(frozen=True)
class GoProfile:
    """What one family of Go releases does where releases differ.

    Attributes:
        version: the profile's name, as in ``pool.go_version``.
        idle_pick: ``newest`` (Go ≥ 1.18, ``freeConn[last]``) or ``oldest`` (≤ 1.17,
            ``freeConn[0]``) — Rule 2 step 3.
        waiter_pick: ``uniform`` (≥ 1.23 slice) or ``map`` (~1.9 – 1.22 map) — Rule 3.3.
        cleaner: ``next_expiry`` (≥ 1.18: ordered removal, timer shortened to the next
            expiry) or ``fixed_interval`` (1.16 – 1.17: ``max(1s, shortest)`` ticks,
            swap-delete) — Rule 6.4 / 6.6.
    """

    version: str
    idle_pick: Literal["newest", "oldest"]
    waiter_pick: Literal["uniform", "map"]
    cleaner: Literal["next_expiry", "fixed_interval"]

    def make_waiters(self, order: str, uniform: Uniform) -> RandomWaiters | MapWaiters | FifoWaiters:
        """The waiter queue for this profile, or FIFO for the what-if ``waiter_order: fifo``."""
        if order == "fifo":
            return FifoWaiters(uniform)
        if self.waiter_pick == "map":
            return MapWaiters(uniform)
        return RandomWaiters(uniform)


PROFILES = {
    "1.23": GoProfile("1.23", idle_pick="newest", waiter_pick="uniform", cleaner="next_expiry"),
    "1.18": GoProfile("1.18", idle_pick="newest", waiter_pick="map", cleaner="next_expiry"),
    "1.17": GoProfile("1.17", idle_pick="oldest", waiter_pick="map", cleaner="fixed_interval"),
}
"""Profiles by ``pool.go_version``; "1.23" is the default (also right for 1.24 – 1.26)."""
