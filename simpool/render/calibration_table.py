"""The table ``simpool calibrate`` prints: what the server said, what was measured, and
the distributions fitted to it."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table

from ..calibration import Calibration
from ..units import format_duration


def _ms(seconds: float) -> str:
    return format_duration(round(seconds, 6))


def calibration_renderable(cal: Calibration) -> Any:
    """Server facts, sessions already connected, and the handshake and query fits."""
    facts = cal.facts
    server = Table.grid(padding=(0, 2))
    server.add_column()
    server.add_column(justify="right")
    server.add_column()
    server.add_row("[bold]Server[/bold]", "", cal.where)
    server.add_row("  version", f"{facts.version}", f"{facts.version_text}{', TLS' if facts.tls else ', no TLS'}")
    server.add_row("  max_connections", f"{facts.max_connections}", "")
    server.add_row("  superuser_reserved_connections", f"{facts.superuser_reserved_connections}", "")
    if facts.version >= 16:
        server.add_row("  reserved_connections", f"{facts.reserved_connections}", "")
    server.add_row("  other_clients", f"{facts.other_clients}", "client sessions already connected"
                   + (", some excluded" if any(not g.counted for g in facts.sessions) else ""))
    for group in facts.sessions:
        server.add_row(f"    {group.role or '?'} / {group.application or '-'}", f"{group.count}",
                       "" if group.counted else "excluded (the app's own)")
    fits = Table(box=None, padding=(0, 2), show_edge=False, title_justify="left",
                 title=f"[bold]Measured[/bold] ({len(cal.handshake.samples)} connections, probe {cal.probe!r})")
    fits.add_column("")
    for name in ("p50", "p90", "p95", "p99", "max"):
        fits.add_column(name, justify="right")
    for fit in (cal.handshake, cal.query):
        fits.add_row(f"  {fit.name}", *(_ms(fit.quantiles[q]) for q in (50, 90, 95, 99)), _ms(fit.maximum))
    written = Table.grid(padding=(0, 2))
    written.add_column()
    written.add_row("[bold]Written as[/bold] (lognormal by median and p99)")
    for fit in (cal.handshake, cal.query):
        written.add_row(f"  {fit.name}: {{dist: lognormal, median: {_ms(fit.median)}, p99: {_ms(fit.p99)}}}")
    return Group(server, fits, written)
