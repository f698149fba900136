"""Find a font that draws Chinese, and use it for matplotlib and wordcloud.

Order: the font the caller names (a family or a file), an installed system CJK font
(``make demo`` / ``make test`` install Debian's ``fonts-noto-cjk``), then Noto Sans CJK
shipped by the ``manimgx-fonts-cjk`` dependency — a variable font that matplotlib can only
draw at its thinnest weight, but never boxes instead of Chinese.
"""

from __future__ import annotations

import base64
import logging
from functools import lru_cache
from pathlib import Path

__all__ = ["SYSTEM_CANDIDATES", "resolve_cjk_font", "use_cjk_font", "set_font", "font_face_css"]

SYSTEM_CANDIDATES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "PingFang SC",
    "Microsoft YaHei",
    "Noto Sans SC",
)


def _bundled_font_file() -> Path:
    import manimgx_fonts_cjk

    return next(Path(manimgx_fonts_cjk.__file__).parent.glob("NotoSansCJK*"))


def set_font(preferred: str | None) -> None:
    """Use ``preferred`` (a family name or a font file) for every later chart and report.

    The choice is matplotlib's own font setting (``rcParams``, see :func:`use_cjk_font`), which
    :func:`resolve_cjk_font` reads back; minetools keeps no copy. ``None`` returns to the automatic
    choice. Raises ``ValueError`` naming the installed CJK fonts when ``preferred`` is neither a file
    nor an installed family.
    """
    from matplotlib import font_manager

    if preferred and not Path(preferred).is_file():
        names = {f.name for f in font_manager.fontManager.ttflist}
        if preferred not in names:
            found = sorted(n for n in names if any(k in n for k in ("CJK", "Han", "Hei", "YaHei", "PingFang", "WenQuanYi")))
            raise ValueError(f"Font {preferred!r} is neither a font file nor an installed font family; "
                             f"installed CJK fonts: {', '.join(found) or 'none'}. Give a family name or a .ttf/.otf path.")
    _apply(*_resolve(preferred))


def resolve_cjk_font(preferred: str | None = None) -> tuple[str, str]:
    """(family name, font file path) of a font that covers Chinese: ``preferred``; else the font
    matplotlib is set to draw with when it covers Chinese (what :func:`set_font` chose); else the
    first installed candidate of :data:`SYSTEM_CANDIDATES`, else the bundled Noto Sans CJK."""
    import matplotlib

    if preferred:
        return _resolve(preferred)
    current = (matplotlib.rcParams["font.sans-serif"] or [""])[0]
    return _resolve(current) if current and _covers_chinese(current) else _resolve(None)


@lru_cache(maxsize=16)
def _covers_chinese(name: str) -> bool:
    """Whether an installed font family draws Chinese (its first face maps 中 and 投)."""
    from matplotlib import font_manager, ft2font

    for f in font_manager.fontManager.ttflist:
        if f.name == name:
            try:
                charmap = ft2font.FT2Font(f.fname).get_charmap()
            except (OSError, RuntimeError):
                continue
            return ord("中") in charmap and ord("投") in charmap
    return False


@lru_cache(maxsize=8)
def _resolve(preferred: str | None) -> tuple[str, str]:
    from matplotlib import font_manager

    if preferred and Path(preferred).is_file():
        font_manager.fontManager.addfont(preferred)
        return font_manager.FontProperties(fname=preferred).get_name(), preferred
    by_name: dict[str, str] = {}
    for f in font_manager.fontManager.ttflist:  # the regular weight's file when there are several
        if f.name not in by_name or f.weight in (400, "normal", "regular", "book"):
            by_name[f.name] = f.fname
    for name in ((preferred,) if preferred else ()) + SYSTEM_CANDIDATES:
        if name in by_name:
            return name, by_name[name]
    path = str(_bundled_font_file())
    font_manager.fontManager.addfont(path)
    names = {f.name for f in font_manager.fontManager.ttflist if f.fname == path}
    name = "Noto Sans CJK SC" if "Noto Sans CJK SC" in names else sorted(names)[0]
    return name, path


def use_cjk_font(preferred: str | None = None) -> str:
    """Make matplotlib draw Chinese with the resolved font; returns the font file path."""
    name, path = resolve_cjk_font(preferred)
    _apply(name, path)
    return path


def _apply(name: str, path: str) -> None:
    """matplotlib's settings for drawing Chinese with the family ``name``."""
    import matplotlib

    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["svg.fonttype"] = "path"  # SVGs carry outlines, not a font name
    # the bundled variable font has one registered weight; do not log a fallback per text
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


def font_face_css(text: str, *, family: str = "minetools-cjk") -> str:
    """An ``@font-face`` rule embedding the CJK font, cut down to the characters of ``text``.

    A report that carries its own font shows Chinese on machines (and headless browsers)
    without any CJK font installed; the subset keeps the file small (a few hundred KB).
    Returns "" when the font cannot be subset, so the page falls back to system fonts.
    """
    _, path = resolve_cjk_font()
    chars = frozenset({c for c in text if ord(c) > 126} | {chr(c) for c in range(32, 127)})
    return _font_face_css(path, chars, family)


@lru_cache(maxsize=4)
def _font_face_css(path: str, chars: frozenset, family: str) -> str:
    """The @font-face rule: HarfBuzz's subsetter (milliseconds where fontTools took seconds on a CJK font),
    every layout feature kept (vertical forms, ligatures), the variation axes of a variable font kept."""
    import uharfbuzz as hb

    try:
        blob = hb.Blob.from_file_path(path)
        face = _collection_face(blob, hb)
        plan = hb.SubsetInput()
        plan.unicode_set.update(ord(c) for c in chars)
        plan.layout_feature_tag_set.invert()  # all features, not only the default ones
        plan.flags |= hb.SubsetFlags.NOTDEF_OUTLINE
        subset = hb.subset(face, plan)
        data = subset.blob.data if subset is not None else b""
    except (OSError, ValueError, RuntimeError):
        return ""
    if not data:
        return ""
    weights = "100 900" if face.has_var_data else "normal"
    return (f"@font-face{{font-family:'{family}';font-weight:{weights};"
            f"src:url(data:font/otf;base64,{base64.b64encode(data).decode('ascii')}) format('opentype');}}")


def _collection_face(blob, hb):
    """The Simplified-Chinese face of a font file or collection (else its first face)."""
    for index in range(hb.Face(blob).count):
        face = hb.Face(blob, index)
        if face.get_name(hb.OTNameIdPredefined.FONT_FAMILY) in ("Noto Sans CJK SC", "Source Han Sans SC",
                                                                  "Source Han Sans CN"):
            return face
    return hb.Face(blob, 0)
