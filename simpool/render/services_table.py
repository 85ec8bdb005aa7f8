"""The run table's block for a scenario with several services: a column per service
(its instances and pool settings, its requests and failures, waits, latency and the
connections it held), so a reader sees at once which service took the slots and which
was refused. Four services to a table, so it reads at 80 columns."""

from __future__ import annotations

from typing import Any

from rich.table import Table

SERVICES_PER_TABLE = 4


def _fmt(stat: dict[str, Any] | None, unit: str = "", digits: int = 0) -> str:
    if stat is None or stat.get("mean") is None:
        return "–"
    text = f"{stat['mean']:,.{digits}f}"
    half = stat.get("ci95")
    if half is not None and f"{half:,.{digits}f}" not in ("0", "0.0"):
        text += f" ± {half:,.{digits}f}"
    return f"{text} {unit}".rstrip()


def _max_open(view: Any, pool_per_request: bool) -> str:
    if pool_per_request:
        return "per request"
    return str(view.fleet.pool.max_open or "unlimited")


_ROWS = (
    ("requests", "requests", "total", "", 0),
    ("failed", "requests", "failed", "", 0),
    ("  too many connections", "errors", "too_many_connections", "", 0),
    ("  missed deadlines", "errors", "deadline_exceeded", "", 0),
    ("p99 wait", "wait_ms", "p99", "ms", 1),
    ("p99 latency", "latency_ms", "p99", "ms", 1),
    ("held at the db's peak", "connections", "at_database_peak", "", 0),
    ("peak open", "pool", "peak_open", "", 0),
    ("dials", "pool", "dials", "", 0),
    ("failed dials", "pool", "failed_dials", "", 0),
    ("checkouts that queued", "pool", "wait_count", "", 0),
)


def services_tables(summary: dict[str, Any], scenario: Any) -> list[Table]:
    """A table per four services (the scenario's order), one row per metric."""
    views = scenario.service_list()
    services = summary.get("services", {})
    tables = []
    for start in range(0, len(views), SERVICES_PER_TABLE):
        chunk = views[start:start + SERVICES_PER_TABLE]
        title = "Services" if start == 0 else None
        table = Table(title=title, title_justify="left", box=None, padding=(0, 2))
        table.add_column("")
        for view in chunk:
            table.add_column(view.name, justify="right")
        table.add_row("instances", *(str(len(services[v.name]["instances"])) for v in chunk))
        table.add_row("MaxOpen per instance", *(_max_open(v, scenario.pitfalls.pool_per_request) for v in chunk))
        for label, section, key, unit, digits in _ROWS:
            digits = digits if unit != "ms" else _ms_digits([services[v.name][section][key] for v in chunk])
            table.add_row(label, *(_fmt(services[v.name][section][key], unit, digits) for v in chunk))
        tables.append(table)
    return tables


def _ms_digits(stats: list[dict[str, Any]]) -> int:
    """One decimal for times under 10 ms, none above (as the rest of the table)."""
    values = [s.get("mean") for s in stats if s.get("mean") is not None]
    return 1 if values and max(values) < 10 else 0
