"""A run cache: each replication's outcome kept on disk, keyed by everything that decides it.

``RunCache(folder).get(scenario, seed, k)`` returns what :func:`~simpool.sweeps.executors.run_task`
returned for replication ``k`` of ``scenario`` with ``seed`` (its metrics and error
messages), or None; ``.put(scenario, seed, k, outcome)`` keeps it. The key is a SHA-256 of

- the scenario's effective settings as canonical JSON (every default filled in), with a
  digest of the data read from each trace and samples file (the data simulated, not the
  file's name: an edited trace is a new key);
- the seed and the replication index;
- the code version (:func:`code_version`): a digest of simpool's own source files, with
  the numpy, SimPy and Python versions (numpy's draws decide the traffic). A changed line
  of simpool is a new key; ``__version__`` is not used, as it does not change with each edit.

A kept outcome gives the very same row as a fresh run: it is stored as JSON only when
reading the JSON back gives the same Python values (``repr`` of both equal: the same
types, every float exact), so a cached point's CSV and JSON are byte-identical.

On disk: ``FOLDER/runs/<2 hex>/<64 hex>.json``, one small file per run (about 2 kB), each
written to a temporary file and renamed into place, so that a reader never sees half an
entry and two processes writing the same key (they write the same bytes) cannot collide.
An entry that cannot be read, is not JSON, or names another key is ignored, never an error;
an unwritable folder makes ``put`` a no-op. The folder is bounded (:data:`MAX_BYTES`):
past it, the least recently used entries are removed until a fifth of the room is free.
``CACHEDIR.TAG`` marks the folder for backup tools; a folder that exists, holds anything
and lacks simpool's tag is refused (:class:`CacheError`): it may be someone's files.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from array import array
from pathlib import Path
from typing import Any

from ..exceptions import ScenarioError
from .executors import Outcome

FORMAT = "simpool-run-cache/1"
"""Written in every entry and in the key: a new layout is a new format, never misread."""
MAX_BYTES = 256 * 1024 * 1024
"""Default size bound of a cache folder (about 100,000 runs)."""
TAG = "CACHEDIR.TAG"
TAG_TEXT = ("Signature: 8a477f597d28d172789f06886806bc55\n"
            "# This file is a cache tag created by simpool (its run cache; safe to delete).\n"
            "# For information about cache directory tags see https://bford.info/cachedir/\n")
_ENTRY = re.compile(r"^[0-9a-f]{64}\.json$")
_STALE_TEMP_S = 3600.0
"""A temporary file older than this was left by a killed writer."""


class CacheError(ScenarioError):
    """The cache folder cannot be used (it holds files that are not simpool's)."""


@functools.cache
def code_version() -> str:
    """A digest of simpool's own source files (path and bytes of every ``.py``), with the
    numpy, SimPy and Python versions; computed once per process."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "?"

    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode("utf-8", "surrogatepass") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    digest.update(f"numpy {installed('numpy')}, simpy {installed('simpy')}, python {sys.version_info[:2]}".encode())
    return digest.hexdigest()


def scenario_digest(scenario: Any) -> str:
    """A SHA-256 of a validated scenario: its effective settings as canonical JSON, and the
    data it read from files (traces, samples)."""
    settings = json.dumps(scenario.effective(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    digest = hashlib.sha256(settings.encode("ascii"))
    for where, data in _file_data(scenario, "scenario"):
        digest.update(f"\0{where}\0".encode("utf-8", "surrogatepass"))
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def run_key(scenario: Any, seed: int, replication: int, *, digest: str | None = None) -> str:
    """The cache key of one run (``digest``: the scenario's, when already computed)."""
    material = json.dumps([FORMAT, code_version(), digest or scenario_digest(scenario), int(seed), int(replication)])
    return hashlib.sha256(material.encode("ascii")).hexdigest()


def _file_data(model: Any, where: str) -> list[tuple[str, bytes]]:
    """The data each trace and samples section of ``model`` read, by its path."""
    from pydantic import BaseModel

    from ..scenario import EmpiricalDist, TraceArrivals

    found: list[tuple[str, bytes]] = []
    if isinstance(model, TraceArrivals):
        trace = model.trace
        found.append((where, b"".join(column.tobytes() for column in
                                      (trace.t, trace.instance, trace.service, trace.timeout, trace.handshake))))
    elif isinstance(model, EmpiricalDist):
        found.append((where, array("d", model.samples).tobytes()))
    if isinstance(model, BaseModel):
        for name in type(model).model_fields:
            found += _file_data(getattr(model, name), f"{where}.{name}")
    elif isinstance(model, list | tuple):
        for i, item in enumerate(model):
            found += _file_data(item, f"{where}.{i}")
    return found


class RunCache:
    """Replication outcomes on disk (see the module docstring).

    Args:
        folder: the cache folder (created on the first ``put``).
        max_bytes: the size bound; past it, the least recently used entries go.

    Raises:
        CacheError: ``folder`` exists, holds files and is not a simpool cache.
    """

    def __init__(self, folder: str | Path, *, max_bytes: int = MAX_BYTES):
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.hits = 0
        self.stored = 0
        self._writable = True
        self._last: tuple[Any, str] | None = None
        """The last scenario seen and its digest: a point's replications share it."""
        self._check_folder()

    def __repr__(self) -> str:
        return f"RunCache({str(self.folder)!r}, hits={self.hits}, stored={self.stored})"

    # ------------------------------------------------------------------ the API

    def get(self, scenario: Any, seed: int, replication: int) -> Outcome | None:
        """The kept outcome of this run, or None (never kept, unreadable, or foreign)."""
        key = self._key(scenario, seed, replication)
        path = self._path(key)
        try:
            with open(path, encoding="utf-8") as handle:
                entry = json.load(handle)
            if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key:
                return None
            metrics, messages = entry["metrics"], entry["error_messages"]
            if not isinstance(metrics, dict) or not isinstance(messages, dict):
                return None
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None
        try:
            os.utime(path)  # recently used: kept longest when the folder is pruned
        except OSError:
            pass
        self.hits += 1
        return metrics, messages

    def put(self, scenario: Any, seed: int, replication: int, outcome: Outcome) -> bool:
        """Keep a run's outcome; False (nothing written) when the folder is not writable or
        the outcome would not read back exactly."""
        if not self._writable:
            return False
        metrics, messages = outcome
        key = self._key(scenario, seed, replication)
        text = json.dumps({"format": FORMAT, "key": key, "metrics": metrics, "error_messages": messages},
                          separators=(",", ":"))
        back = json.loads(text)
        if repr(back["metrics"]) != repr(metrics) or repr(back["error_messages"]) != repr(messages):
            return False  # a value JSON cannot carry exactly (a tuple, a numpy float): run it again next time
        path = self._path(key)
        try:
            self._ensure_folder()
            path.parent.mkdir(exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError:
            self._writable = False  # a full disk or a read-only folder: the sweep goes on uncached
            return False
        self.stored += 1
        return True

    def prune(self) -> int:
        """Remove the least recently used entries while the folder is over its bound (down
        to four fifths of it), and temporary files killed writers left; returns the bytes
        freed. Safe beside another process doing the same."""
        runs = self.folder / "runs"
        entries: list[tuple[float, int, Path]] = []
        freed = 0
        now = time.time()
        try:
            shards = [p for p in runs.iterdir() if len(p.name) == 2 and p.is_dir()]
        except OSError:
            return 0
        for shard in shards:
            try:
                names = list(os.scandir(shard))
            except OSError:
                continue
            for item in names:
                try:
                    info = item.stat(follow_symlinks=False)
                except OSError:
                    continue
                if item.name.startswith(".tmp-") and now - info.st_mtime > _STALE_TEMP_S:
                    freed += _remove(Path(item.path), info.st_size)
                elif _ENTRY.match(item.name) and item.is_file(follow_symlinks=False):
                    entries.append((info.st_mtime, info.st_size, Path(item.path)))
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes:
            return freed
        goal = self.max_bytes * 4 // 5
        for _, size, path in sorted(entries):
            if total <= goal:
                break
            removed = _remove(path, size)
            total -= size
            freed += removed
        return freed

    # ------------------------------------------------------------------ internals

    def _key(self, scenario: Any, seed: int, replication: int) -> str:
        if self._last is None or self._last[0] is not scenario:
            self._last = (scenario, scenario_digest(scenario))
        return run_key(scenario, seed, replication, digest=self._last[1])

    def _path(self, key: str) -> Path:
        return self.folder / "runs" / key[:2] / f"{key}.json"

    def _check_folder(self) -> None:
        folder = self.folder
        if not folder.exists():
            return
        if not folder.is_dir():
            raise CacheError("is not a folder", field=f"cache {folder}")
        try:
            tagged = (folder / TAG).read_text(encoding="utf-8") == TAG_TEXT
        except (OSError, UnicodeDecodeError):
            tagged = False
        try:
            # Only temporary files: a first writer killed before its tag was in place.
            empty = all(p.name.startswith(".tmp-") for p in folder.iterdir())
        except OSError:
            empty = False
        if not tagged and not empty:
            raise CacheError("holds files that are not simpool's run cache (no CACHEDIR.TAG of simpool's); "
                             "give an empty or new folder", field=f"cache {folder}")

    def _ensure_folder(self) -> None:
        tag = self.folder / TAG
        if tag.exists():
            (self.folder / "runs").mkdir(exist_ok=True)
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(TAG_TEXT)
        os.replace(temp, tag)  # the tag first: a folder with runs in it is always tagged
        (self.folder / "runs").mkdir(exist_ok=True)


def _remove(path: Path, size: int) -> int:
    try:
        path.unlink()
    except OSError:
        return 0  # gone already (another process pruned it) or not ours to remove
    return size
