"""Figures of a run, drawn to read at document width: titles name the scenario, axes
carry units, the database's caps are drawn in, spike windows are shaded.

- ``timeseries``: the database's connections against ``max_connections`` and the usable
  cap, then each instance's pool: open, in use, idle and waiting (first replication).
  Gauges are sampled, so they are drawn as steps (which also keeps the PNG small).
- ``wait_cdf``: the distribution of the time to get a connection (all replications),
  log time axis, p50/p95/p99 marked, latency beside it for scale.

Each figure is built by a ``*_figure`` function that returns a matplotlib ``Figure``
(for a notebook to show) and saved by :func:`write_plots`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..stats import LogHistogram
from ..units import format_duration
from .figures import figure_style, save_figure, subplots

CAP_COLOR = "#c0392b"
USABLE_COLOR = "#e67e22"
DB_COLOR = "#1f2d3d"
FLEET_COLOR = "#2e86c1"
SPIKE_COLOR = "#f5b041"
WARMUP_COLOR = "#b3b6b7"
MAX_LEGEND_INSTANCES = 8


def write_plots(result: Any, scenario: Any, out: Any) -> list[Path]:
    """Both figures as PNG and SVG into ``out`` (an :class:`~simpool.render.files.OutputFolder`;
    :data:`~simpool.render.run_files.FIGURES` names them); returns the paths written."""
    return [*save_figure(timeseries_figure(result, scenario), out, "timeseries"),
            *save_figure(wait_cdf_figure(result, scenario), out, "wait_cdf")]


# ---------------------------------------------------------------------------- time series


def _time_axis(t: np.ndarray, duration: float) -> tuple[np.ndarray, float, str]:
    """Seconds for runs up to 10 minutes, minutes beyond."""
    return (t, 1.0, "time (s)") if duration <= 600 else (t / 60.0, 60.0, "time (min)")


def _spike_windows(scenario: Any) -> list[tuple[float, float]]:
    windows = []
    for arrivals in scenario.workload.arrivals:
        if arrivals.kind == "spike":
            windows.append((arrivals.at, min(arrivals.at + arrivals.for_, scenario.duration)))
    return [w for w in windows if w[0] < scenario.duration]


def _shade(ax: Any, scenario: Any, scale: float, *, label: bool) -> None:
    if scenario.warmup > 0:
        ax.axvspan(0, scenario.warmup / scale, color=WARMUP_COLOR, alpha=0.25, lw=0,
                   label="warm-up (not counted)" if label else None)
    for i, (start, end) in enumerate(_spike_windows(scenario)):
        ax.axvspan(start / scale, end / scale, color=SPIKE_COLOR, alpha=0.18, lw=0,
                   label="traffic spike" if label and i == 0 else None)


def _legend_right(ax: Any, handles: list[Any] | None = None, labels: list[str] | None = None) -> None:
    """Legends sit to the right of the axes, so they never cover a line."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0)


def timeseries_figure(result: Any, scenario: Any) -> Any:
    """Database connections and per-instance pool gauges over time (replication 1)."""
    with figure_style():
        return _draw_timeseries(result, scenario)


def _draw_timeseries(result: Any, scenario: Any) -> Any:
    from matplotlib import colormaps
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    ts = result.replications[0].timeseries
    t, scale, xlabel = _time_axis(ts.t, scenario.duration)
    db = scenario.database
    fig, axes = subplots(5, 1, figsize=(8.0, 10.0), sharex=True, layout="constrained",
                         gridspec_kw={"height_ratios": [1.7, 1, 1, 1, 1]})
    reps = len(result.replications)
    which = f" (replication 1 of {reps})" if reps > 1 else ""
    fig.suptitle(f"{scenario.name}: connections over time{which}", fontsize=13, fontweight="bold")

    ax = axes[0]
    _shade(ax, scenario, scale, label=True)
    ax.plot(t, ts.database_connections, color=DB_COLOR, lw=2.4, label="database connections", zorder=3,
            drawstyle="steps-post")
    ax.plot(t, ts.open.sum(axis=0), color=FLEET_COLOR, lw=0.8, label="open in the pools\n(whole fleet)", zorder=4,
            drawstyle="steps-post")
    server = "PostgreSQL" if db.flavor == "postgres" else "MySQL"
    ax.axhline(db.max_connections, color=CAP_COLOR, ls="--", lw=1.4, label=f"max_connections {db.max_connections}")
    if db.usable_connections != db.max_connections:
        ax.axhline(db.usable_connections, color=USABLE_COLOR, ls="-.", lw=1.4,
                   label=f"usable by the app {db.usable_connections}")
    if db.other_clients:
        ax.axhline(db.other_clients, color="grey", ls=":", lw=1.0, label=f"other clients {db.other_clients}")
    ax.set_ylim(0, max(db.max_connections, int(ts.database_connections.max(initial=0))) * 1.08)
    refused = result.replications[0].metrics["database"]["refused_connections"]
    verdict = f"{refused:,} dials refused" if refused else "no dial refused"
    ax.set_title(f"{server} connections against its cap: {verdict}", loc="left")
    ax.set_ylabel("connections")
    _legend_right(ax)

    panels = [("open", "Open connections per instance (in use + idle + dialing)", "connections"),
              ("in_use", "In use per instance", "connections"),
              ("idle", "Idle per instance", "connections"),
              ("waiting", "Requests waiting for a connection, per instance", "requests")]
    many = len(ts.instances) > MAX_LEGEND_INSTANCES
    colors = colormaps["tab10"]
    pool = scenario.fleet.pool
    for ax, (field, title, unit) in zip(axes[1:], panels, strict=True):
        _shade(ax, scenario, scale, label=False)
        values = getattr(ts, field)
        for i, name in enumerate(ts.instances):
            ax.plot(t, values[i], lw=0.6 if many else 0.8, alpha=0.8, color=colors(i % 10),
                    drawstyle="steps-post", label=None if many else name)
        if field in ("open", "in_use") and pool.max_open and not scenario.pitfalls.pool_per_request:
            ax.axhline(pool.max_open, color="black", ls="--", lw=1.0, label=f"MaxOpen {pool.max_open}")
        if field == "idle":
            ax.axhline(pool.effective_max_idle, color="black", ls="--", lw=1.0,
                       label=f"MaxIdle {pool.effective_max_idle}")
        ax.set_title(title, loc="left")
        ax.set_ylabel(unit)
        ax.set_ylim(0, max(1.0, float(values.max(initial=0))) * 1.1)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        handles, labels = ax.get_legend_handles_labels()
        if field != "open":  # the instances' colours are named once, on the first panel
            keep = [i for i, label in enumerate(labels) if label not in ts.instances]
            handles, labels = [handles[i] for i in keep], [labels[i] for i in keep]
        elif many:
            handles = [*handles, Line2D([], [], color="grey", lw=0.6)]
            labels = [*labels, f"{len(ts.instances)} instances,\none line each"]
        _legend_right(ax, handles, labels)
    axes[-1].set_xlabel(xlabel)
    axes[-1].set_xlim(0, t[-1] if len(t) else scenario.duration / scale)
    return fig


# ---------------------------------------------------------------------------- wait CDF


def _pooled(histograms: list[LogHistogram]) -> LogHistogram:
    pooled = LogHistogram()
    for histogram in histograms:
        pooled.merge(histogram)
    return pooled


def _ms_label(ms: float) -> str:
    return f"{ms:,.0f} ms" if ms >= 10 else f"{ms:.1f} ms" if ms >= 0.1 else f"{ms:.2f} ms"


def wait_cdf_figure(result: Any, scenario: Any) -> Any:
    """CDF of the time to get a connection, log x axis, p50/p95/p99 marked."""
    with figure_style():
        return _draw_wait_cdf(result, scenario)


def _draw_wait_cdf(result: Any, scenario: Any) -> Any:
    from matplotlib.ticker import FuncFormatter

    wait = _pooled([r.wait for r in result.replications])
    latency = _pooled([r.latency for r in result.replications])
    fig, ax = subplots(figsize=(8.0, 4.5), layout="constrained")
    reps = len(result.replications)
    pooled = f", {reps} replications pooled" if reps > 1 else ""
    fig.suptitle(f"{scenario.name}: time to get a connection", fontsize=13, fontweight="bold")
    ax.set_title(f"{wait.n:,} requests after the warm-up{pooled}", loc="left", fontsize=9, color="dimgray")

    floor_ms = 0.01
    ceiling_ms = max(wait.maximum, latency.maximum, scenario.workload.request.timeout, 1e-3) * 1e3 * 1.5
    for histogram, style in ((latency, {"color": "grey", "lw": 1.0, "label": "latency (arrival to answer)"}),
                             (wait, {"color": FLEET_COLOR, "lw": 2.2, "label": "wait for a connection"})):
        values, fractions = histogram.cdf()
        if not len(values):
            continue
        ms = np.maximum(values * 1e3, floor_ms)
        ms = np.concatenate([[floor_ms], ms, [ceiling_ms]])
        fractions = np.concatenate([[fractions[0]], fractions, [1.0]])
        ax.step(ms, fractions, where="post", **style)

    if wait.n:
        zero = wait.zeros / wait.n
        if zero > 0.01:
            ax.annotate(f"{zero:.0%} got a connection at once (no wait)", xy=(floor_ms, zero),
                        xytext=(6, -6) if zero > 0.15 else (6, 6), va="top" if zero > 0.15 else "bottom",
                        textcoords="offset points", fontsize=8, color=FLEET_COLOR, zorder=5,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})
        for p, color in ((50, "#27ae60"), (95, "#f39c12"), (99, "#c0392b")):
            ms = wait.percentile(p) * 1e3
            if ms <= 0:
                ax.plot([], [], ls=":", color=color, label=f"p{p} wait = 0 (no wait)")
                continue
            ax.axvline(ms, color=color, ls=":", lw=1.4, label=f"p{p} wait {_ms_label(ms)}")
    timeout = scenario.workload.request.timeout
    if timeout > 0 and not scenario.pitfalls.no_deadline:
        ax.axvline(timeout * 1e3, color="black", ls="--", lw=1.0, label=f"deadline {format_duration(timeout)}")

    ax.set_xscale("log")
    ax.set_xlim(floor_ms, ceiling_ms)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time (ms, log scale)")
    ax.set_ylabel("fraction of requests")
    _legend_right(ax)
    return fig
