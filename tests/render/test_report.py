"""The report: built from the records analysis hands it (findings with their what-ifs, SLO
verdicts), written as Markdown and self-contained HTML from the same blocks."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import simpool
from simpool.analysis.diagnosis import Finding, diagnose
from simpool.analysis.slo import SloTerm, SloVerdict
from simpool.analysis.sweep_findings import find
from simpool.analysis.whatif import Effect, WhatIf
from simpool.render.document import Document, Paragraph, Table, to_html, to_markdown
from simpool.render.report import build_report, build_sweep_report, report_files
from simpool.render.run_plots import plot_files

SPIKE = Path(__file__).parent.parent / "assets" / "sweep-spike.yaml"

WHAT_IF = WhatIf(change="SetMaxIdleConns(10)", overrides=(("fleet.pool.max_idle", 10),),
                 effects=(Effect("pool.dials", "dials", 23920.0, 201.0),
                          Effect("wait_ms.p99", "p99 wait", 68.0, 41.0, "ms"),
                          Effect("failure_rate.failed", "failed", 0.033, 0.0, "%")),
                 helped=True, replications=3)
VERDICTS = (
    SloVerdict(SloTerm("p99_wait<50ms", "wait_ms.p99", "<", 50.0, "ms"), value=68.0, ci95=4.0, passed=False,
               confident=True, margin=-18.0),
    SloVerdict(SloTerm("error_rate<=0.1%", "failure_rate.failed", "<=", 0.001, "%"), value=0.0004, ci95=None,
               passed=True, confident=False, margin=0.0006),
)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The run, its findings (one given a what-if), its figures and its report."""
    scenario = simpool.load_scenario(SPIKE)
    result = simpool.simulate(scenario)
    findings = diagnose(scenario, result.summary())
    findings = [Finding("idle_churn", "warning", "Most dials came from idle connections closed by MaxIdle.", WHAT_IF),
                *findings]
    figures = {name[:-4]: data for name, data in plot_files(result, scenario) if name.endswith(".png")}
    document = build_report(scenario, result, findings, VERDICTS, figures, "simpool run sweep-spike.yaml --report")
    return scenario, result, findings, figures, document


def test_findings_carry_their_measured_what_if(run):
    *_, document = run
    md = to_markdown(document)
    assert ("What-if on the same traffic (seed 1, 3 replications): with SetMaxIdleConns(10), dials 23,920 → 201, "
            "p99 wait 68 → 41 ms, failed 3.3% → 0%. It helped.") in md
    assert "| idle_churn | SetMaxIdleConns(10) | dials | 23,920 | 201 | -99% | yes |" in md


def test_slo_verdicts_with_margin_and_certainty(run):
    *_, document = run
    md = to_markdown(document)
    assert "1 of 2 objectives met." in md
    assert "| p99_wait<50ms | 68 ms ± 4 ms | FAIL | -18 ms | yes |" in md
    assert "| error_rate<=0.1% | 0.04% | pass | +0.06% | no: the 95% interval crosses the bound |" in md


def test_the_report_draws_its_numbers_from_the_summary(run):
    scenario, result, findings, _, document = run
    summary = result.summary()
    md = to_markdown(document)
    total = summary["requests"]["total"]["mean"]
    assert f"| requests arrived (after the warm-up) | {total:,.0f} |" in md
    assert f"| database: refused connections | {summary['database']['refused_connections']['mean']:,.0f} |" in md
    for finding in findings:
        assert finding.text.replace("*", "\\*") in md
    assert "2 instances × MaxOpen unlimited / MaxIdle 2 (default) / lifetime forever" in md
    assert "| database.max_connections | 20 |" in md and "| workload.arrivals.1 | spike +900/s at 2s for 3s |" in md
    assert "pitfalls." not in md.split("## Reproduce")[0]  # defaults left out of the table


def test_reproduce_gives_command_version_and_effective_scenario(run):
    *_, document = run
    md = to_markdown(document)
    reproduce = md.split("## Reproduce")[1]
    assert f"simpool {simpool.__version__} (Python" in reproduce
    assert "```sh\nsimpool run sweep-spike.yaml --report\n```" in reproduce
    assert "name: tiny-spike\n" in reproduce and "max_connections: 20\n" in reproduce


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.links = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [value for key, value in attrs if key in ("src", "href") and value]


def test_html_is_self_contained(run):
    *_, figures, document = run
    page = to_html(document)
    parser = _Assets()
    parser.feed(page)
    assert parser.tags.count("img") == len(figures) == 2
    assert parser.links and all(link.startswith("data:image/png;base64,") for link in parser.links)
    assert "script" not in parser.tags and "link" not in parser.tags
    assert not re.search(r"url\(|@import|https?://", page)


def test_markdown_and_html_say_the_same(run):
    """Every sentence and table cell of the Markdown is in the HTML (both come from the same blocks)."""
    import html

    *_, document = run
    page = html.unescape(to_html(document))
    for block in document.blocks:
        if isinstance(block, Paragraph):
            assert block.text in page
        elif isinstance(block, Table):
            for row in block.rows:
                for cell in row:
                    assert cell in page


def test_markdown_escapes_what_would_be_markup():
    document = Document("a *b*", (Paragraph("x_1 * y <b> `c` [l](u)"), Table(("a|b",), (("1|2",),))))
    md = to_markdown(document)
    assert "# a \\*b\\*" in md and "x_1 \\* y \\<b> \\`c\\` \\[l\\](u)" in md and "| a\\|b |" in md
    assert "&lt;b&gt;" in to_html(document)


def test_reports_are_reproducible(run):
    scenario, result, findings, figures, document = run
    again = build_report(scenario, result, findings, VERDICTS, figures, "simpool run sweep-spike.yaml --report")
    assert report_files(again) == report_files(document)
    assert [name for name, _ in report_files(document)] == ["report.md", "report.html"]


def test_without_figures_the_report_says_so(run):
    scenario, result, findings, _, _ = run
    md = to_markdown(build_report(scenario, result, findings, (), {}, "simpool run x --no-plots --report"))
    assert "No figures were drawn (--no-plots)." in md and "Service-level objectives" not in md


def test_sweep_report_names_the_best_point_and_the_first_refusal():
    result = simpool.sweep(SPIKE, {"fleet.pool.max_open": "2..12:2"}, replications=2, jobs=1)
    findings = find(result.rows)
    md = to_markdown(build_sweep_report(result, findings, {}, "simpool sweep sweep-spike.yaml --max-open 2..12:2"))
    best = result.rows[findings.best]
    assert f"★ Best point: max_open {best['fleet.pool.max_open']}. p99 wait" in md
    assert "⚠ The database first refused connections at max_open 10:" in md
    assert "| fleet.pool.max_open | swept: 2, 4, 6, 8, 10, 12 |" in md
    assert "Swept max_open over 6 points" in md
    assert md.count("\n| ★ | 4 |") == 1 and "\n| ⚠ | 10 |" in md
