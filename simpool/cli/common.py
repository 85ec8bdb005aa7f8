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
from ..units import quote

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


MAX_ERROR = 400
"""Longest error line, in characters: a value quoted in full must not flood the terminal."""


def printable(text: str) -> str:
    """``text`` safe to print on any terminal: characters that cannot be encoded (a lone
    surrogate from a file name or a YAML escape) as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def error_line(message: str) -> str:
    """One line for stderr: no line breaks, printable, at most MAX_ERROR characters."""
    line = printable(" ".join(message.split()))
    return line if len(line) <= MAX_ERROR else f"{line[:MAX_ERROR - 1]}…"


_running = False


def command_running() -> bool:
    """Whether a command's body (inside :func:`exit_codes`) has started."""
    return _running


@contextmanager
def exit_codes(err: Console) -> Iterator[None]:
    """Turn what a command raises into one line on stderr and the documented exit status."""
    global _running
    _running = True
    try:
        yield
    except ScenarioError as exc:  # bad input: a scenario, an option, an --out refused
        err.print(error_line(f"error: {exc}"), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    except SimpoolError as exc:  # e.g. an unreachable Dask scheduler, a full disk, a busy --out
        err.print(error_line(f"error: {exc}"), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:
        err.print("interrupted", highlight=False)
        raise typer.Exit(code=130) from None
    except typer.Exit:
        raise
    except Exception as exc:
        if os.environ.get("SIMPOOL_DEBUG"):
            raise
        err.print(error_line(f"error: {type(exc).__name__}: {exc} (SIMPOOL_DEBUG=1 shows the traceback)"),
                  markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None


def parse_sets(items: list[str]) -> dict[str, Any]:
    """``--set PATH=VALUE`` pairs; each value is read as YAML, as it would be in the file
    (except that a text field, such as a Go version, takes the text as written)."""
    from ..scenario.loading import override_value

    overrides: dict[str, Any] = {}
    for item in items:
        path, sep, text = item.partition("=")
        path = path.strip()
        if not sep or not path:
            raise ScenarioError(f"expected PATH=VALUE, e.g. fleet.pool.max_open=30 (not {quote(item)})", field="--set")
        try:
            overrides[path] = override_value(path, text)
        except Exception as exc:  # yaml.YAMLError, without importing yaml here
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ScenarioError(f"cannot read the value {quote(text)}: {problem}", field=f"--set {path}") from None
    return overrides


def command_line() -> str:
    """The command as typed, for a report to reproduce it (``simpool run spike --seed 7``)."""
    import shlex

    return shlex.join(["simpool", *sys.argv[1:]])


def folder_name(name: str) -> str:
    """A scenario name as one safe folder name (``a/b c`` → ``a-b-c``)."""
    return re.sub(r"[^\w.-]+", "-", name).strip(".-") or "scenario"


MAX_FOLDER_NAME = 96
"""Longest default folder name a sweep makes (file systems allow 255 bytes; a path shown
in a terminal should stay readable)."""


def sweep_folder_name(name: str, axes: Any) -> str:
    """A sweep's default folder: the scenario's name, ``sweep``, then each swept setting and
    its values, so that two different sweeps never share a folder
    (``spike-sweep-max_open-10..50``, ``spike-sweep-max_open-10..50step5-max_idle-2,10``).

    A setting is named as :attr:`~simpool.sweeps.axes.Axis.name` names it (the whole path
    when two axes end alike); an evenly spaced run of three or more integers is written as
    a range (its step after ``step``: ``:`` is reserved on some file systems). A name
    longer than :data:`MAX_FOLDER_NAME` is cut, and ends with 8 hex digits of the whole
    name's SHA-256, so that sweeps that differ only past the cut still differ.
    """
    import hashlib

    ends = [axis.name for axis in axes]
    parts = [folder_name(name), "sweep"]
    for axis, end in zip(axes, ends, strict=True):
        parts += [axis.path if ends.count(end) > 1 else end, _values_text(axis.values)]
    full = "-".join(re.sub(r"[^\w.,-]+", "-", part).strip("-") or "_" for part in parts).strip(".-")
    if len(full) <= MAX_FOLDER_NAME:
        return full
    digest = hashlib.sha256(full.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{full[:MAX_FOLDER_NAME - 9].rstrip('.-')}-{digest}"


def _values_text(values: Any) -> str:
    """``10..50``, ``10..50step5`` for evenly spaced integers (three or more), else a list."""
    whole = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    if whole and len(values) >= 3:
        step = values[1] - values[0]
        if step > 0 and all(b - a == step for a, b in zip(values, values[1:], strict=False)):
            return f"{values[0]}..{values[-1]}" + ("" if step == 1 else f"step{step}")
    return ",".join("null" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for v in values)


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
        loaded = load_scenario(resolve_scenario(scenario), overrides=overrides or None)
    except ScenarioError as exc:
        if go_version is None or "services" not in str(exc):
            raise _blame_option(exc, overrides, options) from None
        loaded = None  # a scenario with services: --go-version is for every service (below)
    if loaded is None or (go_version is not None and loaded.has_services):
        del overrides["fleet.pool.go_version"], options["fleet.pool.go_version"]
        plain = load_scenario(resolve_scenario(scenario), overrides=overrides or None)
        for view in plain.service_list():
            overrides[view.pool_path("go_version")] = go_version
        try:
            loaded = load_scenario(resolve_scenario(scenario), overrides=overrides)
        except ScenarioError as exc:
            raise _blame_option(exc, overrides, options) from None
    return loaded


def _blame_option(exc: ScenarioError, overrides: dict[str, Any], options: dict[str, Any]) -> ScenarioError:
    """Name the command-line option that set a bad field, not only the file."""
    field = exc.field or ""
    if field in options and overrides.get(field) == options[field]:
        flag = {"duration": "--duration", "fleet.pool.go_version": "--go-version"}[field]
        return ScenarioError(exc.problem, field=f"{flag} ({field})", source=exc.source)
    if field and any(key == field or key.startswith(field + ".") or field.startswith(key + ".") for key in overrides):
        return ScenarioError(exc.problem, field=f"--set {field}", source=exc.source)
    return exc


def setting_notes(scenario: Any) -> list[str]:
    """Settings Go changes on its own, said once so the echo is not mistaken for what runs."""
    notes = []
    for view in scenario.service_list():
        pool = view.fleet.pool
        if pool.max_idle is not None and pool.effective_max_idle < pool.max_idle:
            notes.append(f"note: {view.pool_path('max_idle')} {pool.max_idle} is above max_open {pool.max_open}; "
                         f"Go's SetMaxIdleConns keeps at most MaxOpen idle, so the pools keep "
                         f"{pool.effective_max_idle}")
    return notes
