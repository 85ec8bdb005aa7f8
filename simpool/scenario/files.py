"""Reading the files a scenario names (traces, samples), and the scenario file itself,
with bounded memory whatever they hold.

Only regular files are read (a FIFO would block forever, ``/dev/zero`` never ends); text is
UTF-8, read a line (or a JSON item) at a time, never more than :data:`MAX_LINE` characters
at once; a CSV is a header (optional for samples) and rows, a JSON file a list of items,
decoded one item at a time.
"""

from __future__ import annotations

import csv
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

MAX_LINE = 65_536
"""Longest line (or JSON item) read, in characters."""
MAX_SCENARIO_BYTES = 4 * 1024 * 1024
"""Largest scenario file."""
_CHUNK = 1 << 16


class FileError(ValueError):
    """A file that cannot be read as asked; the message says why, naming the file. Raised
    while validating a section that names a file (a trace, a sample list), it is reported
    at that section's ``file`` field."""


def expand(path: str | Path) -> Path:
    """``~`` and ``~user`` expanded; an unknown user is a :class:`FileError`."""
    try:
        return Path(path).expanduser()
    except RuntimeError:  # pathlib: "Could not determine home directory."
        user = str(path).split("/", 1)[0]
        raise FileError(f"cannot expand {user!r}: no such user (or no home folder)") from None


def open_text(path: Path) -> IO[str]:
    """A regular file opened as UTF-8 text (strict), for reading.

    Raises:
        FileError: the file is missing, not a regular file, or cannot be opened.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        raise FileError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise FileError(f"cannot read {str(path)!r}: is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise FileError(f"cannot read {str(path)!r}: not a regular file (a FIFO, a device or a socket)")
    try:
        return open(path, encoding="utf-8", newline="")  # noqa: SIM115 - the caller closes it
    except OSError as exc:
        raise FileError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None


def read_small_text(path: Path, limit: int = MAX_SCENARIO_BYTES) -> str:
    """The whole of a small regular file (a scenario), refused beyond ``limit`` bytes."""
    with open_text(path) as handle:
        try:
            text = handle.read(limit + 1)
        except UnicodeDecodeError as exc:
            raise FileError(f"cannot read {str(path)!r}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except OSError as exc:
            raise FileError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    if len(text) > limit:
        raise FileError(f"cannot read {str(path)!r}: larger than {limit // (1024 * 1024)} MiB")
    return text


def records(path: Path, name: str, *, header: str | None) -> Iterator[tuple[str, Any]]:
    """The records of a CSV or JSON-list file, one at a time, each with where it is.

    A JSON file (its first character ``[``) yields ``("NAME item N", item)``. A CSV yields
    ``("NAME line N", row)``: with ``header`` (a column that must be there) each row is a
    dict by column name; without, a list of cells, the header (if any) included.

    Raises:
        FileError: unreadable, not UTF-8, a line or item too long, malformed JSON.
    """
    with open_text(path) as handle:
        try:
            first = _first_character(handle)
            if first == "[":
                yield from _json_items(handle, name)
            else:
                yield from _csv_rows(handle, name, header)
        except UnicodeDecodeError as exc:
            raise FileError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except OSError as exc:
            raise FileError(f"{name}: cannot read: {exc.strerror or exc}") from None


def _first_character(handle: IO[str]) -> str:
    """The first character that is not white space (the file is rewound)."""
    while True:
        block = handle.read(_CHUNK)
        stripped = block.lstrip()
        if stripped or not block:
            handle.seek(0)
            return stripped[:1]


def _lines(handle: IO[str], name: str) -> Iterator[str]:
    while True:
        line = handle.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE:
            raise FileError(f"{name}: a line longer than {MAX_LINE:,} characters (is it a text file?)")
        if "\0" in line:
            raise FileError(f"{name}: holds NUL characters (a binary file?)")
        yield line


def _csv_rows(handle: IO[str], name: str, header: str | None) -> Iterator[tuple[str, Any]]:
    reader = csv.reader(_lines(handle, name))
    try:
        if header is None:
            for row in reader:
                yield f"{name} line {reader.line_num}", row
            return
        columns = next(reader, None)
        if columns is None or header not in [c.strip() for c in columns]:
            raise FileError(f"{name}: the CSV needs a header with a {header} column")
        columns = [c.strip() for c in columns]
        for row in reader:
            if not row:
                continue
            where = f"{name} line {reader.line_num}"
            if len(row) > len(columns):
                raise FileError(f"{where}: more cells ({len(row)}) than columns ({len(columns)})")
            yield where, dict(zip(columns, row, strict=False))
    except csv.Error as exc:
        raise FileError(f"{name} line {reader.line_num}: {exc}") from None


def _json_items(handle: IO[str], name: str) -> Iterator[tuple[str, Any]]:
    """The items of a JSON list, decoded one at a time from a sliding buffer."""
    decoder = json.JSONDecoder()
    buffer, pos, eof, line = "", 0, False, 1

    def fill() -> bool:
        nonlocal buffer, pos, eof, line
        if eof:
            return False
        block = handle.read(_CHUNK)
        if "\0" in block:
            raise FileError(f"{name}: holds NUL characters (a binary file?)")
        line += buffer.count("\n", 0, pos)
        buffer, pos = buffer[pos:] + block, 0
        eof = not block
        return bool(block)

    def skip_space() -> str:
        nonlocal pos
        while True:
            while pos < len(buffer) and buffer[pos] in " \t\r\n":
                pos += 1
            if pos < len(buffer) or not fill():
                return buffer[pos:pos + 1]

    def invalid(message: str) -> FileError:
        return FileError(f"{name}: invalid JSON ({message}, line {line + buffer.count(chr(10), 0, pos)})")

    skip_space()
    pos += 1  # the "[" that made this a JSON file
    index = 0
    while True:
        char = skip_space()
        if char == "]":
            pos += 1
            if skip_space():
                raise invalid("extra data after the list")
            return
        if index:
            if char != ",":
                raise invalid("expected ',' or ']'")
            pos += 1
            skip_space()
        while True:
            try:
                item, end = decoder.raw_decode(buffer, pos)
            except json.JSONDecodeError as exc:
                # Perhaps only cut short by the buffer: read on, unless the item is too long.
                if len(buffer) - pos <= MAX_LINE and fill():
                    continue
                raise invalid(exc.msg) from None
            except RecursionError:
                raise FileError(f"{name} item {index}: nested too deeply") from None
            except ValueError:  # int() refuses more than 4,300 digits
                raise FileError(f"{name} item {index}: a number with too many digits") from None
            if end == len(buffer) and fill():
                continue  # a number cut by the buffer's end: read on, decode it again
            break
        yield f"{name} item {index}", item
        index += 1
        pos = end
