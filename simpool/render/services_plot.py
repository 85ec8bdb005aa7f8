"""The time-series panel of a scenario with several services: each service's open
connections stacked, against the database's cap, so the figure shows whose pools fill
the connection table when it is full."""

from __future__ import annotations

from typing import Any

from .figures import CAP_COLOR, USABLE_COLOR

SERVICE_COLORS = ("#2e86c1", "#e67e22", "#27ae60", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#d4ac0d")
"""One colour per service, in the scenario's order (cycling past eight)."""


def draw_services(ax: Any, ts: Any, bins: Any, database: Any, legend: Any) -> None:
    """Open connections per service (the mean per bin), stacked, with ``max_connections``,
    the usable slots and the other clients drawn in."""
    held = ts.service_open()
    base = bins.mean(held[0]) * 0
    for k, name in enumerate(ts.services):
        top = base + bins.mean(held[k])
        ax.fill_between(bins.x, base, top, step="post", color=SERVICE_COLORS[k % len(SERVICE_COLORS)], alpha=0.7,
                        lw=0, label=name)
        base = top
    ax.axhline(database.max_connections, color=CAP_COLOR, ls="--", lw=1.4,
               label=f"max_connections {database.max_connections}")
    if database.usable_connections != database.max_connections:
        ax.axhline(database.usable_connections, color=USABLE_COLOR, ls="-.", lw=1.4,
                   label=f"usable by the app {database.usable_connections}")
    if database.other_clients:
        ax.axhline(database.other_clients, color="grey", ls=":", lw=1.0,
                   label=f"other clients {database.other_clients}")
    top = max(float(base.max(initial=0)) if len(base) else 0.0, database.max_connections)
    ax.set_ylim(0, top * 1.08)
    ax.set_title("Open connections per service, stacked (pools' numOpen, dials included"
                 + (f"; mean {bins.per()})" if bins.averaged else ")"))
    ax.set_ylabel("connections")
    legend(ax)
