"""Go: ``connRequests`` — the callers blocked in ``DB.conn`` waiting for a connection.

Which waiter a freed connection goes to is Rule 3.3 of the reference, and it is *not*
FIFO in any Go release since ~1.9. Three interchangeable queues share one small interface
(``add``, ``delete``, ``take``, ``len``):

- :class:`RandomWaiters` — Go ≥ 1.23 ``connRequestSet.TakeRandom``: uniform pick,
  removal by swapping the last element into the hole.
- :class:`MapWaiters` — Go ~1.9 – 1.22 ``map[uint64]chan connRequest``: the first key of
  Go's randomized map iteration, biased towards older waiters while the map is small.
- :class:`FifoWaiters` — the what-if knob ``waiter_order: fifo`` (no Go release since 1.9).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

Uniform = Callable[[], float]
"""A source of floats in [0, 1) (the pool's own random stream)."""


class ConnRequest:
    """Go: ``connRequest`` channel plus the state of the blocked ``DB.conn`` call.

    ``slot`` is the queue's bookkeeping (index in a slice, or bucket position), and
    None once the request has left the queue (served, expired, or the pool closed).
    """

    __slots__ = ("caller", "strategy", "wait_start", "slot")

    def __init__(self, caller: Any, strategy: int, wait_start: float):
        self.caller = caller
        self.strategy = strategy
        self.wait_start = wait_start
        self.slot: Any = None

    def __repr__(self) -> str:
        return f"ConnRequest(caller={self.caller!r}, wait_start={self.wait_start:g})"


class RandomWaiters(list):
    """Go ≥ 1.23: ``connRequestSet`` (sql.go:3667), a slice of waiters. Rule 3.3: a freed
    conn goes to a uniformly random waiter; ``deleteIndex`` swaps the last element into
    the hole.

    Like Go's set, it *is* the slice (a ``list`` of :class:`ConnRequest`); only the methods
    below change it.
    """

    # NOTE: a list subclass, for performance: ``len`` and truth tests on it run no Python
    # frame, and the pool asks "any waiters?" on every return.
    __slots__ = ("_uniform",)

    def __init__(self, uniform: Uniform):
        super().__init__()
        self._uniform = uniform

    def __repr__(self) -> str:
        return f"RandomWaiters({len(self)} waiting)"

    def add(self, req: ConnRequest) -> None:
        req.slot = len(self)
        self.append(req)

    def delete(self, req: ConnRequest) -> bool:
        """Go: ``connRequestSet.Delete`` — false if the request was already taken."""
        if req.slot is None:
            return False
        self._delete_index(req.slot)
        return True

    def take(self) -> ConnRequest | None:
        """Go: ``TakeRandom`` — ``rand.IntN(len)``, uniform."""
        if not self:
            return None
        pick = int(self._uniform() * len(self))
        req = self[pick]
        self._delete_index(pick)
        return req

    def drain(self) -> list[ConnRequest]:
        """Go: ``CloseAndRemoveAll`` — every waiter, removed."""
        items = self[:]
        self.clear()
        for req in items:
            req.slot = None
        return items

    def _delete_index(self, index: int) -> None:
        self[index].slot = None
        last = self.pop()
        if index < len(self):
            self[index] = last
            last.slot = index


class MapWaiters:
    """Go ~1.9 – 1.22: ``map[uint64]chan connRequest``; Rule 3.3 picks
    ``for reqKey, req = range db.connRequests { break }``.

    A small model of Go's (pre-Swiss-table) hash map, enough to reproduce the bias the
    reference measured: buckets of 8 slots (plus overflow), a key's bucket from its hash,
    insertion into the first empty slot of its bucket chain (slots freed by ``delete`` are
    reused), growth to twice the buckets when ``count > 13·(2^B/2)`` (load factor 6.5), and
    iteration starting at a random bucket and a random in-bucket offset, wrapping around.
    With ≤ 8 waiters on a fresh map this gives P(oldest) = (9 − n)/8 and 1/8 for each other.

    Simplifications (documented, not hidden): growth evacuates all buckets at once rather
    than incrementally, and the hash of each key is an independent random 53-bit number
    (Go hashes the sequential key with a per-map random seed, to the same effect).
    Maps never shrink, so the bias depends on how many waiters the pool has ever had.
    """

    def __init__(self, uniform: Uniform):
        self._uniform = uniform
        self._b = 0
        self._buckets: list[list[ConnRequest | None]] = [[None] * 8]
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, req: ConnRequest) -> None:
        if self._count + 1 > 8 and self._count + 1 > 13 * ((1 << self._b) // 2):
            self._grow()
        key_hash = int(self._uniform() * 9007199254740992.0)  # 2**53
        req.slot = key_hash
        self._insert(self._buckets[key_hash & ((1 << self._b) - 1)], req)
        self._count += 1

    @staticmethod
    def _insert(chain: list[ConnRequest | None], req: ConnRequest) -> None:
        for i, entry in enumerate(chain):
            if entry is None:
                chain[i] = req
                return
        chain.extend([req, None, None, None, None, None, None, None])

    def _grow(self) -> None:
        old, old_count = self._buckets, 1 << self._b
        self._b += 1
        self._buckets = [[None] * 8 for _ in range(old_count * 2)]
        for chain in old:  # evacuate in bucket order, keeping each entry's relative order
            for entry in chain:
                if entry is not None:
                    self._insert(self._buckets[entry.slot & ((1 << self._b) - 1)], entry)

    def delete(self, req: ConnRequest) -> bool:
        """Go: ``delete(db.connRequests, reqKey)``; false if the key is gone."""
        if req.slot is None:
            return False
        chain = self._buckets[req.slot & ((1 << self._b) - 1)]
        chain[chain.index(req)] = None
        req.slot = None
        self._count -= 1
        return True

    def drain(self) -> list[ConnRequest]:
        """Go ≤ 1.22 ``DB.Close``: ``for _, req := range db.connRequests { close(req) }``."""
        entries = [e for chain in self._buckets for e in chain if e is not None]
        for entry in entries:
            self.delete(entry)
        return entries

    def take(self) -> ConnRequest | None:
        """The first entry of a randomized iteration (``mapiterinit``: random start bucket
        and random offset ``r >> B & 7`` applied within every bucket)."""
        if self._count == 0:
            return None
        n_buckets = 1 << self._b
        start = int(self._uniform() * n_buckets)
        offset = int(self._uniform() * 8)
        for j in range(n_buckets):
            chain = self._buckets[(start + j) & (n_buckets - 1)]
            for block in range(0, len(chain), 8):
                for i in range(8):
                    entry = chain[block + ((i + offset) & 7)]
                    if entry is not None:
                        self.delete(entry)
                        return entry
        raise RuntimeError("MapWaiters invariant violated: count > 0 but no entry found")


class FifoWaiters:
    """What-if: first come, first served (Go before ~1.9 only). Deleted entries are
    skipped lazily."""

    def __init__(self, uniform: Uniform | None = None):
        self._queue: deque[ConnRequest] = deque()
        self._live = 0

    def __len__(self) -> int:
        return self._live

    def add(self, req: ConnRequest) -> None:
        req.slot = True
        self._queue.append(req)
        self._live += 1

    def delete(self, req: ConnRequest) -> bool:
        if req.slot is None:
            return False
        req.slot = None
        self._live -= 1
        return True

    def drain(self) -> list[ConnRequest]:
        live = [req for req in self._queue if req.slot is not None]
        for req in live:
            req.slot = None
        self._queue.clear()
        self._live = 0
        return live

    def take(self) -> ConnRequest | None:
        queue = self._queue
        while queue:
            req = queue.popleft()
            if req.slot is not None:
                req.slot = None
                self._live -= 1
                return req
        return None
