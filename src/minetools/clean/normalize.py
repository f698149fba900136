"""Text normalisation: small ``str -> str`` steps.

:func:`normalize_text` runs before personal data is masked, so that a number broken by a tag,
an entity, a line break or full-width digits is one number again; :data:`CLEANERS` run
after masking (web addresses, Traditional script, repeated punctuation).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

__all__ = [
    "normalize_width", "strip_html", "replace_urls", "to_simplified", "normalize_whitespace",
    "collapse_punctuation", "normalize_text", "CLEANERS",
]


def _width_table() -> dict[int, int | None]:
    """Code point → replacement for :func:`normalize_width` and :func:`normalize_text`."""
    table: dict[int, int | None] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
    for ch in "，。！？；：（）":  # Chinese sentence punctuation stays full-width
        table.pop(ord(ch), None)
    return table


_FULLWIDTH = _width_table()
_FULLWIDTH[0x3000] = 0x20


def normalize_width(text: str) -> str:
    """Full-width ASCII letters, digits and symbols to half-width (Chinese punctuation kept)."""
    return text.translate(_FULLWIDTH)


_TAG = re.compile(r"<[^<>]{0,500}>")


def strip_html(text: str) -> str:
    """Remove HTML tags and decode entities (``&nbsp;`` → space, ``&lt;`` → ``<``)."""
    if "<" not in text and "&" not in text:
        return text
    return html.unescape(_TAG.sub(" ", text)).replace("\xa0", " ")


_URL = re.compile(r"(?:https?://|www\.)[^\s\u3000，。！？；、）)】]+", re.IGNORECASE)


def replace_urls(text: str) -> str:
    """Replace web addresses by the token ``[网址]``."""
    return _URL.sub("[网址]", text)


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters to Simplified (OpenCC ``t2s``)."""
    return _t2s().convert(text)


_WS = re.compile(r"[\s\u3000\u200b\ufeff]+")


def normalize_whitespace(text: str) -> str:
    """Line breaks, tabs and runs of spaces become one space; ends are trimmed."""
    return _WS.sub(" ", text).strip()


_PUNCT_RUN = re.compile(r"([!?！？。，,.、~～…·\-=_*#])\1+")


def collapse_punctuation(text: str) -> str:
    """A run of the same punctuation mark becomes one (``！！！`` → ``！``)."""
    return _PUNCT_RUN.sub(r"\1", text)


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, int | str | None]:
    """The translation of :func:`normalize_text`: width, digits, spaces and invisible characters."""
    table: dict[int, int | str | None] = dict(_FULLWIDTH)
    # the Basic Multilingual Plane, plus the mathematical digits (𝟏𝟑𝟗…) and tag characters
    for cp in [*range(0x10000), *range(0x1D7CE, 0x1D800), *range(0xE0000, 0xE0080)]:
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if cat == "Nd" and not ("0" <= ch <= "9"):
            table[cp] = ord("0") + unicodedata.digit(ch)  # Arabic-Indic, Devanagari … digits
        elif cat == "Zs" or ch in "\t\n\r\x0b\x0c\x85\u2028\u2029":
            table[cp] = " "
        elif cat == "Cf" or (cat == "Cc" and cp not in (0x09, 0x0A, 0x0D)):
            table[cp] = None  # zero-width, BOM, soft hyphen, NUL and other control characters
    for dash in "‐‑‒–—―−﹣－":  # every dash a separator can be written with
        table[ord(dash)] = ord("-")
    for offset, cp in enumerate(range(0x2460, 0x2469)):  # ①–⑨
        table[cp] = ord("1") + offset
    table[0x24EA] = ord("0")  # ⓪
    return table


_SPACES = re.compile(r" {2,}")
#: single Chinese characters typed (or OCR'd) with a space between each: 投 诉 人, 皇 甫 嘉 禾, 微 信
_SPACED_HAN = re.compile(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff](?: [\u4e00-\u9fff]){1,}(?![\u4e00-\u9fff])")


#: runs of letters and digits in groups (one space or dash between), and, inside one, a group of digits
#: with O/o/I/l touching them: an OCR or a hurried typist put letters for digits (l38OOl26695)
_ALNUM_RUN = re.compile(r"[0-9A-Za-z]+(?:[ -][0-9A-Za-z]+)*")
_OCR_GROUP = re.compile(r"(?<![0-9A-Za-z])([A-HJ-NP-Z]{0,2})((?=[0-9OoIl]*(?:[OoIl][0-9]|[0-9][OoIl]))[0-9OoIl]+)(?![0-9A-Za-z])")
_ADDRESS_UNITS = frozenset("弄号號室栋棟楼樓幢层層")
_OCR_TABLE = str.maketrans("OoIl", "0011")


@lru_cache(maxsize=1)
def _spelled_out():
    """(〇 beside a digit, an e-mail typed with a space between characters): RE2, linear in the text."""
    import re2

    return (re2.compile(r"[0-9][〇○]+|[〇○]+[0-9]"),
            re2.compile(r"(?:[0-9A-Za-z._\-] ){2,}[0-9A-Za-z._\-] ?@ ?(?:[0-9A-Za-z.\-] ){3,}[0-9A-Za-z.\-]"))


def _ocr_digits(m: re.Match) -> str:
    """In a run of 7+ letters and digits with 5+ digits (6222 O2OI 2345 6789, C6O3l8825 after a one- or
    two-letter prefix), O/o/I/l become 0 and 1 in the groups where they touch digits; words (ATM IOOO) stay.
    A shorter run right before an address unit (4l8弄, 6O2室) gets the same reading."""
    run = m.group()
    digits = sum(ch.isdigit() for ch in run)
    if digits < 2:
        return run
    if len(run) < 7 or digits < 5:
        if m.string[m.end():m.end() + 1] not in _ADDRESS_UNITS:
            return run
    return _OCR_GROUP.sub(lambda g: g.group(1) + g.group(2).translate(_OCR_TABLE), run)


def normalize_text(text: str) -> str:
    """The text personal data is looked for in, and that the analysis starts from.

    HTML entities are decoded (twice, for ``&amp;nbsp;``), tags become a space, full-width
    ASCII becomes half-width (Chinese sentence punctuation is kept), other decimal digits and
    ①–⑨ become ASCII digits, every dash becomes ``-``, every kind of space and line break
    becomes one space, zero-width and control characters (NUL included) are removed, and
    single characters typed with spaces between them (投 诉 人) are joined, and O/o/I/l inside a
    run of seven or more digits and such letters (five digits at least, after at most two capital letters),
    or inside a shorter run of two digits or more right before an address unit (4l8弄), become 0 and 1, 〇 beside a digit
    becomes 0 and an e-mail address typed with a space between every character is joined. The result has no
    line breaks, so a number split over lines is one run of digit groups again.
    """
    if "&" in text:
        text = html.unescape(html.unescape(text))
    if "<" in text:
        text = _TAG.sub(" ", text)
    text = text.translate(_fold_table())
    if "  " in text:
        text = _SPACES.sub(" ", text)
    if " " in text:
        text = _SPACED_HAN.sub(lambda m: m.group().replace(" ", ""), text)
    if any(ch in text for ch in "OoIl"):
        text = _ALNUM_RUN.sub(_ocr_digits, text)
    if "〇" in text or "○" in text:  # 138〇〇72 6548: a Chinese zero typed among digits
        text = _spelled_out()[0].sub(lambda m: m.group().replace("〇", "0").replace("○", "0"), text)
    if "@" in text and " " in text:  # h u a n g l i @ 1 2 6 . c o m: an address typed letter by letter
        text = _spelled_out()[1].sub(lambda m: m.group().replace(" ", ""), text)
    return text.strip()


#: The cleaning steps applied after masking, in order.
CLEANERS: tuple[Callable[[str], str], ...] = (
    replace_urls,
    to_simplified,
    collapse_punctuation,
)
