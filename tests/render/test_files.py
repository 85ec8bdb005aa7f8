"""The output folder: nothing of the user's is touched, ``--out`` is checked before any
work, one writer at a time, and a command's files appear all together or not at all."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from simpool.render import files as files_module
from simpool.render.files import (
    COMMITTING,
    MANIFEST,
    OutputBusyError,
    OutputFolder,
    OutputFolderError,
    OutputWriteError,
)
from tests.conftest import results_in


def write(folder: Path, owner: str = "run", **contents: str) -> list[Path]:
    """One command's files, committed through an OutputFolder."""
    with OutputFolder(folder, owner=owner, names=list(contents)) as out:
        return [out.write(name, text) for name, text in contents.items()]


def assert_consistent(folder: Path) -> dict[str, dict]:
    """Every file the manifest lists is there with the bytes it recorded; nothing staged is
    left behind. Returns the manifest's files."""
    listed = json.loads((folder / MANIFEST).read_text())["files"]
    for name, entry in listed.items():
        data = (folder / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
    results_in(folder)
    return listed


def test_files_appear_together_at_the_commit_with_a_manifest(tmp_path):
    out_dir = tmp_path / "out"
    with OutputFolder(out_dir, owner="run", names=["a.txt", "b.txt"]) as out:
        a = out.write("a.txt", "first")
        assert out_dir.is_dir() and not a.exists(), "checked and created at once; written at the commit"
        out.write("b.txt", b"\x00bytes")
    assert (out_dir / "a.txt").read_text() == "first" and (out_dir / "b.txt").read_bytes() == b"\x00bytes"
    listed = assert_consistent(out_dir)
    assert set(listed) == {"a.txt", "b.txt"} and listed["a.txt"]["by"] == "run"


def test_a_foreign_file_under_a_name_to_write_is_refused_before_any_work(tmp_path):
    """A file simpool did not write (no manifest lists it) is never replaced: the folder is
    refused at once, and nothing in it changes."""
    (tmp_path / "requests.csv").write_text("t_ms\n1\n")
    with pytest.raises(OutputFolderError, match=r"--out .*: holds 'requests.csv', which simpool did not write"):
        OutputFolder(tmp_path, owner="run", names=["summary.json", "requests.csv"]).open()
    assert {p.name for p in tmp_path.iterdir()} == {"requests.csv"}
    assert (tmp_path / "requests.csv").read_text() == "t_ms\n1\n"


def test_foreign_files_under_other_names_are_left_alone(tmp_path):
    (tmp_path / "requests.csv").write_text("the user's trace")
    write(tmp_path, **{"summary.json": "{}"})
    write(tmp_path, **{"summary.json": "{}"})
    assert (tmp_path / "requests.csv").read_text() == "the user's trace"
    assert set(assert_consistent(tmp_path)) == {"summary.json"}


def test_a_file_changed_since_simpool_wrote_it_is_the_users(tmp_path):
    """Edited after the run: no longer simpool's. Not replaced (refused), not removed."""
    write(tmp_path, **{"summary.json": "{}", "plot.png": "png"})
    (tmp_path / "plot.png").write_text("the user's edit")
    with pytest.raises(OutputFolderError, match="holds 'plot.png'"):
        write(tmp_path, **{"summary.json": "{}", "plot.png": "again"})
    write(tmp_path, **{"summary.json": "{ }"})  # plot.png is stale for this run, but not simpool's now
    assert (tmp_path / "plot.png").read_text() == "the user's edit"
    assert set(assert_consistent(tmp_path)) == {"summary.json"}


def test_a_symlink_or_folder_under_a_name_to_write_is_refused(tmp_path):
    (tmp_path / "target").write_text("elsewhere")
    (tmp_path / "summary.json").symlink_to(tmp_path / "target")
    (tmp_path / "timeseries.csv").mkdir()
    for name in ("summary.json", "timeseries.csv"):
        with pytest.raises(OutputFolderError, match=f"holds '{name}'"):
            OutputFolder(tmp_path, owner="run", names=[name]).open()
    assert (tmp_path / "target").read_text() == "elsewhere"


def test_files_the_same_command_no_longer_writes_go_others_stay(tmp_path):
    """A rerun without plots removes its earlier plots (unchanged, so simpool's); a sweep's
    files in the same folder belong to another command and stay."""
    write(tmp_path, **{"summary.json": "1", "plot.png": "1"})
    write(tmp_path, owner="sweep", **{"sweep.csv": "s"})
    write(tmp_path, **{"summary.json": "2"})
    assert results_in(tmp_path) == {"summary.json", "sweep.csv"}
    assert set(assert_consistent(tmp_path)) == {"summary.json", "sweep.csv"}


def test_keep_earlier_adds_beside_the_earlier_results(tmp_path):
    write(tmp_path, owner="sweep", **{"sweep.csv": "complete", "sweep-wait.png": "chart"})
    with OutputFolder(tmp_path, owner="sweep", names=["sweep.csv", "sweep.partial.csv"]) as out:
        out.write("sweep.partial.csv", "partial")
        out.keep_earlier()
    assert (tmp_path / "sweep.csv").read_text() == "complete"
    assert results_in(tmp_path) == {"sweep.csv", "sweep-wait.png", "sweep.partial.csv"}
    assert_consistent(tmp_path)


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failed_or_interrupted_command_leaves_the_folder_as_it_was(tmp_path, failure):
    write(tmp_path, **{"summary.json": "old", "plot.png": "old"})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(type(failure)):
        with OutputFolder(tmp_path, owner="run", names=["summary.json", "plot.png"]) as out:
            out.write("summary.json", "new")
            raise failure
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_failed_command_removes_the_folders_it_created(tmp_path):
    with pytest.raises(RuntimeError):
        with OutputFolder(tmp_path / "a" / "b", owner="run", names=["x"]):
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("make", "problem"), [
    (lambda t: (t / "file").write_text("x") and t / "file", "is not a folder"),
    (lambda t: (t / "file").write_text("x") and t / "file" / "sub", "a part of the path is a file"),
    (lambda t: Path("/dev/null"), "is not a folder"),
    (lambda t: t / ("n" * 300), "File name too long"),
])
def test_an_unusable_out_is_refused_at_once(tmp_path, make, problem):
    with pytest.raises(OutputFolderError, match=problem):
        OutputFolder(make(tmp_path), owner="run", names=["x"]).open()


def test_a_read_only_folder_is_refused_at_once(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:  # root writes through permissions: only a read-only mount stops it
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                                 capture_output=True).returncode == 0
        if not mounted:
            pytest.skip("root, and mounting a read-only tmpfs is not permitted here")
    else:
        folder.chmod(0o555)
    try:
        with pytest.raises(OutputFolderError, match="cannot write there"):
            OutputFolder(folder, owner="run", names=["x"]).open()
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(folder)], check=True)
        else:
            folder.chmod(0o755)


def test_a_second_writer_waits_briefly_then_gives_up(tmp_path, monkeypatch):
    monkeypatch.setattr(files_module, "LOCK_WAIT", 0.3)
    with OutputFolder(tmp_path, owner="run", names=["x"]) as first:
        first.write("x", "1")
        started = time.monotonic()
        with pytest.raises(OutputBusyError, match="another simpool is writing there"):
            OutputFolder(tmp_path, owner="run", names=["x"]).open()
        assert time.monotonic() - started >= 0.3
    assert (tmp_path / "x").read_text() == "1"


def test_a_second_writer_gets_the_folder_once_the_first_is_done(tmp_path):
    first = OutputFolder(tmp_path / "out", owner="run", names=["x"])
    first.open()
    first.write("x", "first")
    threading.Timer(0.3, first.commit).start()
    write(tmp_path / "out", x="second")  # waits up to LOCK_WAIT (2 s) for the first
    assert (tmp_path / "out" / "x").read_text() == "second"
    assert_consistent(tmp_path / "out")


def test_a_commit_cut_short_is_finished_by_the_next_writer(tmp_path):
    """A process killed after the commit point (the staging folder renamed) leaves files
    half moved; the next open finishes the move before anything else."""
    write(tmp_path, **{"a": "old a", "b": "old b", "c": "old c"})
    out = OutputFolder(tmp_path, owner="run", names=["a", "b"])
    out.open()
    out.write("a", "new a")
    out.write("b", "new b")
    real = files_module._roll_forward
    files_module._roll_forward = lambda folder: os.replace(folder / COMMITTING / "a", folder / "a")  # dies here
    try:
        out.commit()
    finally:
        files_module._roll_forward = real
    assert (tmp_path / COMMITTING).is_dir() and (tmp_path / "a").read_text() == "new a"
    (tmp_path / ".simpool-staging-abandoned").mkdir()
    with OutputFolder(tmp_path, owner="sweep", names=["s"]) as other:
        other.write("s", "s")
    assert {p.name for p in tmp_path.iterdir()} == {MANIFEST, "a", "b", "s"}
    assert [(tmp_path / n).read_text() for n in "ab"] == ["new a", "new b"]
    assert set(assert_consistent(tmp_path)) == {"a", "b", "s"}


def test_a_full_disk_leaves_the_previous_results_intact(tmp_path):
    """On a tiny tmpfs (root only: skipped where mounting is not permitted) the second,
    bigger write fails with one clear error and the first results stay whole."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a 64 kB tmpfs is not permitted here (it needs root and CAP_SYS_ADMIN)")
    try:
        write(folder, **{"summary.json": "x" * 20_000})
        before = (folder / "summary.json").read_bytes()
        with pytest.raises(OutputWriteError, match="No space left on device; the results there are as they were"):
            write(folder, **{"summary.json": "y" * 20_000, "big.csv": "z" * 80_000})
        assert (folder / "summary.json").read_bytes() == before
        assert set(assert_consistent(folder)) == {"summary.json"}
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_writing_a_name_not_opened_for_is_a_bug(tmp_path):
    with OutputFolder(tmp_path, owner="run", names=["a"]) as out:
        with pytest.raises(ValueError, match="not among the names"):
            out.write("b", "x")
    with pytest.raises(ValueError, match="plain, visible file names"):
        OutputFolder(tmp_path, owner="run", names=["../escape"])
