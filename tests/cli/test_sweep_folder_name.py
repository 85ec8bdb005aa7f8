"""A sweep's default output folder: named from the scenario and the axes, safe on any
file system, bounded in length, and different for different sweeps."""

from __future__ import annotations

import re

from simpool.cli.common import MAX_FOLDER_NAME, sweep_folder_name
from simpool.sweeps.axes import Axis, parse_values


def _name(scenario: str, **axes: str) -> str:
    return sweep_folder_name(scenario, [Axis(path.replace("__", "."), tuple(parse_values(text, path=path)))
                                        for path, text in axes.items()])


def test_ranges_and_lists_read_as_typed():
    assert _name("spike", fleet__pool__max_open="10..50") == "spike-sweep-max_open-10..50"
    assert _name("spike", fleet__pool__max_open="10..50:5", fleet__pool__max_idle="2,10") == \
        "spike-sweep-max_open-10..50step5-max_idle-2,10"
    assert _name("spike", fleet__pool__conn_max_lifetime="0,30m,1h") == "spike-sweep-conn_max_lifetime-0,30m,1h"
    assert _name("spike", fleet__pool__max_idle="default,0") == "spike-sweep-max_idle-default,0"


def test_uneven_integers_stay_a_list():
    """Only an evenly spaced run of three or more is a range: 2,3,5 is not 2..5."""
    assert _name("s", fleet__pool__max_open="2,3,5") == "s-sweep-max_open-2,3,5"
    assert _name("s", fleet__pool__max_open="2,4") == "s-sweep-max_open-2,4"
    assert _name("s", fleet__pool__max_open="5,4,3") == "s-sweep-max_open-5,4,3"


def test_axes_ending_alike_are_named_in_full():
    name = sweep_folder_name("s", [Axis("workload.arrivals.0.rate", ("100/s",)),
                                   Axis("workload.arrivals.1.rate", ("200/s",))])
    assert name == "s-sweep-workload.arrivals.0.rate-100-s-workload.arrivals.1.rate-200-s"


def test_unsafe_characters_become_dashes():
    name = sweep_folder_name("a/b c\\..", [Axis("x.y", ("../../etc", "a b"))])
    assert "/" not in name and "\\" not in name and " " not in name
    assert re.fullmatch(r"[\w.,-]+", name), name
    assert not name.startswith((".", "-"))


def test_long_names_are_cut_and_keep_a_digest():
    """Two long sweeps that differ only past the cut still get two folders."""
    values = ",".join(str(v * v) for v in range(1, 60))  # not evenly spaced: written out
    one = _name("spike", database__max_connections=values)
    two = _name("spike", database__max_connections=values + ",9999")
    assert len(one) <= MAX_FOLDER_NAME and len(two) <= MAX_FOLDER_NAME
    assert one != two and one[:40] == two[:40]
    assert re.search(r"-[0-9a-f]{8}$", one)


def test_a_services_setting_keeps_its_service_name():
    from simpool.cli.common import sweep_folder_name
    from simpool.sweeps.axes import Axis

    axes = [Axis("services.batch.pool.max_open", (30, 40)), Axis("services.api.pool.max_idle", (2, 5))]
    assert sweep_folder_name("month-end", axes) == "month-end-sweep-batch.max_open-30,40-api.max_idle-2,5"
    assert [a.name for a in axes] == ["batch.max_open", "api.max_idle"]
