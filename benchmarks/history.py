"""simpool/bare for several commits, with today's benchmark harness.

    python benchmarks/history.py REV [REV ...] [--repeats 9] [--requests 200000]

Each revision's ``simpool`` package is exported (``git archive``) to a temporary
directory and ``benchmarks/mmc.py`` (this checkout's) runs against it in a fresh
process, with the bare SimPy model beside it as always. Ratios from one session are
comparable with each other; the absolute rates move with the machine's load.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs="+")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--requests", type=int, default=200_000)
    args = parser.parse_args()
    print(f"{'revision':<10} {'simpool req/s':>14} {'bare req/s':>11} {'simpool/bare':>13}  subject")
    for rev in args.revisions:
        subject = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s", rev],
                                 check=True, capture_output=True, text=True).stdout.strip()
        with tempfile.TemporaryDirectory() as tmp:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "simpool"],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            env = {**os.environ, "PYTHONPATH": tmp}
            out = subprocess.run([sys.executable, str(HERE / "mmc.py"), "--no-heapq", "--repeats", str(args.repeats),
                                  "--requests", str(args.requests)],
                                 env=env, capture_output=True, text=True).stdout
        rates = dict(re.findall(r"^(simpool|bare)\s+([\d,]+)", out, re.M))
        ratio = re.search(r"ratio simpool / bare SimPy: ([\d.]+)x", out)
        if not rates or ratio is None:
            print(f"{rev:<10} (benchmark failed)  {subject}")
            continue
        print(f"{rev:<10} {rates['simpool']:>14} {rates['bare']:>11} {ratio.group(1):>12}x  {subject[:70]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
