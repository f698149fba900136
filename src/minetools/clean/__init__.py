"""Cleaning: normalise the text, mask personal data, give every row a status, mark duplicates.

``normalize`` holds the ``str -> str`` steps, ``pii`` the personal-data rules (applied to
normalised text), ``status`` the row status, ``dedup`` the duplicate finder.
"""

from minetools.clean.dedup import mark_duplicates
from minetools.clean.normalize import (CLEANERS, collapse_punctuation, normalize_text, normalize_whitespace,
                                       normalize_width, replace_urls, strip_html, to_simplified)
from minetools.clean.pii import (PII_KINDS, count_pii, looks_like_name, looks_like_person, mask_pii, mask_texts,
                                 placeholder)
from minetools.clean.status import classify_text, clean_text, dedup_key

__all__ = [
    "normalize_width", "strip_html", "replace_urls", "to_simplified", "normalize_whitespace", "collapse_punctuation",
    "normalize_text", "CLEANERS", "PII_KINDS", "mask_texts", "mask_pii", "count_pii", "placeholder", "looks_like_name", "looks_like_person",
    "clean_text", "classify_text", "dedup_key", "mark_duplicates",
]
