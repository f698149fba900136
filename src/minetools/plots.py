"""Charts for managers: each ``plot_*(…, *, ax=None, lang="zh") -> Axes``; titles state the finding.

Functions take the tables the pipeline writes (``themes.csv``, ``drivers.csv``,
``drivers_segments.csv``, ``drivers_change.csv``, ``complaints.parquet``) and
never call ``plt.show()``.  Every chart

* draws its text in Chinese (``lang="zh"``, the default) or English
  (``lang="en"``; any other value raises ``ValueError``), with the font
  resolved by :func:`minetools.fonts.use_cjk_font` (it covers both, and the
  Chinese data — branch names, words — shown in an English chart);
* puts the finding computed from the data in its title, e.g.
  "排队等候最常见：31%的投诉提到（310件）" or, in English,
  "Queuing and waiting is the most common: 31% of complaints mention it (310)";
  Chinese titles wrap by character, English ones at spaces;
* draws a placeholder message (in the chart's language) instead of raising
  when there is nothing to show (no rows, one theme, all NaN).

Theme keys are shown by their labels: ``labels`` (key → label, in the chart's
language) first, then :data:`minetools.drivers.DRIVER_LABELS_ZH` (or
``DRIVER_LABELS_EN``), then the bundled taxonomy's ``label_zh`` (or ``label_en``).

Colours: red = lowers satisfaction / needs attention, blue = the opposite,
grey = not significant or not enough data; heatmaps use the colour-blind-safe
diverging map ``RdBu``.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache

import matplotlib
import matplotlib.colors
import matplotlib.patches
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from minetools.fonts import resolve_cjk_font, use_cjk_font

__all__ = [
    "plot_theme_shares",
    "plot_monthly_trends",
    "plot_drivers",
    "plot_priority_matrix",
    "plot_cooccurrence",
    "plot_segment_heatmap",
    "plot_theme_wordcloud",
    "plot_change_waterfall",
    "plot_handling_time",
    "monthly_theme_shares",
    "rising_themes",
    "theme_cooccurrence",
    "save_figure",
]

_RED, _GREY, _BLUE = "#c0392b", "#b3b3b3", "#2e6da4"
_DARK = "#333333"
_DIVERGING = "RdBu"  # colour-blind safe; red = low (damaging), blue = high


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _axes(ax, size=(8, 5)):
    use_cjk_font()
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


_LANGS = ("zh", "en")


def _check_lang(lang) -> str:
    """``lang`` if it is a language the charts speak ("zh" or "en"), else ``ValueError``."""
    if lang not in _LANGS:
        raise ValueError(f"lang must be one of {', '.join(repr(x) for x in _LANGS)}; got {lang!r}")
    return lang


def _tr(lang: str, zh: str, en: str) -> str:
    """The Chinese or the English text, by ``lang``."""
    return en if lang == "en" else zh


@lru_cache(maxsize=len(_LANGS))
def _default_labels(lang: str = "zh") -> dict[str, str]:
    """Labels (Chinese or English) of the extra drivers and the bundled taxonomy's themes."""
    from minetools.drivers import DRIVER_LABELS_EN, DRIVER_LABELS_ZH

    found = dict(DRIVER_LABELS_EN if lang == "en" else DRIVER_LABELS_ZH)
    try:
        from minetools.taxonomy import load_taxonomy

        found.update({t.key: t.label_en if lang == "en" else t.label_zh for t in load_taxonomy().themes})
    except (OSError, ValueError):  # a broken bundled file must not stop a chart
        pass
    return found


def _label(key, labels=None, lang: str = "zh") -> str:
    if labels and key in labels:
        return str(labels[key])
    return _default_labels(lang).get(key, str(key))


def _labels(keys, labels, lang: str = "zh"):
    return [_label(k, labels, lang) for k in keys]


def _placeholder(ax, message: str, *, title: str | None = None):
    """Draw ``message`` in the middle of an empty Axes (the "nothing to show" chart)."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=13, color=_DARK)
    ax.set_axis_off()
    if title:
        ax.set_title(title, loc="left")
    return ax


def _numeric(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[col], errors="coerce").astype(float)


def _flag(frame: pd.DataFrame, col: str, default: bool) -> pd.Series:
    """A boolean column that may have been read back from CSV ("True"/"False") or be absent."""
    if col not in frame:
        return pd.Series(default, index=frame.index, dtype=bool)
    values = frame[col]
    if values.dtype == object or str(values.dtype) in ("string", "str"):
        values = values.astype("string").str.strip().str.lower().map({"true": True, "false": False, "1": True,
                                                                      "0": False})
    return values.astype("boolean").fillna(default).astype(bool)


def _is_binary(table: pd.DataFrame) -> bool:
    """Whether a driver table comes from a binary (satisfied / not) outcome: effects in percentage points."""
    if "odds_ratio" in table or table.attrs.get("outcome") == "binary":
        return True
    means = pd.concat([_numeric(table, "mean_with"), _numeric(table, "mean_without")]).dropna()
    effects = _numeric(table, "effect").abs().dropna()
    # shares satisfied lie in [0, 1] while percentage-point effects exceed 1 (tables read back from CSV)
    return bool(len(means) and means.between(0, 1).all() and len(effects) and effects.max() > 1)


def _unit(binary: bool, lang: str = "zh") -> str:
    if lang == "en":
        return "percentage points" if binary else "points"
    return "个百分点" if binary else "分"


def _shorten(text: str, width: int) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrap(text: str, width: int) -> str:
    """Wrap a Chinese string (no spaces to break at) every ``width`` characters."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False)) or text


def _text_width(text: str, fontsize: float) -> float:
    """Rough width in points: a Chinese character is 1 em, a Latin one about 0.55 em."""
    return sum(fontsize if ord(c) > 0x2E7F else 0.58 * fontsize for c in text)


def _measured_width(text: str, fontsize: float) -> float:
    """Width in points of ``text`` drawn in the current font (falls back on the :func:`_text_width` estimate)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    try:
        return float(text_to_path.get_text_width_height_descent(text, FontProperties(size=fontsize), ismath=False)[0])
    except (RuntimeError, ValueError, OSError):
        return _text_width(text, fontsize)


def _wrap_words(text: str, avail: float, fontsize: float) -> str:
    """Wrap English text at spaces so that each line is at most ``avail`` points wide (measured in the font).

    Words are never split, except a single "word" wider than a whole line (a long
    run of Chinese data without spaces), which is broken by character.
    """
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}" if line else word
            if line and _measured_width(trial, fontsize) > avail:
                lines.append(line)
                trial = word
            line = trial
            while len(line) > 1 and _measured_width(line, fontsize) > avail:
                cut = len(line) - 1
                while cut > 1 and _measured_width(line[:cut], fontsize) > avail:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return "\n".join(x for x in lines if x)


def _fit_title(ax, text: str, *, fontsize: float = 12.0, lang: str = "zh", **kw):
    """Set a left-aligned title, wrapped to fit the figure.

    Chinese (``lang="zh"``) wraps by character, preferably after Chinese
    punctuation; English (``lang="en"``) wraps at spaces (see :func:`_wrap_words`).
    """
    fig = ax.figure
    fig.draw_without_rendering()  # run the layout so the Axes has its final position
    box = ax.get_position()
    # 10% slack: the title itself takes height, and Axes with a fixed aspect then get narrower
    avail = (min((1.0 - box.x0) * fig.get_figwidth(), box.width * fig.get_figwidth() * 1.35) * 72 - 12) * 0.9
    if lang == "en":
        ax.set_title(_wrap_words(text, avail, fontsize), loc="left", fontsize=fontsize, **kw)
        return
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for char in paragraph:
            line += char
            if _text_width(line, fontsize) > avail:
                cut = max(line.rfind(p) for p in "，：；、（")
                cut = cut + 1 if cut >= len(line) // 2 else len(line) - 1
                if line[cut - 1:cut] == "（":
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    ax.set_title("\n".join(x for x in lines if x), loc="left", fontsize=fontsize, **kw)


def _tidy(ax):
    ax.spines[["top", "right"]].set_visible(False)
    return ax


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
    en = _check_lang(lang) == "en"
    ax = _axes(ax)
    data = themes.copy()
    if not {"n", "share"} <= set(data.columns):
        return _placeholder(ax, _tr(lang, "无主题数据（缺少 n / share 列）", "No theme data (columns n / share missing)"))
    data["n"], data["share"] = _numeric(data, "n"), _numeric(data, "share")
    data = data[(data["n"] > 0) & data["share"].notna()]
    if "status" in data:
        data = data[data["status"] == "taxonomy"]
    if data.empty:
        return _placeholder(ax, _tr(lang, "无主题数据：没有投诉被归入任何主题",
                                    "No theme data: no complaint was assigned to a theme"))
    data = data.sort_values("share")
    if labels and "key" in data:
        names = _labels(data["key"], labels, lang)
    elif en and "label_en" in data:
        names = data["label_en"].astype(str).tolist()
    elif en and "key" in data:
        names = _labels(data["key"], labels, lang)
    elif "label_zh" in data:
        names = data["label_zh"].astype(str).tolist()
    elif "label" in data:
        names = data["label"].astype(str).tolist()
    else:
        names = _labels(data["key"], labels, lang)
    y = np.arange(len(data))
    ax.barh(y, data["share"], color=_BLUE)
    ax.set_yticks(y, names)
    for yy, (share, n) in enumerate(zip(data["share"], data["n"])):
        ax.text(share, yy, _tr(lang, f" {share:.0%}（{int(n):,}件）", f" {share:.0%} ({int(n):,})"), va="center",
                fontsize=9)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, max(data["share"].max() * 1.3, 0.05))
    top = data.iloc[-1]
    ax.set_xlabel(_tr(lang, "占有效投诉的比例（一件投诉可涉及多个主题）",
                      "Share of valid complaints (a complaint can mention several themes)"))
    _tidy(ax)
    if en:
        title = f"{names[-1]} is the most common: {top['share']:.0%} of complaints mention it ({int(top['n']):,})"
    else:
        title = f"{names[-1]}最常见：{top['share']:.0%}的投诉提到（{int(top['n']):,}件）"
    _fit_title(ax, title, lang=lang)
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
    X = np.column_stack([_numeric(data, f"theme_{k}").fillna(0).to_numpy() for k in keys]) if len(data) else \
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
    en = _check_lang(lang) == "en"
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
        fig.suptitle(_tr(lang, "各主题月度占比", "Monthly share of each theme"), x=0.02, ha="left")
        return _placeholder(ax, msg)
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
    x = np.arange(len(monthly))
    for i, key in enumerate(monthly.columns):
        ax = axes[i]
        up = bool(trend.loc[key, "rising"])
        if len(x) > recent:
            ax.axvspan(len(x) - recent - 0.5, len(x) - 0.5, color="#f2f2f2", zorder=0)
        ax.plot(x, monthly[key], marker="o", ms=2.5, lw=2.2 if up else 1.3, color=_RED if up else _BLUE)
        name = _label(key, labels, lang) + (" ↑" if up else "")
        shares = ""
        if np.isfinite(trend.loc[key, "recent"]) and np.isfinite(trend.loc[key, "earlier"]):
            shares = f"{trend.loc[key, 'earlier']:.0%}→{trend.loc[key, 'recent']:.0%}"
            ax.set_title(shares, loc="right", fontsize=8.5, color=_RED if up else "#666666")
        # a long name goes on two lines rather than run into the shares on the right
        room = fig.get_figwidth() * 72 / ncols * 0.82 - _measured_width(shares, 8.5) - 8
        if _measured_width(name, 10.5) > room:
            name = _wrap_words(name, room, 10.5) if en else _wrap(name, max(2, int(room // 10.5)))
        ax.set_title(name, loc="left", fontsize=10.5, color=_RED if up else _DARK)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        ax.set_xticks([0, len(x) - 1] if len(x) > 1 else [0],
                      [monthly.index[0], monthly.index[-1]] if len(x) > 1 else [monthly.index[0]], fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.tick_params(axis="x", labelbottom=True)
        _tidy(ax)
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    axes[0].set_ylim(0, max(float(np.nanmax(monthly.to_numpy())) * 1.25, 0.05))
    if en:
        fig.supylabel("Share of the month's complaints", fontsize=10)
        width = fig.get_figwidth() * 72 - 24  # points
        fig.supxlabel(_wrap_words(f"Grey = last {recent} months; top right = earlier share → share in the last "
                                  f"{recent} months; red line and ↑ = clear rise (at least 3 percentage points and "
                                  "1.25×, and statistically significant)", width, 8.5),
                      fontsize=8.5, color="#555555")
    else:
        fig.supylabel("当月投诉中的占比", fontsize=10)
        note = (f"灰底 = 最近{recent}个月；右上角 = 此前占比→近{recent}个月占比；红线与↑ = 明显上升"
                "（至少高3个百分点、1.25倍，且统计显著）")
        width = fig.get_figwidth() * 72 - 24
        if _text_width(note, 8.5) > width:  # one or two panels: wrap rather than run off the figure
            note = _wrap(note, int(width // 8.5))
        fig.supxlabel(note, fontsize=8.5, color="#555555")
    flagged = trend[trend["rising"]]
    if not flagged.empty:
        top = flagged.index[0]
        earlier, later = flagged.loc[top, "earlier"], flagged.loc[top, "recent"]
        if en:
            more = "" if len(flagged) == 1 else \
                f" (and {len(flagged) - 1} other theme{'s' if len(flagged) > 2 else ''})"
            title = (f'"{_label(top, labels, lang)}"{more} rose clearly in the last {recent} months: its share went '
                     f"from {earlier:.0%} to {later:.0%}")
        else:
            more = f"等{len(flagged)}个主题" if len(flagged) > 1 else ""
            title = f"「{_label(top, labels)}」{more}近{recent}个月明显上升：占比由{earlier:.0%}升至{later:.0%}"
    elif len(monthly) < recent + 3:
        title = _tr(lang, f"各主题月度占比（只有{len(monthly)}个月，不足以判断上升）",
                    f"Monthly share of each theme (only {len(monthly)} months: too few to judge a rise)")
    else:
        top = trend.index[0]
        rise = trend.loc[top, "rise"] * 100
        title = _tr(lang, f"近{recent}个月没有主题明显上升（变化最大：「{_label(top, labels)}」{rise:+.1f}个百分点）",
                    f'No theme rose clearly in the last {recent} months (largest change: '
                    f'"{_label(top, labels, lang)}" {rise:+.1f} percentage points)')
    width = fig.get_figwidth() * 72 * 0.96 - 12
    if en:
        title = _wrap_words(title, width, 12)
    elif _text_width(title, 12) > width:
        title = _wrap(title, int(width // 12))
    fig.suptitle(title, x=0.02, ha="left", fontsize=12)
    return axes[0]


# ---------------------------------------------------------------------------
# 3. drivers (diverging bars)
# ---------------------------------------------------------------------------


def _driver_rows(drivers: pd.DataFrame) -> pd.DataFrame:
    """Rows of a driver table that can be charted: finite effect, not a per-unit (numeric) driver."""
    data = drivers.copy()
    for col in ("effect", "effect_ci_low", "effect_ci_high", "prevalence", "impact"):
        data[col] = _numeric(data, col)
    data = data[data["effect"].notna()]
    if "driver_type" in data:
        data = data[data["driver_type"].astype(str) != "numeric"]  # per-unit effects are not comparable
    data["significant"] = _flag(data, "significant", False)
    data["ranked"] = _flag(data, "ranked", True)
    return data


def plot_drivers(drivers: pd.DataFrame, *, labels: dict[str, str] | None = None, ax=None, lang: str = "zh"):
    """Diverging bars of each theme's adjusted effect on satisfaction with 95% CIs.

    ``drivers`` is the table of :func:`minetools.drivers.analyze_drivers`
    (``drivers.csv``).  Significant effects are drawn in colour (red = lowers
    satisfaction), non-significant ones in grey; rows with ``ranked == False``
    (too few complaints) are grey and marked "（样本少）"; numeric drivers
    (per-unit effects such as handling days) are left out.  A binary outcome
    (``odds_ratio`` column present) is labelled in percentage points.
    Title: the most damaging ranked theme.  ``lang="en"`` draws it in English
    (unranked rows marked " (few cases)").
    """
    en = _check_lang(lang) == "en"
    data = _driver_rows(drivers)
    ax = _axes(ax, size=(8, max(3.0, 0.42 * len(data) + 1.6)))
    if data.empty:
        return _placeholder(ax, _tr(lang, "无满意度数据，未做驱动分析", "No satisfaction data: no driver analysis"))
    binary = _is_binary(drivers)
    unit = _unit(binary, lang)
    data = data.sort_values("effect", ascending=False)
    few = _tr(lang, "（样本少）", " (few cases)")
    names = [f"{n}{few}" if not r else n for n, r in zip(_labels(data["theme"], labels, lang), data["ranked"])]
    colors = [(_RED if e < 0 else _BLUE) if s and r else _GREY
              for e, s, r in zip(data["effect"], data["significant"], data["ranked"])]
    low = data["effect_ci_low"].fillna(data["effect"])
    high = data["effect_ci_high"].fillna(data["effect"])
    err = np.vstack([data["effect"] - low, high - data["effect"]]).clip(min=0)
    y = np.arange(len(data))
    ax.barh(y, data["effect"], color=colors, xerr=err, error_kw={"ecolor": "#555", "capsize": 3, "lw": 1})
    ax.set_yticks(y, names)
    for tick, ranked in zip(ax.get_yticklabels(), data["ranked"]):
        if not ranked:
            tick.set_color("#777777")
    ax.axvline(0, color="black", lw=0.8)
    ranked = data[data["ranked"]]
    worst = ranked.iloc[-1] if not ranked.empty else None
    min_n = drivers.attrs.get("min_n")
    if en:
        if worst is None:
            title = "Too few cases to rank the themes"
        elif worst["effect"] < 0 and worst["significant"]:
            what = "share satisfied " if binary else ""
            title = (f"{_label(worst['theme'], labels, lang)} hurts satisfaction most: {what}"
                     f"{-worst['effect']:.{1 if binary else 2}f} {unit} lower when present")
        else:
            title = "No theme significantly lowers satisfaction"
        scale = "share satisfied, percentage points" if binary else "satisfaction, points"
        small = f"or under {min_n} cases" if min_n else "or few cases"
        ax.set_xlabel(f"Adjusted effect ({scale}; 95% confidence interval)\n"
                      f"red = significantly lowers satisfaction;\ngrey = not significant {small} (not ranked)")
    else:
        if worst is None:
            title = "样本太少，未能为主题排名"
        elif worst["effect"] < 0 and worst["significant"]:
            what = "满意比例" if binary else "满意度"
            drop = f"{-worst['effect']:.{1 if binary else 2}f}"
            title = f"{_label(worst['theme'], labels)}对满意度伤害最大：出现时{what}低{drop}{unit}"
        else:
            title = "没有主题显著拉低满意度"
        scale = "满意比例，百分点" if binary else "满意度，分"
        small = f"或样本少于{min_n}件" if min_n else "或样本少"
        ax.set_xlabel(f"调整后效应（{scale}；95%置信区间）\n红 = 显著拉低满意度，灰 = 不显著{small}（未排名）")
    _tidy(ax)
    _fit_title(ax, title, lang=lang)
    return ax


# ---------------------------------------------------------------------------
# 4. priority matrix
# ---------------------------------------------------------------------------


def _place_labels(ax, xs, ys, radii_pt, texts, *, fontsize=9, width=_text_width):
    """Label each bubble so that labels overlap neither each other nor other bubbles (greedy, in points).

    Candidate positions are tried right, left, above and below the bubble, then
    further up/down on either side; the first one that stays inside the Axes
    and overlaps no placed label and no other bubble wins (else the one with
    the least overlap).  Labels of long names may still touch on very crowded charts.
    ``width(text, fontsize)`` gives a label's width in points (English labels are measured in the font).
    """
    fig = ax.figure
    fig.draw_without_rendering()  # run the layout so the Axes has its final size
    to_pt = 72.0 / fig.dpi
    pts = ax.transData.transform(np.column_stack([xs, ys])) * to_pt
    frame = ax.get_window_extent()
    x0, y0, x1, y1 = frame.x0 * to_pt, frame.y0 * to_pt, frame.x1 * to_pt, frame.y1 * to_pt
    bubbles = [(px - r, py - r, px + r, py + r) for (px, py), r in zip(pts, radii_pt)]

    def overlap(a, b):
        return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))

    placed = []
    for i in np.argsort(-np.asarray(radii_pt)):  # big bubbles first
        text = texts[i]
        w, h, r = width(text, fontsize) + 2, fontsize * 1.3, radii_pt[i] + 2
        candidates = [(r, -h / 2), (-r - w, -h / 2), (-w / 2, r), (-w / 2, -r - h)]
        candidates += [(side, -h / 2 + s * k * h * 0.8) for k in range(1, 7) for s in (1, -1)
                       for side in (r * 0.7, -r * 0.7 - w)]
        px, py = pts[i]
        best = None
        for dx, dy in candidates:
            box = (px + dx, py + dy, px + dx + w, py + dy + h)
            cost = sum(overlap(box, b) for b in placed)
            cost += sum(overlap(box, b) for j, b in enumerate(bubbles) if j != i) * 0.5
            cost += 0 if (box[0] >= x0 and box[2] <= x1 and box[1] >= y0 and box[3] <= y1) else w * h
            if best is None or cost < best[0]:
                best = (cost, dx, dy, box)
            if cost == 0:
                break
        _, dx, dy, box = best
        placed.append(box)
        far = abs(dy + h / 2) > h and abs(dx) < r  # moved off the bubble's side: draw a leader line
        ax.annotate(text, (xs[i], ys[i]), xytext=(dx, dy), textcoords="offset points", ha="left", va="bottom",
                    fontsize=fontsize, color=_DARK, annotation_clip=False,
                    arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.6, "shrinkA": 0, "shrinkB": 2}
                    if far else None)


_QUADRANTS_EN = {"优先改进": "Fix first", "重点关注": "Watch closely", "持续观察": "Keep monitoring", "次要": "Minor"}


def plot_priority_matrix(drivers: pd.DataFrame, *, labels: dict[str, str] | None = None, ax=None,
                         lang: str = "zh"):
    """Where to act first: how common each theme is against how much it hurts.

    x = prevalence (share of complaints with the theme); y = damage, the
    adjusted effect **flipped** so that worse is up (``-effect``: how much
    satisfaction falls when the theme is present).  Bubble area ∝ |impact|
    (prevalence × gap, the theme's pull on the overall mean).  Dashed lines
    cut at the median prevalence and at the median damage of the ranked
    themes, never below 0 (so a theme that does not lower satisfaction is
    never "damaging").  Quadrants: 优先改进 (frequent & damaging, top right),
    重点关注 (rare but damaging), 持续观察 (frequent, mild), 次要 (rare, mild).
    Non-significant or unranked themes are hollow grey bubbles.  Numeric
    drivers are left out.  Title: the significant themes in 优先改进.
    ``lang="en"`` draws it in English; the quadrants are then "Fix first",
    "Watch closely", "Keep monitoring" and "Minor".
    """
    en = _check_lang(lang) == "en"
    data = _driver_rows(drivers)
    data = data[data["prevalence"].notna()]
    ax = _axes(ax, size=(8.5, 6))
    if data.empty:
        return _placeholder(ax, _tr(lang, "无满意度数据，无法确定优先级", "No satisfaction data: cannot set priorities"))
    binary = _is_binary(drivers)
    unit = _unit(binary, lang)
    data = data.assign(damage=-data["effect"], names=_labels(data["theme"], labels, lang))
    basis = data[data["ranked"]] if data["ranked"].any() else data
    x_cut = float(basis["prevalence"].median())
    y_cut = max(float(basis["damage"].median()), 0.0)
    strong = data["significant"] & data["ranked"]
    frequent, damaging = data["prevalence"] >= x_cut, (data["damage"] >= y_cut) & (data["damage"] > 0)
    impact = data["impact"].abs().fillna(0)
    area = 60 + 1800 * impact / impact.max() if impact.max() > 0 else pd.Series(300.0, index=data.index)
    rgba = matplotlib.colors.to_rgba
    face = [rgba(_RED if d else _BLUE, 0.75) if s else (1, 1, 1, 0) for d, s in zip(damaging, strong)]
    edge = [rgba(_RED if d else _BLUE, 0.9) if s else rgba("#888888") for d, s in zip(damaging, strong)]
    ax.scatter(data["prevalence"], data["damage"], s=area, facecolors=face, edgecolors=edge, linewidths=1.4,
               zorder=3)
    xs, ys = data["prevalence"].to_numpy(), data["damage"].to_numpy()
    xpad = max(np.ptp(np.append(xs, x_cut)) * 0.2, 0.02)
    ypad = max(np.ptp(np.append(ys, [y_cut, 0])) * 0.2, 0.05)
    ax.set_xlim(max(0, min(xs.min(), x_cut) - xpad), max(xs.max(), x_cut) + xpad * 1.6)
    ax.set_ylim(min(ys.min(), y_cut, 0) - ypad, max(ys.max(), y_cut) + ypad)
    ax.axvline(x_cut, color="#888888", ls="--", lw=0.9, zorder=1)
    ax.axhline(y_cut, color="#888888", ls="--", lw=0.9, zorder=1)
    if y_cut > 0:
        ax.axhline(0, color="#cccccc", lw=0.7, zorder=1)
    corners = {"优先改进": (0.98, 0.97, "right", "top", _RED), "重点关注": (0.02, 0.97, "left", "top", "#a05a00"),
               "持续观察": (0.98, 0.03, "right", "bottom", "#666666"), "次要": (0.02, 0.03, "left", "bottom", "#999999")}
    for text, (cx, cy, ha, va, color) in corners.items():
        ax.text(cx, cy, _QUADRANTS_EN[text] if en else text, transform=ax.transAxes, ha=ha, va=va, fontsize=12,
                fontweight="bold", color=color, alpha=0.55, zorder=2)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    priority = data[frequent & damaging & strong].sort_values("impact")
    worst = data[strong].sort_values("effect")
    covariates = drivers.attrs.get("covariates", [])
    if en:
        ax.set_xlabel(f"How common (share of complaints; dashed line = median {x_cut:.0%})")
        what = "share satisfied" if binary else "satisfaction"
        ax.set_ylabel(f"Damage: drop in {what} when present\n({unit}; higher = worse)")
        if not priority.empty:
            quoted = [f'"{n}"' for n in priority["names"].head(3)]
            names = ", ".join(quoted[:-1]) + " and " + quoted[-1] if len(quoted) > 1 else quoted[0]
            names += " and others" if len(priority) > 3 else ""
            verb = "is common and significantly lowers" if len(priority) == 1 else \
                "are common and significantly lower"
            title = f"Fix first: {names}, which {verb} satisfaction"
        else:
            title = "No theme is both common and a significant drag on satisfaction" + (
                f' (most damaging: "{worst["names"].iloc[0]}")' if not worst.empty and worst["effect"].iloc[0] < 0
                else "")
        cov_names = {"branch": "branch", "channel": "channel", "month": "month", "customer_type": "customer type"}
        held = ", ".join(["other themes", *[cov_names.get(c, c) for c in covariates]])
        note = _wrap_words(f"Vertical axis = adjusted effect (controlling for {held}); dashed lines = medians (the "
                           "horizontal one never below 0);\nbubble area = pull on overall satisfaction; filled = "
                           "significant, hollow grey = not significant or few cases",
                           ax.figure.get_figwidth() * 72 * 0.85, 8)
    else:
        ax.set_xlabel(f"出现频率（占投诉的比例；虚线 = 中位数 {x_cut:.0%}）")
        what = "满意比例" if binary else "满意度"
        ax.set_ylabel(f"伤害程度：出现时{what}降低多少{unit.lstrip('个')}（越高越严重）")
        if not priority.empty:
            names = "".join(f"「{n}」" for n in priority["names"].head(3))
            more = "等" if len(priority) > 3 else ""
            title = f"优先改进{names}{more}：常见且显著拉低满意度"
        else:
            title = "没有既常见又显著拉低满意度的主题" + (
                f"（伤害最大：「{worst['names'].iloc[0]}」）" if not worst.empty and worst["effect"].iloc[0] < 0 else "")
        cov_names = {"branch": "网点", "channel": "渠道", "month": "月份", "customer_type": "客户类型"}
        held = "、".join(["其他主题", *[cov_names.get(c, c) for c in covariates]])
        note = (f"纵轴为调整后效应（已控制{held}）；横、纵虚线 = 中位数（纵轴不低于0）；\n"
                "气泡面积 = 对总体满意度的影响；实心 = 显著，空心灰 = 不显著或样本少")
    ax.text(1.0, -0.11, note, transform=ax.transAxes, ha="right", va="top", fontsize=8, color="#555555")
    _tidy(ax)
    _fit_title(ax, title, lang=lang)
    radii = np.sqrt(area.to_numpy() / np.pi)  # scatter sizes are areas in points²
    _place_labels(ax, xs, ys, radii, list(data["names"]), width=_measured_width if en else _text_width)
    return ax


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
    X = np.column_stack([_numeric(df, f"theme_{k}").fillna(0).clip(0, 1).to_numpy() for k in keys]) if keys \
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
    en = _check_lang(lang) == "en"
    keys = [k for k in keys if f"theme_{k}" in df]
    lift, joint = theme_cooccurrence(df, keys)
    seen = [k for k in keys if joint.loc[k, k] > 0]
    order = sorted(seen, key=lambda k: -joint.loc[k, k])
    names = [_tr(lang, f"{_label(k, labels)}（{joint.loc[k, k]:,}）", f"{_label(k, labels, lang)} ({joint.loc[k, k]:,})")
             for k in order]
    # English labels are longer than the Chinese ones the base size allows for (about 1.4 in)
    extra = max([0.0, *[_text_width(n, 10) / 72 - 1.4 for n in names]]) if en else 0.0
    ax = _axes(ax, size=(max(6.0, 0.75 * len(order) + 3.2 + extra), max(4.5, 0.6 * len(order) + 2.2 + extra)))
    if len(order) < 2:
        return _placeholder(ax, _tr(lang, "出现过的主题少于两个，无法计算共现",
                                    "Fewer than two themes occur: cannot compute co-occurrence"))
    L, J = lift.loc[order, order].to_numpy(), joint.loc[order, order].to_numpy()
    with np.errstate(divide="ignore"):
        logl = np.log2(L)
    off = ~np.eye(len(order), dtype=bool)
    finite = np.isfinite(logl) & off
    vmax = float(np.clip(np.abs(logl[finite]).max() if finite.any() else 1.0, 1.0, 3.0))
    shown = np.ma.masked_array(np.clip(np.nan_to_num(logl, nan=0.0, neginf=-vmax), -vmax, vmax), mask=~off)
    cmap = matplotlib.colormaps[_DIVERGING + "_r"].with_extremes(bad="white")
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
                    color="white" if abs(shown[i, j]) > 0.6 * vmax else _DARK)
    ticks = [t for t in (-3, -2, -1, 0, 1, 2, 3) if abs(t) <= vmax]
    bar = ax.figure.colorbar(image, ax=ax, ticks=ticks, shrink=0.85)
    bar.ax.set_yticklabels([f"{2.0 ** t:g}×" for t in ticks])
    bar.set_label(_tr(lang, "共现倍数（同时出现 ÷ 随机预期）", "Lift (seen together ÷ expected by chance)"))
    ax.set_xlabel(_tr(lang, "格中数字 = 同时出现的比例是随机预期的几倍\n>1 常一起出现，<1 较少一起出现；括号内为件数",
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
        a, b = _label(order[i], labels, lang), _label(order[j], labels, lang)
        if en and best >= min_lift:
            title = f'"{a}" and "{b}" go together most: {best:.1f} times as often as by chance ({J[i, j]:,} complaints)'
        elif en:
            title = f'No clear pairs of themes (highest: "{a}" and "{b}", {best:.1f} times as often as by chance)'
        elif best >= min_lift:
            title = f"「{a}」与「{b}」最常一起出现：是随机预期的{best:.1f}倍（{J[i, j]:,}件）"
        else:
            title = f"主题之间没有明显的搭配（最高为「{a}」与「{b}」，{best:.1f}倍）"
    else:
        title = _tr(lang, f"各主题很少同时出现（没有组合达到{min_count}件）",
                    f"Themes rarely occur together (no pair reaches {min_count} complaints)")
    _fit_title(ax, title, lang=lang)
    return ax


# ---------------------------------------------------------------------------
# 6. segment heatmap
# ---------------------------------------------------------------------------

_VALUE_NAMES = {"effect": "调整后效应", "impact": "对总体满意度的影响", "prevalence": "出现频率",
                "mean_with": "提到该主题时的满意度", "mean_without": "未提到该主题时的满意度"}
_VALUE_NAMES_EN = {"effect": "Adjusted effect", "impact": "Pull on overall satisfaction", "prevalence": "How common",
                   "mean_with": "Satisfaction when the theme is mentioned",
                   "mean_without": "Satisfaction when it is not mentioned"}
_SEGMENT_NAMES = {"branch": "网点", "channel": "渠道", "customer_type": "客户类型"}
_SEGMENT_NAMES_EN = {"branch": "branch", "channel": "channel", "customer_type": "customer type"}


def plot_segment_heatmap(segments: pd.DataFrame, *, labels: dict[str, str] | None = None, ax=None,
                         segment_col: str = "branch", value: str = "effect", min_n: int | None = None,
                         max_segments: int = 25, lang: str = "zh"):
    """Segment × theme heatmap from :func:`minetools.drivers.compare_segments` (``drivers_segments.csv``).

    Rows are the segments of ``segment_col`` (largest first, at most
    ``max_segments``), columns the themes (most damaging overall first), cells
    ``value`` annotated (``*`` = significant).  Masked cells (too few
    complaints, ``masked == True``) carry no colour — the image is a masked
    array there — and are hatched, with the legend note
    "样本不足 (<min_n) 已隐藏" (``min_n`` read from ``mask_reason`` if not given).
    Effects and impacts use the diverging map centred at 0 (red = lowers
    satisfaction); prevalence a sequential one.  Title: the worst cell
    (lowest effect/impact/satisfaction, or highest prevalence).  ``lang="en"``
    draws it in English (segment names are data and are shown as given).
    """
    en = _check_lang(lang) == "en"
    data = segments.copy()
    if "segment_col" in data and len(data):
        present = list(dict.fromkeys(data["segment_col"].astype(str)))
        if segment_col not in present and len(present) == 1:
            segment_col = present[0]  # the table holds one segmentation: name it by what it is
        data = data[data["segment_col"].astype(str) == segment_col]
    if value not in data or not {"segment", "theme"} <= set(data.columns):
        ax = _axes(ax)
        return _placeholder(ax, _tr(lang, f"无分组数据（缺少 segment / theme / {value} 列）",
                                    f"No segment data (columns segment / theme / {value} missing)"))
    data["masked"] = _flag(data, "masked", False)
    data["significant"] = _flag(data, "significant", False)
    data[value] = _numeric(data, value)
    data["segment"] = data["segment"].astype(str)
    segs = list(dict.fromkeys(data["segment"]))[:max_segments]
    data = data[data["segment"].isin(segs)]
    grid = data.pivot_table(index="segment", columns="theme", values=value, aggfunc="first", dropna=False)
    grid = grid.reindex(index=segs)
    higher_is_worse = value in ("prevalence", "n")
    order = grid.mean().sort_values(ascending=not higher_is_worse).index.tolist()
    order += [t for t in dict.fromkeys(data["theme"]) if t not in order]
    grid = grid.reindex(columns=order)
    masked = data.pivot_table(index="segment", columns="theme", values="masked", aggfunc="any")
    masked = masked.reindex(index=segs, columns=order).fillna(True).astype(bool).to_numpy()
    sig = data.pivot_table(index="segment", columns="theme", values="significant", aggfunc="any")
    sig = sig.reindex(index=segs, columns=order).fillna(False).astype(bool).to_numpy()
    values = grid.to_numpy(dtype=float)
    blank = masked | ~np.isfinite(values)
    ax = _axes(ax, size=(max(6.5, 0.95 * len(order) + 3.0), max(3.5, 0.5 * len(segs) + 2.4)))
    if blank.all():
        return _placeholder(ax, _tr(lang, "各分组样本都不足，无法比较", "Every segment has too few cases to compare"))
    if min_n is None and "mask_reason" in data:
        found = data["mask_reason"].astype(str).str.extract(r"fewer than (\d+)")[0].dropna()
        min_n = int(found.iloc[0]) if len(found) else None
    binary = _is_binary(data) if value in ("effect", "impact") else False
    shown = np.ma.masked_array(np.nan_to_num(values), mask=blank)
    if value in ("effect", "impact", "effect_ci_low", "effect_ci_high"):
        vmax = float(np.abs(shown.compressed()).max()) or 1.0
        cmap, norm = matplotlib.colormaps[_DIVERGING], matplotlib.colors.Normalize(-vmax, vmax)
    else:
        cmap = matplotlib.colormaps["Reds" if higher_is_worse else "Reds_r"]
        norm = matplotlib.colors.Normalize(shown.min(), shown.max())
    cmap = cmap.with_extremes(bad="white")
    image = ax.imshow(shown, cmap=cmap, norm=norm, aspect="auto")
    fmt = (lambda v: f"{v:.0%}") if value == "prevalence" else (lambda v: f"{v:.1f}" if binary else f"{v:.2f}")
    for i in range(len(segs)):
        for j in range(len(order)):
            if masked[i, j]:
                ax.add_patch(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///",
                                                          edgecolor=_GREY, lw=0))
            elif np.isfinite(values[i, j]):
                dark = abs(norm(values[i, j]) - 0.5) > 0.32 if value != "prevalence" else norm(values[i, j]) > 0.6
                ax.text(j, i, fmt(values[i, j]) + ("*" if sig[i, j] else ""), ha="center", va="center",
                        fontsize=9, color="white" if dark else _DARK)
            else:
                ax.text(j, i, "—", ha="center", va="center", fontsize=9, color="#999999")
    ax.set_xticks(range(len(order)), _labels(order, labels, lang), rotation=35, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(segs)), segs)
    ax.set_xticks(np.arange(len(order) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(segs) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=1.5)
    ax.tick_params(which="minor", length=0)
    ax.spines[:].set_visible(False)
    if en:
        unit = {"effect": _unit(binary, lang), "impact": "points", "prevalence": "share"}.get(value, "")
        label = _VALUE_NAMES_EN.get(value, value) + (f" ({unit})" if unit else "")
        if value in ("effect", "impact"):
            label += "\nred = lowers satisfaction"
        note = f"Too few cases (<{min_n}): hidden" if min_n else "Too few cases: hidden"
    else:
        unit = {"effect": _unit(binary).lstrip("个"), "impact": "分", "prevalence": "占比"}.get(value, "")
        label = _VALUE_NAMES.get(value, value) + (f"（{unit}）" if unit else "")
        if value in ("effect", "impact"):
            label += "，红 = 拉低满意度"
        note = f"样本不足 (<{min_n}) 已隐藏" if min_n else "样本不足 已隐藏"
    ax.figure.colorbar(image, ax=ax, shrink=0.85).set_label(label)
    handles = [matplotlib.patches.Patch(facecolor="white", edgecolor=_GREY, hatch="///", label=note)]
    if value != "prevalence":
        handles.append(matplotlib.patches.Patch(facecolor="none", edgecolor="none",
                                                label=_tr(lang, "* = 显著（p<0.05）", "* = significant (p<0.05)")))
    if masked.any() or value != "prevalence":
        ax.legend(handles=handles if masked.any() else handles[1:], loc="lower left", bbox_to_anchor=(0, 1.0),
                  frameon=False, fontsize=8, ncol=2, borderaxespad=0.2)
    ok = np.where(blank, np.nan, values)
    i, j = np.unravel_index(np.nanargmax(ok) if higher_is_worse else np.nanargmin(ok), ok.shape)
    v = values[i, j]
    if en:
        seg_name = _SEGMENT_NAMES_EN.get(segment_col, "segment")
        cell = f'"{_label(order[j], labels, lang)}" in "{segs[i]}"'
        if value == "effect" and v < 0:
            what = "share satisfied" if binary else "satisfaction"
            title = f"{cell} hurts most: {what} {-v:.{1 if binary else 2}f} {_unit(binary, lang)} lower when present"
        elif value == "effect":
            title = f"no theme lowers satisfaction in any {seg_name} (lowest: {cell} {v:+.2f})"
        elif value == "impact" and v < 0:
            title = f"{cell} pulls overall satisfaction down most: {v:+.2f} points"
        elif value == "prevalence":
            title = f"{cell} is the most common: {v:.0%} of complaints mention it"
        else:
            what = _VALUE_NAMES_EN.get(value, value)
            title = f"{cell} is the worst: {what[:1].lower() + what[1:]} {v:.2f}"
        title = f"By {seg_name}, " + title
    else:
        seg_name = _SEGMENT_NAMES.get(segment_col, "分组")
        cell = f"「{segs[i]}」的「{_label(order[j], labels)}」"
        if value == "effect" and v < 0:
            title = f"{cell}伤害最大：出现时满意{'比例' if binary else '度'}低{-v:.{1 if binary else 2}f}{_unit(binary)}"
        elif value == "effect":
            title = f"各{seg_name}中没有主题拉低满意度（最低：{cell} {v:+.2f}）"
        elif value == "impact" and v < 0:
            title = f"{cell}对总体满意度拉低最多：{v:+.2f}分"
        elif value == "prevalence":
            title = f"{cell}最常见：{v:.0%}的投诉提到"
        else:
            title = f"{cell}最差：{_VALUE_NAMES.get(value, value)} {v:.2f}"
        title = f"按{seg_name}比较 — " + title
    _fit_title(ax, title, pad=22, lang=lang)
    return ax


# ---------------------------------------------------------------------------
# 7. word cloud with masked examples
# ---------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _font_chars(font_path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(font_path).get_charmap())


def _drawable(text: str) -> str:
    """``text`` without the characters the CJK font cannot draw (emoji in a complaint), which would show as boxes."""
    chars = _font_chars(resolve_cjk_font()[1])
    kept = "".join(c for c in text if ord(c) in chars or c in "\n\t")
    return re.sub(r" {2,}", " ", kept)


def _frequencies(tokens) -> Counter:
    """Word frequencies from a word→count mapping, a list of token lists, or a flat list of tokens."""
    from minetools.clean import mask_pii

    if isinstance(tokens, pd.Series) and not tokens.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any():
        tokens = tokens.to_dict()
    counts: Counter = Counter()
    if isinstance(tokens, Mapping):
        for word, n in tokens.items():
            if pd.notna(n) and float(n) > 0:
                counts[str(word)] += float(n)
    else:
        for item in tokens if tokens is not None else ():
            if isinstance(item, str):
                counts[item] += 1
            elif isinstance(item, (list, tuple, np.ndarray)):
                counts.update(str(t) for t in item)
    keep = Counter()
    for word, n in counts.items():
        word = _drawable(word).strip()
        # never draw personal data or placeholders: drop tokens masking would change, or long digit runs
        if not word or not re.search(r"\w", word) or re.search(r"\d{5,}", word) or mask_pii(word) != word:
            continue
        keep[word] += n
    return keep


def _cloud_image(cloud, font_path: str):
    """Draw a laid-out word cloud like ``WordCloud.to_image``, with a readable face of the CJK font.

    ``WordCloud`` opens the font file's first face at its default instance; for
    the bundled Noto Sans CJK collection that is the Japanese face at weight
    100 (hair-thin strokes).  Here the Simplified-Chinese face is chosen and a
    variable font set to a medium weight; CJK glyphs keep their 1-em boxes, so
    the layout computed by ``WordCloud`` still fits.
    """
    from PIL import Image, ImageDraw, ImageFont

    index = 0
    if font_path.lower().endswith((".ttc", ".otc")):
        for i in range(16):
            try:
                if ImageFont.truetype(font_path, 10, index=i).getname()[0] in (
                        "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN"):
                    index = i
                    break
            except OSError:  # past the last face
                break
    fonts: dict[int, object] = {}

    def font(size):
        if size not in fonts:
            face = ImageFont.truetype(font_path, size, index=index)
            try:
                face.set_variation_by_axes([500])
            except (OSError, ValueError, AttributeError):  # not a variable font
                pass
            fonts[size] = face
        return fonts[size]

    image = Image.new("RGB", (int(cloud.width * cloud.scale), int(cloud.height * cloud.scale)), "white")
    draw = ImageDraw.Draw(image)
    for (word, _), size, position, orientation, color in cloud.layout_:
        face = ImageFont.TransposedFont(font(int(size * cloud.scale)), orientation=orientation)
        draw.text((int(position[1] * cloud.scale), int(position[0] * cloud.scale)), word, fill=color, font=face)
    return np.asarray(image)


def plot_theme_wordcloud(tokens, examples, *, theme_label: str, ax=None, max_words: int = 60,
                         random_state: int = 0, lang: str = "zh"):
    """A word cloud of one theme's words above up to three example complaints.

    ``tokens`` is a word→frequency mapping, a list of token lists (one per
    complaint) or a flat list of tokens.  ``examples`` are complaint texts; they
    are masked again with :func:`minetools.clean.mask_pii` (defence in depth),
    and shortened to 60 characters with "…".  Tokens that look like personal
    data are dropped.  The cloud uses the resolved CJK font file, a white
    background and ``random_state`` (same input → same picture).
    Title: "「{theme_label}」常见说法：" + the top words (``lang="en"``:
    'Typical words for "{theme_label}": ' + the top words, which stay as they
    are, like the examples: they are data).  Returns the outer Axes (the cloud
    is drawn in an inset Axes of it).
    """
    from minetools.clean import mask_pii

    en = _check_lang(lang) == "en"
    ax = _axes(ax, size=(8, 6.2))
    ax.set_axis_off()
    freqs = _frequencies(tokens)
    texts = [t for t in (examples if examples is not None else []) if isinstance(t, str) and t.strip()]
    texts = [_shorten(_drawable(mask_pii(t)), 60) for t in texts[:3]]
    top = [w for w, _ in freqs.most_common(5)]
    if en:
        _fit_title(ax, f'Typical words for "{theme_label}": {", ".join(top) if top else "none"}', lang=lang)
    else:
        _fit_title(ax, f"「{theme_label}」常见说法：{'、'.join(top)}" if top else f"「{theme_label}」常见说法：无")
    cloud_ax = ax.inset_axes([0.0, 0.36 if texts else 0.0, 1.0, 0.64 if texts else 1.0])
    cloud_ax.set_axis_off()
    if freqs:
        from wordcloud import WordCloud

        def color(word, font_size, position, orientation, random_state=None, **kw):
            return _BLUE if font_size >= cloud.max_font_size_ * 0.45 else "#5b7fa6"

        font_path = resolve_cjk_font()[1]
        cloud = WordCloud(font_path=font_path, width=900, height=420, background_color="white",
                          max_words=max_words, random_state=random_state, prefer_horizontal=1.0, margin=6,
                          collocations=False)
        cloud.generate_from_frequencies(dict(freqs))
        cloud.max_font_size_ = max((size for (_, size, _, _, _) in cloud.layout_), default=1)
        cloud.recolor(color_func=color, random_state=random_state)
        cloud_ax.imshow(_cloud_image(cloud, font_path), interpolation="bilinear")
    else:
        cloud_ax.text(0.5, 0.5, _tr(lang, f"「{theme_label}」没有可用的词语", f'No usable words for "{theme_label}"'),
                      ha="center", va="center", fontsize=13, color=_DARK, transform=cloud_ax.transAxes)
    if texts:
        ax.text(0.0, 0.33, _tr(lang, "示例投诉（已脱敏）：", "Example complaints (masked):"), transform=ax.transAxes,
                fontsize=10, fontweight="bold", va="top", color=_DARK)
        body = "\n".join(f"{i}. " + _wrap(t, 46).replace("\n", "\n    ") for i, t in enumerate(texts, 1))
        ax.text(0.0, 0.27, body, transform=ax.transAxes, fontsize=10, va="top", color="#444444", linespacing=1.5)
    return ax


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
    en = _check_lang(lang) == "en"
    ax = _axes(ax, size=(9, 5.5))
    data = change.copy()
    empty = _tr(lang, "无前后期对比数据", "No before/after comparison data")
    if "theme" not in data or "contribution" not in data:
        return _placeholder(ax, empty)
    for col in ("contribution", "from_frequency", "from_severity", "prevalence_before", "prevalence_after"):
        data[col] = _numeric(data, col)
    data["theme"] = data["theme"].astype(str)
    data = data[data["contribution"].notna()]
    is_theme = ~data["theme"].str.startswith("(")
    themes = data[is_theme].reindex(data[is_theme]["contribution"].abs().sort_values(ascending=False).index)
    if data.empty:
        return _placeholder(ax, empty)
    total = float(data["contribution"].sum())
    mb = mean_before if mean_before is not None else change.attrs.get("mean_before")
    ma = mean_after if mean_after is not None else change.attrs.get("mean_after")
    if mb is None and ma is not None:
        mb = float(ma) - total
    if ma is None and mb is not None:
        ma = float(mb) + total
    known = mb is not None and np.isfinite(mb)
    delta = float(ma) - float(mb) if known else total
    steps = []  # (name, value, frequency part, severity part)
    for _, row in themes.head(top).iterrows():
        steps.append((_label(row["theme"], labels, lang), row["contribution"], row["from_frequency"],
                      row["from_severity"]))
    rest = themes.iloc[top:]
    if len(rest):
        steps.append((_tr(lang, f"其他主题（{len(rest)}个）", f"Other themes ({len(rest)})"), rest["contribution"].sum(),
                      rest["from_frequency"].sum(), rest["from_severity"].sum()))
    if en:
        names_extra = {"(baseline)": "Baseline change\n(complaints without these themes)",
                       "(covariates)": "Mix change\n(branch, channel, etc.)"}
    else:
        names_extra = {"(baseline)": "基线变化（无这些主题的投诉）", "(covariates)": "构成变化（网点/渠道等）"}
    for key, name in names_extra.items():
        row = data[data["theme"] == key]
        if len(row):
            steps.append((name, float(row["contribution"].iloc[0]), np.nan, np.nan))
    start = float(mb) if known else 0.0
    levels = start + np.cumsum([0.0] + [s[1] for s in steps])
    rows = len(steps) + 2
    y = np.arange(rows)[::-1]  # first bar at the top
    lo, hi = float(min(levels.min(), start + delta)), float(max(levels.max(), start + delta))
    span = max(hi - lo, 1e-3)
    left = lo - span * 0.6 if known else min(lo, 0) - span * 0.1
    right = hi + span * (0.9 if en else 0.75)  # room for the notes (English ones are longer)
    bar_kw = {"height": 0.6, "edgecolor": "white"}
    if known:
        ax.barh(y[0], start - left, left=left, color="#6b6b6b", **bar_kw)
        ax.barh(y[-1], start + delta - left, left=left, color="#6b6b6b", **bar_kw)
        ax.text(start, y[0], f" {start:.2f}", va="center", fontsize=9, fontweight="bold")
        end = _tr(lang, f" {start + delta:.2f}（{delta:+.2f}）", f" {start + delta:.2f} ({delta:+.2f})")
        ax.text(start + delta, y[-1], end, va="center", fontsize=9, fontweight="bold")
    else:
        ax.barh(y[-1], delta, left=0, color="#6b6b6b", **bar_kw)
        ax.text(max(delta, 0), y[-1], f" {delta:+.2f}", va="center", fontsize=9, fontweight="bold")
    for k, (name, value, freq, sev) in enumerate(steps):
        yy = y[k + 1]
        ax.barh(yy, value, left=levels[k], color=_RED if value < 0 else _BLUE, **bar_kw)
        ax.plot([levels[k], levels[k]], [yy + 0.3, yy + 0.7], color="#999999", lw=0.8)  # connector
        note = f" {value:+.3f}"
        if np.isfinite(freq) and np.isfinite(sev):
            note += _tr(lang, f"（频次{freq:+.3f}，程度{sev:+.3f}）", f" (frequency {freq:+.3f}, severity {sev:+.3f})")
        ax.text(max(levels[k], levels[k + 1]), yy, note, va="center", fontsize=8.5, color=_DARK)
    ax.plot([levels[-1], levels[-1]], [y[-1] + 0.3, y[-2] - 0.3], color="#999999", lw=0.8)
    def period(key):
        p = change.attrs.get(key)
        if p is None:
            return ""
        p = [p] if isinstance(p, str) or not hasattr(p, "__len__") else list(p)
        if en:
            return f" ({p[0]})" if len(p) == 1 else f" ({p[0]} to {p[-1]})"
        return f"（{p[0]}）" if len(p) == 1 else f"（{p[0]}至{p[-1]}）"

    if en:
        before_name = f"Mean before{period('before')}" if known else "Before (base)"
        after_name = f"Mean after{period('after')}" if known else "Total change"
    else:
        before_name = f"前期平均{period('before')}" if known else "前期（基准）"
        after_name = f"后期平均{period('after')}" if known else "合计变化"
    ax.set_yticks(y, [before_name, *[s[0] for s in steps], after_name])
    ax.set_xlim(left, right)
    if en:
        ax.set_xlabel("Mean satisfaction (points; axis does not start at 0)" if known
                      else "Change in satisfaction (points)")
        footnote = ("Red = lowers satisfaction, blue = raises it; frequency = theme more/less common, "
                    "severity = same theme hurts more/less")
    else:
        ax.set_xlabel("平均满意度（分；横轴未从0开始）" if known else "满意度变化（分）")
        footnote = "红 = 拉低满意度，蓝 = 提高；频次 = 主题变多/变少，程度 = 同一主题伤害变大/变小"
    ax.text(1.0, -0.12 if known else -0.1, footnote, transform=ax.transAxes, ha="right", va="top", fontsize=8,
            color="#555555")
    _tidy(ax)
    _fit_title(ax, _change_title(delta, themes, data, labels, lang), lang=lang)
    return ax


def _change_title(delta: float, themes: pd.DataFrame, data: pd.DataFrame, labels, lang: str = "zh") -> str:
    if abs(delta) < 0.005:
        head = _tr(lang, f"满意度基本持平（变化{delta:+.2f}分）", f"Satisfaction roughly unchanged ({delta:+.2f} points)")
    elif lang == "en":
        head = f"Satisfaction {'fell' if delta < 0 else 'rose'} by {abs(delta):.2f} points"
    else:
        head = f"满意度{'下降' if delta < 0 else '上升'}{abs(delta):.2f}分"
    same = themes[np.sign(themes["contribution"]) == np.sign(delta)] if abs(delta) >= 0.005 else themes.iloc[0:0]
    if same.empty:
        base = data[data["theme"] == "(baseline)"]
        if abs(delta) >= 0.005 and len(base) and np.sign(base["contribution"].iloc[0]) == np.sign(delta):
            return head + _tr(lang, "，主要来自未提到这些主题的投诉", ", mainly in complaints that mention none of these themes")
        return head
    row = same.iloc[0]  # largest |contribution| pushing the same way as the change
    name = _label(row["theme"], labels, lang)
    freq, sev = row["from_frequency"], row["from_severity"]
    if np.isfinite(freq) and np.isfinite(sev) and abs(sev) > abs(freq):
        why = _tr(lang, "伤害加重", "hurting more") if sev < 0 else _tr(lang, "伤害减轻", "hurting less")
    else:
        grew = row["prevalence_after"] > row["prevalence_before"] if np.isfinite(row["prevalence_after"]) and \
            np.isfinite(row["prevalence_before"]) else (freq < 0) == (delta < 0)
        why = _tr(lang, "增多", "becoming more common") if grew else _tr(lang, "减少", "becoming less common")
    return _tr(lang, f"{head}，主要来自「{name}」{why}", f'{head}, mainly because of "{name}" {why}')


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
    _check_lang(lang)
    ax = _axes(ax, size=(8, 4.8))
    days = _numeric(df, "handling_days")
    ok = days.notna() & (days >= 0)
    if not ok.any():
        return _placeholder(ax, _tr(lang, "无办理时间数据", "No handling-time data"))
    late = _numeric(df, "closed_late") if "closed_late" in df else (days > limit_days).astype(float).where(ok)
    days, late = days[ok], late[ok]
    cap = float(max(np.ceil(days.quantile(0.98)), limit_days * 2, 1))
    step = 0.5 if cap <= 12 else float(np.ceil(cap / 24))
    edges = np.arange(0, cap + step, step)
    clipped = days.clip(upper=edges[-1] - step / 2)
    groups = [(clipped[late == 0], _BLUE, _tr(lang, "按时办结", "Closed on time")),
              (clipped[late == 1], _RED, _tr(lang, "超时办结", "Closed late")),
              (clipped[late.isna()], _GREY, _tr(lang, "无法判定", "Cannot tell"))]
    groups = [g for g in groups if len(g[0])]
    ax.hist([g[0] for g in groups], bins=edges, stacked=True, color=[g[1] for g in groups],
            label=[g[2] for g in groups], edgecolor="white", linewidth=0.5)
    ax.axvline(limit_days, color="black", ls="--", lw=1)
    working_days = f"{limit_days:g} working day{'' if limit_days == 1 else 's'}"
    ax.text(limit_days, 1.0, _tr(lang, f" 时限：{limit_days:g}个工作日", f" Limit: {working_days}"),
            transform=ax.get_xaxis_transform(), va="top", fontsize=9)
    ax.set_xlim(0, edges[-1])
    if days.max() > edges[-1]:
        ax.text(1.0, -0.14, _tr(lang, f"最右一组含≥{edges[-1] - step:g}天的投诉",
                                f"The last bar includes complaints of ≥{edges[-1] - step:g} days"),
                transform=ax.transAxes, ha="right", va="top", fontsize=8, color="#555555")
    ax.legend(frameon=False, fontsize=9, loc="upper right")
    ax.set_xlabel(_tr(lang, "办理时长（自然日）", "Handling time (calendar days)"))
    ax.set_ylabel(_tr(lang, "投诉件数", "Complaints"))
    judged = late.dropna()
    if judged.empty:
        title = _tr(lang, f"办理时长中位数{days.median():.1f}天（无超时标记）",
                    f"Median handling time {days.median():.1f} days (no late flags)")
    else:
        share, n_late, n_judged = judged.mean(), f"{int(judged.sum()):,}", f"{len(judged):,}"
        title = _tr(lang, f"{share:.0%}的投诉超时办结（时限{limit_days:g}个工作日，{n_late}/{n_judged}件）",
                    f"{share:.0%} of complaints were closed late ({n_late} of {n_judged}; limit {working_days})")
        col = score_col or next((c for c in ("satisfaction", "score") if c in df), None)
        if col is not None and col in df:
            score = _numeric(df, col)[ok]
            late_mean, on_mean = score[late == 1].mean(), score[late == 0].mean()
            if np.isfinite(late_mean) and np.isfinite(on_mean):
                title += _tr(lang, f"\n超时投诉满意度平均{late_mean:.1f}分，按时办结{on_mean:.1f}分",
                             f"\nMean satisfaction {late_mean:.1f} points when late, {on_mean:.1f} when on time")
    _tidy(ax)
    _fit_title(ax, title, lang=lang)
    return ax


# ---------------------------------------------------------------------------
# saving
# ---------------------------------------------------------------------------


def save_figure(ax, path_stem, *, dpi: int = 200, formats=("png", "svg")) -> list[str]:
    """Save the Axes' figure in each of ``formats`` (PNG at ``dpi``) next to each other; returns the paths.

    Closes the figure afterwards.
    """
    fig = ax.figure
    paths = []
    for ext in formats:
        path = f"{path_stem}.{ext}"
        fig.savefig(path, dpi=dpi)
        paths.append(path)
        fig.set_layout_engine("none")  # laid out by the first save: the other formats keep it (and save faster)
    plt.close(fig)
    return paths
