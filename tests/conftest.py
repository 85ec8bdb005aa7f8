"""Shared fixtures: a SimPy ``env``, a scripted fake database server, and callers that
log what the pool hands them, so rule tests can assert whole traces."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import simpy

from simpool.model.errors import PG_TOO_MANY_CLIENTS
from simpool.model.events import call_later
from simpool.model.pool import DB
from simpool.model.profiles import PROFILES


class FakeSession:
    """A server session with no server behind it; tests kill it by setting ``dead``."""

    _ids = itertools.count(1)

    def __init__(self) -> None:
        self.id = next(self._ids)
        self.dead = False
        self.dropped = False

    def __repr__(self) -> str:
        return f"FakeSession({self.id}, dead={self.dead})"


class FakeServer:
    """Answers every dial after ``dial_time``; ``refuse`` makes dials fail; logs dials and
    disconnects as ``(time, event)``."""

    def __init__(self, env: simpy.Environment, log: list, dial_time: float = 0.0):
        self.env = env
        self.log = log
        self.dial_time = dial_time
        self.refuse = False
        self.dials = 0
        self.disconnects = 0

    def dial(self, deadline: float, callback: Any, token: Any, handshake: float | None = None) -> None:
        self.dials += 1
        self.log.append((self.env.now, "dial"))
        done = self.env.now + self.dial_time
        if done > deadline:
            call_later(self.env, deadline - self.env.now, lambda c: callback(token, None, _deadline()))
        elif self.refuse:
            call_later(self.env, self.dial_time, lambda c: callback(token, None, PG_TOO_MANY_CLIENTS))
        else:
            call_later(self.env, self.dial_time, lambda c: callback(token, FakeSession(), None))

    def disconnect(self, session: Any) -> None:
        self.disconnects += 1
        self.log.append((self.env.now, f"close {session.id}"))


def _deadline():
    from simpool.model.errors import ERR_DEADLINE

    return ERR_DEADLINE


class Caller:
    """A goroutine calling ``db.conn``: logs ``(time, name, conn id or error kind)``."""

    def __init__(self, env: simpy.Environment, log: list, name: str):
        self.env = env
        self.log = log
        self.name = name
        self.dc = None
        self.err = None
        self.answers = 0

    def conn_ready(self, dc: Any, err: Any) -> None:
        self.dc, self.err = dc, err
        self.answers += 1
        self.log.append((self.env.now, self.name, dc.id if dc is not None else err.kind))

    def __repr__(self) -> str:
        return f"Caller({self.name!r})"


class Uniform:
    """A deterministic stand-in for a pool's random stream."""

    def __init__(self, values: list[float] | None = None):
        self.values = list(values or [])

    def __call__(self) -> float:
        return self.values.pop(0) if self.values else 0.0


@pytest.fixture
def env() -> simpy.Environment:
    return simpy.Environment()


@pytest.fixture
def log() -> list:
    return []


@pytest.fixture
def server(env, log) -> FakeServer:
    return FakeServer(env, log)


@pytest.fixture
def make_db(env, server):
    """``make_db(max_open=…, max_idle=…, lifetime=…, idle_time=…, version=…)``."""

    def make(max_open=0, max_idle=None, lifetime=0.0, idle_time=0.0, version="1.23",
             uniform=None, waiter_order="random", connector=None):
        db = DB(env, connector or server, profile=PROFILES[version], waiter_order=waiter_order,
                uniform=uniform or Uniform())
        db.configure(max_open, max_idle, lifetime, idle_time)
        return db

    return make


@pytest.fixture
def caller(env, log):
    """``caller("a")`` makes a named caller that logs into ``log``."""
    return lambda name: Caller(env, log, name)


@pytest.fixture
def advance(env):
    """``advance(t, db, …)``: process every event up to time ``t``, checking the given
    pools' invariants after each one."""

    def step_to(t: float, *dbs: DB) -> None:
        while env.peek() <= t:
            env.step()
            for db in dbs:
                db.check_invariants()

    return step_to


def need(available: bool, what: str) -> None:
    """Skip a test whose real part (a PostgreSQL server, a Go toolchain, Chromium) is
    missing here, or fail it under CI (``SIMPOOL_CI=1``, set by ``.ci/run``), where a
    skip would hide that the check never ran."""
    import os

    if available:
        return
    if os.environ.get("SIMPOOL_CI"):
        pytest.fail(f"{what} is required in CI (SIMPOOL_CI=1) but is missing")
    pytest.skip(f"{what} is not available here")


def results_in(folder) -> set[str]:
    """The files simpool left in an output folder, checking that the only hidden entry is
    its manifest (no staging or commit folder left behind)."""
    names = {path.name for path in folder.iterdir()}
    hidden = {name for name in names if name.startswith(".")}
    assert hidden <= {".simpool-manifest.json"}, hidden
    return names - hidden
