"""What ``simpool calibrate`` writes, and the rules for writing it.

- **A new scenario** (no scenario given): a short file whose first line is
  :data:`MARKER`, with a ``database:`` block and, as comments, what was measured.
- **A merge** into a scenario the user names: the ``database`` keys calibration sets are
  replaced in place and new ones appended to the block; every other line, comment, key
  order and flow style stays as it was (ruamel.yaml round-trip, with the file's own
  indentation). The file is an explicit request, so it is rewritten, but its previous
  content is first kept beside it as ``NAME.bak`` (``NAME.bak.1``, ``.2`` … if that exists:
  a backup never replaces a file).
- **Samples beside it**: ``STEM.handshake.csv`` and ``STEM.query.csv`` (column ``ms``), for
  ``{dist: empirical, file: …}``.

A file simpool did not write (no marker: the YAML's first line, the CSV's header) is never
overwritten; calibrate refuses instead. Every file is written atomically by the caller,
and only after the result has been checked to load as a valid scenario.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

from .errors import CalibrationError
from .fit import Fit
from .postgres import Calibration

MARKER = "# Written by simpool calibrate"
CSV_HEADER = "ms,written by simpool calibrate"


def samples_csv(fit: Fit) -> str:
    """The samples in milliseconds, one a line, under :data:`CSV_HEADER`."""
    return CSV_HEADER + "\n" + "".join(f"{v * 1e3:.4f}\n" for v in fit.samples)


def samples_paths(target: Path) -> dict[str, Path]:
    """Where the samples of ``handshake`` and ``query`` go, beside ``target``."""
    return {name: target.with_name(f"{target.stem}.{name}.csv") for name in ("handshake", "query")}


def notes(cal: Calibration, samples: dict[str, Path]) -> list[str]:
    """What was measured, as comment lines (without ``#``)."""
    facts = cal.facts
    lines = [
        f"Measured {cal.where}: PostgreSQL {facts.version_text}, {len(cal.handshake.samples)} connection "
        f"set-ups ({'TLS' if facts.tls else 'no TLS'}) and probe {cal.probe!r}.",
        f"handshake: {cal.handshake.summary()}",
        f"query: {cal.query.summary()}",
    ]
    if facts.tls:
        lines.append("TLS: handshake_before_slot and refused_handshake are the fractions measured with "
                     "TLS 1.3 on a local PostgreSQL 15, not on this server.")
    if facts.sessions:
        groups = ", ".join(f"{g.count} {g.role or '?'}/{g.application or '-'}{'' if g.counted else ' (excluded)'}"
                           for g in facts.sessions)
        lines.append(f"sessions connected (role/application): {groups}")
    lines.append("To resample the measured times instead of the lognormals, use "
                 + " and ".join(f"{name}: {{dist: empirical, file: {path.name}}}" for name, path in samples.items()))
    return lines


def new_scenario(cal: Calibration, name: str, samples: dict[str, Path]) -> str:
    """A scenario file of its own: the marker, the notes, ``name`` and the block."""
    header = [MARKER, *(f"# {line}" for line in notes(cal, samples))]
    body = [f"name: {name}", "database:"]
    for key, value in cal.database_block().items():
        body.append(f"  {key}: {_flow(value)}")
    return "\n".join(header + body) + "\n"


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


def merge(text: str, cal: Calibration, samples: dict[str, Path]) -> str:
    """``text`` (a scenario file) with the calibrated ``database`` fields merged in."""
    try:
        from ruamel.yaml import YAML
        from ruamel.yaml.comments import CommentedMap
    except ImportError:
        raise CalibrationError("merging into a scenario needs ruamel.yaml: pip install 'simpool[calibrate]'") from None
    mapping, sequence, offset = guess_indent(text)
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    data = yaml.load(text)
    if data is None:
        data = CommentedMap()
    if not isinstance(data, dict):
        raise CalibrationError("the scenario file is not a YAML mapping")
    database = data.get("database")
    if database is None:
        database = data["database"] = CommentedMap()
    elif not isinstance(database, dict):
        raise CalibrationError("the scenario's database section is not a mapping")
    for key, value in cal.database_block().items():
        if isinstance(value, dict):
            flow = CommentedMap(value)
            flow.fa.set_flow_style()
            value = flow
        database[key] = value
    if database.get("reserved_connections") and cal.facts.version < 16:
        database["reserved_connections"] = 0
    out = io.StringIO()
    yaml.dump(data, out)
    merged = out.getvalue()
    comment = "\n".join(f"# {line}" for line in notes(cal, samples))
    return _with_notes(merged, comment)


def _with_notes(text: str, comment: str) -> str:
    """The notes as a comment block just above ``database:``, replacing the notes an
    earlier calibration left there (from its 'Measured' line to its 'To resample' line)."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if re.match(r"database\s*:", line))
    start = index
    if index > 0 and lines[index - 1].startswith("# To resample the measured times"):
        j = index - 1
        while j > 0 and lines[j].startswith("# ") and not lines[j].startswith("# Measured "):
            j -= 1
        if lines[j].startswith("# Measured "):
            start = j
    return "\n".join(lines[:start] + comment.splitlines() + lines[index:]) + "\n"


def guess_indent(text: str) -> tuple[int, int, int]:
    """The file's mapping indent and its block sequences' (indent, dash offset), as
    ruamel.yaml's ``indent()`` takes them; ruamel's defaults (2, 2, 0) when unseen."""
    mappings: Counter[int] = Counter()
    offsets: Counter[int] = Counter()
    rows = [(len(line) - len(line.lstrip(" ")), line.strip()) for line in text.splitlines()]
    rows = [(n, s) for n, s in rows if s and not s.startswith("#")]
    for (n, s), (m, t) in zip(rows, rows[1:], strict=False):
        if s.split("#")[0].rstrip().endswith(":") and m > n:
            (offsets if t.startswith("- ") else mappings)[m - n] += 1
        elif s.split("#")[0].rstrip().endswith(":") and m == n and t.startswith("- "):
            offsets[0] += 1
    mapping = mappings.most_common(1)[0][0] if mappings else 2
    offset = offsets.most_common(1)[0][0] if offsets else 0
    return mapping, offset + 2, offset


def backup_path(target: Path) -> Path:
    """The first free ``NAME.bak``, ``NAME.bak.1``, … beside ``target``."""
    candidate = target.with_name(target.name + ".bak")
    k = 0
    while candidate.exists():
        k += 1
        candidate = target.with_name(f"{target.name}.bak.{k}")
    return candidate


def check_ours(path: Path, marker: str, hint: str) -> None:
    """Refuse to replace a file simpool did not write."""
    if not path.exists():
        return
    try:
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    except (OSError, UnicodeDecodeError):
        first = ""
    if first.rstrip() != marker:
        raise CalibrationError(f"{path} exists and was not written by simpool calibrate; {hint}")


def plan(cal: Calibration, scenario: Path | None, out: Path | None) -> list[tuple[Path, str]]:
    """The files to write, in order (the result last), after every check passed.

    Args:
        cal: the measurement.
        scenario: a scenario file to merge into (None: write a new one).
        out: where the result goes (default: ``scenario`` itself, else ``calibrated.yaml``).

    Raises:
        CalibrationError: a file in the way that simpool did not write, an unreadable
            scenario.
        ScenarioError: the result would not load as a valid scenario.
    """
    from ..scenario import parse_yaml, validate_scenario

    target = out or scenario or Path("calibrated.yaml")
    in_place = scenario is not None and target.resolve() == scenario.resolve()
    samples = samples_paths(target)
    hint = "choose another --out"
    for path in samples.values():
        check_ours(path, CSV_HEADER, hint)
    writes: list[tuple[Path, str]] = []
    if scenario is None:
        check_ours(target, MARKER, hint + ", or name the file as SCENARIO to merge into it")
        text = new_scenario(cal, _name(target), samples)
    else:
        try:
            original = scenario.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CalibrationError(f"cannot read {scenario}: {getattr(exc, 'strerror', None) or exc}") from None
        if not in_place:
            check_ours(target, MARKER, hint)
        text = merge(original, cal, samples)
        if not in_place and not text.startswith(MARKER):
            text = MARKER + "\n" + text
        if in_place:
            writes.append((backup_path(target), original))
    validate_scenario(parse_yaml(text) or {}, base_dir=target.parent, source=str(target))
    writes += [(path, samples_csv(getattr(cal, name))) for name, path in samples.items()]
    writes.append((target, text))
    return writes


def _name(target: Path) -> str:
    """A scenario name from the file name (``db-prod.yaml`` → ``db-prod``)."""
    return re.sub(r"[^\w.-]+", "-", target.stem).strip(".-") or "calibrated"
