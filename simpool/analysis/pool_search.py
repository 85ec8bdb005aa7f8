"""The searches behind ``simpool recommend``: a bisection over a pool setting on the same
traffic, each probe replicated only until its 95% CIs decide it.

A probe is the scenario with a few settings changed (``--set`` form). Its verdict is the
SLO terms judged on its metric row (:func:`simpool.analysis.slo.judge_row`): it *passes*
when every term passes with its whole 95% interval, *fails* when one term misses with its
whole interval, and is *open* otherwise; a probe still open at the most replications
allowed counts as not passing (a point passes only if its CI passes). The bisection takes
a setting as monotone (a larger MaxOpen or MaxIdle never hurts the terms it is judged
on); the CIs guard against the noise, and common random numbers (replication *k* of every
probe sees the same traffic) make neighbouring probes differ by the setting, not the dice.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..sweeps.adaptive import Point, Replicator
from .counterfactual import changed
from .slo import SloTerm, SloVerdict, judge_row

State = Literal["pass", "fail", "open"]

SHOWN = ("wait_ms.p99", "latency_ms.p99", "failure_rate.failed", "per_s.dials", "database.peak_connections",
         "database.refused_connections", "load.utilisation_peak")
"""The metrics a probe keeps beside its verdicts (mean and ci95), for tables and JSON."""


@dataclass(frozen=True, eq=False)
class Probe:
    """One measured point of a search (compared by identity: a prober measures each once).

    Attributes:
        overrides: the settings changed from the scenario, ``(path, value)`` in ``--set`` form.
        replications: replications it took to decide (or the most allowed).
        verdicts: one per term, judged on its metric row.
        state: ``pass``, ``fail`` or ``open`` (undecided at the most replications).
        metrics: :data:`SHOWN` metrics, ``{name: (mean, ci95)}``.
        full: the whole metric row (for the diagnosis's rules; not printed).
    """

    overrides: tuple[tuple[str, Any], ...]
    replications: int
    verdicts: tuple[SloVerdict, ...]
    state: State
    metrics: dict[str, tuple[float | None, float | None]]
    full: dict[str, Any] = field(default_factory=dict, repr=False)
    coarse: bool = False
    """A first look: one replication, judged on its values alone (no CI), which only
    steers the search; every claim the answer makes rests on probes that are not coarse."""

    @property
    def key(self) -> str:
        """The settings as one hashable text (a distribution's value is a dict)."""
        return overrides_key(self.overrides)

    @property
    def passed(self) -> bool:
        return self.state == "pass"

    def setting(self, path: str) -> Any:
        return dict(self.overrides).get(path)

    def row(self) -> dict[str, Any]:
        """The probe's metric row (:func:`simpool.sweeps.grid.metric_row`)."""
        return self.full


def state_of(verdicts: Sequence[SloVerdict]) -> State:
    if any(not v.passed and v.confident for v in verdicts):
        return "fail"
    if all(v.passed and v.confident for v in verdicts):
        return "pass"
    return "open"


class Prober:
    """Measures probes of one scenario on one :class:`Replicator`, each once (a probe
    asked for again is the one measured before, with the terms it was judged on).

    Args:
        scenario: the validated base scenario.
        seed: the seed every probe spawns its replications from.
        replicator: where the runs happen.
        min_replications, max_replications: bounds for each probe.
        shown: the metrics each probe keeps beside its verdicts.
    """

    def __init__(self, scenario: Any, seed: int, replicator: Replicator, *, min_replications: int,
                 max_replications: int, shown: Sequence[str] = SHOWN):
        self.scenario = scenario
        self.seed = seed
        self.replicator = replicator
        self.min_replications = min_replications
        self.max_replications = max_replications
        self.shown = tuple(shown)
        """The metrics each probe keeps (default :data:`SHOWN`)."""
        self.probes: list[Probe] = []
        """Every probe measured, in the order the search asked for them."""
        self._scenarios: dict[Hashable, Any] = {}

    def measure(self, overrides: Sequence[tuple[str, Any]], terms: Sequence[SloTerm], *,
                coarse: bool = False) -> Probe:
        """The probe of ``overrides`` judged on ``terms``, replicated until decided (or,
        ``coarse``, on replication 0 alone, its mean against each bound)."""
        overrides = tuple(overrides)
        key = overrides_key(overrides)
        for probe in self.probes:
            if probe.overrides == overrides and [v.term for v in probe.verdicts] == list(terms) and \
                    probe.coarse == coarse:
                return probe
        scenario = self._scenarios.get(key)
        if scenario is None:
            scenario = self._scenarios[key] = changed(self.scenario, overrides)

        def decide(k: Hashable, rows: Mapping[Hashable, dict[str, Any]]) -> bool:
            return state_of(judge_row(terms, rows[k])) != "open"

        low, high = (1, 1) if coarse else (self.min_replications, self.max_replications)
        if coarse and self.replicator.count(key):
            row = self.replicator.row(key, first=1)
        else:
            row = self.replicator.run([Point(key, scenario, self.seed)], min_replications=low,
                                      max_replications=high, decide=decide)[key]
        verdicts = judge_row(terms, row)
        state = ("pass" if all(v.passed for v in verdicts) else "fail") if coarse else state_of(verdicts)
        probe = Probe(overrides=overrides, replications=1 if coarse else self.replicator.count(key),
                      verdicts=verdicts, state=state, metrics={m: (row.get(m), row.get(f"{m}.ci95")) for m in self.shown},
                      full=row, coarse=coarse)
        self.probes.append(probe)
        return probe

    def scenario_of(self, overrides: Sequence[tuple[str, Any]]) -> Any:
        return changed(self.scenario, tuple(overrides))


Guess = Callable[[int, int, Mapping[int, Probe]], int | None]
"""``guess(failing, passing, probes)``: the next value to try strictly between the two
(None: the midpoint)."""


def smallest_passing(measure: Callable[[int], Probe], low: int, high: int, *,
                     high_known: Probe | None = None, guess: Guess | None = None) -> tuple[int | None, dict[int, Probe]]:
    """The smallest value in ``low..high`` whose probe passes, by bisection, taking
    ``low - 1`` as failing and ``high`` as passing until measured; ``high`` is measured
    last, only if the search ends there (``high_known``: its probe, already measured).
    A ``guess`` may pick the next value instead of the midpoint (an interpolation); after
    two guesses in a row the next step is the midpoint, so the search takes at most three
    times bisection's steps.

    Returns:
        ``(value, probes by value)``; value None when not even ``high`` passes. The answer
        and the value just below it (when above ``low - 1``) are always measured.
    """
    probes: dict[int, Probe] = {} if high_known is None else {high: high_known}
    failing, passing = low - 1, high
    guessed_in_a_row = 0
    while passing - failing > 1:
        middle = (failing + passing) // 2
        guessed = guess(failing, passing, probes) if guess is not None and guessed_in_a_row < 2 else None
        if guessed is not None and failing < guessed < passing:
            middle, guessed_in_a_row = guessed, guessed_in_a_row + 1
        else:
            guessed_in_a_row = 0
        probes[middle] = probe = measure(middle)
        if probe.passed:
            passing = middle
        else:
            failing = middle
    if passing not in probes:
        probes[passing] = measure(passing)
    return (passing if probes[passing].passed else None), probes


def log_interpolation(metric: str, bound: float) -> Guess:
    """A guess for a metric that falls as the setting grows (dials per second as MaxIdle
    grows): where the straight line through the logarithms of the bracket's two measured
    means crosses ``bound``."""
    def guess(failing: int, passing: int, probes: Mapping[int, Probe]) -> int | None:
        if failing not in probes or passing not in probes:
            return None
        high, low = probes[failing].metrics.get(metric, (None, None))[0], probes[passing].metrics.get(metric, (None, None))[0]
        if not high or not low or not high > bound > 0 or high <= low:
            return None
        share = (math.log(high) - math.log(bound)) / (math.log(high) - math.log(low))
        return failing + max(1, min(passing - failing - 1, math.ceil(share * (passing - failing))))
    return guess


def slo_interpolation() -> Guess:
    """A guess for MaxOpen: for each term with an upper bound that the bracket's failing
    end misses and its passing end meets (a p99 wait that falls as the pool grows), where
    the straight line through the logarithms of the two values crosses the bound; the
    largest of those (the one most likely to meet every term)."""
    def guess(failing: int, passing: int, probes: Mapping[int, Probe]) -> int | None:
        if failing not in probes or passing not in probes:
            return None
        found = []
        below = {v.term.text: v for v in probes[passing].verdicts}
        for bad in probes[failing].verdicts:
            good = below.get(bad.term.text)
            if good is None or bad.passed or not good.passed or bad.term.op not in ("<", "<="):
                continue
            high, low, bound = bad.value, good.value, bad.term.threshold
            if not (high > bound > 0 and low > 0 and high > low):
                continue
            share = (math.log(high) - math.log(bound)) / (math.log(high) - math.log(low))
            found.append(failing + max(1, min(passing - failing - 1, math.ceil(share * (passing - failing)))))
        return max(found, default=None)
    return guess


def refined(coarse: Callable[[int], Probe], fine: Callable[[int], Probe], low: int, high: int, *,
            guess: Guess | None = None, check_answer: bool = True) -> tuple[int | None, dict[int, Probe]]:
    """Coarse to fine: the bisection steered by one replication per probe, then the answer
    and the value below it measured until their CIs decide them; where they disagree with
    the first look, the search goes on with full probes on that side. So the answer passes
    with its CI and the value below it does not, as for :func:`smallest_passing` alone.

    Args:
        check_answer: False leaves the answer's own full probe to the caller (who proves
            it with more settings, e.g. MaxOpen with the MaxIdle found next); the value
            below it is still measured in full.

    Returns:
        ``(value, full probes by value)``; value None when ``high`` does not pass.
    """
    value, _ = smallest_passing(coarse, low, high, guess=guess)
    probes: dict[int, Probe] = {}
    if value is None:
        probes[high] = top = fine(high)
        if not top.passed:
            return None, probes
        value = high
    if check_answer or value in probes:
        probes[value] = at = fine(value)
        if not at.passed:  # the first look passed it too soon: search above, in full
            better, more = smallest_passing(fine, value + 1, high)
            probes.update(more)
            return better, probes
    if value == low:
        return value, probes
    probes[value - 1] = below = fine(value - 1)
    if not below.passed:
        return value, probes
    lower, more = smallest_passing(fine, low, value - 1, high_known=below)  # the first look missed lower
    probes.update(more)
    assert lower is not None
    return lower, probes


def overrides_key(overrides: Sequence[tuple[str, Any]]) -> str:
    """``(path, value)`` pairs as one text, however their values are spelled (a dict too)."""
    return json.dumps([list(pair) for pair in overrides], sort_keys=True)
