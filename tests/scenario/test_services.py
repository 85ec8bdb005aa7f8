"""``services:``: several named fleets on one database, and how a scenario names them."""

from __future__ import annotations

import pytest

from simpool import load_scenario
from simpool.exceptions import ScenarioError

TWO = {"services": [{"name": "api", "instances": 2, "pool": {"max_open": 10}},
                    {"name": "batch", "instances": 1}]}


def test_a_plain_fleet_is_one_service_named_app():
    scenario = load_scenario({})
    (view,) = scenario.service_list()
    assert (view.name, view.index, view.named, view.fleet_path) == ("app", 0, False, "fleet")
    assert view.fleet is scenario.fleet and view.workload is scenario.workload
    assert "services" not in scenario.effective() and "fleet" in scenario.effective()


def test_services_are_listed_in_order_with_their_paths():
    scenario = load_scenario(TWO)
    views = scenario.service_list()
    assert [(v.name, v.index, v.named) for v in views] == [("api", 0, True), ("batch", 1, True)]
    assert views[0].pool_path("max_open") == "services.api.pool.max_open"
    assert views[1].workload_path == "services.batch.workload"
    effective = scenario.effective()
    assert "fleet" not in effective and "workload" not in effective
    assert list(effective["services"][0])[0] == "name"  # the name first, as a reader writes it
    assert load_scenario(scenario.as_data()) == scenario


@pytest.mark.parametrize("field", ["fleet", "workload"])
def test_services_and_a_plain_fleet_together_is_an_error_naming_the_field(field):
    with pytest.raises(ScenarioError) as caught:
        load_scenario({**TWO, field: {}})
    assert caught.value.field == field and "not both" in str(caught.value)


@pytest.mark.parametrize(("name", "problem"), [
    ("API", "lower-case"), ("a.b", "lower-case"), ("1st", "start with a letter"), ("x" * 33, "32 characters"),
    ("", "lower-case"),
])
def test_a_service_name_must_be_safe_for_files_and_paths(name, problem):
    with pytest.raises(ScenarioError, match=problem) as caught:
        load_scenario({"services": [{"name": name}]})
    assert caught.value.field == "services.0.name"


def test_service_names_are_unique():
    with pytest.raises(ScenarioError, match="two services are named 'api'"):
        load_scenario({"services": [{"name": "api"}, {"name": "api"}]})


def test_overrides_address_a_service_by_name_or_index():
    scenario = load_scenario(TWO, overrides={"services.batch.pool.max_open": 7, "services.0.instances": 3})
    api, batch = scenario.service_list()
    assert (api.fleet.instances, batch.fleet.pool.max_open, api.fleet.pool.max_open) == (3, 7, 10)


def test_an_unknown_service_name_is_an_error_naming_it():
    with pytest.raises(ScenarioError, match="no service named 'btch' \\(the services are api, batch\\)") as caught:
        load_scenario(TWO, overrides={"services.btch.pool.max_open": 7})
    assert caught.value.field == "services.btch.pool.max_open"


def test_a_service_path_on_a_plain_scenario_is_an_error():
    with pytest.raises(ScenarioError, match="has no services"):
        load_scenario({}, overrides={"services.api.pool.max_open": 7})


def test_a_bad_value_in_a_service_is_named_by_the_service():
    with pytest.raises(ScenarioError) as caught:
        load_scenario(TWO, overrides={"services.batch.pool.max_open": -1})
    assert caught.value.field == "services.batch.pool.max_open"


def test_a_trace_names_its_own_services_instances(tmp_path):
    trace = tmp_path / "batch.csv"
    trace.write_text("t_ms,instance\n0,0\n5,1\n")
    data = {"services": [{"name": "api", "instances": 3},
                         {"name": "batch", "instances": 1,
                          "workload": {"arrivals": [{"kind": "trace", "file": str(trace)}]}}]}
    with pytest.raises(ScenarioError, match="names instance 1, but service batch has 1") as caught:
        load_scenario(data)
    assert caught.value.field == "services.batch.workload.arrivals.0.file"
    data["services"][1]["instances"] = 2
    assert load_scenario(data).services[1].instances == 2


def test_a_driver_that_does_not_talk_to_the_database_is_named_by_its_service():
    with pytest.raises(ScenarioError, match="services.batch.pool.driver mysql does not talk"):
        load_scenario({"services": [{"name": "api"}, {"name": "batch", "pool": {"driver": "mysql"}}]})
