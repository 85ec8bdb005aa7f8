"""``simpool calibrate`` without a server: what it refuses, in one line with exit 2,
before it touches the network or a file."""

from __future__ import annotations

import sys

import pytest


@pytest.mark.parametrize(("args", "message"), [
    (["--dsn", "mysql://app:pw@db/app"], "error: MySQL/MariaDB is not supported by calibrate yet"),
    (["--dsn", "redis://x"], "error: --dsn: expected postgresql://… or libpq key=value pairs (not 'redis')"),
    (["gone.yaml", "--dsn", "postgresql://a@b/c"], "error: gone.yaml: no such scenario file"),
    (["--dsn", "postgresql://a@b/c", "--timeout", "ten"], "error: --timeout: "),
    (["--dsn", "postgresql://a@b/c", "-n", "0"], "Invalid value for '-n'"),
])
def test_bad_input_is_one_line_and_exit_2(invoke, tmp_path, args, message):
    result = invoke("calibrate", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_without_psycopg_it_says_what_to_install(invoke, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result = invoke("calibrate", "--dsn", "postgresql://app@127.0.0.1:1/app")
    assert result.exit_code == 2
    assert result.output.strip() == "error: simpool calibrate needs psycopg 3: pip install 'simpool[calibrate]'"

