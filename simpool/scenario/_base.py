"""Building blocks of the scenario models: durations, rates, bounded numbers and text, the
strict base model, files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationInfo,
)

from ..units import format_duration, format_rate, parse_duration, parse_rate
from .files import expand

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""Seconds, written as a Go duration string (at most a year, ``8760h``)."""

Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    PlainSerializer(format_rate, return_type=str, when_used="json"),
]
"""Events per second, written as ``N/s``, ``N/min`` or ``N/h`` (at most 10,000,000/s)."""


class WrittenInt(int):
    """An integer as YAML read it, with the text it was written as (``007``)."""

    text: str

    def __new__(cls, value: int, text: str) -> WrittenInt:
        self = super().__new__(cls, value)
        self.text = text
        return self


class WrittenFloat(float):
    """A float as YAML read it, with the text it was written as: ``1.20`` stays ``1.20``
    where a field wants text (a Go version), though the number is 1.2."""

    text: str

    def __new__(cls, value: float, text: str) -> WrittenFloat:
        self = super().__new__(cls, value)
        self.text = text
        return self


class HugeInt(WrittenInt):
    """An integer written with more digits than any bound allows (Python will not even
    convert more than 4,300): it stands in as 10**30, so that the field's upper bound
    rejects it, and it reads as "a 5,000-digit number" in the message."""

    def __new__(cls, text: str) -> HugeInt:
        return super().__new__(cls, -(10**30) if text.lstrip().startswith("-") else 10**30, text)

    def __repr__(self) -> str:
        return f"a {sum(c.isdigit() for c in self.text):,}-digit number"

    __str__ = __repr__


def _reject_bool(value: object) -> object:
    """pydantic's lax mode reads ``true`` as 1; in a count or a fraction that is a typo."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, not a boolean ({str(value).lower()})")
    return value


def as_written(value: object) -> object:
    """A number YAML read where text is wanted, as it was written (``1.20``, not ``1.2``)."""
    return value.text if isinstance(value, (WrittenInt, WrittenFloat)) else value


Int = Annotated[int, BeforeValidator(_reject_bool)]
"""An integer that refuses ``true``/``false``."""

OptionalInt = Annotated[int | None, BeforeValidator(_reject_bool)]
"""An integer or null (absent = a default chosen later) that refuses booleans."""

Float = Annotated[float, BeforeValidator(_reject_bool)]
"""A number that refuses ``true``/``false``."""


def _text_check(limit: int, *, one_line: bool):
    def check(text: str) -> str:
        if len(text) > limit:
            raise ValueError(f"longer than {limit:,} characters ({len(text):,})")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"holds {text[exc.start]!r} at {exc.start}, which is not a character "
                             "(a lone UTF-16 surrogate)") from None
        if one_line and any(not c.isprintable() for c in text):
            bad = next(c for c in text if not c.isprintable())
            raise ValueError(f"holds the control character {bad!r}; use plain text on one line")
        return text
    return check


Name = Annotated[str, BeforeValidator(as_written), AfterValidator(_text_check(100, one_line=True))]
"""Short text on one line (a scenario's name, also its output folder's)."""
Text = Annotated[str, BeforeValidator(as_written), AfterValidator(_text_check(10_000, one_line=False))]
"""Longer text (a description)."""
FileName = Annotated[str, BeforeValidator(as_written), AfterValidator(_text_check(4_096, one_line=True))]
"""A file's path, relative to the scenario file."""


class Spec(BaseModel):
    """A scenario section: unknown keys are errors; defaults are validated too; numbers
    are finite."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=True, allow_inf_nan=False)


def resolve_path(path: str, info: ValidationInfo) -> Path:
    """``path`` with ``~`` expanded, relative to the scenario file's folder."""
    base = (info.context or {}).get("base_dir") if info is not None else None
    candidate = expand(path)
    if not candidate.is_absolute() and base is not None:
        candidate = Path(base) / candidate
    return candidate

