"""Run every validation trace under every Go toolchain, and write what was measured.

    python -m validation.report            # needs Go 1.19 and 1.23 (about 2 minutes)

writes ``validation/results.json`` (every comparison, and the queueing-theory checks of
``tests/test_theory.py``), ``validation/RESULTS.md`` (every metric of every comparison)
and the tables of the README's "How we know it is right" section, between its markers.
Nothing in those tables is typed in: ``tests/validation/test_results.py`` checks that
they are what this module renders from ``results.json``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from .compare import MODEL_SEEDS, SIGMAS, Comparison, MetricCheck, validate
from .gorun import TOOLCHAINS, build
from .traces import BY_NAME, TRACES

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "validation" / "results.json"
DETAILS = ROOT / "validation" / "RESULTS.md"
README = ROOT / "README.md"
MARKERS = {
    "go": ("<!-- validation:go:start -->", "<!-- validation:go:end -->"),
    "theory": ("<!-- validation:theory:start -->", "<!-- validation:theory:end -->"),
}

TABLE_COLUMNS = (
    ("wait mean ms", "wait_ms.mean"), ("wait p99 ms", "wait_ms.p99"), ("dials", "dials"),
    ("WaitCount", "stats.wait_count"), ("MaxIdleClosed", "stats.max_idle_closed"),
    ("MaxIdleTimeClosed", "stats.max_idle_time_closed"), ("MaxLifetimeClosed", "stats.max_lifetime_closed"),
    ("refused", "refused_connections"), ("deadline exceeded", "errors.deadline_exceeded"),
)
"""The README table's columns: a label and the metric (of ``metrics.METRICS``)."""


# ---------------------------------------------------------------------- results.json


def comparison_from_dict(data: dict[str, Any]) -> Comparison:
    """A :class:`Comparison` back from its ``results.json`` form."""
    fields = dict(data)
    fields["checks"] = tuple(MetricCheck(**{k: tuple(v) if isinstance(v, list) else v for k, v in check.items()})
                             for check in data["checks"])
    fields["go_wait_quantiles"] = tuple(data["go_wait_quantiles"])
    fields["model_wait_quantiles"] = tuple(data["model_wait_quantiles"])
    return Comparison(**fields)


def load_results(path: Path = RESULTS) -> dict[str, Any]:
    """``results.json`` with its comparisons as :class:`Comparison` records."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data["comparisons"] = [comparison_from_dict(c) for c in data["comparisons"]]
    return data


def _round(value: float, digits: int = 6) -> float:
    return float(f"{value:.{digits}g}")


def _rounded(obj: Any) -> Any:
    """Six significant digits in the file: the runs' own spread is far coarser."""
    if isinstance(obj, float):
        return _round(obj)
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v) for v in obj]
    return obj


def measure_go(work: Path) -> list[Comparison]:
    """Every trace under every toolchain (both must be installed)."""
    comparisons = []
    for toolchain in TOOLCHAINS:
        if not toolchain.available:
            raise SystemExit(f"validation.report: Go {toolchain.version} is missing ({toolchain.go})")
        binary = build(toolchain, work)
        for trace in TRACES:
            comparison, _ = validate(trace, toolchain, binary)
            status = "agrees" if not comparison.failures else "DISAGREES:\n" + comparison.explain()
            print(f"{trace.name} under {comparison.go_version}: {status}", file=sys.stderr)
            comparisons.append(comparison)
    return comparisons


# ---------------------------------------------------------------------- rendering


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e6:
        return f"{int(value)}"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def _pair(check: MetricCheck) -> str:
    """Go's mean over its two runs / the model's mean over its replays of them."""
    return f"{_number(sum(check.go) / 2)} / {_number(sum(check.model) / 2)}"


def render_go_table(comparisons: list[Comparison]) -> str:
    """The README's table: each trace under each Go release, Go / simpool."""
    header = ["trace", "Go (simpool profile)", *(label for label, _ in TABLE_COLUMNS), "within tolerance"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 2 + ["--:"] * (len(header) - 2)) + "|"]
    for c in sorted(comparisons, key=lambda c: ([t.name for t in TRACES].index(c.trace), c.go_version)):
        cells = [f"`{c.trace}`", f"{c.go_version} ({c.profile})",
                 *(_pair(c.by_metric(metric)) for _, metric in TABLE_COLUMNS),
                 f"{len(c.checks) - len(c.failures)}/{len(c.checks)}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_details(comparisons: list[Comparison]) -> str:
    """``RESULTS.md``: every metric of every comparison, both runs."""
    out = ["# Validation against real Go: every metric", "",
           "Written by `python -m validation.report` (do not edit). Each trace is replayed twice "
           "through the real `database/sql` pool; simpool replays each run with its measured "
           f"durations (mean over {len(MODEL_SEEDS)} seeds). Tolerance: {SIGMAS:.1f} standard deviations of Go's run-to-run "
           "spread and the model's seed spread combined, plus the resolution (one event for a count; for a "
           "time, the microseconds of `database/sql` code the harness cannot place, once per event in a sum).",
           ""]
    for c in comparisons:
        trace = BY_NAME[c.trace]
        out += [f"## `{c.trace}` under {c.go_version} (simpool profile {c.profile})", "", trace.story, "",
                "| metric | Go run 1 | Go run 2 | simpool 1 | simpool 2 | tolerance | agrees |",
                "|---|--:|--:|--:|--:|--:|---|"]
        for check in c.checks:
            out.append(f"| `{check.metric}` | {check.go[0]:.4g} | {check.go[1]:.4g} | {check.model[0]:.4g} | "
                       f"{check.model[1]:.4g} | ±{check.tolerance:.3g} | {'yes' if check.ok else '**no**'} |")
        out.append("")
    return "\n".join(out)


def render_theory_table(theory: list[dict[str, Any]]) -> str:
    """The queueing-theory checks: each case, theory against simpool."""
    lines = ["| check | theory | simpool | test's margin |", "|---|--:|--:|--:|"]
    for row in theory:
        lines.append(f"| {row['check']} | {row['theory']:.4g} | {row['simpool']:.4g} | ±{row['margin']:.0%} |")
    return "\n".join(lines)


def replace_between(text: str, markers: tuple[str, str], body: str) -> str:
    start, end = markers
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def write(results: dict[str, Any]) -> None:
    """``results.json``, ``RESULTS.md`` and the README's tables from ``results``."""
    comparisons = results["comparisons"]
    payload = dict(results, comparisons=[dataclasses.asdict(c) for c in comparisons])
    RESULTS.write_text(json.dumps(_rounded(payload), indent=1) + "\n", encoding="utf-8")
    results = load_results()  # render what the file holds (rounded), as the tests do
    DETAILS.write_text(render_details(results["comparisons"]), encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    readme = replace_between(readme, MARKERS["go"], render_go_table(results["comparisons"]))
    readme = replace_between(readme, MARKERS["theory"], render_theory_table(results["theory"]))
    README.write_text(readme, encoding="utf-8")


def main() -> None:
    from .theory import theory_checks

    with tempfile.TemporaryDirectory(prefix="simpool-go-harness-") as work:
        comparisons = measure_go(Path(work))
    write({"traces": {t.name: t.digest for t in TRACES}, "comparisons": comparisons, "theory": theory_checks()})
    failed = [c for c in comparisons if c.failures]
    if failed:
        raise SystemExit(f"validation.report: {len(failed)} comparison(s) disagree (see {DETAILS.name})")


if __name__ == "__main__":
    main()
