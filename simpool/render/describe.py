"""A scenario's configuration in a few words, for every figure's subtitle and the report.

It reads the effective scenario as plain data (:meth:`Scenario.effective`, which is also
what a sweep keeps as its base), so a run and a sweep are described by the same code:
``3 instances × MaxOpen 25 / MaxIdle 10 / lifetime 1h · PostgreSQL max_connections 100,
16 cores · traffic 300/s + spike +400/s at 30s for 2m``. Settings a sweep varies are
written as ``swept``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Collection
from typing import Any

SWEPT = "swept"


def configuration(effective: dict[str, Any], *, swept: Collection[str] = (), width: int = 120) -> str:
    """The fleet, its pools, the database and the traffic, wrapped at ``width`` characters
    (with services: the database, then each service's fleet, pools and traffic)."""
    if isinstance(effective.get("services"), list):
        parts = [database(effective, swept)]
        for i, service in enumerate(effective["services"]):
            plain, plain_swept = _as_plain(effective, service, i, swept)
            parts.append(f"{service.get('name')}: {fleet(plain, plain_swept)} × {pool(plain, plain_swept)}, "
                         f"{traffic(plain, plain_swept)}")
        return join_wrapped(parts, width)
    parts = [f"{fleet(effective, swept)} × {pool(effective, swept)}", database(effective, swept),
             traffic(effective, swept)]
    return join_wrapped(parts, width)


def _as_plain(effective: dict[str, Any], service: dict[str, Any], index: int,
              swept: Collection[str]) -> tuple[dict[str, Any], set[str]]:
    """One service as a plain scenario's data (its fleet and workload), and the swept paths
    that are its own, written as the plain scenario's (``services.api.pool.max_open`` →
    ``fleet.pool.max_open``)."""
    plain = {"fleet": service, "workload": service.get("workload", {}), "pitfalls": effective.get("pitfalls", {})}
    mine = set()
    for path in swept:
        for prefix in (f"services.{service.get('name')}.", f"services.{index}."):
            if path.startswith(prefix):
                rest = path[len(prefix):]
                mine.add(rest if rest.startswith("workload.") else f"fleet.{rest}")
    return plain, mine


def join_wrapped(parts: list[str], width: int, sep: str = " · ") -> str:
    """``parts`` joined by ``sep``, a new line started before a part that would not fit
    (a part longer than a line is wrapped on its own), so no line starts with ``sep``."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(sep) + len(part) <= width:
            lines[-1] += sep + part
        else:
            lines.extend(textwrap.wrap(part, width, break_on_hyphens=False) or [""])
    return "\n".join(lines)


def _get(data: dict[str, Any], path: str, default: Any = None) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def _value(data: dict[str, Any], swept: Collection[str], path: str, fmt: Any = str, default: Any = None) -> str:
    return SWEPT if path in swept else fmt(_get(data, path, default))


def _forever(value: Any) -> str:
    return "forever" if value in (0, "0", None) else str(value)


def fleet(data: dict[str, Any], swept: Collection[str] = ()) -> str:
    """``3 instances``, ``3–8 instances (autoscale at 150/s each)``, ``4 instances (rolling deploy at 1m)``."""
    count = _value(data, swept, "fleet.instances", default=1)
    autoscale, deploy = _get(data, "fleet.autoscale"), _get(data, "fleet.deploy")
    if autoscale:
        return f"{autoscale['min']}–{autoscale['max']} instances (autoscale at {autoscale['target']} each)"
    text = f"{count} instance{'' if count == '1' else 's'}"
    if deploy:
        text += f" (rolling deploy at {deploy['at']}, {deploy['batch']} at a time)"
    return text


def pool(data: dict[str, Any], swept: Collection[str] = ()) -> str:
    """``MaxOpen 25 / MaxIdle 10 / lifetime 1h`` (and the idle time when one is set)."""
    if _get(data, "pitfalls.pool_per_request"):
        return "a new pool per request (pitfall)"
    max_open = _value(data, swept, "fleet.pool.max_open", lambda v: "unlimited" if not v else str(v))
    max_idle = _value(data, swept, "fleet.pool.max_idle", lambda v: "2 (default)" if v is None else str(v))
    text = (f"MaxOpen {max_open} / MaxIdle {max_idle} / lifetime "
            f"{_value(data, swept, 'fleet.pool.conn_max_lifetime', _forever)}")
    idle_time = _get(data, "fleet.pool.conn_max_idle_time")
    if "fleet.pool.conn_max_idle_time" in swept or idle_time not in (0, "0", None):
        text += f" / idle time {_value(data, swept, 'fleet.pool.conn_max_idle_time', _forever)}"
    return text


def database(data: dict[str, Any], swept: Collection[str] = ()) -> str:
    """``PostgreSQL max_connections 100, 5 other clients, 16 cores``."""
    server = "MySQL" if _get(data, "database.flavor") == "mysql" else "PostgreSQL"
    text = f"{server} max_connections {_value(data, swept, 'database.max_connections')}"
    others = _get(data, "database.other_clients", 0)
    if "database.other_clients" in swept or others:
        text += f", {_value(data, swept, 'database.other_clients')} other clients"
    cores = _value(data, swept, "database.cores", lambda v: "unlimited" if not v else str(v), default=0)
    return f"{text}, {cores} cores"


def traffic(data: dict[str, Any], swept: Collection[str] = ()) -> str:
    """``traffic 600/s + spike +2000/s at 20s for 30s, 2 queries per request, deadline 2s``."""
    arrivals = [arrival(a) for a in _get(data, "workload.arrivals", [])]
    if any(path.startswith("workload.arrivals") for path in swept):
        arrivals.append(f"({SWEPT})")
    request = _get(data, "workload.request", {})
    queries = request.get("queries", 1)
    how = " in a transaction" if request.get("transaction") and queries > 1 else ""
    timeout = request.get("timeout", "0")
    deadline = "no deadline" if _get(data, "pitfalls.no_deadline") or timeout in (0, "0") else f"deadline {timeout}"
    return (f"traffic {' + '.join(arrivals) or 'none'}, {queries} quer{'ies' if queries != 1 else 'y'} per request"
            f"{how}, {deadline}")


def arrival(spec: dict[str, Any]) -> str:
    """One arrival process: ``600/s``, ``spike +2000/s at 20s for 30s``, ``bursts of …``."""
    kind = spec.get("kind")
    if kind == "poisson":
        text = str(spec["rate"])
        if spec.get("start") not in (None, 0, "0"):
            text += f" from {spec['start']}"
        if spec.get("end") is not None:
            text += f" until {spec['end']}"
        return text
    if kind == "spike":
        return f"spike +{spec['rate']} at {spec['at']} for {spec['for']}"
    if kind == "onoff":
        return f"bursts of {spec['rate']} ({spec['on']} on, {spec['off']} off)"
    if kind == "diurnal":
        return f"diurnal {spec['rate']} ±{float(spec.get('amplitude', 0.5)):.0%} over {spec.get('period', '24h')}"
    if kind == "trace":
        return f"replay of {spec['file']}"
    return str(kind)


def distribution(spec: Any) -> str:
    """``exponential, mean 5ms``, ``lognormal, median 20ms, p99 100ms``, ``3ms``."""
    if not isinstance(spec, dict):
        return str(spec)
    dist = spec.get("dist")
    if dist == "constant":
        return str(spec.get("value"))
    return ", ".join([str(dist), *(f"{key} {value}" for key, value in spec.items() if key != "dist")])
