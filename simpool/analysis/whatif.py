"""What-if runs: the measured proof behind every piece of advice.

A finding that blames a setting carries a :class:`WhatIf`: the same traffic (same seed,
common random numbers) re-run with the suggested change, and the measured effect on the
metrics the advice is about. Advice whose what-if does not help is not given.

This module holds the records (the contract the table, ``summary.json``, the report and
``recommend`` read); the runs themselves are made by the analysis that gives the advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Effect:
    """One metric before and after the change, both measured on the same traffic.

    Attributes:
        metric: the summary path, e.g. ``"pool.dials"`` or ``"wait_ms.p99"``.
        label: how a reader names it, e.g. ``"dials"`` or ``"p99 wait"``.
        before: the value in the run as given (mean over replications), in ``unit``.
        after: the value with the change applied.
        unit: ``""`` for counts, ``"ms"``, ``"s"``, ``"%"`` (then before and after are
            fractions, 0.033 for 3.3%, as in an SLO term).
    """

    metric: str
    label: str
    before: float
    after: float
    unit: str = ""


@dataclass(frozen=True)
class WhatIf:
    """A counterfactual run on the same traffic.

    Attributes:
        change: the change as a Go engineer writes it, e.g. ``"SetMaxIdleConns(10)"`` or
            ``"database.cores 16 → 64"``.
        overrides: the scenario paths and values applied (as ``--set PATH=VALUE`` would).
        effects: the measured metrics the advice is about, in the order to print them.
        helped: whether the change improved what the advice promised (the advice is
            given only when it did).
        replications: how many replications each side of the comparison ran.
    """

    change: str
    overrides: tuple[tuple[str, Any], ...]
    effects: tuple[Effect, ...]
    helped: bool
    replications: int = 1
