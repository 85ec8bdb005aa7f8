"""A run's result files: ``summary.json``, ``timeseries.csv`` and ``requests.csv``.

Everything here reads the :class:`~simpool.Result`; files go into an
:class:`~simpool.render.files.OutputFolder`, which commits them (and the figures) whole.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .figures import figure_names

FIGURES = ("timeseries", "wait_cdf")
"""The run's figures (:mod:`simpool.render.run_plots`), each as PNG and SVG."""


def names(*, plots: bool, requests: bool, report: bool = False) -> list[str]:
    """Every file a run writes with these options (what its output folder is opened for)."""
    result = ["summary.json", "timeseries.csv", *(["requests.csv"] if requests else []),
              *(figure_names(FIGURES) if plots else [])]
    if report:
        from .report import REPORT_FILES

        result += REPORT_FILES
    return result


def summary_json(result: Any, diagnosis: Any = None, verdicts: Sequence[Any] = ()) -> str:
    """The ``summary.json`` document: :meth:`Result.summary`, then (when given) the
    diagnosis with its what-ifs and the SLO verdicts, for scripts and CI jobs to read."""
    document = result.summary()
    if diagnosis is not None:
        document["diagnosis"] = {"what_ifs": diagnosis.what_ifs, "what_if_runs": diagnosis.runs,
                                 "findings": [_plain(asdict(f)) for f in diagnosis.findings]}
    if diagnosis is not None or verdicts:
        document["slo"] = {"passed": all(v.passed for v in verdicts),
                           "terms": [_plain(asdict(v)) for v in verdicts]}
    return json.dumps(document, indent=2) + "\n"


def _plain(value: Any) -> Any:
    """Records as JSON: tuples as lists, NaN as null."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def timeseries_csv(result: Any) -> str:
    """Gauges of every replication, long format:
    ``replication,t_s,series,open,in_use,idle,waiting,busy_cores,offered_cores``.

    For a pool ``series`` is the instance name; the ``database`` rows hold its connections
    (``open``), queries on a core (``in_use``) and queries queued for one (``waiting``) at
    that instant, and the mean cores busy and the offered load in cores over the interval
    ending there (empty at the first sample, and on pool rows). With services, two more
    kinds of column: ``service`` (a pool row's service) and ``open.NAME`` (on database
    rows, the open connections of service NAME's pools).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    services = result.replications[0].timeseries.services if result.replications else ()
    extra = [f"open.{name}" for name in services]
    writer.writerow(["replication", "t_s", "series", "open", "in_use", "idle", "waiting", "busy_cores",
                     "offered_cores", *(["service", *extra] if services else [])])
    for rep in result.replications:
        for row in rep.timeseries.rows():
            cells = [rep.index, f"{row['t_s']:.6g}", row["series"], row["open"], row["in_use"],
                     "" if row["idle"] is None else row["idle"], row["waiting"],
                     _cores(row.get("busy_cores")), _cores(row.get("offered_cores"))]
            if services:
                cells += [row.get("service", ""), *(row.get(key, "") for key in extra)]
            writer.writerow(cells)
    return buffer.getvalue()


def _cores(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.4g}"


def requests_csv(result: Any) -> str:
    """One row per finished request (needs ``record_requests=True``); times in milliseconds."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["replication", "id", "instance", "arrival_s", "wait_ms", "latency_ms", "outcome", "error"])
    for rep in result.replications:
        for r in rep.requests or ():
            writer.writerow([rep.index, r.id, r.instance, f"{r.arrival:.6f}", f"{1e3 * r.wait:.3f}",
                             f"{1e3 * r.latency:.3f}", r.outcome, r.error or ""])
    return buffer.getvalue()


def write_results(result: Any, out: Any, *, requests: bool = False, diagnosis: Any = None,
                  verdicts: Sequence[Any] = ()) -> list[Path]:
    """``summary.json``, ``timeseries.csv`` and (when asked) ``requests.csv`` into ``out``
    (an :class:`~simpool.render.files.OutputFolder`)."""
    paths = [out.write("summary.json", summary_json(result, diagnosis, verdicts)),
             out.write("timeseries.csv", timeseries_csv(result))]
    if requests:
        paths.append(out.write("requests.csv", requests_csv(result)))
    return paths
