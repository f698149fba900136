"""What every chart shares: colours, the chart language and labels, placeholders for empty data, text
widths and wrapping, titles that fit, and saving."""

from __future__ import annotations

import re
import textwrap
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from minetools.fonts import use_cjk_font

RED, GREY, BLUE = "#c0392b", "#b3b3b3", "#2e6da4"
DARK = "#333333"
DIVERGING = "RdBu"  # colour-blind safe; red = low (damaging), blue = high


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def new_axes(ax, size=(8, 5)):
    use_cjk_font()
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


LANGS = ("zh", "en")


def check_lang(lang) -> str:
    """``lang`` if it is a language the charts speak ("zh" or "en"), else ``ValueError``."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(repr(x) for x in LANGS)}; got {lang!r}")
    return lang


def tr(lang: str, zh: str, en: str) -> str:
    """The Chinese or the English text, by ``lang``."""
    return en if lang == "en" else zh


@lru_cache(maxsize=len(LANGS))
def default_labels(lang: str = "zh") -> dict[str, str]:
    """Labels (Chinese or English) of the extra drivers and the bundled taxonomy's themes."""
    from minetools.drivers import DRIVER_LABELS_EN, DRIVER_LABELS_ZH

    found = dict(DRIVER_LABELS_EN if lang == "en" else DRIVER_LABELS_ZH)
    try:
        from minetools.taxonomy import load_taxonomy

        found.update({t.key: t.label_en if lang == "en" else t.label_zh for t in load_taxonomy().themes})
    except (OSError, ValueError):  # a broken bundled file must not stop a chart
        pass
    return found


def label_for(key, labels=None, lang: str = "zh") -> str:
    if labels and key in labels:
        return str(labels[key])
    return default_labels(lang).get(key, str(key))


def label_list(keys, labels, lang: str = "zh"):
    return [label_for(k, labels, lang) for k in keys]


def placeholder(ax, message: str, *, title: str | None = None):
    """Draw ``message`` in the middle of an empty Axes (the "nothing to show" chart)."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=13, color=DARK)
    ax.set_axis_off()
    if title:
        ax.set_title(title, loc="left")
    return ax


def numeric_column(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[col], errors="coerce").astype(float)


def flag_column(frame: pd.DataFrame, col: str, default: bool) -> pd.Series:
    """A boolean column that may have been read back from CSV ("True"/"False") or be absent."""
    if col not in frame:
        return pd.Series(default, index=frame.index, dtype=bool)
    values = frame[col]
    if values.dtype == object or str(values.dtype) in ("string", "str"):
        values = values.astype("string").str.strip().str.lower().map({"true": True, "false": False, "1": True,
                                                                      "0": False})
    return values.astype("boolean").fillna(default).astype(bool)


def is_binary(table: pd.DataFrame) -> bool:
    """Whether a driver table comes from a binary (satisfied / not) outcome: effects in percentage points."""
    if "odds_ratio" in table or table.attrs.get("outcome") == "binary":
        return True
    means = pd.concat([numeric_column(table, "mean_with"), numeric_column(table, "mean_without")]).dropna()
    effects = numeric_column(table, "effect").abs().dropna()
    # shares satisfied lie in [0, 1] while percentage-point effects exceed 1 (tables read back from CSV)
    return bool(len(means) and means.between(0, 1).all() and len(effects) and effects.max() > 1)


def unit_name(binary: bool, lang: str = "zh") -> str:
    if lang == "en":
        return "percentage points" if binary else "points"
    return "个百分点" if binary else "分"


def shorten(text: str, width: int) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def wrap_text(text: str, width: int) -> str:
    """Wrap a Chinese string (no spaces to break at) every ``width`` characters."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False)) or text


def text_width(text: str, fontsize: float) -> float:
    """Rough width in points: a Chinese character is 1 em, a Latin one about 0.55 em."""
    return sum(fontsize if ord(c) > 0x2E7F else 0.58 * fontsize for c in text)


def measured_width(text: str, fontsize: float) -> float:
    """Width in points of ``text`` drawn in the current font (falls back on the :func:`text_width` estimate)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    try:
        return float(text_to_path.get_text_width_height_descent(text, FontProperties(size=fontsize), ismath=False)[0])
    except (RuntimeError, ValueError, OSError):
        return text_width(text, fontsize)


def wrap_words(text: str, avail: float, fontsize: float) -> str:
    """Wrap English text at spaces so that each line is at most ``avail`` points wide (measured in the font).

    Words are never split, except a single "word" wider than a whole line (a long
    run of Chinese data without spaces), which is broken by character.
    """
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}" if line else word
            if line and measured_width(trial, fontsize) > avail:
                lines.append(line)
                trial = word
            line = trial
            while len(line) > 1 and measured_width(line, fontsize) > avail:
                cut = len(line) - 1
                while cut > 1 and measured_width(line[:cut], fontsize) > avail:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return "\n".join(x for x in lines if x)


def fit_title(ax, text: str, *, fontsize: float = 12.0, lang: str = "zh", **kw):
    """Set a left-aligned title, wrapped to fit the figure.

    Chinese (``lang="zh"``) wraps by character, preferably after Chinese
    punctuation; English (``lang="en"``) wraps at spaces (see :func:`wrap_words`).
    """
    fig = ax.figure
    fig.draw_without_rendering()  # run the layout so the Axes has its final position
    box = ax.get_position()
    # 10% slack: the title itself takes height, and Axes with a fixed aspect then get narrower
    avail = (min((1.0 - box.x0) * fig.get_figwidth(), box.width * fig.get_figwidth() * 1.35) * 72 - 12) * 0.9
    if lang == "en":
        ax.set_title(wrap_words(text, avail, fontsize), loc="left", fontsize=fontsize, **kw)
        return
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for char in paragraph:
            line += char
            if text_width(line, fontsize) > avail:
                cut = max(line.rfind(p) for p in "，：；、（")
                cut = cut + 1 if cut >= len(line) // 2 else len(line) - 1
                if line[cut - 1:cut] == "（":
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    ax.set_title("\n".join(x for x in lines if x), loc="left", fontsize=fontsize, **kw)


def tidy(ax):
    ax.spines[["top", "right"]].set_visible(False)
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
