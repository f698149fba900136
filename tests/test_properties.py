"""Property tests: random strings and bytes never crash cleaning or reading, and rows always balance."""

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minetools import clean
from minetools.config import Settings
from minetools.io import InputError, read_complaints
from minetools.parse import canonical_frame, parse_dates, parse_scores
from minetools.pipeline import STATUSES, prepare

# text that looks like complaints: CJK, digits, ASCII, punctuation, emoji, whitespace, markup
ALPHABET = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from(list("0123456789１２３@.-_ <>&;/:，。！？\n\t\u3000[]手机号😡")),
    st.characters(blacklist_categories=("Cs",)),
)
TEXT = st.text(alphabet=ALPHABET, max_size=120)


@given(TEXT)
def test_clean_text_never_crashes_and_returns_text(text):
    out = clean.clean_text(text)
    assert isinstance(out, str)
    assert clean.classify_text(out)[0] in STATUSES


@given(TEXT)
def test_masking_is_idempotent(text):
    once = clean.mask_pii(text)
    assert clean.mask_pii(once) == once


@given(st.lists(st.one_of(TEXT, st.none()), max_size=30))
def test_parsing_scores_and_dates_never_crashes_and_keeps_length(values):
    series = pd.Series(values, dtype=object)
    scores, issues, scale = parse_scores(series)
    dates, date_issues = parse_dates(series)
    assert len(scores) == len(dates) == len(values)
    # a value is either parsed, flagged, or blank: never silently lost
    text = series.astype("string").str.strip()
    blank = text.isna() | text.str.lower().isin({"", "nan", "nat", "none", "null", "-", "—", "/", "n/a", "na"})
    assert (pd.notna(scores) | issues.notna() | blank).all()
    assert (dates.notna() | date_issues.notna() | blank).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_any_bytes_either_read_or_raise_the_documented_error(tmp_path, data):
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    try:
        df = read_complaints(path, text_col=None)
    except InputError:
        return
    assert "text" in df.attrs["minetools"]["columns"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(TEXT, st.sampled_from(["1", "5", "满意", "", "未回访", "x"]),
                          st.sampled_from(["2024-03-05", "2024年3月5日", "", "不详", "45356"])),
                min_size=1, max_size=25))
def test_row_accounting_always_balances(rows):
    df = pd.DataFrame(rows, columns=["投诉内容", "满意度", "受理时间"])
    df.attrs["minetools"] = {"columns": {"text": "投诉内容", "satisfaction": "满意度", "date": "受理时间"}}
    out, _, parsing = prepare(df, Settings())
    assert len(out) == len(df)
    assert out["record_id"].tolist() == list(range(1, len(df) + 1))
    assert out["status"].isin(STATUSES).all()
    counts = out["status"].value_counts()
    assert counts.sum() == len(df)
    canon = canonical_frame(df)
    assert len(canon) == len(df) and parsing["score_scale"] in {"1-5", "binary", "1-10", "0-10", "0-100"}
