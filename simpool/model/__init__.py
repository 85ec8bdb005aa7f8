"""The simulation: Go's pool (the host stand), the database (the kitchen), traffic and fleet.

Nothing here knows about the CLI, files or plots. Time is in seconds. The hot path is
written with callbacks on a ``simpy.Environment`` (see :mod:`simpool.model.events`)
rather than a generator process per request, because sweeps multiply its cost.
"""
