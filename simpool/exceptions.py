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
        parts = [_cut(_one_line(p)) for p in (source, field) if p]
        super().__init__(": ".join([*parts, _one_line(message)]))


def _one_line(text: str) -> str:
    """Control characters (a key ``"\\n"`` in a file) escaped, so the message stays one line."""
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _cut(text: str, limit: int = 160) -> str:
    """A file name or field path for a one-line message, cut short if a user made it huge."""
    return text if len(text) <= limit else f"{text[:limit - 30]}…({len(text):,} characters)"
