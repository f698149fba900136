"""Charts of what hurts satisfaction: the driver bars and the priority matrix (damage against frequency)."""

from __future__ import annotations

import matplotlib
import matplotlib.colors
import matplotlib.ticker
import numpy as np
import pandas as pd

from minetools.plots.style import (BLUE, DARK, GREY, RED, check_lang, fit_title, flag_column, is_binary, label_for,
                                   label_list, measured_width, new_axes, numeric_column, placeholder, text_width, tidy,
                                   tr, unit_name, wrap_words)


# ---------------------------------------------------------------------------
# 3. drivers (diverging bars)
# ---------------------------------------------------------------------------


def chartable_drivers(drivers: pd.DataFrame) -> pd.DataFrame:
    """Rows of a driver table that can be charted: finite effect, not a per-unit (numeric) driver."""
    data = drivers.copy()
    for col in ("effect", "effect_ci_low", "effect_ci_high", "prevalence", "impact"):
        data[col] = numeric_column(data, col)
    data = data[data["effect"].notna()]
    if "driver_type" in data:
        data = data[data["driver_type"].astype(str) != "numeric"]  # per-unit effects are not comparable
    data["significant"] = flag_column(data, "significant", False)
    data["ranked"] = flag_column(data, "ranked", True)
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
    en = check_lang(lang) == "en"
    data = chartable_drivers(drivers)
    ax = new_axes(ax, size=(8, max(3.0, 0.42 * len(data) + 1.6)))
    if data.empty:
        return placeholder(ax, tr(lang, "无满意度数据，未做驱动分析", "No satisfaction data: no driver analysis"))
    binary = is_binary(drivers)
    unit = unit_name(binary, lang)
    data = data.sort_values("effect", ascending=False)
    few = tr(lang, "（样本少）", " (few cases)")
    names = [f"{n}{few}" if not r else n for n, r in zip(label_list(data["theme"], labels, lang), data["ranked"])]
    colors = [(RED if e < 0 else BLUE) if s and r else GREY
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
            title = (f"{label_for(worst['theme'], labels, lang)} hurts satisfaction most: {what}"
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
            title = f"{label_for(worst['theme'], labels)}对满意度伤害最大：出现时{what}低{drop}{unit}"
        else:
            title = "没有主题显著拉低满意度"
        scale = "满意比例，百分点" if binary else "满意度，分"
        small = f"或样本少于{min_n}件" if min_n else "或样本少"
        ax.set_xlabel(f"调整后效应（{scale}；95%置信区间）\n红 = 显著拉低满意度，灰 = 不显著{small}（未排名）")
    tidy(ax)
    fit_title(ax, title, lang=lang)
    return ax


# ---------------------------------------------------------------------------
# 4. priority matrix
# ---------------------------------------------------------------------------


def _place_labels(ax, xs, ys, radii_pt, texts, *, fontsize=9, width=text_width):
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
                    fontsize=fontsize, color=DARK, annotation_clip=False,
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
    en = check_lang(lang) == "en"
    data = chartable_drivers(drivers)
    data = data[data["prevalence"].notna()]
    ax = new_axes(ax, size=(8.5, 6))
    if data.empty:
        return placeholder(ax, tr(lang, "无满意度数据，无法确定优先级", "No satisfaction data: cannot set priorities"))
    binary = is_binary(drivers)
    unit = unit_name(binary, lang)
    data = data.assign(damage=-data["effect"], names=label_list(data["theme"], labels, lang))
    basis = data[data["ranked"]] if data["ranked"].any() else data
    x_cut = float(basis["prevalence"].median())
    y_cut = max(float(basis["damage"].median()), 0.0)
    strong = data["significant"] & data["ranked"]
    frequent, damaging = data["prevalence"] >= x_cut, (data["damage"] >= y_cut) & (data["damage"] > 0)
    impact = data["impact"].abs().fillna(0)
    area = 60 + 1800 * impact / impact.max() if impact.max() > 0 else pd.Series(300.0, index=data.index)
    rgba = matplotlib.colors.to_rgba
    face = [rgba(RED if d else BLUE, 0.75) if s else (1, 1, 1, 0) for d, s in zip(damaging, strong)]
    edge = [rgba(RED if d else BLUE, 0.9) if s else rgba("#888888") for d, s in zip(damaging, strong)]
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
    corners = {"优先改进": (0.98, 0.97, "right", "top", RED), "重点关注": (0.02, 0.97, "left", "top", "#a05a00"),
               "持续观察": (0.98, 0.03, "right", "bottom", "#666666"), "次要": (0.02, 0.03, "left", "bottom", "#999999")}
    for text, (cx, cy, ha, va, color) in corners.items():
        ax.text(cx, cy, _QUADRANTS_EN[text] if en else text, transform=ax.transAxes, ha=ha, va=va, fontsize=12,
                fontweight="bold", color=color, alpha=0.55, zorder=2)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    priority = data[frequent & damaging & strong].sort_values("impact")
    worst = data[strong].sort_values("effect")
    title, note = _matrix_text(ax, priority, worst, x_cut=x_cut, binary=binary, unit=unit,
                               covariates=drivers.attrs.get("covariates", []), lang=lang)
    ax.text(1.0, -0.11, note, transform=ax.transAxes, ha="right", va="top", fontsize=8, color="#555555")
    tidy(ax)
    fit_title(ax, title, lang=lang)
    radii = np.sqrt(area.to_numpy() / np.pi)  # scatter sizes are areas in points²
    _place_labels(ax, xs, ys, radii, list(data["names"]), width=measured_width if en else text_width)
    return ax


def _matrix_text(ax, priority: pd.DataFrame, worst: pd.DataFrame, *, x_cut: float, binary: bool, unit: str,
                 covariates, lang: str) -> tuple[str, str]:
    """Axis labels (set on ``ax``), and the title naming what to fix first and the footnote, returned."""
    en = lang == "en"
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
        note = wrap_words(f"Vertical axis = adjusted effect (controlling for {held}); dashed lines = medians (the "
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
    return title, note
