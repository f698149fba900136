"""End-to-end checks on a hand-written corpus (tests/data/handwritten), not the generator's sample."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from minetools.cli import main

DATA = Path(__file__).parent / "data" / "handwritten"
SOURCE = DATA / "complaints_source.csv"
STATUSES = {"ok", "duplicate", "empty", "invalid", "truncated"}

# 1-based data rows of the source file
EMPTY_ROWS = (10, 40)
NONE_ROW = 29  # "无"
SLASH_ROW = 35  # "/"
DUP_ORIGINAL, DUP_COPY = 6, 42
FORMULA_ROW = 47

PII = [
    "13917286450", "15820394718", "18673920516",          # mobiles
    "6222021001122337", "6217001234567890122",             # Luhn-valid cards
    "11010519880605231X", "440306199203174527",            # ID numbers (MOD 11-2)
    "zhaolei_1988@example.com",                            # email
]

RUNS = [
    ("complaints_gbk.csv", []),  # the full run: charts and report are searched for personal data too
    ("complaints.xlsx", ["--tables-only"]),
    ("complaints.xlsx", ["--sheet", "投诉明细", "--tables-only"]),
]
RUN_IDS = ["gbk-csv", "xlsx-first-sheet", "xlsx-named-sheet"]


@pytest.fixture(scope="module")
def source():
    return pd.read_csv(SOURCE, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module", params=RUNS, ids=RUN_IDS)
def run_dir(request, tmp_path_factory):
    name, extra = request.param
    out = tmp_path_factory.mktemp("run") / "out"
    assert main(["run", str(DATA / name), "--out", str(out), "--quiet", *extra]) == 0
    return out


def test_source_shape(source):
    assert len(source) == 50
    assert list(source.columns) == ["工单编号", "受理时间", "投诉渠道", "网点名称", "客户类型",
                                    "投诉内容", "回访满意度", "处理状态"]
    assert source["工单编号"].is_unique
    assert source.loc[DUP_COPY - 1, "投诉内容"] == source.loc[DUP_ORIGINAL - 1, "投诉内容"]
    assert len(source.loc[DUP_ORIGINAL - 1, "投诉内容"]) >= 20
    assert pd.read_csv(DATA / "complaints_gbk.csv", encoding="gbk", dtype=str,
                       keep_default_na=False).equals(source)


def test_no_rows_lost(run_dir, source):
    df = pd.read_parquet(run_dir / "complaints.parquet")
    assert len(df) == 50
    assert df["工单编号"].astype(str).tolist() == source["工单编号"].tolist()
    assert set(df["status"]).issubset(STATUSES), set(df["status"])
    rows = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["rows"]
    assert rows["input"] == 50
    assert sum(rows[s] for s in STATUSES) == 50


def test_junk_rows_not_ok(run_dir):
    df = pd.read_parquet(run_dir / "complaints.parquet")
    for row in (*EMPTY_ROWS, NONE_ROW, SLASH_ROW):
        assert df["status"].iloc[row - 1] != "ok", (row, df["status"].iloc[row - 1])


def test_exact_duplicate(run_dir):
    df = pd.read_parquet(run_dir / "complaints.parquet")
    copy, original = df.iloc[DUP_COPY - 1], df.iloc[DUP_ORIGINAL - 1]
    assert copy["status"] == "duplicate"
    assert original["status"] == "ok"
    assert int(original["record_id"]) == DUP_ORIGINAL
    assert int(copy["duplicate_of"]) == int(original["record_id"])


def test_no_personal_data_in_outputs(run_dir):
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for item in PII:
            for enc in ("utf-8", "utf-16-le", "gb18030"):
                assert item.encode(enc) not in data, (item, enc, path.relative_to(run_dir))
    text = pd.read_parquet(run_dir / "complaints.parquet").astype(str).to_string()
    for item in PII:
        assert item not in text, item


def test_formula_neutralised(run_dir):
    df = pd.read_csv(run_dir / "complaints.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    row = df.iloc[FORMULA_ROW - 1]
    cells = [v for v in row.tolist() if "HYPERLINK" in v]
    assert cells, "formula row lost its text"
    assert all(v.startswith("'=") for v in cells), cells
    # no cell anywhere in the file starts with a bare formula trigger
    for col in df.columns:
        assert not df[col].str.match(r"^[=+\-@]").any() or col in ("受理时间",), col


def test_score_column_detected(run_dir, source):
    """Beyond the brief: '回访满意度' is a very common export header and should map to satisfaction."""
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["input"]["columns"].get("satisfaction") == "回访满意度", manifest["input"]["columns"]
    df = pd.read_parquet(run_dir / "complaints.parquet")
    answered = ~source["回访满意度"].isin(["", "未回访", "无法联系"])
    assert df.loc[answered.values, "score"].notna().all()
