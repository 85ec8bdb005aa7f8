"""A run's replications on several processes: :func:`simulate` with ``jobs``.

The engine runs replications one after another (:func:`simpool.engine.simulate`) and knows
nothing of processes; this module hands them to the same executors a sweep uses and puts
them back in replication order, so the :class:`~simpool.result.Result` (and every byte
written from it) is the same whatever ``jobs`` is.
"""

from __future__ import annotations

from typing import Any

from .. import engine
from ..result import Result
from .executors import local_jobs, make_executor, run_whole


def simulate_replications(scenario: Any, seed: int | None = None, replications: int = 1, *, jobs: int = 1,
                          record_requests: bool = False) -> Result:
    """:func:`simpool.simulate` with the replications on ``jobs`` local processes (at most
    the cores available and the replications; 1: in this process, as ``simulate``).

    Raises:
        ScenarioError: as ``simulate``, and for a ``jobs`` that is not an integer >= 1.
    """
    seed = engine.check_run(scenario, seed, replications)
    if local_jobs(jobs, replications) == 1:
        return engine.simulate(scenario, seed=seed, replications=replications, record_requests=record_requests)
    runner = make_executor("local", jobs=jobs, scheduler=None, tasks=replications)
    runs: dict[int, Any] = {}
    try:
        for k, run in runner.run([(scenario, seed, k, record_requests) for k in range(replications)],
                                 function=run_whole):
            runs[k] = run
    except BaseException:
        runner.close(cancel=True)
        raise
    runner.close()
    return Result(scenario=scenario, seed=seed, replications=tuple(runs[k] for k in range(replications)))
