"""``report.md`` and ``report.html``: a run or a sweep written up to paste into a design
document.

The report draws what it is given and decides nothing: the findings (with the what-if
runs that prove them) and the SLO verdicts come from :mod:`simpool.analysis`, the numbers
from the summary or the sweep's rows, the figures from the renderers. Answer first: the
findings and their proof, the objectives, the numbers, the figures; then the scenario in
a table and how to reproduce it (the exact command, simpool's version, the effective
scenario as YAML).

:func:`report_files` returns ``(name, text)`` pairs; the command writes them beside the
other outputs (and the figures the Markdown links to).
"""

from __future__ import annotations

import platform
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ..analysis.diagnosis import Finding
from ..analysis.slo import SloVerdict
from ..analysis.sweep_findings import BEST_RULE, SweepFindings
from ..analysis.whatif import Effect, WhatIf
from ..sweeps.axes import label
from .describe import arrival, configuration, distribution
from .document import Block, Code, Document, Heading, Image, Items, Paragraph, Table, to_html, to_markdown
from .findings_table import SEVERITY_MARKS

# The terminal's marks and error names, so the report reads as the diagnosis does.
from .run_tables import _ERROR_LABELS as ERROR_NAMES
from .sweep_style import value_list

CAPTIONS = {
    "timeseries": "Connections, traffic, failures, database cores and pools over time (replication 1).",
    "wait_cdf": "Time to get a connection: its distribution, with p50, p95, p99 and the deadline marked.",
    "sweep-wait": "Wait for a connection against the swept setting: p50, p95, p99 with 95% CI bands.",
    "sweep-failures": "Failed requests by kind against the swept setting.",
    "sweep-dials": "Connection churn: dials and handshake time per second of traffic.",
    "sweep-connections": "Peak database connections against the cap.",
    "sweep-wait-heatmap": "p99 wait for a connection over the grid.",
    "sweep-failures-heatmap": "Failed requests over the grid.",
}



REPORT_FILES = ("report.md", "report.html")


def report_files(document: Document) -> list[tuple[str, str]]:
    """The report as ``(file name, text)``: Markdown and self-contained HTML (REPORT_FILES)."""
    return list(zip(REPORT_FILES, (to_markdown(document), to_html(document)), strict=True))


# ---------------------------------------------------------------------------- a run


def build_report(scenario: Any, result: Any, findings: Sequence[Finding], slo_verdicts: Sequence[SloVerdict],
                 figures: Mapping[str, bytes], command: str) -> Document:
    """The report of a run.

    Args:
        scenario: the :class:`~simpool.Scenario` that ran.
        result: its :class:`~simpool.Result`.
        findings: the diagnosis, in the order to print (what-ifs attached).
        slo_verdicts: one verdict per ``--slo`` term (empty without any).
        figures: PNG bytes by file stem (``timeseries`` → ``timeseries.png`` beside the report).
        command: the command line that made the run.
    """
    summary = result.summary()
    effective = scenario.effective()
    reps = summary["replications"]
    total, failed = _mean(summary, "requests", "total"), _mean(summary, "requests", "failed")
    outcome = (f"{_count(failed)} of {_count(total)} requests failed ({_share(failed, total)})" if failed
               else f"all {_count(total)} requests succeeded")
    headline = (f"After the warm-up {outcome}; "
                f"p99 wait for a connection {_ms(_mean(summary, 'wait_ms', 'p99'))}, p99 latency "
                f"{_ms(_mean(summary, 'latency_ms', 'p99'))}; the database peaked at "
                f"{_count(_mean(summary, 'database', 'peak_connections'))} of "
                f"{_count(_mean(summary, 'database', 'usable_connections'))} usable connections.")
    blocks: list[Block] = [*_intro(effective, scenario.description),
                           Paragraph(f"Simulated {effective['duration']} ({effective['warmup']} warm-up), seed "
                                     f"{result.seed}, {reps} replication{'s' if reps != 1 else ''}"
                                     f"{' (means ± 95% confidence half-width)' if reps > 1 else ''}. {headline}"),
                           *_findings(findings, result.seed), *_what_ifs(findings), *_slos(slo_verdicts),
                           Heading("Results"), _results_table(summary), *_figures(figures),
                           *_scenario(effective), *_reproduce(command, effective)]
    return Document(f"simpool report: {scenario.name}", tuple(blocks))


def _intro(effective: dict[str, Any], description: str, swept: Collection[str] = ()) -> list[Block]:
    text = configuration(effective, swept=swept, width=10_000)
    return [Paragraph(description), Paragraph(text)] if description else [Paragraph(text)]


def _findings(findings: Sequence[Finding], seed: int) -> list[Block]:
    if not findings:
        return []
    items = tuple((SEVERITY_MARKS[f.severity], f.text, tuple(what_if_sentence(w, seed) for w in f.what_ifs))
                  for f in findings)
    return [Heading("Findings"), Items(items)]


def what_if_sentence(what_if: WhatIf, seed: int) -> str:
    """``What-if on the same traffic (seed 1, 3 replications): with SetMaxIdleConns(10), dials 23,920 → 201,
    p99 wait 68 → 41 ms. It helped.``"""
    reps = f"{what_if.replications} replication{'s' if what_if.replications != 1 else ''}"
    effects = ", ".join(f"{e.label} {_effect_value(e, e.before)} → {_effect_value(e, e.after)}{_unit(e.unit)}"
                        for e in what_if.effects)
    verdict = "It helped." if what_if.helped else "It did not help."
    return f"What-if on the same traffic (seed {seed}, {reps}): with {what_if.change}, {effects}. {verdict}"


def _what_ifs(findings: Sequence[Finding]) -> list[Block]:
    proved = [(f, w) for f in findings for w in f.what_ifs]
    if not proved:
        return []
    rows = []
    for finding, what_if in proved:
        for k, effect in enumerate(what_if.effects):
            first = k == 0
            rows.append((finding.rule if first else "", what_if.change if first else "", effect.label,
                         _effect_value(effect, effect.before) + _unit(effect.unit),
                         _effect_value(effect, effect.after) + _unit(effect.unit), _change(effect),
                         ("yes" if what_if.helped else "no") if first else ""))
    return [Heading("What-if runs"),
            Paragraph("Each piece of advice (and each claim that a change would not help) was re-run on the same "
                      "traffic (same seed, common random numbers) with "
                      "the change applied; these are the measured effects."),
            Table(("finding", "change", "metric", "before", "after", "change", "helped"), tuple(rows),
                  right=(3, 4, 5))]


def _slos(verdicts: Sequence[SloVerdict]) -> list[Block]:
    if not verdicts:
        return []
    rows = []
    for v in verdicts:
        unit = v.term.unit
        measured = _slo_value(v.value, unit) + ("" if v.ci95 is None else f" ± {_slo_value(v.ci95, unit)}")
        sure = "yes" if v.confident else "no: the 95% interval crosses the bound"
        rows.append((v.term.text, measured, "pass" if v.passed else "FAIL", _slo_value(v.margin, unit, signed=True),
                     sure))
    passed = sum(v.passed for v in verdicts)
    return [Heading("Service-level objectives"),
            Paragraph(f"{passed} of {len(verdicts)} objective{'s' if len(verdicts) != 1 else ''} met. The margin is "
                      "how far the measured mean is inside the bound (negative: past it)."),
            Table(("objective", "measured", "verdict", "margin", "sure"), tuple(rows), right=(1, 3))]


def _results_table(summary: dict[str, Any]) -> Table:
    rows = []
    total = _mean(summary, "requests", "total")
    rows.append(("requests arrived (after the warm-up)", _stat(summary["requests"]["total"])))
    for key, name in (("ok", "succeeded"), ("failed", "failed")):
        rows.append((name, f"{_stat(summary['requests'][key])} ({_share(_mean(summary, 'requests', key), total)})"))
    for kind, name in ERROR_NAMES.items():
        if _mean(summary, "errors", kind) > 0:
            rows.append((f"failed: {name}", _stat(summary["errors"][kind])))
    for section, name in (("wait_ms", "wait for a connection (pool queue + dials)"), ("latency_ms", "latency")):
        rows.append((f"{name}, p50 / p95 / p99 / max",
                     " / ".join(_stat(summary[section][p], "ms") for p in ("p50", "p95", "p99", "max"))))
    for key, stat in summary["database"].items():
        rows.append((f"database: {key.replace('_', ' ')}", _stat(stat)))
    for key, name in (("dials", "dials"), ("failed_dials", "failed dials"), ("handshake_s", "handshake time (s)"),
                      ("wait_count", "WaitCount (checkouts that waited)"), ("peak_open", "fleet peak open")):
        rows.append((f"pools: {name}", _stat(summary["pool"][key])))
    return Table(("metric", "value"), tuple(rows), right=(1,))


# ---------------------------------------------------------------------------- a sweep


def build_sweep_report(result: Any, findings: SweepFindings, figures: Mapping[str, bytes], command: str, *,
                       rule_findings: Sequence[Finding] = ()) -> Document:
    """The report of a sweep: its marked points in sentences, the points, the charts.

    Args:
        result: the :class:`~simpool.SweepResult`.
        findings: its :class:`SweepFindings` (best point, first refusal, headroom).
        figures: PNG bytes by file stem.
        command: the command line that ran the sweep.
        rule_findings: the diagnosis rules' findings about the sweep, if any.
    """
    from .sweep_table import COLUMNS, point_cells, rows_to_show

    rows, axes = result.rows, result.axes
    names = ", ".join(a.name for a in axes)
    blocks: list[Block] = [
        *_intro(result.scenario, result.scenario.get("description", ""), swept=[a.path for a in axes]),
        Paragraph(f"Swept {names} over {result.points} point{'s' if result.points != 1 else ''} "
                  f"({', '.join(f'{a.name}: {value_list(a.values)}' for a in axes)}), {_replications(result)} "
                  f"replication{'s' if result.replications != 1 else ''} per point on the same traffic (seed "
                  f"{result.seed}, common random numbers); means ± 95% confidence half-width."),
        Heading("Findings"),
        Items((*_sweep_sentences(result, findings), *((SEVERITY_MARKS[f.severity], f.text, ()) for f in rule_findings))),
    ]
    marks = {i: " ".join({"best": "★", "first_refusal": "⚠"}[m] for m in marked)
             for i, marked in findings.marked().items()}
    shown = rows_to_show(len(rows), marks, 60)
    table_rows = tuple((marks.get(i, ""), *[label(rows[i][a.path]) for a in axes], *point_cells(rows[i]))
                       for i in shown)
    header = ("", *[a.name for a in axes], *(c.replace("\n", " ") for c in COLUMNS))
    blocks += [Heading("Points"),
               Paragraph("★ best point, ⚠ first refusal." + ("" if len(shown) == len(rows) else
                         f" {len(shown)} of {len(rows)} points shown; all are in sweep.csv.")),
               Table(header, table_rows, right=tuple(range(1 + len(axes), len(header)))),
               *_figures(figures), *_scenario(result.scenario, {a.path: a.values for a in axes}),
               *_reproduce(command, result.scenario)]
    return Document(f"simpool sweep report: {result.name}", tuple(blocks))


def _replications(result: Any) -> str:
    """``5``, or with adaptive replications ``2–5`` (each row says how many it ran)."""
    low = getattr(result, "min_replications", None)
    return str(result.replications) if low is None else f"{low}–{result.replications}"


def _sweep_sentences(result: Any, findings: SweepFindings) -> list[tuple[str, str, tuple[str, ...]]]:
    rows, axes = result.rows, result.axes

    def at(i: int) -> str:
        return ", ".join(f"{a.name} {label(rows[i][a.path])}" for a in axes)

    out = []
    if findings.best is not None:
        row = rows[findings.best]
        headroom = "" if findings.headroom_at_best is None else \
            f", {_count(findings.headroom_at_best)} to spare"
        out.append(("★", f"Best point: {at(findings.best)}. p99 wait {_ms(row.get('wait_ms.p99') or 0.0)}, no failed "
                         f"request; the database peaked at {_count(row.get('database.peak_connections') or 0)} of "
                         f"{_count(row.get('database.usable_connections') or 0)} usable connections{headroom}.",
                    (f"Chosen by: {BEST_RULE}.",)))
    else:
        out.append(("✗", "No point of this grid is free of failed requests, so none is recommended.", ()))
    if findings.first_refusal is not None:
        row = rows[findings.first_refusal]
        out.append(("⚠", f"The database first refused connections at {at(findings.first_refusal)}: "
                         f"{_count(row.get('database.refused_connections') or 0)} refused, "
                         f"{_share(row.get('failure_rate.failed') or 0, 1)} of requests failed.", ()))
    else:
        out.append(("✓", "The database refused no connection at any point.", ()))
    return out


# ---------------------------------------------------------------------------- shared sections


def _figures(figures: Mapping[str, bytes]) -> list[Block]:
    if not figures:
        return [Heading("Figures"), Paragraph("No figures were drawn (--no-plots).")]
    return [Heading("Figures"),
            *(Image(f"{stem}.png", CAPTIONS.get(stem, stem), png) for stem, png in figures.items())]


def _scenario(effective: dict[str, Any], swept: Mapping[str, Sequence[Any]] | None = None) -> list[Block]:
    """Every setting of the database, fleet and traffic; pitfalls and network only where
    they differ from the defaults."""
    from ..scenario import Scenario

    swept = swept or {}
    defaults = Scenario().effective()
    rows = [(key, str(effective.get(key))) for key in ("duration", "warmup", "seed")]
    sections: list[tuple[str, Any]] = [("database", effective.get("database", {}))]
    if isinstance(effective.get("services"), list):  # each service by name: services.api.pool.max_open
        sections += [(f"services.{service.get('name')}", {k: v for k, v in service.items() if k != "name"})
                     for service in effective["services"]]
    else:
        sections += [("fleet", effective.get("fleet", {})), ("workload", effective.get("workload", {}))]
    sections += [("pitfalls", effective.get("pitfalls", {})), ("network", effective.get("network", {}))]
    for section, data in sections:
        for path, value in _flatten(data, section):
            if section in ("pitfalls", "network") and value == _at(defaults, path) and path not in swept:
                continue
            text = f"swept: {value_list(swept[path])}" if path in swept else _setting(path, value)
            rows.append((path, text))
    rows += [(path, f"swept: {value_list(values)}") for path, values in swept.items() if path not in dict(rows)]
    return [Heading("Scenario"), Table(("setting", "value"), tuple(rows))]


def _flatten(node: Any, path: str) -> list[tuple[str, Any]]:
    """Leaves by dotted path; a distribution, an autoscale or deploy block and each
    arrival process stay whole (one row each)."""
    if isinstance(node, dict) and "dist" not in node and not path.endswith((".autoscale", ".deploy")):
        return [leaf for key, value in node.items() for leaf in _flatten(value, f"{path}.{key}")]
    if isinstance(node, list) and path.endswith("workload.arrivals"):
        return [(f"{path}.{i}", value) for i, value in enumerate(node)]
    return [(path, node)]


def _setting(path: str, value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict) and "dist" in value:
        return distribution(value)
    if isinstance(value, dict) and "kind" in value:
        return arrival(value)
    if isinstance(value, dict):
        return ", ".join(f"{key} {item}" for key, item in value.items())
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _at(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _reproduce(command: str, effective: dict[str, Any]) -> list[Block]:
    import yaml

    from .. import __version__

    return [Heading("Reproduce"),
            Paragraph(f"simpool {__version__} (Python {platform.python_version()}); the same command and "
                      "scenario give the same numbers, byte for byte:"),
            Code(command, "sh"),
            Paragraph("The effective scenario, every default filled in (simpool validate prints it):"),
            Code(yaml.safe_dump(effective, sort_keys=False, allow_unicode=True), "yaml")]


# ---------------------------------------------------------------------------- numbers


def _mean(summary: dict[str, Any], section: str, key: str) -> float:
    value = summary.get(section, {}).get(key, {}).get("mean")
    return 0.0 if value is None else float(value)


def _number(x: float) -> str:
    """Three significant digits or so, thousands separated: 23,920, 68, 4.1, 0.37."""
    if x == 0:
        return "0"
    if abs(x) >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _count(x: float) -> str:
    return f"{x:,.0f}"


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def _ms(x: float) -> str:
    return f"{_number(x)} ms"


def _stat(stat: dict[str, Any] | None, unit: str = "") -> str:
    if not stat or stat.get("mean") is None:
        return "–"
    text = _number(stat["mean"])
    if stat.get("ci95"):
        text += f" ± {_number(stat['ci95'])}"
    return f"{text} {unit}".rstrip()


def _unit(unit: str) -> str:
    return "" if unit in ("", "%") else f" {unit}"


def _effect_value(effect: Effect, x: float) -> str:
    """A what-if's value in its unit; a ``%`` metric is a fraction, as SLO thresholds are."""
    return f"{100 * x:.3g}%" if effect.unit == "%" else _number(x)


def _change(effect: Effect) -> str:
    if effect.before == 0:
        return "–"
    return f"{100 * (effect.after - effect.before) / abs(effect.before):+.0f}%"


def _slo_value(x: float, unit: str, *, signed: bool = False) -> str:
    """An SLO number in the term's unit (a ``%`` term holds a fraction)."""
    sign = "+" if signed and x > 0 else ""
    if unit == "%":
        return f"{sign}{100 * x:.3g}%"
    return f"{sign}{_number(x)}{'' if not unit else (unit if unit.startswith('/') else ' ' + unit)}"
