"""``simpool calibrate``: measure a real PostgreSQL and write a scenario's ``database:``
block (new, or merged into a given scenario file). The measuring and the file rules live in
:mod:`simpool.calibration`; this module parses, shows progress and writes atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import exit_codes, stderr


def calibrate_command(
    scenario: Annotated[Path | None, typer.Argument(
        metavar="[SCENARIO]", help="A scenario file to merge the database block into (kept as SCENARIO.bak). "
        "Without one: a new scenario file.", show_default=False, dir_okay=False)] = None,
    *,
    dsn: Annotated[str, typer.Option(help="The server, e.g. postgresql://app:secret@db:5432/app?sslmode=require.",
                                     show_default=False)],
    out: Annotated[Path | None, typer.Option(help="Where the scenario goes (default: SCENARIO itself, else "
                                             "calibrated.yaml).", show_default=False, dir_okay=False)] = None,
    connections: Annotated[int, typer.Option("-n", "--connections", min=1,
                                             help="Connections to set up and time, one at a time.")] = 50,
    probe: Annotated[str, typer.Option(help="The query timed on each connection (3 times).")] = "SELECT 1",
    timeout: Annotated[str, typer.Option(help="How long one connection attempt may take (a Go duration).")] = "10s",
    exclude_role: Annotated[list[str] | None, typer.Option(
        metavar="ROLE", help="Sessions of this role are the app's own, not other_clients (repeatable).",
        show_default=False)] = None,
    exclude_application: Annotated[list[str] | None, typer.Option(
        metavar="NAME", help="Sessions with this application_name are the app's own (repeatable).",
        show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no table.")] = False,
) -> None:
    """Measure a PostgreSQL server (limits, sessions, connection set-up and query times) and
    write the database block of a scenario."""
    err = stderr()
    with exit_codes(err):
        from ..calibration import CalibrationError

        try:
            _calibrate(err, scenario, dsn, out, connections, probe, timeout, tuple(exclude_role or ()),
                       tuple(exclude_application or ()), quiet)
        except CalibrationError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None


def _calibrate(err, scenario, dsn, out, n, probe, timeout, exclude_roles, exclude_applications, quiet) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..calibration import CalibrationError, calibrate_postgres
    from ..calibration.output import plan
    from ..exceptions import ScenarioError
    from ..render.calibration_table import calibration_renderable
    from ..render.files import atomic_write
    from ..units import parse_duration

    if not dsn.startswith(("postgresql://", "postgres://")) and "=" not in dsn:
        if dsn.startswith(("mysql://", "mariadb://")):
            raise CalibrationError("MySQL/MariaDB is not supported by calibrate yet; give a postgresql:// DSN")
        raise CalibrationError(f"--dsn: expected postgresql://… or libpq key=value pairs (not {dsn.split(':')[0]!r})")
    if scenario is not None and not scenario.is_file():
        raise CalibrationError(f"{scenario}: no such scenario file")
    try:
        seconds = parse_duration(timeout)
    except ValueError as exc:
        raise ScenarioError(str(exc), field="--timeout") from None
    with Progress(TextColumn("Measuring connection set-ups"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, disable=quiet, transient=True) as progress:
        task = progress.add_task("dials", total=n)
        cal = calibrate_postgres(dsn, n=n, probe=probe, timeout=seconds, exclude_roles=exclude_roles,
                                 exclude_applications=exclude_applications,
                                 progress=lambda done: progress.update(task, completed=done))
    writes = plan(cal, scenario, out)
    for path, text in writes:
        atomic_write(path, text)
    if not quiet:
        err.print(calibration_renderable(cal))
    target = writes[-1][0]
    backup = [p for p, _ in writes if p.name.startswith(target.name + ".bak")]
    err.print(f"\nWrote {target}" + (f" (the previous version is {backup[0]})" if backup else "")
              + f" and the samples {', '.join(p.name for p, _ in writes[len(backup):-1])}.", highlight=False,
              soft_wrap=True)
    fill_in = "" if scenario is not None else " (it has the database only: add your fleet and workload)"
    err.print(f"Next: simpool run {target}{fill_in}, then sweep its pool settings.", highlight=False,
              soft_wrap=True)
