"""The diagnosis and the SLO verdicts as rich renderables: each finding with the what-if
runs that prove (or refute) its advice, each objective with its margin and 95% CI.

Everything here draws records made in :mod:`simpool.analysis`; nothing is decided here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..analysis.diagnosis import Finding
from ..analysis.slo import SloVerdict
from ..analysis.whatif import Effect, WhatIf

_STYLE = {"problem": "bold red", "warning": "yellow", "note": "cyan", "ok": "green"}
SEVERITY_MARKS = {"problem": "✗", "warning": "!", "note": "·", "ok": "✓"}


def amount(value: float, unit: str) -> str:
    """A measured value as people write it: ``3.3%``, ``68 ms``, ``595.1 s``, ``23,920``."""
    if value is None or math.isnan(value):
        return "–"
    if unit == "%":
        if value == 0 or value >= 10:
            return f"{value:.0f}%"
        return f"{value:.2g}%" if value < 1 else f"{value:.1f}%"
    if unit == "ms":
        return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"
    if unit == "s":
        return f"{value:,.1f} s"
    if unit == "pp":
        return f"{value:.2f} pp" if value < 1 else f"{value:.1f} pp"
    if unit == "/s":
        return f"{value:,.3g}/s" if value < 100 else f"{value:,.0f}/s"
    return f"{value:,.0f}" if abs(value) >= 1 or value == 0 else f"{value:.2f}"


def _effect(effect: Effect) -> str:
    scale = 100.0 if effect.unit == "%" else 1.0  # a share is held as a fraction
    before, after = amount(effect.before * scale, effect.unit), amount(effect.after * scale, effect.unit)
    if effect.unit in ("ms", "s"):  # the unit once: "68 → 62 ms"
        before = before.rsplit(" ", 1)[0]
    return f"{effect.label} {before} → {after}"


def what_if_line(what_if: WhatIf) -> Text:
    """``with SetMaxIdleConns(10): dials 23,920 → 201, p99 wait 68 → 41 ms``."""
    text = Text()
    text.append(f"with {what_if.change}: ", style="bold" if what_if.helped else None)
    text.append(", ".join(_effect(e) for e in what_if.effects))
    if not what_if.helped:
        text.append(" — no help", style="dim")
    return text


def _what_ifs(what_ifs: Sequence[WhatIf]) -> Table:
    """The what-if lines under a finding, marked ✓ (helped) or ✗, wrapped under their text."""
    table = Table(show_header=False, box=None, padding=(0, 1, 0, 0))
    table.add_column("mark", no_wrap=True)
    table.add_column("what if")
    for what_if in what_ifs:
        table.add_row(Text("✓" if what_if.helped else "✗", style="green" if what_if.helped else "dim"),
                      what_if_line(what_if))
    return table


def diagnosis_renderable(findings: Sequence[Finding], *, what_ifs: bool | None = None,
                         replications: int = 1) -> RenderableType:
    """The findings as a list, each marked by its severity, each what-if under its finding.

    ``what_ifs`` False adds the line saying that advice was skipped (``--no-what-if``);
    True adds how the what-ifs were run.
    """
    table = Table(title="Diagnosis", title_justify="left", show_header=False, box=None, padding=(0, 1))
    table.add_column("mark", no_wrap=True)
    table.add_column("finding")
    for finding in findings:
        style = _STYLE[finding.severity]
        lines: list[RenderableType] = [Text(finding.text)]
        if finding.what_ifs:
            lines.append(_what_ifs(finding.what_ifs))
        table.add_row(Text(SEVERITY_MARKS[finding.severity], style=style), Group(*lines))
    parts: list[RenderableType] = [table]
    if what_ifs is False:
        parts.append(Text("What-ifs skipped (--no-what-if): these findings say what happened and give no advice.",
                          style="italic"))
    elif what_ifs and any(f.what_ifs for f in findings):
        reps = f"{replications} replication{'s' if replications != 1 else ''}"
        parts.append(Text(f"✓/✗ what-if: the same traffic (same seed, {reps}) re-run with that change; "
                          "advice only where it helped.", style="italic"))
    return Group(*parts)


def slo_renderable(verdicts: Sequence[SloVerdict]) -> RenderableType:
    """Pass or fail per term, with the mean, the margin and its 95% CI."""
    failed = sum(not v.passed for v in verdicts)
    title = f"SLO: {len(verdicts) - failed} of {len(verdicts)} met" + (" (exit status 3)" if failed else "")
    table = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 1))
    table.add_column("mark", no_wrap=True)
    table.add_column("term", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("margin")
    for verdict in verdicts:
        term = verdict.term
        scale = 100.0 if term.unit == "%" else 1.0
        value = amount(verdict.value * scale, term.unit)
        margin = verdict.margin * scale
        unit = "pp" if term.unit == "%" else term.unit  # a margin in percentage points
        if math.isnan(margin):
            how = "no data"
        else:
            side = "inside the bound by" if margin >= 0 else "past the bound by"
            how = f"{side} {amount(abs(margin), unit)}"
            if verdict.ci95 is None:
                how += " (one replication: no CI; -R 5 gives one)"
            else:
                how += f" ± {amount(verdict.ci95 * scale, unit)} (95% CI)"
                if not verdict.confident:
                    how += ": not confident, the CI crosses the bound"
        table.add_row(Text("✓" if verdict.passed else "✗", style="green" if verdict.passed else "bold red"),
                      term.text, value, how)
    return table
