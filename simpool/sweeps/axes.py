"""Sweep axes: the value syntax (``10..50``, ``10..50:5``, ``2,5,10``, ``0,30m,1h``,
``default``) and the grid they span.

Values become what a YAML file would hold (ints, floats, duration strings such as
``"30m"``), so a swept point is validated exactly as the same setting written in a file.
``default`` stands for the model's own default (Go's default for pool settings: unlimited
``max_open``, ``max_idle`` absent = 2, lifetimes 0 = forever).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from ..exceptions import ScenarioError
from ..scenario import field_default
from ..units import format_duration, parse_duration

DEFAULT = "default"
"""The value that stands for the field's built-in default."""

MAX_AXIS_VALUES = 1_000_000
"""A single axis longer than this is a typo (``1..10000000``), refused before it is built."""


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
        """The last part of the path (``max_open``), for table headers and axis labels."""
        return self.path.rsplit(".", 1)[-1]

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
                values = parse_values(values, field=path)
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
        labels = axis.labels()
        for value in labels:
            if labels.count(value) > 1:
                raise ScenarioError(f"value {value!r} appears twice", field=axis.path)
    return result


def grid_size(axes: Iterable[Axis]) -> int:
    size = 1
    for axis in axes:
        size *= len(axis.values)
    return size


def grid(axes: Sequence[Axis]) -> list[tuple[Any, ...]]:
    """Every combination, the first axis varying slowest (row-major, as nested loops)."""
    return list(itertools.product(*(axis.values for axis in axes)))


# ---------------------------------------------------------------------------- value syntax


def parse_values(text: str, *, field: str | None = None) -> list[Any]:
    """Values from the command-line syntax.

    ``10..50`` (inclusive, step 1), ``10..50:5``, ``0..1h:15m`` (durations need a step),
    ``0..0.5:0.1``, lists ``2,5,10`` and ``0,30m,1h``, and ``default``. A list item is read
    as YAML (``30m`` stays a string, ``5`` is an int); a range's values stop at or before
    its end.

    Raises:
        ScenarioError: naming ``field`` and quoting the bad text.
    """
    text = text.strip()
    if not text:
        raise ScenarioError("no values given (expected e.g. 10..50, 10..50:5 or 2,5,10)", field=field)
    if ".." in text:
        return _parse_range(text, field)
    values = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise ScenarioError(f"empty item in list {text!r}", field=field)
        if item == DEFAULT:
            values.append(DEFAULT)
            continue
        try:
            values.append(yaml.safe_load(item))
        except yaml.YAMLError:
            raise ScenarioError(f"cannot read value {item!r}", field=field) from None
    return values


def _parse_range(text: str, field: str | None) -> list[Any]:
    body, _, step_text = text.partition(":")
    start_text, sep, end_text = body.partition("..")
    if not sep or not start_text.strip() or not end_text.strip() or ".." in end_text:
        raise ScenarioError(f"cannot read range {text!r} (expected START..END or START..END:STEP)", field=field)
    start_text, end_text, step_text = start_text.strip(), end_text.strip(), step_text.strip()
    if ":" in text and not step_text:
        raise ScenarioError(f"missing step after ':' in {text!r}", field=field)
    parts = [start_text, end_text] + ([step_text] if step_text else [])
    kind, numbers = _range_numbers(parts)
    if kind is None:
        raise ScenarioError(
            f"cannot read range {text!r}: use integers (10..50:5), decimals (0..0.5:0.1) "
            f"or durations with a step (0..1h:15m)", field=field)
    if len(numbers) == 2:
        if kind != "int":
            raise ScenarioError(f"a range of {kind}s needs a step, e.g. {start_text}..{end_text}:STEP", field=field)
        numbers.append(Decimal(1))
    start, end, step = numbers
    if step <= 0:
        raise ScenarioError(f"step must be positive (not {step_text!r})", field=field)
    if start > end:
        raise ScenarioError(f"empty range {text!r}: start {start_text} is after end {end_text}", field=field)
    count = int((end - start) // step) + 1
    if count > MAX_AXIS_VALUES:
        raise ScenarioError(f"range {text!r} has {count:,} values (at most {MAX_AXIS_VALUES:,})", field=field)
    values = [start + i * step for i in range(count)]
    if kind == "int":
        return [int(v) for v in values]
    if kind == "duration":
        return [format_duration(float(v)) for v in values]
    return [float(v) for v in values]


def _range_numbers(parts: list[str]) -> tuple[str | None, list[Decimal]]:
    """The range's kind (int, decimal, duration) and its numbers as exact decimals, so that
    ``0..0.3:0.1`` ends at 0.3 and not 0.30000000000000004."""
    try:
        numbers = [Decimal(p) for p in parts]
    except InvalidOperation:
        numbers = None
    if numbers is not None and all(n.is_finite() for n in numbers):
        whole = (n == n.to_integral_value() and "." not in p and "e" not in p.lower()
                 for n, p in zip(numbers, parts, strict=True))
        if all(whole):
            return "int", numbers
        return "decimal", numbers
    try:
        # Durations in whole nanoseconds (Go's resolution) keep the arithmetic exact.
        return "duration", [Decimal(round(parse_duration(p) * 1e9)) / Decimal(10**9) for p in parts]
    except ValueError:
        return None, []
