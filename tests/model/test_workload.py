"""Traffic: arrival processes' times, windows and counts, their replay on a SimPy clock,
and superposition in the engine (simpool.model.workload, simpool.engine)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

from simpool import load_scenario
from simpool.engine import Simulation
from simpool.model.events import Call
from simpool.model.workload import CHUNK, ArrivalProcess, arrival_chunks, replay
from simpool.scenario import (
    DiurnalArrivals,
    OnOffArrivals,
    PoissonArrivals,
    SpikeArrivals,
    TraceArrivals,
)

SEED = 12345


def collect(spec, end: float, seed: int = SEED) -> tuple[list[float], list[list[float]]]:
    """All arrival times of one process before ``end``, and the chunks they came in."""
    chunks = [list(chunk) for chunk in arrival_chunks(spec, np.random.default_rng(seed), end)]
    return [a for chunk in chunks for a in chunk], chunks


def times_of(arrivals) -> np.ndarray:
    return np.array(arrivals, dtype=float)


def assert_poisson_count(count: int, expected: float) -> None:
    """Within 4 standard deviations of a Poisson count with mean ``expected``."""
    assert abs(count - expected) < 4 * math.sqrt(expected), (count, expected)


def assert_well_formed(arrivals, chunks) -> None:
    """Chunks are non-empty and, joined, sorted in time."""
    assert all(len(chunk) > 0 for chunk in chunks)
    t = times_of(arrivals)
    assert np.all(np.diff(t) >= 0)


def trace_spec(tmp_path, text: str, name: str = "trace.csv") -> TraceArrivals:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return load_scenario({"workload": {"arrivals": [{"kind": "trace", "file": name}]}},
                         base_dir=tmp_path).workload.arrivals[0]


# ---------------------------------------------------------------------------- poisson


def test_poisson_window_times_and_count():
    """Poisson arrivals with start/end lie in [start, end), sorted, count ≈ rate × window."""
    spec = PoissonArrivals(rate="1000/s", start="10s", end="40s")
    arrivals, chunks = collect(spec, end=60.0)
    assert_well_formed(arrivals, chunks)
    t = times_of(arrivals)
    assert t.min() >= 10.0 and t.max() < 40.0
    assert t.min() < 10.0 + 0.01 and t.max() > 40.0 - 0.01  # the window is filled to its edges
    assert_poisson_count(len(t), 1000 * 30)
    assert len(chunks) > 1, "the window needs several chunks"
    assert all(type(a) is float for a in arrivals)


def test_poisson_is_cut_at_the_run_end():
    """Without an end, or with one past the run, arrivals stop at the run's end."""
    for spec in (PoissonArrivals(rate="500/s", start="10s"), PoissonArrivals(rate="500/s", start="10s", end="1h")):
        t = times_of(collect(spec, end=25.0)[0])
        assert t.min() >= 10.0 and t.max() < 25.0
        assert_poisson_count(len(t), 500 * 15)


def test_poisson_gaps_are_exponential():
    """Poisson inter-arrival gaps have mean 1/rate and coefficient of variation 1 (within 2%)."""
    t = times_of(collect(PoissonArrivals(rate="200/s"), end=500.0)[0])
    gaps = np.diff(t)
    assert gaps.mean() == pytest.approx(1 / 200, rel=0.02)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, rel=0.02)


def test_poisson_counts_per_second_have_poisson_variance():
    """Counts per 1 s bin have variance ≈ mean (index of dispersion 1 within 15%)."""
    t = times_of(collect(PoissonArrivals(rate="100/s"), end=1000.0)[0])
    counts = np.histogram(t, bins=np.arange(0, 1001))[0]
    assert counts.mean() == pytest.approx(100, rel=0.02)
    assert counts.var() / counts.mean() == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize(
    "spec",
    [PoissonArrivals(rate="0"), PoissonArrivals(rate="10/s", start="30s"), PoissonArrivals(rate="10/s", end="0")],
    ids=["zero-rate", "starts-after-run", "empty-window"],
)
def test_poisson_without_window_yields_nothing(spec):
    """A zero rate or an empty window gives no arrivals at all."""
    assert collect(spec, end=20.0) == ([], [])


def test_same_seed_same_arrivals():
    """The same seed gives the same arrival times; another seed gives different ones."""
    spec = PoissonArrivals(rate="300/s")
    a = times_of(collect(spec, 30.0, seed=1)[0])
    b = times_of(collect(spec, 30.0, seed=1)[0])
    c = times_of(collect(spec, 30.0, seed=2)[0])
    assert np.array_equal(a, b)
    assert len(a) != len(c) or not np.array_equal(a, c)


# ---------------------------------------------------------------------------- spike


def test_spike_window_times_and_count():
    """A spike's arrivals lie in [at, at + for), count ≈ rate × for."""
    spec = SpikeArrivals(**{"at": "5s", "for": "10s", "rate": "2000/s"})
    arrivals, chunks = collect(spec, end=60.0)
    assert_well_formed(arrivals, chunks)
    t = times_of(arrivals)
    assert t.min() >= 5.0 and t.max() < 15.0
    assert_poisson_count(len(t), 2000 * 10)


def test_spike_is_cut_at_the_run_end():
    """A spike running past the end of the run stops at the end."""
    spec = SpikeArrivals(**{"at": "50s", "for": "1m", "rate": "400/s"})
    t = times_of(collect(spec, end=60.0)[0])
    assert t.min() >= 50.0 and t.max() < 60.0
    assert_poisson_count(len(t), 400 * 10)


def test_spike_after_the_run_yields_nothing():
    """A spike that starts after the run's end gives no arrivals."""
    assert collect(SpikeArrivals(**{"at": "2m", "for": "1m", "rate": "400/s"}), end=60.0) == ([], [])


# ---------------------------------------------------------------------------- onoff


def test_onoff_has_no_arrivals_in_off_windows():
    """On/off arrivals fall only in [start + k·(on+off), start + k·(on+off) + on)."""
    spec = OnOffArrivals(rate="1000/s", on="2s", off="3s", start="1s")
    arrivals, chunks = collect(spec, end=50.0)
    assert_well_formed(arrivals, chunks)
    t = times_of(arrivals)
    assert t.min() >= 1.0 and t.max() < 50.0
    phase = (t - 1.0) % 5.0
    assert phase.max() < 2.0, "an arrival fell in an off window"
    # every one of the 10 cycles (1..50 s) has its burst, each ≈ rate × on
    cycle = np.floor((t - 1.0) / 5.0).astype(int)
    per_cycle = np.bincount(cycle, minlength=10)
    assert len(per_cycle) == 10
    for count in per_cycle:
        assert_poisson_count(int(count), 1000 * 2)
    assert_poisson_count(len(t), 1000 * 2 * 10)


def test_onoff_cut_mid_burst_at_the_run_end():
    """An on window cut by the run's end gets the part before the end only."""
    spec = OnOffArrivals(rate="1000/s", on="10s", off="10s")
    t = times_of(collect(spec, end=25.0)[0])
    assert t.max() < 25.0
    assert np.all((t < 10.0) | (t >= 20.0))
    assert_poisson_count(int(np.sum(t < 10.0)), 1000 * 10)
    assert_poisson_count(int(np.sum(t >= 20.0)), 1000 * 5)


# ---------------------------------------------------------------------------- diurnal


def test_diurnal_follows_the_cosine():
    """Diurnal counts per period-quarter follow rate·(1 + a·cos): most around peak_at, fewest half a period away."""
    rate, amplitude, period, peak_at = 100.0, 0.8, 100.0, 25.0
    spec = DiurnalArrivals(rate="100/s", amplitude=amplitude, period="100s", peak_at="25s")
    end = 400.0  # four whole periods
    arrivals, chunks = collect(spec, end=end)
    assert_well_formed(arrivals, chunks)
    t = times_of(arrivals)
    assert t.min() >= 0 and t.max() < end
    assert_poisson_count(len(t), rate * end)
    # quarter centred on the peak, the trough, and the two flanks
    phase = (t - peak_at + period / 8) % period
    quarters = np.histogram(phase, bins=[0, 25, 50, 75, 100])[0]
    swing = amplitude * period / (2 * math.pi) * 2 * math.sin(math.pi / 4)  # ∫cos over ±period/8
    periods = end / period
    expected = [
        periods * rate * (period / 4 + swing),  # peak
        periods * rate * (period / 4),          # falling flank
        periods * rate * (period / 4 - swing),  # trough
        periods * rate * (period / 4),          # rising flank
    ]
    for count, mean in zip(quarters, expected, strict=True):
        assert_poisson_count(int(count), mean)
    assert quarters[0] > 3 * quarters[2]


def test_diurnal_with_zero_amplitude_is_flat():
    """With amplitude 0 the diurnal process is a plain Poisson process at its rate."""
    spec = DiurnalArrivals(rate="200/s", amplitude=0, period="40s")
    t = times_of(collect(spec, end=80.0)[0])
    assert_poisson_count(len(t), 200 * 80)
    halves = np.histogram((t % 40.0), bins=[0, 20, 40])[0]
    for count in halves:
        assert_poisson_count(int(count), 200 * 40)


# ---------------------------------------------------------------------------- trace


def test_trace_replays_exact_times_and_hints(tmp_path):
    """A trace yields its rows exactly (time, instance index, service, timeout), only those
    before the end, and their times as its arrival times."""
    spec = trace_spec(tmp_path, "t_ms,instance,service_ms,timeout_ms\n1500,1,2.5,100\n250,app-0,,\n"
                                "900,,4,\n2500,2,1,1\n")
    assert list(spec.trace.rows(2.0)) == [
        (0.25, 0, None, None, None),
        (0.9, None, 0.004, None, None),
        (1.5, 1, 0.0025, 0.1, None),
    ]
    assert collect(spec, end=2.0) == ([0.25, 0.9, 1.5], [[0.25, 0.9, 1.5]])


def test_trace_ignores_the_random_stream(tmp_path):
    """A trace's arrivals are the same whatever the seed, and no random numbers are used."""
    spec = trace_spec(tmp_path, "t_ms\n1\n2\n3\n")
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    a = [x for chunk in arrival_chunks(spec, rng, 10.0) for x in chunk]
    assert rng.bit_generator.state == before
    assert a == collect(spec, 10.0, seed=99)[0] == [0.001, 0.002, 0.003]


def test_long_trace_comes_in_ordered_chunks(tmp_path):
    """A trace longer than one chunk is split into CHUNK-sized pieces without losing or reordering rows."""
    n = 2 * CHUNK + 5
    ms = np.random.default_rng(3).permutation(n)  # shuffled on disk
    spec = trace_spec(tmp_path, "t_ms\n" + "\n".join(str(int(v)) for v in ms) + "\n")
    arrivals, chunks = collect(spec, end=math.inf)
    assert [len(c) for c in chunks] == [CHUNK, CHUNK, 5]
    assert times_of(arrivals) == pytest.approx(np.arange(n) / 1e3)


def test_unknown_arrival_spec_is_rejected():
    """arrival_chunks refuses objects that are not arrival specs."""
    with pytest.raises(TypeError, match="unknown arrival spec"):
        list(arrival_chunks({"kind": "poisson"}, np.random.default_rng(0), 10.0))


# ---------------------------------------------------------------------------- ArrivalProcess on a clock


def test_arrival_process_dispatches_at_arrival_times_in_order():
    """ArrivalProcess calls dispatch at each arrival's time, in order, across chunk boundaries."""
    env = simpy.Environment()
    chunks = iter([[0.5, 1.0], [1.0, 2.25], [7.0]])
    seen = []
    ArrivalProcess(env, chunks, lambda: seen.append(env.now))
    env.run(until=5.0)
    assert seen == [0.5, 1.0, 1.0, 2.25]
    env.run(until=10.0)
    assert seen == [0.5, 1.0, 1.0, 2.25, 7.0]


def test_replayed_trace_dispatches_each_row_at_its_time(tmp_path):
    """A trace's process hands each row, hints and all, to dispatch_row at the row's time."""
    spec = trace_spec(tmp_path, "t_ms,instance,service_ms,timeout_ms\n1000,app-1,2,\n1000,,,100\n"
                                "500,,,\n2250,0,,\n")
    env = simpy.Environment()
    seen = []
    ArrivalProcess(env, arrival_chunks(spec, np.random.default_rng(0), 2.0),
                   replay(spec.trace.rows(2.0), lambda row: seen.append((env.now, row))))
    env.run(until=5.0)
    assert seen == [(0.5, (0.5, None, None, None, None)), (1.0, (1.0, 1, 0.002, None, None)),
                    (1.0, (1.0, None, None, 0.1, None))]


def test_arrival_process_keeps_one_pending_event():
    """Only the next arrival is on the schedule, not the whole chunk."""
    env = simpy.Environment()
    chunk = [float(i) for i in range(1, 1001)]
    ArrivalProcess(env, iter([chunk]), lambda: None)

    def pending():
        return [entry[0] for entry in env._queue if isinstance(entry[-1], Call)]

    assert pending() == [1.0]
    env.run(until=500.5)
    assert pending() == [501.0]


def test_arrival_process_with_no_arrivals_does_nothing():
    """An empty arrival stream schedules nothing."""
    env = simpy.Environment()
    seen = []
    ArrivalProcess(env, iter([]), lambda: seen.append(env.now))
    assert env.peek() == math.inf
    env.run(until=10)
    assert seen == []


def test_arrival_processes_interleave_on_one_clock():
    """Two processes on one environment dispatch the merged arrivals in time order at their times."""
    env = simpy.Environment()
    seen = []

    def dispatch():
        seen.append(env.now)

    a = PoissonArrivals(rate="50/s")
    b = SpikeArrivals(**{"at": "2s", "for": "3s", "rate": "200/s"})
    a_times = times_of(collect(a, 10.0, seed=1)[0])
    b_times = times_of(collect(b, 10.0, seed=2)[0])
    ArrivalProcess(env, arrival_chunks(a, np.random.default_rng(1), 10.0), dispatch)
    ArrivalProcess(env, arrival_chunks(b, np.random.default_rng(2), 10.0), dispatch)
    env.run(until=10.0)
    assert seen == sorted(np.concatenate([a_times, b_times]).tolist())
    assert len(seen) == len(a_times) + len(b_times)


# ---------------------------------------------------------------------------- engine


def tiny_scenario(arrivals, **extra):
    return load_scenario({
        "duration": "20s", "warmup": "0", "seed": 3,
        "fleet": {"instances": 2},
        "database": {"handshake": "1ms", "query": "1ms"},
        "workload": {"arrivals": arrivals},
        **extra,
    })


def run(scenario, seed: int = 3):
    simulation = Simulation(scenario, seed, record_requests=True)
    simulation.run()
    return simulation.result()


def test_engine_superposes_arrival_processes():
    """Two arrival processes add up: total requests ≈ (rate₁ + rate₂) × duration."""
    result = run(tiny_scenario([{"kind": "poisson", "rate": "50/s"}, {"kind": "poisson", "rate": "30/s"},
                                {"kind": "spike", "at": "5s", "for": "5s", "rate": "40/s"}]))
    records = result.requests
    assert_poisson_count(len(records), (50 + 30) * 20 + 40 * 5)
    assert result.metrics["requests"]["total"] == len(records)
    arrivals = np.array(sorted(r.arrival for r in records))
    assert arrivals.min() >= 0 and arrivals.max() < 20.0
    in_spike = np.sum((arrivals >= 5.0) & (arrivals < 10.0))
    assert_poisson_count(int(in_spike), (50 + 30 + 40) * 5)


def test_engine_gives_each_arrival_process_its_own_stream():
    """Identical arrival processes draw from independent streams: no arrival time is shared."""
    result = run(tiny_scenario([{"kind": "poisson", "rate": "40/s"}, {"kind": "poisson", "rate": "40/s"}]))
    times = [r.arrival for r in result.requests]
    assert_poisson_count(len(times), 80 * 20)
    assert len(set(times)) == len(times)


def test_engine_traffic_does_not_depend_on_pool_settings():
    """The same seed gives the same arrival times whatever the pool settings (common random numbers)."""
    arrivals = [{"kind": "poisson", "rate": "60/s"}]
    a = run(tiny_scenario(arrivals))
    b = run(tiny_scenario(arrivals, pitfalls={"pool_per_request": True}))
    assert sorted(r.arrival for r in a.requests) == sorted(r.arrival for r in b.requests)


def test_engine_replays_a_trace_with_its_hints(tmp_path):
    """Trace rows reach the named instance at their time, with their service time and timeout."""
    (tmp_path / "t.csv").write_text(
        "t_ms,instance,service_ms,timeout_ms\n100,1,3,\n200,app-0,3,\n300,0,50,10\n"
        "400,,5,\n500,,5,4\n", encoding="utf-8")
    scenario = load_scenario({
        "duration": "2s", "warmup": "0", "fleet": {"instances": 2},
        "database": {"handshake": "1ms", "query": "1ms"},
        "workload": {"arrivals": [{"kind": "trace", "file": "t.csv"}], "request": {"queries": 1}},
    }, base_dir=tmp_path)
    records = sorted(run(scenario).requests, key=lambda r: r.arrival)
    # Rows naming no instance go round robin (app-0, then app-1), with their own overrides.
    assert [(r.arrival, r.instance) for r in records] == [(0.1, "app-1"), (0.2, "app-0"), (0.3, "app-0"),
                                                          (0.4, "app-0"), (0.5, "app-1")]
    first, second, third, fourth, fifth = records
    assert first.outcome == "ok" and first.latency == pytest.approx(0.004)  # 1 ms dial + 3 ms query
    assert second.outcome == "ok" and second.latency == pytest.approx(0.004)
    assert third.outcome == "deadline_exceeded"
    assert third.latency == pytest.approx(0.010)
    # app-0's one conn died with the third request (cancelled mid-query): a new dial.
    assert fourth.outcome == "ok" and fourth.latency == pytest.approx(0.006)
    assert fifth.outcome == "deadline_exceeded" and fifth.latency == pytest.approx(0.004)


def test_a_rows_handshake_is_that_requests_own_dial(tmp_path):
    """A row's handshake_ms is the handshake of the dial its request makes itself (as Go's
    Connect gets the caller's context); a request that waits instead never uses it, and a
    row without one draws from database.handshake."""
    (tmp_path / "t.csv").write_text(
        "t_ms,service_ms,handshake_ms\n100,10,7\n105,1,50\n300,5,\n", encoding="utf-8")
    scenario = load_scenario({
        "duration": "1s", "warmup": "0", "fleet": {"instances": 1, "pool": {"max_open": 1, "max_idle": 0}},
        "database": {"handshake": "1ms", "cores": 0},
        "workload": {"arrivals": [{"kind": "trace", "file": "t.csv"}], "request": {"queries": 1}},
    }, base_dir=tmp_path)
    first, second, third = sorted(run(scenario).requests, key=lambda r: r.arrival)
    assert first.wait == pytest.approx(0.007) and first.latency == pytest.approx(0.017)
    assert second.wait == pytest.approx(0.012)  # waited for the first one's conn (MaxIdle 0: then closed)
    assert third.wait == pytest.approx(0.001)  # its own dial, drawn: 1 ms


def test_a_refused_dial_pays_its_share_of_the_rows_handshake(tmp_path):
    """A refused dial pays refused_handshake of the row's handshake, as of a drawn one."""
    (tmp_path / "t.csv").write_text(
        "t_ms,instance,service_ms,handshake_ms\n0,0,100,2\n10,1,1,8\n", encoding="utf-8")
    scenario = load_scenario({
        "duration": "1s", "warmup": "0", "fleet": {"instances": 2},
        "database": {"max_connections": 1, "superuser_reserved_connections": 0, "refused_handshake": 0.5,
                     "handshake": "1ms", "cores": 0},
        "workload": {"arrivals": [{"kind": "trace", "file": "t.csv"}], "request": {"queries": 1}},
    }, base_dir=tmp_path)
    holder, refused = sorted(run(scenario).requests, key=lambda r: r.arrival)
    assert holder.outcome == "ok" and holder.wait == pytest.approx(0.002)
    assert refused.outcome == "too_many_connections" and refused.latency == pytest.approx(0.004)
