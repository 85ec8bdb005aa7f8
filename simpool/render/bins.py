"""Samples of a time series grouped into bins of a round width, so that a figure shows a
level per bin instead of every sample: a gauge flapping between 0 and 2 every sample
reads as a level near 1, not as a barcode.
"""

from __future__ import annotations

import numpy as np

from ..units import format_duration

MAX_STEPS = 120
"""More samples than this are grouped into at most this many bins (about 6 px each at 150 dpi)."""
NICE_WIDTHS = (1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0,
               300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 3 * 3600.0, 6 * 3600.0, 12 * 3600.0, 86400.0)
"""Bin widths a reader takes in at a glance (seconds): 500ms, 2s, 5m, not 333.333ms."""


class Bins:
    """The samples grouped into equal bins of a round width (one sample each when they
    are few): the x of each bin's start, and gauges' means or peaks and counters' rates
    per bin."""

    def __init__(self, t: np.ndarray, scale: float):
        n = len(t)
        span = float(t[-1] - t[0]) if n > 1 else 0.0
        self.width = 0.0
        if n > MAX_STEPS + 1:
            self.width = next((w for w in NICE_WIDTHS if span / w <= MAX_STEPS), NICE_WIDTHS[-1])
            group = np.floor((t - t[0]) / self.width + 1e-9).astype(np.int64)
            starts = np.flatnonzero(np.diff(group, prepend=-1))
            self.starts = starts[starts < n - 1]  # the last sample closes the last bin
        else:
            self.starts = np.arange(max(n - 1, 1))
            self.width = float(t[1] - t[0]) if n > 1 else 0.0
        self.t = t
        self._edges = np.append(self.starts, max(n - 1, 0))
        self.x = t[self._edges] / scale if n else np.zeros(1)

    @property
    def averaged(self) -> bool:
        return len(self.starts) < len(self.t) - 1

    def mean(self, values: np.ndarray) -> np.ndarray:
        if not self.averaged:
            return self._close(values[..., self.starts].astype(float))
        sums = np.add.reduceat(values, self.starts, axis=-1)
        counts = np.diff(np.append(self.starts, values.shape[-1]))
        return self._close(sums / counts)

    def peak(self, values: np.ndarray) -> np.ndarray:
        return self._close(np.maximum.reduceat(values, self.starts, axis=-1).astype(float))

    def rate(self, counter: np.ndarray) -> np.ndarray:
        """Events per second in each bin, from a counter read at every sample."""
        dt = np.diff(self.t[self._edges])
        return self._close(np.diff(counter[..., self._edges], axis=-1) / np.where(dt > 0, dt, np.nan))

    @staticmethod
    def _close(values: np.ndarray) -> np.ndarray:
        """Repeat the last value, so a ``steps-post`` line reaches the last edge."""
        return np.concatenate([values, values[..., -1:]], axis=-1)

    def per(self) -> str:
        return f"per {format_duration(round(self.width, 6))}"
