"""The diagnosis of a scenario with several services on one database.

The pool rules of :mod:`.rules` read one fleet; with ``services:`` the question is whose
pools take the slots, and how to split ``max_connections`` between the services. These
rules read each service's section of the summary (``services.NAME``) and the scenario's
services, and every piece of advice changes one service's pool only and is proved, as
every rule's is, by a what-if on the same traffic, which reports its effect on the service
that was starved and on the service that was capped. A saturated database stays the
database's problem: then no budget split is blamed, and only the database's remedies are
tried.
"""

from __future__ import annotations

import math
from typing import Any

from .counterfactual import Remedy
from .phrases import count, largest_fleet, mean, ms, server, share
from .rules import Draft
from .saturation import _faster_queries, _more_cores, is_saturated


def _services(summary: dict[str, Any]) -> dict[str, Any]:
    return summary.get("services", {})


def _held(service: dict[str, Any]) -> float:
    return mean(service, "connections", "at_database_peak")


def _bound(scenario: Any, view: Any, service: dict[str, Any]) -> tuple[int, str]:
    """The most connections a service's pools may hold, and how: ``instances × MaxOpen``
    when capped (the largest fleet: autoscale max, a deploy's surge), else what it held at
    its peak (nothing bounds it)."""
    n, _ = largest_fleet(scenario, view.fleet)
    max_open = view.fleet.pool.max_open
    if max_open and not scenario.pitfalls.pool_per_request:
        return n * max_open, f"{view.name} {n} × {max_open}"
    peak = math.ceil(mean(service, "pool", "peak_open"))
    return peak, f"{view.name} {count(peak)} (its peak; unlimited MaxOpen)"


def budget_split(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    """With refusals: the service whose pools held the most slots when the database was
    fullest, the service refused most, and the MaxOpen that leaves the others' budgets free."""
    if mean(summary, "errors", "too_many_connections") <= 0 or is_saturated(scenario, summary):
        return None
    services = _services(summary)
    views = {view.name: view for view in scenario.service_list()}
    if len(services) < 2:
        return None
    hog = max(services, key=lambda name: (_held(services[name]), name))
    # The service refused most, another's than the hog's if any other was refused at all.
    starved = max(services, key=lambda name: (name != hog and mean(services[name], "errors", "too_many_connections") > 0,
                                              mean(services[name], "errors", "too_many_connections")))
    db = scenario.database
    usable, others = db.usable_connections, db.other_clients
    hog_view = views[hog]
    held = _held(services[hog])
    refused = mean(services[starved], "errors", "too_many_connections")
    total = mean(services[starved], "requests", "total")
    pool = hog_view.fleet.pool
    how = "Go's default unlimited MaxOpen" if not pool.max_open else f"MaxOpen {pool.max_open}"
    n, fleet = largest_fleet(scenario, hog_view.fleet)
    text = (f"{hog} holds {count(held)} of the {usable} usable slots at the database's peak "
            f"({fleet} with {how}); {starved} had {count(refused)} of its {count(total)} requests "
            f"({share(refused, total)}) refused by {server(scenario)}.")
    reserved = []
    for name, service in services.items():
        if name != hog:
            reserved.append(_bound(scenario, views[name], service))
    room = usable - others - sum(b for b, _ in reserved)
    fit = room // n if n else 0
    if fit < 1 or (pool.max_open and fit >= pool.max_open):
        return Draft("services_budget", "problem", text + " No MaxOpen for it fits beside the other services' "
                     "budgets: the database needs more slots, or the other services smaller pools.")
    budgets = " + ".join([f"{hog} {n} × {fit}", *(w for _, w in reserved)])
    spare = f" + {others} other clients" if others else ""
    # Each effect names its service: a fleet-wide failure rate beside the starved service's
    # refusals would read as the starved service's own.
    effects = (f"services.{starved}.errors.too_many_connections", f"services.{starved}.wait_ms.p99",
               f"services.{hog}.requests.failed", f"services.{hog}.latency_ms.p99",
               f"services.{hog}.errors.deadline_exceeded")
    remedy = Remedy(
        change=f"{hog}: SetMaxOpenConns({fit})", overrides=((hog_view.pool_path("max_open"), fit),),
        advice=f"Split the budget: cap {hog}'s pools with SetMaxOpenConns({fit}), so {budgets}{spare} ≤ {usable}; "
               f"{hog} then queues in its own pools instead of taking {starved}'s slots.",
        goal=f"services.{starved}.errors.too_many_connections", effects=effects)
    return Draft("services_budget", "problem", text, remedies=(remedy,))


def budget_fits(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    """Every service capped and the budgets add up within the usable slots: say so."""
    services = _services(summary)
    views = scenario.service_list()
    if scenario.pitfalls.pool_per_request or any(not view.fleet.pool.max_open for view in views):
        return None
    bounds = [_bound(scenario, view, services.get(view.name, {})) for view in views]
    db = scenario.database
    total = sum(b for b, _ in bounds) + db.other_clients
    if total > db.usable_connections:
        return None
    spare = f" + {db.other_clients} other clients" if db.other_clients else ""
    return Draft("services_fit", "note",
                 f"The services' budgets fit: {' + '.join(w for _, w in bounds)}{spare} = {total} ≤ "
                 f"{db.usable_connections} usable: no service can take another's slots.")


def saturated(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    """The database's cores are the bottleneck: the database's remedies only."""
    if not is_saturated(scenario, summary):
        return None
    cores = scenario.database.cores
    offered = mean(summary, "load", "offered_cores")
    peak = max(mean(summary, "load", "offered_cores_peak"), offered)
    failed = mean(summary, "requests", "failed")
    total = mean(summary, "requests", "total")
    text = (f"The database is saturated: the services offer {offered:,.1f} cores of query work "
            f"({peak:,.1f} in the busiest second) to {cores} cores, each query waiting "
            f"{ms(mean(summary, 'load', 'core_wait_ms_mean'))} for one on average; {count(failed)} of "
            f"{count(total)} requests failed. This is the database's problem, not a pool's or a budget's.")
    goal = "failure_rate.failed" if failed > 0 else "latency_ms.p99"
    effects = (goal, "latency_ms.p99" if failed > 0 else "failure_rate.failed", "load.utilisation")
    remedies = [_more_cores(scenario, peak, goal, effects)]
    factor = 0.8 * cores / peak if peak else 1.0
    traced = any(type(a).__name__ == "TraceArrivals" for v in scenario.service_list() for a in v.workload.arrivals)
    faster = None if traced else _faster_queries(scenario, factor, goal, effects)
    if faster is not None:
        remedies.append(faster)
    return Draft("saturated_database", "problem" if failed > 0 else "warning", text, remedies=tuple(remedies),
                 joined=("What can fix it: ", "; ", "."))
