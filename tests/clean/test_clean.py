"""Cleaning functions and personal-data masking."""

import pandas as pd
import pytest

from minetools import clean
from minetools.clean import pii_numbers as pii


def _luhn_complete(body: str) -> str:
    """Append the Luhn check digit to a card-number body (test helper)."""
    for d in "0123456789":
        if pii.luhn(body + d):
            return body + d
    raise AssertionError


def _id_complete(body17: str) -> str:
    total = sum(int(d) * w for d, w in zip(body17, pii._ID_WEIGHTS))
    return body17 + pii._ID_CHECK[total % 11]


CARD16 = _luhn_complete("622202123456789")
CARD19 = _luhn_complete("621700001234567890")
ID18 = _id_complete("11010519850307123")


@pytest.mark.parametrize("text_in, text_out", [
    ("ＡＢＣ１２３", "ABC123"),
    ("等了３０分钟！", "等了30分钟！"),
    ("全角空格　在这", "全角空格 在这"),
    ("中文标点，保持。", "中文标点，保持。"),
])
def test_normalize_width_turns_fullwidth_ascii_halfwidth(text_in, text_out):
    assert clean.normalize_width(text_in) == text_out


@pytest.mark.parametrize("text_in, text_out", [
    ("<p>柜员态度差</p>", " 柜员态度差 "),
    ("排队&nbsp;太久&lt;1小时&gt;", "排队 太久<1小时>"),
    ("没有标签", "没有标签"),
])
def test_strip_html_removes_tags_and_decodes_entities(text_in, text_out):
    assert clean.strip_html(text_in) == text_out


@pytest.mark.parametrize("text_in, text_out", [
    ("详见 https://bank.example.com/a?b=1 谢谢", "详见 [网址] 谢谢"),
    ("网址www.example.cn，请查看", "网址[网址]，请查看"),
])
def test_replace_urls_uses_a_token(text_in, text_out):
    assert clean.replace_urls(text_in) == text_out


@pytest.mark.parametrize("text_in, text_out", [
    ("銀行櫃員態度很差", "银行柜员态度很差"),
    ("排隊等了一個小時", "排队等了一个小时"),
    ("已经是简体", "已经是简体"),
])
def test_to_simplified_converts_traditional(text_in, text_out):
    assert clean.to_simplified(text_in) == text_out


@pytest.mark.parametrize("text_in, text_out", [
    ("  第一行\r\n第二行\t\t结束  ", "第一行 第二行 结束"),
    ("a\u3000\u3000b", "a b"),
])
def test_normalize_whitespace(text_in, text_out):
    assert clean.normalize_whitespace(text_in) == text_out


@pytest.mark.parametrize("text_in, text_out", [
    ("太慢了！！！！", "太慢了！"),
    ("为什么？？？", "为什么？"),
    ("气死了😡😡😡", "气死了😡😡😡"),  # emoji kept: they carry emotion
    ("。。。。", "。"),
])
def test_collapse_punctuation_keeps_emoji(text_in, text_out):
    assert clean.collapse_punctuation(text_in) == text_out


@pytest.mark.parametrize("text_in, text_out", [
    ("我的电话13812345678请回电", "我的电话[手机号]请回电"),
    ("手机：+86 139-1234-5678", "手机：[手机号]"),
    ("电话１３８１２３４５６７８", "电话[手机号]"),
    (f"卡号{CARD16}被吞", "卡号[银行卡号]被吞"),
    (f"卡号{CARD19[:4]} {CARD19[4:8]} {CARD19[8:12]} {CARD19[12:16]} {CARD19[16:]}", "卡号[银行卡号]"),
    (f"身份证{ID18}", "身份证[身份证号]"),
    ("邮箱 zhang.san@example.com 联系", "邮箱 [邮箱] 联系"),
    ("座机010-62345678", "座机[固话]"),
    ("老身份证号110105491231002", "老身份证号[身份证号]"),
    ("姓名：王小明，反映排队", "姓名：[姓名]，反映排队"),
    ("尾号1234的卡", "尾号1234的卡"),           # a card's last four digits are not personal data
    ("等了45分钟，前面20个人", "等了45分钟，前面20个人"),
])
def test_mask_pii_replaces_personal_data_with_typed_placeholders(text_in, text_out):
    assert clean.mask_pii(text_in) == text_out


def test_mask_pii_leaves_numbers_failing_luhn_or_checksum():
    bad_card = CARD16[:-1] + str((int(CARD16[-1]) + 1) % 10)
    bad_id = ID18[:-1] + ("0" if ID18[-1] != "0" else "1")
    assert clean.mask_pii(f"流水号{bad_card}") == f"流水号{bad_card}"
    assert clean.mask_pii(f"编号{bad_id}") == f"编号{bad_id}"


def test_count_pii_counts_each_type():
    masked, counts = clean.count_pii([f"电话13812345678 卡{CARD16}", f"身份证{ID18}", None])
    assert counts["手机号"] == 1 and counts["银行卡号"] == 1 and counts["身份证号"] == 1
    assert "13812345678" not in masked[0] and masked[2] is None


def test_clean_text_masks_before_other_steps_and_simplifies():
    out = clean.clean_text(f"<b>櫃員</b>把卡扔了！！！卡號：{CARD16}")
    assert out == "柜员 把卡扔了！卡号：[银行卡号]"


@pytest.mark.parametrize("text, status", [
    ("", "empty"), ("   ", "empty"), ("。。。", "empty"), ("无", "empty"),
    ("asdfasdf", "invalid"), ("1111", "invalid"),
    ("排队太久", "ok"), ("太" * 6000, "truncated"),
])
def test_classify_text_gives_every_row_a_status(text, status):
    assert clean.classify_text(text, max_chars=5000)[0] == status


def test_mark_duplicates_points_to_first_occurrence_ignoring_punctuation():
    long = "我在城东支行排队等了一个多小时，窗口只开了一个，太离谱了"
    texts = pd.Series([long + "！", "柜员态度差", long, long.replace("，", " ") + "。。", "新的投诉"])
    eligible = pd.Series([True, True, True, False, True])
    first = clean.mark_duplicates(texts, eligible)
    assert pd.isna(first[0]) and pd.isna(first[1]) and first[2] == 0
    assert pd.isna(first[3])  # not eligible (e.g. empty) → never a duplicate
    assert pd.isna(first[4])


def test_short_identical_comments_from_different_customers_are_not_duplicates():
    texts = pd.Series(["排队太久了！", "排队太久了！", "排队太久了"])
    assert clean.mark_duplicates(texts, pd.Series([True] * 3)).isna().all()
