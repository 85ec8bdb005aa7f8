"""The Go harness, built once per test session and Go release into a folder the
session's workers share (each worker waits for the first one's build)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from validation.gorun import Toolchain, build


@pytest.fixture(scope="session")
def harness(tmp_path_factory) -> Callable[[Toolchain], Path]:
    """``harness(toolchain)``: the harness binary that ``toolchain`` built."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # one folder for the whole session, not one per worker
    return lambda toolchain: build(toolchain, base / "go-harness")
