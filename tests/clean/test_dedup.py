"""Exact and near-duplicate marking (clean.mark_duplicates) and how a run reports it."""

import json

import opencc
import pandas as pd
import pytest

from minetools import clean
from minetools.cli import main
from minetools.datasets import RESUBMISSION_PREFIXES, RESUBMISSION_SUFFIXES, load_sample

BASE = "我上周三在人民路支行办理挂失补卡，等了整整两个小时，窗口只开了一个，保安还让我们别催。"
OTHER = "信用卡年费没有提前通知就直接扣了三百元，打客服电话转了五次人工都没有解决，希望尽快退还。"
# same opening as BASE, different problem: a different customer, not a resubmission
SAME_OPENING = "我上周三在人民路支行办理挂失补卡，柜员说系统升级办不了，让我下周再来，白跑一趟。"


def marks(texts, eligible=None, **kw):
    s = pd.Series(texts, index=range(10, 10 + len(texts)))
    e = pd.Series([True] * len(texts) if eligible is None else eligible, index=s.index)
    return [None if pd.isna(x) else x for x in clean.mark_duplicates(s, e, **kw)]


def test_exact_duplicates_after_normalisation_point_to_the_first_row():
    changed = BASE.replace("，", ", ").replace("。", "!") + "  "
    assert marks([BASE, OTHER, changed, BASE]) == [None, None, 10, 10]


@pytest.mark.parametrize("resubmitted", [
    "第三次投诉了！" + BASE,
    BASE + "到今天也没有任何人给我回电话。",
    "【再次提交】" + BASE.replace("，", " ") + "请给个说法",
])
def test_resubmission_with_added_prefix_or_closing_sentence_is_a_near_duplicate(resubmitted):
    assert marks([BASE, OTHER, resubmitted]) == [None, None, 10]


def test_different_complaint_with_the_same_opening_is_not_a_duplicate():
    assert marks([BASE, SAME_OPENING, OTHER]) == [None, None, None]


def test_short_identical_comments_each_count():
    assert marks(["排队太久了", "排队太久了", "态度差"]) == [None, None, None]


def test_groups_are_transitive_and_point_to_the_earliest_row():
    second = "再次反映：" + BASE
    third = "再次反映：" + BASE + "已经第三次了，还是没人管。"
    assert marks([BASE, second, third]) == [None, 10, 10]


def test_ineligible_rows_are_neither_marked_nor_used_as_originals():
    assert marks([BASE, BASE, BASE], eligible=[False, True, True]) == [None, None, 11]
    assert marks([None, BASE, float("nan"), BASE]) == [None, None, None, 11]


def test_threshold_is_configurable():
    edited = BASE.replace("两个小时", "一个半钟头")  # similarity 0.70
    assert marks([BASE, edited], threshold=0.6) == [None, 10]
    assert marks([BASE, edited], threshold=0.8) == [None, None]
    with pytest.raises(ValueError):
        marks([BASE], threshold=0)


def test_result_is_deterministic_and_independent_of_chunking(monkeypatch):
    sample = load_sample()["text"]
    first = clean.mark_duplicates(sample, sample.notna())
    monkeypatch.setattr(clean.dedup, "_CHUNK_ROWS", 777)
    again = clean.mark_duplicates(sample, sample.notna())
    assert first.fillna(-1).tolist() == again.fillna(-1).tolist()


def test_planted_resubmissions_in_the_sample_are_found():
    sample = load_sample()["text"]
    s2t = opencc.OpenCC("s2t")
    pre = tuple(RESUBMISSION_PREFIXES) + tuple(s2t.convert(p) for p in RESUBMISSION_PREFIXES)
    suf = tuple(RESUBMISSION_SUFFIXES) + tuple(s2t.convert(p) for p in RESUBMISSION_SUFFIXES)
    stripped = sample.fillna("").str.strip()
    planted = stripped.str.startswith(pre) | stripped.str.endswith(suf)
    assert planted.sum() == 150
    marked = clean.mark_duplicates(sample, sample.notna()).notna()
    assert (marked & planted).sum() >= 0.95 * planted.sum()
    # every marked row shares at least 3/4 of the smaller text's character trigrams with its
    # original (checked here with plain Python sets, independently of the MinHash code)
    first = clean.mark_duplicates(sample, sample.notna())
    for row, orig in first.dropna().items():
        a, b = ({k[i:i + 3] for i in range(len(k) - 2)} for k in map(clean.dedup_key, (sample[row], sample[orig])))
        assert len(a & b) >= 0.75 * min(len(a), len(b)), (sample[row], sample[orig])


def test_run_reports_exact_and_near_duplicates(tmp_path):
    rows = [BASE, OTHER, BASE + " ", "第三次投诉了！" + BASE, SAME_OPENING] * 1
    df = pd.DataFrame({"投诉内容": rows * 8, "满意度": [1, 2, 3, 2, 1] * 8})
    # make all but the first block distinct so only the planted pairs are duplicates
    df.loc[5:, "投诉内容"] = [f"第{i}号客户反映：{t}" for i, t in enumerate(df.loc[5:, "投诉内容"], start=5)]
    src = tmp_path / "in.csv"
    df.to_csv(src, index=False)
    cfg = tmp_path / "minetools.toml"
    cfg.write_text("dup_threshold = 0.8\nmin_n = 2\nn_boot = 20\nrender = false\n", encoding="utf-8")
    assert main(["run", str(src), "--out", str(tmp_path / "run"), "--config", str(cfg), "--quiet"]) == 0
    out = pd.read_parquet(tmp_path / "run" / "complaints.parquet")
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    dup = out[out["status"] == "duplicate"]
    assert manifest["duplicates"]["exact"] + manifest["duplicates"]["near"] == len(dup)
    assert out.loc[2, "status_reason"] == "same text as record 1"
    assert out.loc[3, "status_reason"] == "near-duplicate of record 1"
    assert out.loc[4, "status"] == "ok"
    assert manifest["rows"]["balanced"]


def test_bad_dup_threshold_in_config_is_a_clear_error(tmp_path, capsys):
    cfg = tmp_path / "minetools.toml"
    cfg.write_text("dup_threshold = 1.5\n", encoding="utf-8")
    src = tmp_path / "in.csv"
    pd.DataFrame({"text": [BASE, OTHER]}).to_csv(src, index=False)
    assert main(["run", str(src), "--out", str(tmp_path / "run"), "--config", str(cfg), "--quiet"]) != 0
    err = capsys.readouterr().err
    assert "dup_threshold" in err and "Traceback" not in err


def test_worker_processes_give_the_same_result(monkeypatch):
    sample = load_sample()["text"]
    serial = clean.mark_duplicates(sample, sample.notna())
    monkeypatch.setattr(clean.dedup, "_PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(clean.dedup, "_PARALLEL_MIN_PAIRS", 0)
    monkeypatch.setattr(clean.dedup, "_CHUNK_ROWS", 1000)
    parallel = clean.mark_duplicates(sample, sample.notna())
    assert serial.notna().sum() > 150
    assert serial.fillna(-1).tolist() == parallel.fillna(-1).tolist()
