"""A sweep's result files: ``sweep.csv`` and ``sweep.json``, each written atomically."""

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
from .files import atomic_write


def write_outputs(result: SweepResult, findings: SweepFindings, out: str | Path) -> list[Path]:
    """Write ``sweep.csv`` and ``sweep.json`` into ``out``; each appears whole or not at all."""
    out = Path(out)
    return [atomic_write(out / "sweep.csv", to_csv(result)),
            atomic_write(out / "sweep.json", to_json(result, findings))]


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
