"""Complaint-theme taxonomy: loading, validation and compiled rule matching.

A taxonomy is a YAML file with a top-level ``themes`` list (a bare list is
accepted too).  Each theme has::

    key:              snake_case identifier, unique, stable
    label_zh:         Chinese label
    label_en:         English label
    description:      one-line meaning
    dimension:        SERVQUAL dimension (optional, may be null)
    seed_terms:       literal terms whose presence marks the theme
    patterns:         Python regexes for keyword-free descriptions (optional)
    exclude_patterns: regexes whose matches are masked out before matching
                      (negations, irrelevant uses; optional)

Every regex is compiled once at load time; one combined regex per theme is
built for fast matching.  Problems raise :class:`TaxonomyError`, whose
message names the file, the theme key and the field.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import yaml

from minetools.config import MinetoolsError

__all__ = ["Theme", "Taxonomy", "TaxonomyError", "load_taxonomy", "DEFAULT_TAXONOMY"]

DEFAULT_TAXONOMY = "taxonomy.yml"
_KEY_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_REQUIRED = ("key", "label_zh", "label_en", "description", "seed_terms")
_OPTIONAL_LISTS = ("patterns", "exclude_patterns")
_RESERVED_KEYS = {"other"}
# Flags used for every rule regex: ASCII words (ATM, APP, VIP) match in any case.
RULE_FLAGS = re.IGNORECASE
# Character used to blank out excluded spans (keeps offsets stable).
MASK_CHAR = "\u2591"


class TaxonomyError(MinetoolsError, ValueError):
    """Raised when a taxonomy file is malformed."""


@dataclass(frozen=True)
class Theme:
    """One complaint theme with its compiled matching rules."""

    key: str
    label_zh: str
    label_en: str
    description: str
    dimension: str | None
    seed_terms: tuple[str, ...]
    patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    compiled_patterns: tuple[re.Pattern, ...] = field(default=(), repr=False, compare=False)
    compiled_excludes: tuple[re.Pattern, ...] = field(default=(), repr=False, compare=False)
    regex: re.Pattern | None = field(default=None, repr=False, compare=False)
    exclude_regex: re.Pattern | None = field(default=None, repr=False, compare=False)
    seed_regex: re.Pattern | None = field(default=None, repr=False, compare=False)
    seeds_folded: tuple[str, ...] = field(default=(), repr=False, compare=False)

    # -- matching -------------------------------------------------------
    def mask(self, text: str) -> str:
        """Blank out spans matched by ``exclude_patterns`` (same length)."""
        if self.exclude_regex is None or not text:
            return text
        return self.exclude_regex.sub(lambda m: MASK_CHAR * len(m.group(0)), text)

    def hit(self, text: str) -> bool:
        """True if any seed term or pattern matches outside excluded spans.

        Fast path equivalent to ``regex.search(mask(text))``: seeds are tested
        with substring search on the case-folded text (much faster than a
        long regex alternation), then patterns one by one.
        """
        if not text:
            return False
        if self.exclude_regex is not None and self.exclude_regex.search(text):
            text = self.mask(text)
        folded = text.lower()
        for s in self.seeds_folded:
            if s in folded:
                return True
        for rx in self.compiled_patterns:
            if rx.search(text):
                return True
        return False

    def matches(self, text: str) -> dict[str, Any]:
        """Detailed rule evidence for one text (used by ``explain``)."""
        masked = self.mask(text or "")
        seeds = []
        if self.seed_regex is not None:
            seeds = sorted({m.group(0) for m in self.seed_regex.finditer(masked)})
        pats = []
        for src, rx in zip(self.patterns, self.compiled_patterns):
            m = rx.search(masked)
            if m:
                pats.append({"pattern": src, "match": m.group(0)})
        excluded = []
        if self.exclude_regex is not None:
            excluded = [m.group(0) for m in self.exclude_regex.finditer(text or "")]
        return {"seed_terms": seeds, "patterns": pats, "excluded": excluded}

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of rule matches (after exclusion masking)."""
        if not text or self.regex is None:
            return []
        return [m.span() for m in self.regex.finditer(self.mask(text)) if m.end() > m.start()]


@dataclass(frozen=True)
class Taxonomy:
    """An ordered collection of :class:`Theme` objects loaded from a file."""

    themes: tuple[Theme, ...]
    path: str
    hash: str
    name: str = "taxonomy"
    version: str | int | None = None

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.themes]

    def get(self, key: str) -> Theme:
        for t in self.themes:
            if t.key == key:
                return t
        raise KeyError(f"unknown theme key {key!r}; known: {', '.join(self.keys)}")

    def label(self, key: str, lang: str = "zh") -> str:
        if key == "other":
            return "其他" if lang == "zh" else "Other"
        theme = self.get(key)
        if lang == "zh":
            return theme.label_zh
        if lang == "en":
            return theme.label_en
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")

    def __len__(self) -> int:
        return len(self.themes)

    def __iter__(self) -> Iterator[Theme]:
        return iter(self.themes)

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def __repr__(self) -> str:
        return f"Taxonomy(path={self.path!r}, themes={self.keys!r}, hash={self.hash[:12]!r})"

    # Compiled regexes pickle fine, but keep pickles small and portable by
    # rebuilding from source text.
    def __reduce__(self):
        return (_taxonomy_from_text, (self._text, self.path))

    @property
    def _text(self) -> str:
        return object.__getattribute__(self, "_source_text")


# ----------------------------------------------------------------------
# loading / validation
# ----------------------------------------------------------------------
def _compile(pattern: str, where: str) -> re.Pattern:
    try:
        return re.compile(pattern, RULE_FLAGS)
    except re.error as exc:
        raise TaxonomyError(f"{where}: invalid regex {pattern!r}: {exc}") from exc


def _str_list(value: Any, where: str, *, allow_empty: bool) -> tuple[str, ...]:
    if value is None:
        value = []
    if not isinstance(value, list):
        raise TaxonomyError(f"{where}: must be a list of strings, got {type(value).__name__}")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise TaxonomyError(f"{where}[{i}]: must be a non-empty string, got {item!r}")
        out.append(item.strip())
    if not out and not allow_empty:
        raise TaxonomyError(f"{where}: must contain at least one entry")
    return tuple(out)


def _build_theme(raw: Any, index: int, src: str) -> Theme:
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{src}: theme #{index} must be a mapping, got {type(raw).__name__}")
    key = raw.get("key")
    ident = f"theme {key!r}" if isinstance(key, str) else f"theme #{index}"
    for fld in _REQUIRED:
        if fld not in raw or raw[fld] is None or (isinstance(raw[fld], str) and not raw[fld].strip()):
            raise TaxonomyError(f"{src}: {ident}: missing required field {fld!r}")
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise TaxonomyError(f"{src}: {ident}: field 'key' must be snake_case (e.g. 'staff_attitude')")
    if key in _RESERVED_KEYS:
        raise TaxonomyError(f"{src}: {ident}: field 'key' uses reserved name {key!r}")
    for fld in ("label_zh", "label_en", "description"):
        if not isinstance(raw[fld], str):
            raise TaxonomyError(f"{src}: {ident}: field {fld!r} must be a string")
    dimension = raw.get("dimension")
    if dimension is not None and not isinstance(dimension, str):
        raise TaxonomyError(f"{src}: {ident}: field 'dimension' must be a string or null")
    known = set(_REQUIRED) | set(_OPTIONAL_LISTS) | {"dimension"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise TaxonomyError(f"{src}: {ident}: unknown field(s) {unknown}")

    seeds = _str_list(raw["seed_terms"], f"{src}: {ident}: field 'seed_terms'", allow_empty=False)
    patterns = _str_list(raw.get("patterns"), f"{src}: {ident}: field 'patterns'", allow_empty=True)
    excludes = _str_list(raw.get("exclude_patterns"), f"{src}: {ident}: field 'exclude_patterns'", allow_empty=True)

    cpats = tuple(_compile(p, f"{src}: {ident}: field 'patterns'[{i}]") for i, p in enumerate(patterns))
    cexcl = tuple(_compile(p, f"{src}: {ident}: field 'exclude_patterns'[{i}]") for i, p in enumerate(excludes))

    # One combined regex per theme: literal seeds (longest first) + patterns.
    seed_alt = "|".join(re.escape(s) for s in sorted(set(seeds), key=len, reverse=True))
    seed_rx = re.compile(seed_alt, RULE_FLAGS)
    parts = [seed_alt] + [f"(?:{p})" for p in patterns]
    combined = _compile("|".join(parts), f"{src}: {ident}: field 'patterns' (combined)")
    excl_rx = _compile("|".join(f"(?:{p})" for p in excludes), f"{src}: {ident}: field 'exclude_patterns' (combined)") if excludes else None

    return Theme(
        key=key,
        label_zh=raw["label_zh"].strip(),
        label_en=raw["label_en"].strip(),
        description=raw["description"].strip(),
        dimension=dimension.strip() if isinstance(dimension, str) and dimension.strip() else None,
        seed_terms=seeds,
        patterns=patterns,
        exclude_patterns=excludes,
        compiled_patterns=cpats,
        compiled_excludes=cexcl,
        regex=combined,
        exclude_regex=excl_rx,
        seed_regex=seed_rx,
        seeds_folded=tuple(sorted({s.lower() for s in seeds}, key=len)),
    )


def _taxonomy_from_text(text: str, path: str) -> Taxonomy:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path}: not valid YAML: {exc}") from exc
    name, version = Path(path).stem, None
    if isinstance(data, dict):
        name = str(data.get("name", name))
        version = data.get("version")
        themes_raw = data.get("themes")
        if themes_raw is None:
            raise TaxonomyError(f"{path}: missing top-level field 'themes'")
    else:
        themes_raw = data
    if not isinstance(themes_raw, list) or not themes_raw:
        raise TaxonomyError(f"{path}: field 'themes' must be a non-empty list")
    themes, seen = [], set()
    for i, raw in enumerate(themes_raw):
        theme = _build_theme(raw, i, path)
        if theme.key in seen:
            raise TaxonomyError(f"{path}: theme {theme.key!r}: field 'key' is duplicated")
        seen.add(theme.key)
        themes.append(theme)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    tax = Taxonomy(themes=tuple(themes), path=str(path), hash=digest, name=name, version=version)
    object.__setattr__(tax, "_source_text", text)
    return tax


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load and validate a taxonomy file (``None`` → the bundled default)."""
    if path is None:
        ref = resources.files("minetools").joinpath("resources", DEFAULT_TAXONOMY)
        text = ref.read_bytes().decode("utf-8")
        return _taxonomy_from_text(text, str(ref))
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise TaxonomyError(f"{p}: cannot read taxonomy file: {exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TaxonomyError(f"{p}: taxonomy file is not UTF-8: {exc}") from exc
    return _taxonomy_from_text(text, str(p))
