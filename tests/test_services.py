"""Several services on one database: one fleet each, their own traffic (common random
numbers per service), per-service results that add up to the fleet's, and the estimate."""

from __future__ import annotations

import csv
import io

from simpool import load_scenario, simulate
from simpool.budget import expected_requests
from simpool.render.run_files import timeseries_csv

SHORT = {"duration": "8s", "warmup": "1s"}
API = {"name": "api", "instances": 2, "pool": {"max_open": 10, "max_idle": 10},
       "workload": {"arrivals": [{"kind": "poisson", "rate": "300/s"}]}}
BATCH = {"name": "batch", "instances": 1,
         "workload": {"arrivals": [{"kind": "spike", "at": "3s", "for": "2s", "rate": "1500/s"}],
                      "request": {"queries": 3, "timeout": "30s"}}}


def _run(*services, **top):
    return simulate(load_scenario({**SHORT, **top, "services": list(services)})).summary()


def test_the_first_service_sees_the_plain_fleets_traffic():
    """Service 0 keeps the plain fleet's streams: a plain scenario and the same fleet as the
    one service of ``services:`` give the same numbers."""
    plain = simulate(load_scenario(SHORT)).summary()
    named = _run({"name": "app"})
    service = named.pop("services")["app"]
    assert named == plain
    assert service["requests"] == plain["requests"] and service["wait_ms"] == plain["wait_ms"]


def test_adding_or_changing_a_service_does_not_reshuffle_anothers_traffic():
    alone = _run(API)["services"]["api"]["requests"]["total"]
    beside = _run(API, BATCH)["services"]["api"]["requests"]["total"]
    capped = _run(API, {**BATCH, "pool": {"max_open": 3}})["services"]["api"]["requests"]["total"]
    assert alone == beside == capped


def test_the_services_add_up_to_the_fleet():
    summary = _run(API, BATCH)
    services = summary["services"]
    assert list(services) == ["api", "batch"]
    assert services["api"]["instances"] == ["api-0", "api-1"] and services["batch"]["instances"] == ["batch-0"]
    for section, key in (("requests", "total"), ("requests", "failed"), ("errors", "too_many_connections"),
                         ("pool", "dials"), ("pool", "wait_count"), ("pool", "failed_dials")):
        assert sum(s[section][key]["mean"] for s in services.values()) == summary[section][key]["mean"], key
    assert services["batch"]["pool"]["peak_open"]["mean"] > services["api"]["pool"]["peak_open"]["mean"]
    # Each service's pools at the database's fullest sample: no more than the database held then.
    held = sum(s["connections"]["at_database_peak"]["mean"] for s in services.values())
    assert 0 < held <= summary["database"]["peak_connections"]["mean"] + summary["pool"]["peak_open"]["mean"]
    assert services["api"]["pool"]["peak_open"]["mean"] <= 2 * 10  # the api's cap holds


def test_sweep_rows_carry_each_services_metrics_only_for_services():
    two = simulate(load_scenario({**SHORT, "services": [API, BATCH]})).flat()
    assert two["services.batch.errors.too_many_connections"] is not None
    assert "services.api.connections.at_database_peak.ci95" in two
    assert not any(key.startswith("services.") for key in simulate(load_scenario(SHORT)).flat())


def test_timeseries_csv_gains_per_service_columns_only_for_services():
    rows = list(csv.DictReader(io.StringIO(timeseries_csv(simulate(load_scenario({**SHORT, "services": [API, BATCH]}))))))
    assert {"service", "open.api", "open.batch"} <= set(rows[0])
    database = [r for r in rows if r["series"] == "database"]
    pools = [r for r in rows if r["series"] != "database"]
    assert {r["service"] for r in pools} == {"api", "batch"}
    for row in database[::50]:
        same_time = [r for r in pools if r["t_s"] == row["t_s"] and r["service"] == "batch"]
        assert int(row["open.batch"]) == sum(int(r["open"]) for r in same_time)
    plain = timeseries_csv(simulate(load_scenario(SHORT))).splitlines()[0]
    assert plain == "replication,t_s,series,open,in_use,idle,waiting,busy_cores,offered_cores"


def test_the_estimate_counts_every_services_traffic():
    scenario = load_scenario({**SHORT, "services": [API, BATCH]})
    assert expected_requests(scenario) == 300 * 8 + 1500 * 2
