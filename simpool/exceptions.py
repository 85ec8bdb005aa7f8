"""Every error simpool raises on purpose derives from :class:`SimpoolError`."""


class SimpoolError(Exception):
    """Base class of simpool's own errors."""


class ScenarioError(SimpoolError, ValueError):
    """A scenario (file, dict or override) is invalid.

    The message is one line that names the field path and the problem, for example
    ``fleet.pool.max_open: must be >= 0 (not -3)``.
    """

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None):
        self.field = field
        self.source = source
        self.problem = message
        parts = [p for p in (source, field) if p]
        super().__init__(": ".join([*parts, message]))
