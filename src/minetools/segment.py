"""Chinese word segmentation for complaint text: domain-aware, jieba-compatible, fast.

:class:`Segmenter` owns a private tokenizer (never jieba's or rjieba's module-wide one),
loads the bundled bank-complaint dictionary, stopwords and synonym table once, keeps
masking placeholders such as ``[手机号]`` whole, and is picklable (the tokenizer is rebuilt
lazily in the receiving process).

* ``backend="rjieba"`` (default) is a Rust implementation of jieba's algorithm reading the
  same main dictionary; the bundled and user words are added through its API.
  ``backend="jieba"`` selects plain jieba (a private ``jieba.Tokenizer``).
* Large inputs are split over worker processes when that is measured to help
  (``n_jobs="auto"``, see ``bench/results/segment.md``).
* ``cache_dir=`` keeps a content-hash cache (sqlite): re-running on a file where most rows
  are unchanged only segments the new ones.
* Research helpers: :func:`keywords` (TF-IDF or TextRank for any subset),
  :func:`word_frequencies` and :func:`kwic` (keyword in context).

Resource files (user dictionaries, stopwords, synonyms) may have a BOM, CRLF line ends,
tab or space separators, missing frequencies and duplicate words; lines that cannot be
parsed are reported with their line numbers (:class:`ResourceError`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sqlite3
import sys
import unicodedata
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported lazily: it would triple the cold-start time
    import pandas as pd

__all__ = [
    "Segmenter",
    "PLACEHOLDERS",
    "ResourceError",
    "LineProblem",
    "load_user_dict",
    "load_word_list",
    "load_synonyms",
    "parse_user_dict",
    "parse_word_list",
    "parse_synonyms",
    "keywords",
    "word_frequencies",
    "kwic",
]

#: Typed placeholders written by :func:`minetools.clean.mask_pii` and URL replacement.
PLACEHOLDERS = ("[手机号]", "[固话]", "[身份证号]", "[银行卡号]", "[邮箱]", "[姓名]", "[网址]")
_PLACEHOLDER_SET = frozenset(PLACEHOLDERS)
_PLACEHOLDER_SPLIT = re.compile("(" + "|".join(re.escape(p) for p in PLACEHOLDERS) + ")")
_PLACEHOLDER_TAG = "nz"
_BACKENDS = ("rjieba", "jieba")
_CACHE_FORMAT = 1

# Token and document separators used to pack token lists into one string (worker results,
# cache rows).  Both are control characters: the noise filter never lets them into a token.
_TOK_SEP = "\x1f"
_DOC_SEP = "\x1e"
_TAG_SEP = "\x1d"

#: jieba only ever joins characters of this class into one token (``re_han_default``); a
#: dictionary word with any other character can never be produced.
_JIEBA_WORD = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")
_FREQ = re.compile(r"\d+")
_TAG = re.compile(r"[A-Za-z]{1,8}")
_SYN_SPLIT = re.compile(r"\s*(?:\t|,|，|=>|->|→|\s)\s*")

# Measured on this project's 2-core machine (bench/results/segment.md): one worker process
# per core pays off above roughly 2 MB of text; below that, start-up and result transfer
# cost more than they save.
_PARALLEL_MIN_CHARS = 1_000_000
_CHUNK_DOCS = 1000


# ------------------------------------------------------------------------------------------
# Resource files
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineProblem:
    """One line of a resource file that was rejected (``severity="error"``) or is suspicious."""

    path: str
    line: int
    text: str
    reason: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.path}, line {self.line}: {self.reason} (got {self.text!r})"


class ResourceError(ValueError):
    """A user dictionary, stopword or synonym file has lines that cannot be parsed."""

    def __init__(self, problems: Sequence[LineProblem]):
        self.problems = list(problems)
        shown = "\n  ".join(str(p) for p in self.problems[:20])
        more = f"\n  … and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(
            f"{len(self.problems)} line(s) could not be used:\n  {shown}{more}\n"
            "Fix or delete those lines (a '#' at the start of a line makes it a comment)."
        )


def _resource(name: str) -> Path:
    return Path(str(resources.files("minetools") / "resources" / name))


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (Windows exports)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _content_lines(path: str | Path) -> list[tuple[int, str]]:
    """Non-empty, non-comment lines with their 1-based line numbers (BOM, CRLF, CR tolerated)."""
    text = _decode(Path(path).read_bytes())
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.replace("\ufeff", "").replace("\u200b", "").strip()
        if line and not line.startswith("#"):
            out.append((number, line))
    return out


def _simplifier():
    """The text normalisation applied to user resources: half-width ASCII, then OpenCC t2s."""
    from .clean import normalize_width, to_simplified

    return lambda s: to_simplified(normalize_width(s))


def _report(problems: list[LineProblem], errors: str) -> None:
    if errors not in ("raise", "warn", "ignore"):
        raise ValueError(f"errors must be 'raise', 'warn' or 'ignore', got {errors!r}")
    bad = [p for p in problems if p.severity == "error"]
    if bad and errors == "raise":
        raise ResourceError(bad)
    if problems and errors != "ignore":
        for p in problems if errors == "warn" else [p for p in problems if p.severity != "error"]:
            warnings.warn(str(p), UserWarning, stacklevel=3)


def parse_user_dict(
    path: str | Path, *, simplify: bool = False
) -> tuple[list[tuple[str, int | None, str | None]], list[LineProblem]]:
    """Entries and problems of a jieba-format user dictionary (see :func:`load_user_dict`)."""
    conv = _simplifier() if simplify else None
    entries: dict[str, tuple[str, int | None, str | None]] = {}
    problems = []
    for number, line in _content_lines(path):
        parts = line.split()
        word, rest = parts[0], parts[1:]
        freq = tag = None
        reason = None
        if len(rest) > 2:
            reason = "expected 'word [frequency] [tag]', found more than three fields"
        elif rest:
            if _FREQ.fullmatch(rest[0]):
                freq = int(rest[0])
                if len(rest) == 2:
                    if _TAG.fullmatch(rest[1]):
                        tag = rest[1].lower()
                    else:
                        reason = f"the tag {rest[1]!r} is not a part-of-speech tag such as n, v, nz"
            elif len(rest) == 1 and _TAG.fullmatch(rest[0]):
                tag = rest[0].lower()
            else:
                reason = f"the frequency {rest[0]!r} is not a whole number"
        if reason:
            problems.append(LineProblem(str(path), number, line, reason))
            continue
        if conv is not None:
            word = conv(word)
        if not _JIEBA_WORD.fullmatch(word):
            bad = sorted({ch for ch in word if not _JIEBA_WORD.fullmatch(ch)})
            problems.append(LineProblem(
                str(path), number, line,
                f"the word contains {''.join(bad)!r}, where jieba always splits; it can never be a token",
                severity="warning"))
            continue
        entries.pop(word, None)  # duplicates: the last line wins (and moves to the end)
        entries[word] = (word, freq, tag)
    return list(entries.values()), problems


def load_user_dict(
    path: str | Path, *, errors: str = "raise", simplify: bool = False
) -> list[tuple[str, int | None, str | None]]:
    """Read a jieba-format user dictionary: ``word [freq] [tag]`` per line.

    Fields may be separated by spaces or tabs; the frequency and the tag are optional
    (``word tag`` is accepted too). BOM, CRLF and GB18030-encoded files are read; for a
    duplicated word the last line wins. ``errors="raise"`` raises :class:`ResourceError`
    listing every line that cannot be parsed, ``"warn"`` warns and skips them. Words that
    contain characters jieba always splits at are skipped with a warning.
    ``simplify=True`` converts words to Simplified script and half-width ASCII, as
    :func:`minetools.clean.clean_text` does to texts.
    """
    entries, problems = parse_user_dict(path, simplify=simplify)
    _report(problems, errors)
    return entries


def parse_word_list(path: str | Path, *, simplify: bool = False) -> tuple[set[str], list[LineProblem]]:
    """Words and problems of a word list (see :func:`load_word_list`)."""
    conv = _simplifier() if simplify else None
    words: set[str] = set()
    for _, line in _content_lines(path):
        for word in line.split():
            words.add(conv(word) if conv else word)
    return words, []


def load_word_list(path: str | Path, *, errors: str = "raise", simplify: bool = False) -> set[str]:
    """Words of a list such as stopwords: one per line (or several separated by spaces).

    ``#`` starts a comment line. ``simplify=True`` converts to Simplified script.
    """
    words, problems = parse_word_list(path, simplify=simplify)
    _report(problems, errors)
    return words


def _resolve_synonyms(table: dict[str, str], source: str) -> tuple[dict[str, str], list[LineProblem]]:
    """Follow chains (a→b, b→c gives a→c); cycles are problems."""
    resolved, problems = {}, []
    for variant in table:
        seen, target = {variant}, table[variant]
        while target in table and target not in seen:
            seen.add(target)
            target = table[target]
        if target in seen:
            problems.append(LineProblem(source, 0, variant, "synonyms form a cycle"))
            continue
        resolved[variant] = target
    return resolved, problems


def parse_synonyms(path: str | Path, *, simplify: bool = False) -> tuple[dict[str, str], list[LineProblem]]:
    """Table and problems of a synonym file (see :func:`load_synonyms`)."""
    conv = _simplifier() if simplify else None
    table: dict[str, str] = {}
    problems = []
    for number, line in _content_lines(path):
        parts = [p for p in _SYN_SPLIT.split(line) if p]
        if len(parts) != 2:
            problems.append(LineProblem(
                str(path), number, line, "expected 'variant<TAB>canonical' (two words; tab, space or comma between)"))
            continue
        variant, canonical = (conv(p) for p in parts) if conv else parts
        if variant != canonical:
            table[variant] = canonical  # duplicates: the last line wins
    resolved, cycles = _resolve_synonyms(table, str(path))
    return resolved, problems + cycles


def load_synonyms(path: str | Path, *, errors: str = "raise", simplify: bool = False) -> dict[str, str]:
    """``variant<TAB>canonical`` per line (tab, spaces or a comma between the two words).

    Chains are followed (a→b, b→c maps a to c). A line that cannot be parsed raises
    :class:`ResourceError` (a ``ValueError``) naming its line number, unless ``errors="warn"``.
    """
    table, problems = parse_synonyms(path, simplify=simplify)
    _report(problems, errors)
    return table


def _is_noise(token: str) -> bool:
    """True for tokens made only of whitespace, punctuation or control characters.

    Emoji (category So) are kept: they carry emotion.
    """
    return all(unicodedata.category(ch)[0] in "PZC" or ch in "~^`|<>=+" for ch in token)


def _load_rjieba_class():
    """``rjieba.Jieba`` without running ``rjieba/__init__.py``.

    The package's ``__init__`` builds a module-wide default tokenizer (~0.12 s and ~40 MB)
    that a Segmenter never uses; loading the extension module directly halves cold start.
    Falls back to the ordinary import.
    """
    mod = sys.modules.get("rjieba")
    if mod is not None:
        return mod.Jieba
    try:
        import importlib.machinery
        import importlib.util

        spec = importlib.util.find_spec("rjieba")
        for folder in spec.submodule_search_locations or ():
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                candidate = os.path.join(folder, "rjieba" + suffix)
                if os.path.exists(candidate):
                    loader = importlib.machinery.ExtensionFileLoader("rjieba.rjieba", candidate)
                    ext_spec = importlib.util.spec_from_file_location("rjieba.rjieba", candidate, loader=loader)
                    ext = importlib.util.module_from_spec(ext_spec)
                    loader.exec_module(ext)
                    return ext.Jieba
    except Exception:  # pragma: no cover - unusual installs
        pass
    import rjieba

    return rjieba.Jieba


def _backend_version(backend: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(backend)
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


class _TokenMap(dict):
    """token → output token ('' = drop), filled on first sight (C-speed lookups afterwards)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def __missing__(self, token):
        out = self.fn(token)
        if len(self) < 2_000_000:  # bounded: real vocabularies are far smaller
            self[token] = out
        return out


# ------------------------------------------------------------------------------------------
# Worker processes
# ------------------------------------------------------------------------------------------
def _fork_worker(seg: Segmenter, texts: list, counter, size: int, n_chunks: int, q) -> None:
    try:
        while True:
            with counter.get_lock():
                i = counter.value
                counter.value += 1
            if i >= n_chunks:
                break
            q.put((i, *seg._pack_chunk(seg._segment_serial(texts[i * size:(i + 1) * size]))))
    except BaseException:  # pragma: no cover - reported to the parent
        import traceback

        q.put(("error", traceback.format_exc()))
    q.put(("done",))


# ------------------------------------------------------------------------------------------
# Segmenter
# ------------------------------------------------------------------------------------------
class Segmenter:
    """Segment complaint texts into tokens.

    Parameters
    ----------
    backend : {"rjieba", "jieba"}
        Tokenizer implementation; both use jieba's algorithm, main dictionary and format.
    hmm : bool
        Use jieba's HMM to join unknown words (jieba's default).
    remove_stopwords : bool
        Drop bundled (and ``extra_stopwords``) stopwords. Negations (不 没 未 无 别) are
        never stopwords.
    use_synonyms : bool
        Replace variants by their canonical word (``营业员`` → ``柜员``).
    pos : bool
        Return ``(word, tag)`` pairs instead of words (jieba tags; placeholders get ``nz``).
    keep_pos : iterable of str or None
        Keep only tokens whose tag starts with one of these prefixes, e.g. ``("n", "v", "a")``.
    simplify : bool
        Convert each text to Simplified script and half-width ASCII first. Not needed for
        texts from :func:`minetools.clean.clean_text` (already converted).
    user_dicts : paths
        Extra jieba-format dictionaries (see :func:`load_user_dict`).
    extra_stopwords : words or paths of word lists
    extra_synonyms : dict, path of a synonym file, or a sequence of dicts and paths
        User resources are converted to Simplified script like the texts.
    n_jobs : "auto" or int
        Worker processes for :meth:`segment`; ``"auto"`` uses one per core only for large
        inputs (where it was measured to help), ``1`` never starts processes.
    cache_dir : path or None
        Directory of a content-hash cache (``segment_cache.sqlite``); rows whose text and
        settings were seen before are not segmented again.
    on_bad_lines : {"raise", "warn", "ignore"}
        What to do with user resource lines that cannot be parsed.

    Examples
    --------
    >>> Segmenter().tokenize("大堂经理很不耐烦，营业员把卡扔了回来")
    ['大堂经理', '很', '不耐烦', '柜员', '卡', '扔', '回来']
    """

    def __init__(
        self,
        *,
        backend: str = "rjieba",
        hmm: bool = True,
        remove_stopwords: bool = True,
        use_synonyms: bool = True,
        pos: bool = False,
        keep_pos: Iterable[str] | None = None,
        simplify: bool = False,
        user_dicts: Sequence[str | Path] = (),
        extra_stopwords: Iterable[str | Path] = (),
        extra_synonyms: dict[str, str] | str | Path | Sequence[str | Path] | None = None,
        n_jobs: int | str = "auto",
        cache_dir: str | Path | None = None,
        on_bad_lines: str = "raise",
        user_words: Sequence[tuple[str, int | None, str | None]] = (),
    ):
        if backend not in _BACKENDS:
            raise ValueError(f"backend must be one of {_BACKENDS}, got {backend!r}")
        if not (n_jobs == "auto" or (isinstance(n_jobs, int) and n_jobs >= 1)):
            raise ValueError(f"n_jobs must be 'auto' or a positive int, got {n_jobs!r}")
        self.backend = backend
        self.hmm = bool(hmm)
        self.remove_stopwords = bool(remove_stopwords)
        self.use_synonyms = bool(use_synonyms)
        self.pos = bool(pos)
        self.keep_pos = tuple(keep_pos) if keep_pos is not None else None
        self.simplify = bool(simplify)
        self.user_dicts = tuple(str(p) for p in user_dicts)
        self.n_jobs = n_jobs
        self.cache_dir = str(cache_dir) if cache_dir is not None else None
        self.on_bad_lines = on_bad_lines
        self.problems: list[LineProblem] = []  # everything found in user resources

        # --- user resources: words or files, converted like the texts --------------------
        conv = None
        stop_words, stop_files = [], []
        for item in extra_stopwords:
            if isinstance(item, Path) or (isinstance(item, str) and os.sep in item and os.path.isfile(item)):
                stop_files.append(str(item))
            else:
                stop_words.append(str(item))
        syn_table: dict[str, str] = {}
        syn_files: list[str] = []
        if isinstance(extra_synonyms, dict):
            syn_table = dict(extra_synonyms)
        elif isinstance(extra_synonyms, (str, Path)):
            syn_files = [str(extra_synonyms)]
        elif extra_synonyms:  # a sequence of paths and/or tables
            for item in extra_synonyms:
                if isinstance(item, dict):
                    syn_table.update(item)
                else:
                    syn_files.append(str(item))
        if stop_words or syn_table or stop_files or syn_files or self.user_dicts or user_words:
            conv = _simplifier()
        self.extra_stopwords = tuple(conv(w) for w in stop_words) if conv else ()
        self.extra_synonyms = {conv(k): conv(v) for k, v in syn_table.items()} if conv else {}
        self.stopword_files = tuple(stop_files)
        self.synonym_files = tuple(syn_files)

        problems: list[LineProblem] = []
        self._user_entries: list[tuple[str, int | None, str | None]] = []
        for path in self.user_dicts:
            entries, found = parse_user_dict(path, simplify=True)
            self._user_entries += entries
            problems += found
        self._user_entries += [(conv(w), f, t) for w, f, t in user_words]
        stopwords = load_word_list(_resource("stopwords.txt"))
        bundled_stopwords = frozenset(stopwords)
        stopwords.update(self.extra_stopwords)
        for path in self.stopword_files:
            words, found = parse_word_list(path, simplify=True)
            stopwords |= words
            problems += found
        synonyms = load_synonyms(_resource("synonyms.tsv"))
        user_syn = dict(self.extra_synonyms)
        for path in self.synonym_files:
            table, found = parse_synonyms(path, simplify=True)
            user_syn.update(table)
            problems += found
        if user_syn:
            synonyms.update(user_syn)
            synonyms, found = _resolve_synonyms(synonyms, "extra_synonyms")
            problems += found
        self.problems = problems
        _report(problems, on_bad_lines)
        self.stopwords = stopwords
        self.synonyms = synonyms
        self._user_synonym_words = sorted({w for pair in user_syn.items() for w in pair})
        self._user_stopwords = sorted(stopwords - bundled_stopwords)
        self._user_synonyms = dict(sorted(user_syn.items()))
        self._tokenizer = None
        self._map: _TokenMap | None = None
        self._config_hash: str | None = None

    # -- the private tokenizer -------------------------------------------------------------
    def _dictionary_entries(self) -> list[tuple[str, int | None, str | None]]:
        entries = load_user_dict(_resource("bank_dict.txt")) + self._user_entries
        known = {e[0] for e in entries}
        # user synonym words must come out whole, or the synonym could never apply
        entries += [(w, None, None) for w in self._user_synonym_words
                    if w not in known and _JIEBA_WORD.fullmatch(w)]
        return entries

    def _build(self):
        entries = self._dictionary_entries()
        if self.backend == "rjieba":
            tok = _load_rjieba_class()()
            for word, freq, tag in entries:
                tok.add_word(word, freq, tag)
            return tok
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        tok.initialize()
        for word, freq, tag in entries:
            tok.add_word(word, freq, tag)
        # jieba adds a re-added word's frequency to the total without removing the old one;
        # rjieba replaces it. Recount so that both backends use the same probabilities.
        tok.total = sum(tok.FREQ.values())
        if self.pos or self.keep_pos is not None:
            import jieba.posseg

            return jieba.posseg.POSTokenizer(tok)
        return tok

    @property
    def tokenizer(self):
        """The private tokenizer (built on first use)."""
        if self._tokenizer is None:
            self._tokenizer = self._build()
        return self._tokenizer

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_tokenizer"] = None  # rebuilt lazily in the receiving process
        state["_map"] = None
        return state

    def __setstate__(self, state):
        # models saved by earlier versions lack newer attributes: give them their defaults
        defaults = {"n_jobs": "auto", "cache_dir": None, "on_bad_lines": "raise", "problems": [], "pos": False,
                    "keep_pos": None, "simplify": False, "stopword_files": (), "synonym_files": (),
                    "extra_synonyms": {}, "_user_entries": [], "_user_synonym_words": [], "_map": None,
                    "_user_stopwords": [], "_user_synonyms": {},
                    "_config_hash": None, "hmm": True, "remove_stopwords": True, "use_synonyms": True}
        self.__dict__.update({**defaults, **state})

    # -- token post-processing ---------------------------------------------------------------
    def _map_token(self, token: str) -> str:
        """Output for one raw token: '' to drop it (noise, stopword)."""
        token = token.strip()
        if not token or _is_noise(token):
            return ""
        if self.use_synonyms:
            token = self.synonyms.get(token, token)
        if self.remove_stopwords and token in self.stopwords:
            return ""
        for sep in (_TOK_SEP, _DOC_SEP, _TAG_SEP):
            token = token.replace(sep, "")
        return sys.intern(token)

    @property
    def _token_map(self) -> _TokenMap:
        if self._map is None:
            self._map = _TokenMap(self._map_token)
        return self._map

    def _convert(self, text: str) -> str:
        if self.simplify:
            from .clean import normalize_width, to_simplified

            return to_simplified(normalize_width(text))
        return text

    def _tokens_plain(self, text: str, cut, hmm: bool, get) -> list[str]:
        if "[" in text:
            out: list[str] = []
            for piece in _PLACEHOLDER_SPLIT.split(text):
                if piece in _PLACEHOLDER_SET:
                    if not (self.remove_stopwords and piece in self.stopwords):
                        out.append(piece)
                elif piece:
                    out += filter(None, map(get, cut(piece, hmm)))
            return out
        return list(filter(None, map(get, cut(text, hmm))))

    def _tag(self, text: str) -> list[tuple[str, str]]:
        tok = self.tokenizer
        if self.backend == "rjieba":
            return tok.tag(text, self.hmm)
        return [(p.word, p.flag) for p in tok.lcut(text, HMM=self.hmm)]

    def _tokens_pos(self, text: str) -> list[tuple[str, str]]:
        get = self._token_map.__getitem__
        keep = self.keep_pos
        out = []
        for piece in _PLACEHOLDER_SPLIT.split(text) if "[" in text else (text,):
            if not piece:
                continue
            pairs = [(piece, _PLACEHOLDER_TAG)] if piece in _PLACEHOLDER_SET else self._tag(piece)
            for word, tag in pairs:
                word = word if piece in _PLACEHOLDER_SET else get(word)
                if word and (keep is None or tag.startswith(keep)):
                    out.append((word, tag))
        if not self.pos:
            return [w for w, _ in out]
        return out

    def tokenize(self, text: str) -> list[str] | list[tuple[str, str]]:
        """Tokens of one text (placeholders kept whole; noise and stopwords removed)."""
        if not isinstance(text, str) or not text:
            return []
        text = self._convert(text)
        if self.pos or self.keep_pos is not None:
            return self._tokens_pos(text)
        tok = self.tokenizer
        cut = self._cut_function()
        return self._tokens_plain(text, cut, self.hmm, self._token_map.__getitem__)

    def _cut_function(self):
        tok = self.tokenizer
        if self.backend == "rjieba":
            return tok.cut  # cut(text, hmm)
        lcut = tok.lcut
        return lambda text, hmm: lcut(text, False, hmm)  # lcut(text, cut_all, HMM)

    def _segment_serial(self, texts: Sequence[Any]) -> list[list]:
        if self.pos or self.keep_pos is not None or self.simplify:
            return [self.tokenize(t) for t in texts]
        tok = self.tokenizer
        cut = self._cut_function()
        get = self._token_map.__getitem__
        hmm = self.hmm
        plain = self._tokens_plain
        out = []
        append = out.append
        for t in texts:
            if t.__class__ is not str or not t:
                append([])
            elif "[" in t:
                append(plain(t, cut, hmm, get))
            else:
                append(list(filter(None, map(get, cut(t, hmm)))))
        return out

    # -- packing (worker results and cache rows) ---------------------------------------------
    def _pack(self, tokens: list) -> str:
        if self.pos:
            return _TOK_SEP.join(w + _TAG_SEP + t for w, t in tokens)
        return _TOK_SEP.join(tokens)

    def _unpack(self, packed: str) -> list:
        if not packed:
            return []
        parts = list(map(sys.intern, packed.split(_TOK_SEP)))  # shared string objects
        if self.pos:
            return [tuple(p.split(_TAG_SEP, 1)) for p in parts]
        return parts

    def _pack_chunk(self, docs: list[list]) -> tuple[str, bytes]:
        """All tokens of a chunk in one string, plus the token count of each document."""
        from array import array

        flat = [self._pack(d) for d in docs]
        lengths = array("I", map(len, docs))
        return _TOK_SEP.join(f for f in flat if f), lengths.tobytes()

    def _unpack_chunk(self, packed: str, lengths: bytes) -> list[list]:
        from array import array

        counts = array("I")
        counts.frombytes(lengths)
        tokens = list(map(sys.intern, packed.split(_TOK_SEP))) if packed else []
        if self.pos:
            tokens = [tuple(p.split(_TAG_SEP, 1)) for p in tokens]
        out, start = [], 0
        for n in counts:
            out.append(tokens[start:start + n])
            start += n
        return out

    # -- processes ---------------------------------------------------------------------------
    def _workers_for(self, texts: list) -> int:
        import multiprocessing as mp

        if mp.current_process().daemon:  # inside a worker of a pool: no processes of its own
            return 1
        if self.n_jobs != "auto":
            return int(self.n_jobs)
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - macOS, Windows
            cores = os.cpu_count() or 1
        if cores < 2 or len(texts) < 2 * _CHUNK_DOCS:
            return 1
        chars = sum(len(t) for t in texts if t.__class__ is str)
        if chars < _PARALLEL_MIN_CHARS:
            return 1
        try:  # a second process only helps when a core is idle (measured: it hurts otherwise);
            # the load average counts this process too, so one running task leaves cores - 1 busy-free
            idle = cores - max(0.0, os.getloadavg()[0] - 1.0)
        except OSError:  # pragma: no cover
            idle = cores
        return max(1, min(cores, 4, int(idle + 0.5)))

    def _segment_parallel(self, texts: list, n_workers: int) -> list[list]:
        """Split ``texts`` over ``n_workers - 1`` forked workers and this process.

        Workers inherit the built tokenizer and the texts through fork (nothing is sent to
        them); every process, the caller included, takes the next chunk from a shared counter,
        so the split adapts to the load. Workers send back each chunk's tokens packed into
        one string. Where fork is unavailable the texts are segmented serially.
        """
        import multiprocessing as mp
        import queue as queue_mod

        if "fork" not in mp.get_all_start_methods() or not sys.platform.startswith("linux"):
            return self._segment_serial(texts)
        ctx = mp.get_context("fork")
        self.tokenizer  # noqa: B018 - build before forking so workers inherit it
        size = _CHUNK_DOCS
        n_chunks = (len(texts) + size - 1) // size
        counter = ctx.Value("l", 0)
        results: list = [None] * n_chunks
        q = ctx.Queue()
        workers = [ctx.Process(target=_fork_worker, args=(self, texts, counter, size, n_chunks, q), daemon=True)
                   for _ in range(n_workers - 1)]
        for w in workers:
            w.start()
        done = 0

        def receive(item):
            nonlocal done
            if item[0] == "done":
                done += 1
            elif item[0] == "error":
                raise RuntimeError(f"segmentation worker failed:\n{item[1]}")
            else:
                results[item[0]] = self._unpack_chunk(item[1], item[2])

        try:
            while True:
                with counter.get_lock():
                    i = counter.value
                    counter.value += 1
                if i >= n_chunks:
                    break
                results[i] = self._segment_serial(texts[i * size:(i + 1) * size])
                while True:
                    try:
                        receive(q.get_nowait())
                    except queue_mod.Empty:
                        break
            while done < len(workers):
                try:
                    receive(q.get(timeout=1.0))
                except queue_mod.Empty:
                    if any(w.exitcode not in (None, 0) for w in workers):
                        raise RuntimeError("a segmentation worker process died") from None
        finally:
            for w in workers:
                w.join(timeout=5)
                if w.is_alive():  # pragma: no cover
                    w.terminate()
            q.close()
        out: list[list] = []
        for part in results:
            out += part
        return out

    # -- cache -------------------------------------------------------------------------------
    def user_resources(self) -> dict:
        """What the user added to the bundled resources, as plain data (a saved model keeps it)."""
        return {"dictionary": [list(e) for e in self._user_entries], "stopwords": list(self._user_stopwords),
                "synonyms": dict(self._user_synonyms)}

    def options(self) -> dict:
        """The options that decide the tokens (with :meth:`user_resources`, enough to rebuild it)."""
        return {"backend": self.backend, "hmm": self.hmm, "remove_stopwords": self.remove_stopwords,
                "use_synonyms": self.use_synonyms}

    def config_hash(self) -> str:
        """Hash of everything that decides the tokens: backend, options and all resources."""
        if self._config_hash is None:
            payload = {
                "format": _CACHE_FORMAT,
                "backend": self.backend,
                "backend_version": _backend_version(self.backend),
                "options": [self.hmm, self.remove_stopwords, self.use_synonyms, self.pos,
                            self.keep_pos, self.simplify],
                "dictionary": self._dictionary_entries(),
                "stopwords": sorted(self.stopwords),
                "synonyms": sorted(self.synonyms.items()),
            }
            blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
            self._config_hash = hashlib.sha256(blob).hexdigest()
        return self._config_hash

    def _cache_db(self) -> sqlite3.Connection:
        folder = Path(self.cache_dir)
        folder.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(folder / "segment_cache.sqlite", timeout=60)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("CREATE TABLE IF NOT EXISTS tokens (config TEXT NOT NULL, key BLOB NOT NULL, "
                    "packed TEXT NOT NULL, PRIMARY KEY (config, key)) WITHOUT ROWID")
        return con

    def _segment_cached(self, texts: list) -> list[list]:
        config = self.config_hash()
        keys = [hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest()[:16]
                if t.__class__ is str and t else None for t in texts]
        con = self._cache_db()
        try:
            found: dict[bytes, str] = {}
            wanted = list({k for k in keys if k is not None})
            for i in range(0, len(wanted), 500):
                part = wanted[i:i + 500]
                rows = con.execute(
                    f"SELECT key, packed FROM tokens WHERE config = ? AND key IN ({','.join('?' * len(part))})",
                    [config, *part])
                found.update(rows)
            missing = {}
            for k, t in zip(keys, texts):
                if k is not None and k not in found and k not in missing:
                    missing[k] = t
            self.last_cache_hits = len(texts) - len(missing)
            if missing:
                new = self._segment_uncached(list(missing.values()))
                rows = [(config, k, self._pack(toks)) for k, toks in zip(missing, new)]
                with con:
                    con.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?)", rows)
                for (_, k, packed) in rows:
                    found[k] = packed
        finally:
            con.close()
        return [self._unpack(found[k]) if k is not None else [] for k in keys]

    def _segment_uncached(self, texts: list) -> list[list]:
        n_workers = self._workers_for(texts)
        if n_workers > 1:
            return self._segment_parallel(texts, n_workers)
        return self._segment_serial(texts)

    # -- public API -------------------------------------------------------------------------
    def segment(self, texts: Iterable[str]) -> list[list[str]]:
        """Tokens for each text, in order (non-strings and empty texts give ``[]``)."""
        texts = texts if isinstance(texts, list) else list(texts)
        if self.cache_dir is not None and texts:
            return self._segment_cached(texts)
        return self._segment_uncached(texts)

    def iter_segment(self, texts: Iterable[str], *, batch_size: int = 20_000) -> Iterator[list[str]]:
        """Tokens for each text, lazily, ``batch_size`` texts at a time (bounded memory)."""
        batch: list = []
        for t in texts:
            batch.append(t)
            if len(batch) >= batch_size:
                yield from self.segment(batch)
                batch = []
        if batch:
            yield from self.segment(batch)

    def segment_series(self, series: pd.Series) -> pd.Series:
        """Tokens for each value of a Series, keeping its index."""
        import pandas as pd

        return pd.Series(self.segment(series.tolist()), index=series.index, name="tokens", dtype=object)

    def __repr__(self) -> str:
        return (f"Segmenter(backend={self.backend!r}, hmm={self.hmm}, remove_stopwords={self.remove_stopwords}, "
                f"use_synonyms={self.use_synonyms}, pos={self.pos})")


# ------------------------------------------------------------------------------------------
# Research helpers
# ------------------------------------------------------------------------------------------
def _token_lists(tokens) -> list[list[str]]:
    if hasattr(tokens, "tolist"):
        tokens = tokens.tolist()
    out = []
    for doc in tokens:
        if hasattr(doc, "tolist") and not isinstance(doc, str):  # token lists read back from Parquet are arrays
            doc = doc.tolist()
        if isinstance(doc, (list, tuple)):
            out.append([t[0] if isinstance(t, tuple) else t for t in doc])
        else:
            out.append([])
    return out


def _subset(docs: list, subset) -> list:
    if subset is None:
        return docs
    if hasattr(subset, "to_numpy"):
        subset = subset.to_numpy()
    subset = list(subset)
    if subset and type(subset[0]).__name__ in ("bool", "bool_"):
        if len(subset) != len(docs):
            raise ValueError(f"boolean subset has {len(subset)} values for {len(docs)} documents")
        return [d for d, keep in zip(docs, subset) if keep]
    return [docs[int(i)] for i in subset]


def word_frequencies(tokens, subset=None, *, top_n: int | None = None, min_len: int = 1) -> pd.DataFrame:
    """Token counts: ``word``, ``count``, ``docs`` (documents containing it), ``doc_share``.

    ``tokens`` is a list/Series of token lists (``Segmenter().segment(texts)``);
    ``subset`` a boolean mask or positions selecting documents.
    """
    import pandas as pd

    docs = _subset(_token_lists(tokens), subset)
    count, docs_with = Counter(), Counter()
    for doc in docs:
        doc = [t for t in doc if len(t) >= min_len]
        count.update(doc)
        docs_with.update(set(doc))
    rows = count.most_common(top_n)
    frame = pd.DataFrame(rows, columns=["word", "count"])
    frame["docs"] = [docs_with[w] for w in frame["word"]]
    frame["doc_share"] = frame["docs"] / max(len(docs), 1)
    return frame


def _tfidf(all_docs, docs, top_n, min_len):
    n = len(all_docs)
    df = Counter()
    for doc in all_docs:
        df.update(set(doc))
    tf = Counter()
    for doc in docs:
        tf.update(t for t in doc if len(t) >= min_len)
    total = sum(tf.values()) or 1
    scores = {w: (c / total) * (math.log((1 + n) / (1 + df[w])) + 1.0) for w, c in tf.items()}
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]


def _textrank(docs, top_n, min_len, window=5, damping=0.85, iterations=50):
    graph: dict[str, Counter] = defaultdict(Counter)
    for doc in docs:
        doc = [t for t in doc if len(t) >= min_len]
        for i, w in enumerate(doc):
            for v in doc[i + 1:i + window]:
                if v != w:
                    graph[w][v] += 1
                    graph[v][w] += 1
    if not graph:
        return []
    words = sorted(graph)
    out_weight = {w: sum(graph[w].values()) for w in words}
    rank = dict.fromkeys(words, 1.0)
    for _ in range(iterations):
        rank = {w: (1 - damping) + damping * sum(c / out_weight[v] * rank[v] for v, c in graph[w].items())
                for w in words}
    top = max(rank.values())
    return sorted(((w, r / top) for w, r in rank.items()), key=lambda kv: (-kv[1], kv[0]))[:top_n]


def keywords(tokens, subset=None, *, method: str = "tfidf", top_n: int = 20, min_len: int = 2) -> pd.DataFrame:
    """Keywords of a subset of documents, as a DataFrame ``word``, ``score``.

    ``method="tfidf"``: term frequency in the subset × inverse document frequency over *all*
    documents given, so words typical of the subset (a branch, a month) rank first.
    ``method="textrank"``: PageRank over co-occurrences (window 5) within the subset.
    Tokens shorter than ``min_len`` characters are ignored.
    """
    import pandas as pd

    all_docs = _token_lists(tokens)
    docs = _subset(all_docs, subset)
    if method == "tfidf":
        rows = _tfidf(all_docs, docs, top_n, min_len)
    elif method == "textrank":
        rows = _textrank(docs, top_n, min_len)
    else:
        raise ValueError(f"method must be 'tfidf' or 'textrank', got {method!r}")
    return pd.DataFrame(rows, columns=["word", "score"])


def _kwic_frame_class():
    import pandas as pd

    class KwicFrame(pd.DataFrame):
        """Keyword-in-context lines; in a notebook the keyword column lines up."""

        @property
        def _constructor(self):
            return KwicFrame

        def _repr_html_(self):
            from html import escape

            head = "".join(f"<th>{escape(str(c))}</th>" for c in ["", *self.columns])
            rows = []
            for idx, row in zip(self.index, self.itertuples(index=False)):
                cells = []
                for col, value in zip(self.columns, row):
                    align = {"left": "right", "keyword": "center", "right": "left"}.get(col, "right")
                    style = f"text-align:{align};white-space:pre;font-family:monospace"
                    text = escape(str(value))
                    cells.append(f'<td style="{style}">{"<b>" + text + "</b>" if col == "keyword" else text}</td>')
                rows.append(f"<tr><th>{escape(str(idx))}</th>{''.join(cells)}</tr>")
            return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    return KwicFrame


def kwic(data, keyword: str, width: int = 15, *, text_col: str | None = None,
         max_rows: int | None = None) -> pd.DataFrame:
    """Keyword in context: every occurrence of ``keyword`` with ``width`` characters each side.

    ``data`` is a DataFrame (``text_col``, else ``text_clean``, else ``text``), a Series or a
    list of texts. Returns columns ``row`` (index label of the source row), ``left``,
    ``keyword``, ``right``; ``left`` is padded so keywords line up, and in a notebook the
    table renders with the keyword column centred.

    >>> kwic(["排队排了一小时", "不用排队"], "排队", width=3)["right"].tolist()
    ['排了一', '']
    """
    import pandas as pd

    if not keyword:
        raise ValueError("keyword must be a non-empty string")
    if isinstance(data, pd.DataFrame):
        if text_col is None:
            text_col = next((c for c in ("text_clean", "text") if c in data.columns), None)
            if text_col is None:
                raise ValueError(f"pass text_col=; columns are {list(data.columns)}")
        series = data[text_col]
    elif isinstance(data, pd.Series):
        series = data
    else:
        series = pd.Series(list(data))
    rows = []
    for label, text in series.items():
        if not isinstance(text, str):
            continue
        start = text.find(keyword)
        while start != -1:
            end = start + len(keyword)
            left = text[max(0, start - width):start].replace("\n", " ")
            rows.append((label, left.rjust(width, "\u3000"), keyword, text[end:end + width].replace("\n", " ")))
            if max_rows is not None and len(rows) >= max_rows:
                break
            start = text.find(keyword, end)
        if max_rows is not None and len(rows) >= max_rows:
            break
    return _kwic_frame_class()(rows, columns=["row", "left", "keyword", "right"])
