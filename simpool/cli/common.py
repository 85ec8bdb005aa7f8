"""What every ``simpool`` command shares: exit statuses, one-line errors, ``--set``,
finding and loading the scenario.

Exit status: 0 success, 2 bad input (a scenario, a ``--set``, a usage error), 130
interrupted, 1 anything else. Errors are one line on stderr; ``SIMPOOL_DEBUG=1`` shows
the traceback of an unexpected one.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

from ..catalog import resolve_scenario
from ..exceptions import ScenarioError, SimpoolError

ScenarioArg = Annotated[
    str | None,
    typer.Argument(metavar="SCENARIO",
                   help="A scenario file, or the name of a bundled one (see [bold]simpool scenarios[/bold]). "
                        "Without one: the built-in default story.", show_default=False),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="PATH=VALUE",
                 help="Override any field, e.g. --set fleet.pool.max_open=30 (repeatable; the value "
                      "reads as it would in the file).", show_default=False),
]


def stderr() -> Console:
    """Where messages, progress and errors go (stdout is kept for results such as --json)."""
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


@contextmanager
def exit_codes(err: Console) -> Iterator[None]:
    """Turn what a command raises into one line on stderr and the documented exit status."""
    try:
        yield
    except ScenarioError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    except SimpoolError as exc:  # e.g. an unreachable Dask scheduler, an unwritable folder
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:
        err.print("interrupted", highlight=False)
        raise typer.Exit(code=130) from None
    except typer.Exit:
        raise
    except Exception as exc:
        if os.environ.get("SIMPOOL_DEBUG"):
            raise
        err.print(f"error: {type(exc).__name__}: {exc} (SIMPOOL_DEBUG=1 shows the traceback)",
                  markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None


def parse_sets(items: list[str]) -> dict[str, Any]:
    """``--set PATH=VALUE`` pairs; each value is read as YAML, as it would be in the file."""
    from ..scenario import parse_yaml

    overrides: dict[str, Any] = {}
    for item in items:
        path, sep, text = item.partition("=")
        path = path.strip()
        if not sep or not path:
            raise ScenarioError(f"expected PATH=VALUE, e.g. fleet.pool.max_open=30 (not {item!r})", field="--set")
        try:
            overrides[path] = parse_yaml(text) if text.strip() else ""
        except Exception as exc:  # yaml.YAMLError, without importing yaml here
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ScenarioError(f"cannot read the value {text!r}: {problem}", field=f"--set {path}") from None
    return overrides


def command_line() -> str:
    """The command as typed, for a report to reproduce it (``simpool run spike --seed 7``)."""
    import shlex

    return shlex.join(["simpool", *sys.argv[1:]])


def folder_name(name: str) -> str:
    """A scenario name as one safe folder name (``a/b c`` → ``a-b-c``)."""
    return re.sub(r"[^\w.-]+", "-", name).strip(".-") or "scenario"


def load(scenario: str | None, sets: list[str], *, duration: str | None = None,
         go_version: str | None = None) -> Any:
    """The scenario a command works on, with ``--set`` and the shortcut options applied."""
    from ..scenario import load_scenario

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


def setting_notes(scenario: Any) -> list[str]:
    """Settings Go changes on its own, said once so the echo is not mistaken for what runs."""
    pool = scenario.fleet.pool
    notes = []
    if pool.max_idle is not None and pool.effective_max_idle < pool.max_idle:
        notes.append(f"note: fleet.pool.max_idle {pool.max_idle} is above max_open {pool.max_open}; Go's "
                     f"SetMaxIdleConns keeps at most MaxOpen idle, so the pools keep {pool.effective_max_idle}")
    return notes
