"""Charts of change and handling: the waterfall of what moved satisfaction between periods, handling time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from minetools.plots.style import (BLUE, DARK, GREY, RED, check_lang, fit_title, label_for, new_axes, numeric_column,
                                   placeholder, tidy, tr)


# ---------------------------------------------------------------------------
# 8. change waterfall
# ---------------------------------------------------------------------------


def plot_change_waterfall(change: pd.DataFrame, *, labels: dict[str, str] | None = None, ax=None, top: int = 6,
                          mean_before: float | None = None, mean_after: float | None = None, lang: str = "zh"):
    """Waterfall of the change in mean satisfaction between two periods, per theme.

    ``change`` is the table of :func:`minetools.drivers.decompose_change`
    (``drivers_change.csv``).  The means come from ``mean_before=`` /
    ``mean_after=`` or the table's ``attrs`` (lost when read back from CSV;
    one of them is enough, the other follows from the contributions, which
    add up to the change).  Bars, top to bottom: mean before, the ``top``
    themes with the largest |contribution| (the rest as 其他主题), 基线变化
    (complaints without these themes), 构成变化 (covariate mix, if any), mean
    after.  Red = lowers satisfaction, blue = raises it; each theme bar is
    annotated with its frequency part (theme became more/less common) and its
    severity part (theme hurts more/less).  Horizontal axis does not start at 0.
    Title: the change and its biggest contributor.  ``lang="en"`` draws it in
    English ("Other themes (3)", "Baseline change", "Mix change", "Mean before").
    """
    check_lang(lang)
    ax = new_axes(ax, size=(9, 5.5))
    data = change.copy()
    empty = tr(lang, "无前后期对比数据", "No before/after comparison data")
    if "theme" not in data or "contribution" not in data:
        return placeholder(ax, empty)
    for col in ("contribution", "from_frequency", "from_severity", "prevalence_before", "prevalence_after"):
        data[col] = numeric_column(data, col)
    data["theme"] = data["theme"].astype(str)
    data = data[data["contribution"].notna()]
    is_theme = ~data["theme"].str.startswith("(")
    themes = data[is_theme].reindex(data[is_theme]["contribution"].abs().sort_values(ascending=False).index)
    if data.empty:
        return placeholder(ax, empty)
    total = float(data["contribution"].sum())
    mb = mean_before if mean_before is not None else change.attrs.get("mean_before")
    ma = mean_after if mean_after is not None else change.attrs.get("mean_after")
    if mb is None and ma is not None:
        mb = float(ma) - total
    if ma is None and mb is not None:
        ma = float(mb) + total
    known = mb is not None and np.isfinite(mb)
    delta = float(ma) - float(mb) if known else total
    steps = _steps(data, themes, labels=labels, top=top, lang=lang)
    start = float(mb) if known else 0.0
    y, left, right = _draw_bars(ax, steps, start=start, delta=delta, known=known, lang=lang)
    before_name, after_name = _period_names(change.attrs, known=known, lang=lang)
    ax.set_yticks(y, [before_name, *[s[0] for s in steps], after_name])
    ax.set_xlim(left, right)
    if lang == "en":
        ax.set_xlabel("Mean satisfaction (points; axis does not start at 0)" if known
                      else "Change in satisfaction (points)")
        footnote = ("Red = lowers satisfaction, blue = raises it; frequency = theme more/less common, "
                    "severity = same theme hurts more/less")
    else:
        ax.set_xlabel("平均满意度（分；横轴未从0开始）" if known else "满意度变化（分）")
        footnote = "红 = 拉低满意度，蓝 = 提高；频次 = 主题变多/变少，程度 = 同一主题伤害变大/变小"
    ax.text(1.0, -0.12 if known else -0.1, footnote, transform=ax.transAxes, ha="right", va="top", fontsize=8,
            color="#555555")
    tidy(ax)
    fit_title(ax, _change_title(delta, themes, data, labels, lang), lang=lang)
    return ax


def _steps(data: pd.DataFrame, themes: pd.DataFrame, *, labels, top: int, lang: str) -> list:
    """Bars between the two means: (name, value, frequency part, severity part) for the ``top`` themes, the
    rest together, then the baseline and covariate-mix changes."""
    steps = []
    for _, row in themes.head(top).iterrows():
        steps.append((label_for(row["theme"], labels, lang), row["contribution"], row["from_frequency"],
                      row["from_severity"]))
    rest = themes.iloc[top:]
    if len(rest):
        steps.append((tr(lang, f"其他主题（{len(rest)}个）", f"Other themes ({len(rest)})"), rest["contribution"].sum(),
                      rest["from_frequency"].sum(), rest["from_severity"].sum()))
    if lang == "en":
        names_extra = {"(baseline)": "Baseline change\n(complaints without these themes)",
                       "(covariates)": "Mix change\n(branch, channel, etc.)"}
    else:
        names_extra = {"(baseline)": "基线变化（无这些主题的投诉）", "(covariates)": "构成变化（网点/渠道等）"}
    for key, name in names_extra.items():
        row = data[data["theme"] == key]
        if len(row):
            steps.append((name, float(row["contribution"].iloc[0]), np.nan, np.nan))
    return steps


def _draw_bars(ax, steps: list, *, start: float, delta: float, known: bool, lang: str):
    """The before/after bars and one floating bar per step; returns the bar positions and the x limits."""
    levels = start + np.cumsum([0.0] + [s[1] for s in steps])
    y = np.arange(len(steps) + 2)[::-1]  # first bar at the top
    lo, hi = float(min(levels.min(), start + delta)), float(max(levels.max(), start + delta))
    span = max(hi - lo, 1e-3)
    left = lo - span * 0.6 if known else min(lo, 0) - span * 0.1
    right = hi + span * (0.9 if lang == "en" else 0.75)  # room for the notes (English ones are longer)
    bar_kw = {"height": 0.6, "edgecolor": "white"}
    if known:
        ax.barh(y[0], start - left, left=left, color="#6b6b6b", **bar_kw)
        ax.barh(y[-1], start + delta - left, left=left, color="#6b6b6b", **bar_kw)
        ax.text(start, y[0], f" {start:.2f}", va="center", fontsize=9, fontweight="bold")
        end = tr(lang, f" {start + delta:.2f}（{delta:+.2f}）", f" {start + delta:.2f} ({delta:+.2f})")
        ax.text(start + delta, y[-1], end, va="center", fontsize=9, fontweight="bold")
    else:
        ax.barh(y[-1], delta, left=0, color="#6b6b6b", **bar_kw)
        ax.text(max(delta, 0), y[-1], f" {delta:+.2f}", va="center", fontsize=9, fontweight="bold")
    for k, (name, value, freq, sev) in enumerate(steps):
        yy = y[k + 1]
        ax.barh(yy, value, left=levels[k], color=RED if value < 0 else BLUE, **bar_kw)
        ax.plot([levels[k], levels[k]], [yy + 0.3, yy + 0.7], color="#999999", lw=0.8)  # connector
        note = f" {value:+.3f}"
        if np.isfinite(freq) and np.isfinite(sev):
            note += tr(lang, f"（频次{freq:+.3f}，程度{sev:+.3f}）", f" (frequency {freq:+.3f}, severity {sev:+.3f})")
        ax.text(max(levels[k], levels[k + 1]), yy, note, va="center", fontsize=8.5, color=DARK)
    ax.plot([levels[-1], levels[-1]], [y[-1] + 0.3, y[-2] - 0.3], color="#999999", lw=0.8)
    return y, left, right


def _period_names(attrs: dict, *, known: bool, lang: str) -> tuple[str, str]:
    """Names of the first and last bars, with the periods when the table's attrs hold them."""
    def period(key):
        p = attrs.get(key)
        if p is None:
            return ""
        p = [p] if isinstance(p, str) or not hasattr(p, "__len__") else list(p)
        if lang == "en":
            return f" ({p[0]})" if len(p) == 1 else f" ({p[0]} to {p[-1]})"
        return f"（{p[0]}）" if len(p) == 1 else f"（{p[0]}至{p[-1]}）"

    if lang == "en":
        return (f"Mean before{period('before')}" if known else "Before (base)",
                f"Mean after{period('after')}" if known else "Total change")
    return (f"前期平均{period('before')}" if known else "前期（基准）",
            f"后期平均{period('after')}" if known else "合计变化")


def _change_title(delta: float, themes: pd.DataFrame, data: pd.DataFrame, labels, lang: str = "zh") -> str:
    if abs(delta) < 0.005:
        head = tr(lang, f"满意度基本持平（变化{delta:+.2f}分）", f"Satisfaction roughly unchanged ({delta:+.2f} points)")
    elif lang == "en":
        head = f"Satisfaction {'fell' if delta < 0 else 'rose'} by {abs(delta):.2f} points"
    else:
        head = f"满意度{'下降' if delta < 0 else '上升'}{abs(delta):.2f}分"
    same = themes[np.sign(themes["contribution"]) == np.sign(delta)] if abs(delta) >= 0.005 else themes.iloc[0:0]
    if same.empty:
        base = data[data["theme"] == "(baseline)"]
        if abs(delta) >= 0.005 and len(base) and np.sign(base["contribution"].iloc[0]) == np.sign(delta):
            return head + tr(lang, "，主要来自未提到这些主题的投诉", ", mainly in complaints that mention none of these themes")
        return head
    row = same.iloc[0]  # largest |contribution| pushing the same way as the change
    name = label_for(row["theme"], labels, lang)
    freq, sev = row["from_frequency"], row["from_severity"]
    if np.isfinite(freq) and np.isfinite(sev) and abs(sev) > abs(freq):
        why = tr(lang, "伤害加重", "hurting more") if sev < 0 else tr(lang, "伤害减轻", "hurting less")
    else:
        grew = row["prevalence_after"] > row["prevalence_before"] if np.isfinite(row["prevalence_after"]) and \
            np.isfinite(row["prevalence_before"]) else (freq < 0) == (delta < 0)
        why = tr(lang, "增多", "becoming more common") if grew else tr(lang, "减少", "becoming less common")
    return tr(lang, f"{head}，主要来自「{name}」{why}", f'{head}, mainly because of "{name}" {why}')


# ---------------------------------------------------------------------------
# 9. handling time
# ---------------------------------------------------------------------------


def plot_handling_time(df: pd.DataFrame, *, limit_days: float = 2, ax=None, score_col: str | None = None,
                       lang: str = "zh"):
    """Distribution of days to close a complaint, on time (blue) vs late (red), with the limit marked.

    ``df`` has ``handling_days`` (calendar days) and ``closed_late`` (0/1, from
    :func:`minetools.drivers.handling_time`, which counts working days — so a
    few late bars can sit left of the line); without ``closed_late``, late
    means ``handling_days > limit_days``.  With a score column (``score_col``,
    else "satisfaction" or "score"), the title adds the mean satisfaction of
    late vs on-time complaints.  Title: the share closed late.  ``lang="en"``
    draws it in English.
    """
    check_lang(lang)
    ax = new_axes(ax, size=(8, 4.8))
    days = numeric_column(df, "handling_days")
    ok = days.notna() & (days >= 0)
    if not ok.any():
        return placeholder(ax, tr(lang, "无办理时间数据", "No handling-time data"))
    late = numeric_column(df, "closed_late") if "closed_late" in df else (days > limit_days).astype(float).where(ok)
    days, late = days[ok], late[ok]
    cap = float(max(np.ceil(days.quantile(0.98)), limit_days * 2, 1))
    step = 0.5 if cap <= 12 else float(np.ceil(cap / 24))
    edges = np.arange(0, cap + step, step)
    clipped = days.clip(upper=edges[-1] - step / 2)
    groups = [(clipped[late == 0], BLUE, tr(lang, "按时办结", "Closed on time")),
              (clipped[late == 1], RED, tr(lang, "超时办结", "Closed late")),
              (clipped[late.isna()], GREY, tr(lang, "无法判定", "Cannot tell"))]
    groups = [g for g in groups if len(g[0])]
    ax.hist([g[0] for g in groups], bins=edges, stacked=True, color=[g[1] for g in groups],
            label=[g[2] for g in groups], edgecolor="white", linewidth=0.5)
    ax.axvline(limit_days, color="black", ls="--", lw=1)
    working_days = f"{limit_days:g} working day{'' if limit_days == 1 else 's'}"
    ax.text(limit_days, 1.0, tr(lang, f" 时限：{limit_days:g}个工作日", f" Limit: {working_days}"),
            transform=ax.get_xaxis_transform(), va="top", fontsize=9)
    ax.set_xlim(0, edges[-1])
    if days.max() > edges[-1]:
        ax.text(1.0, -0.14, tr(lang, f"最右一组含≥{edges[-1] - step:g}天的投诉",
                                f"The last bar includes complaints of ≥{edges[-1] - step:g} days"),
                transform=ax.transAxes, ha="right", va="top", fontsize=8, color="#555555")
    ax.legend(frameon=False, fontsize=9, loc="upper right")
    ax.set_xlabel(tr(lang, "办理时长（自然日）", "Handling time (calendar days)"))
    ax.set_ylabel(tr(lang, "投诉件数", "Complaints"))
    judged = late.dropna()
    if judged.empty:
        title = tr(lang, f"办理时长中位数{days.median():.1f}天（无超时标记）",
                    f"Median handling time {days.median():.1f} days (no late flags)")
    else:
        share, n_late, n_judged = judged.mean(), f"{int(judged.sum()):,}", f"{len(judged):,}"
        title = tr(lang, f"{share:.0%}的投诉超时办结（时限{limit_days:g}个工作日，{n_late}/{n_judged}件）",
                    f"{share:.0%} of complaints were closed late ({n_late} of {n_judged}; limit {working_days})")
        col = score_col or next((c for c in ("satisfaction", "score") if c in df), None)
        if col is not None and col in df:
            score = numeric_column(df, col)[ok]
            late_mean, on_mean = score[late == 1].mean(), score[late == 0].mean()
            if np.isfinite(late_mean) and np.isfinite(on_mean):
                title += tr(lang, f"\n超时投诉满意度平均{late_mean:.1f}分，按时办结{on_mean:.1f}分",
                             f"\nMean satisfaction {late_mean:.1f} points when late, {on_mean:.1f} when on time")
    tidy(ax)
    fit_title(ax, title, lang=lang)
    return ax
