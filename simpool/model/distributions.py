"""Samplers built from the scenario's distribution specs, each on its own random stream.

Values are drawn from numpy in chunks and handed out one at a time: the sequence is the
same as drawing one by one from the same stream, but costs a ``next`` per value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from functools import partial

import numpy as np

from ..scenario import (
    ConstantDist,
    EmpiricalDist,
    ExponentialDist,
    LognormalDist,
    UniformDist,
)

CHUNK = 4096


class Sampler(partial):
    """Callable returning the next value of a distribution (seconds).

    ``draw(n)`` is asked for ``CHUNK`` values whenever the previous chunk is used up
    (never before the first call), and the values are handed out in order.
    """

    # NOTE: a ``partial(next, values)`` over a chained iterator of the chunks, for
    # performance: calling it runs no Python frame (one or more draws per request). Each
    # chunk is a memoryview of numpy's doubles, so a Python float is made only when its
    # value is handed out (``tolist`` would make all 4,096 at once and keep them alive).

    def __new__(cls, draw: Callable[[int], np.ndarray], mean: float, name: str) -> Sampler:
        chunks = iter(lambda: memoryview(draw(CHUNK)), None)  # endless and lazy
        self = super().__new__(cls, next, itertools.chain.from_iterable(chunks))
        self.mean = mean
        """The distribution's mean, for theory checks."""
        self.name = name
        return self

    def __repr__(self) -> str:
        return f"Sampler({self.name}, mean={self.mean:g})"


class ConstantSampler:
    """A constant: no random numbers used."""

    __slots__ = ("value", "mean")

    def __init__(self, value: float):
        self.value = value
        self.mean = value

    def __call__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"ConstantSampler({self.value:g})"


def make_sampler(spec: object, rng: np.random.Generator) -> Sampler | ConstantSampler:
    """The sampler for a distribution spec, drawing from ``rng``."""
    if isinstance(spec, ConstantDist):
        return ConstantSampler(spec.value)
    if isinstance(spec, ExponentialDist):
        mean = spec.mean
        return Sampler(lambda n: rng.exponential(mean, n), mean, f"exponential(mean={mean:g})")
    if isinstance(spec, LognormalDist):
        mu, sigma = math.log(spec.median), spec.sigma
        return Sampler(lambda n: rng.lognormal(mu, sigma, n), spec.mean,
                       f"lognormal(median={spec.median:g}, p99={spec.p99:g})")
    if isinstance(spec, UniformDist):
        low, high = spec.low, spec.high
        return Sampler(lambda n: rng.uniform(low, high, n), spec.mean, f"uniform({low:g}, {high:g})")
    if isinstance(spec, EmpiricalDist):
        values = np.asarray(spec.samples, dtype=float)
        return Sampler(lambda n: rng.choice(values, n), float(values.mean()), f"empirical({spec.file})")
    raise TypeError(f"unknown distribution spec {spec!r}")


def uniform_span(rng: np.random.Generator, high: float) -> Sampler:
    """Floats in [0, high), e.g. the extra lifetime of the jitter what-if."""
    return Sampler(lambda n: rng.uniform(0.0, high, n), high / 2, f"uniform(0, {high:g})")


def uniform_stream(rng: np.random.Generator) -> Sampler:
    """Floats in [0, 1), for picks (waiters) and coin flips (pitfalls)."""
    return Sampler(rng.random, 0.5, "uniform01")
