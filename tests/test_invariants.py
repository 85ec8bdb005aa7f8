"""Invariants over generated small scenarios (Hypothesis), checked after every event:
the pool's books balance, open ≤ MaxOpen where set, the database never exceeds its cap,
every request is accounted for exactly once, and no counter goes negative."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simpool.engine import Simulation
from simpool.scenario import load_scenario

durations_ms = st.sampled_from([0, 300, 800, 1500, 4000])


@st.composite
def scenarios(draw):
    max_connections = draw(st.integers(5, 30))
    flavor = draw(st.sampled_from(["postgres", "mysql"]))
    reserved = 0 if flavor == "mysql" else draw(st.integers(0, 3))
    usable = max_connections - reserved
    pool = {
        "max_open": draw(st.integers(0, 6)),
        "conn_max_lifetime": f"{draw(durations_ms)}ms",
        "conn_max_idle_time": f"{draw(durations_ms)}ms",
        "go_version": draw(st.sampled_from(["1.23", "1.18", "1.17"])),
        "waiter_order": draw(st.sampled_from(["random", "fifo"])),
        "max_dialing": draw(st.sampled_from([0, 0, 1, 3])),
    }
    if pool["conn_max_lifetime"] != "0ms":
        pool["conn_max_lifetime_jitter"] = f"{draw(durations_ms)}ms"
    max_idle = draw(st.one_of(st.none(), st.integers(0, 6)))
    if max_idle is not None:
        pool["max_idle"] = max_idle
    handshake = draw(st.sampled_from(["0", "2ms", {"dist": "lognormal", "median": "3ms", "p99": "40ms"}]))
    arrivals = [{"kind": "poisson", "rate": f"{draw(st.integers(20, 300))}/s"}]
    if draw(st.booleans()):
        arrivals.append({"kind": "spike", "at": "1s", "for": "1s", "rate": f"{draw(st.integers(100, 800))}/s"})
    return {
        "duration": "4s",
        "warmup": "500ms",
        "seed": draw(st.integers(0, 1000)),
        "database": {
            "flavor": flavor, "max_connections": max_connections,
            **({"superuser_reserved_connections": reserved} if flavor == "postgres" else {}),
            "other_clients": draw(st.integers(0, min(3, usable - 1))),
            "handshake": handshake,
            "cores": draw(st.integers(0, 4)),
            "query": {"dist": "exponential", "mean": f"{draw(st.integers(1, 40))}ms"},
            "contention": {"sigma": draw(st.sampled_from([0, 0.05])), "kappa": 0},
            "idle_timeout": f"{draw(st.sampled_from([0, 700, 2000]))}ms",
            "restarts": draw(st.sampled_from([[], [], [{"at": "1500ms", "down": "300ms"}],
                                              [{"at": "1s", "down": "1ms"}, {"at": "2500ms", "down": "1s"}]])),
        },
        "network": {"idle_drop": f"{draw(st.sampled_from([0, 900]))}ms", "keepalive": "0",
                    "orphan_timeout": "2s"},
        "fleet": {"instances": draw(st.integers(1, 3)), "pool": pool},
        "workload": {
            "arrivals": arrivals,
            "request": {
                "queries": draw(st.integers(1, 3)),
                "transaction": draw(st.booleans()),
                "timeout": f"{draw(st.sampled_from([0, 20, 150, 1000]))}ms",
                "think": draw(st.sampled_from(["0", "1ms", {"dist": "exponential", "mean": "3ms"}])),
            },
        },
        "pitfalls": {
            "pool_per_request": draw(st.booleans()),
            "leaked_rows": draw(st.sampled_from([0, 0, 0.05, 0.3])),
            "no_deadline": draw(st.booleans()),
        },
    }


def _check_step(sim):
    database = sim.database
    # MySQL counts at accept and lets max_connections + 1 in (the extra for CONNECTION_ADMIN).
    assert 0 <= database.connections <= database.max_connections + (0 if database.postgres else 1)
    assert database.connections >= (0 if database.down else sim.scenario.database.other_clients)
    cores = database.cores
    assert 0 <= database.running and (cores == 0 or database.running <= cores)
    total_open = 0
    for instance in sim.fleet.instances:
        for db in instance.pools:
            db.check_invariants()
            if db.max_open > 0:
                assert db.num_open <= db.max_open, f"{db!r} exceeds MaxOpen"
            if db.max_dialing:
                assert db._dialing <= db.max_dialing, f"{db!r} exceeds max_dialing"
            total_open += db.num_open
    if not sim.scenario.pitfalls.pool_per_request:
        assert total_open == sim.fleet.open_gauge.open


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_invariants_at_every_event(data):
    """Books balance after every event; caps hold; each request is counted exactly once."""
    scenario = load_scenario(data)
    sim = Simulation(scenario, scenario.seed, record_requests=True)
    env = sim.env
    while env.peek() <= scenario.duration:
        env.step()
        _check_step(sim)
    while sim.fleet.in_flight and env.peek() <= sim.drain_until:
        env.step()
        _check_step(sim)
    result = sim.result()
    requests = result.metrics["requests"]
    ids = [r.id for r in result.requests]
    assert len(ids) == len(set(ids))
    assert requests["ok"] + requests["failed"] + requests["unfinished"] == requests["total"]
    assert requests["ok"] + requests["failed"] == len(result.requests)
    assert requests["failed"] == sum(result.metrics["errors"].values())
    for section in ("pool", "database"):
        assert all(v >= 0 for v in result.metrics[section].values())
    for row in result.metrics["instances"]:
        assert all(v >= 0 for k, v in row.items() if k != "name")
    if not scenario.pitfalls.no_deadline and scenario.workload.request.timeout > 0:
        assert requests["unfinished"] == 0
