"""Measured times → a distribution: a lognormal by its median and 99th percentile (the
``{dist: lognormal, median, p99}`` form a scenario takes), with the raw quantiles kept so
the user can see how well two numbers describe the samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..units import format_duration

QUANTILES = (50, 90, 95, 99)


@dataclass(frozen=True)
class Fit:
    """One measured quantity: its samples (seconds) and its lognormal by median and p99."""

    name: str
    samples: tuple[float, ...]
    median: float
    p99: float
    quantiles: dict[int, float]
    """Raw sample quantiles (50, 90, 95, 99) in seconds."""
    maximum: float

    @property
    def spec(self) -> dict[str, str]:
        """The scenario form, rounded to the microsecond."""
        return {"dist": "lognormal", "median": format_duration(self.median), "p99": format_duration(self.p99)}

    def summary(self) -> str:
        """``p50 4.1ms, p90 5ms, p95 5.4ms, p99 7.9ms, max 9ms (200 samples)``."""
        parts = [f"p{q} {format_duration(round(v, 6))}" for q, v in self.quantiles.items()]
        return ", ".join([*parts, f"max {format_duration(round(self.maximum, 6))}"]) + f" ({len(self.samples)} samples)"


def fit_samples(name: str, samples: list[float] | tuple[float, ...]) -> Fit:
    """Fit a lognormal by the samples' median and 99th percentile. A lognormal needs
    p99 > median; samples without spread get a p99 one microsecond above the median."""
    if not samples:
        raise ValueError(f"no {name} samples to fit")
    values = np.asarray(samples, dtype=float)
    quantiles = {q: float(np.percentile(values, q)) for q in QUANTILES}
    median = max(round(quantiles[50], 6), 1e-6)
    p99 = max(round(quantiles[99], 6), median + 1e-6)
    return Fit(name=name, samples=tuple(float(v) for v in values), median=median, p99=p99,
               quantiles=quantiles, maximum=float(values.max()))
