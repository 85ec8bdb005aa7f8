"""Distribution specs: ``{dist: exponential, mean: 5ms}`` and friends, or just ``3ms``."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationInfo,
    model_validator,
)

from ..units import MAX_SECONDS, format_duration, parse_duration, quote
from ._base import Duration, FileName, Spec, resolve_path
from .files import FileError, records


class ConstantDist(Spec):
    """Always the same value."""

    dist: Literal["constant"] = "constant"
    value: Duration = Field(0.0, description="The value.")

    @property
    def mean(self) -> float:
        return self.value


class ExponentialDist(Spec):
    """Exponential with the given mean (memoryless; the textbook M in M/M/c)."""

    dist: Literal["exponential"] = "exponential"
    mean: Duration = Field(..., gt=0, description="Mean value.")


class LognormalDist(Spec):
    """Lognormal given by its median and 99th percentile (long right tail)."""

    dist: Literal["lognormal"] = "lognormal"
    median: Duration = Field(..., gt=0, description="Median (50th percentile).")
    p99: Duration = Field(..., gt=0, description="99th percentile; must exceed the median.")

    @model_validator(mode="after")
    def _p99_above_median(self) -> LognormalDist:
        if self.p99 <= self.median:
            raise ValueError(
                f"p99 ({format_duration(self.p99)}) must be greater than the median "
                f"({format_duration(self.median)})"
            )
        return self

    @property
    def sigma(self) -> float:
        return (math.log(self.p99) - math.log(self.median)) / 2.3263478740408408

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)


class UniformDist(Spec):
    """Uniform between low and high."""

    dist: Literal["uniform"] = "uniform"
    low: Duration = Field(..., description="Lower bound.")
    high: Duration = Field(..., description="Upper bound; at least low.")

    @model_validator(mode="after")
    def _ordered(self) -> UniformDist:
        if self.high < self.low:
            raise ValueError(
                f"high ({format_duration(self.high)}) must be >= low ({format_duration(self.low)})"
            )
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2


class EmpiricalDist(Spec):
    """Resampled from measured values: a CSV (first column, or a column ``ms``) or a JSON
    list, in milliseconds, or Go duration strings. A relative path is resolved from the
    scenario file. At most :data:`MAX_SAMPLES` values."""

    dist: Literal["empirical"] = "empirical"
    file: FileName = Field(..., description="CSV or JSON file of samples (milliseconds).")
    _samples: tuple[float, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> EmpiricalDist:
        try:
            self._samples = tuple(_read_samples(resolve_path(self.file, info), self.file))
        except ValueError as exc:
            raise FileError(str(exc)) from None
        return self

    @property
    def samples(self) -> tuple[float, ...]:
        """The samples in seconds."""
        return self._samples

    @property
    def mean(self) -> float:
        return sum(self._samples) / len(self._samples)


MAX_SAMPLES = 1_000_000
"""Most values in a samples file (more add nothing to a resampled distribution)."""


def _sample_value(raw: Any, where: str) -> float:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = float(raw) / 1e3
    else:
        text = str(raw).strip()
        try:
            value = float(text) / 1e3
        except ValueError:
            try:
                value = parse_duration(text)
            except ValueError:
                raise ValueError(f"{where}: {quote(raw)} is neither milliseconds nor a duration") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{where}: sample {quote(raw)} must be a finite value >= 0")
    if value > MAX_SECONDS:
        raise ValueError(f"{where}: sample {quote(raw)} is longer than a year (at most 8760h)")
    return value


def _read_samples(path: Path, name: str) -> Iterator[float]:
    """The samples of a file, read as they stream: CSV rows (the header, if any, names the
    column: ``ms``, else the first) or the items of a JSON list."""
    column: int | None = None
    count = 0
    for where, item in records(path, name, header=None):
        if isinstance(item, list):  # a CSV row
            if not item or not item[0].strip():
                continue
            if column is None:
                column = 0
                if not _is_sample(item[0]):
                    header = [h.strip() for h in item]
                    column = header.index("ms") if "ms" in header else 0
                    continue
            item = item[column] if column < len(item) else ""
        count += 1
        if count > MAX_SAMPLES:
            raise ValueError(f"{name}: more than {MAX_SAMPLES:,} samples; a random subset of them will do")
        yield _sample_value(item, where)
    if not count:
        raise ValueError(f"{name}: no samples found")


def _is_sample(text: str) -> bool:
    """A cell that reads as a sample (milliseconds or a duration), not a header."""
    try:
        float(text)
        return True
    except ValueError:
        pass
    try:
        parse_duration(text.strip())
        return True
    except ValueError:
        return False



def _dist_shorthand(value: Any) -> Any:
    """``3ms`` (or ``0``) is short for ``{dist: constant, value: 3ms}``."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return {"dist": "constant", "value": value}
    return value


def _dist_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("dist", "constant")
    return getattr(value, "dist", None)


Distribution = Annotated[
    Annotated[ConstantDist, Tag("constant")] | Annotated[ExponentialDist, Tag("exponential")] | Annotated[LognormalDist, Tag("lognormal")] | Annotated[UniformDist, Tag("uniform")] | Annotated[EmpiricalDist, Tag("empirical")],
    Discriminator(
        _dist_tag,
        custom_error_type="invalid_distribution",
        custom_error_message="expected dist: constant, exponential, lognormal, uniform or empirical",
    ),
    BeforeValidator(_dist_shorthand),
]
