"""What must change when no pool setting fits (``simpool recommend``), with its numbers,
each proved by a run where simpool can run it: a saturated database's remedies, the
``max_connections`` the SLO needs, the fleet that would fit, a pooler; and, for one
service of several, the other services that nothing bounds (they must be capped first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .phrases import count, largest_fleet, server
from .pool_search import Probe, Prober, smallest_passing
from .saturation import saturated_database
from .slo import SloTerm
from .sweep_causes import summary_of

MAX_SEARCH = 4096
"""The largest MaxOpen searched when the cap is not enough (pool settings go to 10^6)."""


@dataclass(frozen=True)
class Change:
    """What must change when no pool setting fits, with its numbers.

    Attributes:
        kind: ``no_pool_setting``, ``cores``, ``queries``, ``traffic``, ``max_connections``,
            ``fewer_instances``, ``pooler`` or ``slo``.
        text: the sentence.
        proof: the run that proves it (None when simpool cannot run it, e.g. a pooler).
    """

    kind: str
    text: str
    proof: Probe | None = None


def cap_others_first(scenario: Any, prober: Prober, terms: Sequence[SloTerm], view: Any,
                     unbounded: Sequence[Any]) -> tuple[Change, ...]:
    """Another service's pools are unbounded: no cap for ``view`` exists until they are
    capped (whatever it is given, they may take it). The finding, with what they held in
    a run of the scenario as it is."""
    proof = prober.measure((), terms)
    row = proof.row()
    held = []
    for other in unbounded:
        _, fleet = largest_fleet(scenario, other.fleet)
        peak, top = (row.get(f"services.{other.name}.{m}") or 0.0 for m in ("connections.at_database_peak",
                                                                           "pool.peak_open"))
        held.append(f"{other.name}'s pools ({fleet}) have no SetMaxOpenConns and held {count(peak)} slots at "
                    f"the database's peak (up to {count(top)} open)")
    names = " and ".join(o.name for o in unbounded)
    return (Change("cap_others", f"Cap {names} first: {'; '.join(held)}, of the {scenario.database.usable_connections} "
                                 f"usable slots, so no MaxOpen for {view.name} can be promised its slots. Give "
                                 f"{names} a SetMaxOpenConns (simpool recommend --service {unbounded[0].name}), or "
                                 "split the budget across every service with --service all.", proof),)


def what_must_change(scenario: Any, prober: Prober, terms: Sequence[SloTerm], fixed: tuple[tuple[str, Any], ...],
                      top: Probe | None, *, view: Any, cap: int, fleet: int, reserve: int, saturated: bool,
                     others: int = 0) -> tuple[Change, ...]:
    """No MaxOpen up to the cap passes: what would, with numbers."""
    db = scenario.database
    if saturated and top is not None:
        draft = saturated_database(prober.scenario_of(top.overrides), summary_of(top.row()))
        changes = [Change("no_pool_setting", f"No pool setting helps. {draft.text if draft else ''} Even the "
                                             f"largest MaxOpen the slots allow ({cap} per instance) misses the SLO; "
                                             "a larger pool only queues more queries inside the database.")]
        for remedy in draft.remedies if draft else ():
            # Each remedy is advice too: run it, and give only those that meet the SLO.
            proof = prober.measure((*top.overrides, *remedy.overrides), terms)
            if not proof.passed:
                continue
            kind = {"database.cores": "cores", "database.query": "queries"}.get(remedy.overrides[0][0], "traffic")
            text = remedy.advice if kind == "queries" else f"{remedy.advice}: {remedy.change}"
            first = len(changes) == 1
            changes.append(Change(kind, f"{'' if first else 'Or '}{text[0].upper() if first else text[0]}{text[1:]}.",
                                  proof))
        return tuple(changes)
    reserved = db.max_connections - db.usable_connections
    open_path, idle_path = view.pool_path("max_open"), view.pool_path("max_idle")

    def roomy(m: int) -> Probe:  # the MaxOpen alone, with max_connections to hold it
        needed = fleet * m + others + db.other_clients + reserve + reserved
        return prober.measure(((open_path, m), (idle_path, m), *fixed, ("database.max_connections", needed)), terms)

    low, high = cap + 1, max(2 * cap, 1)
    probe = roomy(high)
    while not probe.passed and high < MAX_SEARCH:
        low, high = high + 1, min(2 * high, MAX_SEARCH)
        before, probe = probe, roomy(high)
        if [v.value for v in probe.verdicts] == [v.value for v in before.verdicts]:
            break  # the same numbers: no pool reached its MaxOpen (common random numbers), more cannot help
    if not probe.passed:
        return (Change("slo", f"No MaxOpen up to {high} meets the SLO, even with max_connections to hold it: "
                              "the objective is out of reach of the pool settings (see the probes).", probe),)
    need, probes = smallest_passing(roomy, low, high, high_known=probe)
    assert need is not None
    proof = probes[need]
    total = fleet * need + others + db.other_clients + reserve + reserved
    name = server(scenario)
    whose = f" for {view.name}" if view.named else ""
    beside = f" + {others} for the other services" if others else ""
    changes = [Change("max_connections", f"Raise {name}'s max_connections to {total}: the SLO needs MaxOpen "
                                         f"{need} per instance{whose}, and {fleet} × {need} = {fleet * need}{beside}"
                                         f"{_plus(db.other_clients, reserve)} + {reserved} reserved.", proof)]
    fits = (db.usable_connections - others - db.other_clients - reserve) // need
    changes.append(_fewer_instances(scenario, prober, terms, fixed, need, fits, reserve, view, others))
    pooler = "PgBouncer in transaction mode" if db.flavor == "postgres" else "ProxySQL"
    changes.append(Change("pooler", f"Or put a pooler ({pooler}) between the fleet and {name}, so that the "
                                    f"{fleet} × {need} client connections share the {db.usable_connections} "
                                    "server slots (simpool does not simulate a pooler: not proved here)."))
    return tuple(changes)


def _plus(others: int, reserve: int) -> str:
    return (f" + {others} other clients" if others else "") + (f" + {reserve} headroom" if reserve else "")


def _fewer_instances(scenario: Any, prober: Prober, terms: Sequence[SloTerm], fixed: tuple[tuple[str, Any], ...],
                     need: int, fits: int, reserve: int, view: Any, others: int) -> Change:
    """The largest fleet that fits with the MaxOpen the SLO needs, each instance given the
    most MaxOpen that fleet's slots allow, run to see if the SLO holds (each instance of a
    smaller fleet takes more of the traffic)."""
    fleet, at = view.fleet, view.fleet_path
    if fits < 1:
        return Change("fewer_instances", f"Fewer instances cannot help: not even one pool of {need} fits.")
    if fleet.autoscale is not None:
        overrides: tuple[tuple[str, Any], ...] = ((f"{at}.autoscale.max", fits),)
        if fleet.autoscale.min > fits:
            overrides += ((f"{at}.autoscale.min", fits),)
        if fleet.instances > fits:
            overrides += ((f"{at}.instances", fits),)
        what = f"cap the autoscaler at {fits} instances ({at}.autoscale.max {fleet.autoscale.max} → {fits})"
    elif fleet.deploy is not None:
        left = fits - 2 * fleet.deploy.batch
        if left < 1:
            return Change("fewer_instances", f"Fewer instances cannot help: a deploy batch of {fleet.deploy.batch} "
                                             f"already needs {2 * fleet.deploy.batch + 1} pools of {need}.")
        overrides, what = ((f"{at}.instances", left),), f"run {left} instances (+ the deploy's surge)"
    else:
        overrides, what = ((f"{at}.instances", fits),), f"run {fits} instances instead of {fleet.instances}"
    db = scenario.database
    each = (db.usable_connections - others - db.other_clients - reserve) // fits
    proof = prober.measure(((view.pool_path("max_open"), each), (view.pool_path("max_idle"), each), *fixed, *overrides),
                           terms)
    if proof.passed:
        text = (f"Or {what}, each with SetMaxOpenConns({each}): {fits} × {each} fit, and the SLO holds on the same "
                "traffic.")
    else:
        text = (f"Fewer instances do not help: {what}, each with SetMaxOpenConns({each}) ({fits} × {each} fit), "
                "and the same traffic misses the SLO: each instance takes more of it.")
    return Change("fewer_instances", text, proof)
