"""``simpool calibrate`` against the real server: the block it writes loads and runs, it
counts the sessions already there, holds one connection at a time and closes them all,
and a refused login or a missing right is one line with exit status 2."""

from __future__ import annotations

import shutil
import time

import psycopg
import pytest
from typer.testing import CliRunner

from simpool import load_scenario, simulate
from simpool.calibration import calibrate_postgres
from simpool.cli import app
from tests.conftest import need
from tests.realpg.server import SUPERUSER, _free_port


def _calibrate(*args: str):
    return CliRunner().invoke(app, ["calibrate", *map(str, args)])


def _admin(pg):
    return psycopg.connect(pg.dsn(SUPERUSER), autocommit=True)


def _sessions_of(pg, role: str) -> int:
    with _admin(pg) as conn:
        for _ in range(100):  # a closed backend leaves pg_stat_activity as its process ends
            (count,) = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", [role]).fetchone()
            if count == 0:
                return 0
            time.sleep(0.02)
        return count


def test_calibrate_writes_a_block_that_loads_and_a_short_run(pg, tmp_path):
    target = tmp_path / "db.yaml"
    result = _calibrate("--dsn", pg.dsn(), "-n", 8, "--out", target, "-q")
    assert result.exit_code == 0, result.output
    database = load_scenario(target).database
    assert (database.flavor, database.version, database.max_connections,
            database.superuser_reserved_connections, database.other_clients) == ("postgres", 15, 20, 3, 0)
    assert database.handshake.dist == "lognormal" and 0 < database.handshake.median < 1
    scenario = load_scenario(target, overrides={
        "duration": "2s", "warmup": "500ms", "fleet.instances": 2,
        "workload.arrivals": [{"kind": "poisson", "rate": "100/s"}],
        "database.handshake": {"dist": "empirical", "file": "db.handshake.csv"}})
    summary = simulate(scenario).summary()
    assert summary["requests"]["total"]["mean"] > 100 and summary["database"]["max_connections"]["mean"] == 20


def test_calibrate_counts_other_clients_by_role_and_application(pg):
    monitors = [psycopg.connect(pg.dsn(application_name="pgwatch")) for _ in range(2)]
    admin = psycopg.connect(pg.dsn(SUPERUSER, application_name="api"))
    try:
        cal = calibrate_postgres(pg.dsn(), n=1, exclude_applications=("api",))
    finally:
        for conn in [*monitors, admin]:
            conn.close()
    groups = {(g.role, g.application): (g.count, g.counted) for g in cal.facts.sessions}
    assert groups == {("simpool_app", "pgwatch"): (2, True), (SUPERUSER, "api"): (1, False)}
    assert cal.facts.other_clients == 2 and cal.database_block()["other_clients"] == 2


def test_calibrate_holds_one_connection_and_closes_every_one(pg, monkeypatch):
    """Every connection calibrate opens is closed before the next one opens, and none is
    left open at the end, also when Ctrl-C comes in the middle (counted at the driver:
    the server's own count lags while closed backends exit)."""
    real_connect = psycopg.connect
    open_now, most = [], [0]

    def counting_connect(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        open_now.append(conn)
        most[0] = max(most[0], sum(not c.closed for c in open_now))
        return conn

    monkeypatch.setattr(psycopg, "connect", counting_connect)
    cal = calibrate_postgres(pg.dsn(), n=6)
    assert len(cal.handshake.samples) == 6 and len(cal.query.samples) == 18
    assert len(open_now) == 7 and most[0] == 1 and all(c.closed for c in open_now)

    ticks = iter(range(1000))

    def clock() -> float:  # Ctrl-C while the second measured connection runs its probe
        if next(ticks) == 12:
            raise KeyboardInterrupt
        return time.perf_counter()

    open_now.clear()
    with pytest.raises(KeyboardInterrupt):
        calibrate_postgres(pg.dsn(), n=6, clock=clock)
    assert len(open_now) == 3 and most[0] == 1 and all(c.closed for c in open_now)
    assert _sessions_of(pg, "simpool_app") == 0


@pytest.fixture
def locked_databases(pg):
    """``locked``: the app role may not connect; ``nostats``: it may not read pg_stat_activity."""
    with _admin(pg) as conn:
        conn.execute("CREATE DATABASE locked")
        conn.execute("REVOKE CONNECT ON DATABASE locked FROM PUBLIC")
        conn.execute("CREATE DATABASE nostats")
    with psycopg.connect(pg.dsn(SUPERUSER).replace("/postgres?", "/nostats?"), autocommit=True) as conn:
        conn.execute("REVOKE SELECT ON pg_catalog.pg_stat_activity FROM PUBLIC")
    yield
    with _admin(pg) as conn:
        conn.execute("DROP DATABASE locked")
        conn.execute("DROP DATABASE nostats")


def test_refusals_are_one_line_and_exit_2(pg, tmp_path, locked_databases):
    closed_port = _free_port()
    cases = {
        pg.dsn(password="wrong"): 'password authentication failed for user "simpool_app"',
        pg.dsn().replace(f":{pg.port}/", f":{closed_port}/"): "Connection refused",
        pg.dsn().replace("/postgres?", "/locked?"): 'permission denied for database "locked"',
        pg.dsn().replace("/postgres?", "/nostats?"): "permission denied for view pg_stat_activity",
    }
    for dsn, reason in cases.items():
        result = _calibrate("--dsn", dsn, "-n", 2, "--out", tmp_path / "c.yaml", "-q")
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and reason in lines[0], result.output
        assert "wrong" not in lines[0] and "Traceback" not in result.output
        assert list(tmp_path.iterdir()) == []


def test_a_tls_dsn_measures_tls_handshakes(pg):
    """sslmode=require: the measured connections use TLS, and the block carries the
    fractions measured with TLS (the TLS handshake comes before the slot)."""
    need(shutil.which("openssl") is not None, "openssl (the test server's certificate)")
    cal = calibrate_postgres(pg.dsn(sslmode="require"), n=3)
    assert cal.facts.tls
    block = cal.database_block()
    assert (block["handshake_before_slot"], block["refused_handshake"]) == (0.65, 0.65)
    assert not calibrate_postgres(pg.dsn(), n=1).facts.tls
