"""The segment heatmap: a theme's effect, impact or frequency across branches, channels or customer types."""

from __future__ import annotations

import matplotlib
import matplotlib.colors
import matplotlib.patches
import numpy as np
import pandas as pd

from minetools.plots.style import (DARK, DIVERGING, GREY, check_lang, fit_title, flag_column, is_binary, label_for,
                                   label_list, new_axes, numeric_column, placeholder, tr, unit_name)


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
    check_lang(lang)
    data = segments.copy()
    if "segment_col" in data and len(data):
        present = list(dict.fromkeys(data["segment_col"].astype(str)))
        if segment_col not in present and len(present) == 1:
            segment_col = present[0]  # the table holds one segmentation: name it by what it is
        data = data[data["segment_col"].astype(str) == segment_col]
    if value not in data or not {"segment", "theme"} <= set(data.columns):
        ax = new_axes(ax)
        return placeholder(ax, tr(lang, f"无分组数据（缺少 segment / theme / {value} 列）",
                                    f"No segment data (columns segment / theme / {value} missing)"))
    data, segs, order, values, masked, sig = _segment_grid(data, value, max_segments)
    higher_is_worse = value in ("prevalence", "n")
    blank = masked | ~np.isfinite(values)
    ax = new_axes(ax, size=(max(6.5, 0.95 * len(order) + 3.0), max(3.5, 0.5 * len(segs) + 2.4)))
    if blank.all():
        return placeholder(ax, tr(lang, "各分组样本都不足，无法比较", "Every segment has too few cases to compare"))
    if min_n is None and "mask_reason" in data:
        found = data["mask_reason"].astype(str).str.extract(r"fewer than (\d+)")[0].dropna()
        min_n = int(found.iloc[0]) if len(found) else None
    binary = is_binary(data) if value in ("effect", "impact") else False
    image = _draw_cells(ax, values, masked, sig, blank, value=value, binary=binary)
    ax.set_xticks(range(len(order)), label_list(order, labels, lang), rotation=35, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(segs)), segs)
    ax.set_xticks(np.arange(len(order) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(segs) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=1.5)
    ax.tick_params(which="minor", length=0)
    ax.spines[:].set_visible(False)
    _legend(ax, image, value=value, binary=binary, min_n=min_n, any_masked=bool(masked.any()), lang=lang)
    ok = np.where(blank, np.nan, values)
    i, j = np.unravel_index(np.nanargmax(ok) if higher_is_worse else np.nanargmin(ok), ok.shape)
    title = _title(segs[i], label_for(order[j], labels, lang), values[i, j], value=value, binary=binary,
                   segment_col=segment_col, lang=lang)
    fit_title(ax, title, pad=22, lang=lang)
    return ax


def _segment_grid(data: pd.DataFrame, value: str, max_segments: int):
    """The rows of the shown segments; segments (largest first), themes (most damaging overall first) and the
    value / masked / significant grids."""
    data["masked"] = flag_column(data, "masked", False)
    data["significant"] = flag_column(data, "significant", False)
    data[value] = numeric_column(data, value)
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
    return data, segs, order, grid.to_numpy(dtype=float), masked, sig


def _draw_cells(ax, values, masked, sig, blank, *, value: str, binary: bool):
    """The coloured image, hatched masked cells and annotated values; returns the image (for the colour bar)."""
    higher_is_worse = value in ("prevalence", "n")
    shown = np.ma.masked_array(np.nan_to_num(values), mask=blank)
    if value in ("effect", "impact", "effect_ci_low", "effect_ci_high"):
        vmax = float(np.abs(shown.compressed()).max()) or 1.0
        cmap, norm = matplotlib.colormaps[DIVERGING], matplotlib.colors.Normalize(-vmax, vmax)
    else:
        cmap = matplotlib.colormaps["Reds" if higher_is_worse else "Reds_r"]
        norm = matplotlib.colors.Normalize(shown.min(), shown.max())
    cmap = cmap.with_extremes(bad="white")
    image = ax.imshow(shown, cmap=cmap, norm=norm, aspect="auto")
    fmt = (lambda v: f"{v:.0%}") if value == "prevalence" else (lambda v: f"{v:.1f}" if binary else f"{v:.2f}")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if masked[i, j]:
                ax.add_patch(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///",
                                                          edgecolor=GREY, lw=0))
            elif np.isfinite(values[i, j]):
                dark = abs(norm(values[i, j]) - 0.5) > 0.32 if value != "prevalence" else norm(values[i, j]) > 0.6
                ax.text(j, i, fmt(values[i, j]) + ("*" if sig[i, j] else ""), ha="center", va="center",
                        fontsize=9, color="white" if dark else DARK)
            else:
                ax.text(j, i, "—", ha="center", va="center", fontsize=9, color="#999999")
    return image


def _legend(ax, image, *, value: str, binary: bool, min_n, any_masked: bool, lang: str) -> None:
    """Colour bar with the measure and its unit, and the hatch / significance legend above the chart."""
    if lang == "en":
        unit = {"effect": unit_name(binary, lang), "impact": "points", "prevalence": "share"}.get(value, "")
        label = _VALUE_NAMES_EN.get(value, value) + (f" ({unit})" if unit else "")
        if value in ("effect", "impact"):
            label += "\nred = lowers satisfaction"
        note = f"Too few cases (<{min_n}): hidden" if min_n else "Too few cases: hidden"
    else:
        unit = {"effect": unit_name(binary).lstrip("个"), "impact": "分", "prevalence": "占比"}.get(value, "")
        label = _VALUE_NAMES.get(value, value) + (f"（{unit}）" if unit else "")
        if value in ("effect", "impact"):
            label += "，红 = 拉低满意度"
        note = f"样本不足 (<{min_n}) 已隐藏" if min_n else "样本不足 已隐藏"
    ax.figure.colorbar(image, ax=ax, shrink=0.85).set_label(label)
    handles = [matplotlib.patches.Patch(facecolor="white", edgecolor=GREY, hatch="///", label=note)]
    if value != "prevalence":
        handles.append(matplotlib.patches.Patch(facecolor="none", edgecolor="none",
                                                label=tr(lang, "* = 显著（p<0.05）", "* = significant (p<0.05)")))
    if any_masked or value != "prevalence":
        ax.legend(handles=handles if any_masked else handles[1:], loc="lower left", bbox_to_anchor=(0, 1.0),
                  frameon=False, fontsize=8, ncol=2, borderaxespad=0.2)


def _title(segment: str, theme_label: str, v: float, *, value: str, binary: bool, segment_col: str, lang: str) -> str:
    """The finding: the worst cell (lowest effect/impact, or the most common theme)."""
    if lang == "en":
        seg_name = _SEGMENT_NAMES_EN.get(segment_col, "segment")
        cell = f'"{theme_label}" in "{segment}"'
        if value == "effect" and v < 0:
            what = "share satisfied" if binary else "satisfaction"
            title = f"{cell} hurts most: {what} {-v:.{1 if binary else 2}f} {unit_name(binary, lang)} lower when present"
        elif value == "effect":
            title = f"no theme lowers satisfaction in any {seg_name} (lowest: {cell} {v:+.2f})"
        elif value == "impact" and v < 0:
            title = f"{cell} pulls overall satisfaction down most: {v:+.2f} points"
        elif value == "prevalence":
            title = f"{cell} is the most common: {v:.0%} of complaints mention it"
        else:
            what = _VALUE_NAMES_EN.get(value, value)
            title = f"{cell} is the worst: {what[:1].lower() + what[1:]} {v:.2f}"
        return f"By {seg_name}, " + title
    seg_name = _SEGMENT_NAMES.get(segment_col, "分组")
    cell = f"「{segment}」的「{theme_label}」"
    if value == "effect" and v < 0:
        title = f"{cell}伤害最大：出现时满意{'比例' if binary else '度'}低{-v:.{1 if binary else 2}f}{unit_name(binary)}"
    elif value == "effect":
        title = f"各{seg_name}中没有主题拉低满意度（最低：{cell} {v:+.2f}）"
    elif value == "impact" and v < 0:
        title = f"{cell}对总体满意度拉低最多：{v:+.2f}分"
    elif value == "prevalence":
        title = f"{cell}最常见：{v:.0%}的投诉提到"
    else:
        title = f"{cell}最差：{_VALUE_NAMES.get(value, value)} {v:.2f}"
    return f"按{seg_name}比较 — " + title
