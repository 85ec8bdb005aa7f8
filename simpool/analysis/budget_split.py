"""``simpool recommend --service all``: split the database's slots across the services.

Each service with SLO terms (``api:error_rate<=0``, or a term without a name, which is
every service's) is recommended in turn (:func:`~simpool.analysis.recommend.recommend`
with ``service=``), smallest needs first (what it held at the database's peak in a run of
the scenario as it is), against the slots left: the services already decided hold their
share, those still to come are held at one connection per instance (the least that keeps
them running: their slots stay reserved, their queries queue in their own pools, so the
search sees the service's own need). The services without terms then share what is left,
per instance (never more than a MaxOpen the scenario already gives them). The whole split
is then applied in one final run on the same traffic, and every service's terms are judged
there: the split is proved together, or it does not fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..exceptions import ScenarioError
from .counterfactual import changed
from .phrases import largest_fleet
from .pool_search import SHOWN, Probe, Prober
from .recommend import SERVICE_SHOWN, Recommendation, parse_headroom, recommend
from .slo import SloTerm, for_service, parse_terms

if TYPE_CHECKING:
    from ..sweeps.cache import RunCache


@dataclass(frozen=True)
class Share:
    """One service's part of the split.

    Attributes:
        how: ``searched`` (its smallest safe pool, :attr:`recommendation`) or ``rest``
            (no terms: what the searched services leave, per instance).
    """

    service: str
    instances: int
    max_open: int | None
    max_idle: int | None
    how: str
    recommendation: Recommendation | None = None

    @property
    def slots(self) -> int:
        return self.instances * (self.max_open or 0)


@dataclass(frozen=True)
class BudgetSplit:
    """What ``recommend --service all`` found (the table and ``--json`` read this)."""

    name: str
    seed: int
    terms: tuple[SloTerm, ...]
    usable: int
    other_clients: int
    headroom: int
    shares: tuple[Share, ...]
    """In the order they were decided."""
    final: Probe | None
    """The whole split in one run, judged on every service's terms (None: no split)."""
    failed: str | None
    """The service no pool could be found for (its recommendation says what must change)."""
    baseline: Probe
    replications: int
    reused: int = field(compare=False)
    cpu_s: float = field(compare=False)

    @property
    def fits(self) -> bool:
        return self.final is not None and self.final.passed

    @property
    def line(self) -> str:
        """``api 4 × 15 + batch 1 × 36 + other 0 ≤ 97``."""
        parts = [f"{s.service} {s.instances} × {s.max_open}" for s in self.shares if s.max_open]
        parts.append(f"other {self.other_clients}")
        if self.headroom:
            parts.append(f"headroom {self.headroom}")
        used = sum(s.slots for s in self.shares) + self.other_clients + self.headroom
        return f"{' + '.join(parts)} = {used} ≤ {self.usable}"


def split_budget(scenario: Any, slo: Sequence[str | SloTerm], *, headroom: int | str = 0,
                 max_dials_per_s: float | None = None, seed: int | None = None, jobs: int | None = None,
                 min_replications: int = 2, max_replications: int = 8, cache: RunCache | None = None,
                 on_round: Any = None) -> BudgetSplit:
    """The budget split of a ``services:`` scenario (see the module docstring).

    Raises:
        ScenarioError: no services, no terms, a term naming no service of the scenario.
    """
    from ..sweeps.adaptive import Replicator

    if not scenario.has_services:
        raise ScenarioError("--service all splits the slots across services; this scenario has one fleet",
                            field="--service")
    views = {v.name: v for v in scenario.service_list()}
    parsed = tuple(t if isinstance(t, SloTerm) else parse_terms([t])[0] for t in slo)
    for term in parsed:
        if term.service is not None and term.service not in views:
            raise ScenarioError(f"no service {term.service!r} in this scenario (it has {', '.join(views)})",
                                field=f"--slo {term.text!r}")
    per_service = {name: tuple(for_service(t, name) for t in parsed if t.service in (None, name)) for name in views}
    if not any(per_service.values()):
        raise ScenarioError("give at least one objective, e.g. --slo 'api:p99_wait<100ms'", field="--slo")
    seed = scenario.seed if seed is None else seed
    db = scenario.database
    reserve = parse_headroom(headroom, db.usable_connections)
    every = tuple(t for terms in per_service.values() for t in terms)
    shown = (*SHOWN, *(f"services.{name}.{m}" for name in views for m in SERVICE_SHOWN))
    with Replicator(jobs=jobs, on_round=on_round, cache=cache, resume=cache is not None) as replicator:
        prober = Prober(scenario, seed, replicator, min_replications=min_replications,
                        max_replications=max_replications, shown=shown)
        baseline = prober.measure((), every)
        row = baseline.row()

        def demand(name: str) -> tuple[float, int]:
            return row.get(f"services.{name}.connections.at_database_peak") or 0.0, views[name].index

        searched = sorted((n for n in views if per_service[n]), key=demand)
        rest = [n for n in views if not per_service[n]]
        decided: dict[str, tuple[tuple[str, Any], ...]] = {}
        shares: list[Share] = []
        failed = None
        for name in searched:
            held = [(views[n].pool_path(k), 1) for n in views if n != name and n not in decided
                    for k in ("max_open", "max_idle")]
            trial = changed(scenario, (*(pair for n in decided for pair in decided[n]), *held))
            rec = recommend(trial, per_service[name], headroom=reserve, max_dials_per_s=max_dials_per_s, seed=seed,
                            min_replications=min_replications, max_replications=max_replications, service=name,
                            replicator=replicator)
            n, _ = largest_fleet(scenario, views[name].fleet)
            shares.append(Share(name, n, rec.max_open, rec.max_idle, "searched", rec))
            if not rec.fits:
                failed = name
                break
            view = views[name]
            decided[name] = ((view.pool_path("max_open"), rec.max_open), (view.pool_path("max_idle"), rec.max_idle),
                             *((p, v) for p, v in (rec.at.overrides if rec.at else ()) if p.endswith("idle_time")))
        final = None
        if failed is None:
            left = db.usable_connections - db.other_clients - reserve - sum(s.slots for s in shares)
            sizes = {n: largest_fleet(scenario, views[n].fleet)[0] for n in rest}
            each = left // sum(sizes.values()) if rest else 0
            for name in rest:
                given = views[name].fleet.pool.max_open
                max_open = min(given, each) if given else each
                shares.append(Share(name, sizes[name], max_open if max_open >= 1 else None, None, "rest"))
                if max_open < 1:
                    failed = failed or name
                else:
                    decided[name] = ((views[name].pool_path("max_open"), max_open),)
            if failed is None:
                final = prober.measure(tuple(pair for n in decided for pair in decided[n]), every)
    return BudgetSplit(name=scenario.name, seed=seed, terms=every, usable=db.usable_connections,
                       other_clients=db.other_clients, headroom=reserve, shares=tuple(shares), final=final,
                       failed=failed, baseline=baseline, replications=replicator.replications + replicator.reused,
                       reused=replicator.reused, cpu_s=replicator.cpu_seconds)
