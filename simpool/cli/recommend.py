"""``simpool recommend``: parse, call :func:`simpool.analysis.recommend.recommend`, render.
No model logic here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from .common import ScenarioArg, SetOption, command_line, exit_codes, folder_name, load, printable, stderr

NAMES = ("recommend.json",)


def recommend_command(
    scenario: ScenarioArg = None,
    *,
    slo: Annotated[list[str] | None, typer.Option(
        "--slo", metavar="TERM", help="An objective every recommended setting must meet with its 95% CI, e.g. "
        "'p99_wait<100ms' or 'error_rate<=0' (repeatable; at least one).", show_default=False)] = None,
    headroom: Annotated[str, typer.Option(help="Slots to leave free under the cap: a count (5) or a share of the "
                                               "usable slots (10%).")] = "0",
    max_dials_per_s: Annotated[float | None, typer.Option(
        "--max-dials-per-s", help="Bound on the fleet's dials per second for SetMaxIdleConns (default: 2 per "
        "instance of the largest fleet).", show_default=False)] = None,
    service: Annotated[str | None, typer.Option(
        "--service", metavar="NAME", help="On a scenario with services: tune NAME's pool (services.NAME.pool.*), "
        "the others held as the scenario sets them, its SLO read on its own metrics; 'all' splits the budget, "
        "each service in turn. A term 'NAME:p99_wait<50ms' is for one service only.", show_default=False)] = None,
    set_: SetOption = None,
    seed: Annotated[int | None, typer.Option(min=0, max=2**64 - 1, show_default=False,
                                             help="Seed of every random stream (default: the scenario's).")] = None,
    replications: Annotated[int, typer.Option("--replications", "-R", help="The most replications a point may "
                                              "take before its CI decides it.")] = 8,
    min_replications: Annotated[int, typer.Option("--min-replications", help="Replications every point takes "
                                                  "first (at least 2: a CI needs two).")] = 2,
    jobs: Annotated[int | None, typer.Option(help="Local worker processes (default and at most: the cores "
                                                  "available).", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: simpool-out/<scenario>-recommend/).",
                                             show_default=False)] = None,
    cache: Annotated[Path | None, typer.Option("--cache", help="Run cache folder, read and filled (default: "
                                               "simpool-out/.cache, shared with sweep): a run kept there is the "
                                               "same bytes as a fresh one, keyed by the settings, seed, "
                                               "replication and simpool's code, so asking again costs almost "
                                               "nothing.", show_default=False)] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Run every replication; read and write no "
                                                              "run cache.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print recommend.json instead of the table.")] = False,
    report: Annotated[bool, typer.Option("--report", help="Also write report.md and a self-contained "
                                                          "report.html.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No table.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Run even if the estimate is over the budget "
                                                    "(10 minutes or half the memory).")] = False,
) -> None:
    """The smallest safe pool per instance: SetMaxOpenConns, SetMaxIdleConns,
    SetConnMaxLifetime and SetConnMaxIdleTime that meet every --slo at the fleet's largest
    size under the database's cap, found by a search and proved by runs on the same traffic."""
    err = stderr()
    with exit_codes(err):
        from ..analysis.recommend import parse_headroom, recommend
        from ..analysis.slo import parse_terms
        from ..exceptions import ScenarioError

        terms = parse_terms(slo or [])
        if not terms:
            raise ScenarioError("give at least one objective, e.g. --slo 'p99_wait<100ms' --slo 'error_rate<=0'",
                                field="--slo")
        if not 2 <= min_replications <= replications <= 1000:
            raise ScenarioError(f"need 2 <= --min-replications ({min_replications}) <= --replications "
                                f"({replications}) <= 1000", field="--replications")
        loaded = load(scenario, set_ or [])
        parse_headroom(headroom, loaded.database.usable_connections)  # a bad value fails before any run
        from ..budget import check, sweep_work
        from ..sweeps.executors import local_jobs

        workers = local_jobs(jobs, 1 << 20)
        check(sweep_work([loaded], search_points(loaded), replications, workers), yes=yes, what="search")
        from ..render.files import OutputFolder
        from ..sweeps.cache import RunCache

        if no_cache and cache is not None:
            raise ScenarioError("give --cache DIR or --no-cache, not both", field="--no-cache")
        runs = None if no_cache else RunCache(cache if cache is not None else Path("simpool-out") / ".cache")
        folder = out if out is not None else Path("simpool-out") / f"{folder_name(loaded.name)}-recommend"
        names = [*NAMES, *(_report_names() if report else [])]
        with OutputFolder(folder, owner="recommend", names=names) as files:
            status = err.status(f"Searching {loaded.name}…") if err.is_terminal and not (quiet or json_) else None

            def on_round(done: int) -> None:
                if status is not None:
                    status.update(f"Searching {loaded.name}… {done} replications")

            if status is not None:
                status.start()
            try:
                if service == "all":
                    if report:
                        raise ScenarioError("--report is written for one service; the split prints its table "
                                            "and recommend.json", field="--report")
                    from ..analysis.budget_split import split_budget

                    split = split_budget(loaded, terms, headroom=headroom, max_dials_per_s=max_dials_per_s,
                                         seed=seed, jobs=jobs, min_replications=min_replications,
                                         max_replications=replications, cache=runs, on_round=on_round)
                    rec = None
                else:
                    rec = recommend(loaded, terms, headroom=headroom, max_dials_per_s=max_dials_per_s, seed=seed,
                                jobs=jobs, min_replications=min_replications, max_replications=replications,
                                on_round=on_round, cache=runs, service=service)
            finally:
                if status is not None:
                    status.stop()
            if rec is None:
                from ..render.split_table import split_json

                written = [files.write("recommend.json", split_json(split))]
            else:
                written = _write(rec, loaded, files, report=report)
        _show(rec if rec is not None else split, folder, written, err, quiet=quiet, as_json=json_)


def search_points(scenario: Any) -> int:
    """The most points the search may probe: two bisections over the slots, their
    neighbours, and the what-ifs when nothing fits (for the budget's estimate)."""
    import math

    return 2 * max(1, math.ceil(math.log2(scenario.database.usable_connections + 1))) + 4


def _report_names() -> list[str]:
    from ..render.report import REPORT_FILES

    return list(REPORT_FILES)


def _write(rec: Any, scenario: Any, files: Any, *, report: bool) -> list[Path]:
    from ..render.recommend_report import build_recommend_report, recommend_json
    from ..render.report import report_files

    written = [files.write("recommend.json", recommend_json(rec))]
    if report:
        document = build_recommend_report(rec, scenario, command_line())
        written += [files.write(name, text) for name, text in report_files(document)]
    return written


def _show(rec: Any, folder: Path, written: list[Path], err: Console, *, quiet: bool, as_json: bool) -> None:
    from ..analysis.budget_split import BudgetSplit
    from ..render.recommend_report import recommend_json
    from ..render.recommend_table import recommend_renderable
    from ..render.split_table import split_json, split_renderable

    split = isinstance(rec, BudgetSplit)
    if as_json:
        sys.stdout.write(split_json(rec) if split else recommend_json(rec))
    elif not quiet:
        Console(highlight=False).print(split_renderable(rec) if split else recommend_renderable(rec))
    sys.stdout.flush()  # the table first, then the note on stderr
    if not quiet:
        err.print(f"Wrote {', '.join(p.name for p in written)} to {printable(str(folder))}/", highlight=False,
                  soft_wrap=True)
