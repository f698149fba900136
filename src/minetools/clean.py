"""Text cleaning: small ``str -> str`` functions composed into one pipeline.

Personal data is masked first (after width normalisation, so full-width digits are
caught too): mobile and landline numbers, 18/15-digit ID numbers with a valid checksum,
bank card numbers passing the Luhn check, e-mail addresses and names in forms such as
``姓名：张三``. Each becomes a typed placeholder that segmentation keeps whole.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache

import pandas as pd

__all__ = [
    "normalize_width",
    "strip_html",
    "replace_urls",
    "to_simplified",
    "normalize_whitespace",
    "collapse_punctuation",
    "mask_pii",
    "count_pii",
    "clean_text",
    "classify_text",
    "mark_duplicates",
    "CLEANERS",
]

# --- normalisers --------------------------------------------------------------------------
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
# keep Chinese sentence punctuation full-width: it is what segmentation and readers expect
for _ch in "，。！？；：（）":
    _FULLWIDTH.pop(ord(_ch), None)


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


# --- personal data ----------------------------------------------------------------------
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _valid_id18(number: str) -> bool:
    body, check = number[:17], number[17].upper()
    if not body.isdigit():
        return False
    month, day = int(number[10:12]), int(number[12:14])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == check


def _valid_id15(number: str) -> bool:
    month, day = int(number[8:10]), int(number[10:12])
    return number.isdigit() and 1 <= month <= 12 and 1 <= day <= 31


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# digit runs, possibly grouped by spaces or dashes (card numbers are often written 6222 0000 ...)
_DIGITS = re.compile(r"(?<![\dA-Za-z])(?:\d[ \-]?){13,18}[\dXx](?![\dA-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[ \-]?)?1[3-9]\d(?:[ \-]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})[ \-]?\d{7,8}(?!\d)")
_NAME = re.compile(r"(姓名|联系人|户名|客户名称|本人)\s*[:：是为]\s*([\u4e00-\u9fa5·]{2,4})")

PII_TYPES = ("身份证号", "银行卡号", "手机号", "固话", "邮箱", "姓名")


def _mask_digit_run(match: re.Match, counts: Counter) -> str:
    raw = match.group(0)
    digits = re.sub(r"[ \-]", "", raw)
    if len(digits) == 18 and _valid_id18(digits):
        counts["身份证号"] += 1
        return "[身份证号]"
    if digits.isdigit() and 16 <= len(digits) <= 19 and _luhn(digits):
        counts["银行卡号"] += 1
        return "[银行卡号]"
    if len(digits) == 15 and _valid_id15(digits):
        counts["身份证号"] += 1
        return "[身份证号]"
    return raw


def _mask(text: str, counts: Counter) -> str:
    if "@" in text:
        text, k = _EMAIL.subn("[邮箱]", text)
        counts["邮箱"] += k
    text = _DIGITS.sub(lambda m: _mask_digit_run(m, counts), text)
    text, k = _MOBILE.subn("[手机号]", text)
    counts["手机号"] += k
    text, k = _LANDLINE.subn("[固话]", text)
    counts["固话"] += k
    text, k = _NAME.subn(lambda m: f"{m.group(1)}：[姓名]", text)
    counts["姓名"] += k
    return text


def mask_pii(text: str) -> str:
    """Replace personal data by typed placeholders ([手机号], [身份证号], [银行卡号], [邮箱], [姓名])."""
    return _mask(normalize_width(text), Counter())


def count_pii(texts: Iterable[str]) -> tuple[list[str], dict[str, int]]:
    """Mask every text and count what was masked, per type."""
    counts: Counter = Counter()
    masked = [_mask(normalize_width(t), counts) if isinstance(t, str) else t for t in texts]
    return masked, {k: int(counts.get(k, 0)) for k in PII_TYPES}


# --- the pipeline -------------------------------------------------------------------------
#: The cleaning steps applied after masking, in order.
CLEANERS: tuple[Callable[[str], str], ...] = (
    strip_html,
    replace_urls,
    to_simplified,
    normalize_whitespace,
    collapse_punctuation,
)


def clean_text(text: str, *, steps: Iterable[Callable[[str], str]] = CLEANERS) -> str:
    """Mask personal data, then apply each cleaning step in turn."""
    if not isinstance(text, str):
        return ""
    text = mask_pii(text)
    for step in steps:
        text = step(text)
    return text


# --- row status ---------------------------------------------------------------------------
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NON_ANSWERS = {"无", "没有", "暂无", "空", "略", "无意见", "null", "none", "nan", "n/a", "na"}


def classify_text(text: str, *, max_chars: int = 5000) -> tuple[str, str]:
    """Status and reason for one cleaned text: ok, empty, invalid or truncated."""
    stripped = re.sub(r"[\W_]+", "", text or "")
    if not stripped:
        return "empty", "no text (blank or punctuation only)"
    if stripped.lower() in _NON_ANSWERS:
        return "empty", f"no complaint content ({stripped!r})"
    if not _HAN.search(text):
        return "invalid", "no Chinese characters; not analysable as a complaint"
    if len(text) > max_chars:
        return "truncated", f"longer than {max_chars} characters; analysed truncated"
    return "ok", ""


def _dedup_key(text: str) -> str:
    """Text reduced to letters, digits and Han characters (punctuation and spaces ignored)."""
    return re.sub(r"[\W_]+", "", text).lower()


def mark_duplicates(texts: pd.Series, eligible: pd.Series, *, min_chars: int = 20) -> pd.Series:
    """For each eligible row, the index label of an earlier row with the same normalised text.

    Texts shorter than ``min_chars`` (after removing punctuation and spaces) are never
    duplicates: short survey comments such as "排队太久了" are written identically by
    different customers and each one counts.

    Returns a Series aligned with ``texts`` holding the first occurrence's label, or NA.
    """
    first: dict[str, object] = {}
    out = pd.Series(pd.NA, index=texts.index, dtype="object")
    for label, text, ok in zip(texts.index, texts.tolist(), eligible.tolist()):
        if not ok or not isinstance(text, str):
            continue
        key = _dedup_key(text)
        if len(key) < min_chars:
            continue
        if key in first:
            out[label] = first[key]
        else:
            first[key] = label
    return out
