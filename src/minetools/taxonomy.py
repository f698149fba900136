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
from functools import lru_cache
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
#: batches at least this large are matched with Hyperscan (compiling its database takes a
#: few seconds once per process, which small batches would not win back)
FAST_RULES_MIN_TEXTS = 5_000


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

    def match_matrix(self, texts: list[str]):
        """Rule hits and exclusion hits of every theme for every text: two boolean arrays
        (n_texts, n_themes), ``R[i, j]`` = ``themes[j].hit(texts[i])`` and ``E[i, j]`` = an
        exclude pattern of theme j matches text i.

        Large batches use one Hyperscan pass per text over all themes' rules (about 30×
        faster than Python's ``re`` here); patterns Hyperscan cannot compile (back-references,
        look-arounds) and themes with an exclusion match in a text are decided by the Python
        rules, so the result is the same either way (tested).
        """
        import numpy as np

        n, k = len(texts), len(self.themes)
        engine = hyperscan_engine(self) if n >= FAST_RULES_MIN_TEXTS else None
        if engine is None:
            R = np.zeros((n, k), dtype=bool)
            E = np.zeros((n, k), dtype=bool)
            for j, th in enumerate(self.themes):
                if th.exclude_regex is not None:
                    search = th.exclude_regex.search
                    E[:, j] = [bool(t) and search(t) is not None for t in texts]
                R[:, j] = [th.hit(t) for t in texts]
            return R, E
        return engine.match(texts)

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
    for i, p in enumerate(excludes):  # each checked alone, so that an error names the pattern
        _compile(p, f"{src}: {ident}: field 'exclude_patterns'[{i}]")

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
        regex=combined,
        exclude_regex=excl_rx,
        seed_regex=seed_rx,
        seeds_folded=tuple(sorted({s.lower() for s in seeds}, key=len)),
    )


def _taxonomy_from_text(text: str, path: str) -> Taxonomy:
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when installed
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


# ----------------------------------------------------------------------
# fast matching (Hyperscan)
# ----------------------------------------------------------------------
_HS_UNSUPPORTED = re.compile(r"\\[1-9]|\(\?(?:[!=]|<[!=])")


class _HyperscanRules:
    """All themes' seed terms and patterns in one Hyperscan database, exclusions in another."""

    FLAGS = ("HS_FLAG_UTF8", "HS_FLAG_UCP", "HS_FLAG_CASELESS", "HS_FLAG_SINGLEMATCH", "HS_FLAG_ALLOWEMPTY")

    def __init__(self, taxonomy: Taxonomy):
        import hyperscan
        import numpy as np

        self.hs = hyperscan
        self.themes = taxonomy.themes
        flags = 0
        for name in self.FLAGS:
            flags |= getattr(hyperscan, name)
        rules, excludes = [], []
        for j, th in enumerate(self.themes):
            if th.seed_terms:
                rules.append((j, "|".join(re.escape(t) for t in th.seed_terms), None))
            rules += [(j, p, rx) for p, rx in zip(th.patterns, th.compiled_patterns)]
            excludes += [(j, p, None) for p in th.exclude_patterns]
        self.rule_db, self.rule_owner, self.rule_confirm = self._compile(rules, flags)
        self.exclude_db, self.exclude_owner, self.exclude_confirm = self._compile(excludes, flags)
        self.np = np

    def _compiles(self, pattern: str, flags: int) -> bool:
        try:
            self.hs.Database().compile(expressions=[pattern.encode("utf-8")], ids=[0], elements=1, flags=[flags])
            return True
        except self.hs.error:
            return False

    def _compile(self, items, flags: int):
        """One database for ``items`` (theme index, pattern, Python regex).

        Returns (database, owner theme of each id, {id: Python regex that must confirm}).
        Patterns Hyperscan cannot compile exactly (back-references, look-arounds, or too
        large) are compiled in prefilter mode, which matches a superset; Python confirms
        those hits.
        The plan and the database are cached on disk (``~/.cache/minetools``), keyed by the
        patterns and the Hyperscan version.
        """
        import hashlib
        import json

        key = hashlib.sha256(repr((getattr(self.hs, "__version__", ""), flags,
                                   [(j, p) for j, p, _ in items])).encode("utf-8")).hexdigest()[:24]
        folder = _cache_dir()
        cache = folder / f"hyperscan-{key}.db" if folder else None
        plan = db = None
        if cache is not None and cache.exists():
            try:
                plan = [tuple(x) for x in json.loads(cache.with_suffix(".json").read_text(encoding="utf-8"))]
                db = self.hs.loadb(cache.read_bytes(), self.hs.HS_MODE_BLOCK) if plan else None
            except Exception:  # a damaged cache is rebuilt
                plan = db = None
        if plan is None:
            plan = self._plan(items, flags)
            db = self._build(plan, flags)
            if cache is not None:
                try:
                    cache.with_suffix(".json").write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
                    if db is not None:
                        cache.write_bytes(self.hs.dumpb(db))
                except OSError:
                    pass
        regex = {(j, p): rx for j, p, rx in items}
        confirm = {i: (regex[(j, p)] or re.compile(p, RULE_FLAGS)) for i, (j, p, mode) in enumerate(plan) if mode}
        if len(plan) < len(items):  # a pattern not even a prefilter can express: refuse the fast path
            raise ValueError("pattern not supported by Hyperscan")
        return db, [j for j, _, _ in plan], confirm

    def _plan(self, items, flags: int) -> list[tuple[int, str, int]]:
        """(theme, pattern, mode) for every pattern: mode 0 exact, 1 prefilter + Python check."""
        exact = [(j, p) for j, p, _ in items if not _HS_UNSUPPORTED.search(p)]
        try:  # usually all of them compile exactly: one call
            self._build([(j, p, 0) for j, p in exact], flags)
            ok = set(exact)
        except self.hs.error:
            ok = {(j, p) for j, p in exact if self._compiles(p, flags)}
        prefilter = flags | self.hs.HS_FLAG_PREFILTER
        return [(j, p, 0) if (j, p) in ok else (j, p, 1) for j, p, _ in items
                if (j, p) in ok or self._compiles(p, prefilter)]

    def _build(self, plan, flags: int):
        if not plan:
            return None
        db = self.hs.Database()
        db.compile(expressions=[p.encode("utf-8") for _, p, _ in plan], ids=list(range(len(plan))),
                   elements=len(plan),
                   flags=[flags | (self.hs.HS_FLAG_PREFILTER if mode else 0) for _, _, mode in plan])
        return db

    def _mark(self, M, rows, ids, owner, confirm, texts) -> None:
        """Set M[row, owner[id]] for every match; prefilter matches only if Python confirms."""
        np = self.np
        rows_a, ids_a = np.asarray(rows, dtype=np.int64), np.asarray(ids, dtype=np.int64)
        owner = np.asarray(owner, dtype=np.int64)
        check = np.isin(ids_a, list(confirm)) if confirm else np.zeros(len(ids_a), dtype=bool)
        M[rows_a[~check], owner[ids_a[~check]]] = True
        for i, id_ in zip(rows_a[check], ids_a[check]):
            if not M[i, owner[id_]] and confirm[id_].search(texts[i]):
                M[i, owner[id_]] = True

    def match(self, texts: list[str]):
        np = self.np
        n, k = len(texts), len(self.themes)
        rows: list[int] = []
        ids: list[int] = []
        row = 0

        def on_match(id_, start, end, flags, context):
            rows.append(row)
            ids.append(id_)

        datas = [t.encode("utf-8", "surrogatepass") if t else b"" for t in texts]
        E = np.zeros((n, k), dtype=bool)
        if self.exclude_db is not None:
            scan, scratch = self.exclude_db.scan, self.hs.Scratch(self.exclude_db)
            for row, data in enumerate(datas):
                if data:
                    scan(data, match_event_handler=on_match, scratch=scratch)
            self._mark(E, rows, ids, self.exclude_owner, self.exclude_confirm, texts)
        R = np.zeros((n, k), dtype=bool)
        rows.clear()
        ids.clear()
        if self.rule_db is not None:
            scan, scratch = self.rule_db.scan, self.hs.Scratch(self.rule_db)
            for row, data in enumerate(datas):
                if data:
                    scan(data, match_event_handler=on_match, scratch=scratch)
            self._mark(R, rows, ids, self.rule_owner, self.rule_confirm, texts)
        for i, j in zip(*np.nonzero(E)):  # rules must not match inside excluded spans: Python decides
            R[i, j] = self.themes[j].hit(texts[i])
        return R, E


def _cache_dir() -> Path | None:
    """Per-user cache folder for compiled rule databases, or None if it cannot be created."""
    import os

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "minetools"
    try:
        base.mkdir(parents=True, exist_ok=True)
        return base
    except OSError:
        return None


@lru_cache(maxsize=4)
def hyperscan_engine(taxonomy: Taxonomy):
    """The compiled Hyperscan matcher of a taxonomy (the last four kept per process; equal taxonomies
    share one), or None if unavailable."""
    try:
        return _HyperscanRules(taxonomy)
    except Exception:  # no hyperscan wheel for this platform, or an unexpected compile error
        return None
