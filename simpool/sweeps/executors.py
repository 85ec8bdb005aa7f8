"""Where a sweep's runs happen: this process, a local process pool, or a Dask cluster.

Each is a thin adapter with one job: take ``(scenario, seed, replication)`` tasks and yield
``(task index, metrics)`` as runs finish, in whatever order they finish (or, given another
function such as :func:`run_whole`, what it returns). The caller puts
results back in grid order, so the numbers never depend on the executor or ``jobs``.
Tasks are taken from their iterable only as workers free up (a window of a few per
worker), so a grid of a million points is never built, nor submitted, all at once.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import re
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

from ..engine import run_replication
from ..exceptions import ScenarioError, SimpoolError

WINDOW_PER_WORKER = 2
"""Runs submitted per worker ahead of time: enough to keep it busy, few enough to stay light."""
DASK_TIMEOUT = 10.0
"""Seconds to reach a Dask scheduler (connect and answer) before giving up."""
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$")

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


def run_whole(scenario: Any, seed: int, replication: int, record_requests: bool = False) -> Any:
    """One replication, whole (histograms, time series, and with ``record_requests`` each
    request): what ``simpool run`` draws and writes."""
    return run_replication(scenario, seed, replication, record_requests=record_requests)


class Executor(Protocol):
    def run(self, tasks: Iterable[Task], function: Callable[..., Any] = run_task) -> Iterator[tuple[int, Any]]:
        """Yield ``(index into tasks, function(*task))`` as runs finish (``function``: a
        module-level function, so that it pickles to a worker)."""

    def close(self, *, cancel: bool = False) -> None:
        """Release the workers; ``cancel`` drops pending runs and stops running ones."""


def default_jobs() -> int:
    """The cores this process may use (the affinity mask, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def local_jobs(jobs: int | None, tasks: int) -> int:
    """Worker processes for ``jobs``: at most the cores available (more only compete for
    them) and the runs to do; the cores when None.

    Raises:
        ScenarioError: for a ``jobs`` that is not an integer >= 1.
    """
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ScenarioError(f"must be an integer >= 1 (not {jobs!r})", field="jobs")
    return max(1, min(default_jobs() if jobs is None else jobs, default_jobs(), tasks))


def make_executor(kind: str, *, jobs: int | None, scheduler: Any, tasks: int) -> Executor:
    if kind == "local":
        jobs = local_jobs(jobs, tasks)
        return InProcess() if jobs == 1 else LocalPool(jobs)
    if kind == "dask":
        return DaskExecutor(scheduler)
    raise ScenarioError(f"must be 'local' or 'dask' (not {kind!r})", field="executor")


class InProcess:
    """``jobs=1``: runs one after another here, with no pool to start."""

    def run(self, tasks: Iterable[Task], function: Callable[..., Any] = run_task) -> Iterator[tuple[int, Any]]:
        for i, task in enumerate(tasks):
            yield i, function(*task)

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
        self.jobs = jobs
        self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_ignore_sigint)

    def run(self, tasks: Iterable[Task], function: Callable[..., Any] = run_task) -> Iterator[tuple[int, Any]]:
        todo = enumerate(tasks)
        window: dict[Future, int] = {}
        while True:
            for i, task in itertools.islice(todo, WINDOW_PER_WORKER * self.jobs - len(window)):
                window[self.pool.submit(function, *task)] = i
            if not window:
                return
            finished, _ = wait(window, return_when=FIRST_COMPLETED)
            for future in finished:
                yield window.pop(future), future.result()

    def close(self, *, cancel: bool = False) -> None:
        if not cancel:
            self.pool.shutdown(wait=True)
            return
        # A run already started would otherwise finish first (minutes for a long scenario),
        # and the interpreter would wait for it at exit. ProcessPoolExecutor has no public
        # way to stop its workers before Python 3.14; before, take them before shutdown()
        # forgets them.
        terminate = getattr(self.pool, "terminate_workers", None)
        if terminate is not None:
            terminate()
            return
        workers = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            process.terminate()
        for process in workers:
            process.join(timeout=5)


class DaskExecutor:
    """Runs on a Dask ``distributed`` cluster (``pip install 'simpool[dask]'``); the
    workers need simpool installed. ``scheduler`` is an address or a ``Client``."""

    def __init__(self, scheduler: Any):
        try:
            from distributed import Client
        except ImportError:
            raise ExecutorError("the dask executor needs the optional extra: pip install 'simpool[dask]'") from None
        self._futures: dict[Any, int] = {}
        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, False
            return
        address = check_address(scheduler)
        if not address.startswith("inproc://"):  # a cluster in this process cannot hang so
            _probe(address)
        try:
            self.client, self._own = Client(address, timeout=f"{DASK_TIMEOUT:g}s"), True
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {exc}") from None

    def run(self, tasks: Iterable[Task], function: Callable[..., Any] = run_task) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed as dask_as_completed

        todo = enumerate(tasks)
        size = max(64, WINDOW_PER_WORKER * sum(self.client.nthreads().values()))
        # pure=False: every run is its own task (scenarios do not hash reliably).
        self._futures = {self.client.submit(function, *task, pure=False): i
                         for i, task in itertools.islice(todo, size)}
        if not self._futures:
            return
        finished = dask_as_completed(list(self._futures))
        for future in finished:
            for i, task in itertools.islice(todo, 1):
                following = self.client.submit(function, *task, pure=False)
                self._futures[following] = i
                finished.add(following)
            yield self._futures.pop(future), future.result()

    def close(self, *, cancel: bool = False) -> None:
        if cancel and self._futures:
            self.client.cancel(list(self._futures))
        self._futures = {}
        if self._own:
            self.client.close()


def check_address(scheduler: Any) -> str:
    """A Dask scheduler address as ``[tcp://]HOST:PORT`` (tls, ws, wss and ucx too; or an
    ``inproc://`` one, for a cluster in this process).

    Raises:
        ScenarioError: naming ``--scheduler`` when it is missing or malformed.
    """
    if not scheduler:
        raise ScenarioError("the dask executor needs a scheduler address, e.g. tcp://10.0.0.5:8786",
                            field="--scheduler")
    text = str(scheduler).strip()
    if text.startswith("inproc://") and len(text) > len("inproc://"):
        return text
    match = _ADDRESS.match(text)
    if match is None or not 0 < int(match.group(1)) < 65536:
        raise ScenarioError(f"expected an address such as tcp://10.0.0.5:8786 (not {text!r})", field="--scheduler")
    return text


def _probe(address: str) -> None:
    """Ask the scheduler who it is, within DASK_TIMEOUT: ``Client(timeout=...)`` bounds the
    connection but not the handshake, and waits forever on a port that accepts and never
    answers."""
    import asyncio

    from distributed.core import rpc

    async def identity() -> Any:
        remote = rpc(address, timeout=DASK_TIMEOUT)
        try:
            return await remote.identity()
        finally:
            await remote.close_rpc()

    try:
        asyncio.run(asyncio.wait_for(identity(), DASK_TIMEOUT))
    except TimeoutError:
        raise ExecutorError(f"the Dask scheduler at {address} did not answer within {DASK_TIMEOUT:g} s") from None
    except (OSError, ValueError) as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
