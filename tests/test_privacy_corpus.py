"""The adversarial privacy corpora, end to end: no raw value reaches any file a run writes.

Each corpus (data/eval/privacy/, written by people who saw the kinds to write but not the
masking code) becomes a CSV, a Parquet file with real int64 columns and a JSONL file with JSON
numbers (tests/privacy_harness.py). Every output is scanned: Parquet cells, CSV, SVG text,
HTML, the PDF's text, the model folder, the manifest and audit.csv.
"""

import json

import pytest

from minetools.cli import main
from minetools.pipeline import write_audit
from tests import privacy_harness as ph

CORPORA = ["dev", "holdout"]
#: values that still leak, stated (bench/results/privacy.md): 高 is also an everyday word and 高一 is one
#: ("senior-one"), so 客户高一鸣来电 is not read as a name
KNOWN_MISSES = {"holdout": {"H0094"}}


@pytest.fixture(scope="module", params=CORPORA)
def corpus_runs(request, tmp_path_factory):
    rows = ph.read_corpus(ph.CORPORA[request.param])
    base = tmp_path_factory.mktemp(f"privacy_{request.param}")
    paths = ph.build_inputs(rows, base / "in")
    runs = {}
    for fmt, path in paths.items():
        out = base / f"out_{fmt}"
        extra = [] if fmt == "csv" else ["--tables-only"]  # charts, report and PDF once, from the CSV
        assert main(["run", str(path), "--out", str(out), "--quiet", *extra]) == 0
        runs[fmt] = out
    write_audit(runs["csv"], n=60)
    return request.param, rows, runs


@pytest.mark.slow
def test_no_raw_value_reaches_any_output_file(corpus_runs):
    name, rows, runs = corpus_runs
    for fmt, out in runs.items():
        assert (out / "report.pdf").exists() or fmt != "csv"
        found = ph.scan_outputs(out, rows)
        leaks = [x for x in found if x["case_id"] not in KNOWN_MISSES.get(name, set())]
        shown = [f"{x['case_id']} {x['kind']}/{x['carrier']} {x['form']!r} in {x['file']}" for x in leaks[:20]]
        assert not leaks, f"{name} corpus, {fmt} input: {len(leaks)} leaks:\n" + "\n".join(shown)
        # a known miss that no longer leaks: remove it from KNOWN_MISSES
        assert {x["case_id"] for x in found} == KNOWN_MISSES.get(name, set()), fmt


@pytest.mark.slow
def test_lookalikes_are_not_masked(corpus_runs):
    name, rows, runs = corpus_runs
    kept, total, lost = ph.lookalikes_kept(rows, runs["csv"])
    assert total >= 50 and kept == total, f"{name}: lost {lost}"


@pytest.mark.slow
def test_the_manifest_says_what_was_done_to_each_column(corpus_runs):
    _, rows, runs = corpus_runs
    manifest = json.loads((runs["parquet"] / "manifest.json").read_text(encoding="utf-8"))
    columns = manifest["privacy"]["columns"]
    dedicated = {r["column"] for r in rows if r["carrier"] in ("dedicated", "numeric")}
    for col in dedicated & set(columns):  # replaced by pseudonyms, or masked where it holds more than the value
        assert columns[col]["treatment"] == "pseudonymised" or sum(columns[col].get("masked", {}).values()), col
    assert manifest["pii_masked"]["姓名"] > 0 and manifest["pii_masked"]["手机号"] > 0
