"""LogHistogram: percentiles within 1% of the exact order statistics, exact counts, sums
and maxima, merging, and the two ways in (one value at a time, or many at once)."""

import math

import numpy as np
import pytest

from simpool.stats import LogHistogram

N = 200_000
PERCENTILES = (50, 95, 99)


def _exponential(rng):
    return rng.exponential(0.010, N)


def _lognormal(rng):
    return rng.lognormal(math.log(0.004), 1.2, N)


def _waits_with_zeros(rng):
    """Like an M/M/c wait: 70% zeros, the rest exponential."""
    return np.where(rng.random(N) < 0.7, 0.0, rng.exponential(0.002, N))


def _mostly_zeros(rng):
    """Zeros up to the 96th percentile: p50 and p95 are exactly 0, p99 is not."""
    return np.where(rng.random(N) < 0.96, 0.0, rng.exponential(0.5, N))


def _bimodal(rng):
    """Fast hits and slow misses, four decades apart, with some zeros."""
    fast = rng.lognormal(math.log(1e-4), 0.3, N)
    slow = rng.lognormal(math.log(1.0), 0.5, N)
    pick = rng.random(N)
    return np.where(pick < 0.1, 0.0, np.where(pick < 0.92, fast, slow))


DISTRIBUTIONS = [_exponential, _lognormal, _waits_with_zeros, _mostly_zeros, _bimodal]


def _histogram(values):
    h = LogHistogram()
    h.extend(values)
    return h


@pytest.mark.parametrize("make", DISTRIBUTIONS, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_percentiles_within_one_percent_of_exact(make, seed):
    """p50/p95/p99 agree with the exact nearest-rank percentiles (numpy's inverted_cdf)
    within 1%, and with numpy's default (linear) percentiles within 1% as well."""
    values = make(np.random.default_rng(seed))
    h = _histogram(values)
    for p in PERCENTILES:
        exact = float(np.percentile(values, p, method="inverted_cdf"))
        assert h.percentile(p) == pytest.approx(exact, rel=0.01, abs=0.0), p
        linear = float(np.percentile(values, p))
        assert h.percentile(p) == pytest.approx(linear, rel=0.01, abs=0.0), p


@pytest.mark.parametrize("make", DISTRIBUTIONS, ids=lambda f: f.__name__.strip("_"))
def test_counts_sum_max_and_zeros_are_exact(make):
    """Count, mean, maximum and the share of zeros are exact, not bucketed."""
    values = make(np.random.default_rng(7))
    h = _histogram(values)
    assert h.n == N
    assert h.mean() == pytest.approx(values.mean(), rel=1e-12)
    assert h.maximum == values.max()
    assert h.percentile(100) == values.max()
    assert h.fraction_positive() == pytest.approx((values > 0).mean(), abs=0)


def test_merge_equals_one_histogram_of_everything():
    """Histograms of parts, merged, equal the histogram of the whole (mergeable)."""
    rng = np.random.default_rng(11)
    parts = [_exponential(rng), _waits_with_zeros(rng), _lognormal(rng)]
    merged = LogHistogram()
    for part in parts:
        merged.merge(_histogram(part))
    whole = _histogram(np.concatenate(parts))
    assert merged.n == whole.n == 3 * N
    assert merged.zeros == whole.zeros
    assert merged.maximum == whole.maximum
    assert merged.total == pytest.approx(whole.total, rel=1e-12)
    assert np.array_equal(merged._counts, whole._counts)
    for p in (1, 50, 90, 95, 99, 99.9):
        assert merged.percentile(p) == whole.percentile(p)


def test_merge_includes_values_not_yet_folded_in():
    """Values added one at a time (still buffered) are part of a merge, on both sides."""
    a, b = LogHistogram(), LogHistogram()
    for x in (0.001, 0.002, 0.0):
        a.add(x)
    b.add(0.5)
    a.merge(b)
    assert a.n == 4 and a.zeros == 1 and a.maximum == 0.5


def test_add_one_by_one_equals_extend():
    """add() (buffered) and extend() (vectorised) build the same histogram."""
    values = _waits_with_zeros(np.random.default_rng(5))[:100_000]
    one = LogHistogram()
    for x in values.tolist():
        one.add(x)
    many = LogHistogram()
    many.extend(values.tolist())
    assert one.n == many.n and np.array_equal(one._counts, many._counts)
    assert one.total == pytest.approx(many.total, rel=1e-12)
    assert one.percentile(99) == many.percentile(99)


def test_memory_is_fixed():
    """The bucket array does not grow with the number of values."""
    h = LogHistogram()
    size = h._counts.nbytes
    h.extend(np.random.default_rng(3).exponential(1.0, 1_000_000))
    assert h._counts.nbytes == size < 32_000


def test_empty_histogram_reports_nan():
    h = LogHistogram()
    assert h.n == 0
    assert math.isnan(h.mean()) and math.isnan(h.percentile(50)) and math.isnan(h.fraction_positive())


@pytest.mark.parametrize("bad", [-1e-9, float("nan"), float("inf")])
def test_rejects_negative_and_non_finite_values(bad):
    """Waits and latencies are finite and non-negative; anything else is a bug upstream."""
    with pytest.raises(ValueError, match="finite values >= 0"):
        LogHistogram().extend([0.1, bad])
    h = LogHistogram()
    h.add(bad)
    with pytest.raises(ValueError, match="finite values >= 0"):
        h.percentile(50)
