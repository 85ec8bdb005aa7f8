"""Start-up stays light: ``simpool --help``, every command's ``--help`` and ``simpool
scenarios`` never import the model, the scenario models (pydantic), numpy, simpy, scipy,
yaml or matplotlib.

Each command runs in a fresh interpreter (``python -c``), which then reports what is in
``sys.modules``. typer (0.2x) builds a pydantic ``TypeAdapter`` to coerce any parameter of a
subcommand, its ``--help`` flag included, so pydantic may be loaded there, but only by
typer: the check records which module imported pydantic first.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("simpool.model", "simpool.scenario", "simpool.engine", "simpool.sweeps", "simpool.render.files",
         "numpy", "simpy", "scipy", "yaml", "matplotlib")

PROBE = """
import builtins, json, sys
HEAVY = sys.argv.pop(1).split(',')
first = []
real_import = builtins.__import__

def watch(name, globals=None, *args, **kwargs):
    if not first and name.split('.')[0] == 'pydantic' and 'pydantic' not in sys.modules:
        first.append((globals or {}).get('__name__', '?'))
    return real_import(name, globals, *args, **kwargs)

builtins.__import__ = watch
code = 0
if sys.argv[1] == '--import':
    __import__(sys.argv[2])
else:
    from simpool.cli import app
    try:
        app(sys.argv[1:], prog_name='simpool')
    except SystemExit as exc:
        code = exc.code
heavy = [m for m in HEAVY if m in sys.modules]
print(json.dumps({'code': code, 'heavy': heavy, 'pydantic_by': first[0] if first else None}), file=sys.stderr)
"""


def _probe(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, ",".join(HEAVY), *args], capture_output=True, text=True, timeout=60)
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [
    ["--help"], ["--version"], ["scenarios"], ["run", "--help"], ["sweep", "--help"], ["validate", "--help"],
    ["calibrate", "--help"],
])
def test_help_and_scenarios_import_nothing_heavy(args):
    """The light commands load none of the heavy modules, and pydantic only through typer."""
    seen = _probe(*args)
    assert seen["code"] in (0, None)
    assert seen["heavy"] == []
    assert seen["pydantic_by"] is None or seen["pydantic_by"].startswith("typer"), seen


def test_probe_sees_a_heavy_import():
    """The probe is not blind: the sweep value syntax (which the sweep command used to
    import at start-up) loads the scenario models and yaml, and pydantic through simpool."""
    seen = _probe("--import", "simpool.sweeps.axes")
    assert "simpool.scenario" in seen["heavy"] and "yaml" in seen["heavy"]
    assert seen["pydantic_by"] is not None and seen["pydantic_by"].startswith("simpool"), seen


def test_top_level_help_loads_no_pydantic():
    """``simpool --help`` runs no subcommand, so not even typer needs pydantic."""
    assert _probe("--help")["pydantic_by"] is None
