"""The one error calibrating raises on purpose."""

from ..exceptions import SimpoolError


class CalibrationError(SimpoolError):
    """The server cannot be measured as asked (unreachable, wrong password, a role without
    rights, a missing driver, an output file simpool may not touch): one line for the user,
    exit status 2."""
