"""Measuring a PostgreSQL server with psycopg 3.

One connection reads the server's version, its slot settings and the sessions already
connected (``pg_stat_activity``, client backends only, grouped by role and application),
and is closed. Then ``n`` connections are set up one after another, each timed from the
start of the dial to the end of authentication (TCP, TLS when the DSN asks for it, the
startup packet, SCRAM or whatever ``pg_hba.conf`` wants), runs the probe query a few
times, and is closed before the next one starts. So calibrating never holds more than one
connection, and every connection is closed also on an error or Ctrl-C (``with`` blocks).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import CalibrationError
from .fit import Fit, fit_samples

PROBES_PER_CONNECTION = 3

SETTINGS = ("server_version", "server_version_num", "max_connections",
            "superuser_reserved_connections", "reserved_connections")

SESSIONS_SQL = """
SELECT coalesce(usename::text, ''), coalesce(application_name, ''), count(*)
FROM pg_stat_activity
WHERE pid <> pg_backend_pid()
  AND (backend_type = 'client backend'
       OR (backend_type IS NULL AND datname IS NOT NULL AND usename IS NOT NULL))
GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2
"""
"""Client sessions (they take ``max_connections`` slots; background workers and WAL senders
have pools of their own). Another role's session shows its role, application and database
but no ``backend_type`` unless the reader has ``pg_read_all_stats``: such a row counts as a
client session (a hidden WAL sender or parallel worker would be over-counted)."""


@dataclass(frozen=True)
class SessionGroup:
    """Client sessions already connected, of one role and application."""

    role: str
    application: str
    count: int
    counted: bool
    """Whether they count as ``other_clients`` (not excluded as the app's own)."""


@dataclass(frozen=True)
class ServerFacts:
    """What the server says about itself."""

    version: int
    """Major version (``server_version_num`` // 10000; 9 for 9.x)."""
    version_text: str
    max_connections: int
    superuser_reserved_connections: int
    reserved_connections: int
    sessions: tuple[SessionGroup, ...]
    tls: bool
    """Whether the measured connections used TLS."""

    @property
    def other_clients(self) -> int:
        return sum(group.count for group in self.sessions if group.counted)


@dataclass(frozen=True)
class Calibration:
    """A measured server: its facts, the handshake and probe-query fits, the probe."""

    facts: ServerFacts
    handshake: Fit
    query: Fit
    probe: str
    where: str
    """The server as ``user@host:port/dbname`` (no password)."""

    def database_block(self) -> dict[str, Any]:
        """The scenario's ``database`` fields calibration sets."""
        facts = self.facts
        block: dict[str, Any] = {
            "flavor": "postgres",
            "version": facts.version,
            "max_connections": facts.max_connections,
            "superuser_reserved_connections": facts.superuser_reserved_connections,
        }
        if facts.version >= 16:
            block["reserved_connections"] = facts.reserved_connections
        block["other_clients"] = facts.other_clients
        if facts.tls:
            from ..scenario.sections import PG_TLS_FRACTIONS

            block.update(PG_TLS_FRACTIONS)
        block["handshake"] = self.handshake.spec
        block["query"] = self.query.spec
        return block


def _driver() -> Any:
    try:
        import psycopg
    except ImportError:
        raise CalibrationError("simpool calibrate needs psycopg 3: pip install 'simpool[calibrate]'") from None
    return psycopg


def describe(dsn: str) -> str:
    """``user@host:port/dbname`` for messages, never the password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn)
    except Exception as exc:
        raise CalibrationError(f"cannot read the DSN: {_first_line(exc)}") from None
    host = params.get("host") or params.get("hostaddr") or "localhost"
    port = params.get("port") or "5432"
    return f"{params.get('user') or '(default user)'}@{host}:{port}/{params.get('dbname') or '(default db)'}"


def _first_line(exc: BaseException) -> str:
    """libpq's message without its hints; the server's reason after the last 'failed:'."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if "failed: " in text:
        text = text.rsplit("failed: ", 1)[1]
    return " ".join(text.split())


def _text(value: Any) -> str:
    """A server string (bytes on an SQL_ASCII database)."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _connect(psycopg: Any, dsn: str, where: str, timeout: float) -> Any:
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=max(1, round(timeout)))
    except psycopg.Error as exc:
        raise CalibrationError(f"cannot connect to {where}: {_first_line(exc)}") from None


def _read_facts(psycopg: Any, conn: Any, where: str, exclude_roles: set[str],
                exclude_applications: set[str]) -> ServerFacts:
    try:
        rows = {_text(k): _text(v) for k, v in conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(SETTINGS)]).fetchall()}
        missing = [name for name in SETTINGS[:4] if name not in rows]
        if missing:
            raise CalibrationError(f"{where}: the role cannot read the setting {missing[0]}")
        groups = conn.execute(SESSIONS_SQL).fetchall()
    except psycopg.Error as exc:
        raise CalibrationError(f"{where}: {_first_line(exc)}") from None
    sessions = tuple(
        SessionGroup(_text(role), _text(app), int(count),
                     counted=_text(role) not in exclude_roles and _text(app) not in exclude_applications)
        for role, app, count in groups)
    return ServerFacts(
        version=int(rows["server_version_num"]) // 10000,
        version_text=rows["server_version"],
        max_connections=int(rows["max_connections"]),
        superuser_reserved_connections=int(rows["superuser_reserved_connections"]),
        reserved_connections=int(rows.get("reserved_connections", 0)),
        sessions=sessions,
        tls=bool(conn.pgconn.ssl_in_use),
    )


def calibrate_postgres(dsn: str, *, n: int = 50, probe: str = "SELECT 1", timeout: float = 10.0,
                       exclude_roles: tuple[str, ...] = (), exclude_applications: tuple[str, ...] = (),
                       progress: Callable[[int], None] | None = None,
                       clock: Callable[[], float] = time.perf_counter) -> Calibration:
    """Measure the server behind ``dsn`` (see the module docstring).

    Args:
        dsn: a libpq connection string or ``postgresql://`` URI.
        n: connections to set up, one at a time.
        probe: the query timed on each connection (``PROBES_PER_CONNECTION`` times).
        timeout: seconds a connection attempt may take (libpq's ``connect_timeout``).
        exclude_roles, exclude_applications: sessions of the app itself, not counted in
            ``other_clients``.
        progress: called with the number of connections measured so far.
        clock: the timer (injected by tests).

    Raises:
        CalibrationError: unreachable server, refused login, missing rights, no driver.
    """
    if n < 1:
        raise CalibrationError(f"-n must be at least 1 (not {n})")
    psycopg = _driver()
    where = describe(dsn)
    with _connect(psycopg, dsn, where, timeout) as conn:
        facts = _read_facts(psycopg, conn, where, set(exclude_roles), set(exclude_applications))
    handshakes: list[float] = []
    queries: list[float] = []
    for i in range(n):
        start = clock()
        with _connect(psycopg, dsn, where, timeout) as conn:
            handshakes.append(clock() - start)
            try:
                for _ in range(PROBES_PER_CONNECTION):
                    start = clock()
                    cursor = conn.execute(probe)
                    if cursor.description is not None:
                        cursor.fetchall()
                    queries.append(clock() - start)
            except psycopg.Error as exc:
                raise CalibrationError(f"{where}: the probe {probe!r} failed: {_first_line(exc)}") from None
        if progress is not None:
            progress(i + 1)
    return Calibration(facts=facts, handshake=fit_samples("handshake", handshakes),
                       query=fit_samples("query", queries), probe=probe, where=where)
