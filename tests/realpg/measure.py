"""Measure the server-side rules simpool's defaults come from, on a real local PostgreSQL.

``python -m tests.realpg.measure [THREADS] [--tls]`` starts its own server (see :mod:`tests.realpg.server`)
and prints, from N dials each on an idle server (SCRAM-SHA-256, loopback, TLS with ``--tls``):

- a successful handshake's time, and when its first reply and its SASL final arrived;
- the time to "sorry, too many clients already" (every PGPROC taken) and to the
  reserved-slot refusal (the ordinary role's slots taken), as fractions of a handshake;
- the postmaster's CPU time per connection (``/proc/PID/stat``), whose inverse is the
  rate at which its single loop can accept and fork;
- the listen backlog (``ss``), and what a dial storm does to the handshake time.

The numbers are medians; they feed the defaults in ``simpool/scenario/sections.py``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time

from tests.realpg import wire
from tests.realpg.server import APP_PASSWORD, APP_ROLE, SUPERUSER, SUPERUSER_PASSWORD, PgServer

TLS = False


def _dial(server: PgServer, role: str = APP_ROLE, tls: bool | None = None):
    password = SUPERUSER_PASSWORD if role == SUPERUSER else APP_PASSWORD
    return wire.connect("127.0.0.1", server.port, role, password, tls=TLS if tls is None else tls)


def _timed(server: PgServer, n: int, role: str = APP_ROLE) -> list[dict]:
    out = []
    for _ in range(n):
        try:
            session = _dial(server, role)
            out.append(session.timings)
            session.close()
        except wire.ServerRefused as exc:
            out.append({**exc.timings, "message": exc.message})
    return out


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def main(n: int = 200) -> None:
    global TLS
    TLS = "--tls" in sys.argv
    with PgServer() as server:
        print("TLS 1.3 (self-signed certificate)" if TLS else "no TLS")
        usable = server.max_connections - server.superuser_reserved_connections
        _timed(server, 20)  # warm the caches
        ok = _timed(server, n)
        full = _median(ok, "ready")
        print(f"successful handshake: median {full * 1e3:.2f} ms; startup packet sent at "
              f"{_median(ok, 'startup_sent') / full:.3f}, first reply at {_median(ok, 'first_reply') / full:.3f}, "
              f"SASL final at {_median(ok, 'sasl_final') / full:.3f} of it")

        held = [_dial(server) for _ in range(usable)]
        reserved = _timed(server, n)
        print(f"reserved-slot refusal: {reserved[0]['message']!r}; median {_median(reserved, 'error') * 1e3:.2f} ms "
              f"= {_median(reserved, 'error') / full:.3f} of a handshake")
        held += [_dial(server, SUPERUSER) for _ in range(server.superuser_reserved_connections)]
        sorry = _timed(server, n)
        print(f"no PGPROC: {sorry[0]['message']!r}; median {_median(sorry, 'error') * 1e3:.2f} ms "
              f"= {_median(sorry, 'error') / full:.3f} of a handshake")
        for session in held:
            session.close()
        time.sleep(0.5)

        pid = server.process.pid
        before, t0 = _cpu_seconds(pid), time.perf_counter()
        _timed(server, 1000)
        cpu = (_cpu_seconds(pid) - before) / 1000
        print(f"postmaster CPU per connection: {cpu * 1e6:.0f} µs → accept rate ≈ {1 / cpu:,.0f}/s "
              f"(1000 sequential dials in {time.perf_counter() - t0:.2f} s)")
        ss = subprocess.run(["ss", "-ltn", f"sport = :{server.port}"], capture_output=True, text=True).stdout
        print("listen backlog (ss Send-Q):", ss.split("\n")[1].split()[2])
        threads = [int(a) for a in sys.argv[1:] if a.isdigit()]
        storm(server, threads=threads[0] if threads else 32)


def storm(server: PgServer, threads: int, seconds: float = 3.0) -> None:
    """Each thread dials, closes and dials again for ``seconds``."""
    times: list[float] = []
    errors: list[str] = []
    end = time.perf_counter() + seconds

    def loop() -> None:
        while time.perf_counter() < end:
            try:
                s = _dial(server)
                times.append(s.timings["ready"])
                s.close()
            except wire.ServerRefused as exc:
                errors.append(exc.message)
            except OSError as exc:
                errors.append(type(exc).__name__)

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    print(f"storm, {threads} threads: {len(times) / seconds:,.0f} dials/s, median handshake "
          f"{statistics.median(times) * 1e3:.1f} ms, p99 {sorted(times)[int(0.99 * len(times))] * 1e3:.1f} ms, "
          f"{len(errors)} errors")


if __name__ == "__main__":
    main()
