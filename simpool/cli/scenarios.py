"""``simpool scenarios``: the bundled scenarios, each with its story in one line."""

from __future__ import annotations

from rich.console import Console

from ..catalog import bundled_scenarios


def scenarios_command() -> None:
    """List the bundled scenarios, each with its story in one line."""
    from rich.table import Table

    table = Table(box=None, padding=(0, 2), show_header=True)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("story")
    for item in bundled_scenarios():
        table.add_row(item.name, item.story)
    console = Console(highlight=False)
    console.print(table)
    console.print("\n[bold]simpool run NAME[/bold] runs one; [bold]simpool run[/bold] alone runs the "
                  "built-in default (the spike story).")
