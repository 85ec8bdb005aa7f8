"""Go durations (``250ms``, ``1h30m``) and rates (``800/s``) to and from seconds.

Simulation time is in seconds everywhere inside simpool; these helpers are the only
place that knows the textual forms users write.
"""

from __future__ import annotations

import math
import re

MAX_SECONDS = 8760 * 3600.0
"""The longest duration anywhere in a scenario: a year (``8760h``)."""
MAX_RATE = 10_000_000.0
"""The highest rate: ten million per second."""

_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,  # U+00B5, as Go accepts
    "μs": 1e-6,  # U+03BC, as Go accepts
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_RATE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*/\s*(s|sec|second|min|minute|h|hour)\s*$")
_RATE_UNIT = {"s": 1.0, "sec": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}


def _unit_text(value: object, what: str, example: str, with_unit: str) -> str | None:
    """The stripped text of a value that needs a unit, or None for a bare zero (the one
    number allowed without one); anything else that is not text, or is negative, is an
    error quoting it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a {what} such as {example} (not {quote(value)})")
    if not isinstance(value, str):
        if value == 0:
            return None
        if abs(value) >= 10**15 or not math.isfinite(value):  # ints first: a huge one is no float
            raise ValueError(f"expected a {what} such as {example} (not {quote(value)})")
        raise ValueError(f"missing unit in {what} {value!r}: write e.g. {with_unit.format(v=value)}")
    text = value.strip()
    if text.startswith("-"):
        raise ValueError(f"{what} must not be negative (not {quote(value)})")
    return text


def parse_duration(value: object) -> float:
    """Seconds from a Go duration string (``time.ParseDuration`` syntax, no sign).

    ``0`` (string or number) is accepted without a unit, as Go does; any other bare
    number is rejected because its unit would be a guess.

    Raises:
        ValueError: with a message that quotes the bad value.
    """
    text = _unit_text(value, "duration", "'250ms' or '1h30m'", "'{v}s' or '{v}ms'")
    if text is None or text in ("0", "0.0", "+0"):
        return 0.0
    if text.startswith("+"):
        text = text[1:]
    pos, total = 0, 0.0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if match is None:
            if re.fullmatch(r"\d+(\.\d*)?", text[pos:]):
                raise ValueError(f"missing unit in duration {quote(value)} (use ns, us, ms, s, m or h)")
            raise ValueError(f"invalid duration {quote(value)}: expected e.g. '250ms', '1.5s' or '1h30m'")
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not text:
        raise ValueError("empty duration")
    if not total <= MAX_SECONDS:
        raise ValueError(f"duration {quote(value)} is longer than a year (at most 8760h)")
    return total


def format_duration(seconds: float) -> str:
    """The Go spelling of a duration, e.g. ``1h30m0s`` → written here as ``1h30m``, ``250ms``."""
    if seconds == 0:
        return "0"
    if math.isinf(seconds):
        return "inf"
    ns = round(seconds * 1e9)
    if ns < 1_000:
        return f"{ns}ns"
    if ns < 1_000_000:
        return f"{_trim(ns / 1e3)}us"
    if ns < 1_000_000_000:
        return f"{_trim(ns / 1e6)}ms"
    hours, rest = divmod(ns, 3_600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if rest:
        parts.append(f"{_trim(rest / 1e9, 9)}s")
    return "".join(parts)


def _trim(x: float, decimals: int = 6) -> str:
    text = f"{x:.{decimals}f}".rstrip("0").rstrip(".")
    return text or "0"


def parse_rate(value: object) -> float:
    """Events per second from ``N/s``, ``N/min`` or ``N/h`` (``0`` alone is allowed).

    Raises:
        ValueError: with a message that quotes the bad value.
    """
    text = _unit_text(value, "rate", "'800/s' or '48000/min'", "'{v}/s'")
    if text is None or text == "0":
        return 0.0
    match = _RATE.match(text)
    if match is None:
        raise ValueError(f"invalid rate {quote(value)}: expected e.g. '800/s', '48000/min' or '100/h'")
    per_second = float(text.split("/")[0]) / _RATE_UNIT[match.group(2)]
    if not per_second <= MAX_RATE:
        raise ValueError(f"rate {quote(value)} is above the highest allowed, 10,000,000/s")
    return per_second


def format_rate(per_second: float) -> str:
    """The shortest exact spelling: ``800/s``, else a whole number per minute or hour
    (``100/min``), else every digit per second, so that parsing it gives the same rate."""
    short = f"{per_second:.6g}"
    if float(short) == per_second and "e" not in short:
        return f"{short}/s"
    for unit, factor in (("min", 60.0), ("h", 3600.0)):
        count = round(per_second * factor)
        if count and count / factor == per_second:
            return f"{count}/{unit}"
    return f"{per_second!r}/s"


def quote(value: object, limit: int = 40) -> str:
    """``repr(value)`` for an error message, cut short if long (a 5,000-character value
    must not make a 5,000-character line)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 10]}…({len(text):,} characters)"
