"""The database's cores: when the traffic offers more query work than they can do, no
pool setting helps, and this rule outranks every pool rule.

Offered load is the arrival rate × queries per request × the mean query time, in cores
(the ``load`` section of the summary). When the cores are busy all through the busiest
second with queries queued for them, the queue inside the database is what requests wait
on; a larger pool only moves more of the queue into the database. The remedies are the
database's: more cores, faster queries, or less traffic, each sized so the busiest
second would use :data:`TARGET` of the cores, and each proved by a what-if. The claim that
no pool setting can fix it is proved too: by the same traffic with a larger pool.
"""

from __future__ import annotations

import math
from typing import Any

from ..scenario import TraceArrivals
from ..units import format_duration, format_rate
from .counterfactual import Remedy
from .phrases import count, fitting_max_open, mean, ms
from .rules import Draft

TARGET = 0.8
"""The share of the cores a remedy aims to use in the busiest second."""

BUSY = 0.95
"""Cores busy this share of the busiest second, with a queue, is saturation."""


def is_saturated(scenario: Any, summary: dict[str, Any]) -> bool:
    """The cores were (all but) fully busy in the busiest second, with queries queued."""
    cores = scenario.database.cores
    return bool(cores) and mean(summary, "load", "utilisation_peak") >= BUSY and \
        mean(summary, "load", "queue_max") >= 1


def saturated_database(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    """More query work than cores: what it offered, what it got, and what can fix it."""
    if not is_saturated(scenario, summary):
        return None
    db = scenario.database
    cores = db.cores
    offered = mean(summary, "load", "offered_cores")
    peak = max(mean(summary, "load", "offered_cores_peak"), offered)
    failed = mean(summary, "requests", "failed")
    total = mean(summary, "requests", "total")
    request = scenario.workload.request
    query = db.query.mean
    rate = total / (scenario.duration - scenario.warmup) if scenario.duration > scenario.warmup else 0.0
    work = (f"{offered:,.1f} cores of query work ({count(rate)} requests/s × {request.queries} "
            f"quer{'y' if request.queries == 1 else 'ies'} × {ms(1e3 * query)})")
    if offered >= cores:
        text = (f"The database is saturated: the traffic offers {work}, {peak:,.1f} in the busiest second, "
                f"to {cores} cores.")
    else:
        text = (f"The database saturates at the peaks: the traffic offers {work} on average but {peak:,.1f} in "
                f"the busiest second, to {cores} cores.")
    text += (f" They were {100 * mean(summary, 'load', 'utilisation'):.0f}% busy on average, "
             f"{mean(summary, 'load', 'queue_mean'):,.0f} queries queued for one on average (up to "
             f"{count(mean(summary, 'load', 'queue_max'))}), each waiting "
             f"{ms(mean(summary, 'load', 'core_wait_ms_mean'))} on average.")
    if failed > 0:
        text += f" That is why {count(failed)} of {count(total)} requests failed."
    goal = "failure_rate.failed" if failed > 0 else "latency_ms.p99"
    effects = (goal, "latency_ms.p99" if failed > 0 else "failure_rate.failed", "load.utilisation")
    factor = TARGET * cores / peak
    remedies = [_more_cores(scenario, peak, goal, effects), _faster_queries(scenario, factor, goal, effects),
                _less_traffic(scenario, factor, goal, effects)]
    refutes, claim = _bigger_pool(scenario, goal, effects)
    return Draft("saturated_database", "problem" if failed > 0 else "warning", text,
                 remedies=tuple(r for r in remedies if r is not None), refutes=refutes, claim=claim,
                 joined=("What can fix it: ", "; ", "."))


def _more_cores(scenario: Any, peak: float, goal: str, effects: tuple[str, ...]) -> Remedy:
    needed = 4 * math.ceil(peak / TARGET / 4)  # machines come in steps of cores
    cores = scenario.database.cores
    return Remedy(
        change=f"database.cores {cores} → {needed}", overrides=(("database.cores", needed),),
        advice=f"about {needed} cores ({TARGET:.0%} busy in the busiest second)", goal=goal,
        effects=effects)


def _faster_queries(scenario: Any, factor: float, goal: str, effects: tuple[str, ...]) -> Remedy | None:
    spec = scenario.database.query
    scaled = _scaled(spec, factor)
    if scaled is None or any(isinstance(a, TraceArrivals) for a in scenario.workload.arrivals):
        return None  # sampled from a file, or replayed: no single knob to turn
    after = ms(1e3 * _rounded(spec.mean * factor))
    faster = f"queries {1 / factor:.1f}× faster (mean {ms(1e3 * spec.mean)} → {after}"
    return Remedy(change=f"{faster})", overrides=(("database.query", scaled),),
                  advice=f"{faster}: an index, less work per request)", goal=goal, effects=effects)


def _less_traffic(scenario: Any, factor: float, goal: str, effects: tuple[str, ...]) -> Remedy | None:
    arrivals = scenario.workload.arrivals
    if any(isinstance(a, TraceArrivals) for a in arrivals):
        return None
    overrides = tuple((f"workload.arrivals.{i}.rate", format_rate(_rounded(a.rate * factor)))
                      for i, a in enumerate(arrivals))
    return Remedy(
        change=f"traffic × {factor:.2f}", overrides=overrides,
        advice=f"{factor:.0%} of the traffic (caching, batching, shedding load)", goal=goal, effects=effects)


def _scaled(spec: Any, factor: float) -> dict[str, Any] | None:
    """A distribution with every time multiplied by ``factor``, in ``--set`` form."""
    data = spec.model_dump(mode="json")
    if data["dist"] == "empirical":
        return None
    for key in ("value", "mean", "median", "p99", "low", "high"):
        if key in data:
            data[key] = format_duration(_rounded(getattr(spec, key) * factor))
    return data


def _rounded(x: float) -> float:
    """Three significant digits: a what-if's value as an engineer would write it."""
    return float(f"{x:.3g}")


def _bigger_pool(scenario: Any, goal: str, effects: tuple[str, ...]) -> tuple[tuple[Remedy, ...], str]:
    """The what-if that proves no pool setting can fix it: a larger MaxOpen (the most the
    cap allows, or twice as many)."""
    pool = scenario.fleet.pool
    if pool.max_open == 0 or scenario.pitfalls.pool_per_request:
        return (), (" No pool setting can fix this: the pools are unlimited already, and more connections "
                    "only queue more queries inside the database.")
    fit = fitting_max_open(scenario)
    larger = fit if fit > pool.max_open else 2 * pool.max_open
    remedy = Remedy(change=f"SetMaxOpenConns({larger})", overrides=(("fleet.pool.max_open", larger),),
                    advice="", goal=goal, effects=effects)
    return (remedy,), (f" No pool setting can fix this: with SetMaxOpenConns({larger}) the same traffic fares no "
                       "better, because more connections only queue more queries inside the database.")
