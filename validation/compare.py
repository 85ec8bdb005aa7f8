"""Real Go against the model: each metric of two harness runs against simpool's replays
of those same runs, within a tolerance measured from the runs themselves.

The tolerance of a metric is ``SIGMAS`` standard deviations of two spreads combined:

- Go's run-to-run spread: the same trace replayed twice gives two values ``a`` and ``b``;
  ``|a − b| / √2`` is one run's standard deviation as two runs estimate it (what
  differs between runs: the timers' lateness, the scheduler, the random waiter picks);
- the model's own spread: the standard deviation over seeds of simpool's replays of one
  run (its random waiter picks and handshake draws, and where within the harness's
  resolution each measured moment falls: see :func:`~validation.replay.measured`),
  pooled over the two runs;

plus the resolution of the measurement: for a count, one event (an integer cannot agree
more closely, and one event falling either side of a boundary, as Go's timers fire a
fraction of a millisecond late, moves it by one); for a time, the microseconds of
``database/sql`` code between the pool's hand-over and the query that the harness cannot
place (:func:`~validation.metrics.code_path_ms`), once per event a sum adds up. Each run
is checked against its own replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import norm

from . import gorun
from .gorun import TOOLCHAINS, Toolchain
from .metrics import METRICS, TIME_METRICS, code_path_ms, go_metrics, go_waits_ms
from .replay import replay
from .traces import TRACES, Trace

FALSE_ALARMS = 0.01
"""How often a full run of the validation tests may fail with the model right: every
metric of every trace under every Go, on both runs, is one check, and all of them share
this chance (Bonferroni), so a suite of hundreds of checks does not fail by luck."""

CHECKS = len(METRICS) * len(TRACES) * len(TOOLCHAINS) * 2
"""The checks of a full run: metrics × traces × Go releases × harness runs."""

SIGMAS = float(norm.isf(FALSE_ALARMS / (2 * CHECKS)))
"""How many standard deviations of the combined spread a difference may reach (two-sided
normal tail of ``FALSE_ALARMS / CHECKS``: 4.3 for 528 checks)."""

MODEL_SEEDS = range(10)
"""Seeds of the model's replays of each harness run."""

QUANTILES = np.linspace(0, 100, 101)
"""Percentiles of the wait kept for figures."""


@dataclass(frozen=True)
class MetricCheck:
    """One metric, real Go against the model, on both harness runs.

    ``model`` holds simpool's mean over seeds on each run's measured durations.
    """

    metric: str
    go: tuple[float, float]
    model: tuple[float, float]
    go_sd: float
    model_sd: float
    tolerance: float

    @property
    def differences(self) -> tuple[float, float]:
        """Go minus model, per run (each run against its own replay)."""
        return (self.go[0] - self.model[0], self.go[1] - self.model[1])

    @property
    def ok(self) -> bool:
        return all(abs(d) <= self.tolerance for d in self.differences)


EVENTS_OF_SUMS = {"handshake_s": "dials", "stats.wait_duration_s": "stats.wait_count"}
"""Time sums, and the count of the events each adds up."""


def resolution(metric: str, go: Sequence[dict[str, float]], code_path: float) -> float:
    """How closely ``metric`` can agree at all (see the module docstring); ``code_path``
    is the harness's resolution of a hand-over, in ms."""
    if metric not in TIME_METRICS:
        return 1.0
    if metric in EVENTS_OF_SUMS:
        return code_path / 1e3 * max(run[EVENTS_OF_SUMS[metric]] for run in go)
    return code_path


def check(metric: str, go: Sequence[dict[str, float]], model: Sequence[Sequence[dict[str, float]]],
          code_path: float = 0.0) -> MetricCheck:
    """Check one metric: ``go`` holds each harness run's metrics, ``model`` the model's
    metrics per seed for each of those runs, ``code_path`` the harness's resolution of a
    hand-over (ms)."""
    g = (float(go[0][metric]), float(go[1][metric]))
    per_run = [np.array([m[metric] for m in seeds], dtype=float) for seeds in model]
    go_sd = abs(g[0] - g[1]) / np.sqrt(2.0)
    model_sd = float(np.sqrt(np.mean([values.var(ddof=1) for values in per_run])))
    tolerance = SIGMAS * float(np.hypot(go_sd, model_sd)) + resolution(metric, go, code_path)
    return MetricCheck(metric, g, (float(per_run[0].mean()), float(per_run[1].mean())), float(go_sd),
                       model_sd, tolerance)


@dataclass(frozen=True)
class Comparison:
    """One trace under one Go release: every metric checked, and the waits' percentiles
    (``QUANTILES``) in the first run and in the model's replays of it, for figures."""

    trace: str
    go_version: str
    """``runtime.Version()`` of the harness, e.g. ``go1.23.5``."""
    profile: str
    """simpool's ``go_version`` profile that replayed it."""
    checks: tuple[MetricCheck, ...]
    go_wait_quantiles: tuple[float, ...]
    model_wait_quantiles: tuple[float, ...]

    @property
    def failures(self) -> tuple[MetricCheck, ...]:
        return tuple(c for c in self.checks if not c.ok)

    def by_metric(self, metric: str) -> MetricCheck:
        return next(c for c in self.checks if c.metric == metric)

    def explain(self) -> str:
        """The failed checks, one line each, for an assertion message."""
        return "\n".join(
            f"{self.trace} {self.go_version} {c.metric}: Go {c.go[0]:.4g} / {c.go[1]:.4g}, model "
            f"{c.model[0]:.4g} / {c.model[1]:.4g}, tolerance ±{c.tolerance:.3g}" for c in self.failures)


def compare(trace: Trace, runs: Sequence[dict[str, Any]], profile: str,
            seeds: Sequence[int] = MODEL_SEEDS) -> Comparison:
    """Compare two harness runs of ``trace`` with simpool's replays of them."""
    if len(runs) != 2:
        raise ValueError(f"the tolerances need exactly two harness runs, not {len(runs)}")
    go = [go_metrics(run) for run in runs]
    replays = [replay(trace, run, profile, seeds) for run in runs]
    model = [[r.metrics for r in per_run] for per_run in replays]
    model_waits = np.concatenate([r.waits_ms for r in replays[0]])
    code_path = max(code_path_ms(run) for run in runs)
    return Comparison(
        trace=trace.name, go_version=runs[0]["go_version"], profile=profile,
        checks=tuple(check(metric, go, model, code_path) for metric in METRICS),
        go_wait_quantiles=tuple(np.percentile(go_waits_ms(runs[0]), QUANTILES).tolist()),
        model_wait_quantiles=tuple(np.percentile(model_waits, QUANTILES).tolist()),
    )


def validate(trace: Trace, toolchain: Toolchain, binary: Path,
             seeds: Sequence[int] = MODEL_SEEDS) -> tuple[Comparison, list[dict[str, Any]]]:
    """Replay ``trace`` twice through the real pool (the harness ``binary`` built by
    ``toolchain``), then through simpool with the matching profile; the comparison and
    the two harness runs."""
    runs = gorun.replay_twice(binary, trace)
    return compare(trace, runs, toolchain.profile, seeds), runs
