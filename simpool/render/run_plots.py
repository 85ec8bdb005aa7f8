"""Figures of a run, drawn to read at document width: a header names the scenario and its
configuration, axes carry units, the database's caps are drawn in, the warm-up and spike
windows are shaded, and what is left out is said under the figure.

- ``timeseries`` (first replication): the database's connections against
  ``max_connections`` and the usable cap; the arrival rate; failed requests per second by
  error; the database's cores (queries on a core, queued for one); the instances serving
  when the fleet autoscales or deploys; then each instance's pool: open, in use, idle and
  waiting. A panel with nothing to show (no failure, no wait) is left out, and the
  footnote says so.
- ``wait_cdf``: the distribution of the time to get a connection (all replications),
  log time axis, p50/p95/p99 marked (at the left edge when 0), latency beside it for scale.

Gauges are sampled; when there are many samples (:mod:`.bins`), each panel shows their
mean over equal bins (the connections panel their peak, as it is read against the
cap), so that a gauge flapping between 0 and 2 reads as a level, not a barcode. Each
figure is built by a ``*_figure`` function that returns a matplotlib ``Figure`` (for a
notebook to show) and written by :func:`plot_files`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..result import ERROR_KINDS
from ..stats import LogHistogram
from ..units import format_duration
from .bins import Bins
from .describe import configuration
from .figures import (
    CAP_COLOR,
    DB_COLOR,
    ERROR_COLORS,
    ERROR_LABELS,
    FLEET_COLOR,
    LIMIT_COLOR,
    SPIKE_COLOR,
    USABLE_COLOR,
    WARMUP_COLOR,
    figure_files,
    figure_style,
    footnote,
    subplots,
    titles,
)
from .services_plot import draw_services

MAX_LEGEND_INSTANCES = 8
QUEUE_COLOR = "#e67e22"
PERCENTILE_COLORS = {50: "#27ae60", 95: "#f39c12", 99: CAP_COLOR}


def run_figures(result: Any, scenario: Any) -> dict[str, Any]:
    """The run's figures by file stem."""
    return {"timeseries": timeseries_figure(result, scenario), "wait_cdf": wait_cdf_figure(result, scenario)}


def plot_files(result: Any, scenario: Any) -> list[tuple[str, bytes]]:
    """Every figure as ``(name, bytes)``, PNG and SVG: what :func:`write_plots` writes."""
    return [file for stem, fig in run_figures(result, scenario).items() for file in figure_files(fig, stem)]


def write_plots(result: Any, scenario: Any, out: Any) -> list[Path]:
    """Both figures as PNG and SVG into ``out`` (an :class:`~simpool.render.files.OutputFolder`;
    :data:`~simpool.render.run_files.FIGURES` names them); returns the paths written."""
    return [out.write(name, data) for name, data in plot_files(result, scenario)]


def subtitle(result: Any, scenario: Any, what: str) -> str:
    """The configuration, then what the figure shows of the run."""
    reps = len(result.replications)
    return f"{configuration(scenario.effective(), width=115)}\nseed {result.seed} · {what}" + (
        "" if reps == 1 or "replication" in what else f", {reps} replications")


# ---------------------------------------------------------------------------- time series


def _time_axis(t: np.ndarray, duration: float) -> tuple[np.ndarray, float, str]:
    """Seconds for runs up to 10 minutes, minutes beyond."""
    return (t, 1.0, "time (s)") if duration <= 600 else (t / 60.0, 60.0, "time (min)")


def _spike_windows(scenario: Any) -> list[tuple[float, float]]:
    windows = []
    for arrivals in (a for view in scenario.service_list() for a in view.workload.arrivals):
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
    if handles:  # in two columns when one would be taller than a panel
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
                  ncols=2 if len(handles) > 6 else 1, columnspacing=1.0)


def timeseries_figure(result: Any, scenario: Any) -> Any:
    """The database, the traffic and the pools over time (replication 1)."""
    with figure_style():
        return _Timeseries(result, scenario).draw()


class _Timeseries:
    """The time-series figure, one method per panel; a panel method returns a note
    instead of drawing when it would be empty."""

    def __init__(self, result: Any, scenario: Any):
        self.result, self.scenario = result, scenario
        self.ts = ts = result.replications[0].timeseries
        _, self.scale, self.xlabel = _time_axis(ts.t, scenario.duration)
        self.bins = Bins(ts.t, self.scale)
        self.notes: list[str] = []

    def draw(self) -> Any:
        ts, scenario = self.ts, self.scenario
        failed = ts.failed[:, -1].sum() if ts.failed.size else 0
        views = scenario.service_list()
        panels = [(1.6, self._connections), (0.9, self._arrivals)]
        if ts.services:
            panels.insert(1, (1.3, lambda ax: draw_services(ax, ts, self.bins, scenario.database, _legend_right)))
        if failed:
            panels.append((1.0, self._failures))
        else:
            self.notes.append("No request failed: the failures panel is left out.")
        panels.append((1.0, self._cores))
        if any(v.fleet.autoscale is not None or v.fleet.deploy is not None for v in views) or \
                len(set(ts.serving.tolist())) > 1:
            panels.append((0.7, self._instances))
        for field, what in (("open", "open connections"), ("in_use", "connections in use"),
                            ("idle", "idle connections"), ("waiting", "requests waiting for a connection")):
            if getattr(ts, field).any():
                panels.append((1.0, lambda ax, field=field: self._pool(ax, field)))
            else:
                reason = " (a pool per request keeps none)" if field == "idle" and \
                    scenario.pitfalls.pool_per_request else ""
                self.notes.append(f"No {what} at any instant{reason}: that panel is left out.")
        height = 1.4 + 1.45 * sum(h for h, _ in panels)
        fig, axes = subplots(len(panels), 1, figsize=(8.0, height), sharex=True, layout="constrained",
                             gridspec_kw={"height_ratios": [h for h, _ in panels]}, squeeze=False)
        axes = axes[:, 0]
        for ax, (_, panel) in zip(axes, panels, strict=True):
            _shade(ax, scenario, self.scale, label=ax is axes[0])
            panel(ax)
        reps = len(self.result.replications)
        which = f"replication 1 of {reps}" if reps > 1 else "one replication"
        if self.bins.averaged:
            which += f"; each line is the mean of the samples {self.bins.per()} (the connections panel: their peak)"
        titles(axes[0], f"{scenario.name}: connections over time", subtitle(self.result, scenario, which))
        axes[-1].set_xlabel(self.xlabel)
        axes[-1].set_xlim(0, self.bins.x[-1] if len(ts.t) else scenario.duration / self.scale)
        footnote(axes[-1], self.notes)
        return fig

    def _connections(self, ax: Any) -> None:
        ts, db, bins = self.ts, self.scenario.database, self.bins
        peak = bins.peak if bins.averaged else bins.mean
        how = f" (peak {bins.per()})" if bins.averaged else ""
        # The database's count includes other clients; with none, it equals the fleet's:
        # a wide pale line under a thin dark one keeps both visible where they coincide.
        ax.plot(bins.x, peak(ts.database_connections), color=FLEET_COLOR, alpha=0.45, lw=4.0,
                drawstyle="steps-post", label=f"database connections{how}", zorder=3)
        ax.plot(bins.x, peak(ts.open.sum(axis=0)), color=DB_COLOR, lw=0.9, drawstyle="steps-post",
                label="open in the pools (whole fleet)", zorder=4)
        ax.axhline(db.max_connections, color=CAP_COLOR, ls="--", lw=1.4, label=f"max_connections {db.max_connections}")
        if db.usable_connections != db.max_connections:
            ax.axhline(db.usable_connections, color=USABLE_COLOR, ls="-.", lw=1.4,
                       label=f"usable by the app {db.usable_connections}")
        if db.other_clients:
            ax.axhline(db.other_clients, color="grey", ls=":", lw=1.0, label=f"other clients {db.other_clients}")
        ax.set_ylim(0, max(db.max_connections, int(ts.database_connections.max(initial=0))) * 1.08)
        refused = self.result.replications[0].metrics["database"]["refused_connections"]
        verdict = f"{refused:,} dials refused after the warm-up" if refused else "no dial refused"
        server = "PostgreSQL" if db.flavor == "postgres" else "MySQL"
        ax.set_title(f"{server} connections against its cap: {verdict}")
        ax.set_ylabel("connections")
        _legend_right(ax)

    def _arrivals(self, ax: Any) -> None:
        rate = self.bins.rate(self.ts.arrived)
        ax.plot(self.bins.x, rate, color=DB_COLOR, lw=1.0, drawstyle="steps-post", label="arrivals")
        ax.set_ylim(0, np.nanmax(rate, initial=1.0) * 1.12)
        ax.set_title(f"Requests arriving per second ({self.bins.per()})")
        ax.set_ylabel("requests/s")
        _legend_right(ax)

    def _failures(self, ax: Any) -> None:
        for k, kind in enumerate(ERROR_KINDS):
            if self.ts.failed[k, -1]:
                ax.plot(self.bins.x, self.bins.rate(self.ts.failed[k]), color=ERROR_COLORS[kind], lw=1.1,
                        drawstyle="steps-post", label=ERROR_LABELS[kind])
        ax.set_ylim(bottom=0)
        ax.set_title(f"Failed requests per second, by error ({self.bins.per()}; when answered)")
        ax.set_ylabel("requests/s")
        _legend_right(ax)

    def _cores(self, ax: Any) -> None:
        from matplotlib.ticker import MaxNLocator

        ts, bins, cores = self.ts, self.bins, self.scenario.database.cores
        running, queued = bins.mean(ts.database_running), bins.mean(ts.database_queued)
        ax.fill_between(bins.x, 0, running, step="post", color=DB_COLOR, alpha=0.55, lw=0, label="on a core")
        if ts.database_queued.any():
            ax.fill_between(bins.x, running, running + queued, step="post", color=QUEUE_COLOR, alpha=0.55, lw=0,
                            label="queued for a core")
        if cores:
            ax.axhline(cores, color=LIMIT_COLOR, ls="--", lw=1.0, label=f"cores {cores}")
            most = int(ts.database_queued.max(initial=0))
            state = f"up to {most:,} queued at a sample" if most else "no query queued for a core"
            ax.set_title(f"Database cores: queries on a core and queued for one ({state})")
        else:
            ax.set_title("Database cores: unlimited (no query ever queues); queries running")
        top = max(float(np.max(running + queued, initial=0.0)), float(cores))
        ax.set_ylim(0, max(1.0, top) * 1.12)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax.set_ylabel("queries")
        _legend_right(ax)

    def _instances(self, ax: Any) -> None:
        from matplotlib.ticker import MaxNLocator

        ts, fleet = self.ts, self.scenario.fleet
        ax.plot(ts.t / self.scale, ts.serving, color=FLEET_COLOR, lw=1.6, drawstyle="steps-post",
                label="instances serving" + (" (every service)" if ts.services else ""))
        top = int(ts.serving.max(initial=1))
        if fleet.autoscale is not None and not ts.services:
            ax.axhline(fleet.autoscale.max, color=LIMIT_COLOR, ls="--", lw=1.0, label=f"autoscale max {fleet.autoscale.max}")
            top = max(top, fleet.autoscale.max)
        changes = [int(v) for i, v in enumerate(ts.serving.tolist()) if i == 0 or v != ts.serving[i - 1]]
        ax.set_title("Instances serving: " + " → ".join(map(str, changes[:12])) + (" …" if len(changes) > 12 else ""))
        ax.set_ylim(0, top * 1.2)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax.set_ylabel("instances")
        _legend_right(ax)

    def _pool(self, ax: Any, field: str) -> None:
        from matplotlib import colormaps
        from matplotlib.lines import Line2D
        from matplotlib.ticker import MaxNLocator

        ts, pool, scenario = self.ts, self.scenario.fleet.pool, self.scenario
        values = self.bins.mean(getattr(ts, field))
        many = len(ts.instances) > MAX_LEGEND_INSTANCES
        colors = colormaps["tab10"]
        for i, name in enumerate(ts.instances):
            ax.plot(self.bins.x, values[i], lw=0.7 if many else 1.0, alpha=0.85, color=colors(i % 10),
                    drawstyle="steps-post", label=None if many else name)
        limit = None
        if ts.services:  # each service's pools have their own limits: none drawn
            pass
        elif field in ("open", "in_use") and pool.max_open and not scenario.pitfalls.pool_per_request:
            limit = pool.max_open
            ax.axhline(limit, color=LIMIT_COLOR, ls="--", lw=1.0, label=f"MaxOpen {limit}")
        if field == "idle" and not ts.services:
            limit = pool.effective_max_idle
            ax.axhline(limit, color=LIMIT_COLOR, ls="--", lw=1.0, label=f"MaxIdle {limit}")
        title, unit = {"open": ("Open connections per instance: in use + idle", "connections"),
                       "in_use": ("In use per instance, dials included", "connections"),
                       "idle": ("Idle per instance", "connections"),
                       "waiting": ("Requests waiting for a connection, per instance", "requests")}[field]
        ax.set_title(title + (f" (mean {self.bins.per()})" if self.bins.averaged else ""))
        ax.set_ylabel(unit)
        ax.set_ylim(0, max(1.0, float(np.nanmax(values, initial=0)), limit or 0) * 1.12)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        handles, labels = ax.get_legend_handles_labels()
        if field != "open":  # the instances' colours are named once, on the first pool panel
            keep = [i for i, label in enumerate(labels) if label not in ts.instances]
            handles, labels = [handles[i] for i in keep], [labels[i] for i in keep]
        elif many:
            handles = [*handles, Line2D([], [], color="grey", lw=0.7)]
            labels = [*labels, f"{len(ts.instances)} instances,\none line each"]
        _legend_right(ax, handles, labels)


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
    pooled = f"{reps} replications pooled" if reps > 1 else "one replication"
    titles(ax, f"{scenario.name}: time to get a connection",
           subtitle(result, scenario, f"{wait.n:,} requests after the warm-up, {pooled}"))

    floor_ms = 0.01
    timeouts = sorted({view.workload.request.timeout for view in scenario.service_list()})
    ceiling_ms = max(wait.maximum, latency.maximum, *timeouts, 1e-3) * 1e3 * 1.5
    for histogram, style in ((latency, {"color": "grey", "lw": 1.0, "label": "latency (arrival to answer)"}),
                             (wait, {"color": FLEET_COLOR, "lw": 2.2, "label": "wait for a connection"})):
        values, fractions = histogram.cdf()
        if not len(values):
            continue
        # From 0 at the left edge: requests that waited 0 (no place on a log axis) make the
        # jump there, where the markers of percentiles equal to 0 sit.
        ms = np.maximum(values * 1e3, floor_ms)
        ms = np.concatenate([[floor_ms], ms, [ceiling_ms]])
        fractions = np.concatenate([[0.0], fractions, [1.0]])
        ax.step(ms, fractions, where="post", **style)

    notes = []
    if wait.n:
        zero = wait.zeros / wait.n
        if zero > 0.01:
            notes.append(f"{zero:.0%} of requests got a connection at once (no wait): the jump at the left edge.")
        for p, color in PERCENTILE_COLORS.items():
            ms = wait.percentile(p) * 1e3
            if ms <= 0:
                # A zero wait has no place on a log axis: its marker sits on the left edge.
                ax.plot([floor_ms], [p / 100], marker="o", ms=7, color=color, ls="none", clip_on=False, zorder=6,
                        label=f"p{p} wait 0 (no wait)")
                continue
            ax.axvline(ms, color=color, ls=":", lw=1.4)
            ax.plot([ms], [p / 100], marker="o", ms=6, color=color, ls=":", lw=1.4, zorder=6,
                    label=f"p{p} wait {_ms_label(ms)}")
    views = scenario.service_list()
    for timeout in timeouts:  # one per service (the same for most)
        if timeout > 0 and not scenario.pitfalls.no_deadline:
            whose = [v.name for v in views if v.workload.request.timeout == timeout]
            named = f" ({', '.join(whose)})" if views[0].named else ""
            ax.axvline(timeout * 1e3, color=LIMIT_COLOR, ls="--", lw=1.0,
                       label=f"deadline {format_duration(timeout)}{named}")

    ax.set_xscale("log")
    ax.set_xlim(floor_ms, ceiling_ms)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time (ms, log scale)")
    ax.set_ylabel("fraction of requests")
    _legend_right(ax)
    footnote(ax, notes)
    return fig

