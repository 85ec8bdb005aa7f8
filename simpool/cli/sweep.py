"""``simpool sweep``: parse the grid, call :func:`simpool.sweep`, find the marked points,
render. No model logic here."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from ..catalog import resolve_scenario
from ..exceptions import ScenarioError
from .common import (
    ScenarioArg,
    SetOption,
    command_line,
    exit_codes,
    parse_sets,
    printable,
    stderr,
    sweep_folder_name,
)

if TYPE_CHECKING:
    from ..sweeps.axes import Axis

MAX_POINTS = 10_000
"""Bigger grids need ``--yes``: at seconds per run they take days, and are usually a typo."""

SHORTCUTS = {
    "max_open": ("--max-open", "fleet.pool.max_open"),
    "max_idle": ("--max-idle", "fleet.pool.max_idle"),
    "lifetime": ("--lifetime", "fleet.pool.conn_max_lifetime"),
    "max_idle_time": ("--max-idle-time", "fleet.pool.conn_max_idle_time"),
    "instances": ("--instances", "fleet.instances"),
}

class ExecutorKind(StrEnum):
    local = "local"
    dask = "dask"


COUNTS = "10..50 (every value), 10..50:5 (step 5), a list 20,25,30"
DURATIONS = "a list of Go durations 0,30m,1h (0 = forever), or default"


def sweep_command(
    scenario: ScenarioArg = None,
    *,
    max_open: Annotated[str | None, typer.Option(
        "--max-open", help=f"Sweep SetMaxOpenConns: {COUNTS}; 0 or default = unlimited.", show_default=False)] = None,
    max_idle: Annotated[str | None, typer.Option(
        "--max-idle", help=f"Sweep SetMaxIdleConns: {COUNTS}, or default (Go's 2).", show_default=False)] = None,
    lifetime: Annotated[str | None, typer.Option("--lifetime", help=f"Sweep SetConnMaxLifetime: {DURATIONS}.",
                                                 show_default=False)] = None,
    max_idle_time: Annotated[str | None, typer.Option("--max-idle-time",
                                                      help=f"Sweep SetConnMaxIdleTime: {DURATIONS}.",
                                                      show_default=False)] = None,
    instances: Annotated[str | None, typer.Option("--instances", help="Sweep the number of app instances: 1..8, "
                                                  "2,4,8.", show_default=False)] = None,
    vary: Annotated[list[str] | None, typer.Option(
        "--vary", metavar="PATH=VALUES", help="Sweep any scenario field, e.g. database.max_connections=50,100.",
        show_default=False)] = None,
    set_: SetOption = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).", show_default=False)] = None,
    replications: Annotated[int, typer.Option("--replications", "-R",
                                              help="Independent replications per point (with "
                                                   "--min-replications: the most).")] = 5,
    min_replications: Annotated[int | None, typer.Option(
        "--min-replications", help="Adaptive: each point runs at least this many replications, then more "
        "only until its CI decides it for the findings (best point, first refusal), up to --replications.",
        show_default=False)] = None,
    jobs: Annotated[int | None, typer.Option(help="Local worker processes (default and at most: the cores "
                                                  "available).", show_default=False)] = None,
    executor: Annotated[ExecutorKind, typer.Option(help="Run locally or on a Dask cluster.")] = ExecutorKind.local,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786.",
                                                  show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: a folder per sweep, "
                                                  "simpool-out/<scenario>-sweep-<axes>/, e.g. "
                                                  "spike-sweep-max_open-10..50).", show_default=False)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Reuse the runs kept in the run cache (same settings, "
                                                          "seed, replication and simpool code; anything changed "
                                                          "runs again): a sweep stopped by Ctrl-C finishes where it "
                                                          "stopped, with the same bytes as an uninterrupted one. "
                                                          "Says how many points it reused.")] = False,
    cache: Annotated[Path | None, typer.Option("--cache", help="Run cache folder (default: simpool-out/.cache, "
                                               "beside the default output folders and shared by every sweep run "
                                               "from here, so that another sweep can reuse a run; outside every "
                                               "output folder, so that no manifest changes). Every run is kept "
                                               "there as it finishes; at most 256 MB, the least recently used "
                                               "removed first; safe to delete.", show_default=False)] = None,
    yes: Annotated[bool, typer.Option("--yes", help=f"Allow grids of more than {MAX_POINTS:,} points, and "
                                                    "sweeps estimated over the budget (10 minutes or half the "
                                                    "memory).")] = False,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Skip the charts.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no table.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print sweep.json instead of the table.")] = False,
    report: Annotated[bool, typer.Option("--report", help="Also write report.md and a self-contained report.html "
                                                          "(best point, first refusal, points, charts, how to "
                                                          "reproduce).")] = False,
) -> None:
    """Sweep pool settings over a grid: where is the knee, and where does the database
    start refusing? Writes sweep.csv, sweep.json and charts to --out."""
    from ..budget import check, sweep_work
    from ..render.files import OutputFolder
    from ..sweeps.axes import grid_size
    from ..sweeps.cache import RunCache
    from ..sweeps.executors import local_jobs
    from ..sweeps.grid import run_sweep
    from ..sweeps.plan import plan_sweep

    options = {"max_open": max_open, "max_idle": max_idle, "lifetime": lifetime,
               "max_idle_time": max_idle_time, "instances": instances}
    err = stderr()
    with exit_codes(err):
        source = resolve_scenario(scenario)
        axes = _axes(options, vary or [])
        overrides = parse_sets(set_ or [])
        points = grid_size(axes)
        if points > MAX_POINTS and not yes:
            raise ScenarioError(f"the grid has {points:,} points (more than {MAX_POINTS:,}); add --yes to run it")
        plan = plan_sweep(source, axes, replications=replications, seed=seed, overrides=overrides)
        workers = local_jobs(jobs, points * replications) if executor == ExecutorKind.local else 1
        check(sweep_work(list(plan.checked.values()), points, replications, workers), yes=yes, what="sweep")
        folder = out or Path("simpool-out") / sweep_folder_name(plan.name, axes)
        runs = RunCache(cache if cache is not None else Path("simpool-out") / ".cache")
        tracker = _Tracker(err, axes, points, quiet=quiet or json_)
        started = time.monotonic()
        # Opened before the runs: a bad --out fails now, and the folder stays locked.
        with OutputFolder(folder, owner="sweep", names=_names(len(axes), plots=not no_plots, report=report)) as files:
            with tracker:
                # run_sweep() turns Ctrl-C during the runs into a result with interrupted=True.
                result = run_sweep(plan, jobs=jobs, executor=executor.value, scheduler=scheduler,
                                   on_point=tracker.point_done, cache=runs, resume=resume,
                                   min_replications=min_replications)
            elapsed = time.monotonic() - started
            if result.interrupted and not result.rows:
                err.print(f"interrupted before any point finished; nothing written to {printable(str(folder))}",
                          highlight=False)
                raise typer.Exit(code=130)
            findings, written = _write(result, files, plots=not no_plots, report=report,
                                       base_dir=source.parent if source is not None else None)
        if resume and not quiet:
            reused = _plural(result.reused_runs, "run")
            if result.min_replications is None:  # an adaptive sweep asks the cache round by round: runs only
                reused = f"{result.reused_points:,} of {_plural(result.points, 'point')} ({reused})"
            err.print(f"reused {reused} from the run cache {printable(str(runs.folder))}", highlight=False)
        _report(result, findings, folder, written, err, elapsed=elapsed, quiet=quiet, as_json=json_)


def _names(axes: int, *, plots: bool, report: bool) -> list[str]:
    from ..render.report import REPORT_FILES
    from ..render.sweep_files import COMPLETE, PARTIAL
    from ..render.sweep_plots import chart_names

    return [*COMPLETE, *PARTIAL, *(chart_names(axes) if plots else []), *(REPORT_FILES if report else [])]


def _write(result: Any, files: Any, *, plots: bool, report: bool, base_dir: Path | None) -> tuple[Any, list[Path]]:
    """Stage the sweep's files (committed together when the ``with`` block ends). An
    interrupted sweep writes ``sweep.partial.*`` beside the earlier results, never over them."""
    from ..analysis.sweep_causes import why_no_clean_point
    from ..analysis.sweep_findings import find
    from ..render.sweep_files import write_outputs

    least, causes = why_no_clean_point(result, base_dir=base_dir)
    findings = find(result.rows, least_failing=least, causes=causes)
    written = write_outputs(result, findings, files)
    if result.interrupted:
        files.keep_earlier()
        return findings, written
    if plots:
        from ..render.sweep_plots import plot_sweep

        written += plot_sweep(result, findings, files)
    if report:
        from ..render.report import build_sweep_report, report_files

        figures = {path.stem: files.read(path.name) for path in written if path.suffix == ".png"}
        document = build_sweep_report(result, findings, figures, command_line(), rule_findings=findings.causes)
        written += [files.write(name, text) for name, text in report_files(document)]
    return findings, written


def _report(result: Any, findings: Any, out: Path, written: list[Path], stderr: Console, *, elapsed: float,
            quiet: bool, as_json: bool) -> None:
    from ..render.sweep_files import to_json
    from ..render.sweep_table import sweep_table

    if as_json:
        sys.stdout.write(to_json(result, findings))
    elif not quiet:
        Console().print(sweep_table(result, findings))
    if result.interrupted:
        stderr.print(f"interrupted: {len(result.rows)} of {result.points} points finished; wrote them to "
                     f"{printable(str(out))}/{written[0].name} and {written[1].name}", highlight=False)
        raise typer.Exit(code=130)
    if not quiet:
        if result.min_replications is None:
            runs = f"{_plural(result.points, 'point')} × {_plural(result.replications, 'replication')}"
        else:  # adaptive: each row says how many it ran
            total = sum(row["replications"] for row in result.rows)
            runs = (f"{_plural(result.points, 'point')}, {_plural(total, 'replication')} "
                    f"({result.min_replications}–{result.replications} per point)")
        stderr.print(f"{runs} in "
                     f"{elapsed:.1f} s; wrote {_plural(len(written), 'file')} to {printable(str(out))}",
                     highlight=False)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------------------- parsing


def _axes(options: dict[str, str | None], vary: list[str]) -> list[Axis]:
    from ..sweeps.axes import Axis, parse_values

    axes: list[Axis] = []
    for key, text in options.items():
        if text is not None:
            flag, path = SHORTCUTS[key]
            axes.append(Axis(path, tuple(parse_values(text, field=flag, path=path))))
    for item in vary:
        path, sep, text = item.partition("=")
        path = path.strip()
        if not sep or not path:
            raise ScenarioError(f"expected PATH=VALUES, e.g. database.max_connections=50,100 (not {item!r})",
                                field="--vary")
        axes.append(Axis(path, tuple(parse_values(text, field=f"--vary {path}", path=path))))
    if not axes:
        raise ScenarioError("nothing to sweep: give --max-open, --max-idle, --lifetime, --max-idle-time, "
                            "--instances or --vary PATH=VALUES")
    paths = [a.path for a in axes]
    for path in paths:
        if paths.count(path) > 1:
            raise ScenarioError("swept twice (by a shortcut option and --vary?)", field=path)
    return axes


# ---------------------------------------------------------------------------- progress


class _PointRate(ProgressColumn):
    """Points per minute (or second) since the start. Points finish in bursts when the
    workers free up together, so rich's windowed speed would jump about; the mean does not."""

    def render(self, task: Task) -> Text:
        rate = _rate(task)
        if rate is None:
            return Text("– points/min", style="progress.data.speed")
        if rate >= 1:
            return Text(f"{rate:.1f} points/s", style="progress.data.speed")
        return Text(f"{rate * 60:.1f} points/min", style="progress.data.speed")


class _Eta(ProgressColumn):
    """Time left at the mean rate so far."""

    def render(self, task: Task) -> Text:
        rate = _rate(task)
        if rate is None or task.total is None:
            return Text("ETA -:--:--", style="progress.remaining")
        left = int(round((task.total - task.completed) / rate))
        return Text(f"ETA {left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}", style="progress.remaining")


def _rate(task: Task) -> float | None:
    elapsed = task.finished_time if task.finished else task.elapsed
    return task.completed / elapsed if task.completed and elapsed else None


class _Tracker:
    """A rich progress bar on a terminal; elsewhere (CI logs, pipes) one line per point."""

    def __init__(self, console: Console, axes: list[Axis], total: int, *, quiet: bool):
        self.console = console
        self.axes = axes
        self.total = total
        self.quiet = quiet
        self.progress: Progress | None = None
        if not quiet and console.is_terminal:
            self.progress = Progress(
                SpinnerColumn(), TextColumn("sweeping"), BarColumn(), MofNCompleteColumn(), TextColumn("points"),
                _PointRate(), TimeElapsedColumn(), _Eta(), console=console,
            )
            self.task = self.progress.add_task("sweep", total=total)

    def __enter__(self) -> _Tracker:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.stop()

    def point_done(self, done: int, total: int, row: dict[str, Any]) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=done)
        elif not self.quiet:
            from ..sweeps.axes import label

            settings = ", ".join(f"{a.name}={label(row[a.path])}" for a in self.axes)
            p99 = row.get("wait_ms.p99")
            # Plain writes: rich's buffer, cut by Ctrl-C mid-print, would repeat the line later.
            sys.stderr.write(f"point {done}/{total} done: {settings}, p99 wait "
                             f"{'–' if p99 is None else f'{p99:.1f} ms'}\n")
            sys.stderr.flush()
