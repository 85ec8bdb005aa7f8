"""``simpool recommend`` on the command line: the Go code, --json, --out and --report
through the output folder, and bad input as one line with exit 2 and nothing written."""

import json

import pytest

from tests.conftest import results_in

SLO = ("--slo", "p99_wait<50ms", "--slo", "error_rate<=0")


def test_prints_the_go_code_and_writes_json_and_report(invoke, tiny, tmp_path):
    out = tmp_path / "out"
    result = invoke("recommend", tiny, *SLO, "--jobs", "1", "--out", out, "--report")
    assert result.exit_code == 0, result.output
    assert "db.SetMaxOpenConns(" in result.stdout and "Margin under the cap" in result.stdout
    assert "Search:" in result.stdout and "replications" in result.stdout
    assert results_in(out) == {"recommend.json", "report.md", "report.html"}
    doc = json.loads((out / "recommend.json").read_text())
    assert doc["fits"] and doc["recommendation"]["go"][0] == f"db.SetMaxOpenConns({doc['recommendation']['max_open']})"
    report = (out / "report.md").read_text()
    assert "db.SetMaxOpenConns(" in report and "cpu" not in report.lower()


def test_json_is_the_document_and_the_default_folder(invoke, tiny, tmp_path):
    result = invoke("recommend", tiny, *SLO, "--jobs", "1", "--json", "--set", "seed=4")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["seed"] == 4 and doc["slo"] == ["p99_wait<50ms", "error_rate<=0"]
    assert (tmp_path / "simpool-out" / "tiny-recommend" / "recommend.json").exists()


@pytest.mark.parametrize(("args", "message"), [
    ((), "--slo: give at least one objective"),
    (("--slo", "p99_wiat<50ms"), "did you mean 'p99_wait'"),
    ((*SLO, "--headroom", "lots"), "--headroom"),
    ((*SLO, "--min-replications", "1"), "--replications"),
    ((*SLO, "--max-dials-per-s", "0"), "--max-dials-per-s"),
    ((*SLO, "--set", "fleet.pool.max_opn=3"), "max_opn"),
])
def test_bad_input_is_one_line_and_exit_2(invoke, tiny, tmp_path, args, message):
    out = tmp_path / "never"
    result = invoke("recommend", tiny, *args, "--jobs", "1", "--out", out)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists() or results_in(out) == set()


def test_a_services_scenario_needs_a_service_not_one_fleet(invoke, tmp_path):
    """Without --service, recommend would tune a fleet the scenario does not run: one line
    naming --service and the services, exit 2, nothing written; an unknown name likewise."""
    out = tmp_path / "out"
    result = invoke("recommend", "month-end-budget", "--slo", "p99_wait<100ms", "--out", out)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --service: this scenario has services (api, batch): give --service NAME")
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()
    for args, message in ((("--service", "web"), "no service 'web' in this scenario (it has api, batch)"),
                          (("--service", "api", "--slo", "batch:error_rate<=0"), "for service batch, not api"),
                          (("--service", "api", "--slo", "refusals<=0"), "refusals counts the whole database")):
        result = invoke("recommend", "month-end-budget", "--slo", "p99_wait<100ms", *args, "--out", out)
        assert result.exit_code == 2 and message in result.stderr, result.output
        assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


def test_a_plain_scenario_takes_no_service(invoke, tiny, tmp_path):
    result = invoke("recommend", tiny, *SLO, "--service", "api", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "--service: this scenario has one fleet" in result.stderr


def test_asking_again_reads_the_run_cache_and_gives_the_same_document(invoke, tiny, tmp_path):
    """The second identical recommend runs no replication (every run from the cache) and
    writes the same recommend.json but for its CPU time; --no-cache runs them all again."""
    cache = tmp_path / "runs"
    docs, texts = [], []
    for _ in range(2):
        result = invoke("recommend", tiny, *SLO, "--jobs", "1", "--cache", cache, "--out", tmp_path / "out")
        assert result.exit_code == 0, result.output
        texts.append(result.stdout)
        docs.append(json.loads((tmp_path / "out" / "recommend.json").read_text()))
    first, second = docs
    used = first["search"]["replications"]
    assert used > 0 and "from the run cache" not in texts[0]
    assert f"{used} replications, {used} of them from the run cache" in " ".join(texts[1].split())
    for doc in docs:
        del doc["search"]["cpu_s"]
    assert first == second
    fresh = invoke("recommend", tiny, *SLO, "--jobs", "1", "--no-cache", "--json")
    assert fresh.exit_code == 0 and "from the run cache" not in fresh.stdout
    assert json.loads(fresh.stdout)["search"]["replications"] == used


def test_a_recommend_that_ran_its_replications_says_none_came_from_the_cache(tiny):
    """The library counts what it ran and what it reused: 0 reused without a cache."""
    from simpool.analysis.recommend import recommend
    from simpool.sweeps.cache import RunCache

    rec = recommend(tiny, SLO[1::2], jobs=1)
    assert rec.reused == 0 and rec.replications > 0
    cache = RunCache(tiny.parent / "cache")
    assert recommend(tiny, SLO[1::2], jobs=1, cache=cache).reused == 0, "an empty cache only fills"
    again = recommend(tiny, SLO[1::2], jobs=1, cache=cache)
    from simpool.render.recommend_table import document

    assert again.reused == again.replications == rec.replications
    assert document(again) | {"search": None} == document(rec) | {"search": None}


def test_service_all_prints_the_split_and_writes_it_as_json(invoke, tmp_path):
    """--service all on month-end-batch: the split line, each service's Go code, the
    document; asked again, every run comes from the cache."""
    args = ("recommend", "month-end-batch", "--service", "all", "--slo", "api:error_rate<=0", "--set",
            "duration=100s", "--jobs", "2", "--cache", tmp_path / "cache", "--out", tmp_path / "out")
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "Split: api 4 × " in text and "proved together on the same traffic" in text
    assert "batch: db.SetMaxOpenConns(" in text and "api: db.SetMaxOpenConns(" in text
    doc = json.loads((tmp_path / "out" / "recommend.json").read_text())
    assert doc["split"] and doc["fits"] and [s["service"] for s in doc["shares"]] == ["api", "batch"]
    again = invoke(*args, "--json")
    assert again.exit_code == 0
    second = json.loads(again.stdout)
    assert second["search"]["replications"] == doc["search"]["replications"]
    for d in (doc, second):
        del d["search"]["cpu_s"]
    assert second == doc
    refused = invoke(*args, "--report")
    assert refused.exit_code == 2 and "--report" in refused.stderr
