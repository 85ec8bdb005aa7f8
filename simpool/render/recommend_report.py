"""``recommend.json`` and the recommendation's report (``report.md``, ``report.html``),
drawn from the same :class:`~simpool.analysis.recommend.Recommendation` as the table.

The report leaves out the search's CPU time (the one figure that differs between runs), so
that the same command writes the same bytes; ``recommend.json`` keeps it under ``search``.
"""

from __future__ import annotations

import json
from typing import Any

from ..analysis.recommend import Recommendation
from .document import Block, Code, Document, Heading, Items, Paragraph, Table
from .recommend_table import document, figure, go_code, search_line, setting_label, verdict_cell
from .report import _intro, _reproduce, _scenario


def recommend_json(rec: Recommendation) -> str:
    return json.dumps(document(rec), indent=2, allow_nan=False) + "\n"


def build_recommend_report(rec: Recommendation, scenario: Any, command: str) -> Document:
    """The report of a recommendation: the answer (Go code, margin), the SLO figures at it
    and its neighbours, or what must change; then the search, the scenario and the command."""
    effective = scenario.effective()
    terms = ", ".join(t.text for t in rec.terms)
    blocks: list[Block] = [*_intro(effective, scenario.description),
                           Paragraph(f"Objectives: {terms} (each must pass with its whole 95% confidence interval), "
                                     f"at the largest fleet: {rec.fleet_phrase}; seed {rec.seed}.")]
    if rec.fits:
        assert rec.max_open is not None
        others = "".join(f" + {how}" for _, _, how in rec.others)
        others += f" + {rec.other_clients} other clients" if rec.other_clients else ""
        headroom = f" + {rec.headroom} headroom" if rec.headroom else ""
        shown = sorted({*rec.neighbours, *([rec.at] if rec.at else [])},
                       key=lambda p: (p.setting(rec.open_path), p.setting(rec.idle_path)))
        all_terms = (*rec.terms, rec.dials_term)
        rows = tuple(("▶" if p is rec.at else "", setting_label(p, (rec.open_path, rec.idle_path)), str(p.replications),
                      *[_cell(p, t) for t in all_terms]) for p in shown)
        blocks += [Heading("Recommendation"), Paragraph("Paste after sql.Open, on each instance:"),
                   Code("\n".join(go_code(rec)), "go"),
                   Paragraph(f"Margin under the cap: {rec.fleet} × {rec.max_open} = {rec.fleet * rec.max_open}"
                             f"{others}{headroom} ≤ {rec.usable} usable slots: {rec.margin} to spare (the cap "
                             f"allows MaxOpen {rec.cap})."),
                   Heading("At the recommendation and its neighbours"),
                   Table(("", "setting", "replications", *(t.text for t in all_terms)), rows,
                         right=tuple(range(2, 3 + len(all_terms))))]
    else:
        items = tuple(("•", c.text, () if c.proof is None else
                       (f"measured ({setting_label(c.proof, (rec.open_path, rec.idle_path))}, "
                        f"{c.proof.replications} replications): "
                        + "; ".join(f"{v.term.text}: {verdict_cell(v).plain}" for v in c.proof.verdicts),))
                      for c in rec.changes)
        blocks += [Heading("Nothing fits"),
                   Paragraph("What must change:" if rec.changes and rec.changes[0].kind == "pool_per_request" else
                             f"No MaxOpen up to the cap ({rec.cap} per instance) meets the objectives. "
                             "What must change:"), Items(items)]
    blocks += [Heading("The search"),
               Paragraph(f"{rec.points} points, {rec.replications} replications on the same traffic (common "
                         f"random numbers): a bisection steered by a first look of one replication per point, then "
                         f"the answer and the value below it replicated ({rec.min_replications}–"
                         f"{rec.max_replications}) until their 95% CIs decided them. MaxOpen/MaxIdle in the order "
                         f"tried, (✓) and (✗) a first look: {search_line(rec)}."),
               *_scenario(effective), *_reproduce(command, effective)]
    return Document(f"simpool recommendation: {rec.name}", tuple(blocks))


def _cell(probe: Any, term: Any) -> str:
    """A term's verdict at a probe, or (a term it was not judged on) its value alone."""
    for verdict in probe.verdicts:
        if verdict.term.text == term.text:
            return verdict_cell(verdict).plain
    value, half = probe.metrics.get(term.metric, (None, None))
    return figure(value, half, term.unit)
