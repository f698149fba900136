"""Tests for minetools.intensity: text-derived dissatisfaction intensity and the 1–5 proxy."""

import doctest
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

import minetools.intensity as intensity_module
from minetools.intensity import (
    KINDS,
    MAX_FACTOR,
    PROXY_LABEL_EN,
    PROXY_LABEL_ZH,
    dissatisfaction_intensity,
    explain_intensity,
    load_lexicon,
    proxy_satisfaction,
)

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT / "data" / "eval" / "dev_labeled.csv"
SAMPLE = ROOT / "data" / "sample" / "complaints.csv"

#: "clearly higher" means at least this much higher on the [0, 1] scale
MARGIN = 0.05


def score(text) -> float:
    return float(dissatisfaction_intensity([text])[0])


# --- ordering of hand-written pairs -----------------------------------------------------------
@pytest.mark.parametrize(
    "angrier, calmer",
    [
        # overall
        ("太过分了！！！你们这是什么态度", "办理很顺利，谢谢"),
        ("扬言要去银保监会投诉", "希望改进一下"),
        ("态度恶劣", "态度恶劣，不过后来经理道歉了，谢谢"),
        # negation
        ("不满意", "满意"),
        ("柜员很不耐心", "柜员很耐心"),
        ("柜员很不耐烦", "没有不耐烦，态度还可以"),
        ("我不是来受气的", "我没有生气"),
        ("不满意", "不是很满意"),
        # intensifiers and diminishers
        ("非常失望", "有点失望"),
        ("非常不满意", "不满意"),
        ("不满意", "有点不满意"),
        ("太失望了", "失望"),
        # punctuation and repeated characters
        ("等了两个小时！！！", "等了两个小时"),
        ("你们是干什么吃的？？", "你们是干什么吃的"),
        ("凭什么扣我钱？！", "凭什么扣我钱？"),
        ("又让我等……", "又让我等"),
        ("啊啊啊啊气死了", "气死了"),
        # emoji and bracket emoticons
        ("气死我了😡", "气死我了"),
        ("态度差👎", "态度差👍"),
        ("排队太久了[怒]", "排队太久了"),
        ("排队太久了[怒]", "排队太久了[赞]"),
        # blockers: a cue inside a longer neutral word does not fire
        ("这个柜员真不好", "不好意思，想问一下"),
    ],
)
def test_the_angrier_text_scores_clearly_higher(angrier, calmer):
    high, low = dissatisfaction_intensity([angrier, calmer])
    assert high >= low + MARGIN, (angrier, high, calmer, low)


@pytest.mark.parametrize("text", ["办理很顺利，谢谢", "柜员很耐心，非常满意", "没有不满意", "请问周六营业吗"])
def test_calm_or_positive_text_scores_low(text):
    assert score(text) < 0.15


@pytest.mark.parametrize(
    "text", ["不过服务很好", "不仅快还很热情", "没想到这么顺利", "无论如何感谢", "不少人表扬"]
)
def test_a_word_that_starts_with_a_negator_character_does_not_negate_the_praise_after_it(text):
    """不过 (but), 不仅 (not only), 没想到 (unexpectedly)… are not negations of 很好, 热情, 顺利."""
    assert score(text) == 0.0


def test_a_word_that_starts_with_a_negator_character_does_not_damp_the_complaint_after_it():
    assert score("不断推诿") == pytest.approx(score("推诿"))


def test_stacked_intensifiers_are_capped():
    table = explain_intensity("非常非常非常非常非常失望")
    cue = table[table["cue"] == "失望"].iloc[0]
    assert cue["value"] == pytest.approx(MAX_FACTOR * cue["weight"])


def test_many_mild_complaints_do_not_outscore_one_furious_sentence():
    """Diminishing returns: twenty 有点麻烦 stay below one insult with a threat."""
    mild = "，".join(["有点麻烦"] * 20)
    assert score(mild) < score("他妈的什么破银行，我要投诉！")


@pytest.mark.xfail(strict=True, reason="sarcasm is not detected: quoted praise still counts as praise")
def test_sarcastic_praise_scores_above_sincere_praise():
    assert score("真是“高效”啊，等了三个小时") >= score("真是高效啊，十分钟就办好了") + MARGIN


# --- normalisation ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "traditional, simplified",
    [
        ("態度極其惡劣", "态度极其恶劣"),
        ("櫃員很不耐煩，我要投訴！！！", "柜员很不耐烦，我要投诉！！！"),
        ("對處理結果非常不滿意", "对处理结果非常不满意"),
        ("辦理很順利，謝謝", "办理很顺利，谢谢"),
    ],
)
def test_traditional_text_scores_the_same_as_its_simplified_form(traditional, simplified):
    trad, simp = dissatisfaction_intensity([traditional, simplified])
    assert trad == simp


@pytest.mark.parametrize(
    "wide, narrow", [("等了两个小时!!!", "等了两个小时！！！"), ("排队太久了［怒］", "排队太久了[怒]")]
)
def test_half_and_full_width_forms_score_the_same(wide, narrow):
    assert score(wide) == score(narrow) > 0


# --- input and output contract ----------------------------------------------------------------
def test_empty_none_and_nan_score_zero():
    out = dissatisfaction_intensity(["", None, float("nan"), np.nan, pd.NA, "   "])
    assert out.tolist() == [0.0] * 6


def test_it_returns_one_float_per_text_in_input_order():
    texts = pd.Series(["满意", "太过分了！！！", None, "非常失望"], index=[10, 3, 7, 1])
    out = dissatisfaction_intensity(texts)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    assert len(out) == len(texts)
    assert out.tolist() == [score(t) for t in texts]
    assert len(dissatisfaction_intensity([])) == 0


def test_one_bare_string_is_refused():
    with pytest.raises(TypeError, match="wrap it"):
        dissatisfaction_intensity("太过分了")


@pytest.fixture(scope="module")
def sample_texts() -> list:
    return pd.read_csv(SAMPLE)["text"].tolist()


def test_every_score_lies_in_zero_to_one(sample_texts):
    out = dissatisfaction_intensity(sample_texts)
    assert np.all((out >= 0) & (out <= 1))
    assert out.max() > 0.5  # the sample does contain angry texts


def test_scores_are_deterministic_and_independent_of_the_other_texts(sample_texts):
    texts = sample_texts[:300]
    first = dissatisfaction_intensity(texts)
    again = dissatisfaction_intensity(list(reversed(texts)))[::-1]
    assert np.array_equal(first, again)


def test_the_parallel_path_gives_the_same_values_as_the_serial_one(sample_texts):
    serial = dissatisfaction_intensity(sample_texts, parallel=False)
    parallel = dissatisfaction_intensity(sample_texts, parallel=True)
    assert len(sample_texts) >= 4000
    assert np.array_equal(serial, parallel)


# --- proxy satisfaction -----------------------------------------------------------------------
def test_proxy_satisfaction_is_five_minus_four_times_intensity(sample_texts):
    texts = sample_texts[:500] + ["办理很顺利，谢谢", None]
    proxy = proxy_satisfaction(texts)
    np.testing.assert_allclose(proxy, 5.0 - 4.0 * dissatisfaction_intensity(texts))
    assert np.all((proxy >= 1) & (proxy <= 5))
    assert proxy[-2] == proxy[-1] == 5.0


def test_proxy_labels_say_it_is_not_a_survey_score():
    assert "not a survey score" in PROXY_LABEL_EN
    assert "非调查评分" in PROXY_LABEL_ZH


# --- lexicon ----------------------------------------------------------------------------------
def test_the_packaged_lexicon_has_terms_of_every_kind():
    lexicon = load_lexicon()
    assert all(n > 0 for n in lexicon.counts().values())
    assert list(lexicon.counts()) == list(KINDS)


def write_lexicon(tmp_path, bad_line: str) -> Path:
    path = tmp_path / "lexicon.tsv"
    path.write_text(f"# test lexicon\n失望\tnegative\t1.5\n{bad_line}\n满意\tpositive\t-1.5\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "bad_line, reason",
    [
        ("生气\tnegative", "3 tab-separated fields"),
        ("生气\tnegative\t1.5\textra", "3 tab-separated fields"),
        ("生气 negative 1.5", "3 tab-separated fields"),
        ("生气\tangry\t1.5", "unknown kind"),
        ("生气\tnegative\tstrong", "not a number"),
        ("生气\tnegative\tnan", "not a finite number"),
        ("称赞\tpositive\t1.2", "weight <= 0"),
        ("非常\tintensifier\t0.5", "multiplier > 1"),
        ("\tnegative\t1.0", "term is empty"),
        ("失望\tnegative\t2.0", "already defined on line 2"),
    ],
)
def test_a_malformed_lexicon_line_raises_naming_the_file_and_line(tmp_path, bad_line, reason):
    path = write_lexicon(tmp_path, bad_line)
    with pytest.raises(ValueError, match=reason) as caught:
        load_lexicon(path)
    assert f"{path}, line 3:" in str(caught.value)


def test_a_lexicon_without_entries_is_refused(tmp_path):
    path = tmp_path / "empty.tsv"
    path.write_text("# only a comment\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no entries"):
        load_lexicon(path)


def test_a_custom_lexicon_is_used_and_its_traditional_terms_are_normalised(tmp_path):
    path = tmp_path / "custom.tsv"
    path.write_text("不滿\tnegative\t3\n很\tintensifier\t2\n", encoding="utf-8")
    lexicon = load_lexicon(path)
    assert lexicon.terms["不满"] == ("negative", 3.0)
    custom = dissatisfaction_intensity(["不满", "很不滿", "非常失望"], lexicon=lexicon)
    assert custom[0] == pytest.approx(1 - math.exp(-1.0))  # weight 3 / SCALE 3
    assert custom[1] > custom[0]
    assert custom[2] == 0.0  # 失望 is not in this lexicon


# --- explanation ------------------------------------------------------------------------------
def test_explain_lists_the_cues_found_and_its_score_equals_the_intensity():
    text = "太过分了！！！你们这是什么态度😡"
    table = explain_intensity(text)
    assert table["cue"].tolist()[:-1] == ["太过分", "！！！", "你们这", "什么态度", "😡"]
    assert table["kind"].tolist()[-1] == "total"
    assert table["score"].iloc[-1] == score(text) == table.attrs["score"]
    cues = table.iloc[:-1]
    assert cues["contribution"].sum() == pytest.approx(table["contribution"].iloc[-1])


def test_explain_reports_the_modifiers_applied_to_a_cue():
    table = explain_intensity("柜员一点都不耐心")
    row = table[table["cue"] == "耐心"].iloc[0]
    assert "不 negation" in row["modifier"] and "一点都" in row["modifier"]
    assert row["value"] > 0  # negated praise counts as dissatisfaction


def test_explain_of_an_empty_text_is_one_total_row_of_zero():
    table = explain_intensity(None)
    assert len(table) == 1 and table["score"].iloc[0] == 0.0


def test_explain_agrees_with_the_intensity_on_the_dev_set(dev_set):
    texts = dev_set["text"].tolist()
    explained = [explain_intensity(t).attrs["score"] for t in texts]
    assert explained == dissatisfaction_intensity(texts).tolist()


def test_the_docstring_example_is_true():
    result = doctest.testmod(intensity_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --- validity on the development set ----------------------------------------------------------
@pytest.fixture(scope="module")
def dev_set() -> pd.DataFrame:
    df = pd.read_csv(DEV_SET)
    df["intensity"] = dissatisfaction_intensity(df["text"])
    return df


def test_angry_complaints_score_higher_than_neutral_ones_on_the_dev_set(dev_set):
    angry = dev_set.loc[dev_set["register"] == "angry", "intensity"]
    neutral = dev_set.loc[dev_set["register"] == "neutral", "intensity"]
    assert len(angry) > 50 and len(neutral) > 50
    assert angry.mean() > neutral.mean() + 0.2
    auc = mannwhitneyu(angry, neutral).statistic / (len(angry) * len(neutral))
    # measured AUC = 0.888 (87 angry vs 80 neutral rows); threshold set a little below
    assert auc >= 0.85


def test_intensity_ranks_the_blind_rated_set_like_its_writer():
    """Measured on data/eval/intensity_labeled.csv (never tuned on): Spearman 0.846."""
    from pathlib import Path

    from scipy.stats import spearmanr

    data = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "eval" / "intensity_labeled.csv")
    scores = dissatisfaction_intensity(data["text"].tolist())
    assert spearmanr(scores, data["intensity"]).statistic >= 0.80
