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
from .phrases import fitting_max_open, largest_fleet, server
from .pool_search import Probe, Prober, log_interpolation, refined, slo_interpolation, smallest_passing
from .rules import idle_drop_active, retire_idle_before
from .saturation import is_saturated, saturated_database
from .slo import SloTerm, parse_term, parse_terms
from .sweep_causes import summary_of

if TYPE_CHECKING:
    from ..sweeps.cache import RunCache

DIALS_PER_INSTANCE = 2.0
"""Default bound on dials per second, per instance of the largest fleet."""
MAX_SEARCH = 4096
"""The largest MaxOpen searched when the cap is not enough (pool settings go to 10^6)."""

OPEN, IDLE = "fleet.pool.max_open", "fleet.pool.max_idle"
IDLE_TIME, LIFETIME = "fleet.pool.conn_max_idle_time", "fleet.pool.conn_max_lifetime"


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

    @property
    def fits(self) -> bool:
        return self.max_open is not None

    @property
    def points(self) -> int:
        """Distinct settings run (a probe judged again on more terms reuses its runs)."""
        return len({p.overrides for p in self.probes})

    @property
    def margin(self) -> int | None:
        """Usable slots left once the largest fleet holds MaxOpen each, with the other
        clients and the headroom."""
        if self.max_open is None:
            return None
        return self.usable - self.fleet * self.max_open - self.other_clients - self.headroom


def recommend(scenario: Any = None, slo: Sequence[str | SloTerm] = (), *, headroom: int | str = 0,
              max_dials_per_s: float | None = None, seed: int | None = None, jobs: int | None = None,
              min_replications: int = 2, max_replications: int = 8, executor: str = "local",
              scheduler: Any = None, on_round: Callable[[int], None] | None = None,
              cache: RunCache | None = None) -> Recommendation:
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

    Raises:
        ScenarioError: bad arguments (named), before anything runs.
    """
    from ..scenario import Scenario, load_scenario
    from ..sweeps.adaptive import Replicator

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario if scenario is None or isinstance(scenario, dict) else Path(scenario))
    if scenario.has_services:
        # The search tunes one fleet's pool against the fleet-wide SLO; on several services
        # it would tune a fleet the scenario does not run and give confident wrong advice.
        names = ", ".join(view.name for view in scenario.service_list())
        raise ScenarioError(f"recommend tunes one fleet's pool; this scenario has services ({names}): split the "
                            "budget by hand with --set services.NAME.pool.max_open=N (simpool run shows each "
                            "service's share), or recommend for one service in a scenario of its own",
                            field="services")
    terms = tuple(t if isinstance(t, SloTerm) else parse_terms([t])[0] for t in slo)
    if not terms:
        raise ScenarioError("give at least one objective, e.g. --slo 'p99_wait<100ms'", field="--slo")
    if not 2 <= min_replications <= max_replications <= 1000:
        raise ScenarioError(f"need 2 <= --min-replications ({min_replications}) <= --replications "
                            f"({max_replications}) <= 1000: a CI needs two", field="replications")
    seed = scenario.seed if seed is None else seed
    n, phrase = largest_fleet(scenario)
    db = scenario.database
    reserve = parse_headroom(headroom, db.usable_connections)
    if max_dials_per_s is None:
        max_dials_per_s = DIALS_PER_INSTANCE * n
    if not max_dials_per_s > 0 or math.isinf(max_dials_per_s):
        raise ScenarioError(f"must be a number > 0 (not {max_dials_per_s!r})", field="--max-dials-per-s")
    dials = parse_term(f"dials_per_s<={max_dials_per_s:g}")
    cap = fitting_max_open(scenario, reserve)
    idle_time, why = _idle_time(scenario)
    lifetime = scenario.fleet.pool.conn_max_lifetime
    from ..units import format_duration

    fixed = ((IDLE_TIME, format_duration(idle_time)),) if idle_time != scenario.fleet.pool.conn_max_idle_time else ()

    with Replicator(jobs=jobs, executor=executor, scheduler=scheduler, on_round=on_round, cache=cache,
                    resume=cache is not None) as replicator:
        prober = Prober(scenario, seed, replicator, min_replications=min_replications,
                        max_replications=max_replications)

        def at(m: int, coarse: bool = False) -> Probe:
            probe = prober.measure(((OPEN, m), (IDLE, m), *fixed), terms, coarse=coarse)
            if not probe.passed and m < cap and _saturated(prober, probe):
                top = prober.measure(((OPEN, cap), (IDLE, cap), *fixed), terms)
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
                found = _max_idle(prober, terms, dials, fixed, best)
                if found is not None:
                    break
                best, more = smallest_passing(at, best + 1, cap)
                by_open.update(more)
        except _PoolPerRequestError:
            best, by_open = None, {}
        except _NoPoolHelpsError:
            best, by_open = None, {cap: prober.measure(((OPEN, cap), (IDLE, cap), *fixed), terms)}
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
            changes = (Change("pool_per_request", "No pool setting applies: every request opens its own pool "
                                                  "(sql.Open per request, pitfalls.pool_per_request). Open one "
                                                  "*sql.DB per process at start-up and share it, then ask again."),
                       ) if scenario.pitfalls.pool_per_request else \
                _what_must_change(scenario, prober, terms, fixed, top, cap=cap, fleet=n, reserve=reserve,
                                  saturated=saturated)
    return Recommendation(
        name=scenario.name, seed=seed, terms=terms, dials_term=dials, headroom=reserve, fleet=n, fleet_phrase=phrase,
        flavor=db.flavor, usable=db.usable_connections, other_clients=db.other_clients, cap=cap, max_open=best,
        max_idle=max_idle, conn_max_lifetime=lifetime, conn_max_idle_time=idle_time, idle_time_why=why,
        at=measured, neighbours=tuple(neighbours), changes=changes, saturated=saturated, dials_met=dials_met,
        probes=tuple(prober.probes), replications=replicator.replications + replicator.reused,
        min_replications=min_replications, max_replications=max_replications, cpu_s=replicator.cpu_seconds,
        reused=replicator.reused)


def _max_idle(prober: Prober, terms: Sequence[SloTerm], dials: SloTerm, fixed: tuple[tuple[str, Any], ...],
              max_open: int) -> tuple[int, dict[int, Probe], Probe, bool] | None:
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
        return prober.measure(((OPEN, max_open), (IDLE, i), *fixed), (dials,), coarse=coarse)

    idle, by_idle = refined(lambda i: on_dials(i, True), on_dials, 0, max_open,
                            guess=log_interpolation(dials.metric, dials.threshold))
    met = idle is not None
    judged = (*terms, dials) if met else tuple(terms)

    def on_all(i: int) -> Probe:
        return prober.measure(((OPEN, max_open), (IDLE, i), *fixed), judged)

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


def _idle_time(scenario: Any) -> tuple[float, str]:
    """ConnMaxIdleTime below the scenario's idle limits, and why."""
    limits = []
    if idle_drop_active(scenario):
        limits.append((scenario.network.idle_drop, "the middlebox's idle drop (network.idle_drop)"))
    if scenario.database.idle_timeout:
        limits.append((scenario.database.idle_timeout, "the server's idle timeout (database.idle_timeout)"))
    current = scenario.fleet.pool.conn_max_idle_time
    if not limits:
        return current, "nothing in the scenario closes idle connections"
    limit, what = min(limits)
    from ..units import format_duration, parse_duration

    if 0 < current < limit:
        return current, f"already below {what}, {format_duration(limit)}"
    return parse_duration(retire_idle_before(limit)), f"half of {what}, {format_duration(limit)}"


def _what_must_change(scenario: Any, prober: Prober, terms: Sequence[SloTerm], fixed: tuple[tuple[str, Any], ...],
                      top: Probe | None, *, cap: int, fleet: int, reserve: int, saturated: bool) -> tuple[Change, ...]:
    """No MaxOpen up to the cap passes: what would, with numbers."""
    db = scenario.database
    if saturated and top is not None:
        draft = saturated_database(prober.scenario_of(top.overrides), summary_of(top.row()))
        changes = [Change("no_pool_setting", f"No pool setting helps. {draft.text if draft else ''} Even the "
                                             f"largest MaxOpen the slots allow ({cap} per instance) misses the SLO; "
                                             "a larger pool only queues more queries inside the database.")]
        for k, remedy in enumerate(draft.remedies if draft else ()):
            proof = prober.measure((*top.overrides, *remedy.overrides), terms) if k == 0 else None
            kind = {"database.cores": "cores", "database.query": "queries"}.get(remedy.overrides[0][0], "traffic")
            text = remedy.advice if kind == "queries" else f"{remedy.advice}: {remedy.change}"
            changes.append(Change(kind, f"{'Or ' if k else ''}{text[0].upper() if not k else text[0]}{text[1:]}.",
                                  proof))
        return tuple(changes)
    reserved = db.max_connections - db.usable_connections

    def roomy(m: int) -> Probe:  # the MaxOpen alone, with max_connections to hold it
        needed = fleet * m + db.other_clients + reserve + reserved
        return prober.measure(((OPEN, m), (IDLE, m), *fixed, ("database.max_connections", needed)), terms)

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
    count = fleet * need + db.other_clients + reserve + reserved
    name = server(scenario)
    changes = [Change("max_connections", f"Raise {name}'s max_connections to {count}: the SLO needs MaxOpen "
                                         f"{need} per instance, and {fleet} × {need} = {fleet * need}"
                                         f"{_plus(db.other_clients, reserve)} + {reserved} reserved.", proof)]
    fits = (db.usable_connections - db.other_clients - reserve) // need
    changes.append(_fewer_instances(scenario, prober, terms, fixed, need, fits, reserve))
    pooler = "PgBouncer in transaction mode" if db.flavor == "postgres" else "ProxySQL"
    changes.append(Change("pooler", f"Or put a pooler ({pooler}) between the fleet and {name}, so that the "
                                    f"{fleet} × {need} client connections share the {db.usable_connections} "
                                    "server slots (simpool does not simulate a pooler: not proved here)."))
    return tuple(changes)


def _plus(others: int, reserve: int) -> str:
    return (f" + {others} other clients" if others else "") + (f" + {reserve} headroom" if reserve else "")


def _fewer_instances(scenario: Any, prober: Prober, terms: Sequence[SloTerm], fixed: tuple[tuple[str, Any], ...],
                     need: int, fits: int, reserve: int) -> Change:
    """The largest fleet that fits with the MaxOpen the SLO needs, each instance given the
    most MaxOpen that fleet's slots allow, run to see if the SLO holds (each instance of a
    smaller fleet takes more of the traffic)."""
    fleet = scenario.fleet
    if fits < 1:
        return Change("fewer_instances", f"Fewer instances cannot help: not even one pool of {need} fits.")
    if fleet.autoscale is not None:
        overrides: tuple[tuple[str, Any], ...] = (("fleet.autoscale.max", fits),)
        if fleet.autoscale.min > fits:
            overrides += (("fleet.autoscale.min", fits),)
        if fleet.instances > fits:
            overrides += (("fleet.instances", fits),)
        what = f"cap the autoscaler at {fits} instances (fleet.autoscale.max {fleet.autoscale.max} → {fits})"
    elif fleet.deploy is not None:
        left = fits - 2 * fleet.deploy.batch
        if left < 1:
            return Change("fewer_instances", f"Fewer instances cannot help: a deploy batch of {fleet.deploy.batch} "
                                             f"already needs {2 * fleet.deploy.batch + 1} pools of {need}.")
        overrides, what = (("fleet.instances", left),), f"run {left} instances (+ the deploy's surge)"
    else:
        overrides, what = (("fleet.instances", fits),), f"run {fits} instances instead of {fleet.instances}"
    db = scenario.database
    each = (db.usable_connections - db.other_clients - reserve) // fits
    proof = prober.measure(((OPEN, each), (IDLE, each), *fixed, *overrides), terms)
    if proof.passed:
        text = (f"Or {what}, each with SetMaxOpenConns({each}): {fits} × {each} fit, and the SLO holds on the same "
                "traffic.")
    else:
        text = (f"Fewer instances do not help: {what}, each with SetMaxOpenConns({each}) ({fits} × {each} fit), "
                "and the same traffic misses the SLO: each instance takes more of it.")
    return Change("fewer_instances", text, proof)
