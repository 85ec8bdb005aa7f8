"""The server's front door: one loop that accepts (and, in PostgreSQL, forks) each new
connection, behind the kernel's listen backlog.

PostgreSQL's postmaster accepts and forks every connection itself, one at a time, in its
``ServerLoop`` (PG 15: ``src/backend/postmaster/postmaster.c``, ``ServerLoop`` →
``BackendStartup`` → ``fork_process``; PG 17+: ``postmaster.c`` and ``launch_backend.c``).
Connections the loop has not reached wait in the listen socket's accept queue, whose length
PostgreSQL asks for as twice ``MaxBackends`` (``src/backend/libpq/pqcomm.c``,
``ListenServerPort``/``StreamServerPort``; the kernel caps it at ``net.core.somaxconn``).
When the queue is full, Linux drops the client's SYN; the client retransmits it after 1 s,
then 2 s, 4 s … (``tcp_syn_retries`` = 6: the connect fails after 127 s), so in a dial storm
dials time out in the TCP connect, at their context deadline.

A connection that gave up while queued still costs the loop its accept and fork: the
backend then reads EOF and exits. MySQL's listener thread accepts in the same way, behind
``back_log`` (MySQL 8.0: ``max_connections``, WL#9704); it does not fork.

The loop is modelled as a FIFO single server with a fixed service time per connection
(``1 / accept_rate``), without events: each connection's accept time follows from the
previous one's.
"""

from __future__ import annotations

from collections import deque

SYN_RETRIES = 6
"""Linux ``net.ipv4.tcp_syn_retries``: SYNs resent at 1, 3, 7, 15, 31, 63 s; ETIMEDOUT at 127 s."""

SYN_TIMEOUT = 1.0
"""The first SYN retransmission timeout (``TCP_TIMEOUT_INIT``); it doubles each time."""


class Listener:
    """The accept loop and its backlog.

    Args:
        accept_rate: connections the loop accepts and forks per second (0 = no limit).
        backlog: connections the accept queue holds.
    """

    def __init__(self, accept_rate: float, backlog: int):
        self.service = 1.0 / accept_rate if accept_rate > 0 else 0.0
        self.backlog = backlog
        self.overflows = 0
        """SYNs dropped because the accept queue was full."""
        self._free_at = 0.0
        """When the loop is done with every connection admitted so far."""
        self._queued: deque[float] = deque()
        """Accept times still ahead of the connections in the accept queue (increasing)."""

    def __repr__(self) -> str:
        return f"Listener(service={self.service:g}, backlog={self.backlog}, overflows={self.overflows})"

    def work(self, handshake: float) -> float:
        """The loop's time on one connection: ``1 / accept_rate``, but never more than the
        whole handshake (a zero-cost handshake costs the loop nothing, as the textbook
        cases want); on an idle server the handshake still takes exactly its sampled time."""
        return self.service if self.service < handshake else handshake

    def admit(self, now: float, work: float) -> float | None:
        """A connection arrives ``now``: when the loop accepts it (then spends ``work`` on
        it), or ``None`` if the backlog is full and its SYN is dropped."""
        queued = self._queued
        while queued and queued[0] <= now:
            queued.popleft()
        if len(queued) >= self.backlog:
            self.overflows += 1
            return None
        start = self._free_at if self._free_at > now else now
        if start > now:
            queued.append(start)
        self._free_at = start + work
        return start
