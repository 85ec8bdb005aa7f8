"""Scenario files: defaults, validation errors (one line naming the field), distributions,
sample and trace files, YAML problems, overrides and the effective-scenario round trip."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from simpool import Scenario, ScenarioError, load_scenario
from simpool.scenario import (
    AutoscaleSpec,
    ConstantDist,
    ContentionSpec,
    DatabaseSpec,
    DeploySpec,
    DiurnalArrivals,
    EmpiricalDist,
    ExponentialDist,
    FleetSpec,
    LognormalDist,
    NetworkSpec,
    OnOffArrivals,
    PitfallsSpec,
    PoissonArrivals,
    PoolSpec,
    RequestSpec,
    SpikeArrivals,
    TraceArrivals,
    UniformDist,
    WorkloadSpec,
    apply_overrides,
    validate_scenario,
)


def expect_error(source, field, phrase, **kwargs) -> ScenarioError:
    """Load ``source`` and check the ScenarioError: one line, naming ``field`` and ``phrase``."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(source, **kwargs)
    err = info.value
    text = str(err)
    assert "\n" not in text, f"error is not one line: {text!r}"
    assert field in text, f"field path {field!r} not named in {text!r}"
    assert phrase.lower() in text.lower(), f"{phrase!r} not in {text!r}"
    return err


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- the default


def test_default_scenario_is_the_built_in_story():
    """No source gives the default story: 3 Go services, Go's default pool, one PostgreSQL, a spike."""
    s = load_scenario()
    assert isinstance(s, Scenario)
    assert s.name == "default"
    assert s.fleet.instances == 3
    assert s.fleet.autoscale is None and s.fleet.deploy is None
    # Go's default pool: unlimited open, 2 idle, conns live forever.
    assert s.fleet.pool.max_open == 0
    assert s.fleet.pool.max_idle is None
    assert s.fleet.pool.effective_max_idle == 2
    assert s.fleet.pool.conn_max_lifetime == 0.0
    assert s.fleet.pool.conn_max_idle_time == 0.0
    # PostgreSQL defaults.
    db = s.database
    assert db.flavor == "postgres"
    assert db.max_connections == 100
    assert db.superuser_reserved_connections == 3
    assert db.usable_connections == 97
    assert db.idle_timeout == 0.0
    # Steady traffic plus a spike.
    kinds = [a.kind for a in s.workload.arrivals]
    assert kinds == ["poisson", "spike"]
    base, spike = s.workload.arrivals
    assert base.rate == 600.0
    assert (spike.at, spike.for_, spike.rate) == (20.0, 30.0, 2000.0)
    assert s.duration == 60.0 and s.warmup == 10.0
    # Each request: a two-query transaction around a call to another service.
    request = s.workload.request
    assert (request.queries, request.transaction, request.timeout) == (2, True, 2.0)
    assert request.think == ExponentialDist(mean="25ms")
    assert 0 <= s.warmup < spike.at < spike.at + spike.for_ <= s.duration
    # Pitfalls off.
    assert not s.pitfalls.pool_per_request and s.pitfalls.leaked_rows == 0 and not s.pitfalls.no_deadline


@pytest.mark.parametrize("source", [None, {}])
def test_empty_sources_equal_the_default(source):
    """None and {} both give the same scenario."""
    assert load_scenario(source) == load_scenario()


def test_empty_yaml_file_is_the_default(tmp_path):
    """An empty YAML file is the default scenario."""
    path = write(tmp_path / "empty.yaml", "")
    assert load_scenario(path) == load_scenario()


@pytest.mark.parametrize(
    "model",
    [Scenario, DatabaseSpec, ContentionSpec, FleetSpec, PoolSpec, WorkloadSpec, RequestSpec,
     PitfallsSpec, NetworkSpec],
)
def test_every_section_field_has_a_default(model):
    """Every field of every scenario section has a default (so {} is valid)."""
    required = [name for name, field in model.model_fields.items() if field.is_required()]
    assert required == []
    instance = model()
    assert isinstance(instance, model)


@pytest.mark.parametrize("section", ["database", "fleet", "workload", "pitfalls", "network"])
def test_each_empty_section_equals_the_default(section):
    """An empty section is the same as leaving it out."""
    assert load_scenario({section: {}}) == load_scenario()


def test_pool_effective_max_idle_follows_go():
    """max_idle absent = 2, 0 = none, and never above a positive max_open."""
    assert load_scenario({"fleet": {"pool": {}}}).fleet.pool.effective_max_idle == 2
    assert load_scenario({"fleet": {"pool": {"max_idle": 0}}}).fleet.pool.effective_max_idle == 0
    assert load_scenario({"fleet": {"pool": {"max_open": 1}}}).fleet.pool.effective_max_idle == 1
    assert load_scenario({"fleet": {"pool": {"max_open": 30, "max_idle": 50}}}).fleet.pool.effective_max_idle == 30
    assert load_scenario({"fleet": {"pool": {"max_open": 0, "max_idle": 50}}}).fleet.pool.effective_max_idle == 50


def test_durations_and_rates_are_parsed_to_seconds():
    """Go durations and N/unit rates in a scenario become seconds and events per second."""
    s = load_scenario({
        "duration": "1h30m", "warmup": "1.5s",
        "fleet": {"pool": {"conn_max_lifetime": "250ms"}},
        "workload": {"arrivals": [{"kind": "poisson", "rate": "48000/min"}],
                     "request": {"timeout": "1us"}},
    })
    assert s.duration == 5400.0
    assert s.warmup == 1.5
    assert s.fleet.pool.conn_max_lifetime == 0.25
    assert s.workload.arrivals[0].rate == pytest.approx(800.0)
    assert s.workload.request.timeout == pytest.approx(1e-6)


def test_step_defaults_to_duration_over_600():
    """sample_every 0 means a step of duration / 600; otherwise the given step."""
    assert load_scenario({"duration": "10m"}).step == pytest.approx(1.0)
    assert load_scenario({"duration": "10m", "sample_every": "250ms"}).step == 0.25


# ---------------------------------------------------------------------------- unknown keys


@pytest.mark.parametrize(
    ("data", "field", "suggestion"),
    [
        ({"fleeet": {}}, "fleeet", "fleet"),
        ({"warmpu": "1s"}, "warmpu", "warmup"),
        ({"fleet": {"pool": {"max_opn": 3}}}, "fleet.pool.max_opn", "max_open"),
        ({"fleet": {"instanses": 3}}, "fleet.instanses", "instances"),
        ({"database": {"max_conections": 3}}, "database.max_conections", "max_connections"),
        ({"workload": {"request": {"timeuot": "1s"}}}, "workload.request.timeuot", "timeout"),
        ({"workload": {"arrivals": [{"kind": "poisson", "rate": "1/s", "rat": 3}]}},
         "workload.arrivals.0.rat", "rate"),
        ({"workload": {"arrivals": [{"kind": "poisson", "rate": "1/s"},
                                    {"kind": "spike", "at": "1s", "for": "1s", "rate": "1/s", "fro": 3}]}},
         "workload.arrivals.1.fro", "for"),
        ({"database": {"query": {"dist": "exponential", "mean": "5ms", "meen": 3}}}, "database.query.meen", "mean"),
        ({"database": {"handshake": {"dist": "lognormal", "median": "1ms", "p99": "9ms", "p9": "1ms"}}},
         "database.handshake.p9", "p99"),
        ({"database": {"query": {"dist": "constant", "valu": "5ms"}}}, "database.query.valu", "value"),
    ],
)
def test_unknown_key_is_an_error_with_suggestion(data, field, suggestion):
    """A misspelt key anywhere is an error naming its path and suggesting the close field."""
    err = expect_error(data, field, "unknown field")
    assert f"did you mean {suggestion!r}" in str(err)
    assert err.field == field


def test_unknown_key_without_close_match_lists_the_fields():
    """A key with no close match lists the allowed fields instead."""
    err = expect_error({"database": {"query": {"dist": "exponential", "mean": "5ms", "zzzzzzz": 1}}},
                       "database.query.zzzzzzz", "unknown field")
    assert "expected one of: dist, mean" in str(err)


# ---------------------------------------------------------------------------- wrong types and ranges


@pytest.mark.parametrize(
    ("data", "field", "phrase"),
    [
        ({"fleet": {"pool": {"max_open": "x"}}}, "fleet.pool.max_open", "valid integer"),
        ({"fleet": {"pool": {"max_open": 1.5}}}, "fleet.pool.max_open", "valid integer"),
        ({"fleet": {"instances": "three"}}, "fleet.instances", "valid integer"),
        ({"workload": {"request": {"transaction": "maybe"}}}, "workload.request.transaction", "valid boolean"),
        ({"fleet": 3}, "fleet", "valid dictionary"),
        ({"name": 3}, "name", "valid string"),
        ({"workload": {"arrivals": {"kind": "poisson"}}}, "workload.arrivals", "valid list"),
        ({"workload": {"arrivals": []}}, "workload.arrivals", "at least 1"),
        ({"database": {"query": True}}, "database.query", "expected dist"),
        ({"database": {"query": {"dist": "gamma", "mean": "5ms"}}}, "database.query", "expected dist"),
        ({"database": {"query": "abc"}}, "database.query.value", "invalid duration"),
        ({"database": {"query": 5}}, "database.query.value", "missing unit"),
        ({"database": {"query": {"dist": "exponential"}}}, "database.query.mean", "field required"),
        ({"fleet": {"pool": {"conn_max_lifetime": 3600}}}, "fleet.pool.conn_max_lifetime", "missing unit"),
        ({"workload": {"arrivals": [{"kind": "poisson", "rate": "fast"}]}}, "workload.arrivals.0.rate", "invalid rate"),
        ({"workload": {"arrivals": [{"kind": "poisson", "rate": 600}]}}, "workload.arrivals.0.rate", "missing unit"),
        ({"workload": {"arrivals": [{"kind": "poison", "rate": "1/s"}]}}, "workload.arrivals.0", "poison"),
        ({"workload": {"arrivals": [{"rate": "1/s"}]}}, "workload.arrivals.0", "kind"),
        ({"fleet": {"pool": {"go_version": "1.20"}}}, "fleet.pool.go_version", "1.23"),
        ({"fleet": {"pool": {"waiter_order": "lifo"}}}, "fleet.pool.waiter_order", "fifo"),
    ],
)
def test_wrong_type_is_an_error(data, field, phrase):
    """A value of the wrong type is an error naming its field path."""
    err = expect_error(data, field, phrase)
    assert err.field == field


@pytest.mark.parametrize(
    ("data", "field", "phrase"),
    [
        ({"fleet": {"pool": {"max_open": -1}}}, "fleet.pool.max_open", "greater than or equal to 0 (not -1)"),
        ({"fleet": {"pool": {"max_idle": -2}}}, "fleet.pool.max_idle", "greater than or equal to 0 (not -2)"),
        ({"fleet": {"instances": 0}}, "fleet.instances", "greater than or equal to 1"),
        ({"database": {"max_connections": 0}}, "database.max_connections", "greater than or equal to 1"),
        ({"database": {"other_clients": -1}}, "database.other_clients", "greater than or equal to 0"),
        ({"database": {"cores": -4}}, "database.cores", "greater than or equal to 0"),
        ({"workload": {"request": {"queries": 0}}}, "workload.request.queries", "greater than or equal to 1"),
        ({"seed": -1}, "seed", "greater than or equal to 0"),
        ({"pitfalls": {"leaked_rows": 1.5}}, "pitfalls.leaked_rows", "less than or equal to 1"),
        ({"database": {"contention": {"sigma": -0.1}}}, "database.contention.sigma", "greater than or equal to 0"),
        ({"workload": {"arrivals": [{"kind": "diurnal", "rate": "1/s", "amplitude": 2}]}},
         "workload.arrivals.0.amplitude", "less than or equal to 1"),
        ({"workload": {"arrivals": [{"kind": "onoff", "rate": "1/s", "on": "0", "off": "1s"}]}},
         "workload.arrivals.0.on", "greater than 0"),
        ({"workload": {"arrivals": [{"kind": "spike", "at": "1s", "for": "0", "rate": "1/s"}]}},
         "workload.arrivals.0.for", "greater than 0"),
        ({"database": {"query": {"dist": "exponential", "mean": 0}}}, "database.query.mean", "greater than 0"),
        ({"duration": "0"}, "duration", "greater than 0"),
    ],
)
def test_out_of_range_number_is_an_error(data, field, phrase):
    """Negative sizes and out-of-range numbers are errors quoting the bound and the value."""
    err = expect_error(data, field, phrase)
    assert err.field == field


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"fleet": {"pool": {"conn_max_lifetime": "-1s"}}}, "fleet.pool.conn_max_lifetime"),
        ({"fleet": {"pool": {"conn_max_idle_time": "-30m"}}}, "fleet.pool.conn_max_idle_time"),
        ({"workload": {"request": {"timeout": "-2s"}}}, "workload.request.timeout"),
        ({"warmup": "-1s"}, "warmup"),
        ({"network": {"idle_drop": "-5m"}}, "network.idle_drop"),
        ({"database": {"idle_timeout": "-1h"}}, "database.idle_timeout"),
        ({"workload": {"arrivals": [{"kind": "poisson", "rate": "-5/s"}]}}, "workload.arrivals.0.rate"),
    ],
)
def test_negative_duration_or_rate_is_an_error(data, field):
    """Negative durations and rates are errors naming the field."""
    err = expect_error(data, field, "must not be negative")
    assert err.field == field


# ---------------------------------------------------------------------------- cross-field rules


@pytest.mark.parametrize("p99", ["4ms", "1ms"])
def test_lognormal_p99_must_exceed_median(p99):
    """A lognormal with p99 <= median is an error naming the distribution."""
    expect_error({"database": {"handshake": {"dist": "lognormal", "median": "4ms", "p99": p99}}},
                 "database.handshake", "must be greater than the median")


def test_uniform_high_below_low_is_an_error():
    """A uniform with high < low is an error; high == low is allowed."""
    expect_error({"database": {"query": {"dist": "uniform", "low": "5ms", "high": "1ms"}}},
                 "database.query", "high (1ms) must be >= low (5ms)")
    s = load_scenario({"database": {"query": {"dist": "uniform", "low": "2ms", "high": "2ms"}}})
    assert s.database.query.mean == pytest.approx(0.002)


def test_unknown_flavor_is_an_error():
    """Only postgres and mysql flavors exist."""
    err = expect_error({"database": {"flavor": "oracle"}}, "database.flavor", "'postgres' or 'mysql'")
    assert err.field == "database.flavor"


def test_mysql_defaults():
    """MySQL: max_connections 151, wait_timeout 8h, no reserved slots."""
    db = load_scenario({"database": {"flavor": "mysql"}}).database
    assert db.max_connections == 151
    assert db.idle_timeout == 8 * 3600.0
    assert db.superuser_reserved_connections == 0
    assert db.reserved_connections == 0
    assert db.usable_connections == 151


def test_mysql_rejects_reserved_connections():
    """Reserved connections are a PostgreSQL setting; MySQL rejects them."""
    expect_error({"database": {"flavor": "mysql", "superuser_reserved_connections": 2}},
                 "database", "PostgreSQL setting")


def test_explicit_database_settings_override_flavor_defaults():
    """Settings given explicitly win over the flavor's defaults."""
    db = load_scenario({"database": {"flavor": "mysql", "max_connections": 20, "idle_timeout": "0"}}).database
    assert (db.max_connections, db.idle_timeout) == (20, 0.0)
    db = load_scenario({"database": {"max_connections": 50, "superuser_reserved_connections": 0,
                                     "reserved_connections": 5}}).database
    assert db.usable_connections == 45


@pytest.mark.parametrize(
    ("database", "reserved"),
    [
        ({"max_connections": 3}, 3),
        ({"max_connections": 10, "superuser_reserved_connections": 5, "reserved_connections": 5}, 10),
        ({"max_connections": 10, "superuser_reserved_connections": 11}, 11),
    ],
)
def test_reserved_at_or_above_max_connections_is_an_error(database, reserved):
    """Reserved slots that leave nothing for the application are an error."""
    expect_error({"database": database}, "database", f"reserved slots ({reserved}) leave no connection")


def test_reserved_just_below_max_connections_is_allowed():
    """One usable slot left is still valid."""
    assert load_scenario({"database": {"max_connections": 4}}).database.usable_connections == 1


def test_other_clients_taking_every_usable_slot_is_an_error():
    """other_clients >= usable connections is an error; one fewer is allowed."""
    expect_error({"database": {"other_clients": 97}}, "database", "other_clients (97) take every usable slot")
    expect_error({"database": {"flavor": "mysql", "max_connections": 10, "other_clients": 12}},
                 "database", "other_clients (12)")
    assert load_scenario({"database": {"other_clients": 96}}).database.other_clients == 96


@pytest.mark.parametrize(("warmup", "duration"), [("3m", "3m"), ("1m", "30s")])
def test_warmup_not_shorter_than_duration_is_an_error(warmup, duration):
    """The warm-up must end before the run does."""
    expect_error({"warmup": warmup, "duration": duration}, "warmup", "must be shorter than duration")


def test_autoscale_min_above_max_is_an_error():
    """autoscale min > max is an error on the autoscale section."""
    err = expect_error({"fleet": {"instances": 3, "autoscale": {"min": 5, "max": 2, "target": "100/s"}}},
                       "fleet.autoscale", "max (2) must be >= min (5)")
    assert err.field == "fleet.autoscale"


@pytest.mark.parametrize(("instances", "low", "high"), [(3, 5, 10), (3, 1, 2)])
def test_instances_outside_autoscale_bounds_is_an_error(instances, low, high):
    """The starting instance count must lie within autoscale min..max."""
    expect_error({"fleet": {"instances": instances, "autoscale": {"min": low, "max": high, "target": "100/s"}}},
                 "fleet", f"instances ({instances}) must lie within autoscale min..max ({low}..{high})")


def test_autoscale_needs_a_target():
    """An autoscale section without a target rate is an error."""
    expect_error({"fleet": {"instances": 1, "autoscale": {"min": 1, "max": 2}}},
                 "fleet.autoscale.target", "field required")


def test_autoscale_and_deploy_parse():
    """Autoscale and deploy sections parse with their defaults filled in."""
    fleet = load_scenario({"fleet": {"instances": 2, "autoscale": {"min": 2, "max": 6, "target": "300/s"},
                                     "deploy": {"at": "1m"}}}).fleet
    assert fleet.autoscale == AutoscaleSpec(min=2, max=6, target="300/s")
    assert (fleet.autoscale.interval, fleet.autoscale.delay) == (15.0, 30.0)
    assert fleet.deploy == DeploySpec(at="1m")
    assert (fleet.deploy.at, fleet.deploy.batch, fleet.deploy.overlap) == (60.0, 1, 30.0)


# ---------------------------------------------------------------------------- distributions


@pytest.mark.parametrize(("short", "seconds"), [("3ms", 0.003), ("0", 0.0), (0, 0.0), ("1.5s", 1.5)])
def test_distribution_shorthand_is_a_constant(short, seconds):
    """A bare duration stands for {dist: constant, value: ...}."""
    q = load_scenario({"database": {"query": short}}).database.query
    assert isinstance(q, ConstantDist)
    assert q.value == seconds and q.mean == seconds


def test_distribution_without_dist_is_a_constant():
    """A mapping without `dist` is a constant."""
    q = load_scenario({"database": {"query": {"value": "3ms"}}}).database.query
    assert q == ConstantDist(value="3ms")


def test_each_distribution_kind_parses():
    """constant, exponential, lognormal and uniform parse to their specs with the right mean."""
    cases = {
        "constant": ({"dist": "constant", "value": "3ms"}, ConstantDist, 0.003),
        "exponential": ({"dist": "exponential", "mean": "5ms"}, ExponentialDist, 0.005),
        "uniform": ({"dist": "uniform", "low": "1ms", "high": "5ms"}, UniformDist, 0.003),
    }
    for spec, cls, mean in cases.values():
        q = load_scenario({"database": {"query": spec}}).database.query
        assert isinstance(q, cls)
        assert q.mean == pytest.approx(mean)
    q = load_scenario({"database": {"query": {"dist": "lognormal", "median": "4ms", "p99": "30ms"}}}).database.query
    assert isinstance(q, LognormalDist)
    assert (q.median, q.p99) == (0.004, 0.030)
    # p99 = median · exp(2.326 σ)
    assert q.median * math.exp(2.3263478740408408 * q.sigma) == pytest.approx(0.030)
    assert q.mean == pytest.approx(0.004 * math.exp(q.sigma**2 / 2))


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("ms-column.csv", "host,ms\na,1\nb,5\nc,2.5\n", (0.001, 0.005, 0.0025)),
        ("first-column.csv", "latency,host\n4,a\n6,b\n", (0.004, 0.006)),
        ("no-header.csv", "1\n2\n3\n", (0.001, 0.002, 0.003)),
        ("only-ms.csv", "ms\n10\n\n20\n", (0.010, 0.020)),
        ("samples.json", '[1, 2.5, "3ms", "1s"]', (0.001, 0.0025, 0.003, 1.0)),
    ],
)
def test_empirical_samples_from_csv_and_json(tmp_path, name, text, expected):
    """Empirical samples load from CSV (column ms, else the first; header optional) or a JSON list, in ms."""
    write(tmp_path / "data" / name, text)
    scenario = write(tmp_path / "scenario.yaml", f"database:\n  query: {{dist: empirical, file: data/{name}}}\n")
    q = load_scenario(scenario).database.query
    assert isinstance(q, EmpiricalDist)
    assert q.samples == pytest.approx(expected)
    assert q.mean == pytest.approx(sum(expected) / len(expected))


def test_empirical_headerless_csv_of_durations_keeps_every_sample(tmp_path):
    """A header-less CSV of duration strings keeps its first row as a sample."""
    write(tmp_path / "d.csv", "3ms\n5ms\n")
    q = load_scenario({"database": {"query": {"dist": "empirical", "file": "d.csv"}}}, base_dir=tmp_path).database.query
    assert q.samples == pytest.approx((0.003, 0.005))


def test_empirical_path_is_relative_to_the_scenario_file(tmp_path, monkeypatch):
    """A relative sample path is resolved from the scenario file's folder, not the working directory."""
    write(tmp_path / "scenarios" / "samples.csv", "ms\n7\n")
    scenario = write(tmp_path / "scenarios" / "s.yaml", "database:\n  query: {dist: empirical, file: samples.csv}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_scenario(scenario).database.query.samples == (0.007,)
    # a dict source resolves from base_dir, or the working directory without one
    data = {"database": {"query": {"dist": "empirical", "file": "samples.csv"}}}
    assert load_scenario(data, base_dir=tmp_path / "scenarios").database.query.samples == (0.007,)
    expect_error(data, "database.query", str(elsewhere / "samples.csv"))


def test_empirical_absolute_path(tmp_path):
    """An absolute sample path is used as is."""
    path = write(tmp_path / "abs.csv", "5\n")
    q = load_scenario({"database": {"query": {"dist": "empirical", "file": str(path)}}}).database.query
    assert q.samples == (0.005,)


@pytest.mark.parametrize(
    ("name", "text", "phrase"),
    [
        ("empty.csv", "ms\n", "no samples found"),
        ("empty.json", "[]", "no samples found"),
        ("negative.csv", "ms\n-1\n", "must be a finite value >= 0"),
        ("words.csv", "ms\nabc\n", "neither milliseconds nor a duration"),
        ("broken.json", "[1, 2", "invalid JSON"),
    ],
)
def test_empirical_bad_files_are_errors(tmp_path, name, text, phrase):
    """Empty, negative, non-numeric or malformed sample files are errors naming the field and the file."""
    write(tmp_path / name, text)
    err = expect_error({"database": {"query": {"dist": "empirical", "file": name}}}, "database.query", phrase,
                       base_dir=tmp_path)
    assert name in str(err)


def test_empirical_error_names_the_right_line_without_header(tmp_path):
    """An error in a header-less sample CSV names the line the bad value is on."""
    write(tmp_path / "neg.csv", "-1\n")
    expect_error({"database": {"query": {"dist": "empirical", "file": "neg.csv"}}}, "database.query",
                 "neg.csv line 1:", base_dir=tmp_path)


def test_empirical_missing_file_names_the_path(tmp_path):
    """A missing sample file is an error naming the resolved path."""
    err = expect_error({"database": {"query": {"dist": "empirical", "file": "nope.csv"}}}, "database.query",
                       "cannot read", base_dir=tmp_path)
    assert str(tmp_path / "nope.csv") in str(err)


# ---------------------------------------------------------------------------- trace arrivals


def trace_scenario(tmp_path: Path, name: str, text: str) -> Path:
    write(tmp_path / "traces" / name, text)
    return write(tmp_path / "s.yaml", f"workload:\n  arrivals:\n    - {{kind: trace, file: traces/{name}}}\n")


def test_trace_from_csv_with_optional_columns_sorted(tmp_path):
    """A CSV trace loads t_ms, instance (an index, or app-N), service_ms, timeout_ms and
    handshake_ms (ms → s), sorted by time."""
    path = trace_scenario(tmp_path, "t.csv", "t_ms,instance,service_ms,timeout_ms,handshake_ms\n"
                                             "30,1,2.5,100,\n10,app-0,,,\n20,,1,,4.5\n")
    (trace,) = load_scenario(path).workload.arrivals
    assert isinstance(trace, TraceArrivals)
    assert trace.rows == (
        (pytest.approx(0.010), 0, None, None, None),
        (pytest.approx(0.020), None, pytest.approx(0.001), None, pytest.approx(0.0045)),
        (pytest.approx(0.030), 1, pytest.approx(0.0025), pytest.approx(0.1), None),
    )


def test_trace_from_csv_with_only_t_ms(tmp_path):
    """A CSV with only t_ms is enough; rows come out sorted by time."""
    (trace,) = load_scenario(trace_scenario(tmp_path, "t.csv", "t_ms\n5\n1\n3\n")).workload.arrivals
    assert [r[0] for r in trace.rows] == pytest.approx([0.001, 0.003, 0.005])
    assert all(r[1:] == (None, None, None, None) for r in trace.rows)


def test_trace_from_json(tmp_path):
    """A JSON trace is a list of objects (or bare t_ms numbers), sorted by time."""
    text = json.dumps([{"t_ms": 30, "instance": 1, "service_ms": 2.5, "timeout_ms": 100}, {"t_ms": 10}, 20,
                       {"t_ms": 15, "instance": "app-2"}])
    (trace,) = load_scenario(trace_scenario(tmp_path, "t.json", text)).workload.arrivals
    assert [r[0] for r in trace.rows] == pytest.approx([0.010, 0.015, 0.020, 0.030])
    assert [r[1] for r in trace.rows] == [None, 2, None, 1]
    assert trace.rows[-1][2:] == (pytest.approx(0.0025), pytest.approx(0.1), None)


@pytest.mark.parametrize(
    ("name", "text", "phrase"),
    [
        ("t.csv", "t_ms,foo\n5,1\n", "unknown column 'foo'"),
        ("t.json", '[{"t_ms": 30, "bogus": 1}]', "unknown column 'bogus'"),
        ("t.csv", "instance\n1\n", "needs a header with a t_ms column"),
        ("t.csv", "t_ms,instance\n,1\n", "t_ms is missing"),
        ("t.json", '[{"instance": 1}]', "t_ms is missing"),
        ("t.json", "[]", "no requests found"),
        ("t.json", '[{"t_ms": -3}]', "t_ms must be a finite number >= 0"),
        ("t.csv", "t_ms,service_ms\n1,slow\n", "service_ms 'slow' is not a number"),
        ("t.csv", "t_ms,handshake_ms\n1,-2\n", "handshake_ms must be a finite number >= 0"),
    ],
)
def test_trace_bad_files_are_errors(tmp_path, name, text, phrase):
    """Unknown columns, a missing t_ms and bad values in a trace are errors naming the arrival and file."""
    err = expect_error(trace_scenario(tmp_path, name, text), "workload.arrivals.0", phrase)
    assert name in str(err)


def test_trace_error_names_the_csv_line(tmp_path):
    """A bad trace row is reported with its CSV line number (header is line 1)."""
    expect_error(trace_scenario(tmp_path, "t.csv", "t_ms\n1\n2\n-5\n"), "workload.arrivals.0", "t.csv line 4")


def test_trace_missing_file_names_the_path(tmp_path):
    """A missing trace file is an error naming the resolved path."""
    path = write(tmp_path / "s.yaml", "workload:\n  arrivals:\n    - {kind: trace, file: gone.csv}\n")
    err = expect_error(path, "workload.arrivals.0", "cannot read")
    assert str(tmp_path / "gone.csv") in str(err)
    assert str(path) in str(err), "the scenario file is named as the source"


# ---------------------------------------------------------------------------- files and YAML


def test_yaml_file_loads(tmp_path):
    """A YAML file in the documented shape loads with every value converted."""
    path = write(tmp_path / "spike.yaml", """\
name: spike
duration: 10m
warmup: 1m
seed: 7
database: {flavor: postgres, max_connections: 100, other_clients: 5,
           handshake: {dist: lognormal, median: 4ms, p99: 30ms},
           cores: 8, query: {dist: exponential, mean: 5ms}}
fleet:
  instances: 3
  pool: {max_open: 30, max_idle: 10, conn_max_lifetime: 1h, conn_max_idle_time: 0}
workload:
  arrivals: [{kind: poisson, rate: 600/s}, {kind: spike, at: 3m, for: 2m, rate: 3000/s}]
  request: {queries: 2, transaction: false, timeout: 2s}
""")
    s = load_scenario(path)
    assert (s.name, s.duration, s.warmup, s.seed) == ("spike", 600.0, 60.0, 7)
    assert s.database.handshake == LognormalDist(median="4ms", p99="30ms")
    assert s.database.cores == 8 and s.database.other_clients == 5
    assert s.fleet.pool == PoolSpec(max_open=30, max_idle=10, conn_max_lifetime="1h", conn_max_idle_time=0)
    assert s.workload.arrivals == [PoissonArrivals(rate="600/s"),
                                   SpikeArrivals(**{"at": "3m", "for": "2m", "rate": "3000/s"})]
    assert (s.workload.request.queries, s.workload.request.timeout) == (2, 2.0)


def test_file_errors_name_the_file(tmp_path):
    """Validation errors from a file start with the file's path, then the field path."""
    path = write(tmp_path / "bad.yaml", "fleet:\n  pool:\n    max_open: -3\n")
    err = expect_error(path, "fleet.pool.max_open", "(not -3)")
    assert str(err).startswith(f"{path}: fleet.pool.max_open: ")
    assert err.source == str(path)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("name: x\n\tfleet: 3\n", 2, 1),
        ("name: x\nfleet:\n  pool: {max_open: 3\n  x: 1\n", 4, 4),
        ("a: [1, 2\nb: 3\n", 2, 2),
    ],
)
def test_yaml_syntax_error_gives_line_and_column(tmp_path, text, line, column):
    """A YAML syntax error is one line naming the file, the line and the column."""
    path = write(tmp_path / "broken.yaml", text)
    err = expect_error(path, str(path), "YAML syntax error")
    assert f"line {line}, column {column}" in str(err)


@pytest.mark.parametrize(("text", "kind"), [("- 1\n- 2\n", "list"), ("hello\n", "str"), ("42\n", "int")])
def test_file_that_is_not_a_mapping_is_an_error(tmp_path, text, kind):
    """A scenario file must be a mapping of sections."""
    path = write(tmp_path / "odd.yaml", text)
    expect_error(path, str(path), f"expected a mapping of sections, found {kind}")


def test_missing_scenario_file_is_an_error(tmp_path):
    """A scenario path that does not exist, or is a folder, is an error naming it."""
    expect_error(tmp_path / "nope.yaml", str(tmp_path / "nope.yaml"), "no such file")
    expect_error(tmp_path, str(tmp_path), "is a folder")


def test_json_scenario_file_loads(tmp_path):
    """A JSON file is valid YAML and loads as a scenario."""
    path = write(tmp_path / "s.json", json.dumps({"fleet": {"instances": 5}, "duration": "1m", "warmup": "0"}))
    s = load_scenario(path)
    assert (s.fleet.instances, s.duration, s.warmup) == (5, 60.0, 0.0)


# ---------------------------------------------------------------------------- overrides


def test_overrides_set_dotted_paths():
    """Dotted overrides set nested fields and list items (as --set does)."""
    s = load_scenario({}, overrides={"fleet.pool.max_open": 30, "workload.arrivals.1.rate": "100/s",
                                     "database.query": {"dist": "exponential", "mean": "7ms"}, "seed": 9})
    assert s.fleet.pool.max_open == 30
    assert s.workload.arrivals[1] == SpikeArrivals(**{"at": "20s", "for": "30s", "rate": "100/s"})
    assert s.workload.arrivals[0] == PoissonArrivals(rate="600/s"), "the default arrivals are kept"
    assert s.database.query == ExponentialDist(mean="7ms")
    assert s.seed == 9


def test_override_inside_a_distribution_given_in_the_file(tmp_path):
    """An override of one parameter of a distribution written in the file keeps its other fields."""
    path = write(tmp_path / "s.yaml", "database:\n  handshake: {dist: lognormal, median: 4ms, p99: 30ms}\n")
    s = load_scenario(path, overrides={"database.handshake.p99": "50ms"})
    assert s.database.handshake == LognormalDist(median="4ms", p99="50ms")


def test_override_inside_a_default_distribution():
    """An override of one parameter of a default distribution applies on top of the default."""
    s = load_scenario({}, overrides={"database.query.mean": "7ms"})
    assert s.database.query == ExponentialDist(mean="7ms")


def test_overrides_apply_to_files_and_win(tmp_path):
    """Overrides replace values read from a file."""
    path = write(tmp_path / "s.yaml", "fleet:\n  instances: 2\n  pool: {max_open: 5}\n")
    s = load_scenario(path, overrides={"fleet.pool.max_open": "12", "fleet.pool.conn_max_lifetime": "30m"})
    assert (s.fleet.instances, s.fleet.pool.max_open, s.fleet.pool.conn_max_lifetime) == (2, 12, 1800.0)


def test_override_alias_field():
    """An override can use a field's YAML name (`for`)."""
    s = load_scenario({}, overrides={"workload.arrivals.1.for": "10s"})
    assert s.workload.arrivals[1].for_ == 10.0


def test_overrides_do_not_modify_the_source():
    """apply_overrides returns a copy; the caller's dict is unchanged."""
    data = {"fleet": {"pool": {"max_open": 5}}}
    result = apply_overrides(data, {"fleet.pool.max_open": 7})
    assert result == {"fleet": {"pool": {"max_open": 7}}}
    assert data == {"fleet": {"pool": {"max_open": 5}}}


@pytest.mark.parametrize(
    ("path", "suggestion"),
    [("fleet.pool.max_opn", "max_open"), ("flet.pool.max_open", "fleet"), ("workload.request.timout", "timeout")],
)
def test_unknown_override_path_is_an_error_with_suggestion(path, suggestion):
    """An override naming no field is an error naming the path and suggesting a close field."""
    err = expect_error({}, path, f"did you mean {suggestion!r}", overrides={path: 1})
    assert err.field == path


def test_unknown_field_inside_arrival_override_is_an_error():
    """An override of a misspelt arrival field fails with a suggestion."""
    expect_error({}, "workload.arrivals.0.rat", "did you mean 'rate'", overrides={"workload.arrivals.0.rat": 3})


@pytest.mark.parametrize("index", ["2", "5", "-1", "x"])
def test_override_list_index_out_of_range_is_an_error(index):
    """An override addressing a list item that does not exist is an error naming the path."""
    path = f"workload.arrivals.{index}.rate"
    err = expect_error({}, path, f"no list item '{index}' (the list has 2)", overrides={path: "3/s"})
    assert err.field == path


def test_override_with_bad_value_is_a_validation_error():
    """An override's value is validated like a file's."""
    expect_error({}, "fleet.pool.max_open", "(not -3)", overrides={"fleet.pool.max_open": -3})


def test_override_through_a_scalar_is_a_scenario_error():
    """An override path that continues past a scalar value is a ScenarioError naming the path."""
    expect_error({"fleet": {"pool": {"max_open": 5}}}, "fleet.pool.max_open.x", "",
                 overrides={"fleet.pool.max_open.x": 1})


# ---------------------------------------------------------------------------- effective round trip


def round_trip(scenario: Scenario, base_dir: Path | None = None) -> Scenario:
    """effective() → YAML text → load again."""
    text = yaml.safe_dump(scenario.effective(), sort_keys=False)
    return validate_scenario(yaml.safe_load(text), base_dir=base_dir)


def test_effective_default_round_trips():
    """The default's effective scenario re-validates to an equal scenario."""
    s = load_scenario()
    effective = s.effective()
    assert effective["fleet"]["instances"] == 3
    assert effective["database"]["max_connections"] == 100
    assert effective["duration"] == "1m"
    assert effective["workload"]["arrivals"][1] == {"kind": "spike", "at": "20s", "for": "30s", "rate": "2000/s"}
    assert round_trip(s) == s


FULL = {
    "name": "full", "description": "every section set", "duration": "10m", "warmup": "1m", "seed": 7,
    "sample_every": "500ms",
    "database": {
        "flavor": "postgres", "max_connections": 120, "superuser_reserved_connections": 4,
        "reserved_connections": 2, "other_clients": 5,
        "handshake": {"dist": "uniform", "low": "2ms", "high": "9ms"}, "refused_handshake": 0.5, "cores": 8,
        "query": {"dist": "empirical", "file": "samples.csv"},
        "contention": {"sigma": 0.02, "kappa": 0.001}, "idle_timeout": "10m",
    },
    "fleet": {
        "instances": 4,
        "pool": {"max_open": 30, "max_idle": 10, "conn_max_lifetime": "1h", "conn_max_idle_time": "5m",
                 "go_version": "1.18", "waiter_order": "fifo"},
        "autoscale": {"min": 2, "max": 8, "target": "300/s", "interval": "10s", "delay": "45s"},
        "deploy": {"at": "5m", "batch": 2, "overlap": "20s"},
    },
    "workload": {
        "arrivals": [
            {"kind": "poisson", "rate": "600/s", "start": "10s", "end": "9m"},
            {"kind": "spike", "at": "3m", "for": "2m", "rate": "3000/s"},
            {"kind": "onoff", "rate": "100/s", "on": "5s", "off": "10s", "start": "1s"},
            {"kind": "diurnal", "rate": "200/s", "amplitude": 0.3, "period": "1h", "peak_at": "15m"},
            {"kind": "trace", "file": "trace.csv"},
        ],
        "request": {"queries": 3, "transaction": True, "timeout": "1.5s",
                    "think": {"dist": "lognormal", "median": "1ms", "p99": "10ms"}},
    },
    "pitfalls": {"pool_per_request": True, "leaked_rows": 0.01, "no_deadline": True},
    "network": {"idle_drop": "5m", "keepalive": "0", "orphan_timeout": "2h"},
}


def test_effective_full_scenario_round_trips(tmp_path):
    """A scenario with every section set re-validates from its effective form to an equal scenario."""
    write(tmp_path / "samples.csv", "ms\n1\n2\n3\n")
    write(tmp_path / "trace.csv", "t_ms,instance,service_ms,timeout_ms\n5,1,2,100\n1,,,\n")
    s = load_scenario(FULL, base_dir=tmp_path)
    assert [type(a) for a in s.workload.arrivals] == [PoissonArrivals, SpikeArrivals, OnOffArrivals,
                                                       DiurnalArrivals, TraceArrivals]
    effective = s.effective()
    assert effective["fleet"]["autoscale"]["target"] == "300/s"
    assert effective["network"]["orphan_timeout"] == "2h"
    assert effective["workload"]["arrivals"][0]["end"] == "9m"
    again = round_trip(s, base_dir=tmp_path)
    assert again == s
    assert again.database.query.samples == (0.001, 0.002, 0.003)
    assert again.workload.arrivals[4].rows == s.workload.arrivals[4].rows
    assert again.effective() == effective


def test_round_trip_detects_differences(tmp_path):
    """Scenario equality is sensitive to a changed value (so the round-trip checks mean something)."""
    a = load_scenario({"fleet": {"pool": {"max_open": 30}}})
    b = load_scenario({"fleet": {"pool": {"max_open": 31}}})
    assert a != b
    write(tmp_path / "one.csv", "1\n")
    x = load_scenario({"database": {"query": {"dist": "empirical", "file": "one.csv"}}}, base_dir=tmp_path)
    write(tmp_path / "one.csv", "5\n")
    y = load_scenario({"database": {"query": {"dist": "empirical", "file": "one.csv"}}}, base_dir=tmp_path)
    assert x != y, "loaded samples are part of the scenario"


def test_effective_round_trips_rate_per_minute():
    """A rate given per minute survives effective() → validate unchanged."""
    s = load_scenario({"workload": {"arrivals": [{"kind": "poisson", "rate": "100/min"}]}})
    assert round_trip(s) == s


def test_trace_only_scenario_replays_the_whole_trace(tmp_path):
    """A scenario made only of traces runs past the last request with no warm-up, unless
    duration or warmup are given."""
    trace = tmp_path / "t.csv"
    trace.write_text("t_ms\n0\n1000\n250400\n")
    arrivals = {"workload": {"arrivals": [{"kind": "trace", "file": "t.csv"}]}}
    replay = load_scenario(arrivals, base_dir=tmp_path)
    assert (replay.duration, replay.warmup) == (251.0, 0.0)
    told = load_scenario({**arrivals, "duration": "10s", "warmup": "1s"}, base_dir=tmp_path)
    assert (told.duration, told.warmup) == (10.0, 1.0)
    mixed = load_scenario({"workload": {"arrivals": [{"kind": "trace", "file": "t.csv"},
                                                     {"kind": "poisson", "rate": "1/s"}]}}, base_dir=tmp_path)
    assert mixed.duration == load_scenario({}).duration


def test_trace_replay_counts_every_request(tmp_path):
    """End to end: every row of a replayed trace is answered and counted."""
    import simpool

    trace = tmp_path / "t.csv"
    trace.write_text("t_ms,instance,service_ms\n" + "".join(f"{i * 37},{i % 3},{2 + i % 5}\n" for i in range(400)))
    scenario = load_scenario({"workload": {"arrivals": [{"kind": "trace", "file": "t.csv"}]}}, base_dir=tmp_path)
    summary = simpool.simulate(scenario).summary()
    assert summary["requests"]["total"]["mean"] == 400
    assert summary["requests"]["ok"]["mean"] == 400
