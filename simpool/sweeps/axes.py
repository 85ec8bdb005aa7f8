"""Sweep axes: the value syntax (``10..50``, ``10..50:5``, ``2,5,10``, ``0,30m,1h``,
``default``) and the grid they span.

Values become what a YAML file would hold (ints, floats, duration strings such as
``"30m"``), so a swept point is validated exactly as the same setting written in a file.
``default`` stands for the model's own default (Go's default for pool settings: unlimited
``max_open``, ``max_idle`` absent = 2, lifetimes 0 = forever).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

import yaml

from ..exceptions import ScenarioError
from ..scenario import field_default
from ..scenario._base import HugeInt, WrittenFloat, WrittenInt
from ..scenario.loading import field_is_text
from ..scenario.yaml_reading import parse_yaml
from ..units import format_duration, parse_duration, quote

DEFAULT = "default"
"""The value that stands for the field's built-in default."""

MAX_AXIS_VALUES = 1_000_000
"""A single axis longer than this is a typo (``1..10000000``), refused before it is built."""
MAX_DIGITS = 15
"""Significant digits of a number in a range (a double holds 15 exactly)."""


@dataclass(frozen=True)
class Axis:
    """One swept setting: a dotted scenario path and its values, in order.

    ``values`` are YAML-typed (ints, floats, duration strings, or ``"default"``); they go
    into the CSV as written and into the scenario as :meth:`override` says.
    """

    path: str
    values: tuple[Any, ...]

    @property
    def name(self) -> str:
        """The last part of the path (``max_open``), for table headers and axis labels; a
        service's setting keeps its service's name (``batch.max_open``)."""
        parts = self.path.split(".")
        return f"{parts[1]}.{parts[-1]}" if parts[0] == "services" and len(parts) > 2 else parts[-1]

    def override(self, value: Any) -> Any:
        """The value to write into the scenario data (``default`` → the field's default)."""
        return field_default(self.path) if value == DEFAULT else value

    def labels(self) -> list[str]:
        return [label(v) for v in self.values]


def label(value: Any) -> str:
    """How a setting is written in tables, titles and the CSV."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def make_axes(axes: dict[str, Any] | Sequence[Axis]) -> tuple[Axis, ...]:
    """Axes from ``{path: values}`` where values are a list or a string in the range syntax."""
    if isinstance(axes, dict):
        built = []
        for path, values in axes.items():
            if isinstance(values, str):
                values = parse_values(values, field=path, path=path)
            built.append(Axis(path, tuple(values)))
        result = tuple(built)
    else:
        result = tuple(axes)
    if not result:
        raise ScenarioError("nothing to sweep: give at least one axis", field="axes")
    seen: set[str] = set()
    for axis in result:
        if axis.path in seen:
            raise ScenarioError("swept twice", field=axis.path)
        seen.add(axis.path)
        if not axis.values:
            raise ScenarioError("an axis needs at least one value", field=axis.path)
        labels: set[str] = set()
        for value in axis.labels():
            if value in labels:
                raise ScenarioError(f"value {quote(value)} appears twice", field=axis.path)
            labels.add(value)
    return result


def grid_size(axes: Iterable[Axis]) -> int:
    size = 1
    for axis in axes:
        size *= len(axis.values)
    return size


# ---------------------------------------------------------------------------- value syntax


def parse_values(text: str, *, field: str | None = None, path: str | None = None) -> list[Any]:
    """Values from the command-line syntax.

    ``10..50`` (inclusive, step 1), ``10..50:5``, ``0..1h:15m`` (durations need a step),
    ``0..0.5:0.1``, lists ``2,5,10`` and ``0,30m,1h``, and ``default``. A list item is read
    as YAML (``30m`` stays a string, ``5`` is an int), as ``--set`` reads a value: for a
    text field (``path``, e.g. a Go version) as written, and with no range syntax. A
    range's values stop at or before its end.

    Raises:
        ScenarioError: naming ``field`` and quoting the bad text.
    """
    text = text.strip()
    if not text:
        raise ScenarioError("no values given (expected e.g. 10..50, 10..50:5 or 2,5,10)", field=field)
    text_field = path is not None and field_is_text(path)
    if ".." in text and not text_field:
        return _parse_range(text, field)
    values = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise ScenarioError(f"empty item in list {quote(text)}", field=field)
        if item == DEFAULT:
            values.append(DEFAULT)
            continue
        try:
            values.append(item if text_field else _plain(parse_yaml(item)))
        except yaml.YAMLError:
            raise ScenarioError(f"cannot read value {quote(item)}", field=field) from None
    if len(values) > MAX_AXIS_VALUES:
        raise ScenarioError(f"{len(values):,} values (at most {MAX_AXIS_VALUES:,})", field=field)
    return values


def _plain(value: Any) -> Any:
    """A YAML number as a plain int or float (a HugeInt stays, to be refused by name)."""
    if isinstance(value, WrittenInt) and not isinstance(value, HugeInt):
        return int(value)
    return float(value) if isinstance(value, WrittenFloat) else value


def _parse_range(text: str, field: str | None) -> list[Any]:
    body, _, step_text = text.partition(":")
    start_text, sep, end_text = body.partition("..")
    if not sep or not start_text.strip() or not end_text.strip() or ".." in end_text:
        raise ScenarioError(f"cannot read range {quote(text)} (expected START..END or START..END:STEP)", field=field)
    start_text, end_text, step_text = start_text.strip(), end_text.strip(), step_text.strip()
    if ":" in text and not step_text:
        raise ScenarioError(f"missing step after ':' in {quote(text)}", field=field)
    parts = [start_text, end_text] + ([step_text] if step_text else [])
    kind, numbers = _range_numbers(parts, text, field)
    if len(numbers) == 2:
        if kind != "int":
            raise ScenarioError(f"a range of {kind}s needs a step, e.g. {start_text}..{end_text}:STEP", field=field)
        numbers.append(Decimal(1))
    start, end, step = numbers
    if step <= 0:
        raise ScenarioError(f"step must be positive (not {quote(step_text)})", field=field)
    if start > end:
        raise ScenarioError(f"empty range {quote(text)}: start {start_text} is after end {end_text}", field=field)
    with localcontext() as exact:
        exact.prec = 60  # every bound has at most 15 significant digits: the quotient's floor is exact
        count = int((end - start) / step) + 1
    if count > MAX_AXIS_VALUES:
        raise ScenarioError(f"range {quote(text)} has {count:,} values (at most {MAX_AXIS_VALUES:,})", field=field)
    values = [start + i * step for i in range(count)]
    if kind == "int":
        return [int(v) for v in values]
    if kind == "duration":
        return [format_duration(float(v)) for v in values]
    return [float(v) for v in values]


def _range_numbers(parts: list[str], text: str, field: str | None) -> tuple[str, list[Decimal]]:
    """The range's kind (int, decimal, duration) and its numbers as exact decimals, so that
    ``0..0.3:0.1`` ends at 0.3 and not 0.30000000000000004. Each number has at most
    :data:`MAX_DIGITS` significant digits and a magnitude within 10^±15, so the arithmetic
    stays exact and cheap (``1e-100`` steps and 32-digit bounds are refused here).

    Raises:
        ScenarioError: for text that is none of the three, or numbers out of those bounds.
    """
    try:
        numbers = [Decimal(p) for p in parts]
    except InvalidOperation:
        numbers = None
    if numbers is not None and all(n.is_finite() for n in numbers):
        for number, part in zip(numbers, parts, strict=True):
            too_many_digits = len(number.as_tuple().digits) > MAX_DIGITS
            if too_many_digits or (number and not -15 <= number.adjusted() < 15):  # no arithmetic yet
                raise ScenarioError(f"cannot use {quote(part)} in a range: numbers need at most {MAX_DIGITS} "
                                    "significant digits and a size between 1e-15 and 1e15", field=field)
        whole = (n == n.to_integral_value() and "." not in p and "e" not in p.lower()
                 for n, p in zip(numbers, parts, strict=True))
        if all(whole):
            return "int", numbers
        return "decimal", numbers
    try:
        # Durations in whole nanoseconds (Go's resolution) keep the arithmetic exact.
        return "duration", [Decimal(round(parse_duration(p) * 1e9)) / Decimal(10**9) for p in parts]
    except ValueError as exc:
        problem = f" ({exc})" if any(p.rstrip()[-1:].isalpha() for p in parts) else ""
        raise ScenarioError(
            f"cannot read range {quote(text)}: use integers (10..50:5), decimals (0..0.5:0.1) "
            f"or durations with a step (0..1h:15m){problem}", field=field) from None
