"""The rich summary of a run: header, tables and the diagnosis.

Everything here reads the ``summary.json`` document (:meth:`simpool.Result.summary`) and
the findings :mod:`simpool.analysis.diagnosis` made; nothing computes model quantities
or decides anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..analysis.diagnosis import Diagnosis, Finding
from ..analysis.slo import SloVerdict
from .findings_table import diagnosis_renderable, slo_renderable
from .services_table import services_tables

_ERROR_LABELS = {
    "too_many_connections": "too many connections",
    "deadline_exceeded": "context deadline exceeded",
    "bad_connection": "bad connection",
    "other": "other",
}


# ---------------------------------------------------------------------------- numbers


def _fmt(stat: dict[str, Any] | None, unit: str = "", digits: int = 0) -> str:
    """``{"mean": 2970.0}`` → ``2,970``; with a ``ci95`` → ``2,970 ± 41``; null → ``–``.

    Counts (``digits=0``) are rounded to whole numbers, means over replications included.
    """
    if stat is None or stat.get("mean") is None:
        return "–"
    text = _number(stat["mean"], digits)
    half = stat.get("ci95")
    if half is not None and _number(half, digits) not in ("0", "0.0", "0.00"):
        text += f" ± {_number(half, digits)}"
    return f"{text} {unit}".rstrip()


def _number(x: float, digits: int) -> str:
    return f"{x:,.{digits}f}"


def _ms_digits(stat: dict[str, Any]) -> int:
    value = stat.get("mean") or 0.0
    return 0 if value >= 100 or value == 0 else 1 if value >= 1 else 2


def _share(part: float | None, whole: float | None) -> str:
    return f"{100 * part / whole:.1f}%" if part is not None and whole else ""


# ---------------------------------------------------------------------------- the summary


def summary_renderable(summary: dict[str, Any], scenario: Any, findings: Diagnosis | Sequence[Finding],
                       verdicts: Sequence[SloVerdict] = ()) -> RenderableType:
    """The whole human-readable summary: header, tables, diagnosis (a :class:`Diagnosis`
    also says whether what-ifs ran), and the SLO verdicts if any."""
    if isinstance(findings, Diagnosis):
        diagnosis = diagnosis_renderable(findings.findings, what_ifs=findings.what_ifs,
                                         replications=summary["replications"])
    else:
        diagnosis = diagnosis_renderable(findings)
    return Group(
        _header(summary, scenario),
        _requests_table(summary, scenario),
        *([errors] if (errors := _errors_table(summary)) is not None else []),
        _times_table(summary),
        _load_table(summary),
        _connections_table(summary, scenario),
        *(services_tables(summary, scenario) if "services" in summary else [_instances_table(summary, scenario)]),
        diagnosis,
        *([slo_renderable(verdicts)] if verdicts else []),
    )


def _header(summary: dict[str, Any], scenario: Any) -> Text:
    reps = summary["replications"]
    text = Text()
    text.append(f"simpool · {summary['scenario']}", style="bold")
    text.append(f"  seed {summary['seed']}, {reps} replication{'s' if reps != 1 else ''}")
    if reps > 1:
        text.append(" (means ± 95% confidence half-width)")
    if scenario.description:
        text.append(f"\n{scenario.description}", style="italic")
    return text


def _requests_table(summary: dict[str, Any], scenario: Any) -> Table:
    requests, errors = summary["requests"], summary["errors"]
    total = requests["total"]["mean"]
    table = Table(title="Requests", title_justify="left", show_header=False, box=None, padding=(0, 2))
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    arrived = "arrived (after warm-up)" if scenario.warmup > 0 else "arrived"
    table.add_row(arrived, _fmt(requests["total"]), "")
    table.add_row("succeeded", _fmt(requests["ok"]), _share(requests["ok"]["mean"], total))
    table.add_row("failed", _fmt(requests["failed"]), _share(requests["failed"]["mean"], total),
                  style="bold red" if (requests["failed"]["mean"] or 0) > 0 else None)
    for kind, label in _ERROR_LABELS.items():
        stat = errors[kind]
        if (stat["mean"] or 0) > 0:
            table.add_row(f"  {label}", _fmt(stat), _share(stat["mean"], total))
    if (requests.get("unfinished", {}).get("mean") or 0) > 0:
        table.add_row("unfinished at the end", _fmt(requests["unfinished"]), "")
    return table


def _errors_table(summary: dict[str, Any]) -> Table | None:
    """The error texts callers got, most frequent first (per replication)."""
    messages = summary.get("error_messages") or {}
    if not messages:
        return None
    table = Table(title="Errors as Go returned them", title_justify="left", show_header=False, box=None,
                  padding=(0, 2))
    table.add_column("count", justify="right", no_wrap=True)
    table.add_column("message", overflow="fold")
    for message, count in list(messages.items())[:8]:
        table.add_row(_number(count, 0), message)
    return table


def _times_table(summary: dict[str, Any]) -> Table:
    table = Table(title="Times (ms)", title_justify="left", box=None, padding=(0, 2))
    table.add_column("")
    for key in ("mean", "p50", "p95", "p99", "max"):
        table.add_column(key, justify="right")
    for section, label in (("wait_ms", "to get a connection"), ("latency_ms", "latency")):
        stats = summary[section]
        table.add_row(label, *(_fmt(stats[k], digits=_ms_digits(stats[k])) for k in ("mean", "p50", "p95", "p99", "max")))
    return table


def _load_table(summary: dict[str, Any]) -> Table:
    """The database's cores: the work offered, the cores busy, the queue for a core."""
    load = summary["load"]
    cores = load["cores"]["mean"] or 0
    title = f"Database load ({cores:,.0f} cores)" if cores else "Database load (unlimited cores)"
    table = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 2))
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_column("note")
    table.add_row("offered load", _fmt(load["offered_cores"], "cores", 1),
                  f"mean; busiest second {_fmt(load['offered_cores_peak'], '', 1)}",
                  style="bold red" if cores and (load["offered_cores"]["mean"] or 0) >= cores else None)
    busy = _fmt(load["busy_cores"], "cores", 1)
    if not cores:
        table.add_row("cores busy", busy, "unlimited: no query waits for one")
        return table
    table.add_row("cores busy", busy, f"{_percent(load['utilisation'])} of {cores:,.0f}; busiest second "
                                      f"{_percent(load['utilisation_peak'])}")
    table.add_row("queued for a core", _fmt(load["queue_mean"], digits=1),
                  f"mean over time; p99 {_fmt(load['queue_p99'])}, max {_fmt(load['queue_max'])}")
    wait = load["core_wait_ms_mean"]
    table.add_row("wait for a core", _fmt(wait, "ms", _ms_digits(wait)),
                  f"mean per query; p99 {_fmt(load['core_wait_ms_p99'], 'ms', _ms_digits(load['core_wait_ms_p99']))}")
    return table


def _percent(stat: dict[str, Any]) -> str:
    """``{"mean": 0.334}`` → ``33%`` (``–`` without a value)."""
    value = stat.get("mean")
    return "–" if value is None else f"{100 * value:.0f}%"


def _connections_table(summary: dict[str, Any], scenario: Any) -> Table:
    pool, db = summary["pool"], summary["database"]
    requests = summary["requests"]["total"]["mean"] or 0
    table = Table(title="Connections", title_justify="left", show_header=False, box=None, padding=(0, 2))
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_column("note")
    server = "PostgreSQL" if scenario.database.flavor == "postgres" else "MySQL"
    peak = db["peak_connections"]["mean"] or 0
    usable = db["usable_connections"]["mean"] or 0
    spec = scenario.database
    table.add_row(f"{server} peak connections", _fmt(db["peak_connections"]),
                  f"max_connections {spec.max_connections}, {spec.usable_connections} usable",
                  style="bold red" if peak > usable else None)
    # Counters count what happened after the warm-up, requests those that arrived after it:
    # a dial refused just after it, for a request that arrived before, is here only.
    table.add_row("refused connections", _fmt(db["refused_connections"]),
                  "dials refused after the warm-up" if scenario.warmup > 0 else "")
    table.add_row("fleet peak open", _fmt(pool["peak_open"]), "all pools, dials under way included")
    handshake = pool["handshake_s"]["mean"] or 0
    per_request = f"{1e3 * handshake / requests:.1f} ms per request" if requests else ""
    table.add_row("dials", _fmt(pool["dials"]), f"{_fmt(pool['failed_dials'])} failed")
    table.add_row("handshake time", _fmt(pool["handshake_s"], "s", 1), per_request)
    table.add_row("checkouts that queued", _fmt(pool["wait_count"]),
                  f"WaitCount; WaitDuration {_fmt(pool['wait_duration_s'], 's', 1)}")
    table.add_row("closed by MaxIdle", _fmt(pool["max_idle_closed"]), "MaxIdleClosed")
    table.add_row("closed by MaxIdleTime", _fmt(pool["max_idle_time_closed"]), "MaxIdleTimeClosed")
    table.add_row("closed by MaxLifetime", _fmt(pool["max_lifetime_closed"]), "MaxLifetimeClosed")
    if pool["bad_conn_retries"]["mean"]:
        table.add_row("retried on a bad connection", _fmt(pool["bad_conn_retries"]),
                      "driver.ErrBadConn: dead conns found and tried again (Rule 7)")
    return table


_INSTANCE_ROWS = (
    ("OpenConnections (peak)", "peak_open", "", 0),
    ("WaitCount", "wait_count", "", 0),
    ("WaitDuration", "wait_duration_s", "s", 1),
    ("MaxIdleClosed", "max_idle_closed", "", 0),
    ("MaxIdleTimeClosed", "max_idle_time_closed", "", 0),
    ("MaxLifetimeClosed", "max_lifetime_closed", "", 0),
    ("dials", "dials", "", 0),
    ("failed dials", "failed_dials", "", 0),
    ("handshake time", "handshake_s", "s", 1),
)
MAX_INSTANCE_COLUMNS = 4
"""Up to this many instances get a column each (readable at 80 columns); a larger fleet is
summarised as the lowest, mean and highest instance, every one in summary.json."""


def _instances_table(summary: dict[str, Any], scenario: Any) -> Table:
    """Go's ``db.Stats()`` per instance: a column per instance, one row per field; for a
    larger fleet the lowest, mean and highest over its instances."""
    pool = scenario.fleet.pool
    max_open = "per request" if scenario.pitfalls.pool_per_request else str(pool.max_open or "unlimited")
    instances = summary["instances"]
    if len(instances) <= MAX_INSTANCE_COLUMNS:
        table = Table(title="db.Stats() per instance", title_justify="left", box=None, padding=(0, 2))
        table.add_column("")
        for inst in instances:
            table.add_column(inst["name"], justify="right")
        table.add_row("MaxOpenConnections", *([max_open] * len(instances)))
        for label, key, unit, digits in _INSTANCE_ROWS:
            table.add_row(label, *(_fmt(inst[key], unit, digits) for inst in instances))
        return table
    table = Table(title=f"db.Stats() over {len(instances)} instances (each one in summary.json)",
                  title_justify="left", box=None, padding=(0, 2))
    table.add_column("")
    for name in ("lowest", "mean", "highest"):
        table.add_column(name, justify="right")
    table.add_row("MaxOpenConnections", max_open, max_open, max_open)
    for label, key, unit, digits in _INSTANCE_ROWS:
        values = [inst[key]["mean"] for inst in instances if inst[key]["mean"] is not None]
        spread = (min(values), sum(values) / len(values), max(values)) if values else (None,) * 3
        table.add_row(label, *(_fmt({"mean": v}, unit, digits) for v in spread))
    return table
