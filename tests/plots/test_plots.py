"""Charts: Chinese and English renders (no missing glyphs) in PNG, SVG and PDF; titles state the finding; no personal
data; English charts draw no Chinese of their own."""

import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.text  # noqa: E402

from minetools import drivers, plots  # noqa: E402
from minetools.fonts import resolve_cjk_font, use_cjk_font  # noqa: E402

KEYS = ["queuing", "counter_arrangement", "fees", "staff_attitude", "hotline"]
LABELS = {"queuing": "排队等候", "counter_arrangement": "窗口设置", "fees": "收费问题", "staff_attitude": "服务态度",
          "hotline": "客服热线", "closed_late": "办结超时", "handling_days": "办理时长（每天）"}
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]
MOBILE = "13912345678"


def make_complaints(n=1200, seed=0) -> pd.DataFrame:
    """A small complaints table with planted findings.

    收费问题 is frequent, the most damaging theme and rises in the last three
    months; 排队等候 and 窗口设置 co-occur; 开发区支行 is too small for its
    cells to be shown; late closing lowers satisfaction.
    """
    rng = np.random.default_rng(seed)
    month = np.array(MONTHS)[rng.integers(0, 12, n)]
    recent = np.isin(month, MONTHS[-3:])
    queuing = rng.random(n) < 0.35
    themes = {
        "queuing": queuing,
        "counter_arrangement": np.where(queuing, rng.random(n) < 0.45, rng.random(n) < 0.05),
        "fees": rng.random(n) < np.where(recent, 0.40, 0.15),
        "staff_attitude": rng.random(n) < 0.18,
        "hotline": rng.random(n) < 0.08,
    }
    days = rng.gamma(2.0, 1.0, n)
    late = days > 2.8
    effects = {"queuing": -0.3, "counter_arrangement": -0.2, "fees": -0.9, "staff_attitude": -0.6, "hotline": -0.05}
    score = 4.3 + sum(b * themes[k] for k, b in effects.items()) - 1.0 * late + rng.normal(0, 0.6, n)
    df = pd.DataFrame({
        "month": month,
        "branch": rng.choice(["城东支行", "城西支行", "高新支行", "开发区支行"], n, p=[0.4, 0.3, 0.22, 0.08]),
        "channel": rng.choice(["网点", "电话", "手机银行"], n),
        "satisfaction": np.clip(np.round(score), 1, 5),
        "handling_days": days,
        "closed_late": late.astype(float),
    })
    for k, v in themes.items():
        df[f"theme_{k}"] = v.astype(int)
    return df


@pytest.fixture(scope="module")
def tables():
    """The real tables the charts draw: drivers, segments, change (built by minetools.drivers)."""
    df = make_complaints()
    themes = pd.DataFrame({"key": KEYS, "label_zh": [LABELS[k] for k in KEYS],
                           "n": [int(df[f"theme_{k}"].sum()) for k in KEYS]})
    themes["share"] = themes["n"] / len(df)
    return {
        "df": df,
        "themes": themes,
        "drivers": drivers.analyze_drivers(df, themes=KEYS, n_boot=20, random_state=0,
                                           extra_drivers=["handling_days", "closed_late"]),
        "binary": drivers.analyze_drivers(df, themes=KEYS, n_boot=0, satisfied_threshold=4),
        "segments": drivers.compare_segments(df, by="branch", themes=KEYS, min_n=30),
        "change": drivers.decompose_change(df, period_col="month", before=MONTHS[:9], after=MONTHS[9:],
                                           themes=KEYS, covariates=["branch"]),
    }


TOKENS = [["排队", "等候", "叫号", "太久"]] * 30 + [["窗口", "只开", "两个"]] * 12 + [[MOBILE, "等了"]]
EXAMPLES = [f"我的手机{MOBILE}，排队等了一个多小时还没叫到号，大堂经理也不管，窗口只开了两个，效率太低了，希望尽快改进，多开几个窗口，不要让老人一直站着等",
            "排队两个小时", "叫号系统混乱，插队现象严重"]


def title_of(ax) -> str:
    """The finding: the figure's suptitle (small multiples) or the Axes' left title."""
    return ax.figure.get_suptitle() or ax.get_title(loc="left")


def texts_of(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


# name, how to draw it from the tables, a phrase its title must contain
CHARTS = [
    ("theme_shares", lambda t: plots.plot_theme_shares(t["themes"]), "排队等候最常见"),
    ("monthly_trends", lambda t: plots.plot_monthly_trends(t["df"], keys=KEYS, labels=LABELS), "「收费问题」近3个月明显上升"),
    ("drivers", lambda t: plots.plot_drivers(t["drivers"], labels=LABELS), "办结超时对满意度伤害最大"),
    ("drivers_binary", lambda t: plots.plot_drivers(t["binary"], labels=LABELS), "收费问题对满意度伤害最大"),
    ("priority_matrix", lambda t: plots.plot_priority_matrix(t["drivers"], labels=LABELS), "收费问题"),
    ("cooccurrence", lambda t: plots.plot_cooccurrence(t["df"], keys=KEYS, labels=LABELS), "「排队等候」与「窗口设置」"),
    ("segment_heatmap", lambda t: plots.plot_segment_heatmap(t["segments"], labels=LABELS), "收费问题」伤害最大"),
    ("wordcloud", lambda t: plots.plot_theme_wordcloud(TOKENS, EXAMPLES, theme_label="排队等候"), "「排队等候」常见说法：排队"),
    ("change_waterfall", lambda t: plots.plot_change_waterfall(t["change"], labels=LABELS), "主要来自「收费问题」增多"),
    ("handling_time", lambda t: plots.plot_handling_time(t["df"]), "的投诉超时办结"),
]


def test_a_cjk_font_is_found_on_any_machine():
    name, path = resolve_cjk_font()
    assert name and path


@pytest.mark.parametrize("name, make, finding", CHARTS, ids=[c[0] for c in CHARTS])
def test_chart_renders_chinese_to_png_svg_and_pdf_without_missing_glyphs(tmp_path, tables, name, make, finding):
    """Every chart draws on the real tables, saves to three formats, and never falls back to boxes."""
    use_cjk_font()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = make(tables)
        title = title_of(ax)
        paths = plots.save_figure(ax, tmp_path / name, formats=("png", "svg", "pdf"))
    glyph = [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert glyph == []
    assert finding in title.replace("\n", "")
    assert [p.rsplit(".", 1)[1] for p in paths] == ["png", "svg", "pdf"]
    for p in paths:
        assert (tmp_path / p).stat().st_size > 5000


# --- empty and degenerate inputs draw a Chinese message instead of raising ----------------------------------------

_NAN_DRIVERS = pd.DataFrame({"theme": KEYS, "n": 0, "prevalence": np.nan, "impact": np.nan, "effect": np.nan,
                             "effect_ci_low": np.nan, "effect_ci_high": np.nan, "significant": False})
_ALL_MASKED = pd.DataFrame({"segment_col": "branch", "segment": ["城东支行"] * 2, "theme": KEYS[:2], "n": [3, 2],
                            "effect": np.nan, "significant": False, "masked": True,
                            "mask_reason": "fewer than 30 complaints"})
DEGENERATE = [
    ("theme_shares_empty", lambda: plots.plot_theme_shares(pd.DataFrame(columns=["key", "n", "share"])), "无主题数据"),
    ("trends_no_month", lambda: plots.plot_monthly_trends(pd.DataFrame({"month": [np.nan] * 3, "theme_fees": 1}),
                                                          keys=["fees"]), "无日期数据"),
    ("trends_no_theme", lambda: plots.plot_monthly_trends(make_complaints(60), keys=[]), "无主题数据"),
    ("trends_one_theme", lambda: plots.plot_monthly_trends(make_complaints(300), keys=["fees"]), None),
    ("drivers_all_nan", lambda: plots.plot_drivers(_NAN_DRIVERS), "无满意度数据"),
    ("priority_all_nan", lambda: plots.plot_priority_matrix(_NAN_DRIVERS), "无满意度数据"),
    ("priority_one_theme", lambda: plots.plot_priority_matrix(pd.DataFrame(
        {"theme": ["fees"], "prevalence": [0.2], "impact": [-0.1], "effect": [-0.5], "significant": [True]})), None),
    ("cooccurrence_one_theme", lambda: plots.plot_cooccurrence(make_complaints(100), keys=["fees"]), "少于两个"),
    ("cooccurrence_empty", lambda: plots.plot_cooccurrence(make_complaints(100).head(0), keys=KEYS), "少于两个"),
    ("segments_all_masked", lambda: plots.plot_segment_heatmap(_ALL_MASKED), "样本都不足"),
    ("segments_empty", lambda: plots.plot_segment_heatmap(pd.DataFrame()), "无分组数据"),
    ("wordcloud_empty", lambda: plots.plot_theme_wordcloud({}, [], theme_label="收费问题"), "没有可用的词语"),
    ("waterfall_empty", lambda: plots.plot_change_waterfall(pd.DataFrame(columns=["theme", "contribution"])),
     "无前后期对比数据"),
    ("handling_all_nan", lambda: plots.plot_handling_time(pd.DataFrame({"handling_days": [np.nan] * 4,
                                                                        "closed_late": np.nan})), "无办理时间数据"),
    ("handling_no_column", lambda: plots.plot_handling_time(pd.DataFrame({"x": [1]})), "无办理时间数据"),
]


@pytest.mark.parametrize("name, make, message", DEGENERATE, ids=[d[0] for d in DEGENERATE])
def test_chart_draws_a_chinese_placeholder_for_empty_or_degenerate_input(tmp_path, name, make, message):
    """No data, one theme or all NaN: the chart still renders (with a clear message when there is nothing)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = make()
        texts = texts_of(ax.figure)
        plots.save_figure(ax, tmp_path / name, formats=("png",))
    assert not [w for w in caught if "Glyph" in str(w.message) or "missing from" in str(w.message)]
    if message:
        assert any(message in t for t in texts), texts


# --- titles state the finding -------------------------------------------------------------------------------------

PRIORITY = pd.DataFrame({
    "theme": ["fees", "queuing", "hotline", "environment", "handling_days"],
    "n": [300, 350, 50, 40, 1000],
    "prevalence": [0.30, 0.35, 0.05, 0.04, np.nan],
    "impact": [-0.25, -0.04, -0.06, -0.002, np.nan],
    "effect": [-0.9, -0.1, -1.2, -0.05, -3.0],
    "effect_ci_low": [-1.0, -0.15, -1.5, -0.2, -4.0],
    "effect_ci_high": [-0.8, -0.05, -0.9, 0.1, -2.0],
    "significant": [True, True, True, False, True],
    "ranked": [True, True, True, True, False],
    "driver_type": ["theme", "theme", "theme", "theme", "numeric"],
})


def test_priority_matrix_title_names_the_frequent_and_most_damaging_theme():
    """收费问题 is common and damaging (优先改进); 客服热线 is rare (重点关注), 排队等候 mild (持续观察)."""
    ax = plots.plot_priority_matrix(PRIORITY, labels=LABELS)
    title = title_of(ax)
    texts = texts_of(ax.figure)
    plt.close(ax.figure)
    assert "优先改进「收费问题」" in title
    assert "客服热线" not in title and "排队等候" not in title
    assert {"优先改进", "重点关注", "持续观察", "次要"} <= set(texts)
    assert {"收费问题", "排队等候", "客服热线", "网点环境"} <= set(texts)  # every bubble is labelled
    assert not any("办理时长" in t for t in texts)  # a per-day (numeric) driver is not a bubble


def test_priority_matrix_draws_non_significant_themes_as_hollow_bubbles():
    ax = plots.plot_priority_matrix(PRIORITY, labels=LABELS)
    faces = ax.collections[0].get_facecolors()
    plt.close(ax.figure)
    assert faces[3][3] == 0  # 网点环境 (not significant): transparent face
    assert faces[0][3] > 0


def test_drivers_leave_out_numeric_rows_and_mark_unranked_ones():
    table = PRIORITY.copy()
    table.loc[2, "ranked"] = False  # 客服热线 seen too rarely to rank
    ax = plots.plot_drivers(table, labels=LABELS)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    bars = {t: p.get_facecolor() for t, p in zip(ticks, ax.patches)}
    title = title_of(ax)
    plt.close(ax.figure)
    assert not any("办理时长" in t for t in ticks)
    assert "客服热线（样本少）" in ticks
    assert matplotlib.colors.to_hex(bars["客服热线（样本少）"]) == plots.style.GREY
    assert title.startswith("收费问题对满意度伤害最大")  # the unranked 客服热线 (-1.2) is not named


def test_drivers_of_a_binary_outcome_are_labelled_in_percentage_points(tables):
    ax = plots.plot_drivers(tables["binary"], labels=LABELS)
    xlabel, title = ax.get_xlabel(), title_of(ax)
    plt.close(ax.figure)
    assert "百分点" in xlabel and "百分点" in title
    ax = plots.plot_drivers(tables["drivers"], labels=LABELS)
    assert "百分点" not in ax.get_xlabel()
    plt.close(ax.figure)


def test_waterfall_title_states_the_change_and_survives_a_csv_round_trip(tables, tmp_path):
    """The number in the title is the change in mean satisfaction, also when attrs are lost in a CSV."""
    change = tables["change"]
    expected = f"满意度{'下降' if change.attrs['change'] < 0 else '上升'}{abs(change.attrs['change']):.2f}分"
    ax = plots.plot_change_waterfall(change, labels=LABELS)
    title = title_of(ax).replace("\n", "")
    plt.close(ax.figure)
    assert title.startswith(expected)
    change.to_csv(tmp_path / "change.csv", index=False)
    again = pd.read_csv(tmp_path / "change.csv")
    assert not again.attrs
    ax = plots.plot_change_waterfall(again, labels=LABELS, mean_before=change.attrs["mean_before"])
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert title_of(ax).replace("\n", "") == title
    assert ticks[0].startswith("前期平均") and ticks[-1].startswith("后期平均") and "基线变化" in ticks[-3]
    plt.close(ax.figure)


def test_waterfall_groups_the_smaller_themes(tables):
    ax = plots.plot_change_waterfall(tables["change"], labels=LABELS, top=2)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    plt.close(ax.figure)
    assert ticks[1:4] == ["收费问题", "排队等候", "其他主题（3个）"]


def test_cooccurrence_title_names_the_planted_pair(tables):
    lift, joint = plots.theme_cooccurrence(tables["df"], KEYS)
    assert lift.loc["queuing", "counter_arrangement"] == pytest.approx(lift.max().max())
    ax = plots.plot_cooccurrence(tables["df"], keys=KEYS, labels=LABELS)
    title = title_of(ax).replace("\n", "")
    colorbar_label = ax.figure.axes[-1].get_ylabel()
    plt.close(ax.figure)
    assert "「排队等候」与「窗口设置」最常一起出现" in title
    assert f"{lift.loc['queuing', 'counter_arrangement']:.1f}倍" in title
    assert "随机预期" in colorbar_label


def test_segment_heatmap_leaves_masked_cells_uncoloured(tables):
    segments = tables["segments"]
    ax = plots.plot_segment_heatmap(segments, labels=LABELS)
    array = ax.images[0].get_array()
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    texts = texts_of(ax.figure)
    title = title_of(ax).replace("\n", "")
    plt.close(ax.figure)
    key_of = {v: k for k, v in LABELS.items()}
    masked = {(r.segment, r.theme) for r in segments.itertuples() if r.masked}
    assert masked  # the fixture plants small cells (开发区支行)
    for i, seg in enumerate(rows):
        for j, label in enumerate(cols):
            assert bool(np.ma.getmaskarray(array)[i, j]) == ((seg, key_of[label]) in masked)
    assert "样本不足 (<30) 已隐藏" in texts
    worst = segments[~segments["masked"]].sort_values("effect").iloc[0]
    assert f"「{worst['segment']}」的「{LABELS[worst['theme']]}」伤害最大" in title


def test_monthly_trends_flag_only_the_rising_theme(tables):
    trend = plots.rising_themes(tables["df"], KEYS)
    assert trend.index[trend["rising"]].tolist() == ["fees"]
    ax = plots.plot_monthly_trends(tables["df"], keys=KEYS, labels=LABELS)
    panels = {a.get_title(loc="left") for a in ax.figure.axes if a.get_visible()}
    suptitle = ax.figure.get_suptitle()
    plt.close(ax.figure)
    assert panels == {"排队等候", "窗口设置", "收费问题 ↑", "服务态度", "客服热线"}
    assert "收费问题" in suptitle and f"{trend.loc['fees', 'recent']:.0%}" in suptitle


def test_rising_themes_need_a_clear_margin_and_enough_months():
    """A 2-point rise is noise; with only four months nothing is flagged."""
    rng = np.random.default_rng(1)
    month = np.repeat(MONTHS, 400)
    df = pd.DataFrame({"month": month, "theme_a": rng.random(len(month)) < np.where(np.isin(month, MONTHS[-3:]),
                                                                                      0.22, 0.20)})
    assert not plots.rising_themes(df, ["a"])["rising"].any()
    short = pd.DataFrame({"month": np.repeat(MONTHS[:4], 100), "theme_a": np.tile([0] * 90 + [1] * 10, 4)})
    short.loc[short["month"] == MONTHS[3], "theme_a"] = 1
    assert not plots.rising_themes(short, ["a"], recent=3)["rising"].any()


def test_handling_time_title_gives_the_late_share_and_the_satisfaction_gap(tables):
    df = tables["df"]
    ax = plots.plot_handling_time(df, limit_days=2)
    title = title_of(ax)
    plt.close(ax.figure)
    assert title.startswith(f"{df['closed_late'].mean():.0%}的投诉超时办结")
    late = df.loc[df["closed_late"] == 1, "satisfaction"].mean()
    assert f"超时投诉满意度平均{late:.1f}分" in title


def test_wordcloud_never_shows_personal_data():
    """A mobile number in an example or a token is masked or dropped before anything is drawn."""
    ax = plots.plot_theme_wordcloud(TOKENS, EXAMPLES, theme_label="排队等候")
    texts = texts_of(ax.figure)
    plt.close(ax.figure)
    assert not any(MOBILE in t for t in texts)
    assert any("[手机号]" in t for t in texts)  # the example is shown, masked
    assert any("…" in t for t in texts)  # and shortened
    freqs = plots.clouds.cloud_frequencies(TOKENS)
    assert MOBILE not in freqs and "等了" in freqs


def test_wordcloud_is_deterministic():
    pictures = []
    for _ in range(2):
        ax = plots.plot_theme_wordcloud({"排队": 10, "叫号": 6, "窗口": 3}, [], theme_label="排队等候")
        pictures.append(ax.child_axes[0].images[0].get_array().copy())
        plt.close(ax.figure)
    assert np.array_equal(*pictures)


AX_CHARTS = [c for c in CHARTS if c[0] not in ("monthly_trends",)]


@pytest.mark.parametrize("name, make, finding", AX_CHARTS, ids=[c[0] for c in AX_CHARTS])
def test_plot_functions_draw_on_a_given_axes(tables, name, make, finding):
    fig, ax = plt.subplots(layout="constrained")
    kinds = {"theme_shares": lambda: plots.plot_theme_shares(tables["themes"], ax=ax),
             "drivers": lambda: plots.plot_drivers(tables["drivers"], ax=ax),
             "drivers_binary": lambda: plots.plot_drivers(tables["binary"], ax=ax),
             "priority_matrix": lambda: plots.plot_priority_matrix(tables["drivers"], ax=ax),
             "cooccurrence": lambda: plots.plot_cooccurrence(tables["df"], keys=KEYS, ax=ax),
             "segment_heatmap": lambda: plots.plot_segment_heatmap(tables["segments"], ax=ax),
             "wordcloud": lambda: plots.plot_theme_wordcloud(TOKENS, EXAMPLES, theme_label="排队等候", ax=ax),
             "change_waterfall": lambda: plots.plot_change_waterfall(tables["change"], ax=ax),
             "handling_time": lambda: plots.plot_handling_time(tables["df"], ax=ax)}
    assert kinds[name]() is ax
    plt.close(fig)


def test_monthly_trends_draw_on_a_given_figure_and_return_its_first_axes(tables):
    fig = plt.figure(layout="constrained")
    ax = plots.plot_monthly_trends(tables["df"], keys=KEYS, fig=fig)
    assert ax.figure is fig and ax is fig.axes[0]
    plt.close(fig)


def test_the_font_named_in_the_settings_is_used_and_an_unknown_one_is_a_clear_error():
    from minetools import fonts
    from minetools.config import MinetoolsError, Settings
    from minetools.pipeline import _use_font

    _, path = fonts.resolve_cjk_font()
    try:
        _use_font(Settings(font=path))  # a font file
        assert fonts.resolve_cjk_font()[1] == path
        with pytest.raises(MinetoolsError, match="installed CJK fonts"):
            _use_font(Settings(font="No Such Font 123"))
    finally:
        fonts.set_font(None)


# --- English charts (lang="en") -----------------------------------------------------------------------------------

LABELS_EN = {"queuing": "Queuing and waiting", "counter_arrangement": "Counter arrangement", "fees": "Fees and charges",
             "staff_attitude": "Staff attitude", "hotline": "Call-centre hotline", "closed_late": "Closed late",
             "handling_days": "Handling time (per day)"}
BRANCHES_EN = {"城东支行": "City East", "城西支行": "City West", "高新支行": "Hi-Tech Park", "开发区支行": "Dev Zone"}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def flat(title: str) -> str:
    """An English title without its wrapping (English titles wrap at spaces)."""
    return title.replace("\n", " ")


def _worst_driver(table):
    rows = plots.drivers.chartable_drivers(table)
    return rows[rows["ranked"]].sort_values("effect").iloc[0]


def _expect_trends(t):
    row = plots.rising_themes(t["df"], KEYS).loc["fees"]
    return (f'"Fees and charges" rose clearly in the last 3 months: its share went from {row.earlier:.0%} '
            f"to {row.recent:.0%}")


def _expect_pair(t):
    lift, joint = plots.theme_cooccurrence(t["df"], KEYS)
    return (f'"Queuing and waiting" and "Counter arrangement" go together most: '
            f'{lift.loc["queuing", "counter_arrangement"]:.1f} times as often as by chance '
            f'({joint.loc["queuing", "counter_arrangement"]:,} complaints)')


def _expect_segment(t):
    seg = t["segments"]
    worst = seg[~seg["masked"]].sort_values("effect").iloc[0]
    return (f'By branch, "{LABELS_EN[worst["theme"]]}" in "{worst["segment"]}" hurts most: '
            f'satisfaction {-worst["effect"]:.2f} points lower when present')


def _expect_handling(t):
    df = t["df"]
    late = df.loc[df["closed_late"] == 1, "satisfaction"].mean()
    return (f"{df['closed_late'].mean():.0%} of complaints were closed late ({int(df['closed_late'].sum()):,} of "
            f"{len(df):,}; limit 2 working days) Mean satisfaction {late:.1f} points when late")


# name, how to draw it in English from the tables, the finding its (unwrapped) title must contain
CHARTS_EN = [
    ("theme_shares", lambda t: plots.plot_theme_shares(t["themes"], labels=LABELS_EN, lang="en"),
     lambda t: "Queuing and waiting is the most common: "
               f"{t['themes']['share'].max():.0%} of complaints mention it ({t['themes']['n'].max():,})"),
    ("monthly_trends", lambda t: plots.plot_monthly_trends(t["df"], keys=KEYS, labels=LABELS_EN, lang="en"),
     _expect_trends),
    ("drivers", lambda t: plots.plot_drivers(t["drivers"], labels=LABELS_EN, lang="en"),
     lambda t: f"Closed late hurts satisfaction most: {-_worst_driver(t['drivers'])['effect']:.2f} points lower "
               "when present"),
    ("drivers_binary", lambda t: plots.plot_drivers(t["binary"], labels=LABELS_EN, lang="en"),
     lambda t: "Fees and charges hurts satisfaction most: share satisfied "
               f"{-_worst_driver(t['binary'])['effect']:.1f} percentage points lower when present"),
    ("priority_matrix", lambda t: plots.plot_priority_matrix(t["drivers"], labels=LABELS_EN, lang="en"),
     lambda t: 'Fix first: "Closed late" and "Fees and charges", which are common and significantly lower '
               "satisfaction"),
    ("cooccurrence", lambda t: plots.plot_cooccurrence(t["df"], keys=KEYS, labels=LABELS_EN, lang="en"), _expect_pair),
    ("segment_heatmap", lambda t: plots.plot_segment_heatmap(t["segments"], labels=LABELS_EN, lang="en"),
     _expect_segment),
    ("wordcloud", lambda t: plots.plot_theme_wordcloud(TOKENS, EXAMPLES, theme_label="Queuing and waiting", lang="en"),
     lambda t: 'Typical words for "Queuing and waiting": 排队, 等候, 叫号'),
    ("change_waterfall", lambda t: plots.plot_change_waterfall(t["change"], labels=LABELS_EN, lang="en"),
     lambda t: f"Satisfaction fell by {-t['change'].attrs['change']:.2f} points, mainly because of "
               '"Fees and charges" becoming more common'),
    ("handling_time", lambda t: plots.plot_handling_time(t["df"], lang="en"), _expect_handling),
]


@pytest.mark.parametrize("name, make, finding", CHARTS_EN, ids=[c[0] for c in CHARTS_EN])
def test_english_chart_renders_to_png_svg_and_pdf_and_states_the_finding(tmp_path, tables, name, make, finding):
    """The same tables as the Chinese charts, drawn with lang="en": no missing glyphs, the finding in English."""
    use_cjk_font()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = make(tables)
        title = title_of(ax)
        paths = plots.save_figure(ax, tmp_path / name, formats=("png", "svg", "pdf"))
    glyph = [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert glyph == []
    assert finding(tables) in flat(title)
    assert [p.rsplit(".", 1)[1] for p in paths] == ["png", "svg", "pdf"]
    for p in paths:
        assert (tmp_path / p).stat().st_size > 5000


@pytest.fixture(scope="module")
def tables_en(tables):
    """The same tables with nothing Chinese in them: English theme labels, ASCII branch names."""
    themes = tables["themes"].assign(label_en=[LABELS_EN[k] for k in KEYS])
    segments = tables["segments"].assign(segment=tables["segments"]["segment"].map(BRANCHES_EN))
    unranked = PRIORITY.copy()
    unranked.loc[2, "ranked"] = False
    no_attrs = pd.DataFrame(tables["change"])  # a copy without the means in attrs (as read back from CSV)
    no_attrs.attrs = {}
    return {**tables, "themes": themes, "segments": segments, "unranked": unranked, "no_attrs": no_attrs}


def _mild_complaints():
    """Twelve months, no theme rising, no pair of themes seen together 10 times."""
    df = make_complaints(240, seed=3)
    df["theme_fees"] = 0
    return df


def _two_risers():
    df = make_complaints()
    recent = df["month"].isin(MONTHS[-3:]) & (np.random.default_rng(5).random(len(df)) < 0.3)
    df.loc[recent, "theme_hotline"] = 1
    return df


# every kind of English chart, also the variants that draw other notes, titles and placeholders
ENGLISH_TEXT_CASES = [
    *[(name, make) for name, make, _ in CHARTS_EN if name != "wordcloud"],
    ("theme_shares_label_en", lambda t: plots.plot_theme_shares(t["themes"], lang="en")),
    ("drivers_unranked", lambda t: plots.plot_drivers(t["unranked"], labels=LABELS_EN, lang="en")),
    ("drivers_default_labels", lambda t: plots.plot_drivers(t["drivers"], lang="en")),
    ("priority_default_labels", lambda t: plots.plot_priority_matrix(PRIORITY, lang="en")),
    ("priority_none", lambda t: plots.plot_priority_matrix(
        PRIORITY.assign(significant=[False, True, True, False, True]), labels=LABELS_EN, lang="en")),
    ("trends_no_riser", lambda t: plots.plot_monthly_trends(_mild_complaints(), keys=KEYS, labels=LABELS_EN,
                                                            lang="en")),
    ("trends_few_months", lambda t: plots.plot_monthly_trends(t["df"][t["df"]["month"] <= MONTHS[3]], keys=KEYS,
                                                              labels=LABELS_EN, lang="en")),
    ("trends_two_risers", lambda t: plots.plot_monthly_trends(_two_risers(), keys=KEYS, labels=LABELS_EN, lang="en")),
    ("cooccurrence_rare", lambda t: plots.plot_cooccurrence(_mild_complaints(), keys=KEYS, labels=LABELS_EN,
                                                            min_count=1000, lang="en")),
    ("cooccurrence_no_pair", lambda t: plots.plot_cooccurrence(t["df"], keys=KEYS, labels=LABELS_EN, min_lift=5,
                                                               lang="en")),
    ("segments_prevalence", lambda t: plots.plot_segment_heatmap(t["segments"], labels=LABELS_EN, value="prevalence",
                                                                 lang="en")),
    ("segments_impact", lambda t: plots.plot_segment_heatmap(t["segments"], labels=LABELS_EN, value="impact",
                                                             lang="en")),
    ("segments_mean_with", lambda t: plots.plot_segment_heatmap(t["segments"], labels=LABELS_EN, value="mean_with",
                                                                lang="en")),
    ("wordcloud_ascii", lambda t: plots.plot_theme_wordcloud({"queue": 10, "ticket": 6, "window": 3},
                                                             ["Waited two hours at the counter", "Only two windows"],
                                                             theme_label="Queuing and waiting", lang="en")),
    ("waterfall_grouped", lambda t: plots.plot_change_waterfall(t["change"], labels=LABELS_EN, top=2, lang="en")),
    ("waterfall_no_means", lambda t: plots.plot_change_waterfall(t["no_attrs"], labels=LABELS_EN, lang="en")),
    ("handling_no_flags", lambda t: plots.plot_handling_time(t["df"].assign(closed_late=np.nan), lang="en")),
    ("handling_long_tail", lambda t: plots.plot_handling_time(t["df"].assign(
        handling_days=t["df"]["handling_days"].where(t["df"].index % 50 > 0, 40.0)), limit_days=1, lang="en")),
]

# the placeholders of DEGENERATE, in English: name, how to draw it, the English message (None: a chart)
DEGENERATE_EN = [
    ("theme_shares_empty", lambda: plots.plot_theme_shares(pd.DataFrame(columns=["key", "n", "share"]), lang="en"),
     "No theme data"),
    ("theme_shares_no_columns", lambda: plots.plot_theme_shares(pd.DataFrame({"key": ["fees"]}), lang="en"),
     "No theme data"),
    ("trends_no_month", lambda: plots.plot_monthly_trends(pd.DataFrame({"month": [np.nan] * 3, "theme_fees": 1}),
                                                          keys=["fees"], lang="en"), "No dates"),
    ("trends_no_theme", lambda: plots.plot_monthly_trends(make_complaints(60), keys=[], lang="en"), "No theme data"),
    ("trends_one_theme", lambda: plots.plot_monthly_trends(make_complaints(300), keys=["fees"], lang="en"), None),
    ("drivers_all_nan", lambda: plots.plot_drivers(_NAN_DRIVERS, lang="en"), "No satisfaction data"),
    ("priority_all_nan", lambda: plots.plot_priority_matrix(_NAN_DRIVERS, lang="en"), "No satisfaction data"),
    ("priority_one_theme", lambda: plots.plot_priority_matrix(pd.DataFrame(
        {"theme": ["fees"], "prevalence": [0.2], "impact": [-0.1], "effect": [-0.5], "significant": [True]}),
        lang="en"), None),
    ("cooccurrence_one_theme", lambda: plots.plot_cooccurrence(make_complaints(100), keys=["fees"], lang="en"),
     "Fewer than two themes"),
    ("cooccurrence_empty", lambda: plots.plot_cooccurrence(make_complaints(100).head(0), keys=KEYS, lang="en"),
     "Fewer than two themes"),
    ("segments_all_masked", lambda: plots.plot_segment_heatmap(_ALL_MASKED, lang="en"), "too few cases"),
    ("segments_empty", lambda: plots.plot_segment_heatmap(pd.DataFrame(), lang="en"), "No segment data"),
    ("wordcloud_empty", lambda: plots.plot_theme_wordcloud({}, [], theme_label="Fees and charges", lang="en"),
     'No usable words for "Fees and charges"'),
    ("waterfall_empty", lambda: plots.plot_change_waterfall(pd.DataFrame(columns=["theme", "contribution"]),
                                                            lang="en"), "No before/after comparison data"),
    ("waterfall_no_columns", lambda: plots.plot_change_waterfall(pd.DataFrame({"x": [1]}), lang="en"),
     "No before/after comparison data"),
    ("handling_all_nan", lambda: plots.plot_handling_time(pd.DataFrame({"handling_days": [np.nan] * 4,
                                                                        "closed_late": np.nan}), lang="en"),
     "No handling-time data"),
    ("handling_no_column", lambda: plots.plot_handling_time(pd.DataFrame({"x": [1]}), lang="en"),
     "No handling-time data"),
]


def all_texts(fig) -> list[str]:
    """Every text the figure draws: titles, labels, tick labels, legends, colorbar labels, annotations."""
    fig.draw_without_rendering()  # create the tick labels
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]


def test_the_english_text_collector_sees_tick_legend_and_colorbar_labels(tables_en):
    """Guard for the guard: the texts checked below include tick labels, legends and colorbar labels."""
    ax = plots.plot_segment_heatmap(tables_en["segments"], labels=LABELS_EN, lang="en")
    texts = all_texts(ax.figure)
    plt.close(ax.figure)
    assert {"City East", "Fees and charges", "* = significant (p<0.05)", "Too few cases (<30): hidden"} <= set(texts)
    assert any(t.startswith("Adjusted effect (points)") for t in texts)  # the colorbar's label
    assert any(t in ("-1.0", "−1.0") for t in texts)  # a colorbar tick


@pytest.mark.parametrize("name, make", ENGLISH_TEXT_CASES, ids=[c[0] for c in ENGLISH_TEXT_CASES])
def test_english_chart_draws_no_chinese(tables_en, name, make):
    """With English labels and ASCII data, not one character of an English chart is Chinese (nothing untranslated)."""
    ax = make(tables_en)
    texts = all_texts(ax.figure)
    plt.close(ax.figure)
    assert texts
    assert [t for t in texts if CJK.search(t)] == []


@pytest.mark.parametrize("name, make, message", DEGENERATE_EN, ids=[d[0] for d in DEGENERATE_EN])
def test_english_placeholder_for_empty_or_degenerate_input(tmp_path, name, make, message):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = make()
        texts = all_texts(ax.figure)
        plots.save_figure(ax, tmp_path / name, formats=("png",))
    assert not [w for w in caught if "Glyph" in str(w.message) or "missing from" in str(w.message)]
    assert [t for t in texts if CJK.search(t)] == []
    if message:
        assert any(message in t for t in texts), texts


def test_english_priority_matrix_names_the_quadrants_and_every_bubble():
    ax = plots.plot_priority_matrix(PRIORITY, labels=LABELS_EN | {"environment": "Branch environment"}, lang="en")
    title, texts = title_of(ax), texts_of(ax.figure)
    plt.close(ax.figure)
    assert flat(title) == 'Fix first: "Fees and charges", which is common and significantly lowers satisfaction'
    assert {"Fix first", "Watch closely", "Keep monitoring", "Minor"} <= set(texts)
    assert {"Fees and charges", "Queuing and waiting", "Call-centre hotline", "Branch environment"} <= set(texts)
    assert not any("Handling time" in t for t in texts)


def test_english_charts_fall_back_on_the_english_labels_of_drivers_and_taxonomy(tables):
    """Without labels, English charts use DRIVER_LABELS_EN and the taxonomy's label_en (never the Chinese ones)."""
    ax = plots.plot_drivers(tables["drivers"], lang="en")
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    plt.close(ax.figure)
    assert {"Closed late", "Fees and charges", "Queuing and waiting", "Staff attitude"} <= set(ticks)
    ax = plots.plot_drivers(tables["drivers"])  # and the Chinese default is unchanged
    assert "办结超时" in [t.get_text() for t in ax.get_yticklabels()]
    plt.close(ax.figure)


def test_english_theme_shares_prefer_the_label_en_column(tables_en):
    themes = tables_en["themes"]
    ax = plots.plot_theme_shares(themes, lang="en")
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    notes = [t.get_text() for t in ax.texts]
    plt.close(ax.figure)
    assert set(ticks) == set(LABELS_EN[k] for k in KEYS)
    top = themes.sort_values("share").iloc[-1]
    assert f" {top['share']:.0%} ({top['n']:,})" in notes
    ax = plots.plot_theme_shares(themes)  # Chinese: label_zh as before
    assert {t.get_text() for t in ax.get_yticklabels()} == {LABELS[k] for k in KEYS}
    plt.close(ax.figure)


def test_english_drivers_mark_unranked_rows_and_label_units(tables_en):
    ax = plots.plot_drivers(tables_en["unranked"], labels=LABELS_EN, lang="en")
    ticks, xlabel = [t.get_text() for t in ax.get_yticklabels()], ax.get_xlabel()
    plt.close(ax.figure)
    assert "Call-centre hotline (few cases)" in ticks
    assert "satisfaction, points" in xlabel and "percentage points" not in xlabel
    ax = plots.plot_drivers(tables_en["binary"], labels=LABELS_EN, lang="en")
    xlabel, title = ax.get_xlabel(), flat(title_of(ax))
    plt.close(ax.figure)
    assert "percentage points" in xlabel and "percentage points" in title


def test_english_waterfall_names_its_bars(tables):
    ax = plots.plot_change_waterfall(tables["change"], labels=LABELS_EN, top=2, lang="en")
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    notes = [t.get_text() for t in ax.texts]
    plt.close(ax.figure)
    assert ticks[0] == "Mean before (2024-01 to 2024-09)" and ticks[-1] == "Mean after (2024-10 to 2024-12)"
    assert ticks[1:4] == ["Fees and charges", "Queuing and waiting", "Other themes (3)"]
    assert ticks[4].startswith("Baseline change") and ticks[5].startswith("Mix change")
    assert any(re.fullmatch(r" [-+]\d\.\d{3} \(frequency [-+]\d\.\d{3}, severity [-+]\d\.\d{3}\)", n) for n in notes)


@pytest.mark.parametrize("plot", [
    lambda lang: plots.plot_theme_shares(pd.DataFrame(), lang=lang),
    lambda lang: plots.plot_monthly_trends(pd.DataFrame(), keys=[], lang=lang),
    lambda lang: plots.plot_drivers(_NAN_DRIVERS, lang=lang),
    lambda lang: plots.plot_priority_matrix(_NAN_DRIVERS, lang=lang),
    lambda lang: plots.plot_cooccurrence(pd.DataFrame(), keys=[], lang=lang),
    lambda lang: plots.plot_segment_heatmap(pd.DataFrame(), lang=lang),
    lambda lang: plots.plot_theme_wordcloud({}, [], theme_label="x", lang=lang),
    lambda lang: plots.plot_change_waterfall(pd.DataFrame(), lang=lang),
    lambda lang: plots.plot_handling_time(pd.DataFrame(), lang=lang),
], ids=["theme_shares", "monthly_trends", "drivers", "priority_matrix", "cooccurrence",
        "segment_heatmap", "wordcloud", "change_waterfall", "handling_time"])
@pytest.mark.parametrize("lang", ["fr", "EN", "", None])
def test_an_unknown_language_is_a_clear_error(plot, lang):
    before = plt.get_fignums()
    with pytest.raises(ValueError, match=r"'zh', 'en'"):
        plot(lang)
    assert plt.get_fignums() == before  # raised before drawing anything


LONG_LABELS = {"fees": "Fees and charges for counter services, card replacement, account maintenance and transfers"}


def _title_words_are_whole(ax, unwrapped: str):
    """The title is ``unwrapped`` cut only at spaces, and every line fits inside the figure."""
    title = ax.get_title(loc="left")
    lines = title.split("\n")
    assert len(lines) >= 2, title
    assert " ".join(lines) == unwrapped  # each break replaced exactly one space: no word was cut
    assert all(line == line.strip() and line for line in lines)
    words = set(unwrapped.split(" "))
    for line in lines:
        assert line.split(" ")[0] in words and line.split(" ")[-1] in words
    fig = ax.figure
    fig.draw_without_rendering()
    drawn = next(t for t in ax.findobj(matplotlib.text.Text) if t.get_text() == title)
    assert drawn.get_window_extent().x1 <= fig.bbox.x1 + 1


def test_long_english_titles_wrap_at_spaces_and_fit_the_figure(tables):
    ax = plots.plot_drivers(tables["binary"], labels={**LABELS_EN, **LONG_LABELS}, lang="en")
    worst = _worst_driver(tables["binary"])
    _title_words_are_whole(ax, f"{LONG_LABELS['fees']} hurts satisfaction most: share satisfied "
                               f"{-worst['effect']:.1f} percentage points lower when present")
    plt.close(ax.figure)
    ax = plots.plot_change_waterfall(tables["change"], labels={**LABELS_EN, **LONG_LABELS}, lang="en")
    _title_words_are_whole(ax, f"Satisfaction fell by {-tables['change'].attrs['change']:.2f} points, mainly because "
                               f'of "{LONG_LABELS["fees"]}" becoming more common')
    plt.close(ax.figure)


def test_english_wrapping_never_splits_a_word_and_chinese_wrapping_is_unchanged():
    text = "Satisfaction fell by 0.28 points, mainly because of “Fees and charges” becoming more common"
    for avail in (80, 150, 300):
        wrapped = plots.style.wrap_words(text, avail, 12)
        assert wrapped.replace("\n", " ") == text
        assert all(plots.style.measured_width(line, 12) <= avail for line in wrapped.split("\n"))
    # a run of Chinese data longer than a line is the one thing broken inside
    assert plots.style.wrap_words("Words: " + "排队" * 20, 100, 12).replace("\n", "").replace(" ", "") == \
        "Words:" + "排队" * 20
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    plots.style.fit_title(ax, "收费问题对满意度伤害最大：出现时满意度低0.91分，其次是服务态度和排队等候")
    assert "\n" in ax.get_title(loc="left")
    assert ax.get_title(loc="left").replace("\n", "") == "收费问题对满意度伤害最大：出现时满意度低0.91分，其次是服务态度和排队等候"
    plt.close(fig)


def test_wordcloud_drops_characters_the_font_cannot_draw(tmp_path):
    """An emoji in a complaint must not become a box in the chart (nor a missing-glyph warning)."""
    examples = ["排队一个多小时😤😤，柜台只开一个窗口", "态度太差🙄"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a UserWarning at draw time
        ax = plots.plot_theme_wordcloud({"排队": 5, "窗口😤": 3, "叫号": 2}, examples, theme_label="排队等候")
        plots.save_figure(ax, tmp_path / "cloud", formats=("png", "svg", "pdf"))
    drawn = "".join(t.get_text() for t in ax.figure.findobj(matplotlib.text.Text))
    assert "排队一个多小时，柜台只开一个窗口" in drawn and "😤" not in drawn and "🙄" not in drawn


def test_one_panel_trend_keeps_its_chinese_title_and_note_inside_the_figure():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"month": np.repeat([f"2024-{m:02d}" for m in range(1, 13)], 100)})
    df["theme_queuing"] = (rng.random(len(df)) < np.where(df["month"] >= "2024-10", 0.4, 0.1)).astype(int)
    fig = plots.plot_monthly_trends(df, keys=["queuing"]).figure
    fig.draw_without_rendering()
    box = fig.bbox
    for text in (fig._suptitle, fig._supxlabel):
        extent = text.get_window_extent()
        assert extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1, text.get_text()
    assert fig.get_suptitle().replace("\n", "").startswith("「排队等候」近3个月明显上升")
    plt.close(fig)
