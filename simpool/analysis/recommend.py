"""``simpool recommend``: the smallest safe pool, found by a search and proved by runs.

Per instance, in this order:

1. ``SetConnMaxIdleTime`` below any idle limit in the scenario (a middlebox's idle drop
   that keepalive does not prevent, a server's idle timeout): half the smallest, as the
   diagnosis advises (:func:`simpool.analysis.rules.retire_idle_before`); the user's own
   value if already below. ``SetConnMaxLifetime`` stays as the scenario has it (nothing in
   the model needs one). Both hold during the searches, so they are proved with the rest.
2. ``SetMaxOpenConns``: the smallest MaxOpen (with MaxIdle = MaxOpen: no churn) whose
   probe passes every SLO term with its 95% CI, searched coarse to fine (a bisection on one
   replication per probe, then the answer and the value below it replicated until their
   CIs decide them, the search resumed where they disagree) up to the *cap*:
   the most each instance of the largest fleet (:func:`~simpool.analysis.phrases.largest_fleet`:
   autoscale max, or a rolling deploy's surge) may hold with
   ``fleet × MaxOpen + other_clients + headroom ≤ usable slots``.
3. ``SetMaxIdleConns``: the smallest MaxIdle at that MaxOpen that keeps dials per second
   (fleet-wide) under the bound, searched the same way, then checked on every SLO term.

On a scenario with ``services:`` it tunes one named service (``service=``): its pool's
paths (``services.NAME.pool.*``), its SLO terms read on its own metrics
(:func:`~simpool.analysis.slo.for_service`), the cap what the slots leave after the other
services' bounds (``instances × MaxOpen``, largest fleet); another service with no
MaxOpen leaves no cap to compute, and that is the answer (:func:`.recommend_changes.cap_others_first`).
:mod:`.budget_split` recommends every service in turn.

When nothing fits under the cap it says what must change, with numbers: a saturated
database (:mod:`.saturation`) is never a pool problem, so it says no pool setting helps and
gives the database's remedies, the first proved by a run; otherwise it searches the
MaxOpen the SLO needs with enough ``max_connections`` and gives that ``max_connections``,
the fleet that would fit (proved by a run), and a pooler.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import ScenarioError
from .phrases import largest_fleet
from .pool_search import SHOWN, Probe, Prober, log_interpolation, refined, slo_interpolation, smallest_passing
from .recommend_changes import Change, cap_others_first, what_must_change
from .rules import idle_drop_active, retire_idle_before
from .saturation import is_saturated
from .slo import SloTerm, for_service, parse_term, parse_terms
from .sweep_causes import summary_of

if TYPE_CHECKING:
    from ..sweeps.adaptive import Replicator
    from ..sweeps.cache import RunCache

DIALS_PER_INSTANCE = 2.0
"""Default bound on dials per second, per instance of the largest fleet."""

SERVICE_SHOWN = ("wait_ms.p99", "latency_ms.p99", "failure_rate.failed", "per_s.dials", "connections.at_database_peak")
"""A service's own metrics a probe keeps beside the whole database's (``services.NAME.…``)."""

OPEN, IDLE = "fleet.pool.max_open", "fleet.pool.max_idle"
IDLE_TIME, LIFETIME = "fleet.pool.conn_max_idle_time", "fleet.pool.conn_max_lifetime"


@dataclass(frozen=True)
class Recommendation:
    """What ``simpool recommend`` found (every renderer and ``--json`` read this).

    ``max_open`` and ``max_idle`` are None when nothing fits; ``changes`` then says what
    must change. ``probes`` is the whole search in the order it ran.
    """

    name: str
    seed: int
    terms: tuple[SloTerm, ...]
    dials_term: SloTerm
    headroom: int
    fleet: int
    fleet_phrase: str
    flavor: str
    usable: int
    other_clients: int
    cap: int
    """The largest MaxOpen the slots allow each instance of the largest fleet (0: none)."""
    max_open: int | None
    max_idle: int | None
    conn_max_lifetime: float
    conn_max_idle_time: float
    idle_time_why: str
    at: Probe | None
    """The recommendation measured (MaxOpen and MaxIdle together)."""
    neighbours: tuple[Probe, ...]
    """MaxOpen − 1 and + 1 (with MaxIdle = MaxOpen), and MaxIdle − 1, when measured."""
    changes: tuple[Change, ...]
    saturated: bool
    dials_met: bool
    """Whether some MaxIdle keeps the fleet's dials under the bound (if not, MaxIdle =
    MaxOpen, the fewest dials, judged on the SLO alone)."""
    probes: tuple[Probe, ...]
    replications: int
    """Replications the search used in all (run, or taken from the run cache)."""
    min_replications: int
    max_replications: int
    cpu_s: float = field(compare=False)
    """CPU seconds of the search (this process and its workers): with :attr:`reused`, the
    figures that differ from run to run."""
    reused: int = field(default=0, compare=False)
    """Of :attr:`replications`, those taken from the run cache (the same bytes as a fresh run)."""
    service: str | None = None
    """The service tuned (``--service``), None for a plain fleet."""
    others: tuple[tuple[str, int, str], ...] = ()
    """The other services' bounds the cap leaves room for: ``(name, slots, how)``, e.g.
    ``("batch", 36, "batch 1 × 36")``."""

    @property
    def open_path(self) -> str:
        return OPEN if self.service is None else f"services.{self.service}.pool.max_open"

    @property
    def idle_path(self) -> str:
        return IDLE if self.service is None else f"services.{self.service}.pool.max_idle"

    @property
    def others_slots(self) -> int:
        return sum(slots for _, slots, _ in self.others)

    @property
    def fits(self) -> bool:
        return self.max_open is not None

    @property
    def points(self) -> int:
        """Distinct settings run (a probe judged again on more terms reuses its runs)."""
        return len({p.key for p in self.probes})

    @property
    def margin(self) -> int | None:
        """Usable slots left once the largest fleet holds MaxOpen each, with the other
        clients and the headroom."""
        if self.max_open is None:
            return None
        return self.usable - self.fleet * self.max_open - self.others_slots - self.other_clients - self.headroom


def recommend(scenario: Any = None, slo: Sequence[str | SloTerm] = (), *, headroom: int | str = 0,
              max_dials_per_s: float | None = None, seed: int | None = None, jobs: int | None = None,
              min_replications: int = 2, max_replications: int = 8, executor: str = "local",
              scheduler: Any = None, on_round: Callable[[int], None] | None = None,
              cache: RunCache | None = None, service: str | None = None,
              replicator: Replicator | None = None) -> Recommendation:
    """The smallest safe pool per instance for ``scenario`` and its SLO terms.

    Args:
        scenario: a Scenario, scenario data, a YAML path, or None for the built-in default.
        slo: terms such as ``"p99_wait<100ms"`` (text or parsed); at least one.
        headroom: slots to leave free: a count, or a share of the usable slots (``"10%"``).
        max_dials_per_s: the bound on the fleet's dials per second for MaxIdle (default
            :data:`DIALS_PER_INSTANCE` per instance of the largest fleet).
        seed: overrides the scenario's seed.
        jobs: local processes (None: the cores available).
        min_replications, max_replications: bounds for each probe.
        on_round: called with the replications run so far, after each round.
        cache: a run cache to read and fill (None: every run is run); a kept run is the
            same bytes as a fresh one, keyed by the code version, so reuse is always safe.
        service: on a scenario with ``services:``, the one whose pool is tuned
            (``services.NAME.pool.*``), the others held as the scenario sets them; the terms
            read its own metrics (:func:`~simpool.analysis.slo.for_service`) and the cap is
            what the slots leave after the others' bounds. Required there.
        replicator: an open one to run on (the budget split's several searches share it).

    Raises:
        ScenarioError: bad arguments (named), before anything runs.
    """
    from ..scenario import Scenario, load_scenario
    from ..sweeps.adaptive import Replicator

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario if scenario is None or isinstance(scenario, dict) else Path(scenario))
    view = service_view(scenario, service)
    terms = tuple(t if isinstance(t, SloTerm) else parse_terms([t])[0] for t in slo)
    if not terms:
        raise ScenarioError("give at least one objective, e.g. --slo 'p99_wait<100ms'", field="--slo")
    if view.named:
        terms = tuple(for_service(t, view.name) for t in terms)
    elif any(t.service is not None for t in terms):
        raise ScenarioError("this scenario has no services: write the term without a service name",
                            field=f"--slo {next(t for t in terms if t.service).text!r}")
    if not 2 <= min_replications <= max_replications <= 1000:
        raise ScenarioError(f"need 2 <= --min-replications ({min_replications}) <= --replications "
                            f"({max_replications}) <= 1000: a CI needs two", field="replications")
    seed = scenario.seed if seed is None else seed
    n, phrase = largest_fleet(scenario, view.fleet)
    db = scenario.database
    reserve = parse_headroom(headroom, db.usable_connections)
    if max_dials_per_s is None:
        max_dials_per_s = DIALS_PER_INSTANCE * n
    if not max_dials_per_s > 0 or math.isinf(max_dials_per_s):
        raise ScenarioError(f"must be a number > 0 (not {max_dials_per_s!r})", field="--max-dials-per-s")
    dials = parse_term(f"dials_per_s<={max_dials_per_s:g}")
    if view.named:
        dials = for_service(dials, view.name)
    others, unbounded = other_bounds(scenario, view)
    room = db.usable_connections - db.other_clients - reserve - sum(slots for _, slots, _ in others)
    cap = 0 if unbounded else max(0, room // n)
    idle_time, why = _idle_time(scenario, view.fleet)
    lifetime = view.fleet.pool.conn_max_lifetime
    from ..units import format_duration

    open_path, idle_path = view.pool_path("max_open"), view.pool_path("max_idle")
    fixed = ((view.pool_path("conn_max_idle_time"), format_duration(idle_time)),) \
        if idle_time != view.fleet.pool.conn_max_idle_time else ()
    shown = SHOWN if not view.named else (*SHOWN, *(f"services.{view.name}.{m}" for m in SERVICE_SHOWN))
    owned = replicator is None
    if replicator is None:
        replicator = Replicator(jobs=jobs, executor=executor, scheduler=scheduler, on_round=on_round, cache=cache,
                                resume=cache is not None)
    ran, reused = replicator.replications, replicator.reused
    try:
        prober = Prober(scenario, seed, replicator, min_replications=min_replications,
                        max_replications=max_replications, shown=shown)

        def at(m: int, coarse: bool = False) -> Probe:
            probe = prober.measure(((open_path, m), (idle_path, m), *fixed), terms, coarse=coarse)
            if not probe.passed and m < cap and _saturated(prober, probe):
                top = prober.measure(((open_path, cap), (idle_path, cap), *fixed), terms)
                if not top.passed and _saturated(prober, top):
                    raise _NoPoolHelpsError  # the largest pool allowed fails on a saturated database too
            return probe

        max_idle = None
        dials_met = True
        found = None
        try:
            if scenario.pitfalls.pool_per_request:
                raise _PoolPerRequestError
            # MaxOpen's first looks find the edge; the value below it is proved to fail, the
            # answer is proved with the MaxIdle found for it (or, if that fails, the search
            # goes on above it in full).
            best, by_open = refined(lambda m: at(m, True), at, 1, cap, check_answer=False,
                                    guess=slo_interpolation()) if cap >= 1 else (None, {})
            while best is not None:
                found = _max_idle(prober, terms, dials, fixed, best, (open_path, idle_path))
                if found is not None:
                    break
                best, more = smallest_passing(at, best + 1, cap)
                by_open.update(more)
        except _PoolPerRequestError:
            best, by_open = None, {}
        except _NoPoolHelpsError:
            best, by_open = None, {cap: prober.measure(((open_path, cap), (idle_path, cap), *fixed), terms)}
        neighbours: list[Probe] = []
        changes: tuple[Change, ...] = ()
        saturated = False
        if best is not None and found is not None:
            max_idle, by_idle, measured, dials_met = found
            neighbours = [by_open[m] for m in (best - 1, best + 1) if m in by_open]
            if max_idle - 1 in by_idle:
                neighbours.append(by_idle[max_idle - 1])
        else:
            measured = None
            top = by_open.get(cap)
            saturated = top is not None and _saturated(prober, top)
            if scenario.pitfalls.pool_per_request:
                changes = (Change("pool_per_request", "No pool setting applies: every request opens its own pool "
                                                      "(sql.Open per request, pitfalls.pool_per_request). Open one "
                                                      "*sql.DB per process at start-up and share it, then ask "
                                                      "again."),)
            elif unbounded:
                changes = cap_others_first(scenario, prober, terms, view, unbounded)
            else:
                changes = what_must_change(scenario, prober, terms, fixed, top, view=view, cap=cap, fleet=n,
                                           reserve=reserve, saturated=saturated,
                                           others=sum(slots for _, slots, _ in others))
    finally:
        if owned:
            replicator.close()
    return Recommendation(
        name=scenario.name, seed=seed, terms=terms, dials_term=dials, headroom=reserve, fleet=n, fleet_phrase=phrase,
        flavor=db.flavor, usable=db.usable_connections, other_clients=db.other_clients, cap=cap, max_open=best,
        max_idle=max_idle, conn_max_lifetime=lifetime, conn_max_idle_time=idle_time, idle_time_why=why,
        at=measured, neighbours=tuple(neighbours), changes=changes, saturated=saturated, dials_met=dials_met,
        probes=tuple(prober.probes), replications=replicator.replications - ran + replicator.reused - reused,
        min_replications=min_replications, max_replications=max_replications,
        cpu_s=replicator.cpu_seconds if owned else 0.0, reused=replicator.reused - reused,
        service=view.name if view.named else None, others=tuple(others))


def service_view(scenario: Any, service: str | None) -> Any:
    """The service ``recommend`` tunes: the plain fleet, or ``service`` of a ``services:``
    scenario (which needs one: tuning a fleet the scenario does not run is wrong advice)."""
    views = scenario.service_list()
    names = ", ".join(v.name for v in views)
    if not scenario.has_services:
        if service is not None:
            raise ScenarioError("this scenario has one fleet and no services: leave --service out",
                                field="--service")
        return views[0]
    if service is None:
        raise ScenarioError(f"this scenario has services ({names}): give --service NAME to tune one of them, "
                            "the others held as the scenario sets them, or --service all to split the budget",
                            field="--service")
    for view in views:
        if view.name == service:
            return view
    raise ScenarioError(f"no service {service!r} in this scenario (it has {names})", field="--service")


def other_bounds(scenario: Any, view: Any) -> tuple[list[tuple[str, int, str]], list[Any]]:
    """The other services' bounds (``instances × MaxOpen``, the largest fleet), and those
    nothing bounds (Go's default unlimited MaxOpen): no cap can be computed beside them."""
    bounded, unbounded = [], []
    for other in scenario.service_list():
        if other.name == view.name:
            continue
        if not other.fleet.pool.max_open or scenario.pitfalls.pool_per_request:
            unbounded.append(other)
            continue
        n, _ = largest_fleet(scenario, other.fleet)
        bounded.append((other.name, n * other.fleet.pool.max_open, f"{other.name} {n} × {other.fleet.pool.max_open}"))
    return bounded, unbounded


def _max_idle(prober: Prober, terms: Sequence[SloTerm], dials: SloTerm, fixed: tuple[tuple[str, Any], ...],
              max_open: int, paths: tuple[str, str] = (OPEN, IDLE)) -> tuple[int, dict[int, Probe], Probe, bool] | None:
    """The smallest MaxIdle at ``max_open`` that keeps dials under the bound (searched on
    that term alone, coarse to fine, the first looks guided by interpolation: dials fall
    steeply and smoothly with MaxIdle), then checked on every SLO term there and searched
    above if it misses one (a larger MaxIdle only removes churn). When no MaxIdle meets the
    dials bound, MaxIdle = MaxOpen (the fewest dials), judged on the SLO alone.

    Returns:
        ``(MaxIdle, probes by MaxIdle, the recommendation's full probe, dials bound met)``,
        or None when not even MaxIdle = MaxOpen meets the SLO at ``max_open`` (so that
        MaxOpen does not pass after all).
    """
    def on_dials(i: int, coarse: bool = False) -> Probe:
        return prober.measure(((paths[0], max_open), (paths[1], i), *fixed), (dials,), coarse=coarse)

    idle, by_idle = refined(lambda i: on_dials(i, True), on_dials, 0, max_open,
                            guess=log_interpolation(dials.metric, dials.threshold))
    met = idle is not None
    judged = (*terms, dials) if met else tuple(terms)

    def on_all(i: int) -> Probe:
        return prober.measure(((paths[0], max_open), (paths[1], i), *fixed), judged)

    start = idle if idle is not None else max_open
    chosen = on_all(start)
    if not chosen.passed:
        if start == max_open:
            return None
        better, more = smallest_passing(on_all, start + 1, max_open)
        by_idle.update(more)
        if better is None:
            return None
        start, chosen = better, more[better]
    by_idle[start] = chosen
    return start, by_idle, chosen, met


class _PoolPerRequestError(Exception):
    """The scenario opens a pool per request: no pool setting applies."""


class _NoPoolHelpsError(Exception):
    """The search met a saturated database, and the largest pool the cap allows fails too."""


def _saturated(prober: Prober, probe: Probe) -> bool:
    """The probe's database cores were saturated (:func:`~simpool.analysis.saturation.is_saturated`)."""
    return is_saturated(prober.scenario_of(probe.overrides), summary_of(probe.row()))


def parse_headroom(text: int | str, usable: int) -> int:
    """``--headroom``: a count of slots (``5``) or a share of the usable ones (``10%``, rounded up)."""
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) if raw.endswith("%") else float(raw)
    except ValueError:
        raise ScenarioError(f"expected a count of slots or a share such as 10% (not {raw!r})",
                            field="--headroom") from None
    if not 0 <= value < math.inf or (raw.endswith("%") and value > 100):
        raise ScenarioError(f"must be between 0 and 100% of the slots (not {raw!r})", field="--headroom")
    if raw.endswith("%"):
        return math.ceil(usable * value / 100 - 1e-9)
    if value != int(value):
        raise ScenarioError(f"a count of slots is a whole number (not {raw!r})", field="--headroom")
    return int(value)


def _idle_time(scenario: Any, fleet: Any = None) -> tuple[float, str]:
    """ConnMaxIdleTime below the scenario's idle limits, and why (for ``fleet``: a
    service's, by default the plain fleet)."""
    limits = []
    if idle_drop_active(scenario):
        limits.append((scenario.network.idle_drop, "the middlebox's idle drop (network.idle_drop)"))
    if scenario.database.idle_timeout:
        limits.append((scenario.database.idle_timeout, "the server's idle timeout (database.idle_timeout)"))
    current = (scenario.fleet if fleet is None else fleet).pool.conn_max_idle_time
    if not limits:
        return current, "nothing in the scenario closes idle connections"
    limit, what = min(limits)
    from ..units import format_duration, parse_duration

    if 0 < current < limit:
        return current, f"already below {what}, {format_duration(limit)}"
    return parse_duration(retire_idle_before(limit)), f"half of {what}, {format_duration(limit)}"
