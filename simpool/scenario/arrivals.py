"""Arrival process specs: poisson, spike, onoff, diurnal and trace (a replayed file)."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from ._base import Duration, FileError, Float, Rate, Spec, read_text


class PoissonArrivals(Spec):
    """Poisson arrivals at a constant rate, optionally only within [start, end)."""

    kind: Literal["poisson"] = "poisson"
    rate: Rate = Field(..., description="Arrival rate, e.g. 600/s.")
    start: Duration = Field(0.0, description="First instant with arrivals.")
    end: Duration | None = Field(None, description="End of the arrivals (none = the whole run).")


class SpikeArrivals(Spec):
    """Extra Poisson traffic at ``rate`` from ``at`` for ``for`` (added to the rest)."""

    kind: Literal["spike"] = "spike"
    at: Duration = Field(..., description="Start of the spike.")
    for_: Duration = Field(..., alias="for", gt=0, description="Length of the spike.")
    rate: Rate = Field(..., description="Extra arrival rate during the spike.")


class OnOffArrivals(Spec):
    """Bursts: Poisson at ``rate`` for ``on``, then silence for ``off``, repeating."""

    kind: Literal["onoff"] = "onoff"
    rate: Rate = Field(..., description="Arrival rate while on.")
    on: Duration = Field(..., gt=0, description="Length of a burst.")
    off: Duration = Field(..., gt=0, description="Gap between bursts.")
    start: Duration = Field(0.0, description="Start of the first burst.")


class DiurnalArrivals(Spec):
    """A daily wave: ``rate·(1 + amplitude·cos(2π(t − peak_at)/period))`` (non-homogeneous Poisson)."""

    kind: Literal["diurnal"] = "diurnal"
    rate: Rate = Field(..., description="Mean arrival rate over a period.")
    amplitude: Float = Field(0.5, ge=0, le=1, description="Relative swing around the mean.")
    period: Duration = Field("24h", gt=0, description="Length of one cycle.")
    peak_at: Duration = Field(0.0, description="Time of the first peak.")


TraceRow = tuple[float, Any, "float | None", "float | None", "float | None"]
"""(time, instance hint, service seconds per query, timeout seconds, handshake seconds);
each but the time may be None (not given)."""


class TraceArrivals(Spec):
    """Replay of recorded requests: a CSV or JSON list with ``t_ms`` and optional
    ``instance``, ``service_ms`` (per query), ``timeout_ms`` and ``handshake_ms`` (the
    handshake of a dial the request itself makes, as measured) columns."""

    kind: Literal["trace"] = "trace"
    file: str = Field(..., description="CSV or JSON file; relative to the scenario file.")
    _rows: tuple[TraceRow, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> TraceArrivals:
        text = read_text(self.file, info)
        try:
            self._rows = tuple(_parse_trace(text, self.file))
        except ValueError as exc:
            raise FileError(str(exc)) from None
        return self

    @property
    def rows(self) -> tuple[TraceRow, ...]:
        """(t, instance, service, timeout, handshake) in seconds, by time; None where not given."""
        return self._rows


def _optional_ms(value: Any, where: str, column: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {column} {value!r} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{where}: {column} must be a finite number >= 0 (not {value!r})")
    return number / 1e3


TRACE_COLUMNS = ("t_ms", "instance", "service_ms", "timeout_ms", "handshake_ms")
"""A trace's columns, in the order of a :data:`TraceRow`."""


def _parse_trace(text: str, name: str) -> list[TraceRow]:
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}: invalid JSON ({exc.msg}, line {exc.lineno})") from None
        records = [r if isinstance(r, dict) else {"t_ms": r} for r in data]
        first_line = 0
    else:
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None or "t_ms" not in [f.strip() for f in reader.fieldnames]:
            raise ValueError(f"{name}: the CSV needs a header with a t_ms column")
        records = [{k.strip(): v for k, v in r.items() if k is not None} for r in reader]
        first_line = 2
    rows = []
    for i, record in enumerate(records):
        where = f"{name} line {i + first_line}" if first_line else f"{name} item {i}"
        unknown = set(record) - set(TRACE_COLUMNS)
        if unknown:
            raise ValueError(f"{where}: unknown column {sorted(unknown)[0]!r}")
        t = _optional_ms(record.get("t_ms"), where, "t_ms")
        if t is None:
            raise ValueError(f"{where}: t_ms is missing")
        instance = record.get("instance")
        if isinstance(instance, str):
            instance = instance.strip() or None
            if instance is not None and instance.isdigit():
                instance = int(instance)
        rows.append((t, instance, *(_optional_ms(record.get(column), where, column) for column in TRACE_COLUMNS[2:])))
    if not rows:
        raise ValueError(f"{name}: no requests found")
    rows.sort(key=lambda r: r[0])
    return rows


ArrivalSpec = Annotated[
    PoissonArrivals | SpikeArrivals | OnOffArrivals | DiurnalArrivals | TraceArrivals,
    Field(discriminator="kind"),
]
