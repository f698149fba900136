"""Personal data in columns: which columns are pseudonymised, which masked, and what the manifest says."""

import pandas as pd
import pytest

from minetools.clean.pii_columns import (header_kind, load_pseudonym_key, protect_columns, pseudonym, scrub_frame,
                                         scrub_json)
from minetools.clean.table import prepare
from minetools.config import Settings

KEY = b"k" * 64


@pytest.mark.parametrize("header, kind", [
    ("客户姓名", "name"), ("姓名", "name"), ("Customer Name", "name"), ("联系人", "name"), ("开户名", "name"),
    ("联系电话", "phone"), ("手机号码", "phone"), ("来电号码", "phone"), ("Phone", "phone"), ("mobile", "phone"),
    ("证件号码", "id"), ("身份证号", "id"), ("ID Number", "id"), ("护照号", "id"),
    ("账号", "account"), ("对公账户", "account"), ("卡号", "card"), ("银行卡号", "card"),
    ("地址", "address"), ("家庭住址", "address"), ("E-mail", "email"), ("邮箱", "email"), ("微信号", "wechat"),
    ("QQ", "qq"), ("车牌号", "plate"), ("客户编号", "customer_id"),
    ("网点名称", None), ("branch_name", None), ("客户类型", None), ("投诉内容", None), ("工单号码", None),
    ("满意度", None), ("受理时间", None), ("产品名称", None),
])
def test_headers_that_announce_personal_data(header, kind):
    assert header_kind(header) == kind


def test_pseudonyms_are_keyed_stable_and_ignore_how_a_value_was_written():
    a = pseudonym("138 1357 2468", "phone", KEY)
    assert a == pseudonym("+86 13813572468", "phone", KEY) == pseudonym(13813572468, "phone", KEY)
    assert a.startswith("phone_") and "13813572468" not in a
    assert pseudonym("13813572468", "phone", b"x" * 64) != a        # another key, another pseudonym
    assert pseudonym("陳曉明", "name", KEY) == pseudonym("陈晓明 ", "name", KEY)
    assert pd.isna(pseudonym(None, "name", KEY)) and pd.isna(pseudonym("  ", "name", KEY))


def test_columns_are_pseudonymised_by_header_or_content_and_others_masked():
    df = pd.DataFrame({
        "投诉内容": ["排队太久，我电话13813572468", "柜员态度差"],
        "客户姓名": ["陈晓明", "王芳"],                       # header
        "备注": ["13813572468", "15922223333"],              # content: phones on their own
        "字段7": ["欧阳志远", "司马婉清"],                    # content: bare names
        "网点": ["城东支行 张伟 13813572468", "城西支行"],   # attributes: masked like text
        "金额": [100, 250],                                  # numbers without personal data
        "手机": [13813572468, 15922223333],                  # a phone column stored as numbers
    })
    out, report = protect_columns(df, key=KEY, text_col="投诉内容")
    assert report["客户姓名"].to_dict() == {"treatment": "pseudonymised", "kind": "name", "detected_by": "header"}
    assert report["备注"].treatment == "pseudonymised" and report["备注"].kind == "phone"
    assert report["字段7"].treatment == "pseudonymised" and report["字段7"].kind == "name"
    assert report["手机"].treatment == "pseudonymised"
    assert out["网点"].tolist() == ["城东支行 [姓名] [手机号]", "城西支行"]
    assert report["金额"].treatment == "unchanged" and out["金额"].tolist() == [100, 250]
    assert out["投诉内容"][0] == "排队太久，我电话[手机号]" and report["投诉内容"].treatment == "masked"
    text = out.astype(str).to_string()
    for raw in ("陈晓明", "13813572468", "欧阳志远", "张伟", "15922223333"):
        assert raw not in text


def test_keep_columns_opts_a_column_back_in():
    df = pd.DataFrame({"投诉内容": ["排队"], "客户姓名": ["陈晓明"]})
    out, report = protect_columns(df, key=KEY, text_col="投诉内容", keep=("客户姓名",))
    assert out["客户姓名"][0] == "陈晓明" and report["客户姓名"].treatment == "kept"


def test_the_record_id_stays_unless_it_is_personal_data():
    df = pd.DataFrame({"投诉内容": ["排队", "排队", "态度差"],
                       "编号": ["TS202301000001", "13813572468", "TS202301000003"]})
    out, report = protect_columns(df, key=KEY, text_col="投诉内容", id_col="编号")
    assert out["编号"][0] == "TS202301000001" and out["编号"][2] == "TS202301000003"
    assert out["编号"][1].startswith("customer_id_")


def _frame(data: dict) -> pd.DataFrame:
    df = pd.DataFrame(data)
    df.attrs["minetools"] = {"columns": {"text": "投诉内容"}}
    return df


def test_prepare_reports_each_columns_treatment_and_counts_per_kind():
    df = _frame({"投诉内容": ["我叫陈晓明，电话13813572468", "邮箱 a.b@example.com"], "联系电话": ["1", "2"],
                 "status": ["已办结", "处理中"], "themes": ["x", "y"]})
    out, privacy, _ = prepare(df, Settings(), key=KEY)
    assert privacy["masked"]["姓名"] == 1 and privacy["masked"]["手机号"] == 1 and privacy["masked"]["邮箱"] == 1
    assert privacy["columns"]["联系电话"]["treatment"] == "pseudonymised"
    # input columns named like the run's own are kept under a prefix, never overwritten
    assert privacy["renamed"] == {"status": "input_status", "themes": "input_themes"}
    assert out["input_status"].tolist() == ["已办结", "处理中"] and out["status"].tolist() == ["ok", "ok"]


def test_role_columns_are_written_masked_not_raw():
    df = _frame({"投诉内容": ["排队"] * 2, "网点": ["城东支行 王芳 13813572468", "城西支行"]})
    df.attrs["minetools"]["columns"]["branch"] = "网点"
    out, _, _ = prepare(df, Settings(), key=KEY)
    assert out["branch"].tolist() == ["城东支行 [姓名] [手机号]", "城西支行"]


def test_scrub_masks_strings_once_more_and_keeps_exact_fields():
    frame = pd.DataFrame({"label": ["张先生的投诉", "ok"], "n": [1, 2]})
    assert scrub_frame(frame)["label"].tolist() == ["[姓名]先生的投诉", "ok"]
    manifest = {"warnings": ["客户13813572468来电"], "hashes": {"model": "1381357246813813572468"}}
    out = scrub_json(manifest)
    assert out["warnings"] == ["客户[手机号]来电"] and out["hashes"] == manifest["hashes"]


def test_the_key_is_made_once_owner_only_and_reused(tmp_path):
    path = tmp_path / "cfg" / "pseudonym.key"
    key, where = load_pseudonym_key(path)
    assert where == path and path.stat().st_mode & 0o777 == 0o600 and len(key) == 64
    assert load_pseudonym_key(path)[0] == key
    path.write_text("short\n")
    with pytest.raises(ValueError, match="too short"):
        load_pseudonym_key(path)


def test_attribute_cells_masked_once_per_value_match_masking_each_cell():
    from minetools.clean import mask_texts
    from minetools.clean.pii_columns import mask_cells

    cells = ["城东支行", "城东支行 张伟", "2025-07-03 09:15:22", "4", "客户经理：王芳 13813572468", "城东支行 张伟",
             "", "09:15", "4.5", "客户经理：王芳 13813572468"]
    assert mask_cells(cells) == mask_texts(cells)
