"""Numbers and phrases the diagnosis's sentences share: a summary's means, counts as people
write them, the database's cap in words, the largest fleet, and the MaxOpen that fits."""

from __future__ import annotations

from typing import Any


def mean(summary: dict[str, Any], section: str, key: str) -> float:
    """A metric's mean, 0 when the run had no data for it (or the summary lacks it)."""
    value = summary.get(section, {}).get(key, {}).get("mean")
    return 0.0 if value is None else float(value)


def count(x: float) -> str:
    """A count as people write it: ``2,970`` (a mean over replications is rounded)."""
    return f"{x:,.0f}"


def share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def ms(x: float) -> str:
    return f"{x:,.0f} ms" if x >= 10 else f"{x:.1f} ms"


def server(scenario: Any) -> str:
    return "PostgreSQL" if scenario.database.flavor == "postgres" else "MySQL"


def cap_phrase(scenario: Any) -> str:
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


def largest_fleet(scenario: Any, fleet: Any = None) -> tuple[int, str]:
    """The most instances that can run at once, and how to say it (of ``fleet``, a
    service's, or by default the scenario's one fleet)."""
    fleet = scenario.fleet if fleet is None else fleet
    if fleet.autoscale is not None:
        return fleet.autoscale.max, f"up to {fleet.autoscale.max} instances (autoscale max)"
    if fleet.deploy is not None:
        # A batch retires while the next starts, and a retiring pod keeps its pool open until
        # its last request is done: old, new and draining pods can all hold connections.
        batch = fleet.deploy.batch
        n = fleet.instances + 2 * batch
        return n, f"{n} instances during a rolling deploy ({fleet.instances} + {batch} new + {batch} draining)"
    n = fleet.instances
    return n, f"{n} instance{'s' if n != 1 else ''}"


def fitting_max_open(scenario: Any, headroom: int = 0) -> int:
    """The largest MaxOpen with which the largest fleet (and the other clients, and
    ``headroom`` slots left free) fits in the slots the app may hold; 0 when not even one
    connection each fits."""
    n, _ = largest_fleet(scenario)
    db = scenario.database
    return max(0, (db.usable_connections - db.other_clients - headroom) // n)
