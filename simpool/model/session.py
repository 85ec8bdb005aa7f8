"""A server-side session and a connection being set up (see :mod:`.database`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DialCallback = Callable[[Any, "Session | None", Any], None]


class Session:
    """One server-side session (a PostgreSQL backend, a MySQL thread).

    ``dead`` means the client can no longer use it (the server killed it, or a middlebox
    dropped the flow); ``holds_slot`` whether it still counts against ``max_connections``.

    A session runs one query at a time (``busy``). A *plain* query (see
    :meth:`Database.execute`) cannot be queued or cancelled, so its end needs no record of
    its own: the session is put on the schedule as that event (``callbacks`` and ``_ok``
    are SimPy's event protocol), with the client to answer in ``client``.
    """

    __slots__ = ("id", "dead", "holds_slot", "busy", "client_gone", "last_active", "dropped",
                 "callbacks", "_ok", "client", "query")

    def __init__(self, session_id: int, now: float):
        self.id = session_id
        self.dead = False
        self.holds_slot = True
        self.busy = False
        self.client_gone = False
        self.last_active = now
        self.dropped = False
        self.callbacks: Any = None
        self._ok = True
        self.client: Any = None
        """Whom the running plain query answers (``client.query_done``)."""
        self.query: Any = None
        """The tracked (not plain) query running on it, which a CancelRequest can stop."""

    def __repr__(self) -> str:
        return f"Session(id={self.id}, dead={self.dead}, holds_slot={self.holds_slot}, busy={self.busy})"


class Dial:
    """One connection being set up: who asked, its sampled handshake, its deadline."""

    __slots__ = ("callback", "token", "handshake", "deadline", "accepted", "syn_tries", "epoch")

    def __init__(self, callback: DialCallback, token: Any, handshake: float, deadline: float):
        self.callback = callback
        self.token = token
        self.handshake = handshake
        self.deadline = deadline
        self.accepted = 0.0
        """When the accept loop took it; the handshake's phases count from here."""
        self.syn_tries = 0
        self.epoch = 0
        """The server's life it was accepted in (a restart starts a new one)."""

    def __repr__(self) -> str:
        return f"Dial(handshake={self.handshake:g}, accepted={self.accepted:g}, syn_tries={self.syn_tries})"
