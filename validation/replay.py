"""Replay a trace through simpool exactly as one harness run played it.

Go's clock is not exact: a timer wakes a fraction of a millisecond late, so a request
arrives, a query ends and a handshake finishes a little after the trace says, and events
the trace puts a fraction of a millisecond apart may happen in either order. The harness
measures what really happened, and simpool replays *that*, with its existing trace
replay (``t_ms``, ``instance``, ``service_ms``, ``timeout_ms``, ``handshake_ms``): each
request's real moment of asking the pool, its real hold of the connection, its deadline
as it really fired, and the handshake of the dial it made itself. Dials the model makes
that Go did not (the opener's, or a request's that Go served from the pool) draw from the
handshakes measured. Drawing them all instead loses how handshakes and queries slow down
*together* when the machine stalls, and made the model dial about 1% less than Go.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import simpool
from simpool.engine import Simulation

from .gorun import PG_VERSION
from .metrics import code_path_ms, dial_ms, model_metrics
from .traces import Trace


@dataclass(frozen=True)
class Measured:
    """What one harness run measured, as simpool's trace replay takes it.

    Rows are ``(t_ms, instance, service_ms, timeout_ms, handshake_ms)``: when the request
    really asked the pool; how long it really held its connection, from the moment the
    pool handed it over to the moment the pool took it back; when its deadline really took
    effect (its context's Done closed); and how long its own dial took
    (:func:`~validation.metrics.dial_ms`; refused before authentication, that time over
    the refused share, so that refused again it costs the same). What a run cannot show,
    how long a query cancelled mid-flight would have held its connection (the server
    finishes it) or when a deadline that never fired would have, is the nominal time plus
    the request's *own* measured lateness: the harness decides a query against its
    deadline by the clock, and one lateness on both sides keeps simpool deciding it the
    same way. ``handshakes_ms`` are all the successful dials, for the other dials.
    """

    rows: tuple[tuple[float, int, float, float | None, float | None], ...]
    handshakes_ms: tuple[float, ...]
    refused_handshake: float


def _draw(rng: np.random.Generator, values: list[float]) -> float:
    return float(values[rng.integers(len(values))]) if values else 0.0


def _lateness(result: dict[str, Any], row: tuple[float, int, float, float]) -> float | None:
    """How late Go's timers ran this request (ms): its hold past its service time if the
    query completed, else its deadline past its timeout if that fired; None if neither."""
    _, _, service, timeout = row
    if result["completed"]:
        return result["released_ms"] - result["acquired_ms"] - service
    if result["deadline_ms"] is not None:
        return result["deadline_ms"] - timeout
    return None


def measured(trace: Trace, run: dict[str, Any], seed: int = 0) -> Measured:
    """The durations one harness run really took. ``seed`` draws the lateness of a request
    that shows none (no query completed, no deadline fired), and places each measured
    moment within the harness's resolution (:func:`~validation.metrics.code_path_ms`): a
    moment is known only to a few microseconds, and where the order of two such moments
    decides an outcome (a dial or an idle connection, a refusal or a slot), the seeds
    then show it."""
    rng = np.random.default_rng(seed)
    resolution = code_path_ms(run)

    def jitter(ms: float | None) -> float | None:
        return None if ms is None else max(ms + resolution * (rng.random() - 0.5), 0.0)

    by_id = {r["id"]: r for r in run["requests"]}
    lateness = {i: _lateness(r, trace.rows[i]) for i, r in by_id.items()}
    measured_lateness = [late for late in lateness.values() if late is not None]
    asked = {i: r["arrival_ms"] for i, r in by_id.items()}
    ok = [dial_ms(d, asked) for d in run["dials"] if d["outcome"] == "ok"]
    refused = [dial_ms(d, asked) for d in run["dials"] if d["outcome"] == "refused"]
    refused_fraction = min(float(np.mean(refused) / np.mean(ok)), 1.0) if refused and ok else trace.refused_share
    own_dial = {}
    for d in run["dials"]:
        if d["request"] >= 0 and d["outcome"] in ("ok", "refused", "refused_reserved"):
            took = dial_ms(d, asked)
            own_dial[d["request"]] = took / refused_fraction if d["outcome"] == "refused" else took
    rows = []
    for i, (_, instance, service, timeout) in enumerate(trace.rows):
        r = by_id[i]
        late = lateness[i] if lateness[i] is not None else _draw(rng, measured_lateness)
        hold = r["released_ms"] - r["acquired_ms"] if r["completed"] else service + late
        if timeout <= 0:
            deadline = None
        elif r["deadline_ms"] is not None:
            deadline = r["deadline_ms"]
        else:  # it never fired: not before the request ended
            deadline = max(timeout + late, r["latency_ms"])
        rows.append((jitter(r["arrival_ms"]), instance, jitter(hold), jitter(deadline), jitter(own_dial.get(i))))
    rows.sort(key=lambda row: row[0])
    return Measured(rows=tuple(rows), handshakes_ms=tuple(ok) or (trace.handshake_ms,),
                    refused_handshake=refused_fraction)


def scenario_for(trace: Trace, inputs: Measured, profile: str, folder: Path) -> simpool.scenario.Scenario:
    """The simpool scenario that replays ``inputs`` with ``pool.go_version: profile``
    (its trace and handshake files are written under ``folder``)."""
    with open(folder / "trace.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["t_ms", "instance", "service_ms", "timeout_ms", "handshake_ms"])
        for t, instance, *durations in inputs.rows:
            writer.writerow([repr(t), instance, *("" if ms is None else repr(ms) for ms in durations)])
    (folder / "handshakes.csv").write_text("ms\n" + "".join(f"{ms!r}\n" for ms in inputs.handshakes_ms))
    pool: dict[str, Any] = {"max_open": trace.max_open, "go_version": profile,
                            "conn_max_lifetime": f"{trace.lifetime_ms!r}ms",
                            "conn_max_idle_time": f"{trace.idle_time_ms!r}ms"}
    if trace.max_idle is not None:
        pool["max_idle"] = trace.max_idle
    postgres = trace.flavor == "postgres"
    return simpool.load_scenario({
        "name": f"validation-{trace.name}",
        # Just past the last arrival: the run then stops when the last request finishes,
        # the moment the harness takes its statistics.
        "duration": f"{inputs.rows[-1][0] + 1e-3!r}ms",
        "warmup": "0",
        "database": {"flavor": trace.flavor, "version": PG_VERSION, "max_connections": trace.max_connections,
                     "superuser_reserved_connections": trace.superuser_reserved if postgres else 0,
                     "handshake": {"dist": "empirical", "file": "handshakes.csv"},
                     "handshake_before_slot": trace.handshake_before_slot, "refused_handshake": inputs.refused_handshake,
                     # No accept loop and unlimited cores, as in the harness's fake server.
                     "accept_rate": "0/s", "cores": 0, "idle_timeout": "0"},
        "fleet": {"instances": trace.instances, "pool": pool},
        "workload": {"arrivals": [{"kind": "trace", "file": "trace.csv"}],
                     "request": {"queries": 1, "transaction": False, "timeout": "0"}},
    }, base_dir=folder)


@dataclass(frozen=True)
class Replayed:
    """One simpool replay: the compared metrics and each request's pool wait (ms)."""

    metrics: dict[str, float]
    waits_ms: np.ndarray


def replay(trace: Trace, run: dict[str, Any], profile: str, seeds: Sequence[int]) -> list[Replayed]:
    """simpool's replays of one harness run, one per seed (a seed moves only what is
    random in the model, waiter picks and handshake draws, and what :func:`measured`
    draws)."""
    out = []
    with tempfile.TemporaryDirectory(prefix=f"simpool-validation-{trace.name}-") as folder:
        for seed in seeds:
            scenario = scenario_for(trace, measured(trace, run, seed), profile, Path(folder))
            simulation = Simulation(scenario, seed, record_requests=True)
            simulation.run()
            waits = np.array([r.wait for r in simulation.recorder.records]) * 1e3
            out.append(Replayed(model_metrics(simulation), waits))
    return out
