"""Build the Go harness with a given toolchain and replay a trace through it.

The build uses only the standard library (``harness/go.mod`` requires nothing), with
every Go directory (cache, module path, home) in a folder of our own and the network
off, so it works for any user, root included, on a clean machine with no network.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simpool.model.errors import MYSQL_TOO_MANY, PG_TOO_MANY_CLIENTS, reserved_refusals

from .traces import Trace

HARNESS = Path(__file__).resolve().parent / "harness"
"""The Go program's folder (a main package, standard library only)."""

PG_VERSION = 16
"""The PostgreSQL major version both sides speak (its refusal texts)."""


@dataclass(frozen=True)
class Toolchain:
    """A Go release on this machine and the simpool profile that models it."""

    version: str
    """The release family, e.g. ``1.19``."""
    go: Path
    """Its ``go`` command."""
    profile: str
    """simpool's ``pool.go_version`` for it."""

    @property
    def available(self) -> bool:
        return self.go.is_file() and os.access(self.go, os.X_OK)


TOOLCHAINS = (
    Toolchain("1.19", Path("/usr/lib/go-1.19/bin/go"), "1.18"),
    Toolchain("1.23", Path("/usr/lib/go-1.23/bin/go"), "1.23"),
)
"""Debian's Go packages (``golang-1.19-go``; ``golang-1.23-go`` from bookworm-backports):
1.19 has the map-biased waiter pick of simpool's 1.18 profile, 1.23 the uniform one."""


def go_env(work: Path) -> dict[str, str]:
    """The environment of a hermetic ``go build``: our own cache, no network, no cgo."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GO")}
    env.update(HOME=str(work / "home"), GOCACHE=str(work / "gocache"), GOPATH=str(work / "gopath"),
               GOENV="off", GOFLAGS="", GOTOOLCHAIN="local", GOPROXY="off", GO111MODULE="on",
               CGO_ENABLED="0")
    return env


def build(toolchain: Toolchain, work: Path) -> Path:
    """The harness binary built by ``toolchain`` under ``work``, built once: concurrent
    callers (test workers) wait for the first one's build and reuse it."""
    work.mkdir(parents=True, exist_ok=True)
    binary = work / f"harness-go{toolchain.version}"
    with open(work / f".build-go{toolchain.version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            partial = work / f"{binary.name}.partial"
            done = subprocess.run([str(toolchain.go), "build", "-o", str(partial), "."],
                                  cwd=HARNESS, env=go_env(work), capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"go{toolchain.version} build of the harness failed:\n{done.stderr}")
            partial.replace(binary)
    return binary


def harness_config(trace: Trace) -> dict[str, Any]:
    """The harness's input for ``trace`` (see ``harness/main.go``, ``type config``)."""
    postgres = trace.flavor == "postgres"
    reserved_superuser, reserved_role = reserved_refusals(PG_VERSION)
    return {
        "flavor": trace.flavor,
        "max_connections": trace.max_connections,
        "superuser_reserved_connections": trace.superuser_reserved if postgres else 0,
        "reserved_connections": 0,
        "handshake_ms": trace.handshake_ms,
        "handshake_before_slot": trace.handshake_before_slot,
        "refused_handshake": trace.refused_share,
        "errors": {
            "too_many": (PG_TOO_MANY_CLIENTS if postgres else MYSQL_TOO_MANY).message,
            "reserved_superuser": reserved_superuser.message,
            "reserved_role": reserved_role.message,
        },
        "instances": trace.instances,
        "pool": {"max_open": trace.max_open, "max_idle": trace.max_idle,
                 "conn_max_lifetime_ms": trace.lifetime_ms, "conn_max_idle_time_ms": trace.idle_time_ms},
        "requests": [{"id": i, "t_ms": t, "instance": inst, "service_ms": service, "timeout_ms": timeout}
                     for i, (t, inst, service, timeout) in enumerate(trace.rows)],
    }


def replay(binary: Path, trace: Trace) -> dict[str, Any]:
    """Replay ``trace`` in real time through the real pool; the harness's JSON output."""
    done = subprocess.run([str(binary)], input=json.dumps(harness_config(trace)), capture_output=True,
                          text=True, timeout=trace.duration_ms / 1e3 + 60)
    if done.returncode != 0:
        raise RuntimeError(f"{binary.name} failed on trace {trace.name!r}:\n{done.stderr}")
    return json.loads(done.stdout)


def replay_twice(binary: Path, trace: Trace) -> list[dict[str, Any]]:
    """Two independent replays of ``trace``, side by side (two processes, each with its
    own pools and database: they share only the machine, which idles in timers)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda _: replay(binary, trace), range(2)))
