"""Drivers: how a dead connection is noticed, and what a cancelled query does (Rule 7.5, 4.3).

A pooled connection dies while idle in two ways that a driver tells apart:

- **closed**: the server ended the session (``idle_timeout``, MySQL's ``wait_timeout``): its
  FIN is already in the client's socket;
- **dropped**: a middlebox forgot the flow silently; the first packet sent gets a TCP RST
  back (AWS NLB and NAT gateway behaviour, reference §14).

Each driver either notices it at checkout, in ``ResetSession`` (``database/sql`` then closes
the conn and retries with ``driver.ErrBadConn``, invisibly), or only when the query fails,
and then either reports ``ErrBadConn`` (retried when nothing was sent, Rule 7.2) or its own
error, which the caller sees. Read from the drivers' source (reference Rule 7.5):

- **neutral** (the default): every dead conn is caught at checkout and retried.
- **mysql** (go-sql-driver/mysql v1.x, ``CheckConnLiveness``): a non-blocking read at
  checkout catches a closed conn; a dropped one passes, the query's write succeeds, the
  read meets the RST: ``invalid connection`` (``ErrInvalidConn``), not retried.
- **pgx** (jackc/pgx v5 ``stdlib``): ``ResetSession`` pings when more than 1 s passed since
  the previous ``ResetSession``, catching both kinds; a conn reused sooner is not pinged,
  and its query fails with pgx's raw error (nothing ``SafeToRetry``).
- **pq** (lib/pq): no probe at checkout; a closed conn reads ``io.EOF`` → ``ErrBadConn``
  (retried although the query was sent), a dropped one gets ``read: connection reset by
  peer`` (a ``*net.OpError``), returned as is.

Refusals keep the server's words but come wrapped as each driver wraps a failed ``Connect``:
pgx v5 as a ``*pgconn.ConnectError`` (``failed to connect to `user=… database=…`: host:port
(host): server error: FATAL: … (SQLSTATE 53300)``, pgconn/errors.go), lib/pq as its
``*pq.Error`` (``pq: sorry, too many clients already``); go-sql-driver/mysql prints the
server's ``Error 1040 (08004): Too many connections`` as it is, and so does ``neutral``.

A query cut short by the caller's deadline destroys the connection in all three drivers
(Rule 4.3); lib/pq also sends PostgreSQL a ``CancelRequest`` on a separate connection, so
the server stops the query, while with pgx and mysql it runs to completion and holds its
slot until then. (The CancelRequest's own handshake is not modelled: it takes no backend
slot, being handled before ``InitProcess``.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from .errors import ERR_BAD_CONN, DriverError

SOCKET_CLOSED = DriverError("bad_connection", "the server closed the connection")
"""What the database answers a query sent on a session it closed (the driver translates it)."""
SOCKET_DROPPED = DriverError("bad_connection", "a middlebox dropped the flow")
"""What the database answers a query sent on a flow a middlebox dropped (the driver translates it)."""

MYSQL_INVALID_CONN = DriverError("bad_connection", "invalid connection")
"""go-sql-driver/mysql ``ErrInvalidConn`` (errors.go): a read failed mid-command."""
PGX_UNEXPECTED_EOF = DriverError("bad_connection", "failed to receive message: unexpected EOF")
"""pgx/pgconn: the server's FIN met while reading a query's answer."""
PGX_CONN_RESET = DriverError("bad_connection", "failed to receive message: read: connection reset by peer")
"""pgx/pgconn: a middlebox's RST met while reading a query's answer."""
PQ_CONN_RESET = DriverError("bad_connection", "read: connection reset by peer")
"""lib/pq: a ``*net.OpError`` from the socket, returned as is (error.go ``errRecover``)."""

DriverName = Literal["neutral", "pgx", "pq", "mysql"]

PGX_CONNECT_PREFIX = "failed to connect to `user=app database=app`: 10.0.0.5:5432 (db): server error: "
"""How pgx v5 prefixes a server's refusal (``ConnectError`` + ``perDialConnectError``); the
user, database and address are placeholders for the scenario's own."""


@dataclass(frozen=True)
class DriverProfile:
    """How one driver treats dead connections and cancelled queries.

    Attributes:
        name: as in ``pool.driver``.
        checkout_sees_closed: ``ResetSession`` notices a conn the server closed.
        checkout_sees_dropped: ``ResetSession`` notices a flow a middlebox dropped (it
            sends something: a ping).
        ping_after: the ping is sent only if more than this many seconds passed since the
            conn's previous ``ResetSession`` (pgx: 1 s); 0 = every checkout is checked.
        closed_query_error: what a query on a closed conn returns (``ErrBadConn`` = retried).
        dropped_query_error: what a query on a dropped flow returns.
        cancel_stops_query: a deadline mid-query makes the server stop it (lib/pq's
            CancelRequest); else it runs to completion.
        refusal_format: how ``Connect`` prints a server's refusal, from its neutral
            ``message`` and the server's own ``server_text`` (None: as the server said it).
        fatal_is_bad_conn: a PostgreSQL ``FATAL`` mid-query (the server ending the
            session, e.g. at a restart) is reported as ``ErrBadConn``, so database/sql
            retries it (lib/pq's ``errRecover``); else the caller sees the server's words.
    """

    name: DriverName
    checkout_sees_closed: bool
    checkout_sees_dropped: bool
    ping_after: float
    closed_query_error: DriverError
    dropped_query_error: DriverError
    cancel_stops_query: bool
    refusal_format: Any = None
    fatal_is_bad_conn: bool = False

    def connect_error(self, err: DriverError) -> DriverError:
        """A failed dial's error as this driver's ``Connect`` returns it: a server's
        refusal wrapped in the driver's words (same kind), anything else unchanged. The
        wrapped value is made once per error, so errors still compare by identity."""
        if self.refusal_format is None or err.server_text is None:
            return err
        key = (self.name, id(err))
        wrapped = _WRAPPED.get(key)
        if wrapped is None:
            wrapped = _WRAPPED[key] = replace(err, message=self.refusal_format(err))
        return wrapped

    def checkout_fails(self, dc: Any, now: float) -> bool:
        """``ResetSession`` of a conn whose session is dead: does it return ``ErrBadConn``?"""
        if self.ping_after and now - dc.reset_at <= self.ping_after:
            return False  # not pinged (pgx: reset less than a second ago)
        session = dc.session
        return self.checkout_sees_dropped if session.dropped else self.checkout_sees_closed

    def query_error(self, socket_error: DriverError) -> DriverError:
        """The error a query returns when the database answered ``SOCKET_CLOSED`` or
        ``SOCKET_DROPPED``; any other error passes through."""
        if socket_error is SOCKET_CLOSED:
            return self.closed_query_error
        if socket_error is SOCKET_DROPPED:
            return self.dropped_query_error
        if self.fatal_is_bad_conn and socket_error.message.startswith("FATAL:"):
            return ERR_BAD_CONN
        return socket_error


_WRAPPED: dict[tuple[str, int], DriverError] = {}
"""Wrapped refusals by (driver, the server's error), made on first use."""


def _pgx_refusal(err: DriverError) -> str:
    return PGX_CONNECT_PREFIX + err.message


def _pq_refusal(err: DriverError) -> str:
    return f"pq: {err.server_text}"


DRIVERS: dict[str, DriverProfile] = {
    "neutral": DriverProfile("neutral", True, True, 0.0, ERR_BAD_CONN, ERR_BAD_CONN, False),
    "mysql": DriverProfile("mysql", True, False, 0.0, ERR_BAD_CONN, MYSQL_INVALID_CONN, False),
    "pgx": DriverProfile("pgx", True, True, 1.0, PGX_UNEXPECTED_EOF, PGX_CONN_RESET, False, _pgx_refusal),
    "pq": DriverProfile("pq", False, False, 0.0, ERR_BAD_CONN, PQ_CONN_RESET, True, _pq_refusal,
                        fatal_is_bad_conn=True),
}
"""Profiles by ``pool.driver``; ``neutral`` is the default."""
