"""The run cache: keyed by what decides a run (settings, the data read from files, seed,
replication, code), exact (a cached point gives the same bytes as a fresh one), atomic,
bounded, and never an error for an entry it cannot read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import simpool
from simpool.render.sweep_files import to_csv
from simpool.sweeps import cache as run_cache
from simpool.sweeps.cache import CacheError, RunCache, run_key
from simpool.sweeps.executors import run_task

SPIKE = Path(__file__).parent.parent / "assets" / "sweep-spike.yaml"
SHORT = {"duration": "3s", "warmup": "1s"}


def _scenario(**overrides):
    return simpool.load_scenario(SPIKE, overrides={**SHORT, **overrides})


def _entries(folder: Path) -> list[Path]:
    return sorted((folder / "runs").glob("*/*.json"))


def test_put_then_get_gives_the_same_outcome(tmp_path):
    scenario = _scenario()
    outcome = run_task(scenario, 7, 0)
    cache = RunCache(tmp_path / "cache")
    assert cache.get(scenario, 7, 0) is None
    assert cache.put(scenario, 7, 0, outcome)
    again = RunCache(tmp_path / "cache").get(_scenario(), 7, 0)  # a new process: a new Scenario object
    assert repr(again) == repr(outcome)
    assert (tmp_path / "cache" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_every_part_of_the_key_counts(tmp_path, monkeypatch):
    """Another setting, seed, replication or code version is another key."""
    base = _scenario()
    keys = {run_key(base, 7, 0), run_key(base, 8, 0), run_key(base, 7, 1),
            run_key(_scenario(**{"fleet.pool.max_open": 5}), 7, 0)}
    assert len(keys) == 4
    assert run_key(_scenario(), 7, 0) == run_key(base, 7, 0)
    monkeypatch.setattr(run_cache, "code_version", lambda: "another version")
    assert run_key(base, 7, 0) not in keys


def test_code_version_hashes_simpools_source():
    version = run_cache.code_version()
    assert len(version) == 64 and version == run_cache.code_version()


def test_the_data_read_from_a_file_is_in_the_key(tmp_path):
    """Same file name, other contents: another key (the data simulated decides, not the name)."""
    trace = tmp_path / "requests.csv"
    data = {"duration": "2s", "warmup": "0", "workload": {"arrivals": [{"kind": "trace", "file": "requests.csv"}]}}
    trace.write_text("t_ms\n1\n5\n9\n")
    first = simpool.load_scenario(data, base_dir=tmp_path)
    trace.write_text("t_ms\n1\n5\n10\n")
    second = simpool.load_scenario(data, base_dir=tmp_path)
    assert first.effective() == second.effective()
    assert run_key(first, 1, 0) != run_key(second, 1, 0)
    samples = tmp_path / "samples.csv"
    sampled = {"duration": "2s", "warmup": "0", "database": {"query": {"dist": "empirical", "file": "samples.csv"}}}
    samples.write_text("ms\n1\n2\n")
    one = simpool.load_scenario(sampled, base_dir=tmp_path)
    samples.write_text("ms\n1\n3\n")
    assert run_key(one, 1, 0) != run_key(simpool.load_scenario(sampled, base_dir=tmp_path), 1, 0)


def test_corrupt_and_foreign_entries_are_ignored(tmp_path):
    scenario = _scenario()
    cache = RunCache(tmp_path)
    cache.put(scenario, 7, 0, run_task(scenario, 7, 0))
    (entry,) = _entries(tmp_path)
    for text in ("", "{not json", "[]", json.dumps({"format": "other", "key": entry.stem}),
                 json.dumps({"format": run_cache.FORMAT, "key": "0" * 64, "metrics": {}, "error_messages": {}}),
                 json.dumps({"format": run_cache.FORMAT, "key": entry.stem, "metrics": [], "error_messages": {}}),
                 "\udcff".encode("utf-8", "surrogateescape").decode("latin-1")):
        entry.write_text(text, encoding="latin-1")
        assert cache.get(scenario, 7, 0) is None, text
    entry.write_bytes(b"\xff\xfe\x00")
    assert cache.get(scenario, 7, 0) is None
    entry.unlink()
    entry.mkdir()  # a folder where an entry should be
    assert cache.get(scenario, 7, 0) is None


def test_an_outcome_json_cannot_carry_exactly_is_not_kept(tmp_path):
    """A tuple (JSON makes it a list) would come back different: run again instead."""
    scenario = _scenario()
    metrics, messages = run_task(scenario, 7, 0)
    assert not RunCache(tmp_path).put(scenario, 7, 0, ({**metrics, "instances": tuple(metrics["instances"])}, messages))
    assert _entries(tmp_path) == []


def test_an_unwritable_folder_is_a_quiet_no_op(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = RunCache(tmp_path / "new")
    cache.folder = blocker / "sub"  # a path through a file: every write fails
    scenario = _scenario()
    assert not cache.put(scenario, 7, 0, run_task(scenario, 7, 0))
    assert cache.get(scenario, 7, 0) is None


def test_a_folder_of_someone_elses_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CacheError, match="not simpool's run cache"):
        RunCache(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    RunCache(tmp_path / "empty")  # missing or empty is fine
    (tmp_path / "empty").mkdir()
    RunCache(tmp_path / "empty")


def test_pruning_keeps_the_most_recently_used(tmp_path):
    scenario = _scenario()
    outcome = run_task(scenario, 7, 0)
    cache = RunCache(tmp_path)
    for k in range(10):
        cache.put(scenario, 7, k, outcome)
    entries = _entries(tmp_path)
    size = entries[0].stat().st_size
    for age, k in enumerate(range(10)):  # replication 0 oldest ... 9 newest
        path = cache._path(cache._key(scenario, 7, k))
        os.utime(path, (1_000_000 + age, 1_000_000 + age))
    cache.get(scenario, 7, 0)  # used now: the newest
    stale = tmp_path / "runs" / "00" / ".tmp-killed.json"
    stale.parent.mkdir(exist_ok=True)
    stale.write_text("half")
    os.utime(stale, (1_000_000, 1_000_000))
    mine = tmp_path / "runs" / "00" / "notes.txt"
    mine.write_text("not an entry")
    cache.max_bytes = 5 * size
    cache.prune()
    kept = {k for k in range(10) if cache._path(cache._key(scenario, 7, k)).exists()}
    assert kept == {0, 7, 8, 9}  # down to 4/5 of the bound, least recently used first
    assert not stale.exists() and mine.exists()


def test_a_cached_sweep_is_byte_identical_and_says_what_it_reused(tmp_path):
    axes = {"fleet.pool.max_open": [3, 9]}
    fresh = simpool.sweep(SPIKE, axes, replications=2, jobs=1, overrides=SHORT, cache=tmp_path)
    assert fresh.reused_points == 0 and len(_entries(tmp_path)) == 4
    again = simpool.sweep(SPIKE, axes, replications=2, jobs=1, overrides=SHORT, cache=tmp_path, resume=True)
    assert (again.reused_points, again.reused_runs) == (2, 4)
    assert to_csv(again) == to_csv(fresh) and again.document() == fresh.document()
    # A new seed and a new point are run; the old point is reused.
    more = simpool.sweep(SPIKE, {"fleet.pool.max_open": [3, 4]}, replications=2, jobs=1, overrides=SHORT,
                         cache=tmp_path, resume=True)
    assert (more.reused_points, more.reused_runs) == (1, 2)
    other = simpool.sweep(SPIKE, axes, replications=2, jobs=1, overrides=SHORT, cache=tmp_path, resume=True, seed=9)
    assert other.reused_runs == 0


def test_resume_runs_only_what_is_missing(tmp_path, monkeypatch):
    """A point with one replication kept runs the other only."""
    scenario_axes = {"fleet.pool.max_open": [3]}
    fresh = simpool.sweep(SPIKE, scenario_axes, replications=2, jobs=1, overrides=SHORT, cache=tmp_path)
    cache = RunCache(tmp_path)
    point = simpool.load_scenario(SPIKE, overrides={**SHORT, "fleet.pool.max_open": 3})
    cache._path(cache._key(point, point.seed, 1)).unlink()
    ran = []
    from simpool.sweeps import executors

    real = executors.run_replication
    monkeypatch.setattr(executors, "run_replication", lambda *task, **kw: ran.append(task[2]) or real(*task, **kw))
    again = simpool.sweep(SPIKE, scenario_axes, replications=2, jobs=1, overrides=SHORT, cache=cache, resume=True)
    assert ran == [1]
    assert (again.reused_points, again.reused_runs) == (0, 1)
    assert to_csv(again) == to_csv(fresh)
