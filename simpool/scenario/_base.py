"""Building blocks of the scenario models: durations, rates, the strict base model, files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationInfo,
)

from ..units import format_duration, format_rate, parse_duration, parse_rate

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""Seconds, written as a Go duration string."""

Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    PlainSerializer(format_rate, return_type=str, when_used="json"),
]
"""Events per second, written as ``N/s``, ``N/min`` or ``N/h``."""


class Spec(BaseModel):
    """A scenario section: unknown keys are errors; defaults are validated too."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=True)


def resolve_path(path: str, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir") if info is not None else None
    candidate = Path(path).expanduser()
    if not candidate.is_absolute() and base is not None:
        candidate = Path(base) / candidate
    return candidate


def read_text(path: str, info: ValidationInfo) -> str:
    resolved = resolve_path(path, info)
    try:
        return resolved.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {str(resolved)!r}: {exc.strerror or exc}") from None
