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


def _reject_bool(value: object) -> object:
    """pydantic's lax mode reads ``true`` as 1; in a count or a fraction that is a typo."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, not a boolean ({str(value).lower()})")
    return value


Int = Annotated[int, BeforeValidator(_reject_bool)]
"""An integer that refuses ``true``/``false``."""

OptionalInt = Annotated[int | None, BeforeValidator(_reject_bool)]
"""An integer or null (absent = a default chosen later) that refuses booleans."""

Float = Annotated[float, BeforeValidator(_reject_bool)]
"""A number that refuses ``true``/``false``."""


class FileError(ValueError):
    """A problem with a file a scenario names (a trace, a sample list): reported at the
    ``file`` field of the section that names it."""


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
        raise FileError(f"cannot read {str(resolved)!r}: {exc.strerror or exc}") from None
