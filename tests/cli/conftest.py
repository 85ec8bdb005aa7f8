"""CLI test plumbing: a runner on the real typer app, a pinned console width, and a
small scenario that runs in a fraction of a second."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer import rich_utils
from typer.testing import CliRunner

from simpool.cli import app

WIDTH = 120

TINY = """\
# A tiny scenario for CLI tests: two pools of 4 and a short spike.
name: tiny
duration: 6s
warmup: 1s
seed: 3
fleet:
  instances: 2
  pool: {max_open: 4, max_idle: 4}
workload:
  arrivals:
    - {kind: poisson, rate: 150/s}
    - {kind: spike, at: 2s, for: 2s, rate: 150/s}
"""


@pytest.fixture(autouse=True)
def pinned_console(monkeypatch, tmp_path):
    """Same output on every machine: a fixed width, no colour, and a scratch working
    folder so that the default ``simpool-out/`` lands in ``tmp_path``."""
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("SIMPOOL_DEBUG", raising=False)
    monkeypatch.setattr(rich_utils, "MAX_WIDTH", WIDTH)
    monkeypatch.setattr(rich_utils, "FORCE_TERMINAL", False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def invoke():
    """``invoke("run", "--json", ...)`` → typer's Result, stdout and stderr kept apart."""
    runner = CliRunner()

    def call(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return call


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path
