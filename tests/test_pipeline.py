"""Pipeline on inputs users actually have: Chinese headers, GBK, no satisfaction column."""

import pandas as pd
import pytest

from minetools.config import Settings
from minetools.datasets import load_sample
from minetools.pipeline import STATUSES, run


@pytest.fixture(scope="module")
def chinese_export(tmp_path_factory):
    """300 sample complaints re-exported as a GBK CSV with Chinese headers and no satisfaction."""
    df = load_sample().head(300)
    export = pd.DataFrame({"工单号": df["id"], "投诉内容": df["text"], "受理时间": df["received_at"],
                           "网点": df["branch"], "渠道": df["channel"]})
    export.loc[5, "投诉内容"] = ""
    path = tmp_path_factory.mktemp("gbk") / "导出.csv"
    path.write_bytes(export.to_csv(index=False).encode("gb18030"))
    return path


@pytest.fixture(scope="module")
def result(chinese_export, tmp_path_factory):
    return run(chinese_export, tmp_path_factory.mktemp("out"), settings=Settings(n_boot=20), progress=False)


def test_gbk_export_with_chinese_headers_keeps_every_row(result):
    assert len(result.complaints) == 300
    assert result.manifest["input"]["encoding"] == "gb18030"
    assert result.manifest["input"]["columns"]["text"] == "投诉内容"
    assert result.complaints.loc[5, "status"] == "empty"
    assert sum(result.manifest["rows"][s] for s in STATUSES) == 300


def test_canonical_columns_are_added_beside_the_originals(result):
    df = result.complaints
    assert {"工单号", "投诉内容", "受理时间", "网点", "渠道"} <= set(df.columns)
    assert (df["branch"] == df["网点"]).all() and df["month"].str.match(r"20\d\d-\d\d").all()


def test_without_satisfaction_drivers_use_the_clearly_labelled_text_proxy(result):
    from minetools.intensity import PROXY_LABEL_EN

    drivers = pd.read_csv(result.out_dir / "drivers.csv", encoding="utf-8-sig")
    assert len(drivers) == 12 and drivers["n"].sum() > 0
    assert drivers["effect"].notna().sum() >= 6          # a driver view all the same
    assert (drivers["score_basis"] == PROXY_LABEL_EN).all()
    assert result.manifest["drivers"]["score_basis"] == PROXY_LABEL_EN
    assert any("proxy" in w for w in result.manifest["warnings"])
    assert (result.out_dir / "report.html").exists() and (result.out_dir / "figures" / "drivers.png").exists()


def _frame(texts):
    df = pd.DataFrame({"投诉内容": texts, "联系电话": ["13912345678"] * len(texts)})
    df.attrs["minetools"] = {"columns": {"text": "投诉内容"}}
    return df


def test_raw_text_is_masked_unless_keep_raw_text_is_asked_for():
    from minetools.pipeline import prepare

    texts = ["我的电话13812345678，排队等了一个小时"]
    masked, privacy, _ = prepare(_frame(texts), Settings())
    assert "13812345678" not in masked["投诉内容"][0] and "[手机号]" in masked["投诉内容"][0]
    # a phone column is replaced by keyed pseudonyms (same number → same pseudonym)
    assert masked["联系电话"][0].startswith("phone_") and "13912345678" not in masked["联系电话"][0]
    assert privacy["masked"]["手机号"] == 1 and privacy["columns"]["联系电话"]["treatment"] == "pseudonymised"
    kept, _, _ = prepare(_frame(texts), Settings(keep_raw_text=True))
    assert kept["投诉内容"][0] == texts[0]
    assert kept["联系电话"][0].startswith("phone_")       # only the text column is kept raw
    assert "13812345678" not in kept["text_clean"][0]    # analysis text is always masked


def test_long_texts_are_analysed_truncated_and_flagged():
    from minetools.pipeline import prepare

    out, _, _ = prepare(_frame(["排队" * 40]), Settings(max_chars=50))
    assert out["status"][0] == "truncated" and "50" in out["status_reason"][0]
