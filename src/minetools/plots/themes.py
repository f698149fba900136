"""Charts of how often themes occur: shares, monthly trends with rising themes flagged, co-occurrence."""

from __future__ import annotations

import matplotlib
import matplotlib.ticker
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from minetools.fonts import use_cjk_font
from minetools.plots.style import (BLUE, DARK, DIVERGING, RED, check_lang, fit_title, label_for, label_list,
                                   measured_width, new_axes, numeric_column, placeholder, text_width, tidy, tr,
                                   wrap_text, wrap_words)


# ---------------------------------------------------------------------------
# 1. theme shares
# ---------------------------------------------------------------------------


def plot_theme_shares(themes: pd.DataFrame, *, labels: dict[str, str] | None = None, ax=None, lang: str = "zh"):
    """Horizontal bars of each theme's share of complaints, with counts.

    ``themes`` has columns key, label_zh (or label), n, share (as in ``themes.csv``);
    rows with ``status`` other than "taxonomy" (discovered candidates) and
    themes never seen are left out.  Title: the most frequent theme and its share.
    With ``lang="en"`` the chart is in English and a ``label_en`` column is
    preferred (then the English default labels of the keys).
    """
    en = check_lang(lang) == "en"
    ax = new_axes(ax)
    data = themes.copy()
    if not {"n", "share"} <= set(data.columns):
        return placeholder(ax, tr(lang, "无主题数据（缺少 n / share 列）", "No theme data (columns n / share missing)"))
    data["n"], data["share"] = numeric_column(data, "n"), numeric_column(data, "share")
    data = data[(data["n"] > 0) & data["share"].notna()]
    if "status" in data:
        data = data[data["status"] == "taxonomy"]
    if data.empty:
        return placeholder(ax, tr(lang, "无主题数据：没有投诉被归入任何主题",
                                    "No theme data: no complaint was assigned to a theme"))
    data = data.sort_values("share")
    if labels and "key" in data:
        names = label_list(data["key"], labels, lang)
    elif en and "label_en" in data:
        names = data["label_en"].astype(str).tolist()
    elif en and "key" in data:
        names = label_list(data["key"], labels, lang)
    elif "label_zh" in data:
        names = data["label_zh"].astype(str).tolist()
    elif "label" in data:
        names = data["label"].astype(str).tolist()
    else:
        names = label_list(data["key"], labels, lang)
    y = np.arange(len(data))
    ax.barh(y, data["share"], color=BLUE)
    ax.set_yticks(y, names)
    for yy, (share, n) in enumerate(zip(data["share"], data["n"])):
        ax.text(share, yy, tr(lang, f" {share:.0%}（{int(n):,}件）", f" {share:.0%} ({int(n):,})"), va="center",
                fontsize=9)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, max(data["share"].max() * 1.3, 0.05))
    top = data.iloc[-1]
    ax.set_xlabel(tr(lang, "占有效投诉的比例（一件投诉可涉及多个主题）",
                      "Share of valid complaints (a complaint can mention several themes)"))
    tidy(ax)
    if en:
        title = f"{names[-1]} is the most common: {top['share']:.0%} of complaints mention it ({int(top['n']):,})"
    else:
        title = f"{names[-1]}最常见：{top['share']:.0%}的投诉提到（{int(top['n']):,}件）"
    fit_title(ax, title, lang=lang)
    return ax


# ---------------------------------------------------------------------------
# 2. monthly trends (small multiples) and the single-panel trend
# ---------------------------------------------------------------------------


def monthly_theme_shares(df: pd.DataFrame, keys) -> pd.DataFrame:
    """Share of each month's complaints that carry each theme (rows: months, columns: keys)."""
    cols = [f"theme_{k}" for k in keys]
    data = df.loc[df["month"].notna(), ["month", *cols]].copy()
    data[cols] = data[cols].apply(pd.to_numeric, errors="coerce").fillna(0)
    monthly = data.groupby(data["month"].astype(str))[cols].mean().sort_index()
    monthly.columns = list(keys)
    return monthly


def rising_themes(df: pd.DataFrame, keys, *, recent: int = 3, min_rise: float = 0.03, min_ratio: float = 1.25,
                  min_z: float = 2.58) -> pd.DataFrame:
    """Compare each theme's share in the last ``recent`` months with its share in the earlier months.

    A theme is **rising** when all three hold (the margin the trend chart flags):

    * its share of complaints in the last ``recent`` months is at least
      ``min_rise`` (3 percentage points) above its share in the earlier months;
    * and at least ``min_ratio`` (1.25) times it;
    * and the rise is beyond chance: two-proportion z ≥ ``min_z`` (2.58, i.e.
      one-sided p < 0.005, strict because a dozen themes are tested at once).

    Shares pool the complaints of each period (not a mean of monthly shares).
    Needs at least ``recent + 3`` months; with fewer, nothing is flagged.

    Returns a DataFrame indexed by theme key with columns ``earlier``,
    ``recent``, ``rise`` (recent − earlier), ``ratio``, ``z`` and ``rising``,
    sorted by ``rise`` (largest first).
    """
    keys = list(keys)
    columns = ["earlier", "recent", "rise", "ratio", "z", "rising"]
    if "month" not in df or not keys:
        return pd.DataFrame(columns=columns, index=pd.Index(keys, name="theme"))
    data = df.loc[df["month"].notna()]
    months = sorted(data["month"].astype(str).unique())
    late = data["month"].astype(str).isin(months[-recent:]).to_numpy()
    X = np.column_stack([numeric_column(data, f"theme_{k}").fillna(0).to_numpy() for k in keys]) if len(data) else \
        np.zeros((0, len(keys)))
    n1, n0 = late.sum(), (~late).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = X[late].sum(axis=0) / n1 if n1 else np.full(len(keys), np.nan)
        p0 = X[~late].sum(axis=0) / n0 if n0 else np.full(len(keys), np.nan)
        pooled = (X.sum(axis=0)) / max(len(X), 1)
        se = np.sqrt(pooled * (1 - pooled) * (1 / max(n1, 1) + 1 / max(n0, 1)))
        z = np.where(se > 0, (p1 - p0) / se, 0.0)
        ratio = np.where(p0 > 0, p1 / p0, np.where(p1 > 0, np.inf, 1.0))
    enough = len(months) >= recent + 3
    rising = enough & (p1 - p0 >= min_rise) & (ratio >= min_ratio) & (z >= min_z)
    out = pd.DataFrame({"earlier": p0, "recent": p1, "rise": p1 - p0, "ratio": ratio, "z": z,
                        "rising": np.asarray(rising, dtype=bool)}, index=pd.Index(keys, name="theme"))
    return out.sort_values("rise", ascending=False)


def plot_monthly_trends(df: pd.DataFrame, *, keys, labels: dict[str, str] | None = None, fig=None,
                        recent: int = 3, ncols: int | None = None, lang: str = "zh"):
    """Small multiples: one panel per theme with its monthly share of complaints.

    ``df`` has a ``month`` column ("2024-03") and 0/1 ``theme_<key>`` columns.
    Panels share the y axis (so heights compare across themes) and are ordered
    by overall share.  The last ``recent`` months are shaded; a theme is
    flagged rising — red line and "↑" in its panel title — by the rule of
    :func:`rising_themes` (≥ 3 percentage points and ≥ 1.25× its earlier share,
    z ≥ 2.58).  The figure's suptitle names the biggest riser.

    Draws on ``fig`` (a new figure if None) and returns the figure's **first
    Axes**; use ``ax.figure`` for the whole chart (the finding is in
    ``ax.figure.get_suptitle()``).  ``lang="en"`` draws it in English (the
    suptitle and footnote then wrap at spaces to the figure's width).
    """
    en = check_lang(lang) == "en"
    use_cjk_font()
    keys = list(keys)
    months = df["month"].dropna() if "month" in df else pd.Series(dtype=object)
    if not keys or months.empty:
        fig = fig or plt.figure(figsize=(9, 4), layout="constrained")
        ax = fig.add_subplot()
        if en:
            msg = "No theme data: cannot show trends" if not keys else "No dates: cannot show trends"
        else:
            msg = "无主题数据，无法显示趋势" if not keys else "无日期数据，无法显示趋势"
        fig.suptitle(tr(lang, "各主题月度占比", "Monthly share of each theme"), x=0.02, ha="left")
        return placeholder(ax, msg)
    monthly = monthly_theme_shares(df, keys)
    monthly = monthly.loc[:, monthly.mean().sort_values(ascending=False).index]
    trend = rising_themes(df, keys, recent=recent)
    ncols = ncols or (len(keys) if len(keys) <= 4 else 3 if len(keys) <= 6 else 4)
    ncols = max(1, min(ncols, len(keys)))
    nrows = -(-len(keys) // ncols)
    size = (2.6 * ncols + 0.6, 2.1 * nrows + 1.0)
    if en:  # the English suptitle and footnote need room even with one or two panels
        size = (max(size[0], 6.0), max(size[1], 3.8))
    fig = fig or plt.figure(figsize=size, layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)).ravel()
    for i, key in enumerate(monthly.columns):
        _trend_panel(fig, axes[i], monthly, key, trend.loc[key], recent=recent, ncols=ncols, labels=labels, lang=lang)
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    axes[0].set_ylim(0, max(float(np.nanmax(monthly.to_numpy())) * 1.25, 0.05))
    _trend_axis_labels(fig, recent=recent, lang=lang)
    title = _trend_title(trend, len(monthly), recent=recent, labels=labels, lang=lang)
    width = fig.get_figwidth() * 72 * 0.96 - 12
    if en:
        title = wrap_words(title, width, 12)
    elif text_width(title, 12) > width:
        title = wrap_text(title, int(width // 12))
    fig.suptitle(title, x=0.02, ha="left", fontsize=12)
    return axes[0]


def _trend_panel(fig, ax, monthly: pd.DataFrame, key: str, trend_row: pd.Series, *, recent: int, ncols: int, labels,
                 lang: str) -> None:
    """One theme's panel: its monthly share, the recent months shaded, red with "↑" when it rose."""
    x = np.arange(len(monthly))
    up = bool(trend_row["rising"])
    if len(x) > recent:
        ax.axvspan(len(x) - recent - 0.5, len(x) - 0.5, color="#f2f2f2", zorder=0)
    ax.plot(x, monthly[key], marker="o", ms=2.5, lw=2.2 if up else 1.3, color=RED if up else BLUE)
    name = label_for(key, labels, lang) + (" ↑" if up else "")
    shares = ""
    if np.isfinite(trend_row["recent"]) and np.isfinite(trend_row["earlier"]):
        shares = f"{trend_row['earlier']:.0%}→{trend_row['recent']:.0%}"
        ax.set_title(shares, loc="right", fontsize=8.5, color=RED if up else "#666666")
    # a long name goes on two lines rather than run into the shares on the right
    room = fig.get_figwidth() * 72 / ncols * 0.82 - measured_width(shares, 8.5) - 8
    if measured_width(name, 10.5) > room:
        name = wrap_words(name, room, 10.5) if lang == "en" else wrap_text(name, max(2, int(room // 10.5)))
    ax.set_title(name, loc="left", fontsize=10.5, color=RED if up else DARK)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set_xticks([0, len(x) - 1] if len(x) > 1 else [0],
                  [monthly.index[0], monthly.index[-1]] if len(x) > 1 else [monthly.index[0]], fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.tick_params(axis="x", labelbottom=True)
    tidy(ax)


def _trend_axis_labels(fig, *, recent: int, lang: str) -> None:
    """The shared y label and the footnote that explains shading, shares and the rising rule."""
    if lang == "en":
        fig.supylabel("Share of the month's complaints", fontsize=10)
        width = fig.get_figwidth() * 72 - 24  # points
        fig.supxlabel(wrap_words(f"Grey = last {recent} months; top right = earlier share → share in the last "
                                 f"{recent} months; red line and ↑ = clear rise (at least 3 percentage points and "
                                 "1.25×, and statistically significant)", width, 8.5),
                      fontsize=8.5, color="#555555")
        return
    fig.supylabel("当月投诉中的占比", fontsize=10)
    note = (f"灰底 = 最近{recent}个月；右上角 = 此前占比→近{recent}个月占比；红线与↑ = 明显上升"
            "（至少高3个百分点、1.25倍，且统计显著）")
    width = fig.get_figwidth() * 72 - 24
    if text_width(note, 8.5) > width:  # one or two panels: wrap rather than run off the figure
        note = wrap_text(note, int(width // 8.5))
    fig.supxlabel(note, fontsize=8.5, color="#555555")


def _trend_title(trend: pd.DataFrame, n_months: int, *, recent: int, labels, lang: str) -> str:
    """The finding: the biggest riser, or that none rose (and the largest change), or that months are too few."""
    flagged = trend[trend["rising"]]
    if not flagged.empty:
        top = flagged.index[0]
        earlier, later = flagged.loc[top, "earlier"], flagged.loc[top, "recent"]
        if lang == "en":
            more = "" if len(flagged) == 1 else \
                f" (and {len(flagged) - 1} other theme{'s' if len(flagged) > 2 else ''})"
            return (f'"{label_for(top, labels, lang)}"{more} rose clearly in the last {recent} months: its share '
                    f"went from {earlier:.0%} to {later:.0%}")
        more = f"等{len(flagged)}个主题" if len(flagged) > 1 else ""
        return f"「{label_for(top, labels)}」{more}近{recent}个月明显上升：占比由{earlier:.0%}升至{later:.0%}"
    if n_months < recent + 3:
        return tr(lang, f"各主题月度占比（只有{n_months}个月，不足以判断上升）",
                  f"Monthly share of each theme (only {n_months} months: too few to judge a rise)")
    top = trend.index[0]
    rise = trend.loc[top, "rise"] * 100
    return tr(lang, f"近{recent}个月没有主题明显上升（变化最大：「{label_for(top, labels)}」{rise:+.1f}个百分点）",
              f'No theme rose clearly in the last {recent} months (largest change: '
              f'"{label_for(top, labels, lang)}" {rise:+.1f} percentage points)')


# ---------------------------------------------------------------------------
# 5. co-occurrence
# ---------------------------------------------------------------------------


def theme_cooccurrence(df: pd.DataFrame, keys) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How often themes occur together: (lift, joint counts), both theme × theme.

    ``lift[a, b] = P(a and b) / (P(a) · P(b))`` — how many times more often
    a complaint carries both themes than if they were independent (1 = as
    expected, 2 = twice as often, 0.5 = half as often).  Themes never seen and
    the diagonal get NaN; ``joint`` holds each theme's count on its diagonal.
    One pass over the complaints (``X'X``), linear in their number.
    """
    keys = list(keys)
    X = np.column_stack([numeric_column(df, f"theme_{k}").fillna(0).clip(0, 1).to_numpy() for k in keys]) if keys \
        else np.zeros((len(df), 0))
    joint = X.T @ X
    n = np.diag(joint)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = joint * len(X) / np.outer(n, n)
    lift[~np.isfinite(lift)] = np.nan
    np.fill_diagonal(lift, np.nan)
    return (pd.DataFrame(lift, index=keys, columns=keys),
            pd.DataFrame(joint.astype(int), index=keys, columns=keys))


def plot_cooccurrence(df: pd.DataFrame, *, keys, labels: dict[str, str] | None = None, ax=None,
                      min_count: int = 10, min_lift: float = 1.5, lang: str = "zh"):
    """Heatmap of how often two themes appear in the same complaint, as **lift**.

    Each cell is ``P(A and B) / (P(A)·P(B))`` (see :func:`theme_cooccurrence`):
    2× means the pair appears together twice as often as chance; the colour
    scale is logarithmic and centred at 1× (red = together more often, blue =
    less often).  Cells are annotated with the lift; the diagonal is blank and
    each theme's count is in its label.  Title: the pair with the highest lift
    among pairs seen together on at least ``min_count`` complaints, called a
    pair only when its lift is at least ``min_lift`` (1.5×).  ``lang="en"``
    draws it in English.
    """
    en = check_lang(lang) == "en"
    keys = [k for k in keys if f"theme_{k}" in df]
    lift, joint = theme_cooccurrence(df, keys)
    seen = [k for k in keys if joint.loc[k, k] > 0]
    order = sorted(seen, key=lambda k: -joint.loc[k, k])
    names = [tr(lang, f"{label_for(k, labels)}（{joint.loc[k, k]:,}）", f"{label_for(k, labels, lang)} ({joint.loc[k, k]:,})")
             for k in order]
    # English labels are longer than the Chinese ones the base size allows for (about 1.4 in)
    extra = max([0.0, *[text_width(n, 10) / 72 - 1.4 for n in names]]) if en else 0.0
    ax = new_axes(ax, size=(max(6.0, 0.75 * len(order) + 3.2 + extra), max(4.5, 0.6 * len(order) + 2.2 + extra)))
    if len(order) < 2:
        return placeholder(ax, tr(lang, "出现过的主题少于两个，无法计算共现",
                                    "Fewer than two themes occur: cannot compute co-occurrence"))
    L, J = lift.loc[order, order].to_numpy(), joint.loc[order, order].to_numpy()
    with np.errstate(divide="ignore"):
        logl = np.log2(L)
    off = ~np.eye(len(order), dtype=bool)
    finite = np.isfinite(logl) & off
    vmax = float(np.clip(np.abs(logl[finite]).max() if finite.any() else 1.0, 1.0, 3.0))
    shown = np.ma.masked_array(np.clip(np.nan_to_num(logl, nan=0.0, neginf=-vmax), -vmax, vmax), mask=~off)
    cmap = matplotlib.colormaps[DIVERGING + "_r"].with_extremes(bad="white")
    image = ax.imshow(shown, cmap=cmap, vmin=-vmax, vmax=vmax)
    ax.set_xticks(range(len(order)), names, rotation=40, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(order)), names)
    fs = 9 if len(order) <= 8 else 7
    for i in range(len(order)):
        for j in range(len(order)):
            if i == j:
                continue
            text = "0" if J[i, j] == 0 else f"{L[i, j]:.1f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=fs,
                    color="white" if abs(shown[i, j]) > 0.6 * vmax else DARK)
    ticks = [t for t in (-3, -2, -1, 0, 1, 2, 3) if abs(t) <= vmax]
    bar = ax.figure.colorbar(image, ax=ax, ticks=ticks, shrink=0.85)
    bar.ax.set_yticklabels([f"{2.0 ** t:g}×" for t in ticks])
    bar.set_label(tr(lang, "共现倍数（同时出现 ÷ 随机预期）", "Lift (seen together ÷ expected by chance)"))
    ax.set_xlabel(tr(lang, "格中数字 = 同时出现的比例是随机预期的几倍\n>1 常一起出现，<1 较少一起出现；括号内为件数",
                      "Number in a cell = how many times more often the pair occurs together than by chance\n"
                      ">1 often together, <1 seldom together; complaint counts in brackets"),
                  fontsize=8, color="#555555")
    ax.set_xticks(np.arange(len(order) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(order) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=1.5)
    ax.tick_params(which="minor", length=0)
    ax.spines[:].set_visible(False)
    candidates = [(L[i, j], i, j) for i in range(len(order)) for j in range(i + 1, len(order))
                  if J[i, j] >= min_count and np.isfinite(L[i, j])]
    if candidates:
        best, i, j = max(candidates)
        a, b = label_for(order[i], labels, lang), label_for(order[j], labels, lang)
        if en and best >= min_lift:
            title = f'"{a}" and "{b}" go together most: {best:.1f} times as often as by chance ({J[i, j]:,} complaints)'
        elif en:
            title = f'No clear pairs of themes (highest: "{a}" and "{b}", {best:.1f} times as often as by chance)'
        elif best >= min_lift:
            title = f"「{a}」与「{b}」最常一起出现：是随机预期的{best:.1f}倍（{J[i, j]:,}件）"
        else:
            title = f"主题之间没有明显的搭配（最高为「{a}」与「{b}」，{best:.1f}倍）"
    else:
        title = tr(lang, f"各主题很少同时出现（没有组合达到{min_count}件）",
                    f"Themes rarely occur together (no pair reaches {min_count} complaints)")
    fit_title(ax, title, lang=lang)
    return ax
