"""``simpool run``: run a scenario, print the summary and the diagnosis, write the results."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from .common import ScenarioArg, SetOption, command_line, exit_codes, folder_name, load, stderr


def run_command(
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
    report: Annotated[bool, typer.Option("--report", help="Also write report.md and a self-contained report.html "
                                                          "(findings, what-ifs, figures, how to reproduce).")] = False,
) -> None:
    """Run a scenario, print the summary and a diagnosis, write results and plots."""
    err = stderr()
    with exit_codes(err):
        loaded = load(scenario, set_ or [], duration=duration, go_version=go_version)
        from ..engine import simulate

        if err.is_terminal and not quiet:
            with err.status(f"Simulating {loaded.name} ({replications} replication{'s' * (replications > 1)})…"):
                result = simulate(loaded, seed=seed, replications=replications, record_requests=requests)
        else:
            result = simulate(loaded, seed=seed, replications=replications, record_requests=requests)
        folder = out if out is not None else Path("simpool-out") / folder_name(loaded.name)
        summary = result.summary()
        from ..analysis.diagnosis import diagnose

        findings = diagnose(loaded, summary)
        written = _write_outputs(result, loaded, folder, plots=not no_plots, requests=requests,
                                 report=(findings, ()) if report else None)
        if json_:
            from ..render.run_files import summary_json

            sys.stdout.write(summary_json(result))
        if not quiet:
            from ..render.run_tables import summary_renderable

            console = err if json_ else Console(highlight=False)
            console.print(summary_renderable(summary, loaded, findings))
            console.print(f"\nResults in {folder}/: {', '.join(p.name for p in written)}", highlight=False,
                          soft_wrap=True)


OUTPUT_FILES = ("summary.json", "timeseries.csv", "requests.csv",
                "timeseries.png", "timeseries.svg", "wait_cdf.png", "wait_cdf.svg", "report.md", "report.html")
"""Every file ``run`` may write; those this run did not write are removed afterwards."""


def _write_outputs(result: Any, scenario: Any, folder: Path, *, plots: bool, requests: bool,
                   report: tuple[Any, Any] | None = None) -> list[Path]:
    """Files of a successful run, each replaced atomically. Files an earlier run left
    that this one did not write (plots after --no-plots, requests.csv) are removed, so
    the folder never mixes two runs. ``report`` is (findings, SLO verdicts) for --report."""
    from ..render.run_files import write_results

    written = write_results(result, folder, requests=requests)
    if plots:
        from ..render.run_plots import write_plots

        written += write_plots(result, scenario, folder)
    if report is not None:
        from ..render.files import atomic_write
        from ..render.report import build_report, report_files

        figures = {path.stem: path.read_bytes() for path in written if path.suffix == ".png"}
        document = build_report(scenario, result, report[0], report[1], figures, command_line())
        written += [atomic_write(folder / name, text) for name, text in report_files(document)]
    for name in set(OUTPUT_FILES) - {path.name for path in written}:
        (folder / name).unlink(missing_ok=True)
    return written
