"""The diagnosis under the summary table: plain sentences that name the cause, with numbers.

Every rule is a pure function ``(scenario, summary) -> Finding | None`` reading the
scenario (what the fleet *may* do) and the ``summary.json`` document (what it did);
:func:`diagnose` runs them all and puts problems first. A summary from several
replications carries means, and the sentences use those.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..units import format_duration
from .whatif import WhatIf

Severity = Literal["problem", "warning", "note", "ok"]
_ORDER = {"problem": 0, "warning": 1, "note": 2, "ok": 3}


@dataclass(frozen=True)
class Finding:
    """One observation: which rule made it, how serious it is, and the sentence.

    A finding that blames a setting carries the :class:`WhatIf` that proves it (None for
    findings that only describe what happened, or when what-ifs were not run)."""

    rule: str
    severity: Severity
    text: str
    what_if: WhatIf | None = None


# ---------------------------------------------------------------------------- helpers


def _mean(summary: dict[str, Any], section: str, key: str) -> float:
    """A metric's mean, 0 when the run had no data for it."""
    value = summary[section][key]["mean"]
    return 0.0 if value is None else float(value)


def _count(x: float) -> str:
    """A count as people write it: ``2,970`` (a mean over replications is rounded)."""
    return f"{x:,.0f}"


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def _ms(x: float) -> str:
    return f"{x:,.0f} ms" if x >= 10 else f"{x:.1f} ms"


def _server(scenario: Any) -> str:
    return "PostgreSQL" if scenario.database.flavor == "postgres" else "MySQL"


def _cap_phrase(scenario: Any) -> str:
    """``PostgreSQL allows 97 to ordinary roles (max_connections 100 − 3 reserved …)``."""
    db = scenario.database
    if db.flavor == "mysql":
        text = f"MySQL allows {db.max_connections} (max_connections)"
    else:
        reserved = [f"{db.superuser_reserved_connections} reserved for superusers"]
        if db.reserved_connections:
            reserved.append(f"{db.reserved_connections} for pg_use_reserved_connections")
        text = (f"PostgreSQL allows {db.usable_connections} to ordinary roles "
                f"(max_connections {db.max_connections} − {' − '.join(reserved)})")
    if db.other_clients:
        text += f", {db.other_clients} of them held by other clients"
    return text


def _largest_fleet(scenario: Any) -> tuple[int, str]:
    """The most instances that can run at once, and how to say it."""
    fleet = scenario.fleet
    if fleet.autoscale is not None:
        return fleet.autoscale.max, f"up to {fleet.autoscale.max} instances (autoscale max)"
    if fleet.deploy is not None:
        n = fleet.instances + fleet.deploy.batch
        return n, f"{n} instances during a rolling deploy ({fleet.instances} + {fleet.deploy.batch} new)"
    n = fleet.instances
    return n, f"{n} instance{'s' if n != 1 else ''}"


def _idle_drop_active(scenario: Any) -> bool:
    """A middlebox drops idle flows and keepalive probes do not keep them alive."""
    network = scenario.network
    return network.idle_drop > 0 and not 0 < network.keepalive < network.idle_drop


# ---------------------------------------------------------------------------- rules


def unlimited_pools(scenario: Any, summary: dict[str, Any]) -> Finding | None:
    """Pools without MaxOpen (Go's default) or a pool per request: nothing on the app side
    bounds the fleet's connections."""
    pool = scenario.fleet.pool
    per_request = scenario.pitfalls.pool_per_request
    if pool.max_open > 0 and not per_request:
        return None
    _, fleet = _largest_fleet(scenario)
    refused = _mean(summary, "errors", "too_many_connections") > 0
    if per_request:
        text = (f"Every request opens its own pool (sql.Open per request, pitfalls.pool_per_request), so "
                f"{fleet} dial a connection per request in flight and no MaxOpen applies, while {_cap_phrase(scenario)}.")
    else:
        text = (f"{fleet.capitalize()} × unlimited MaxOpen (Go's default: SetMaxOpenConns never called) "
                f"while {_cap_phrase(scenario)}: nothing on the app side stops a burst from asking for more.")
    return Finding("unlimited_pools", "problem" if refused else "warning", text)


def pools_exceed_cap(scenario: Any, summary: dict[str, Any]) -> Finding | None:
    """Σ MaxOpen over the largest fleet (+ other clients) against the usable cap."""
    pool = scenario.fleet.pool
    if pool.max_open == 0 or scenario.pitfalls.pool_per_request:
        return None
    db = scenario.database
    n, fleet = _largest_fleet(scenario)
    total = n * pool.max_open
    others = f" + {db.other_clients} held by other clients" if db.other_clients else ""
    usable = db.usable_connections
    if total + db.other_clients > usable:
        refused = _mean(summary, "errors", "too_many_connections") > 0
        return Finding("pools_exceed_cap", "problem" if refused else "warning",
                       f"{fleet.capitalize()} × MaxOpen {pool.max_open} = {total} connections{others} "
                       f"can exceed the {usable} {_server(scenario)} allows "
                       f"{'ordinary roles' if db.flavor == 'postgres' else 'clients'}.")
    return Finding("pools_fit", "note",
                   f"{fleet.capitalize()} × MaxOpen {pool.max_open} = {total} connections{others} fit "
                   f"within the {usable} usable: the pools cannot ask {_server(scenario)} for more than it allows.")


def refusals(scenario: Any, summary: dict[str, Any]) -> Finding | None:
    """Requests failed because the database refused connections: its real words, its peak."""
    refused = _mean(summary, "errors", "too_many_connections")
    if refused <= 0:
        return None
    total = _mean(summary, "requests", "total")
    markers = ("too many", "reserved", "Too many")
    messages = [(m, c) for m, c in summary.get("error_messages", {}).items() if any(k in m for k in markers)]
    quoted = "; ".join(f'"{m}" ({_count(c)}×)' for m, c in messages[:3])
    db = summary["database"]
    return Finding(
        "refusals", "problem",
        f"{_count(refused)} of {_count(total)} requests ({_share(refused, total)}) failed because "
        f"{_server(scenario)} refused a connection: {quoted}. It peaked at "
        f"{_count(db['peak_connections']['mean'])} of max_connections {_count(db['max_connections']['mean'])} "
        f"({_count(db['usable_connections']['mean'])} usable by the app), while the pools had up to "
        f"{_count(_mean(summary, 'pool', 'peak_open'))} connections open or dialing.")


def idle_churn(scenario: Any, summary: dict[str, Any]) -> Finding | None:
    """Most dials replace connections that MaxIdle closed: handshakes paid over and over."""
    dials = _mean(summary, "pool", "dials")
    closed = _mean(summary, "pool", "max_idle_closed")
    total = _mean(summary, "requests", "total")
    if dials < 100 or dials < 0.02 * total or closed < 0.5 * dials:
        return None
    pool = scenario.fleet.pool
    handshake = _mean(summary, "pool", "handshake_s")
    idle = pool.effective_max_idle
    advice = ("raise SetMaxIdleConns toward MaxOpen" if pool.max_open
              else "raise SetMaxIdleConns (Go's default keeps 2)")
    return Finding(
        "idle_churn", "warning",
        f"Most dials came from idle connections closed by MaxIdle: {_count(dials)} dials for "
        f"{_count(total)} requests, while {_count(closed)} connections were closed because {idle} "
        f"were already idle (MaxIdleClosed). Each new connection paid a handshake: "
        f"{handshake:,.0f} s in total, {_ms(1e3 * handshake / total) if total else 'n/a'} per request. "
        f"To keep them, {advice}.")


def pool_waits(scenario: Any, summary: dict[str, Any]) -> Finding | None:
    """Requests queued in the pools: harmless, or the reason requests missed their deadline."""
    waits = _mean(summary, "pool", "wait_count")
    if waits <= 0:
        return None
    total = _mean(summary, "requests", "total")
    late = _mean(summary, "errors", "deadline_exceeded")
    p99 = _mean(summary, "wait_ms", "p99")
    pool = scenario.fleet.pool
    n, fleet = _largest_fleet(scenario)
    if late > 0:
        timeout = format_duration(scenario.workload.request.timeout)
        return Finding(
            "pool_bottleneck", "problem",
            f"{_count(late)} requests ({_share(late, total)}) missed their {timeout} deadline while "
            f"{_count(waits)} waits for a connection piled up (WaitCount; p99 wait {_ms(p99)}): MaxOpen "
            f"{pool.max_open} per instance is the bottleneck. Connections are held too long or too few "
            f"are allowed ({fleet} × {pool.max_open}).")
    return Finding(
        "pool_waits", "ok",
        f"{_count(waits)} checkouts waited for a connection (WaitCount; p99 wait {_ms(p99)}) and no "
        f"request missed its deadline: the pools queued the load instead of passing it to the database.")


def slow_without_waits(scenario: Any, summary: dict[str, Any]) -> Finding | None:
    """Deadlines missed with no pool queue: the time went to the database or to dials."""
    late = _mean(summary, "errors", "deadline_exceeded")
    if late <= 0 or _mean(summary, "pool", "wait_count") > 0:
        return None
    total = _mean(summary, "requests", "total")
    cores = scenario.database.cores
    where = f"queries queued for the database's {cores} cores" if cores else "slow queries"
    return Finding(
        "slow_database", "problem",
        f"{_count(late)} requests ({_share(late, total)}) missed their "
        f"{format_duration(scenario.workload.request.timeout)} deadline without waiting in a pool: "
        f"the time went to {where} or to dials (p99 latency {_ms(_mean(summary, 'latency_ms', 'p99'))}).")


def leaked_rows(scenario: Any, summary: dict[str, Any]) -> Finding | None:
    """Requests that never close their rows keep their connection until the context ends."""
    fraction = scenario.pitfalls.leaked_rows
    if fraction <= 0:
        return None
    total = _mean(summary, "requests", "total")
    request = scenario.workload.request
    if scenario.pitfalls.no_deadline or request.timeout == 0:
        held = "for good (no deadline ever ends its context)"
    else:
        held = f"until its {format_duration(request.timeout)} deadline ends the context"
    pool = scenario.fleet.pool
    cap = f" (the pools' cap: {pool.max_open} per instance)" if pool.max_open else ""
    return Finding(
        "leaked_rows", "problem",
        f"About {fraction * total:,.0f} of {_count(total)} requests ({fraction:.1%}, pitfalls.leaked_rows) "
        f"never closed their rows; each kept its connection {held}. The pools had up to "
        f"{_count(_mean(summary, 'pool', 'peak_open'))} connections open{cap}.")


def bad_connections(scenario: Any, summary: dict[str, Any]) -> Finding | None:
    """``driver: bad connection`` reached callers: dead conns after idle drops or idle kills."""
    bad = _mean(summary, "errors", "bad_connection")
    if bad <= 0:
        return None
    causes = []
    if _idle_drop_active(scenario):
        causes.append(f"a middlebox dropped connections idle longer than {format_duration(scenario.network.idle_drop)}")
    if scenario.database.idle_timeout:
        causes.append(f"the server closed sessions idle longer than {format_duration(scenario.database.idle_timeout)}")
    cause = " and ".join(causes) or "connections died while idle"
    return Finding(
        "bad_connections", "problem",
        f'{_count(bad)} requests failed with "driver: bad connection": {cause}, and Go\'s retries ran out. '
        f"SetConnMaxIdleTime below that limit retires idle connections first.")


def orphaned_sessions(scenario: Any, summary: dict[str, Any]) -> Finding | None:
    """Flows dropped silently leave sessions on the server that no pool knows about."""
    if not _idle_drop_active(scenario):
        return None
    pool = scenario.fleet.pool
    drop = scenario.network.idle_drop
    if 0 < pool.conn_max_idle_time < drop:
        return None
    db_peak = _mean(summary, "database", "peak_connections")
    fleet_peak = _mean(summary, "pool", "peak_open")
    extra = db_peak - fleet_peak - scenario.database.other_clients
    if extra <= 0:
        return None
    keepalive = "off" if scenario.network.keepalive == 0 else format_duration(scenario.network.keepalive)
    idle_time = format_duration(pool.conn_max_idle_time) if pool.conn_max_idle_time else "forever"
    return Finding(
        "orphaned_sessions", "problem",
        f"A middlebox drops connections idle longer than {format_duration(drop)} (keepalive {keepalive}; "
        f"ConnMaxIdleTime {idle_time}). The pools discard dead connections when they next check them out, "
        f"but the server keeps each as an orphaned session for {format_duration(scenario.network.orphan_timeout)}: "
        f"the database held up to {_count(db_peak)} connections while the pools had at most "
        f"{_count(fleet_peak)} open. Set ConnMaxIdleTime below {format_duration(drop)} or turn keepalive on.")


def healthy(scenario: Any, summary: dict[str, Any], others: list[Finding]) -> Finding | None:
    """Nothing failed and no rule raised a problem or warning: say so, with the headroom."""
    if _mean(summary, "requests", "failed") > 0 or any(f.severity in ("problem", "warning") for f in others):
        return None
    total = _mean(summary, "requests", "total")
    db = scenario.database
    return Finding(
        "healthy", "ok",
        f"Healthy: all {_count(total)} requests succeeded; the database peaked at "
        f"{_count(_mean(summary, 'database', 'peak_connections'))} of the {db.usable_connections} connections "
        f"the app may hold; p99 wait {_ms(_mean(summary, 'wait_ms', 'p99'))}, "
        f"p99 latency {_ms(_mean(summary, 'latency_ms', 'p99'))}.")


RULES: tuple[Callable[[Any, dict[str, Any]], Finding | None], ...] = (
    refusals, unlimited_pools, pools_exceed_cap, orphaned_sessions, bad_connections, leaked_rows,
    pool_waits, slow_without_waits, idle_churn,
)


def diagnose(scenario: Any, summary: dict[str, Any]) -> list[Finding]:
    """Every finding the rules make, problems first (stable within a severity); a healthy
    run's verdict leads."""
    findings = [f for f in (rule(scenario, summary) for rule in RULES) if f is not None]
    findings.sort(key=lambda f: _ORDER[f.severity])
    verdict = healthy(scenario, summary, findings)
    return findings if verdict is None else [verdict, *findings]
