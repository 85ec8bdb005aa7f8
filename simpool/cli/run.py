"""``simpool run``: run a scenario, print the summary and the diagnosis, write the results."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from .common import (
    ScenarioArg,
    SetOption,
    command_line,
    exit_codes,
    folder_name,
    load,
    printable,
    setting_notes,
    stderr,
)


def run_command(
    scenario: ScenarioArg = None,
    *,
    seed: Annotated[int | None, typer.Option(min=0, max=2**64 - 1, show_default=False,
                                             help="Seed of every random stream (default: the scenario's).")] = None,
    replications: Annotated[int, typer.Option("--replications", "-R", min=1,
                                              help="Independent runs; the summary shows means with 95% CI.")] = 1,
    set_: SetOption = None,
    duration: Annotated[str | None, typer.Option(help="Simulated time, a Go duration such as 30s or 10m.",
                                                 show_default=False)] = None,
    go_version: Annotated[str | None, typer.Option(help="Pool behaviour profile: 1.23, 1.18 or 1.17.",
                                                   show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for results (default: simpool-out/<name>/).",
                                             show_default=False)] = None,
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
    jobs: Annotated[int, typer.Option(min=1, help="Processes for the replications and the what-if runs (at "
                                                  "most the cores available); the results are the same whatever "
                                                  "it is.")] = 1,
    yes: Annotated[bool, typer.Option("--yes", help="Run even if the estimate is over the budget "
                                                    "(10 minutes or half the memory).")] = False,
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
        from ..budget import check, run_work

        check(run_work(loaded, replications, record_requests=requests, what_ifs=not no_what_if), yes=yes, what="run")
        from ..analysis.diagnosis import diagnose_run
        from ..analysis.slo import gate
        from ..render.files import OutputFolder
        from ..render.run_files import names
        from ..sweeps.replications import simulate_replications

        def work() -> tuple[Any, Any]:
            result = simulate_replications(loaded, seed=seed, replications=replications, jobs=jobs,
                                           record_requests=requests)
            return result, diagnose_run(result, what_ifs=not no_what_if, jobs=jobs)

        folder = out if out is not None else Path("simpool-out") / folder_name(loaded.name)
        # Opened before the simulation: a bad --out fails now, and the folder stays locked.
        with OutputFolder(folder, owner="run", names=names(plots=not no_plots, requests=requests,
                                                           report=report)) as files:
            if err.is_terminal and not quiet:
                with err.status(f"Simulating {loaded.name} ({replications} replication{'s' * (replications > 1)}, "
                                f"then the what-ifs)…"):
                    result, diagnosis = work()
            else:
                result, diagnosis = work()
            verdicts = gate(terms, result)
            written = _write_outputs(result, loaded, files, plots=not no_plots, requests=requests,
                                     diagnosis=diagnosis, verdicts=verdicts, report=report)
        if json_:
            from ..render.run_files import summary_json

            sys.stdout.write(summary_json(result, diagnosis, verdicts))
        if not quiet:
            from ..render.run_tables import summary_renderable

            console = err if json_ else Console(highlight=False)
            console.print(summary_renderable(result.summary(), loaded, diagnosis, verdicts))
            console.print(f"\nResults in {printable(str(folder))}/: {', '.join(p.name for p in written)}",
                          highlight=False, soft_wrap=True)
        elif any(not v.passed for v in verdicts):
            err.print("SLO failed: " + ", ".join(v.term.text for v in verdicts if not v.passed), markup=False)
        if any(not v.passed for v in verdicts):
            raise typer.Exit(code=SLO_FAILED)


SLO_FAILED = 3
"""Exit status when the run missed an ``--slo`` (0 success, 2 bad input, 130 interrupted, 1 else)."""


def _write_outputs(result: Any, scenario: Any, files: Any, *, plots: bool, requests: bool, diagnosis: Any,
                   verdicts: Any, report: bool = False) -> list[Path]:
    """Stage a successful run's files in its output folder (committed together when the
    ``with`` block ends; files of an earlier run it did not write go then). ``report``:
    also report.md and report.html."""
    from ..render.run_files import write_results

    written = write_results(result, files, requests=requests, diagnosis=diagnosis, verdicts=verdicts)
    if plots:
        from ..render.run_plots import write_plots

        written += write_plots(result, scenario, files)
    if report:
        from ..render.report import build_report, report_files

        figures = {path.stem: files.read(path.name) for path in written if path.suffix == ".png"}
        document = build_report(scenario, result, list(diagnosis.findings), list(verdicts), figures, command_line())
        written += [files.write(name, text) for name, text in report_files(document)]
    return written
