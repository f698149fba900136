"""Row status of a cleaned text, and the full cleaning of one text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from minetools.clean.normalize import CLEANERS, normalize_text
from minetools.clean.pii import mask_texts

__all__ = ["clean_text", "clean_texts", "classify_text", "dedup_key"]


def clean_texts(masked: list[str], *, steps: Iterable[Callable[[str], str]] = CLEANERS) -> list[str]:
    """``text_clean`` from masked, normalised texts: each cleaning step in turn (web addresses, Simplified
    script, repeated punctuation), then personal data masked once more where a step changed the text (a
    Traditional label such as 聯繫人 becomes 联系人; masking is idempotent, so unchanged texts are done)."""
    steps = tuple(steps)
    out = []
    for t in masked:
        for step in steps:
            t = step(t)
        out.append(t)
    changed = [i for i, (a, b) in enumerate(zip(masked, out)) if a != b]
    again = mask_texts([out[i] for i in changed], normalized=True)[0]
    for i, t in zip(changed, again):
        out[i] = t
    return out


def clean_text(text: str, *, steps: Iterable[Callable[[str], str]] = CLEANERS) -> str:
    """Normalise, mask personal data, then :func:`clean_texts` (as a run does for ``text_clean``)."""
    if not isinstance(text, str):
        return ""
    return clean_texts(mask_texts([normalize_text(text)], normalized=True)[0], steps=steps)[0]


# --- row status ---------------------------------------------------------------------------
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NON_ANSWERS = {"无", "没有", "暂无", "空", "略", "无意见", "null", "none", "nan", "n/a", "na"}


def classify_text(text: str, *, max_chars: int = 5000) -> tuple[str, str]:
    """Status and reason for one cleaned text: ok, empty, invalid or truncated."""
    stripped = re.sub(r"[\W_]+", "", text or "")
    if not stripped and len(text or "") > max_chars:
        return "invalid", f"{len(text):,} characters of symbols only; not a complaint"
    if not stripped:
        return "empty", "no text (blank or punctuation only)"
    if stripped.lower() in _NON_ANSWERS:
        return "empty", f"no complaint content ({stripped!r})"
    if not _HAN.search(text):
        return "invalid", "no Chinese characters; not analysable as a complaint"
    if len(text) > max_chars:
        return "truncated", f"longer than {max_chars} characters; analysed truncated"
    return "ok", ""


def dedup_key(text: str) -> str:
    """Text reduced to letters, digits and Han characters (punctuation and spaces ignored)."""
    return re.sub(r"[\W_]+", "", text).lower()
