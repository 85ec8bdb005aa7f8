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

    __slots__ = ("id", "session", "created_at", "returned_at", "in_use", "need_reset", "broken", "closed",
                 "lifetime_extra", "reset_at")

    def __init__(self, conn_id: int, session: Any, now: float):
        self.id = conn_id
        self.session = session
        self.created_at = now
        self.returned_at = now
        self.in_use = True
        self.need_reset = False
        self.broken = False
        self.closed = False
        self.lifetime_extra = 0.0
        """Seconds this conn lives past ``ConnMaxLifetime``: 0 in database/sql; the
        ``conn_max_lifetime_jitter`` what-if draws it per conn, as pgxpool does."""
        self.reset_at = -float("inf")
        """When ``ResetSession`` last ran on it, kept only for drivers whose check depends
        on it (pgx pings a conn not reset within the last second)."""

    def expired(self, lifetime: float, now: float) -> bool:
        """Go: ``driverConn.expired`` — strictly past ``created_at + lifetime`` (Rule 6.1)."""
        return lifetime > 0 and self.created_at + lifetime + self.lifetime_extra < now

    @property
    def lifetime_start(self) -> float:
        """When the lifetime clock effectively started: ``created_at``, moved later by the
        jitter what-if (the cleaner compares it with ``now − ConnMaxLifetime``)."""
        return self.created_at + self.lifetime_extra

    def __repr__(self) -> str:
        return (f"DriverConn(id={self.id}, created_at={self.created_at:g}, "
                f"returned_at={self.returned_at:g}, in_use={self.in_use})")
