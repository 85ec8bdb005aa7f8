"""``simpool recommend --service all`` on a terminal and as ``recommend.json``: the split
line, each service's share and Go code, and every service's figures measured with the whole
split applied in one run. Draws a :class:`~simpool.analysis.budget_split.BudgetSplit`."""

from __future__ import annotations

import json
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..analysis.budget_split import BudgetSplit
from .recommend_table import document, figure, verdict_cell

_FIGURES = (("p99 wait", "wait_ms.p99", "ms"), ("p99 latency", "latency_ms.p99", "ms"),
            ("failed", "failure_rate.failed", "%"), ("dials", "per_s.dials", "/s"),
            ("held at peak", "connections.at_database_peak", ""))


def split_renderable(split: BudgetSplit) -> RenderableType:
    head = Text.assemble((f"simpool recommend · {split.name} · the budget split", "bold"), f"  seed {split.seed}")
    parts: list[RenderableType] = [head, Text(f"SLO {', '.join(t.text for t in split.terms)}")]
    if split.failed is not None:
        share = next(s for s in split.shares if s.service == split.failed)
        parts.append(Text(f"No split fits: nothing found for {split.failed} in the slots left"
                          + (" (it has no terms and nothing is left for it)." if share.how == "rest" else ":"),
                          style="bold red"))
        if share.recommendation is not None:
            for change in share.recommendation.changes:
                parts.append(Text(f" • {change.text}"))
    else:
        style = "bold green" if split.fits else "bold red"
        verdict = "proved together on the same traffic" if split.fits else "misses a term when applied together"
        parts.append(Text(f"Split: {split.line} usable slots ({verdict})", style=style))
        parts.append(_shares_table(split))
        if any(s.how == "rest" for s in split.shares):
            parts.append(Text("* no terms: the slots the searched services leave, per instance", style="dim"))
        assert split.final is not None
        marks = Text("Measured with the whole split applied: ")
        for k, v in enumerate(split.final.verdicts):
            marks.append_text(Text(("; " if k else "") + f"{v.term.text} ") + verdict_cell(v))
        parts.append(marks)
        for share in split.shares:
            if share.max_open:
                code = [f"db.SetMaxOpenConns({share.max_open})"]
                if share.max_idle is not None:
                    code.append(f"db.SetMaxIdleConns({share.max_idle})")
                parts.append(Text(f"{share.service}: " + "; ".join(code), style="cyan"))
    parts.append(Text(f"Search: smallest needs first ({' → '.join(s.service for s in split.shares)}), "
                      f"{split.replications} replications"
                      + (f", {split.reused} of them from the run cache" if split.reused else "")
                      + f", {split.cpu_s:.1f} s CPU; searched services beside the ones still to come held at one "
                      "connection per instance.", style="dim"))
    return Group(*parts)


def _shares_table(split: BudgetSplit) -> Table:
    """One row per service: its share (instances × MaxOpen, MaxIdle) and its own figures in
    the final run (means over its replications)."""
    assert split.final is not None
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  title=f"Each service with the whole split applied, mean of {split.final.replications} replications",
                  title_justify="left")
    table.add_column("service", no_wrap=True)
    table.add_column("share", justify="right", no_wrap=True)
    table.add_column("MaxIdle", justify="right", no_wrap=True)
    for label, _, _ in _FIGURES:
        table.add_column(label, justify="right")
    metrics = split.final.metrics
    for share in split.shares:
        cells = [figure(metrics.get(f"services.{share.service}.{metric}", (None, None))[0], None, unit)
                 for _, metric, unit in _FIGURES]
        rest = " *" if share.how == "rest" else ""
        table.add_row(share.service, f"{share.instances} × {share.max_open}{rest}",
                      "as set" if share.max_idle is None else str(share.max_idle), *cells)
    return table


def split_document(split: BudgetSplit) -> dict[str, Any]:
    from .. import __version__

    def probe(p: Any) -> dict[str, Any] | None:
        if p is None:
            return None
        return {"settings": dict(p.overrides), "replications": p.replications, "state": p.state,
                "verdicts": [{"term": v.term.text, "value": v.value, "ci95": v.ci95, "passed": v.passed,
                              "confident": v.confident} for v in p.verdicts],
                "metrics": {k: {"mean": m, "ci95": h} for k, (m, h) in p.metrics.items()}}

    return {
        "simpool": __version__, "name": split.name, "seed": split.seed, "split": True,
        "slo": [t.text for t in split.terms], "fits": split.fits, "failed": split.failed,
        "line": split.line if split.failed is None else None,
        "shares": [{"service": s.service, "instances": s.instances, "max_open": s.max_open, "max_idle": s.max_idle,
                    "how": s.how, "recommendation": None if s.recommendation is None else
                    {k: v for k, v in document(s.recommendation).items() if k != "search"}} for s in split.shares],
        "usable_connections": split.usable, "other_clients": split.other_clients, "headroom": split.headroom,
        "measured": probe(split.final), "baseline": probe(split.baseline),
        "search": {"replications": split.replications, "cpu_s": round(split.cpu_s, 3)},
    }


def split_json(split: BudgetSplit) -> str:
    return json.dumps(split_document(split), indent=2, allow_nan=False) + "\n"

