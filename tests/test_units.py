"""Go durations and rates: parsing, formatting and their round trips (simpool.units)."""

from __future__ import annotations

import pytest

from simpool.units import format_duration, format_rate, parse_duration, parse_rate

# ---------------------------------------------------------------------------- parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0.0),
        ("0s", 0.0),
        ("250ms", 0.25),
        ("1.5s", 1.5),
        ("1h30m", 5400.0),
        ("2h45m30.5s", 2 * 3600 + 45 * 60 + 30.5),
        ("1ns", 1e-9),
        ("1us", 1e-6),
        ("1µs", 1e-6),  # U+00B5 MICRO SIGN
        ("1μs", 1e-6),  # U+03BC GREEK SMALL LETTER MU
        ("3m", 180.0),
        ("24h", 86400.0),
        (".5s", 0.5),
        ("1s500ms", 1.5),
        ("+2s", 2.0),
        ("  10ms  ", 0.01),
    ],
)
def test_parse_duration_accepts_go_syntax(text, seconds):
    """Go time.ParseDuration strings convert to the right number of seconds."""
    assert parse_duration(text) == pytest.approx(seconds, rel=1e-12, abs=0)


@pytest.mark.parametrize("value", [0, 0.0])
def test_parse_duration_accepts_numeric_zero(value):
    """A bare numeric 0 needs no unit (as in Go) and means zero seconds."""
    result = parse_duration(value)
    assert result == 0.0
    assert isinstance(result, float)


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        ("10", "missing unit"),
        ("1.5", "missing unit"),
        ("1h30", "missing unit"),
        ("-1s", "must not be negative"),
        ("-0.5ms", "must not be negative"),
        ("abc", "invalid duration"),
        ("1x", "invalid duration"),
        ("1 s", "invalid duration"),
        ("1e3s", "invalid duration"),
        ("", "empty duration"),
        ("   ", "empty duration"),
    ],
)
def test_parse_duration_rejects_bad_strings(value, phrase):
    """Strings without a unit, negative, empty or malformed are rejected with a clear reason."""
    with pytest.raises(ValueError) as info:
        parse_duration(value)
    assert phrase in str(info.value)
    if value.strip():
        assert repr(value) in str(info.value), "the message quotes the bad value"


@pytest.mark.parametrize("value", [True, False])
def test_parse_duration_rejects_bools(value):
    """YAML booleans (yes/no/true) are not durations, not even False == 0."""
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(value)


@pytest.mark.parametrize("value", [5, 1.5, -1, 10**6])
def test_parse_duration_rejects_bare_nonzero_numbers(value):
    """A bare number other than 0 is rejected because its unit would be a guess."""
    with pytest.raises(ValueError, match="missing unit"):
        parse_duration(value)


@pytest.mark.parametrize("value", [None, [], {}, b"1s"])
def test_parse_duration_rejects_other_types(value):
    """Values that are neither strings nor numbers are rejected."""
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(value)


# ---------------------------------------------------------------------------- format_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0"),
        (1e-9, "1ns"),
        (1e-6, "1us"),
        (1.5e-6, "1.5us"),
        (0.001, "1ms"),
        (0.25, "250ms"),
        (1, "1s"),
        (1.5, "1.5s"),
        (60, "1m"),
        (90, "1m30s"),
        (3600, "1h"),
        (5400, "1h30m"),
        (9930.5, "2h45m30.5s"),
        (86400, "24h"),
        (2 * 3600 + 11 * 60 + 15, "2h11m15s"),
    ],
)
def test_format_duration_spells_like_go(seconds, text):
    """Seconds are written in Go's spelling, with zero parts left out."""
    assert format_duration(seconds) == text


ROUND_TRIP_SECONDS = [
    0.0, 1e-9, 7e-9, 5e-7, 1e-6, 1.5e-6, 999e-6, 1e-3, 0.0123456, 0.25, 0.999999,
    1.0, 1.5, 2.000001, 59.999, 60.0, 61.5, 90.0, 123.456789, 3599.5, 3600.0, 5400.0,
    9930.5, 86400.0, 7 * 86400 + 0.125,
]


@pytest.mark.parametrize("seconds", ROUND_TRIP_SECONDS)
def test_format_then_parse_duration_round_trips(seconds):
    """format_duration then parse_duration gives back the same seconds (to float precision)."""
    text = format_duration(seconds)
    assert parse_duration(text) == pytest.approx(seconds, rel=1e-12, abs=1e-15)


def test_format_duration_keeps_nanoseconds_above_one_second():
    """Durations of 1s or more keep nanosecond precision, as Go's Duration.String does."""
    assert format_duration(1.000000001) == "1.000000001s"
    assert parse_duration(format_duration(1.0000005)) == pytest.approx(1.0000005, rel=1e-12)


@pytest.mark.parametrize("text", ["0", "250ms", "1.5s", "1h30m", "2h45m30.5s", "1us", "1m0.5s", "24h"])
def test_parse_then_format_duration_is_canonical(text):
    """Canonical strings survive parse then format unchanged."""
    assert format_duration(parse_duration(text)) == text


def test_format_duration_normalises_equivalent_spellings():
    """Different spellings of one duration format to the same canonical text."""
    assert format_duration(parse_duration("90s")) == "1m30s"
    assert format_duration(parse_duration("1500ms")) == "1.5s"
    assert format_duration(parse_duration("0.5h")) == "30m"


# ---------------------------------------------------------------------------- rates


@pytest.mark.parametrize(
    ("text", "per_second"),
    [
        ("800/s", 800.0),
        ("48000/min", 800.0),
        ("3600/h", 1.0),
        ("0", 0.0),
        ("0/s", 0.0),
        ("1.5/s", 1.5),
        (".5/s", 0.5),
        ("120/minute", 2.0),
        ("10/sec", 10.0),
        ("7200/hour", 2.0),
        (" 10 / s ", 10.0),
    ],
)
def test_parse_rate_accepts_per_second_minute_hour(text, per_second):
    """N/s, N/min and N/h convert to events per second."""
    assert parse_rate(text) == pytest.approx(per_second, rel=1e-12, abs=0)


def test_parse_rate_accepts_numeric_zero():
    """A bare numeric 0 is a valid (empty) rate."""
    assert parse_rate(0) == 0.0


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        ("fast", "invalid rate"),
        ("10", "invalid rate"),
        ("10/day", "invalid rate"),
        ("/s", "invalid rate"),
        ("", "invalid rate"),
        ("-5/s", "must not be negative"),
        (10, "missing unit"),
        (2.5, "missing unit"),
        (True, "expected a rate"),
        (None, "expected a rate"),
    ],
)
def test_parse_rate_rejects_bad_values(value, phrase):
    """Rates without a unit, with an unknown unit, negative or of the wrong type are rejected."""
    with pytest.raises(ValueError) as info:
        parse_rate(value)
    assert phrase in str(info.value)


@pytest.mark.parametrize(("per_second", "text"), [(800.0, "800/s"), (0.5, "0.5/s"), (0.0, "0/s"), (12.25, "12.25/s")])
def test_format_rate_writes_per_second(per_second, text):
    """format_rate writes N/s without a trailing .0."""
    assert format_rate(per_second) == text


@pytest.mark.parametrize("per_second", [0.0, 0.5, 1.0, 12.25, 600.0, 2400.0, 1234567.0])
def test_format_then_parse_rate_round_trips(per_second):
    """format_rate then parse_rate gives back the same rate for values it can spell exactly."""
    assert parse_rate(format_rate(per_second)) == per_second


@pytest.mark.parametrize("text", ["100/min", "1/h"])
def test_format_rate_round_trips_rates_given_per_minute_or_hour(text):
    """Rates given per minute or per hour survive format_rate → parse_rate unchanged."""
    rate = parse_rate(text)
    assert parse_rate(format_rate(rate)) == pytest.approx(rate, rel=1e-12)
