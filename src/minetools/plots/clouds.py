"""Word clouds of a theme's words, with glyphs the font cannot draw left out."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

from minetools.fonts import resolve_cjk_font
from minetools.plots.style import BLUE, DARK, check_lang, fit_title, new_axes, shorten, tr, wrap_text


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


def cloud_frequencies(tokens) -> Counter:
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

    en = check_lang(lang) == "en"
    ax = new_axes(ax, size=(8, 6.2))
    ax.set_axis_off()
    freqs = cloud_frequencies(tokens)
    texts = [t for t in (examples if examples is not None else []) if isinstance(t, str) and t.strip()]
    texts = [shorten(_drawable(mask_pii(t)), 60) for t in texts[:3]]
    top = [w for w, _ in freqs.most_common(5)]
    if en:
        fit_title(ax, f'Typical words for "{theme_label}": {", ".join(top) if top else "none"}', lang=lang)
    else:
        fit_title(ax, f"「{theme_label}」常见说法：{'、'.join(top)}" if top else f"「{theme_label}」常见说法：无")
    cloud_ax = ax.inset_axes([0.0, 0.36 if texts else 0.0, 1.0, 0.64 if texts else 1.0])
    cloud_ax.set_axis_off()
    if freqs:
        from wordcloud import WordCloud

        def color(word, font_size, position, orientation, random_state=None, **kw):
            return BLUE if font_size >= cloud.max_font_size_ * 0.45 else "#5b7fa6"

        font_path = resolve_cjk_font()[1]
        cloud = WordCloud(font_path=font_path, width=900, height=420, background_color="white",
                          max_words=max_words, random_state=random_state, prefer_horizontal=1.0, margin=6,
                          collocations=False)
        cloud.generate_from_frequencies(dict(freqs))
        cloud.max_font_size_ = max((size for (_, size, _, _, _) in cloud.layout_), default=1)
        cloud.recolor(color_func=color, random_state=random_state)
        cloud_ax.imshow(_cloud_image(cloud, font_path), interpolation="bilinear")
    else:
        cloud_ax.text(0.5, 0.5, tr(lang, f"「{theme_label}」没有可用的词语", f'No usable words for "{theme_label}"'),
                      ha="center", va="center", fontsize=13, color=DARK, transform=cloud_ax.transAxes)
    if texts:
        ax.text(0.0, 0.33, tr(lang, "示例投诉（已脱敏）：", "Example complaints (masked):"), transform=ax.transAxes,
                fontsize=10, fontweight="bold", va="top", color=DARK)
        body = "\n".join(f"{i}. " + wrap_text(t, 46).replace("\n", "\n    ") for i, t in enumerate(texts, 1))
        ax.text(0.0, 0.27, body, transform=ax.transAxes, fontsize=10, va="top", color="#444444", linespacing=1.5)
    return ax
