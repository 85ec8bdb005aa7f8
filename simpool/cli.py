"""The ``simpool`` command line: parse, call the API, render. No model logic lives here.

Exit statuses and error handling are shared with ``simpool sweep`` (:mod:`simpool.cli_common`).

Only light modules are imported at start-up, so ``simpool --help`` and ``simpool
validate`` stay fast: the engine (numpy, simpy) and the plots (matplotlib) are imported
inside the commands that need them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from .catalog import bundled_scenarios, resolve_scenario
from .cli_common import ScenarioArg, SetOption, exit_codes, folder_name, parse_sets, stderr
from .cli_sweep import sweep_command
from .exceptions import ScenarioError

app = typer.Typer(
    name="simpool",
    help="Reproduce [bold]too many connections[/bold]: a simulation of Go's database/sql pool "
    "in front of a capped PostgreSQL or MySQL, under bursty traffic, across a fleet.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


# ---------------------------------------------------------------------------- loading


def _load(scenario: str | None, sets: list[str], *, duration: str | None = None,
          go_version: str | None = None) -> Any:
    """The scenario a command works on, with ``--set`` and the shortcut options applied."""
    from .scenario import load_scenario

    overrides = parse_sets(sets)
    options = {}
    if duration is not None:
        overrides["duration"] = options["duration"] = duration
    if go_version is not None:
        overrides["fleet.pool.go_version"] = options["fleet.pool.go_version"] = go_version
    try:
        return load_scenario(resolve_scenario(scenario), overrides=overrides or None)
    except ScenarioError as exc:
        raise _blame_option(exc, overrides, options) from None


def _blame_option(exc: ScenarioError, overrides: dict[str, Any], options: dict[str, Any]) -> ScenarioError:
    """Name the command-line option that set a bad field, not only the file."""
    field = exc.field or ""
    if field in options and overrides.get(field) == options[field]:
        flag = {"duration": "--duration", "fleet.pool.go_version": "--go-version"}[field]
        return ScenarioError(exc.problem, field=f"{flag} ({field})", source=exc.source)
    if any(key == field or key.startswith(field + ".") for key in overrides) and field:
        return ScenarioError(exc.problem, field=f"--set {field}", source=exc.source)
    return exc


# ---------------------------------------------------------------------------- commands

@app.command()
def run(
    scenario: ScenarioArg = None,
    *,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of every random stream (default: the scenario's).",
                                             show_default=False)] = None,
    replications: Annotated[int, typer.Option("--replications", "-R", min=1,
                                              help="Independent runs; the summary shows means with 95% CI.")] = 1,
    set_: SetOption = None,
    duration: Annotated[str | None, typer.Option(help="Simulated time, a Go duration such as 30s or 10m.",
                                                 show_default=False)] = None,
    go_version: Annotated[str | None, typer.Option(help="Pool behaviour profile: 1.23, 1.18 or 1.17.",
                                                   show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for results (default: simpool-out/<name>/).",
                                             show_default=False, file_okay=False)] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout and nothing else there.")] = False,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Write no figures.")] = False,
    requests: Annotated[bool, typer.Option("--requests", help="Also write requests.csv, one row per request "
                                                               "(uses memory for every request).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary table.")] = False,
) -> None:
    """Run a scenario, print the summary and a diagnosis, write results and plots."""
    err = stderr()
    with exit_codes(err):
        loaded = _load(scenario, set_ or [], duration=duration, go_version=go_version)
        from .engine import simulate

        if err.is_terminal and not quiet:
            with err.status(f"Simulating {loaded.name} ({replications} replication{'s' * (replications > 1)})…"):
                result = simulate(loaded, seed=seed, replications=replications, record_requests=requests)
        else:
            result = simulate(loaded, seed=seed, replications=replications, record_requests=requests)
        folder = out if out is not None else Path("simpool-out") / folder_name(loaded.name)
        written = _write_outputs(result, loaded, folder, plots=not no_plots, requests=requests)
        summary = result.summary()
        if json_:
            from .report import summary_json

            sys.stdout.write(summary_json(result))
        if not quiet:
            from .diagnosis import diagnose
            from .report import summary_renderable

            console = err if json_ else Console(highlight=False)
            console.print(summary_renderable(summary, loaded, diagnose(loaded, summary)))
            console.print(f"\nResults in {folder}/: {', '.join(p.name for p in written)}", highlight=False,
                          soft_wrap=True)


OUTPUT_FILES = ("summary.json", "timeseries.csv", "requests.csv",
                "timeseries.png", "timeseries.svg", "wait_cdf.png", "wait_cdf.svg")
"""Every file ``run`` may write; those this run did not write are removed afterwards."""


def _write_outputs(result: Any, scenario: Any, folder: Path, *, plots: bool, requests: bool) -> list[Path]:
    """Files of a successful run, each replaced atomically. Files an earlier run left
    that this one did not write (plots after --no-plots, requests.csv) are removed, so
    the folder never mixes two runs."""
    from .report import write_results

    written = write_results(result, folder, requests=requests)
    if plots:
        from .plots import write_plots

        written += write_plots(result, scenario, folder)
    for name in set(OUTPUT_FILES) - {path.name for path in written}:
        (folder / name).unlink(missing_ok=True)
    return written


@app.command()
def validate(
    scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="A scenario file or the name of a bundled one.",
                                            show_default=False)],
    *,
    set_: SetOption = None,
) -> None:
    """Check a scenario and print it with every default filled in, as YAML."""
    err = stderr()
    with exit_codes(err):
        import yaml

        loaded = _load(scenario, set_ or [])
        sys.stdout.write(yaml.safe_dump(loaded.effective(), sort_keys=False, allow_unicode=True))


@app.command()
def scenarios() -> None:
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


app.command("sweep")(sweep_command)


def main() -> None:
    """Console-script entry point (``simpool``)."""
    app()
