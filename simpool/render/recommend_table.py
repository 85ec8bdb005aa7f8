"""``simpool recommend`` on a terminal: the Go code to paste, the margin under the cap,
the SLO figures at the recommendation and its neighbours, the search it ran; or, when
nothing fits, what must change. Draws a :class:`~simpool.analysis.recommend.Recommendation`
and decides nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..analysis.pool_search import Probe
from ..analysis.recommend import IDLE, OPEN, Recommendation
from ..analysis.slo import SloTerm, SloVerdict
from .findings_table import amount

PASS, FAIL, OPEN_MARK = "✓", "✗", "?"
_MARK = {"pass": PASS, "fail": FAIL, "open": OPEN_MARK}
_STYLE = {"pass": "green", "fail": "red", "open": "yellow"}
LEGEND = ("✓ meets the term with its whole 95% CI, ✗ misses it with its whole CI, ? undecided (counts as a miss); "
          "a value without a mark was not judged (MaxIdle is searched on the dials bound, then checked on every term).")
_UNITS = ((3600, "time.Hour"), (60, "time.Minute"), (1, "time.Second"), (1e-3, "time.Millisecond"))


def go_duration(seconds: float) -> str:
    """A duration as Go code: ``time.Hour``, ``5 * time.Minute``, ``90 * time.Second``; 0 stays 0."""
    if seconds <= 0:
        return "0"
    for size, name in _UNITS:
        count = seconds / size
        if count >= 1 and abs(count - round(count)) < 1e-9:
            return name if round(count) == 1 else f"{round(count)} * {name}"
    return f"{round(seconds * 1e9)} * time.Nanosecond"


def go_code(rec: Recommendation) -> list[str]:
    """The lines to paste after ``sql.Open``."""
    assert rec.max_open is not None and rec.max_idle is not None
    lines = [f"db.SetMaxOpenConns({rec.max_open})", f"db.SetMaxIdleConns({rec.max_idle})"]
    lifetime, idle_time = go_duration(rec.conn_max_lifetime), go_duration(rec.conn_max_idle_time)
    lines.append(f"db.SetConnMaxLifetime({lifetime})" + ("  // 0: forever" if lifetime == "0" else ""))
    lines.append(f"db.SetConnMaxIdleTime({idle_time})  // {rec.idle_time_why}")
    return lines


def setting_label(probe: Probe, paths: tuple[str, str] = (OPEN, IDLE)) -> str:
    """``MaxOpen 25, MaxIdle 10`` plus any other change the probe made (``paths``: the
    tuned pool's MaxOpen and MaxIdle, a service's or the plain fleet's)."""
    parts = [f"MaxOpen {probe.setting(paths[0])}", f"MaxIdle {probe.setting(paths[1])}"]
    pool = paths[0].rsplit(".", 1)[0]
    for path, value in probe.overrides:
        if path not in (*paths, f"{pool}.conn_max_idle_time"):
            parts.append(f"{path.rsplit('.', 1)[-1] if path.startswith(pool) else path} {_setting_text(value)}")
    return ", ".join(parts)


def figure(value: float | None, half: float | None, unit: str) -> str:
    """``178 ± 69 ms``, ``0 ± 0%``, ``4.52 ± 0.455/s``: the unit once, after the spread."""
    if value is None or math.isnan(value):
        return "–"
    scale, shown = (100.0, "%") if unit == "%" else (1.0, unit)
    text = amount(scale * value, shown)
    if half is None:
        return text
    if abs(half) < 1e-9 * max(1.0, abs(value)):
        half = 0.0  # identical replications: a rounding residue of the CI, not a spread
    suffix = {"ms": " ms", "%": "%", "/s": "/s"}.get(shown, "")
    bare = text[: len(text) - len(suffix)] if suffix and text.endswith(suffix) else text
    return f"{bare} ± {amount(scale * half, shown)}"


def verdict_cell(verdict: SloVerdict) -> Text:
    state = "pass" if verdict.passed and verdict.confident else ("fail" if verdict.confident else "open")
    return Text(f"{figure(verdict.value, verdict.ci95, verdict.term.unit)} {_MARK[state]}", style=_STYLE[state])


def probes_table(probes: Sequence[Probe], terms: Sequence[SloTerm], *, chosen: Probe | None = None,
                 title: str = "", paths: tuple[str, str] = (OPEN, IDLE)) -> Table:
    """One row per probe: its MaxOpen and MaxIdle, its replications, and each term's mean
    ± 95% CI with its verdict (✓ passes with the whole CI, ✗ misses with it, ? undecided);
    a term a probe was not judged on shows its value, dim, without a verdict."""
    from rich import box

    table = Table(title=title or None, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column("MaxOpen", justify="right")
    table.add_column("MaxIdle", justify="right")
    table.add_column("reps", justify="right")
    for term in terms:  # a service's terms: its name is in the title, not in every header
        table.add_column(term.text.split(":", 1)[1] if term.service else term.text, justify="right")
    for probe in probes:
        by_term = {v.term.text: v for v in probe.verdicts}
        cells = []
        for term in terms:
            if term.text in by_term:
                cells.append(verdict_cell(by_term[term.text]))
            else:
                value, half = probe.metrics.get(term.metric, (None, None))
                cells.append(Text(figure(value, half, term.unit) + "  ", style="dim"))
        table.add_row("▶" if probe is chosen else "", str(probe.setting(paths[0])), str(probe.setting(paths[1])),
                      str(probe.replications), *cells, style="bold" if probe is chosen else None)
    return table


def search_line(rec: Recommendation) -> str:
    """The probes in the order the search ran them: a first look (one replication) with its
    mark in brackets, a full probe with its mark, ``all terms`` where a probe first judged on
    the dials bound is judged on every term."""
    steps, judged = [], set()
    pool = rec.open_path.rsplit(".", 1)[0]
    for probe in rec.probes:
        open_, idle = probe.setting(rec.open_path), probe.setting(rec.idle_path)
        extra = [f"{'.'.join(p.split('.')[-2:]) if p.count('.') > 1 else p.split('.')[-1]}={_setting_text(v)}"
                 for p, v in probe.overrides if p not in (rec.open_path, rec.idle_path, f"{pool}.conn_max_idle_time")]
        what = (f"{open_}/{idle}" if open_ is not None else "as set") + (f" ({', '.join(extra)})" if extra else "")
        mark = f"({_MARK[probe.state]})" if probe.coarse else _MARK[probe.state]
        again = " all terms" if not probe.coarse and probe.key in judged else ""
        if not probe.coarse:
            judged.add(probe.key)
        steps.append(f"{what}{again} {mark}")
    return " → ".join(steps)


def _setting_text(value: Any) -> str:
    """A setting as written (a distribution ``{dist: exponential, mean: 6ms}`` as its values)."""
    return " ".join(str(v) for v in value.values()) if isinstance(value, dict) else str(value)


def recommend_renderable(rec: Recommendation) -> RenderableType:
    terms = ", ".join(t.text for t in rec.terms)
    service = f" · service {rec.service}" if rec.service else ""
    head = Text.assemble((f"simpool recommend · {rec.name}{service}", "bold"), f"  seed {rec.seed}")
    parts: list[RenderableType] = [head, Text(f"SLO {terms}, at the largest fleet: {rec.fleet_phrase}")]
    others = "".join(f" + {how}" for _, _, how in rec.others)
    others += f" + {rec.other_clients} other clients" if rec.other_clients else ""
    headroom = f" + {rec.headroom} headroom" if rec.headroom else ""
    if rec.fits:
        assert rec.max_open is not None and rec.at is not None
        parts.append(Text(f"Paste after sql.Open, on each instance{' of ' + rec.service if rec.service else ''}:",
                          style="bold"))
        parts.append(Text("\n".join(f"    {line}" for line in go_code(rec)), style="cyan"))
        used = rec.fleet * rec.max_open
        mine = f"{rec.service} " if rec.service else ""
        parts.append(Text(f"Margin under the cap: {mine}{rec.fleet} × {rec.max_open} = {used}{others}{headroom} ≤ "
                          f"{rec.usable} usable slots: {rec.margin} to spare (the cap allows MaxOpen {rec.cap})."))
        if not rec.dials_met:
            dials = rec.at.metrics.get(rec.dials_term.metric, (None, None))
            parts.append(Text(f"No MaxIdle keeps the fleet's dials under {rec.dials_term.threshold:g}/s: MaxIdle = "
                              f"MaxOpen dials least ({figure(*dials, '/s')}), judged on the SLO alone.",
                              style="yellow"))
        paths = (rec.open_path, rec.idle_path)
        shown = sorted({*rec.neighbours, rec.at}, key=lambda p: (p.setting(paths[0]), p.setting(paths[1])))
        parts.append(probes_table(shown, (*rec.terms, rec.dials_term), chosen=rec.at, paths=paths,
                                  title="SLO at the recommendation (▶) and its neighbours, mean ± 95% CI"))
        parts.append(Text(LEGEND, style="dim"))
    else:
        if rec.changes and rec.changes[0].kind == "pool_per_request":
            why = "the scenario opens a pool per request"
        elif rec.changes and rec.changes[0].kind == "cap_others":
            why = "another service's pools are unbounded"
        elif rec.cap < 1:
            why = f"not even one connection per instance fits ({rec.usable} usable{others}{headroom})"
        else:
            why = (f"the largest MaxOpen the slots allow, {rec.cap} per instance ({rec.fleet} × {rec.cap}"
                   f"{others}{headroom} ≤ {rec.usable}), misses the SLO")
        parts.append(Text(f"Nothing fits: {why}. What must change:", style="bold red"))
        paths = (rec.open_path, rec.idle_path)
        changes = Table.grid(padding=(0, 1))
        changes.add_column(no_wrap=True)
        changes.add_column()
        for change in rec.changes:
            changes.add_row(" •", Text(change.text))
            if change.proof is not None:
                changes.add_row("", Text(f"{_MARK[change.proof.state]} {_proof_line(change.proof, paths)}",
                                         style=_STYLE[change.proof.state]))
        parts.append(changes)
    cached = f", {rec.reused} of them from the run cache" if rec.reused else ""
    parts.append(Text(f"Search: {rec.points} points, {rec.replications} replications{cached} (a first look of 1, then "
                      f"{rec.min_replications}–{rec.max_replications} until the 95% CIs decided), {rec.cpu_s:.1f} s "
                      f"CPU. MaxOpen/MaxIdle in order, (✓)/(✗) a first look: {search_line(rec)}", style="dim"))
    return Group(*parts)


def _proof_line(probe: Probe, paths: tuple[str, str]) -> str:
    figures = "; ".join(f"{v.term.text}: {verdict_cell(v).plain}" for v in probe.verdicts)
    setting = setting_label(probe, paths) if probe.setting(paths[0]) is not None else "the scenario as it is"
    return f"measured ({setting}, {probe.replications} replications): {figures}"


def document(rec: Recommendation) -> dict[str, Any]:
    """The recommendation as plain data (``--json``, ``recommend.json``)."""
    from .. import __version__

    def probe(p: Probe | None) -> dict[str, Any] | None:
        if p is None:
            return None
        return {"settings": dict(p.overrides), "replications": p.replications, "state": p.state,
                "verdicts": [_verdict(v) for v in p.verdicts],
                "metrics": {k: {"mean": m, "ci95": h} for k, (m, h) in p.metrics.items()}, "first_look": p.coarse}

    return {
        "simpool": __version__, "name": rec.name, **({"service": rec.service} if rec.service else {}), "seed": rec.seed,
        "slo": [t.text for t in rec.terms], "max_dials_per_s": rec.dials_term.threshold,
        "fits": rec.fits,
        "recommendation": None if not rec.fits else {
            "max_open": rec.max_open, "max_idle": rec.max_idle, "conn_max_lifetime_s": rec.conn_max_lifetime,
            "conn_max_idle_time_s": rec.conn_max_idle_time, "conn_max_idle_time_why": rec.idle_time_why,
            "go": go_code(rec)},
        "cap": {"largest_fleet": rec.fleet, "fleet": rec.fleet_phrase, "usable_connections": rec.usable,
                **({"other_services": [{"service": name, "slots": slots, "bound": how}
                                       for name, slots, how in rec.others]} if rec.service else {}),
                "other_clients": rec.other_clients, "headroom": rec.headroom, "max_open_allowed": rec.cap,
                "margin": rec.margin},
        "measured": probe(rec.at), "neighbours": [probe(p) for p in rec.neighbours],
        "saturated_database": rec.saturated, "dials_bound_met": rec.dials_met,
        "changes": [{"kind": c.kind, "text": c.text, "proof": probe(c.proof)} for c in rec.changes],
        "search": {"points": rec.points, "replications": rec.replications,
                   "min_replications": rec.min_replications, "max_replications": rec.max_replications,
                   "cpu_s": round(rec.cpu_s, 3), "probes": [probe(p) for p in rec.probes]},
    }


def _verdict(v: SloVerdict) -> dict[str, Any]:
    def plain(x: float | None) -> float | None:
        return None if x is None or math.isnan(x) else x

    return {"term": v.term.text, "value": plain(v.value), "ci95": plain(v.ci95), "passed": v.passed,
            "confident": v.confident, "margin": plain(v.margin)}
