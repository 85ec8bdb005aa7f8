"""A sweep's result files: ``sweep.csv`` and ``sweep.json`` (``sweep.partial.csv`` and
``sweep.partial.json`` for an interrupted sweep, so a partial sweep never replaces a
complete one), written into an :class:`~simpool.render.files.OutputFolder`."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from ..analysis.sweep_findings import SweepFindings
from ..sweeps import SweepResult
from ..sweeps.axes import label

COMPLETE = ("sweep.csv", "sweep.json")
PARTIAL = ("sweep.partial.csv", "sweep.partial.json")


def write_outputs(result: SweepResult, findings: SweepFindings, out: Any) -> list[Path]:
    """Write the CSV and the JSON into ``out`` (an :class:`~simpool.render.files.OutputFolder`):
    :data:`COMPLETE` names for a finished sweep, :data:`PARTIAL` for an interrupted one."""
    csv_name, json_name = PARTIAL if result.interrupted else COMPLETE
    return [out.write(csv_name, to_csv(result)), out.write(json_name, to_json(result, findings))]


def to_csv(result: SweepResult) -> str:
    """One row per finished point: the swept settings, then every metric and its ``ci95``."""
    columns = list(result.rows[0]) if result.rows else [a.path for a in result.axes]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in result.rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same float
    return label(value)


def to_json(result: SweepResult, findings: SweepFindings) -> str:
    """The ``sweep.json`` document: the sweep's own (:meth:`SweepResult.document`) with
    its findings added."""
    document = result.document()
    document["findings"] = findings.document(result.rows, [axis.path for axis in result.axes])
    return json.dumps(_json_safe(document), indent=2, allow_nan=False) + "\n"


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
