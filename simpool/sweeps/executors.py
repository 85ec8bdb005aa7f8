"""Where a sweep's runs happen: this process, a local process pool, or a Dask cluster.

Each is a thin adapter with one job: take ``(scenario, seed, replication)`` tasks and yield
``(task index, metrics)`` as runs finish, in whatever order they finish. The caller puts
results back in grid order, so the numbers never depend on the executor or ``jobs``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any, Protocol

from ..engine import run_replication
from ..exceptions import SimpoolError

Task = tuple[Any, int, int]
"""A validated Scenario, the seed, and the replication index."""

Outcome = tuple[dict[str, Any], dict[str, int]]
"""A run's metrics (the summary's shape) and its error messages."""


class ExecutorError(SimpoolError):
    """The executor cannot start: a missing optional extra, an unreachable scheduler."""


def run_task(scenario: Any, seed: int, replication: int) -> Outcome:
    """One replication, reduced to what a sweep row needs: histograms and time series stay
    in the worker, so shipping a result back costs a few hundred bytes."""
    run = run_replication(scenario, seed, replication)
    return run.metrics, run.error_messages


class Executor(Protocol):
    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Outcome]]:
        """Yield ``(index into tasks, outcome)`` as runs finish."""

    def close(self, *, cancel: bool = False) -> None:
        """Release the workers; ``cancel`` drops pending runs and stops running ones."""


def default_jobs() -> int:
    """The cores this process may use (the affinity mask, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def make_executor(kind: str, *, jobs: int | None, scheduler: Any, tasks: int) -> Executor:
    if kind == "local":
        jobs = default_jobs() if jobs is None else jobs
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ExecutorError(f"jobs must be an integer >= 1 (not {jobs!r})")
        jobs = min(jobs, tasks)
        return InProcess() if jobs == 1 else LocalPool(jobs)
    if kind == "dask":
        return DaskExecutor(scheduler)
    raise ExecutorError(f"executor must be 'local' or 'dask' (not {kind!r})")


class InProcess:
    """``jobs=1``: runs one after another here, with no pool to start."""

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Outcome]]:
        for i, task in enumerate(tasks):
            yield i, run_task(*task)

    def close(self, *, cancel: bool = False) -> None:
        pass


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which cancels the sweep and keeps what finished;
    otherwise a terminal's SIGINT to the whole process group would kill runs mid-way."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalPool:
    """A ``ProcessPoolExecutor`` started once per sweep and reused for every run.

    Workers are spawned, not forked: the parent runs threads (the progress bar), and forking
    a threaded process can deadlock the child. Each worker imports simpool once.
    """

    def __init__(self, jobs: int):
        self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_ignore_sigint)
        self._futures: list[Future] = []

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Outcome]]:
        index: dict[Future, int] = {}
        for i, task in enumerate(tasks):
            future = self.pool.submit(run_task, *task)
            index[future] = i
            self._futures.append(future)
        for future in as_completed(index):
            yield index[future], future.result()

    def close(self, *, cancel: bool = False) -> None:
        if not cancel:
            self.pool.shutdown(wait=True)
            return
        self.pool.shutdown(wait=False, cancel_futures=True)
        # A run already started would otherwise finish first (minutes for a long scenario).
        # ProcessPoolExecutor has no public way to stop its workers before Python 3.14.
        terminate = getattr(self.pool, "terminate_workers", None)
        if terminate is not None:
            terminate()
            return
        for process in list((getattr(self.pool, "_processes", None) or {}).values()):
            process.terminate()
        for process in list((getattr(self.pool, "_processes", None) or {}).values()):
            process.join(timeout=5)


class DaskExecutor:
    """Runs on a Dask ``distributed`` cluster (``pip install 'simpool[dask]'``); the
    workers need simpool installed. ``scheduler`` is an address or a ``Client``."""

    def __init__(self, scheduler: Any):
        try:
            from distributed import Client
        except ImportError:
            raise ExecutorError("the dask executor needs the optional extra: pip install 'simpool[dask]'") from None
        self._futures: list[Any] = []
        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, False
            return
        if not scheduler:
            raise ExecutorError("the dask executor needs a scheduler address (--scheduler tcp://host:8786)")
        try:
            self.client, self._own = Client(scheduler, timeout="10s"), True
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Outcome]]:
        from distributed import as_completed as dask_as_completed

        if not tasks:
            return
        columns = [list(column) for column in zip(*tasks, strict=True)]
        # pure=False: every run is its own task (scenarios do not hash reliably).
        futures = self.client.map(run_task, *columns, pure=False)
        self._futures = futures
        index = {future.key: i for i, future in enumerate(futures)}
        for future in dask_as_completed(futures):
            yield index[future.key], future.result()

    def close(self, *, cancel: bool = False) -> None:
        if cancel and self._futures:
            self.client.cancel(self._futures)
        self._futures = []
        if self._own:
            self.client.close()
