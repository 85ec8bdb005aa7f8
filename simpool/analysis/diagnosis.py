"""The diagnosis under the summary table: plain sentences that name the cause, with
numbers, and advice only where a what-if run proved it.

The rules (:mod:`.saturation` first, then :mod:`.rules`) draft findings from the scenario
and the summary; :func:`diagnose` proves each draft's remedies on the same traffic
(:mod:`.counterfactual`) and keeps the advice of those that helped. Without what-ifs the
findings say what happened and give no advice. Problems come first; a saturated database
outranks every pool rule, and with one the pool rules do not blame the pool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import rules, services
from .counterfactual import Counterfactuals
from .rules import Draft, Severity
from .saturation import is_saturated, saturated_database
from .whatif import WhatIf

_ORDER = {"problem": 0, "warning": 1, "note": 2, "ok": 3}


@dataclass(frozen=True)
class Finding:
    """One observation: which rule made it, how serious it is, and the sentence.

    A finding that blames a setting carries the :class:`WhatIf` that proves it (None for
    findings that only describe what happened, or when what-ifs were not run).

    Attributes:
        rule: the rule's name, e.g. ``"saturated_database"``.
        severity: ``problem``, ``warning``, ``note`` or ``ok``.
        text: the whole sentence(s): what happened, then the advice if any was proven.
        what_if: the proof of the advice (the first remedy that helped), or, when none
            helped, the what-if that showed it (``helped`` False, and no advice given).
        advice: the part of ``text`` that says what to change; None when no what-if
            helped (or none was run).
        alternatives: the finding's other what-ifs, each measured the same way: further
            remedies (a saturated database has three) and refutations (a larger pool, to
            prove that none helps).
    """

    rule: str
    severity: Severity
    text: str
    what_if: WhatIf | None = None
    advice: str | None = None
    alternatives: tuple[WhatIf, ...] = ()

    @property
    def what_ifs(self) -> tuple[WhatIf, ...]:
        """Every what-if of the finding, the proof first."""
        return (self.what_if, *self.alternatives) if self.what_if is not None else self.alternatives


@dataclass(frozen=True)
class Diagnosis:
    """A run's findings and what it took to prove them.

    Attributes:
        findings: problems first (see :func:`diagnose`).
        what_ifs: whether what-if runs were made (False: no advice, only descriptions).
        runs: scenario runs the what-ifs took (distinct changes × replications).
    """

    findings: tuple[Finding, ...]
    what_ifs: bool
    runs: int = 0


Rule = Callable[[Any, dict[str, Any]], Draft | None]


def _pool_waits(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    return rules.pool_waits(scenario, summary, saturated=is_saturated(scenario, summary))


def _slow_without_waits(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    return None if is_saturated(scenario, summary) else rules.slow_without_waits(scenario, summary)


RULES: tuple[Rule, ...] = (
    saturated_database, rules.restarts, rules.refusals, rules.unlimited_pools, rules.pools_exceed_cap, rules.orphaned_sessions,
    rules.bad_connections, rules.leaked_rows, _pool_waits, _slow_without_waits, rules.idle_churn,
)
"""In rank order: within a severity, a rule listed earlier comes first."""

SERVICE_RULES: tuple[Rule, ...] = (services.saturated, rules.refusals, services.budget_split, services.budget_fits)
"""The rules for a scenario with ``services:`` (the pool rules above read one fleet)."""


def diagnose(scenario: Any, summary: dict[str, Any], what_ifs: Counterfactuals | None = None) -> list[Finding]:
    """Every finding the rules make, problems first (stable within a severity); a healthy
    run's verdict leads. With ``what_ifs`` each remedy is tried on the same traffic and
    its advice given only if it helped; without, no advice is given."""
    chosen = SERVICE_RULES if getattr(scenario, "has_services", False) else RULES
    drafts = [d for d in (rule(scenario, summary) for rule in chosen) if d is not None]
    if what_ifs is not None:  # every change at once, so they can share the workers
        what_ifs.run_all(r for d in drafts for r in (*d.remedies, *d.refutes))
    findings = [prove(d, what_ifs) for d in drafts]
    findings.sort(key=lambda f: _ORDER[f.severity])
    verdict = rules.healthy(scenario, summary, findings)
    return findings if verdict is None else [prove(verdict, None), *findings]


def diagnose_run(result: Any, *, what_ifs: bool = True, jobs: int = 1) -> Diagnosis:
    """The diagnosis of a run, its advice proved by what-if runs on the same traffic (same
    seed, same replications) unless ``what_ifs`` is False."""
    prover = Counterfactuals(result, jobs=jobs) if what_ifs else None
    findings = diagnose(result.scenario, result.summary(), prover)
    return Diagnosis(findings=tuple(findings), what_ifs=what_ifs, runs=prover.runs if prover else 0)


def prove(draft: Draft, what_ifs: Counterfactuals | None) -> Finding:
    """A draft made a finding: its remedies tried (advice kept only for those that
    helped), its refutations tried (its claim kept only if none helped)."""
    if what_ifs is None:
        return Finding(draft.rule, draft.severity, draft.text)
    tried = [(remedy, what_ifs.prove(remedy)) for remedy in draft.remedies]
    refuted = [what_ifs.prove(remedy) for remedy in draft.refutes]
    text = draft.text
    if draft.claim and not any(w.helped for w in refuted):
        text += draft.claim
    helped = [(remedy, w) for remedy, w in tried if w.helped]
    advice = None
    if helped:
        pieces = [remedy.advice for remedy, _ in helped]
        if draft.joined is None:
            advice = " ".join(pieces)
        else:
            opening, separator, end = draft.joined
            advice = opening + separator.join(pieces) + end
        advice = advice[0].upper() + advice[1:]
        text = f"{text} {advice}"
    proofs = [w for _, w in helped] + [w for _, w in tried if not w.helped] + refuted
    return Finding(draft.rule, draft.severity, text, what_if=proofs[0] if proofs else None, advice=advice,
                   alternatives=tuple(proofs[1:]))
