"""Statistics: a mergeable log-bucketed histogram, confidence intervals, Erlang B and C."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

_RELATIVE_WIDTH = 0.01
_LOG_GROWTH = math.log1p(_RELATIVE_WIDTH)
_SMALLEST = 1e-7
"""Values below 0.1 µs share the first bucket (they are zero for any practical purpose)."""
_BUCKETS = int(math.ceil(math.log(1e7 / _SMALLEST) / _LOG_GROWTH)) + 1
"""Up to 10^7 s (115 days); larger values land in the last bucket."""
_FLUSH = 65536


class LogHistogram:
    """Non-negative values in buckets 1% wide (relative), plus exact count, sum, zeros, max.

    Memory is fixed (about 2,700 buckets) whatever the number of values; a percentile is
    the geometric middle of its bucket, so within 0.5% of the exact order statistic.
    Values are buffered and folded in with numpy, because a Python call per bucket index
    would cost more than the simulation step that produced the value.
    """

    __slots__ = ("_counts", "_buffer", "count", "total", "zeros", "maximum")

    def __init__(self) -> None:
        self._counts = np.zeros(_BUCKETS, dtype=np.int64)
        self._buffer: list[float] = []
        self.count = 0
        self.total = 0.0
        self.zeros = 0
        self.maximum = 0.0

    def __repr__(self) -> str:
        return f"LogHistogram(count={self.count + len(self._buffer)})"

    def add(self, value: float) -> None:
        buffer = self._buffer
        buffer.append(value)
        if len(buffer) >= _FLUSH:
            self._flush()

    def add_zeros(self, count: int) -> None:
        """Add ``count`` zeros at once (e.g. the queries that never waited)."""
        self.count += count
        self.zeros += count

    def extend(self, values: Iterable[float]) -> None:
        """Add many values at once (vectorised: no Python call per value)."""
        self._flush()
        if isinstance(values, np.ndarray):
            self._fold(values.astype(float, copy=False).ravel())
        elif isinstance(values, list):
            self._fold(np.fromiter(values, float, len(values)))
        else:
            self._fold(np.fromiter(values, float))

    def _flush(self) -> None:
        if self._buffer:
            values = np.fromiter(self._buffer, float, len(self._buffer))
            self._buffer = []
            self._fold(values)

    def _fold(self, values: np.ndarray) -> None:
        if not len(values):
            return
        low, high = float(values.min()), float(values.max())
        if not (low >= 0 and high < math.inf):  # also false for NaN
            raise ValueError("LogHistogram takes finite values >= 0")
        self.count += len(values)
        self.total += float(values.sum())
        self.maximum = max(self.maximum, high)
        positive = values[values > 0] if low == 0 else values.copy()
        self.zeros += len(values) - len(positive)
        # index = floor(log(max(x, smallest) / smallest) / log growth), computed in place
        np.maximum(positive, _SMALLEST, out=positive)
        positive /= _SMALLEST
        np.log(positive, out=positive)
        positive /= _LOG_GROWTH
        index = positive.astype(np.int64)  # values are >= 0 here, so truncation is floor
        np.minimum(index, _BUCKETS - 1, out=index)
        self._counts += np.bincount(index, minlength=_BUCKETS)

    def merge(self, other: LogHistogram) -> None:
        """Add another histogram's values into this one."""
        self._flush()
        other._flush()
        self._counts += other._counts
        self.count += other.count
        self.total += other.total
        self.zeros += other.zeros
        self.maximum = max(self.maximum, other.maximum)

    @property
    def n(self) -> int:
        self._flush()
        return self.count

    def mean(self) -> float:
        n = self.n
        return self.total / n if n else math.nan

    def fraction_positive(self) -> float:
        """Share of values above zero (for a wait: P(wait > 0))."""
        n = self.n
        return (n - self.zeros) / n if n else math.nan

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile (0-100), nearest rank, to 0.5% relative accuracy."""
        n = self.n
        if not n:
            return math.nan
        rank = max(1, math.ceil(p / 100 * n))
        if p >= 100:
            return self.maximum
        if rank <= self.zeros:
            return 0.0
        cumulative = np.cumsum(self._counts)
        index = int(np.searchsorted(cumulative, rank - self.zeros))
        middle = _SMALLEST * math.exp((index + 0.5) * _LOG_GROWTH)
        return min(middle, self.maximum)

    def cdf(self) -> tuple[np.ndarray, np.ndarray]:
        """(values, cumulative fractions) at bucket upper edges, for plotting."""
        n = self.n
        if not n:
            return np.array([]), np.array([])
        nonzero = np.nonzero(self._counts)[0]
        edges = _SMALLEST * np.exp((nonzero + 1) * _LOG_GROWTH)
        fractions = (self.zeros + np.cumsum(self._counts)[nonzero]) / n
        return np.concatenate([[0.0], edges]), np.concatenate([[self.zeros / n], fractions])


def mean_ci95(values: Iterable[float]) -> tuple[float, float | None]:
    """Mean and the 95% confidence half-width (Student's t) across replications; the
    half-width is None for a single value."""
    data = np.asarray(list(values), dtype=float)
    data = data[~np.isnan(data)]
    if len(data) == 0:
        return math.nan, None
    mean = float(data.mean())
    if len(data) < 2:
        return mean, None
    from scipy.stats import (
        t,  # imported here: scipy is slow to import and rarely needed
    )

    half = float(t.ppf(0.975, len(data) - 1) * data.std(ddof=1) / math.sqrt(len(data)))
    return mean, half


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability of M/M/c/c (Erlang B) for ``offered_load = λ/μ`` erlangs."""
    if servers < 0 or offered_load < 0:
        raise ValueError("servers and load must be non-negative")
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability of waiting in M/M/c (Erlang C); requires ``offered_load < servers``."""
    if offered_load >= servers:
        raise ValueError(f"unstable: load {offered_load} >= servers {servers}")
    b = erlang_b(servers, offered_load)
    rho = offered_load / servers
    return b / (1 - rho * (1 - b))


def mmc_mean_wait(servers: int, arrival_rate: float, mean_service: float) -> float:
    """Mean wait in queue of M/M/c: ``C(c, a) / (c·μ − λ)``."""
    load = arrival_rate * mean_service
    return erlang_c(servers, load) / (servers / mean_service - arrival_rate)
