"""``simpool run``: run a scenario, print the summary and the diagnosis, write the results."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from .common import ScenarioArg, SetOption, command_line, exit_codes, folder_name, load, setting_notes, stderr


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
    slo: Annotated[list[str] | None, typer.Option(
        "--slo", metavar="TERM", help="An objective to gate on, e.g. 'p99_wait<50ms' or 'error_rate<=0.1%' "
        "(repeatable); exit status 3 if one fails.", show_default=False)] = None,
    no_what_if: Annotated[bool, typer.Option("--no-what-if", help="Skip the what-if runs that prove the advice "
                                                                    "(then no advice, only what happened).")] = False,
    jobs: Annotated[int, typer.Option(min=1, help="Processes for the what-if runs.")] = 1,
) -> None:
    """Run a scenario, print the summary and a diagnosis whose advice what-if runs prove,
    check the SLOs, write results and plots."""
    err = stderr()
    with exit_codes(err):
        from ..analysis.slo import parse_terms

        terms = parse_terms(slo or [])
        loaded = load(scenario, set_ or [], duration=duration, go_version=go_version)
        for note in setting_notes(loaded):
            err.print(note, markup=False)
        from ..analysis.diagnosis import diagnose_run
        from ..analysis.slo import gate
        from ..engine import simulate

        def work() -> tuple[Any, Any]:
            result = simulate(loaded, seed=seed, replications=replications, record_requests=requests)
            return result, diagnose_run(result, what_ifs=not no_what_if, jobs=jobs)

        if err.is_terminal and not quiet:
            with err.status(f"Simulating {loaded.name} ({replications} replication{'s' * (replications > 1)}, "
                            f"then the what-ifs)…"):
                result, diagnosis = work()
        else:
            result, diagnosis = work()
        verdicts = gate(terms, result)
        folder = out if out is not None else Path("simpool-out") / folder_name(loaded.name)
        written = _write_outputs(result, loaded, folder, plots=not no_plots, requests=requests,
                                 diagnosis=diagnosis, verdicts=verdicts, report=report)
        if json_:
            from ..render.run_files import summary_json

            sys.stdout.write(summary_json(result, diagnosis, verdicts))
        if not quiet:
            from ..render.run_tables import summary_renderable

            console = err if json_ else Console(highlight=False)
            console.print(summary_renderable(result.summary(), loaded, diagnosis, verdicts))
            console.print(f"\nResults in {folder}/: {', '.join(p.name for p in written)}", highlight=False,
                          soft_wrap=True)
        elif any(not v.passed for v in verdicts):
            err.print("SLO failed: " + ", ".join(v.term.text for v in verdicts if not v.passed), markup=False)
        if any(not v.passed for v in verdicts):
            raise typer.Exit(code=SLO_FAILED)


SLO_FAILED = 3
"""Exit status when the run missed an ``--slo`` (0 success, 2 bad input, 130 interrupted, 1 else)."""


OUTPUT_FILES = ("summary.json", "timeseries.csv", "requests.csv",
                "timeseries.png", "timeseries.svg", "wait_cdf.png", "wait_cdf.svg", "report.md", "report.html")
"""Every file ``run`` may write; those this run did not write are removed afterwards."""


def _write_outputs(result: Any, scenario: Any, folder: Path, *, plots: bool, requests: bool, diagnosis: Any,
                   verdicts: Any, report: bool = False) -> list[Path]:
    """Files of a successful run, each replaced atomically. Files an earlier run left
    that this one did not write (plots after --no-plots, requests.csv) are removed, so
    the folder never mixes two runs. ``report``: also report.md and report.html."""
    from ..render.run_files import write_results

    written = write_results(result, folder, requests=requests, diagnosis=diagnosis, verdicts=verdicts)
    if plots:
        from ..render.run_plots import write_plots

        written += write_plots(result, scenario, folder)
    if report:
        from ..render.files import atomic_write
        from ..render.report import build_report, report_files

        figures = {path.stem: path.read_bytes() for path in written if path.suffix == ".png"}
        document = build_report(scenario, result, list(diagnosis.findings), list(verdicts), figures, command_line())
        written += [atomic_write(folder / name, text) for name, text in report_files(document)]
    for name in set(OUTPUT_FILES) - {path.name for path in written}:
        (folder / name).unlink(missing_ok=True)
    return written
