"""Output folders: every file a command writes goes through one :class:`OutputFolder`.

``with OutputFolder(path, owner="run", names=[...]) as out: out.write(name, data)``
checks ``path`` before any work, locks it, stages each file in a hidden folder inside it,
and on a clean exit commits them all at once; on an error or Ctrl-C it discards them and
the folder is exactly as it was. What it promises, on POSIX:

- **Nothing of the user's is touched.** The folder's manifest (``.simpool-manifest.json``)
  lists each file simpool wrote there with its SHA-256. A file is simpool's only while it
  is listed *and* unchanged; any other file (a trace called ``requests.csv``, a plot
  the user edited) is never overwritten or removed: an output folder that holds one under
  a name the command would write is refused before the work starts.
- **Checked first.** Opening creates the folder (and its parents), takes the lock and
  makes the staging folder, so ``--out FILE``, ``--out FILE/sub``, ``--out /dev/null``, a
  read-only or over-long path fail before any simulation.
- **One writer at a time.** An exclusive ``flock`` on the folder itself (no lock file): a
  second writer waits :data:`LOCK_WAIT` seconds, then gives up with a clear message. The
  kernel drops the lock when a process dies, so a crash leaves no stale lock.
- **All or nothing.** A folder that may hold user files cannot be swapped with
  ``rename(2)`` as a whole, so the commit renames the staging folder to
  ``.simpool-commit`` (the commit point: one atomic rename), then moves each file in with
  an atomic ``rename(2)``, removes the earlier files of the same command this run did not
  write (only if unchanged), and installs the new manifest last. Ctrl-C and SIGTERM are
  held back for those few milliseconds, so an interrupted command leaves either the old
  results or the new ones. If the process is killed outright (SIGKILL, power loss) during
  them, the next command that opens the folder finds ``.simpool-commit`` and finishes the
  move before anything else; a staging folder left by a killed process is removed then.
  Each file is fsynced before the commit point and the folder after it.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ..exceptions import ScenarioError, SimpoolError

MANIFEST = ".simpool-manifest.json"
"""The list of files simpool wrote in a folder: name → sha256, size and the command."""
STAGING_PREFIX = ".simpool-staging-"
COMMITTING = ".simpool-commit"
"""The staging folder once committed: whatever it holds belongs in the folder."""
PLAN = ".simpool-remove.json"
"""Inside the commit folder: the earlier files to remove once the new ones are in."""
LOCK_WAIT = 2.0
"""Seconds a second writer waits for the folder before it gives up."""


class OutputFolderError(ScenarioError):
    """``--out`` cannot be used as asked (not a folder, not writable, holds a file simpool
    did not write): bad input, found before any work."""

    def __init__(self, path: Path, problem: str):
        super().__init__(problem, field=f"--out {path}")


class OutputBusyError(SimpoolError):
    """Another simpool is writing to the same folder."""


class OutputWriteError(SimpoolError):
    """Writing failed (a full disk, an I/O error); the folder's earlier results are intact."""


class OutputFolder:
    """Where a command's files go: checked, locked, staged, then committed whole.

    Args:
        path: the output folder (created with its parents if missing).
        owner: the command writing (``"run"``, ``"sweep"``); on commit, files an earlier
            ``owner`` wrote here that this one did not write are removed, so a folder never
            mixes two runs, while other commands' files stay.
        names: every file name this command may write this time; a file of one of these
            names that simpool did not write makes the folder refused.
    """

    def __init__(self, path: str | Path, *, owner: str, names: Collection[str]):
        self.path = Path(path)
        self.owner = owner
        self.names = frozenset(names)
        if any("/" in name or name.startswith(".") or not name for name in self.names):
            raise ValueError(f"output names are plain, visible file names (not {sorted(self.names)!r})")
        self.written: list[Path] = []
        """The final paths of the files written, in order."""
        self._entries: dict[str, dict[str, Any]] = {}
        self._earlier: dict[str, dict[str, Any]] = {}
        self._keep_earlier = False
        self._fd: int | None = None
        self._staging: Path | None = None
        self._created: list[Path] = []

    def __repr__(self) -> str:
        return f"OutputFolder({str(self.path)!r}, owner={self.owner!r}, written={len(self.written)})"

    # ------------------------------------------------------------------ the protocol

    def __enter__(self) -> OutputFolder:
        self.open()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def open(self) -> None:
        """Check, create, lock and recover the folder, refuse foreign files, start staging."""
        try:
            self._lock()
            _recover(self.path)
            self._earlier = _read_manifest(self.path)
            for name in sorted(self.names):
                if not _ours(self.path / name, self._earlier.get(name)):
                    raise OutputFolderError(self.path, f"holds {name!r}, which simpool did not write (or which "
                                            "changed since); move it away or choose another --out")
            self._staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.path))
        except OSError as exc:
            self.discard()
            raise OutputFolderError(self.path, f"cannot write there: {_reason(exc)}") from None
        except BaseException:
            self.discard()
            raise

    def write(self, name: str, data: str | bytes) -> Path:
        """Stage one file (text is UTF-8); it appears in the folder at :meth:`commit`."""
        if name not in self.names:
            raise ValueError(f"{name!r} is not among the names this folder was opened for")
        if self._staging is None:
            raise RuntimeError("the output folder is not open")
        payload = data.encode("utf-8") if isinstance(data, str) else data
        try:
            with open(self._staging / name, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise OutputWriteError(f"cannot write {name} in {self.path}: {_reason(exc)}; "
                                   "the results there are as they were") from None
        self._entries[name] = {"sha256": hashlib.sha256(payload).hexdigest(), "size": len(payload),
                               "by": self.owner}
        target = self.path / name
        if target not in self.written:
            self.written.append(target)
        return target

    def read(self, name: str) -> bytes:
        """The bytes of a file written (staged) so far, e.g. a figure for a report to embed."""
        if self._staging is None or name not in self._entries:
            raise ValueError(f"{name!r} has not been written here")
        return (self._staging / name).read_bytes()

    def keep_earlier(self) -> None:
        """Add the files written to the folder's earlier results instead of replacing them
        (an interrupted sweep's ``sweep.partial.*`` beside a complete ``sweep.csv``)."""
        self._keep_earlier = True

    def commit(self) -> None:
        """Put every staged file in place at once (see the module docstring), then unlock."""
        try:
            earlier = self._earlier
            for name in self._entries:  # a file may have appeared while the work ran
                if not _ours(self.path / name, earlier.get(name)):
                    raise OutputFolderError(self.path, f"{name!r} appeared there while simpool worked and "
                                            "simpool did not write it; nothing was written")
            manifest = {name: entry for name, entry in earlier.items() if _ours(self.path / name, entry)
                        and (self.path / name).exists()}
            remove = {} if self._keep_earlier else {
                name: entry["sha256"] for name, entry in manifest.items()
                if entry.get("by") == self.owner and name not in self._entries}
            for name in remove:
                del manifest[name]
            manifest.update(self._entries)
            staging = self._staging
            try:
                _write_synced(staging / PLAN, json.dumps(remove, sort_keys=True))
                _write_synced(staging / MANIFEST, _manifest_text(manifest))
            except OSError as exc:
                raise OutputWriteError(f"cannot write the results to {self.path}: {_reason(exc)}; "
                                       "the results there are as they were") from None
            with _signals_held():
                os.rename(staging, self.path / COMMITTING)  # the commit point
                self._staging = None
                try:
                    _fsync_folder(self.path)
                    _roll_forward(self.path)
                except OSError as exc:
                    raise OutputWriteError(f"cannot finish moving the results into {self.path}: {_reason(exc)}; "
                                           "the next simpool that writes there finishes the move") from None
        except BaseException:
            self.discard()
            raise
        self._unlock()

    def discard(self) -> None:
        """Drop the staged files; remove the folders this one created if they are empty."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        for folder in self._created:
            with suppress(OSError):
                folder.rmdir()
        self._created = []
        self._unlock()

    # ------------------------------------------------------------------ the lock

    def _lock(self) -> None:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            if self.path.exists() and not self.path.is_dir():
                raise OutputFolderError(self.path, "is not a folder")
            self._make_folder()
            fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if time.monotonic() >= deadline:
                    raise OutputBusyError(f"{self.path}: another simpool is writing there; try again when it "
                                          "has finished, or choose another --out") from None
                time.sleep(0.05)
                continue
            except BaseException:
                os.close(fd)
                raise
            # The writer we waited for may have removed the folder (it made it, and failed):
            # the lock must be on the folder the path names now.
            with suppress(FileNotFoundError):
                if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                    self._fd = fd
                    return
            os.close(fd)

    def _make_folder(self) -> None:
        missing = []
        folder = self.path
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        self.path.mkdir(parents=True, exist_ok=True)
        self._created.extend(missing)  # deepest first: the order to remove them in

    def _unlock(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    """Write one file at ``path`` atomically (a temporary file beside it renamed over it),
    creating parent folders; returns the path. For a single file a user asked for by name
    (a figure saved from a notebook, a scenario ``calibrate`` writes); a command's results
    go through :class:`OutputFolder`."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp makes the file private (0600); give it the mode open() would (0666 & ~umask).
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


# ---------------------------------------------------------------------------- helpers


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return exc.strerror or str(exc)


def _read_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """The files simpool wrote here; an unreadable manifest claims nothing."""
    try:
        document = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = document["files"]
        return {str(k): dict(v) for k, v in files.items() if isinstance(v, dict) and "sha256" in v}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _manifest_text(files: dict[str, dict[str, Any]]) -> str:
    from .. import __version__

    document = {"simpool": __version__,
                "about": "The files simpool wrote in this folder. simpool overwrites or removes a file only while "
                         "it is listed here and unchanged (same sha256); every other file is left alone.",
                "files": {name: files[name] for name in sorted(files)}}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _ours(path: Path, entry: dict[str, Any] | None) -> bool:
    """Whether simpool may replace or remove ``path``: absent, or a plain file whose bytes
    are those the manifest recorded."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return True
    if entry is None or not path.is_file() or path.is_symlink() or info.st_size != entry.get("size"):
        return False
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == entry["sha256"]


def _write_synced(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _roll_forward(folder: Path) -> None:
    """Finish a commit: move in the committed files, remove the earlier ones this command
    no longer writes (if unchanged), install the manifest, drop the commit folder. Safe to
    repeat after a crash at any point."""
    commit = folder / COMMITTING
    try:
        remove = json.loads((commit / PLAN).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # gone (a repeat), or cut short: then remove nothing
        remove = {}
    for entry in sorted(os.listdir(commit)):
        if entry not in (MANIFEST, PLAN):
            os.replace(commit / entry, folder / entry)
    for name, sha256 in remove.items():
        path = folder / name
        if path.exists() and _ours(path, {"sha256": sha256, "size": path.lstat().st_size}):
            path.unlink()
    if (commit / MANIFEST).exists():
        os.replace(commit / MANIFEST, folder / MANIFEST)
    (commit / PLAN).unlink(missing_ok=True)
    _fsync_folder(folder)
    commit.rmdir()


def _recover(folder: Path) -> None:
    """Under the lock: finish a commit a killed process left, drop abandoned staging."""
    if (folder / COMMITTING).is_dir():
        _roll_forward(folder)
    for entry in os.listdir(folder):
        if entry.startswith(STAGING_PREFIX) and (folder / entry).is_dir():
            shutil.rmtree(folder / entry, ignore_errors=True)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while the commit moves files (milliseconds), then
    deliver them: an interrupted command leaves the old results or the new, never a mix."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda number, _frame: caught.append(number)) for number in held}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(caught):
            if number == signal.SIGINT:
                raise KeyboardInterrupt
            os.kill(os.getpid(), number)
