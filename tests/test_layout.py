"""The house keeps its shape: imports run one way, ``cli → sweeps / analysis / render →
engine → model``, with no cycle anywhere, so the layout cannot silently decay.

Every import in ``simpool/`` is read from the source (module level and inside functions
alike: a lazy import is still an arrow) and resolved to the module it names.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "simpool"

RANK = {
    "exceptions": 0, "units": 0,
    "scenario": 1, "stats": 1, "catalog": 1,
    "model": 2, "budget": 2,
    "result": 3, "service_tally": 3.5, "recorder": 4, "engine": 5,
    "sweeps": 6, "analysis": 7, "render": 8,
    "calibration": 6,
    "cli": 9, "__main__": 10,
}
"""Each part may import only parts of a lower rank (and itself). The order among the
top parts: a renderer draws what analysis found about a sweep; analysis may run sweeps;
a sweep knows neither. Calibration (measuring a real server into scenario text) reads
only the scenario; renderers draw what it measured. The package root (the public API) is a facade that imports its
names lazily, so anything may read ``__version__`` from it."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> set[str]:
    """The simpool modules (and top-level third-party packages) that ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from .x import y`` may name a submodule y: count it when it is one.
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _part(module: str) -> str | None:
    """``simpool.render.figures`` → ``render``; the package root → None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "simpool" and len(parts) > 1 else None


def test_every_part_has_a_rank():
    assert {_part(m) for m in MODULES} - {None} <= set(RANK), "a new top-level part needs a place in RANK"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    """A part imports only lower parts: the model never reaches up to the engine, the CLI,
    analysis or renderers; analysis and renderers never import the CLI."""
    here = _part(module)
    if here is None:
        return
    for target in GRAPH[module]:
        there = _part(target)
        if target.split(".")[0] != "simpool" or there is None or there == here:
            continue
        assert RANK[there] < RANK[here], f"{module} imports {target}: {here} may not depend on {there}"


def test_no_import_cycles():
    """Between modules, not only between parts (a lazy import inside a function counts)."""
    inside = {m: {t for t in targets if t in MODULES and t != m} for m, targets in GRAPH.items()}
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(inside[module]):
            if target.rsplit(".", 1)[0] == module or module == "simpool":
                continue  # a package importing its own submodule, or the lazy facade
            if state.get(target) == 1:
                cycle = trail[trail.index(target):] + [target] if target in trail else [module, target]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if state.get(target) is None:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(inside):
        if state.get(module) is None:
            visit(module, [module])


def test_only_the_simulation_imports_simpy():
    """The CLI, analysis and renderers never touch the event loop."""
    for module, targets in GRAPH.items():
        if any(t.split(".")[0] == "simpy" for t in targets):
            assert _part(module) in {"model", "engine"}, module


def test_figures_without_pyplot_and_only_in_render():
    """matplotlib's object API only (a notebook keeps its own backend), and only renderers
    draw."""
    for module, targets in GRAPH.items():
        assert "matplotlib.pyplot" not in targets, module
        if any(t.split(".")[0] == "matplotlib" for t in targets):
            assert _part(module) == "render", module


def test_the_model_uses_its_own_random_streams():
    for module, targets in GRAPH.items():
        if _part(module) == "model":
            assert "random" not in targets, module
