"""``simpool validate``: check a scenario and print it with every default filled in."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .common import SetOption, exit_codes, load, setting_notes, stderr


def validate_command(
    scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="A scenario file or the name of a bundled one.",
                                            show_default=False)],
    *,
    set_: SetOption = None,
) -> None:
    """Check a scenario and print it with every default filled in, as YAML (with the values
    Go ends up with where it clamps one, and a note on stderr saying so)."""
    err = stderr()
    with exit_codes(err):
        import yaml

        loaded = load(scenario, set_ or [])
        effective = loaded.effective()
        for view in loaded.service_list():
            pool = view.fleet.pool
            if pool.max_idle is not None:
                section = effective["services"][view.index] if view.named else effective["fleet"]
                section["pool"]["max_idle"] = pool.effective_max_idle
        for note in setting_notes(loaded):
            err.print(note, markup=False)
        sys.stdout.write(yaml.safe_dump(effective, sort_keys=False, allow_unicode=True))
