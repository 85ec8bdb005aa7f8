"""The bundled scenarios (``scenarios/*.yaml``) and how a command-line argument names one.

Each bundled file starts with a comment whose first line is its story in one line;
``simpool scenarios`` lists those lines and ``simpool run NAME`` runs the file.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from .exceptions import ScenarioError


def scenario_dir(package: Path) -> Path:
    """Where the bundled scenarios of the ``simpool`` package in folder ``package`` live:
    ``simpool/_bundled`` in an installed wheel (the build copies ``scenarios/`` there, see
    pyproject.toml), else the checkout's ``scenarios/`` beside the package (an editable
    install, as the README's commands make)."""
    installed = package / "_bundled"
    return installed if installed.is_dir() else package.parent / "scenarios"


SCENARIO_DIR = scenario_dir(Path(__file__).resolve().parent)


@dataclass(frozen=True)
class BundledScenario:
    """One file of ``scenarios/``: its name (the file stem), path and one-line story."""

    name: str
    path: Path
    story: str


def bundled_scenarios(folder: Path = SCENARIO_DIR) -> list[BundledScenario]:
    """Every bundled scenario, by name; an empty list when the folder is missing."""
    if not folder.is_dir():
        return []
    return [BundledScenario(path.stem, path, _story(path)) for path in sorted(folder.glob("*.yaml"))]


def _story(path: Path) -> str:
    """The first comment line of the file, without its ``#``."""
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text.startswith("#") and text.lstrip("#").strip():
            return text.lstrip("#").strip()
        if text and not text.startswith("#"):
            break
    return ""


def resolve_scenario(argument: str | None, folder: Path = SCENARIO_DIR) -> Path | None:
    """The scenario file an argument names: None (the built-in default) for no argument,
    an existing path as given, else a bundled scenario's name (``spike`` or ``spike.yaml``).

    Raises:
        ScenarioError: when it is neither, with the closest bundled names as a hint.
    """
    if argument is None:
        return None
    path = Path(argument)
    if path.exists():
        return path
    names = {s.name: s.path for s in bundled_scenarios(folder)}
    stem = argument.removesuffix(".yaml").removesuffix(".yml")
    if "/" not in argument and stem in names:
        return names[stem]
    close = difflib.get_close_matches(stem, list(names), n=1, cutoff=0.6)
    if close:
        hint = f"; did you mean the bundled scenario {close[0]!r}?"
    elif names:
        hint = "; `simpool scenarios` lists the bundled ones"
    else:
        hint = ""
    raise ScenarioError(f"no such file, nor a bundled scenario{hint}", source=argument)
