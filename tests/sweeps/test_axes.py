"""Sweep axes: the value syntax, the grid's order, and what ``default`` means."""

import pytest

from simpool.exceptions import ScenarioError
from simpool.scenario import field_default
from simpool.sweeps.axes import (
    DEFAULT,
    Axis,
    grid_size,
    make_axes,
    parse_values,
)
from simpool.sweeps.grid import grid_values


@pytest.mark.parametrize(("text", "values"), [
    ("10..15", [10, 11, 12, 13, 14, 15]),
    ("10..50:10", [10, 20, 30, 40, 50]),
    ("10..50:15", [10, 25, 40]),          # stops at or before the end
    ("7..7", [7]),
    ("2,5,10", [2, 5, 10]),
    ("0,30m,1h", [0, "30m", "1h"]),       # YAML-typed: as a file would hold them
    ("0..1h:20m", ["0", "20m", "40m", "1h"]),
    ("250ms..1s:250ms", ["250ms", "500ms", "750ms", "1s"]),
    ("0..0.3:0.1", [0.0, 0.1, 0.2, 0.3]),  # exact decimals: the end is reached
    ("default,0,5", [DEFAULT, 0, 5]),
    (" 3 , 4 ", [3, 4]),
    ("postgres,mysql", ["postgres", "mysql"]),
])
def test_value_syntax(text, values):
    """Ranges are inclusive; lists are read item by item as YAML."""
    assert parse_values(text) == values


@pytest.mark.parametrize(("text", "problem"), [
    ("50..10", "empty range '50..10': start 50 is after end 10"),
    ("10..50:0", "step must be positive (not '0')"),
    ("10..50:-5", "step must be positive"),
    ("10..50:", "missing step after ':'"),
    ("0..1h", "a range of durations needs a step"),
    ("a..b", "cannot read range 'a..b'"),
    ("10..", "cannot read range"),
    ("1..2..3", "cannot read range"),
    ("", "no values given"),
    ("1,,2", "empty item in list"),
    ("1..10000000", "has 10,000,000 values"),
])
def test_bad_values_name_the_option(text, problem):
    """Every bad value is a one-line error naming the option and quoting the text."""
    with pytest.raises(ScenarioError, match="--max-open") as info:
        parse_values(text, field="--max-open")
    assert problem in str(info.value)
    assert "\n" not in str(info.value)


def test_grid_is_row_major_first_axis_slowest():
    axes = make_axes({"fleet.pool.max_open": [1, 2], "fleet.instances": "1..3"})
    assert grid_size(axes) == 6
    assert [grid_values(axes, i) for i in range(6)] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]


@pytest.mark.parametrize(("axes", "problem"), [
    ({}, "nothing to sweep"),
    ({"fleet.instances": []}, "at least one value"),
    ({"fleet.instances": "1,2,1"}, "value '1' appears twice"),
])
def test_bad_axes(axes, problem):
    with pytest.raises(ScenarioError, match=problem):
        make_axes(axes)


def test_an_axis_given_twice_is_refused():
    with pytest.raises(ScenarioError, match="fleet.instances: swept twice"):
        make_axes([Axis("fleet.instances", (1,)), Axis("fleet.instances", (2,))])


def test_default_is_the_models_default():
    """``default`` is Go's default for pool settings: unlimited max_open, max_idle absent
    (Go's 2, unlike 0 = no idle connections), lifetimes forever."""
    assert field_default("fleet.pool.max_open") == 0
    assert field_default("fleet.pool.max_idle") is None
    assert field_default("fleet.pool.conn_max_lifetime") == 0.0
    assert field_default("fleet.instances") == 3
    assert field_default("database.max_connections") is None  # the flavour's own default
    assert Axis("fleet.pool.max_idle", (DEFAULT, 0)).override(DEFAULT) is None
    assert Axis("fleet.pool.max_idle", (DEFAULT, 0)).override(0) == 0


def test_default_inside_a_list_of_mixed_kinds_is_an_error():
    with pytest.raises(ScenarioError, match="workload.arrivals.0.rate: this field has no single built-in default"):
        field_default("workload.arrivals.0.rate")
