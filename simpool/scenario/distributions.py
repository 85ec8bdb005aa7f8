"""Distribution specs: ``{dist: exponential, mean: 5ms}`` and friends, or just ``3ms``."""

from __future__ import annotations

import csv
import io
import json
import math
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

from ..units import format_duration, parse_duration
from ._base import Duration, FileError, Spec, read_text


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
    scenario file."""

    dist: Literal["empirical"] = "empirical"
    file: str = Field(..., description="CSV or JSON file of samples (milliseconds).")
    _samples: tuple[float, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> EmpiricalDist:
        text = read_text(self.file, info)
        try:
            self._samples = tuple(_parse_samples(text, self.file))
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
                raise ValueError(f"{where}: {raw!r} is neither milliseconds nor a duration") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{where}: sample {raw!r} must be a finite value >= 0")
    return value


def _parse_samples(text: str, name: str) -> list[float]:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}: invalid JSON ({exc.msg}, line {exc.lineno})") from None
        values = [_sample_value(v, f"{name} item {i}") for i, v in enumerate(data)]
    else:
        reader = csv.reader(io.StringIO(text))
        rows = [(reader.line_num, r) for r in reader if r and r[0].strip()]
        column = 0
        if rows and not _is_sample(rows[0][1][0]):
            header = [h.strip() for h in rows[0][1]]
            column = header.index("ms") if "ms" in header else 0
            rows = rows[1:]
        values = [_sample_value(r[column] if column < len(r) else "", f"{name} line {line}")
                  for line, r in rows]
    if not values:
        raise ValueError(f"{name}: no samples found")
    return values


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
