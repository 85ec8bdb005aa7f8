"""The ``simpool`` command line: parse, call the API, render. No model logic lives here.

One module per command, each registered on one typer app: :mod:`.run`, :mod:`.sweep`,
:mod:`.recommend`, :mod:`.validate`, :mod:`.scenarios`, :mod:`.calibrate`; :mod:`.common` holds what they share (exit
statuses, one-line errors, ``--set``, loading the scenario).

Only light modules are imported at start-up, so ``simpool --help`` and ``simpool
validate`` stay fast: the engine (numpy, simpy) and the figures (matplotlib) are
imported inside the commands that need them.
"""

from __future__ import annotations

import signal
import sys
from typing import Annotated

import typer

from . import common
from .calibrate import calibrate_command
from .recommend import recommend_command
from .run import run_command
from .scenarios import scenarios_command
from .sweep import sweep_command
from .validate import validate_command

app = typer.Typer(
    name="simpool",
    help="Reproduce [bold]too many connections[/bold]: a simulation of Go's database/sql pool "
    "in front of a capped PostgreSQL or MySQL, under bursty traffic, across a fleet.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"simpool {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print simpool's version and exit.")] = False,
) -> None:
    """Reproduce [bold]too many connections[/bold]: a simulation of Go's database/sql pool in
    front of a capped PostgreSQL or MySQL, under bursty traffic, across a fleet."""


app.command("run")(run_command)
app.command("validate")(validate_command)
app.command("scenarios")(scenarios_command)
app.command("sweep")(sweep_command)
app.command("recommend")(recommend_command)
app.command("calibrate")(calibrate_command)


def main() -> None:
    """Console-script entry point (``simpool``)."""
    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGINT, _interrupted)
    app()


def _interrupted(signum: int, _frame: object) -> None:
    """Ctrl-C: inside a command, a KeyboardInterrupt, which the command turns into its
    clean-up and status 130; before the command starts (while typer reads the command
    line, which typer would report as "Aborted!" and status 1), status 130 at once."""
    if common.command_running():
        raise KeyboardInterrupt
    sys.stderr.write("interrupted\n")
    raise SystemExit(130)


def _terminated(signum: int, _frame: object) -> None:
    """``kill`` (SIGTERM) unwinds as Ctrl-C does: workers stopped, staged files dropped, the
    earlier results left as they were; the exit status is 143, as for the signal itself."""
    raise SystemExit(128 + signum)
