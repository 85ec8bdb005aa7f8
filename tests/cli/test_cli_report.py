"""``--report`` on ``run`` and ``sweep``: report.md and a self-contained report.html beside
the other outputs, the command that made them inside, and the HTML shown by a real browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import need

SPIKE = str(Path(__file__).parent.parent / "assets" / "sweep-spike.yaml")


def test_run_report_is_written_with_the_command_and_removed_by_a_run_without_it(invoke, tiny, tmp_path,
                                                                                 monkeypatch):
    out = tmp_path / "out"
    args = ["run", str(tiny), "--out", str(out), "--report", "-q"]
    monkeypatch.setattr(sys, "argv", ["/venv/bin/simpool", *args])
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# simpool report: tiny\n")
    assert f"```sh\nsimpool run {tiny} --out {out} --report -q\n```" in md
    assert "![Connections, traffic, failures, database cores and pools over time (replication 1).](timeseries.png)" in md
    assert (out / "timeseries.png").exists()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') == 2
    result = invoke("run", str(tiny), "--out", str(out), "-q", "--no-plots")
    assert result.exit_code == 0, result.output
    assert not (out / "report.md").exists() and not (out / "report.html").exists()  # never mixes two runs


def test_sweep_report_is_written_beside_the_charts(invoke, tmp_path):
    out = tmp_path / "sweep"
    result = invoke("sweep", SPIKE, "--max-open", "2..10:4", "--replications", "1", "--jobs", "1", "--out", str(out),
                    "--report", "-q")
    assert result.exit_code == 0, result.output
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# simpool sweep report: tiny-spike\n")
    assert "](sweep-wait.png)" in md and (out / "sweep-wait.png").exists()
    assert (out / "report.html").read_text(encoding="utf-8").count("data:image/png;base64,") == 4


@pytest.mark.slow
def test_report_html_renders_in_a_real_browser(invoke, tiny, tmp_path):
    """Headless Chromium opens report.html from disk, decodes every embedded figure (a
    script added to a copy reports each image's natural width into the DOM) and draws
    the page (the screenshot is neither blank nor one colour)."""
    need(shutil.which("chromium") is not None, "chromium")
    out = tmp_path / "out"
    result = invoke("run", str(tiny), "--out", str(out), "--report", "-q")
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", "<script>addEventListener('load', () => document.body.dataset.widths"
                                             " = [...document.images].map(i => i.naturalWidth).join(','));"
                                             "</script></body>"), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]

    def chromium(*args: str) -> subprocess.CompletedProcess:
        profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
        return subprocess.run(["chromium", *flags, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})

    dom = chromium("--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    widths = re.search(r'data-widths="([\d,]*)"', dom.stdout)
    assert widths, dom.stderr[-2000:]
    assert [int(w) > 500 for w in widths.group(1).split(",")] == [True, True]

    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,2000", (out / "report.html").as_uri())
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (2000, 1200)
    assert pixels[..., :3].std() > 0.05  # text, tables and a figure, not an empty page
    if os.environ.get("SIMPOOL_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["SIMPOOL_KEEP_SCREENSHOT"])
