"""Generated hostile input: whatever a file, a --set or a --vary holds, simpool answers
with a Scenario or one ScenarioError line (never another exception), and every number it
accepts is finite and bounded."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simpool import load_scenario
from simpool.exceptions import ScenarioError
from simpool.scenario.loading import read_scenario_file
from simpool.scenario.yaml_reading import parse_yaml
from simpool.sweeps.axes import parse_values
from simpool.units import MAX_RATE, MAX_SECONDS, parse_duration, parse_rate


def _leaves(data, prefix=""):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _leaves(value, f"{prefix}{i}.")
    yield prefix.rstrip(".")


PATHS = sorted(p for p in set(_leaves(load_scenario({"fleet": {"autoscale": {"target": "100/s"},
                                                              "deploy": {"at": "10s"}}}).effective())) if p)
NUMBERS = st.one_of(
    st.integers(), st.integers(min_value=10**30, max_value=10**400), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 2**63, 2**64, -(2**64), 10**4300 // 10**4000]))
TEXT = st.one_of(st.text(max_size=30), st.sampled_from(
    ["1ns", "inf", "1e400/s", "9" * 400 + "h", "\ud800", "~nobody/x.csv", "²", "1..10:1e-100", "-0", ".nan"]))
VALUES = st.recursive(st.one_of(st.none(), st.booleans(), NUMBERS, TEXT),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                      max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=VALUES)
def test_any_value_anywhere_is_a_scenario_or_one_error_line(path, value):
    try:
        scenario = load_scenario(None, overrides={path: value})
    except ScenarioError as exc:
        assert "\n" not in str(exc)
        return
    for number in _numbers(scenario.effective()):
        assert math.isfinite(number) and abs(number) < 2**64


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(TEXT, st.from_regex(r"\A[0-9.eE+-]{1,40}(ns|us|ms|s|m|h|/s|/min|/h)?\Z")))
def test_durations_and_rates_are_finite_and_bounded_or_refused(text):
    for parse, bound in ((parse_duration, MAX_SECONDS), (parse_rate, MAX_RATE)):
        try:
            value = parse(text)
        except ValueError as exc:
            assert "\n" not in str(exc) and len(str(exc)) < 200
            continue
        assert math.isfinite(value) and 0 <= value <= bound


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(TEXT, st.from_regex(r"\A-?[0-9.e]{1,35}\.\.-?[0-9.e]{1,35}(:[0-9.e-]{1,110})?\Z")))
def test_sweep_values_are_a_list_or_one_error_line(text):
    try:
        values = parse_values(text, field="--max-open")
    except ScenarioError as exc:
        assert str(exc).startswith("--max-open: ") and "\n" not in str(exc)
        return
    assert 1 <= len(values) <= 1_000_000


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_any_file_is_a_mapping_or_one_error_line(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        data = read_scenario_file(path)
        load_scenario(path)
    except ScenarioError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(data, dict)


def test_yaml_numbers_keep_their_text():
    assert parse_yaml("1.20").text == "1.20" and parse_yaml("1.20") == 1.2
    assert repr(parse_yaml("9" * 5000)) == "a 5,000-digit number"


def _numbers(data):
    if isinstance(data, dict):
        for value in data.values():
            yield from _numbers(value)
    elif isinstance(data, list):
        for value in data:
            yield from _numbers(value)
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        yield data
