"""Arrival process specs: poisson, spike, onoff, diurnal and trace (a replayed file)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from ._base import Duration, FileName, Float, Rate, Spec, resolve_path
from .files import FileError
from .traces import Trace, TraceRow, read_trace


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


class TraceArrivals(Spec):
    """Replay of recorded requests: a CSV or JSON list with ``t_ms`` and optional
    ``instance``, ``service_ms`` (per query) and ``timeout_ms`` columns."""

    kind: Literal["trace"] = "trace"
    file: FileName = Field(..., description="CSV or JSON file; relative to the scenario file.")
    _trace: Trace = PrivateAttr()

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> TraceArrivals:
        path = resolve_path(self.file, info)
        try:
            self._trace = read_trace(path, self.file)
        except ValueError as exc:
            raise FileError(str(exc)) from None
        return self

    @property
    def trace(self) -> Trace:
        """The requests, in time order, as compact columns."""
        return self._trace

    @property
    def rows(self) -> tuple[TraceRow, ...]:
        """Every row as (t seconds, instance index or None, service seconds or None,
        timeout seconds or None), by time (for small traces; the engine streams them)."""
        return tuple(self._trace.rows())


ArrivalSpec = Annotated[
    PoissonArrivals | SpikeArrivals | OnOffArrivals | DiurnalArrivals | TraceArrivals,
    Field(discriminator="kind"),
]
