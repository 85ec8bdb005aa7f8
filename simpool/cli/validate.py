"""``simpool validate``: check a scenario and print it with every default filled in."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .common import SetOption, exit_codes, load, stderr


def validate_command(
    scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="A scenario file or the name of a bundled one.",
                                            show_default=False)],
    *,
    set_: SetOption = None,
) -> None:
    """Check a scenario and print it with every default filled in, as YAML."""
    err = stderr()
    with exit_codes(err):
        import yaml

        loaded = load(scenario, set_ or [])
        sys.stdout.write(yaml.safe_dump(loaded.effective(), sort_keys=False, allow_unicode=True))
