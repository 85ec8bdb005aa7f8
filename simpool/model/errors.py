"""Errors as the simulated Go code sees them: small immutable values compared by identity.

They are *outcomes* inside the simulation, not Python exceptions: a refused dial is data
flowing back to the caller, exactly like a Go ``error`` value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ErrorKind = Literal["too_many_connections", "deadline_exceeded", "bad_connection", "other"]


@dataclass(frozen=True, eq=False)
class DriverError:
    """A Go ``error`` value: its kind for the statistics and the text Go would print."""

    kind: ErrorKind
    message: str

    def __repr__(self) -> str:
        return f"DriverError({self.kind!r}, {self.message!r})"


ERR_BAD_CONN = DriverError("bad_connection", "driver: bad connection")
"""Go: ``driver.ErrBadConn``. Triggers ``DB.retry`` (Rule 7)."""

ERR_DEADLINE = DriverError("deadline_exceeded", "context deadline exceeded")
"""Go: ``context.DeadlineExceeded``."""

ERR_DB_CLOSED = DriverError("other", "sql: database is closed")
"""Go: ``errDBClosed``."""

PG_TOO_MANY_CLIENTS = DriverError(
    "too_many_connections", "FATAL: sorry, too many clients already (SQLSTATE 53300)"
)
PG_RESERVED_SUPERUSER = DriverError(
    "too_many_connections",
    "FATAL: remaining connection slots are reserved for roles with the SUPERUSER attribute (SQLSTATE 53300)",
)
PG_RESERVED_ROLE = DriverError(
    "too_many_connections",
    'FATAL: remaining connection slots are reserved for roles with privileges of the '
    '"pg_use_reserved_connections" role (SQLSTATE 53300)',
)
MYSQL_TOO_MANY = DriverError("too_many_connections", "Error 1040 (08004): Too many connections")
