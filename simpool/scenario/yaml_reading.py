"""Reading YAML as scenarios need it: YAML 1.2 booleans, numbers that keep the text they
were written as, and bounds on nesting and size, so that a hostile file cannot exhaust the
stack or the memory."""

from __future__ import annotations

import re
from typing import Any

import yaml

from ._base import HugeInt, WrittenFloat, WrittenInt

MAX_DEPTH = 64
"""Deepest nesting of a YAML document (a scenario is four levels deep)."""
MAX_VALUES = 100_000
"""Most values in a YAML document, YAML aliases expanded (each use counts)."""


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error in one line, with its line and column."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    kind = "YAML too large" if isinstance(exc, _TooLarge) else "YAML syntax error"
    return f"{kind}: {where}{problem}"


class _TooLarge(yaml.composer.ComposerError):
    """A document nested too deeply or holding too many values."""


class _Loader(yaml.SafeLoader):
    """YAML with YAML 1.2 booleans: only ``true``/``false``. PyYAML follows YAML 1.1, where
    ``on``, ``off``, ``yes`` and ``no`` are booleans too, which would turn the ``on:`` and
    ``off:`` keys of an onoff arrival process into ``True`` and ``False``.

    Numbers keep the text they were written as (:class:`WrittenInt`, :class:`WrittenFloat`)
    for fields that want text (``go_version: 1.20``); an integer of more digits than any
    bound is a :class:`HugeInt` (Python refuses to convert more than 4,300 digits).
    Nesting is bounded (:data:`MAX_DEPTH`), so a hostile file cannot exhaust the stack.
    """

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooLarge(None, None, f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: Any) -> Any:
        text = self.construct_scalar(node)
        if sum(c.isdigit() for c in text) > 30:
            return HugeInt(text)
        return WrittenInt(super().construct_yaml_int(node), text)

    def construct_yaml_float(self, node: Any) -> Any:
        return WrittenFloat(super().construct_yaml_float(node), self.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def parse_yaml(text: str) -> Any:
    """A YAML document (a scenario file, or the value of a ``--set``) as plain data.

    Raises:
        yaml.YAMLError: on a syntax error, or a document too deep or too large.
    """
    data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    _count_values(data)
    return data


def _count_values(data: Any) -> None:
    """Refuse more than MAX_VALUES values, aliases expanded: ``&a [*b, *b, ...]`` nested
    ten deep is a few lines of YAML and billions of values once copied or validated."""
    stack, seen = [data], 0
    while stack:
        value = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise _TooLarge(None, None, f"more than {MAX_VALUES:,} values (each use of an alias counts)", None)
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
