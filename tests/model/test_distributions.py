"""Samplers: right moments and percentiles, determinism, and chunking that leaves the
random sequence unchanged (simpool.model.distributions)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simpool import load_scenario
from simpool.model.distributions import (
    CHUNK,
    ConstantSampler,
    Sampler,
    make_sampler,
    uniform_stream,
)
from simpool.scenario import ConstantDist, ExponentialDist, LognormalDist, UniformDist

N = 200_000
SEED = 20240611


def draw(sampler, n: int = N) -> np.ndarray:
    return np.fromiter((sampler() for _ in range(n)), dtype=float, count=n)


@pytest.fixture
def empirical_spec(tmp_path):
    (tmp_path / "samples.csv").write_text("ms\n1\n2\n2\n10\n35\n", encoding="utf-8")
    return load_scenario({"database": {"query": {"dist": "empirical", "file": "samples.csv"}}},
                         base_dir=tmp_path).database.query


# ---------------------------------------------------------------------------- means


@pytest.mark.parametrize(
    ("spec", "sd"),
    [
        # standard deviation of one draw, for a 5-standard-error tolerance on the mean
        (ExponentialDist(mean="5ms"), 0.005),
        (UniformDist(low="1ms", high="5ms"), 0.004 / math.sqrt(12)),
        (LognormalDist(median="4ms", p99="30ms"), None),
    ],
    ids=["exponential", "uniform", "lognormal"],
)
def test_sample_mean_matches_spec_mean(spec, sd):
    """Over 200k draws the sample mean is within 5 standard errors of the spec's mean."""
    sampler = make_sampler(spec, np.random.default_rng(SEED))
    assert sampler.mean == pytest.approx(spec.mean)
    x = draw(sampler)
    if sd is None:  # lognormal: sd = mean·sqrt(exp(σ²) − 1)
        sd = spec.mean * math.sqrt(math.exp(spec.sigma**2) - 1)
    tolerance = 5 * sd / math.sqrt(N)
    assert abs(x.mean() - spec.mean) < tolerance, (x.mean(), spec.mean, tolerance)


def test_exponential_is_exponential():
    """Exponential draws are positive, with sd ≈ mean and P(X > mean) ≈ 1/e (within 1%)."""
    x = draw(make_sampler(ExponentialDist(mean="5ms"), np.random.default_rng(SEED)))
    assert x.min() > 0
    assert x.std() == pytest.approx(0.005, rel=0.01)
    assert (x > 0.005).mean() == pytest.approx(math.exp(-1), abs=0.01)


def test_uniform_stays_in_bounds():
    """Uniform draws lie in [low, high) and fill the range (min/max within 0.1% of its width)."""
    x = draw(make_sampler(UniformDist(low="1ms", high="5ms"), np.random.default_rng(SEED)))
    assert x.min() >= 0.001 and x.max() < 0.005
    assert x.min() < 0.001 + 4e-6 and x.max() > 0.005 - 4e-6


def test_lognormal_median_and_p99_match():
    """Lognormal draws have the spec's median and 99th percentile (within 2%)."""
    spec = LognormalDist(median="4ms", p99="30ms")
    x = draw(make_sampler(spec, np.random.default_rng(SEED)))
    assert np.percentile(x, 50) == pytest.approx(0.004, rel=0.02)
    assert np.percentile(x, 99) == pytest.approx(0.030, rel=0.02)
    assert x.min() > 0


def test_empirical_resamples_the_given_values(empirical_spec):
    """Empirical draws only take the file's values, each about equally often, with the file's mean."""
    sampler = make_sampler(empirical_spec, np.random.default_rng(SEED))
    assert sampler.mean == pytest.approx(0.010)  # (1 + 2 + 2 + 10 + 35) / 5 ms
    x = draw(sampler)
    values, counts = np.unique(x, return_counts=True)
    assert values.tolist() == pytest.approx([0.001, 0.002, 0.010, 0.035])
    # p = 0.2 each (0.4 for the doubled 2 ms); sd of a proportion is sqrt(p(1-p)/N) <= 0.0012
    assert (counts / N).tolist() == pytest.approx([0.2, 0.4, 0.2, 0.2], abs=0.006)
    sd = np.std([0.001, 0.002, 0.002, 0.010, 0.035])
    assert abs(x.mean() - 0.010) < 5 * sd / math.sqrt(N)


def test_uniform_stream_is_unit_uniform():
    """uniform_stream gives floats in [0, 1) with mean 0.5 and quartiles at 0.25/0.5/0.75."""
    x = draw(uniform_stream(np.random.default_rng(SEED)))
    assert x.min() >= 0 and x.max() < 1
    assert abs(x.mean() - 0.5) < 5 * math.sqrt(1 / 12) / math.sqrt(N)
    assert np.percentile(x, [25, 50, 75]) == pytest.approx([0.25, 0.5, 0.75], abs=0.005)


# ---------------------------------------------------------------------------- constants


class NoRandomness:
    """A generator stand-in that fails the test if any random number is asked for."""

    def __getattr__(self, name):
        raise AssertionError(f"constant sampler used rng.{name}")


def test_constant_sampler_uses_no_randomness():
    """A constant returns its value every time and never touches the generator."""
    sampler = make_sampler(ConstantDist(value="3ms"), NoRandomness())
    assert isinstance(sampler, ConstantSampler)
    assert sampler.mean == 0.003
    assert {sampler() for _ in range(10_000)} == {0.003}


def test_constant_sampler_leaves_the_stream_untouched():
    """Building and calling a constant sampler leaves a real generator's state unchanged."""
    rng = np.random.default_rng(SEED)
    before = rng.bit_generator.state
    sampler = make_sampler(ConstantDist(value="0"), rng)
    assert [sampler() for _ in range(100)] == [0.0] * 100
    assert rng.bit_generator.state == before


def test_unknown_spec_is_rejected():
    """make_sampler refuses objects that are not distribution specs."""
    with pytest.raises(TypeError, match="unknown distribution spec"):
        make_sampler({"dist": "exponential", "mean": 0.005}, np.random.default_rng(0))


# ---------------------------------------------------------------------------- determinism


@pytest.mark.parametrize(
    "spec",
    [ExponentialDist(mean="5ms"), LognormalDist(median="4ms", p99="30ms"), UniformDist(low="1ms", high="5ms")],
    ids=["exponential", "lognormal", "uniform"],
)
def test_same_seed_same_sequence(spec):
    """Two samplers on identically seeded generators give identical sequences; another seed differs."""
    n = 2 * CHUNK + 100
    a = draw(make_sampler(spec, np.random.default_rng(7)), n)
    b = draw(make_sampler(spec, np.random.default_rng(7)), n)
    c = draw(make_sampler(spec, np.random.default_rng(8)), n)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


# ---------------------------------------------------------------------------- chunking


N_CHUNKED = 3 * CHUNK + 17  # crosses several chunk boundaries, ends mid-chunk


@pytest.mark.parametrize(
    ("spec", "reference"),
    [
        (ExponentialDist(mean="5ms"), lambda rng, n: rng.exponential(0.005, n)),
        (LognormalDist(median="4ms", p99="30ms"),
         lambda rng, n: rng.lognormal(math.log(0.004), LognormalDist(median="4ms", p99="30ms").sigma, n)),
        (UniformDist(low="1ms", high="5ms"), lambda rng, n: rng.uniform(0.001, 0.005, n)),
    ],
    ids=["exponential", "lognormal", "uniform"],
)
def test_buffered_draws_equal_one_big_draw(spec, reference):
    """Drawing in chunks one value at a time gives exactly numpy's single-call sequence."""
    got = draw(make_sampler(spec, np.random.default_rng(SEED)), N_CHUNKED)
    expected = reference(np.random.default_rng(SEED), N_CHUNKED)
    assert np.array_equal(got, expected)


def test_buffered_empirical_equals_one_big_choice(empirical_spec):
    """Empirical chunked draws equal one rng.choice over the samples."""
    got = draw(make_sampler(empirical_spec, np.random.default_rng(SEED)), N_CHUNKED)
    expected = np.random.default_rng(SEED).choice(np.asarray(empirical_spec.samples), N_CHUNKED)
    assert np.array_equal(got, expected)


def test_buffered_uniform_stream_equals_one_big_random():
    """uniform_stream chunked draws equal one rng.random call."""
    got = draw(uniform_stream(np.random.default_rng(SEED)), N_CHUNKED)
    assert np.array_equal(got, np.random.default_rng(SEED).random(N_CHUNKED))


def test_sampler_draws_lazily_in_chunks():
    """A Sampler asks for CHUNK values only when its buffer runs out."""
    requests = []

    def fake_draw(n):
        requests.append(n)
        start = len(requests) * 10_000
        return np.arange(start, start + n, dtype=float)

    sampler = Sampler(fake_draw, mean=0.0, name="counter")
    assert requests == []
    first = [sampler() for _ in range(CHUNK)]
    assert requests == [CHUNK]
    assert first == list(np.arange(10_000, 10_000 + CHUNK, dtype=float))
    assert sampler() == 20_000.0
    assert requests == [CHUNK, CHUNK]
    assert type(sampler()) is float
