"""Charts: Chinese renders (no missing glyphs) in PNG, SVG and PDF; titles state the finding; no personal data."""

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
        "binary": drivers.analyze_drivers(df, themes=KEYS, n_boot=0, threshold=4),
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
    ("monthly_trend", lambda t: plots.plot_monthly_trend(t["df"], keys=KEYS, labels=LABELS), "收费问题"),
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
    ("trend_no_month", lambda: plots.plot_monthly_trend(pd.DataFrame({"month": [None]}), keys=["fees"]), "无日期数据"),
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
    assert matplotlib.colors.to_hex(bars["客服热线（样本少）"]) == plots._GREY
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
    freqs = plots._frequencies(TOKENS)
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
             "monthly_trend": lambda: plots.plot_monthly_trend(tables["df"], keys=KEYS, ax=ax),
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
