"""The benchmark scripts still run against today's simpool (tiny sizes).

No timing is asserted: each script's own checks here are about numbers (request counts,
Erlang C, peak memory), which are the same on every run; the speed figures themselves live
in benchmarks/README.md and RESULTS.txt.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"


def run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_mmc_benchmark_checks_pass():
    """simpool and the bare model see the same requests and agree with Erlang C."""
    out = run("mmc.py", "--requests", "4000", "--repeats", "1", "--no-heapq")
    assert "check: same requests: ok" in out
    assert "FAILED" not in out and "ratio simpool / bare SimPy" in out


def test_opcode_count_runs():
    out = run("opcodes.py", "--requests", "2000", "--top", "3")
    assert "opcodes per request" in out and "Request.__init__" in out


def test_budget_benchmark_runs():
    """The estimate's events are within a factor of 1.6 of a run's, scenario by scenario."""
    out = run("budget.py", "--duration", "5s", "--only", "spike", "mmc")
    low, high = (float(x) for x in out.split("events est/real: ")[1].split()[0].split(".."))
    assert 1 / 1.6 < low <= high < 1.6
    assert "seconds per instance sample" in out


def test_memory_benchmark_runs():
    out = run("memory.py", "--sizes", "2000")
    assert "(target < 300 MB: ok)" in out


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="ab.py exports a commit with git")
def test_ab_benchmark_runs():
    out = run("ab.py", "HEAD", "--requests", "2000", "--repeats", "1")
    assert "speed-up B/A" in out


def test_hotspots_summary(tmp_path):
    """py-spy's raw stacks are summed by leaf function and line, counting only samples
    taken inside ``simulate``."""
    raw = tmp_path / "spy.txt"
    raw.write_text(
        "python (1);<module> (x.py:1);simulate (simpool/engine.py:67);conn (simpool/model/pool.py:180) 3\n"
        "python (1);<module> (x.py:1);simulate (simpool/engine.py:67);conn (simpool/model/pool.py:190) 1\n"
        "python (1);<module> (x.py:1);load_scenario (simpool/scenario/loading.py:10) 6\n",
        encoding="utf-8")
    out = run("hotspots.py", "--summarize", str(raw))
    assert "4 samples inside simpool.simulate" in out
    assert "100.0%  conn (simpool/model/pool.py)" in out
    assert "75.0%  conn (simpool/model/pool.py:180)" in out


def test_recommend_benchmark_runs():
    """The cost in default-run equivalents is printed (a short story, so the numbers mean little)."""
    out = run("recommend.py", "--duration", "25s")
    assert "default-run equivalents (target <= 15" in out and "answer MaxOpen" in out


def test_headline_sweep_benchmark_runs():
    """Adaptive against full grid on a short story: the script compares the findings."""
    out = run("sweep.py", "--headline", "--range", "20..28:4", "--duration", "20s")
    assert "check: same knee and first refusal" in out and "default runs" in out
