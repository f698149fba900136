"""Tests for minetools.datasets: the synthetic complaint corpus."""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from minetools import datasets as D

PII_RE = re.compile(
    r"(?<!\d)1[3-9]\d{9}(?!\d)"  # mobile
    r"|(?<!\d)\d{16}(?!\d)|(?<!\d)\d{19}(?!\d)"  # bank card
    r"|(?<!\d)\d{17}[\dX](?!\d)"  # ID number
    r"|尾[号號]\d{4}"
)


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return D.make_complaints(5000, seed=2024)


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return D.make_complaints(20000, seed=2024)


def _garbage(df):
    return df["text"].isin(D.GARBAGE_TEXTS)


def _theme_matrix(df) -> np.ndarray:
    parts = df["true_themes"].str.split("|")
    return np.column_stack([parts.map(lambda l, t=t: t in l).to_numpy(float) for t in D.THEME_KEYS])


def _month(df):
    return df["date"].str[:7]


# --- schema -------------------------------------------------------------------


def test_theme_keys_exact_order():
    assert D.THEME_KEYS == (
        "queuing", "staff_attitude", "operation_error", "inconsistent_info", "fees", "process_complexity",
        "self_service_tech", "counter_arrangement", "environment", "hotline", "mis_selling",
        "complaint_handling",
    )
    assert set(D.TRUE_EFFECTS) == set(D.THEME_KEYS) == set(D.PHRASES) == set(D.THEME_LABELS_ZH)


def test_columns_in_order_and_dtypes(sample):
    assert tuple(sample.columns) == D.COLUMNS
    assert len(sample) == 5000
    assert str(sample["satisfaction"].dtype) == "Int64"


def test_ids_unique_and_well_formed(sample):
    assert sample["id"].is_unique
    assert sample["id"].str.fullmatch(r"TS20(23|24)(0[1-9]|1[0-2])\d{6,}").all()


def test_sorted_by_received_at_and_date_matches(sample):
    assert sample["received_at"].is_monotonic_increasing
    assert (sample["date"] == sample["received_at"].str[:10]).all()
    assert sample["received_at"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert sample["closed_at"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()


def test_dates_span_24_months(sample):
    months = set(_month(sample))
    assert len(months) == 24
    assert min(months) == "2023-01" and max(months) == "2024-12"


def test_categorical_values(sample):
    assert set(sample["channel"]) == {"网点", "电话", "手机银行", "网上银行", "信函", "微博"}
    assert set(sample["customer_type"]) == {"个人", "对公", "VIP"}
    counts = sample["branch"].value_counts()
    assert len(counts) >= 6 and "城东支行" in counts and "高新区支行" in counts
    assert counts.max() > 2 * counts.min()  # unequal sizes


def test_handling_time_positive_bounded_and_some_overdue(sample):
    recv = pd.to_datetime(sample["received_at"])
    closed = pd.to_datetime(sample["closed_at"])
    hours = (closed - recv).dt.total_seconds() / 3600
    assert (hours > 0).all()
    assert hours.max() <= 241
    assert 0.10 <= (hours > 48).mean() <= 0.40


def test_satisfaction_range_and_missing_share(sample):
    s = sample["satisfaction"]
    assert s.dropna().between(1, 5).all()
    assert set(s.dropna().unique()) == {1, 2, 3, 4, 5}
    assert 0.02 <= s.isna().mean() <= 0.045


# --- themes -------------------------------------------------------------------


def test_true_themes_valid_and_in_key_order(sample):
    order = {k: i for i, k in enumerate(D.THEME_KEYS)}
    for v in sample["true_themes"]:
        if v == "":
            continue
        keys = v.split("|")
        assert all(k in order for k in keys)
        assert [order[k] for k in keys] == sorted(order[k] for k in keys)
        assert len(set(keys)) == len(keys) <= 3


def test_all_themes_occur_with_unequal_prevalence_queuing_most_common(sample):
    prev = pd.Series(_theme_matrix(sample).mean(axis=0), index=D.THEME_KEYS)
    assert (prev > 0.02).all()
    assert prev.idxmax() == "queuing"
    assert 0.20 <= prev["queuing"] <= 0.30
    assert prev.max() > 3 * prev.min()


def test_multi_theme_share_about_40_percent(sample):
    themed = sample.loc[sample["true_themes"] != "", "true_themes"]
    multi = (themed.str.count(r"\|") >= 1).mean()
    assert 0.35 <= multi <= 0.45


def test_no_theme_share_and_emerging_topics(sample):
    ok = sample[~_garbage(sample)]
    none = ok[ok["true_themes"] == ""]
    assert 0.04 <= len(none) / len(ok) <= 0.06
    coin = none["text"].str.contains("硬币|零钱|零钞|硬幣|零錢|零鈔").mean()
    fx = none["text"].str.contains("外币|美元|欧元|日元|港币|英镑|泰铢|购汇|境外|外幣|美元|歐元|港幣|英鎊|購匯").mean()
    assert coin > 0.25 and fx > 0.25 and coin + fx > 0.9


def test_true_effects_negative_distinct_separated_not_prevalence_ordered(sample):
    vals = sorted(D.TRUE_EFFECTS.values())
    assert all(v < 0 for v in vals)
    assert np.min(np.diff(vals)) >= 0.08 - 1e-9
    assert -1.4 <= vals[0] <= -1.2 and -0.2 <= vals[-1] <= -0.1
    prev = pd.Series(_theme_matrix(sample).mean(axis=0), index=D.THEME_KEYS)
    most_damaging = min(D.TRUE_EFFECTS, key=D.TRUE_EFFECTS.get)
    assert prev.idxmax() != most_damaging
    assert D.TRUE_EFFECTS["queuing"] > np.median(vals)


def test_effects_recoverable_by_ols(big):
    d = big[big["satisfaction"].notna()]
    X = np.column_stack([np.ones(len(d)), _theme_matrix(d)])
    y = d["satisfaction"].to_numpy(float)
    coef = np.linalg.lstsq(X, y, rcond=None)[0][1:]
    true = np.array([D.TRUE_EFFECTS[k] for k in D.THEME_KEYS])
    rho = pd.Series(coef).corr(pd.Series(true), method="spearman")
    assert rho >= 0.95
    assert np.all(np.abs(coef - true) < 0.25)


def test_effect_constants_documented():
    assert 4.0 <= D.BASELINE <= 4.6
    assert 0.4 <= D.NOISE_SD <= 0.8
    assert set(D.BRANCH_EFFECTS) == set(D.BRANCHES)
    assert set(D.CHANNEL_EFFECTS) == set(D.CHANNELS)
    assert set(D.CUSTOMER_TYPE_EFFECTS) == set(D.CUSTOMER_TYPES)
    assert D.HANDLING_PENALTY_PER_DAY > 0 and D.HANDLING_TARGET_HOURS == 48


# --- phrase bank --------------------------------------------------------------


def test_at_least_40_distinct_phrasings_per_theme():
    for t in D.THEME_KEYS:
        assert len(set(D.PHRASES[t])) >= 40, t


def test_keyword_and_keyword_free_phrasings_mixed_half_half():
    for t in D.THEME_KEYS:
        bank = D.PHRASES[t]
        with_kw = sum(any(k in p for k in D.THEME_KEYWORDS[t]) for p in bank) / len(bank)
        assert 0.35 <= with_kw <= 0.65, (t, with_kw)


def test_phrasings_are_used(sample):
    # every theme's texts show many different surface forms
    ok = sample[~_garbage(sample) & (sample["true_themes"] != "")]
    for t in D.THEME_KEYS:
        sub = ok[ok["true_themes"].str.split("|").map(lambda l, t=t: t in l)]
        assert sub["text"].nunique() >= 0.9 * len(sub) * 0.5


# --- registers, language, noise -----------------------------------------------


def test_text_lengths_within_bounds(sample):
    ok = sample[~_garbage(sample)]
    lengths = ok["text"].str.len()
    assert lengths.min() >= 5 and lengths.max() <= 400


def test_registers_fit_channels(sample):
    ok = sample[~_garbage(sample)]
    letters = ok[ok["channel"] == "信函"]["text"]
    assert letters.str.contains("此致").all() and letters.str.contains("尊敬的|致").all()
    calls = ok[ok["channel"] == "电话"]["text"]
    assert calls.str.contains("来电|來電").all() and calls.str.contains("诉求|訴求").all()
    social = ok[ok["channel"] == "微博"]["text"]
    assert social.str.contains("@").all() and social.str.contains("#").all()
    assert social.str.contains("[😡🙄👎😤💢🤬😓😭🤯😑]").all()
    terse = ok[ok["channel"].isin(["网点", "手机银行", "网上银行"]) & (ok["text"].str.len() <= 15)]
    assert len(terse) >= 0.15 * len(ok)
    first_person = ok[ok["channel"].isin(["网点", "手机银行", "网上银行"])]["text"].str.contains("我")
    assert first_person.mean() > 0.4


def test_traditional_share_about_8_percent(sample):
    import opencc

    t2s = opencc.OpenCC("t2s")
    trad = sample["text"].map(lambda s: t2s.convert(s) != s)
    assert 0.06 <= trad.mean() <= 0.10


def _luhn(s):
    return D.luhn_valid(s)


def test_pii_share_and_checksums(sample):
    has = sample["text"].str.contains(PII_RE)
    assert 0.08 <= has.mean() <= 0.12
    text = "\n".join(sample["text"])
    cards = re.findall(r"(?<!\d)(\d{16}|\d{19})(?!\d)", text)
    ids = re.findall(r"(?<!\d)(\d{17}[\dX])(?!\d)", text)
    mobiles = re.findall(r"(?<!\d)(\d{11})(?!\d)", text)
    assert cards and ids and mobiles
    assert all(_luhn(c) for c in cards)
    assert all(D.id_checksum_valid(i) for i in ids)
    for i in ids:
        datetime.strptime(i[6:14], "%Y%m%d")  # plausible birth date
        assert 1940 <= int(i[6:10]) <= 2010
    assert all(re.fullmatch(r"1[3-9]\d{9}", m) for m in mobiles)
    assert "尾号" in text


def test_luhn_and_id_checksum_helpers():
    assert D.luhn_valid("4111111111111111")
    assert not D.luhn_valid("4111111111111112")
    assert D.id_checksum_valid("11010519491231002X")
    assert not D.id_checksum_valid("110105194912310021")


def _normalise(s):
    return re.sub(r"[\W_]+", "", s)


def test_near_duplicate_resubmissions_about_3_percent(sample):
    df = sample.assign(norm=sample["text"].map(_normalise), ts=pd.to_datetime(sample["received_at"]))
    found = 0
    for _, g in df.groupby(["branch", "channel", "customer_type", "true_themes"], sort=False):
        if len(g) < 2:
            continue
        rows = list(g.itertuples())
        for a_i, a in enumerate(rows):
            for b in rows[:a_i]:
                gap = (a.ts - b.ts).total_seconds() / 86400
                if 0 < gap <= 10 and len(b.norm) >= 15 and b.norm != a.norm and b.norm in a.norm:
                    found += 1
                    break
    assert 0.02 <= found / len(df) <= 0.04


def test_garbage_rows_handful_with_no_themes(sample):
    g = sample[_garbage(sample)]
    assert 10 <= len(g) <= 20
    assert (g["true_themes"] == "").all()
    assert len(set(g["text"])) >= 3


# --- stories ------------------------------------------------------------------


def test_story_chengdong_counter_cut_from_2024_03(sample):
    cd = sample[sample["branch"] == "城东支行"]
    after = _month(cd) >= "2024-03"
    hit = cd["true_themes"].str.contains("queuing|counter_arrangement")
    before_share, after_share = hit[~after].mean(), hit[after].mean()
    assert after_share >= before_share + 0.12
    vol_before, vol_after = (~after).sum() / 14, after.sum() / 10
    assert vol_after >= 1.4 * vol_before
    # other branches show no such jump
    rest = sample[sample["branch"] != "城东支行"]
    r_after = _month(rest) >= "2024-03"
    r_hit = rest["true_themes"].str.contains("queuing|counter_arrangement")
    assert abs(r_hit[r_after].mean() - r_hit[~r_after].mean()) < 0.06


def test_story_fee_spike_2024_07(sample):
    fees = sample[sample["true_themes"].str.contains("fees")]
    per_month = _month(fees).value_counts().reindex(sorted(set(_month(sample))), fill_value=0)
    assert per_month["2024-07"] >= 2 * per_month.drop("2024-07").mean()


def test_story_app_upgrade_spike_2023_11(sample):
    sst = sample[sample["true_themes"].str.contains("self_service_tech")]
    per_month = _month(sst).value_counts()
    assert per_month["2023-11"] >= 1.8 * per_month.drop("2023-11").mean()


# --- determinism, file ----------------------------------------------------------


def test_deterministic_for_seed_and_seeds_differ():
    a = D.make_complaints(300, seed=1)
    b = D.make_complaints(300, seed=1)
    pd.testing.assert_frame_equal(a, b)
    c = D.make_complaints(300, seed=2)
    assert not a["text"].equals(c["text"])


def test_small_n_edge_cases():
    assert len(D.make_complaints(0)) == 0
    assert len(D.make_complaints(1, seed=3)) == 1
    assert len(D.make_complaints(37, seed=3)) == 37


def test_sample_path_location():
    assert D.SAMPLE_PATH.parts[-3:] == ("data", "sample", "complaints.csv")


def test_committed_csv_equals_generator(sample):
    assert D.SAMPLE_PATH.exists(), "run write_sample() to create the committed sample"
    raw = D.SAMPLE_PATH.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    loaded = D.load_sample()
    pd.testing.assert_frame_equal(loaded, sample)


def test_write_sample_roundtrip(tmp_path):
    p = D.write_sample(tmp_path / "x.csv", n=200, seed=5)
    back = pd.read_csv(p, dtype=str, keep_default_na=False)
    assert len(back) == 200 and tuple(back.columns) == D.COLUMNS
