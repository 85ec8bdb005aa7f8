"""Adaptive replications: replicate each point only until its 95% CI decides it.

A point is a validated scenario and a seed. Its replications run in **rounds**: the first
round gives every point ``min_replications``; after each round a ``decide`` callback is
asked, for every point still open, whether it is settled (it sees every point's metric
row, so it can compare a point with its neighbours); each open point then gets one more
replication, up to ``max_replications``. Replication *k* of every point always has the same
seed streams (common random numbers, :mod:`simpool.engine`), and a decision is taken only
on complete, in-order sets of replications, so which replications a point ends with, and
its numbers, are the same whatever the executor or ``jobs`` (the round structure never
depends on them).

Rows are :func:`simpool.sweeps.rows.metric_row`: the one definition of a point's metrics
and their 95% CIs. Runs are kept by point key, so a point met again (a search that comes
back to a setting) reuses what it ran.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .cache import RunCache
from .executors import Executor, Outcome, make_executor
from .rows import metric_row

Decide = Callable[[Hashable, Mapping[Hashable, dict[str, Any]]], bool]
"""``decide(key, rows)``: whether point ``key`` is settled, given every point's row so far."""


@dataclass(frozen=True)
class Point:
    """A point to replicate: its key (any hashable naming it, e.g. ``(25, 25)``), its
    validated scenario and the seed its replications spawn from."""

    key: Hashable
    scenario: Any
    seed: int


class Replicator:
    """Runs points' replications in deterministic rounds on one executor, kept open
    across calls (a search asks for a few points at a time).

    Args:
        jobs: local worker processes (None: the cores available; 1 runs here).
        executor: ``"local"`` or ``"dask"`` (with ``scheduler``).
        on_round: called as ``on_round(replications run so far)`` after each round.
        cache: a run cache that keeps every run's outcome as it finishes; with ``resume``,
            runs it holds are taken from it instead of run (the rows are the same bytes).

    Use it as a context manager; :attr:`cpu_seconds` is complete once it is closed.
    """

    def __init__(self, *, jobs: int | None = None, executor: str = "local", scheduler: Any = None,
                 on_round: Callable[[int], None] | None = None, cache: RunCache | None = None,
                 resume: bool = False):
        self._kind, self._jobs, self._scheduler = executor, jobs, scheduler
        self._runner: Executor | None = None
        self._runs: dict[Hashable, list[Outcome]] = {}
        self._points: dict[Hashable, Point] = {}
        self._on_round = on_round
        self._cache, self._resume = cache, resume
        self.replications = 0
        """Replications run (not counting those reused)."""
        self.reused = 0
        """Replications taken from the run cache."""
        self._cpu = (time.process_time(), _children_cpu())
        self.cpu_seconds = 0.0
        """CPU time of this process and its workers from opening to closing (workers are
        counted once they have exited, i.e. after :meth:`close`)."""

    def __enter__(self) -> Replicator:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.close(cancel=exc_type is not None)

    def close(self, *, cancel: bool = False) -> None:
        if self._runner is not None:
            self._runner.close(cancel=cancel)
            self._runner = None
        if self._cache is not None and self._cache.stored and not cancel:
            self._cache.prune()
        self.cpu_seconds = time.process_time() - self._cpu[0] + _children_cpu() - self._cpu[1]

    # ------------------------------------------------------------------ the rounds

    def run(self, points: Sequence[Point], *, min_replications: int, max_replications: int,
            decide: Decide, on_final: Callable[[Hashable, dict[str, Any]], None] | None = None,
            ) -> dict[Hashable, dict[str, Any]]:
        """Replicate ``points`` until each is settled or has ``max_replications``.

        Args:
            on_final: called as ``on_final(key, row)`` once a point is done (settled, or
                at the most replications), in the order of ``points`` within a round.

        Returns:
            Every point's metric row (by key), from its replications 0..n-1.
        """
        if not 1 <= min_replications <= max_replications:
            raise ValueError(f"need 1 <= min_replications ({min_replications}) <= max ({max_replications})")
        for point in points:
            self._points.setdefault(point.key, point)
        keys = list(dict.fromkeys(p.key for p in points))
        open_ = [k for k in keys if len(self._runs.get(k, ())) < max_replications]
        done_before = [k for k in keys if k not in open_]
        target = dict.fromkeys(open_, min_replications)
        rows: dict[Hashable, dict[str, Any]] = {}
        while True:
            self._round({k: target[k] for k in open_})
            rows = {k: self.row(k) for k in keys}
            still = [k for k in open_ if self.count(k) < max_replications and not decide(k, rows)]
            if on_final is not None:
                for k in [*done_before, *open_]:
                    if k not in still:
                        on_final(k, rows[k])
                done_before = []
            open_ = still
            if not open_:
                return rows
            target = {k: self.count(k) + 1 for k in open_}

    def count(self, key: Hashable) -> int:
        """Replications held for point ``key``."""
        return len(self._runs.get(key, ()))

    def runs(self, key: Hashable) -> list[Outcome]:
        """Point ``key``'s outcomes, replication 0 first."""
        return list(self._runs.get(key, ()))

    def row(self, key: Hashable, *, first: int | None = None) -> dict[str, Any]:
        """Point ``key``'s metric row from every replication it has, in order (or from
        its ``first`` ones)."""
        point = self._points[key]
        return metric_row(point.scenario, point.seed, self._runs[key][:first])

    def _round(self, targets: Mapping[Hashable, int]) -> None:
        """Bring each point up to its target count of replications, in one batch."""
        tasks: list[tuple[Any, int, int]] = []
        slots: list[tuple[Hashable, Outcome | None]] = []
        """Every replication of the round in order: its point and, if the cache had it, its outcome."""
        cache = self._cache if self._resume else None
        for key, target in targets.items():
            point = self._points[key]
            for k in range(self.count(key), target):
                kept = cache.get(point.scenario, point.seed, k) if cache is not None else None
                slots.append((key, kept))
                if kept is None:
                    tasks.append((point.scenario, point.seed, k))
        if not slots:
            return
        ran: dict[int, Outcome] = {}
        if tasks:
            if self._runner is None:
                # Sized for the whole search, not this round: the pool is started once.
                self._runner = make_executor(self._kind, jobs=self._jobs, scheduler=self._scheduler, tasks=1 << 20)
            for index, outcome in self._runner.run(tasks):
                ran[index] = outcome
                if self._cache is not None:
                    self._cache.put(*tasks[index], outcome)
        fresh = iter(range(len(tasks)))
        for key, kept in slots:
            self._runs.setdefault(key, []).append(ran[next(fresh)] if kept is None else kept)
        self.replications += len(tasks)
        self.reused += len(slots) - len(tasks)
        if self._on_round is not None:
            self._on_round(self.replications)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
