"""The pool rules of the diagnosis: each names a cause with the numbers, and proposes the
change that should fix it (a :class:`~simpool.analysis.counterfactual.Remedy`, given as
advice only once a what-if run proves it).

Every rule is a pure function ``(scenario, summary) -> Draft | None`` reading the scenario
(what the fleet *may* do) and the ``summary.json`` document (what it did). A summary from
several replications carries means, and the sentences use those. The database's own
capacity has its rule in :mod:`.saturation`, which outranks these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from ..units import format_duration
from .counterfactual import Remedy
from .phrases import cap_phrase, count, fitting_max_open, largest_fleet, mean, ms, server, share

Severity = Literal["problem", "warning", "note", "ok"]


@dataclass(frozen=True)
class Draft:
    """A finding before its proof: what happened (``text``) and the remedies to try.

    Attributes:
        rule, severity, text: as in :class:`~simpool.analysis.diagnosis.Finding` (the
            text says what happened; advice is added only for remedies that helped).
        remedies: changes that should fix it, each with its advice, the main one first.
        refutes: changes expected *not* to help (the proof of a claim such as "no pool
            setting can fix it").
        claim: the sentence added when none of ``refutes`` helped.
        joined: how the advice of several remedies that helped becomes one sentence:
            (opening, separator, end); None puts each remedy's sentence after the other.
    """

    rule: str
    severity: Severity
    text: str
    remedies: tuple[Remedy, ...] = ()
    refutes: tuple[Remedy, ...] = ()
    claim: str = ""
    joined: tuple[str, str, str] | None = None


def idle_drop_active(scenario: Any) -> bool:
    """A middlebox drops idle flows and keepalive probes do not keep them alive."""
    network = scenario.network
    return network.idle_drop > 0 and not 0 < network.keepalive < network.idle_drop


def _refused(summary: dict[str, Any]) -> bool:
    return mean(summary, "errors", "too_many_connections") > 0


EITHER = ("", " Or ", "")
"""Alternative remedies: the second and later ones read "Or …"."""

REFUSAL_EFFECTS = ("failure_rate.too_many_connections", "failure_rate.failed", "wait_ms.p99")


def cap_max_open(scenario: Any, *, why: str) -> Remedy | None:
    """SetMaxOpenConns at the most the cap allows the largest fleet (None if none fits)."""
    fit = fitting_max_open(scenario)
    if fit < 1:
        return None
    n, _ = largest_fleet(scenario)
    others = f" + {scenario.database.other_clients} other clients" if scenario.database.other_clients else ""
    return Remedy(
        change=f"SetMaxOpenConns({fit})", overrides=(("fleet.pool.max_open", fit),),
        advice=f"Cap each pool with SetMaxOpenConns({fit}): {n} × {fit} = {n * fit}{others} ≤ "
               f"{scenario.database.usable_connections}, {why}.",
        goal="failure_rate.too_many_connections", effects=REFUSAL_EFFECTS)


# ---------------------------------------------------------------------------- rules


def unlimited_pools(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    """Pools without MaxOpen (Go's default) or a pool per request: nothing on the app side
    bounds the fleet's connections."""
    pool = scenario.fleet.pool
    per_request = scenario.pitfalls.pool_per_request
    if pool.max_open > 0 and not per_request:
        return None
    _, fleet = largest_fleet(scenario)
    refused = _refused(summary)
    severity: Severity = "problem" if refused else "warning"
    if per_request:
        text = (f"Every request opens its own pool (sql.Open per request, pitfalls.pool_per_request), so "
                f"{fleet} dial a connection per request in flight and no MaxOpen applies, while "
                f"{cap_phrase(scenario)}.")
        remedy = Remedy(
            change="one *sql.DB per process", overrides=(("pitfalls.pool_per_request", False),),
            advice="Open one *sql.DB per process at start-up and share it (sql.Open is a pool, not a connection).",
            goal="failure_rate.too_many_connections" if refused else "pool.dials",
            effects=("failure_rate.too_many_connections", "pool.dials", "wait_ms.p99") if refused
            else ("pool.dials", "wait_ms.p99"))
        return Draft("unlimited_pools", severity, text, remedies=(remedy,))
    text = (f"{fleet.capitalize()} × unlimited MaxOpen (Go's default: SetMaxOpenConns never called) "
            f"while {cap_phrase(scenario)}: nothing on the app side stops a burst from asking for more.")
    remedy = cap_max_open(scenario, why="so a burst queues in the pools instead of being refused") if refused else None
    return Draft("unlimited_pools", severity, text, remedies=(remedy,) if remedy else ())


def pools_exceed_cap(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    """Σ MaxOpen over the largest fleet (+ other clients) against the usable cap."""
    pool = scenario.fleet.pool
    if pool.max_open == 0 or scenario.pitfalls.pool_per_request:
        return None
    db = scenario.database
    n, fleet = largest_fleet(scenario)
    total = n * pool.max_open
    others = f" + {db.other_clients} held by other clients" if db.other_clients else ""
    usable = db.usable_connections
    if total + db.other_clients <= usable:
        return Draft("pools_fit", "note",
                     f"{fleet.capitalize()} × MaxOpen {pool.max_open} = {total} connections{others} fit "
                     f"within the {usable} usable: the pools cannot ask {server(scenario)} for more than it allows.")
    refused = _refused(summary)
    text = (f"{fleet.capitalize()} × MaxOpen {pool.max_open} = {total} connections{others} "
            f"can exceed the {usable} {server(scenario)} allows "
            f"{'ordinary roles' if db.flavor == 'postgres' else 'clients'}.")
    remedies = []
    if refused:
        remedy = cap_max_open(scenario, why="so the fleet can never ask for more than the database allows")
        if remedy is not None and fitting_max_open(scenario) < pool.max_open:
            remedies.append(remedy)
        needed = total + db.other_clients + (db.max_connections - usable)
        remedies.append(Remedy(
            change=f"max_connections {db.max_connections} → {needed}",
            overrides=(("database.max_connections", needed),),
            advice=f"raise {server(scenario)}'s max_connections to {needed} (what the fleet may open, plus "
                   f"{'the reserved slots' if db.flavor == 'postgres' else 'the others'}), if its memory allows.",
            goal="failure_rate.too_many_connections", effects=REFUSAL_EFFECTS))
    return Draft("pools_exceed_cap", "problem" if refused else "warning", text, remedies=tuple(remedies),
                 joined=EITHER)


def refusals(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    """Requests failed because the database refused connections: its real words, its peak."""
    refused = mean(summary, "errors", "too_many_connections")
    if refused <= 0:
        return None
    total = mean(summary, "requests", "total")
    markers = ("too many", "reserved", "Too many")
    messages = [(m, c) for m, c in summary.get("error_messages", {}).items() if any(k in m for k in markers)]
    quoted = "; ".join(f'"{m}" ({count(c)}×)' for m, c in messages[:3])
    db = summary["database"]
    return Draft(
        "refusals", "problem",
        f"{count(refused)} of {count(total)} requests ({share(refused, total)}) failed because "
        f"{server(scenario)} refused a connection{': ' + quoted if quoted else ''}. It peaked at "
        f"{count(db['peak_connections']['mean'])} of max_connections {count(db['max_connections']['mean'])} "
        f"({count(db['usable_connections']['mean'])} usable by the app), while the pools had up to "
        f"{count(mean(summary, 'pool', 'peak_open'))} connections open or dialing.")


def idle_churn(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    """Most dials replace connections that MaxIdle closed: handshakes paid over and over."""
    dials = mean(summary, "pool", "dials")
    closed = mean(summary, "pool", "max_idle_closed")
    total = mean(summary, "requests", "total")
    if dials < 100 or dials < 0.02 * total or closed < 0.5 * dials:
        return None
    pool = scenario.fleet.pool
    handshake = mean(summary, "pool", "handshake_s")
    idle = pool.effective_max_idle
    text = (f"Most dials came from idle connections closed by MaxIdle: {count(dials)} dials for "
            f"{count(total)} requests, while {count(closed)} connections were closed because {idle} "
            f"were already idle (MaxIdleClosed). Each new connection paid a handshake: "
            f"{handshake:,.0f} s in total, {ms(1e3 * handshake / total) if total else 'n/a'} per request.")
    keep = _idle_to_keep(scenario, summary)
    if keep <= idle:
        return Draft("idle_churn", "warning", text)
    why = "as many as each pool may open" if pool.max_open else "about what each pool needed at its peak"
    remedy = Remedy(
        change=f"SetMaxIdleConns({keep})", overrides=(("fleet.pool.max_idle", keep),),
        advice=f"Keep them with SetMaxIdleConns({keep}) ({why}; Go's default keeps 2).",
        goal="pool.dials", effects=("pool.dials", "pool.handshake_s", "wait_ms.p99"))
    return Draft("idle_churn", "warning", text, remedies=(remedy,))


def _idle_to_keep(scenario: Any, summary: dict[str, Any]) -> int:
    """MaxIdle that stops the churn: MaxOpen when it is set, else each pool's peak open
    (the largest instance's), but no more than the cap lets each pool hold."""
    pool = scenario.fleet.pool
    if pool.max_open:
        return pool.max_open
    peaks = [inst["peak_open"]["mean"] or 0 for inst in summary.get("instances", [])]
    peak = math.ceil(max(peaks, default=0))
    fit = fitting_max_open(scenario)
    return min(peak, fit) if fit else peak


def pool_waits(scenario: Any, summary: dict[str, Any], *, saturated: bool = False) -> Draft | None:
    """Requests queued in the pools: harmless, the reason requests missed their deadline,
    or (with a saturated database) the queue that backs up from its cores."""
    waits = mean(summary, "pool", "wait_count")
    if waits <= 0:
        return None
    total = mean(summary, "requests", "total")
    late = mean(summary, "errors", "deadline_exceeded")
    p99 = mean(summary, "wait_ms", "p99")
    pool = scenario.fleet.pool
    if late <= 0:
        return Draft(
            "pool_waits", "ok",
            f"{count(waits)} checkouts waited for a connection (WaitCount; p99 wait {ms(p99)}) and no "
            f"request missed its deadline: the pools queued the load instead of passing it to the database.")
    n, fleet = largest_fleet(scenario)
    timeout = format_duration(scenario.workload.request.timeout)
    text = (f"{count(late)} requests ({share(late, total)}) missed their {timeout} deadline while "
            f"{count(waits)} checkouts queued for a connection (WaitCount; p99 wait {ms(p99)}).")
    if saturated:
        text += (" The pools queue because each connection is held while its query waits for a core: "
                 "the database is the bottleneck (see above).")
    fit = fitting_max_open(scenario)
    if pool.max_open == 0 or fit <= pool.max_open:
        if not saturated:
            text += (f" The {fleet} already hold what the cap allows ({n} × {pool.max_open}): connections "
                     f"are held too long, or the database needs more slots.") if pool.max_open else ""
        return Draft("pool_bottleneck", "note" if saturated else "problem", text)
    remedy = Remedy(
        change=f"SetMaxOpenConns({fit})", overrides=(("fleet.pool.max_open", fit),),
        advice=f"MaxOpen {pool.max_open} per instance is the bottleneck: raise SetMaxOpenConns to {fit}, the most "
               f"the {scenario.database.usable_connections} usable slots allow {fleet}.",
        goal="failure_rate.deadline_exceeded",
        effects=("failure_rate.deadline_exceeded", "failure_rate.failed", "wait_ms.p99"))
    return Draft("pool_bottleneck", "note" if saturated else "problem", text, remedies=(remedy,))


def slow_without_waits(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    """Deadlines missed with no pool queue: the time went to the database or to dials."""
    late = mean(summary, "errors", "deadline_exceeded")
    if late <= 0 or mean(summary, "pool", "wait_count") > 0:
        return None
    total = mean(summary, "requests", "total")
    cores = scenario.database.cores
    where = f"queries queued for the database's {cores} cores" if cores else "slow queries"
    return Draft(
        "slow_database", "problem",
        f"{count(late)} requests ({share(late, total)}) missed their "
        f"{format_duration(scenario.workload.request.timeout)} deadline without waiting in a pool: "
        f"the time went to {where} or to dials (p99 latency {ms(mean(summary, 'latency_ms', 'p99'))}).")


def leaked_rows(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    """Requests that never close their rows keep their connection until the context ends."""
    fraction = scenario.pitfalls.leaked_rows
    if fraction <= 0:
        return None
    total = mean(summary, "requests", "total")
    request = scenario.workload.request
    if scenario.pitfalls.no_deadline or request.timeout == 0:
        held = "for good (no deadline ever ends its context)"
    else:
        held = f"until its {format_duration(request.timeout)} deadline ends the context"
    pool = scenario.fleet.pool
    cap = f" (the pools' cap: {pool.max_open} per instance)" if pool.max_open else ""
    failed = mean(summary, "requests", "failed") > 0
    remedy = Remedy(
        change="rows.Close() on every path", overrides=(("pitfalls.leaked_rows", 0),),
        advice="Close every *sql.Rows (defer rows.Close() right after the error check).",
        goal="failure_rate.failed" if failed else "wait_ms.p99",
        effects=("failure_rate.failed", "wait_ms.p99", "pool.dials"))
    return Draft(
        "leaked_rows", "problem",
        f"About {fraction * total:,.0f} of {count(total)} requests ({fraction:.1%}, pitfalls.leaked_rows) "
        f"never closed their rows; each kept its connection {held}. The pools had up to "
        f"{count(mean(summary, 'pool', 'peak_open'))} connections open{cap}.", remedies=(remedy,))


def retire_idle_before(limit: float) -> str:
    """The ConnMaxIdleTime that retires idle connections well before ``limit``: half of it,
    in whole seconds (at least 1s), as a Go duration."""
    return format_duration(max(1.0, math.floor(limit / 2)))


def _retire_idle_before(limit: float, *, goal: str, effects: tuple[str, ...]) -> Remedy:
    """SetConnMaxIdleTime at half a limit (a middlebox's idle drop, a server's idle kill)."""
    text = retire_idle_before(limit)
    return Remedy(
        change=f"SetConnMaxIdleTime({text})", overrides=(("fleet.pool.conn_max_idle_time", text),),
        advice=f"Retire idle connections first with SetConnMaxIdleTime({text}), below the "
               f"{format_duration(limit)} limit.",
        goal=goal, effects=effects)


def bad_connections(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    """``driver: bad connection`` reached callers: dead conns after idle drops or idle kills."""
    bad = mean(summary, "errors", "bad_connection")
    if bad <= 0:
        return None
    causes, limits = [], []
    if idle_drop_active(scenario):
        causes.append(f"a middlebox dropped connections idle longer than {format_duration(scenario.network.idle_drop)}")
        limits.append(scenario.network.idle_drop)
    if scenario.database.idle_timeout:
        causes.append(f"the server closed sessions idle longer than {format_duration(scenario.database.idle_timeout)}")
        limits.append(scenario.database.idle_timeout)
    if scenario.database.restarts:
        causes.append("the database restarted and ended every session (see above)")
    cause = " and ".join(causes) or "connections died while idle"
    text = f'{count(bad)} requests failed with "driver: bad connection": {cause}, and Go\'s retries ran out.'
    remedies = ()
    if limits and not 0 < scenario.fleet.pool.conn_max_idle_time < min(limits):
        remedies = (_retire_idle_before(min(limits), goal="failure_rate.bad_connection",
                                        effects=("failure_rate.bad_connection", "failure_rate.failed", "pool.dials")),)
    return Draft("bad_connections", "problem", text, remedies=remedies)


def orphaned_sessions(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    """Flows dropped silently leave sessions on the server that no pool knows about."""
    if not idle_drop_active(scenario):
        return None
    pool = scenario.fleet.pool
    drop = scenario.network.idle_drop
    if 0 < pool.conn_max_idle_time < drop:
        return None
    db_peak = mean(summary, "database", "peak_connections")
    fleet_peak = mean(summary, "pool", "peak_open")
    extra = db_peak - fleet_peak - scenario.database.other_clients
    if extra <= 0:
        return None
    keepalive = "off" if scenario.network.keepalive == 0 else format_duration(scenario.network.keepalive)
    idle_time = format_duration(pool.conn_max_idle_time) if pool.conn_max_idle_time else "forever"
    goal = "failure_rate.too_many_connections" if _refused(summary) else "database.peak_connections"
    effects = (goal, "database.peak_connections", "failure_rate.failed") if goal != "database.peak_connections" \
        else ("database.peak_connections", "failure_rate.failed")
    remedies = (
        _retire_idle_before(drop, goal=goal, effects=effects),
        Remedy(change="TCP keepalive 15s", overrides=(("network.keepalive", "15s"),),
               advice="turn TCP keepalive back on (Go's default: 15s), so the middlebox sees the flows alive.",
               goal=goal, effects=effects),
    )
    return Draft(
        "orphaned_sessions", "problem",
        f"A middlebox drops connections idle longer than {format_duration(drop)} (keepalive {keepalive}; "
        f"ConnMaxIdleTime {idle_time}). The pools discard dead connections when they next check them out, "
        f"but the server keeps each as an orphaned session for {format_duration(scenario.network.orphan_timeout)}: "
        f"the database held up to {count(db_peak)} connections while the pools had at most "
        f"{count(fleet_peak)} open.", remedies=remedies, joined=EITHER)


def restarts(scenario: Any, summary: dict[str, Any]) -> Draft | None:
    """The database went away: every session ended, dials failed while it was down; with
    capped pools and no connect timeout a silent outage outlives itself (the opener's dials
    have no deadline and sit in TCP's SYN backoff, Rule 4.2)."""
    outages = scenario.database.restarts
    if not outages:
        return None
    failed = mean(summary, "requests", "failed")
    total = mean(summary, "requests", "total")
    when = "; ".join(f"at {format_duration(r.at)} for {format_duration(r.down)}, "
                     f"{'silently: a failover' if r.answer == 'silent' else 'refusing dials'}" for r in outages)
    times = "once" if len(outages) == 1 else f"{len(outages)} times"
    text = (f"The database went away {times} ({when}): every session ended, and {count(failed)} of "
            f"{count(total)} requests ({share(failed, total)}) failed in all.")
    pool = scenario.fleet.pool
    remedies: tuple[Remedy, ...] = ()
    if pool.max_open and not pool.connect_timeout and any(r.answer == "silent" for r in outages):
        remedies = (Remedy(
            change="connect_timeout=1s", overrides=(("fleet.pool.connect_timeout", "1s"),),
            advice="Set a connect timeout in the DSN (connect_timeout=1 for pgx and lib/pq, timeout=1s for "
                   "go-sql-driver/mysql): the opener's dials for waiting requests use the DB's own context, "
                   "which has no deadline, so after a silent outage they wait out TCP's SYN backoff while the "
                   "pools stay full.",
            goal="failure_rate.failed", effects=("failure_rate.failed", "failure_rate.deadline_exceeded", "wait_ms.p99")),)
    return Draft("restarts", "problem" if failed else "warning", text, remedies=remedies)


def healthy(scenario: Any, summary: dict[str, Any], others: list[Any]) -> Draft | None:
    """Nothing failed and no rule raised a problem or warning: say so, with the headroom."""
    if mean(summary, "requests", "failed") > 0 or any(f.severity in ("problem", "warning") for f in others):
        return None
    total = mean(summary, "requests", "total")
    db = scenario.database
    return Draft(
        "healthy", "ok",
        f"Healthy: all {count(total)} requests succeeded; the database peaked at "
        f"{count(mean(summary, 'database', 'peak_connections'))} of the {db.usable_connections} connections "
        f"the app may hold; p99 wait {ms(mean(summary, 'wait_ms', 'p99'))}, "
        f"p99 latency {ms(mean(summary, 'latency_ms', 'p99'))}.")
