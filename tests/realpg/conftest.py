"""One real PostgreSQL per test session (per xdist worker), started by the tests
themselves and stopped afterwards, also when a test fails. A missing ``initdb``/
``postgres`` or psycopg skips locally and fails in CI (``tests.conftest.need``)."""

from __future__ import annotations

import pytest

from tests.conftest import need
from tests.realpg.server import PgServer, available


@pytest.fixture(scope="session")
def pg_server():
    if not available():
        yield None
        return
    server = PgServer(max_connections=20, superuser_reserved_connections=3).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg(pg_server) -> PgServer:
    """The session's server; every test leaves it with no session of its own open."""
    need(pg_server is not None, "a PostgreSQL server (initdb and postgres on PATH) and psycopg")
    return pg_server
