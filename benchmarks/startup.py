"""Start-up: how long ``simpool --help``, ``simpool scenarios``, ``simpool sweep --help``
and ``simpool validate`` take, and what the light imports pull in.

    python benchmarks/startup.py [--repeats 7]

Each command runs in a fresh process; the figure is the median wall-clock time (other
processes on the machine add noise; the median of several runs damps it). The target is
under half a second for each of them. When the
``simpool`` console script is not installed (the CLI lives on another branch), those
rows are skipped with a message, and the imports they depend on are timed instead:
which of numpy, simpy, scipy and matplotlib each import loads tells whether a command
built on it can be fast. ``--checkout DIR`` times another copy of the package instead
(``git archive cli simpool | tar -x -C DIR``), run as ``python -m simpool``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 0.5
HEAVY = ("numpy", "simpy", "scipy", "matplotlib", "pydantic", "yaml", "rich", "typer")
SCENARIO = """\
name: startup-check
duration: 10s
warmup: 1s
fleet: {instances: 2, pool: {max_open: 10, max_idle: 5}}
workload:
  arrivals: [{kind: poisson, rate: 100/s}]
"""


def median_seconds(command: list[str], repeats: int, cwd: str) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=cwd)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def loaded_by(module: str, cwd: str) -> list[str]:
    code = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=cwd).stdout
    return out.split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--checkout", type=Path, help="a directory holding another simpool package (say an "
                        "export of the CLI branch): time it instead, as 'python -m simpool'")
    args = parser.parse_args()
    if args.checkout is not None:
        os.environ["PYTHONPATH"] = str(args.checkout.resolve())
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import machine

    print(f"# fresh process per run, median of {args.repeats} (wall clock)")
    print(f"# {machine()}")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "scenario.yaml"
        scenario.write_text(SCENARIO)
        if args.checkout is not None:
            print(f"# simpool from {args.checkout}")
            exe, has_cli = None, any((args.checkout / "simpool" / name).exists() for name in ("cli.py", "cli"))
            launcher = [sys.executable, "-m", "simpool"]
        else:
            exe = shutil.which("simpool")
            has_cli = importlib.util.find_spec("simpool.cli") is not None
            launcher = [exe]
        if not has_cli or launcher[0] is None:
            missing = "simpool.cli" if not has_cli else "the simpool console script"
            print(f"{missing} is absent from this checkout (the CLI is written on another branch): "
                  "'simpool --help' and 'simpool validate' skipped")
        else:
            for command in ([*launcher, "--help"], [*launcher, "scenarios"], [*launcher, "sweep", "--help"],
                            [*launcher, "validate", str(scenario)]):
                seconds = median_seconds(command, args.repeats, tmp)
                met = seconds < TARGET_S
                ok &= met
                name = " ".join(["simpool", *command[len(launcher):]]).replace(str(scenario), "FILE")
                print(f"{name:<34} {seconds:6.3f} s  (target < {TARGET_S} s: {'ok' if met else 'NOT MET'})")
        baseline = median_seconds([sys.executable, "-c", "pass"], args.repeats, tmp)
        print(f"{'python -c pass':<34} {baseline:6.3f} s")
        for module in ("simpool.exceptions", "simpool.cli", "simpool.scenario", "simpool.result", "simpool", "simpool.engine"):
            seconds = median_seconds([sys.executable, "-c", f"import {module}"], args.repeats, tmp)
            print(f"{'import ' + module:<34} {seconds:6.3f} s  loads: {' '.join(loaded_by(module, tmp)) or '-'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
