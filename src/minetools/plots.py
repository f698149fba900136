"""Charts for managers: each ``plot_*(…, *, ax=None) -> Axes``; titles state the finding.

Functions take the tables the pipeline writes (``themes.csv``, ``drivers.csv``,
``complaints.parquet``) and never call ``plt.show()``.
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from minetools.fonts import use_cjk_font

__all__ = ["plot_theme_shares", "plot_drivers", "plot_monthly_trend", "monthly_theme_shares", "biggest_spike",
           "save_figure"]

_RED, _GREY, _BLUE = "#c0392b", "#b3b3b3", "#2e6da4"


def _axes(ax, size=(8, 5)):
    use_cjk_font()
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _labels(keys, labels):
    labels = labels or {}
    return [labels.get(k, k) for k in keys]


def plot_theme_shares(themes: pd.DataFrame, *, ax=None):
    """Horizontal bars of each theme's share of complaints, with counts.

    ``themes`` has columns key, label_zh (or label), n, share (as in ``themes.csv``).
    """
    ax = _axes(ax)
    data = themes[(themes["n"] > 0) & (themes["status"] == "taxonomy" if "status" in themes else True)]
    data = data.sort_values("share")
    label_col = "label_zh" if "label_zh" in data else "key"
    ax.barh(data[label_col], data["share"], color=_BLUE)
    for y, (share, n) in enumerate(zip(data["share"], data["n"])):
        ax.text(share, y, f" {share:.0%}（{n:,}）", va="center", fontsize=9)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, max(data["share"].max() * 1.25, 0.05))
    top = data.iloc[-1]
    ax.set_title(f"{top[label_col]}最常见：{top['share']:.0%}的投诉提到（{int(top['n']):,}件）", loc="left")
    ax.set_xlabel("占有效投诉的比例（一件投诉可涉及多个主题）")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_drivers(drivers: pd.DataFrame, *, labels: dict[str, str] | None = None, ax=None):
    """Diverging bars of each theme's adjusted effect on satisfaction with 95% CIs.

    Significant effects are drawn in colour, non-significant ones in grey.
    """
    ax = _axes(ax)
    data = drivers.dropna(subset=["effect"]).sort_values("effect", ascending=False)
    if data.empty:
        ax.text(0.5, 0.5, "无满意度数据，未做驱动分析", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    names = _labels(data["theme"], labels)
    colors = [(_RED if e < 0 else _BLUE) if s else _GREY for e, s in zip(data["effect"], data["significant"])]
    err = np.vstack([data["effect"] - data["effect_ci_low"], data["effect_ci_high"] - data["effect"]])
    ax.barh(names, data["effect"], color=colors, xerr=err, error_kw={"ecolor": "#555", "capsize": 3, "lw": 1})
    ax.axvline(0, color="black", lw=0.8)
    worst = data.iloc[-1]
    ax.set_title(
        f"{_labels([worst['theme']], labels)[0]}对满意度伤害最大：出现时满意度低{-worst['effect']:.2f}分",
        loc="left",
    )
    ax.set_xlabel("调整后效应（满意度分，95%置信区间；灰色 = 不显著）")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_monthly_trend(df: pd.DataFrame, *, keys, labels: dict[str, str] | None = None, top: int = 4, ax=None):
    """Monthly share of complaints for the most frequent themes; the title names the biggest riser.

    ``df`` has a ``month`` column ("2024-03") and 0/1 ``theme_<key>`` columns.
    """
    ax = _axes(ax, size=(9, 5))
    if "month" not in df or df["month"].isna().all():
        ax.text(0.5, 0.5, "无日期数据，无法显示趋势", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    monthly = monthly_theme_shares(df, keys)
    chosen = monthly.mean().sort_values(ascending=False).index[:top]
    spike = biggest_spike(monthly)
    half = len(monthly) // 2
    rise = (monthly.iloc[half:].mean() - monthly.iloc[:half].mean()) if half else monthly.iloc[0] * 0
    focus = spike["theme"] if spike else rise.idxmax()
    shown = list(dict.fromkeys([*chosen, focus]))
    x = np.arange(len(monthly))
    for key in shown:
        ax.plot(x, monthly[key], marker="o", ms=3, lw=2.4 if key == focus else 1.2,
                label=_labels([key], labels)[0], color=_RED if key == focus else None)
    step = max(1, len(monthly) // 12)
    ax.set_xticks(x[::step], monthly.index[::step], rotation=45, ha="right")
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.legend(frameon=False, ncol=min(len(shown), 5), loc="upper left", fontsize=9)
    name = _labels([focus], labels)[0]
    if spike:
        ax.annotate(f"{spike['month']}", (list(monthly.index).index(spike["month"]), spike["share"]),
                    textcoords="offset points", xytext=(8, 0), color=_RED, fontsize=9)
        title = f"{name}在{spike['month']}激增：占当月投诉{spike['share']:.0%}（平时约{spike['usual']:.0%}）"
    elif half and rise[focus] > 0:
        before, after = monthly[focus].iloc[:half].mean(), monthly[focus].iloc[half:].mean()
        title = f"{name}占比上升最多：由前半期{before:.0%}升至后半期{after:.0%}"
    else:
        title = "各主题月度占比"
    ax.set_title(title, loc="left")
    ax.set_ylabel("当月投诉中的占比")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def monthly_theme_shares(df: pd.DataFrame, keys) -> pd.DataFrame:
    """Share of each month's complaints that carry each theme (rows: months, columns: keys)."""
    monthly = df.groupby("month")[[f"theme_{k}" for k in keys]].mean().sort_index()
    monthly.columns = list(keys)
    return monthly


def biggest_spike(monthly: pd.DataFrame, *, ratio: float = 2.0, min_share: float = 0.05) -> dict | None:
    """The month where a theme's share most exceeds its usual (median) share, if ≥ ``ratio`` times it."""
    if len(monthly) < 6:
        return None
    usual = monthly.median()
    lift = monthly / usual.where(usual > 0)
    lift = lift.where(monthly >= min_share)
    if lift.isna().all().all() or lift.max().max() < ratio:
        return None
    theme = lift.max().idxmax()
    month = lift[theme].idxmax()
    return {"theme": theme, "month": month, "share": float(monthly.loc[month, theme]), "usual": float(usual[theme])}


def save_figure(ax, path_stem, *, dpi: int = 200) -> list[str]:
    """Save the Axes' figure as PNG (``dpi``) and SVG next to each other; returns the paths."""
    fig = ax.figure
    paths = []
    for ext in ("png", "svg"):
        path = f"{path_stem}.{ext}"
        fig.savefig(path, dpi=dpi)
        paths.append(path)
    plt.close(fig)
    return paths
