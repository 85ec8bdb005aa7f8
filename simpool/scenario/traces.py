"""Replayed traces: a CSV or JSON list of requests, read as it streams into compact columns.

A row costs 36 bytes here (four doubles and an int), not the ~400 of a tuple of Python
objects, and the file is read a line (or a JSON item) at a time, so a trace of millions of
requests validates in bounded memory; at most :data:`MAX_ROWS` rows. Rows are sorted by
time (a stable sort: equal times keep their order in the file). The same file, unchanged,
is parsed once per process (a sweep validates every point).
"""

from __future__ import annotations

import math
import os
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..units import MAX_SECONDS, quote
from .files import FileError, records

MAX_ROWS = 10_000_000
"""Longest trace, in requests (360 MB of columns)."""
MAX_INSTANCE = 9_999
"""Highest instance index a trace may name (a fleet has at most 10,000 instances)."""
COLUMNS = ("t_ms", "instance", "service_ms", "timeout_ms", "handshake_ms")

TraceRow = tuple[float, "int | None", "float | None", "float | None", "float | None"]
"""(time, instance index, service seconds per query, timeout seconds, handshake seconds of
a dial the request itself makes); None where not given."""


@dataclass(frozen=True, eq=False)
class Trace:
    """A trace's columns, in time order: times, instance indices (-1: none named),
    service, timeout and handshake seconds (NaN: not given)."""

    t: array
    instance: array
    service: array
    timeout: array
    handshake: array

    def __len__(self) -> int:
        return len(self.t)

    @property
    def last(self) -> float:
        """Time of the last request."""
        return self.t[-1]

    @property
    def max_instance(self) -> int:
        """Highest instance index named (-1 if none is)."""
        return max(self.instance, default=-1)

    def count(self, end: float) -> int:
        """Requests before ``end``."""
        return bisect_left(self.t, end)

    def rows(self, end: float = math.inf) -> Iterator[TraceRow]:
        """The rows before ``end``, in time order."""
        t, instance, service, timeout, handshake = self.t, self.instance, self.service, self.timeout, self.handshake
        for i in range(self.count(end)):
            s, d, h = service[i], timeout[i], handshake[i]
            yield (t[i], None if instance[i] < 0 else instance[i], None if s != s else s, None if d != d else d,
                   None if h != h else h)


_CACHE: OrderedDict[tuple[Any, ...], Trace] = OrderedDict()
_CACHE_SIZE = 4


def read_trace(path: Path, name: str) -> Trace:
    """The trace in ``path`` (``name`` is how errors call it).

    Raises:
        ValueError: naming the file, the line (or item) and the problem.
    """
    try:
        info = os.stat(path)
        key = (str(path.resolve()), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    except (OSError, RuntimeError):
        key = None
    if key is not None and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    trace = _parse(path, name)
    if key is not None:
        _CACHE[key] = trace
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return trace


def _parse(path: Path, name: str) -> Trace:
    t, instance, service, timeout, handshake = array("d"), array("i"), array("d"), array("d"), array("d")
    ordered = True
    for where, record in records(path, name, header="t_ms"):
        if not isinstance(record, dict):
            record = {"t_ms": record}
        unknown = [key for key in record if key not in COLUMNS]
        if unknown:
            raise FileError(f"{where}: unknown column {str(unknown[0])!r}")
        if len(t) >= MAX_ROWS:
            raise FileError(f"{name}: more than {MAX_ROWS:,} requests")
        at = _milliseconds(record.get("t_ms"), where, "t_ms")
        if at is None:
            raise FileError(f"{where}: t_ms is missing")
        ordered = ordered and (not t or at >= t[-1])
        t.append(at)
        instance.append(_instance(record.get("instance"), where))
        for column, values in (("service_ms", service), ("timeout_ms", timeout), ("handshake_ms", handshake)):
            value = _milliseconds(record.get(column), where, column)
            values.append(math.nan if value is None else value)
    if not t:
        raise FileError(f"{name}: no requests found")
    if not ordered:
        import numpy as np

        order = np.argsort(np.frombuffer(t, dtype="d"), kind="stable")
        t, instance, service, timeout, handshake = (
            array(column.typecode, np.frombuffer(column, dtype=column.typecode)[order].tobytes())
            for column in (t, instance, service, timeout, handshake))
    return Trace(t, instance, service, timeout, handshake)


def _milliseconds(value: Any, where: str, column: str) -> float | None:
    """Seconds from a cell in milliseconds; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise FileError(f"{where}: {column} {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise FileError(f"{where}: {column} {quote(value)} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise FileError(f"{where}: {column} must be a finite number >= 0 (not {quote(value)})")
    if number > MAX_SECONDS * 1e3:
        raise FileError(f"{where}: {column} must be at most {MAX_SECONDS * 1e3:.0f} ms, a year (not {quote(value)})")
    return number / 1e3


def _instance(value: Any, where: str) -> int:
    """An instance index from ``2``, ``"2"`` or ``"app-2"``; -1 for none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return -1
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and text.startswith("app-"):
        text = text[4:]
    if isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 4:
        text = int(text)
    if isinstance(text, int) and not isinstance(text, bool) and 0 <= text <= MAX_INSTANCE:
        return text
    raise FileError(f"{where}: instance must be an index 0..{MAX_INSTANCE} or a name app-0..app-{MAX_INSTANCE} "
                      f"(not {quote(value)})")
