"""Go: ``driverConn`` — one physical connection as the pool sees it."""

from __future__ import annotations

from typing import Any


class DriverConn:
    """Go: ``driverConn``. ``created_at`` starts the lifetime clock, ``returned_at`` the
    idle clock (Rule 6.1); ``need_reset`` asks for ``ResetSession`` at the next checkout
    (Rule 2 step 3).

    ``session`` is the server side (:class:`simpool.model.database.Session`); ``broken``
    is what the driver's ``IsValid`` would report false for (a cancelled query destroyed
    the socket, Rule 4.3).
    """

    __slots__ = ("id", "session", "created_at", "returned_at", "in_use", "need_reset", "broken", "closed")

    def __init__(self, conn_id: int, session: Any, now: float):
        self.id = conn_id
        self.session = session
        self.created_at = now
        self.returned_at = now
        self.in_use = True
        self.need_reset = False
        self.broken = False
        self.closed = False

    def expired(self, lifetime: float, now: float) -> bool:
        """Go: ``driverConn.expired`` — strictly past ``created_at + lifetime`` (Rule 6.1)."""
        return lifetime > 0 and self.created_at + lifetime < now

    def __repr__(self) -> str:
        return (f"DriverConn(id={self.id}, created_at={self.created_at:g}, "
                f"returned_at={self.returned_at:g}, in_use={self.in_use})")
