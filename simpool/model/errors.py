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
    """A Go ``error`` value: its kind for the statistics and the text Go would print.

    A server's own refusal also keeps its parts (``server_text``, ``sqlstate``, MySQL's
    ``code``), so that a driver profile can wrap them the way that driver does (pgx:
    ``failed to connect to …: server error (FATAL: … (SQLSTATE 53300))``, lib/pq:
    ``pq: …``); ``message`` is the neutral form, the server's own words.
    """

    kind: ErrorKind
    message: str
    server_text: str | None = None
    sqlstate: str | None = None
    code: int | None = None

    def __repr__(self) -> str:
        return f"DriverError({self.kind!r}, {self.message!r})"


def postgres_fatal(text: str, sqlstate: str = "53300") -> DriverError:
    """A PostgreSQL ``FATAL`` during connection set-up (53300 is ``too_many_connections``,
    ``src/backend/utils/errcodes.txt``), in the neutral form ``FATAL: text (SQLSTATE …)``."""
    return DriverError("too_many_connections", f"FATAL: {text} (SQLSTATE {sqlstate})",
                       server_text=text, sqlstate=sqlstate)


ERR_BAD_CONN = DriverError("bad_connection", "driver: bad connection")
"""Go: ``driver.ErrBadConn``. Triggers ``DB.retry`` (Rule 7)."""

ERR_DEADLINE = DriverError("deadline_exceeded", "context deadline exceeded")
"""Go: ``context.DeadlineExceeded``."""

ERR_DB_CLOSED = DriverError("other", "sql: database is closed")
"""Go: ``errDBClosed``."""

ERR_CONNECT_TIMEOUT = DriverError("other", "dial tcp: connect: connection timed out")
"""The kernel gave up resending the SYN (a full listen backlog; no context deadline)."""

PG_TOO_MANY_CLIENTS = postgres_fatal("sorry, too many clients already")
"""No free PGPROC (``InitProcess``, ``src/backend/storage/lmgr/proc.c``), every version."""

PG_RESERVED_NON_REPLICATION = postgres_fatal(
    "remaining connection slots are reserved for non-replication superuser connections")
"""PostgreSQL ≤ 15: fewer than ``superuser_reserved_connections`` free slots after
authentication (``InitPostgres``, ``src/backend/utils/init/postinit.c``)."""

PG_RESERVED_SUPERUSER = postgres_fatal(
    "remaining connection slots are reserved for roles with the SUPERUSER attribute")
"""PostgreSQL 16+: fewer than ``superuser_reserved_connections`` free slots (postinit.c)."""

PG_RESERVED_ROLE = postgres_fatal(
    'remaining connection slots are reserved for roles with privileges of the '
    '"pg_use_reserved_connections" role')
"""PostgreSQL 16+: fewer than ``superuser_reserved + reserved_connections`` free slots,
and the role lacks ``pg_use_reserved_connections`` (postinit.c)."""

MYSQL_TOO_MANY = DriverError("too_many_connections", "Error 1040 (08004): Too many connections",
                             server_text="Too many connections", sqlstate="08004", code=1040)
"""MySQL ``ER_CON_COUNT_ERROR``, as go-sql-driver/mysql prints it."""


ERR_CONNECTION_REFUSED = DriverError("other", "dial tcp 10.0.0.5:5432: connect: connection refused")
"""Nothing listens: the server is down (a restart, a failover). The address is a placeholder."""

ERR_DIAL_TIMEOUT = DriverError("other", "dial tcp 10.0.0.5:5432: i/o timeout")
"""The driver's own connect timeout (``connect_timeout`` in the DSN) ran out."""

PG_TERMINATED = DriverError("bad_connection",
                            "FATAL: terminating connection due to administrator command (SQLSTATE 57P01)",
                            server_text="terminating connection due to administrator command", sqlstate="57P01")
"""PostgreSQL's fast shutdown ends every backend (``ProcessInterrupts``, ``src/backend/tcop/postgres.c``)."""

MYSQL_SHUTDOWN = DriverError("bad_connection", "Error 1053 (08S01): Server shutdown in progress",
                             server_text="Server shutdown in progress", sqlstate="08S01", code=1053)
"""MySQL ``ER_SERVER_SHUTDOWN``, sent to sessions as the server shuts down."""


def reserved_refusals(version: int) -> tuple[DriverError, DriverError]:
    """The errors of the reserved-slot check for a PostgreSQL major version: (too few
    slots for non-superusers, too few for roles without pg_use_reserved_connections)."""
    if version >= 16:
        return PG_RESERVED_SUPERUSER, PG_RESERVED_ROLE
    return PG_RESERVED_NON_REPLICATION, PG_RESERVED_NON_REPLICATION
