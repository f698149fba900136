"""Find a font that draws Chinese, and use it for matplotlib and wordcloud.

Order: the font the caller names (a family or a file), an installed system CJK font,
then Noto Sans CJK shipped by the ``manimgx-fonts-cjk`` dependency, so a chart never
draws boxes instead of Chinese.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

__all__ = ["SYSTEM_CANDIDATES", "resolve_cjk_font", "use_cjk_font"]

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


@lru_cache(maxsize=8)
def resolve_cjk_font(preferred: str | None = None) -> tuple[str, str]:
    """(family name, font file path) of a font that covers Chinese."""
    from matplotlib import font_manager

    if preferred and Path(preferred).is_file():
        font_manager.fontManager.addfont(preferred)
        return font_manager.FontProperties(fname=preferred).get_name(), preferred
    by_name = {f.name: f.fname for f in font_manager.fontManager.ttflist}
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
    import matplotlib

    name, path = resolve_cjk_font(preferred)
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["svg.fonttype"] = "path"  # SVGs carry outlines, not a font name
    # the bundled variable font has one registered weight; do not log a fallback per text
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    return path
