"""The :class:`Segmenter`: a private jieba-compatible tokenizer with the bundled bank-complaint dictionary,
stopwords and synonyms, masking placeholders kept whole, on every core for large inputs and with an optional
content-hash cache.  See :mod:`minetools.segment`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minetools.segment.cache import CACHE_FORMAT, segment_cached
from minetools.segment.resources import (JIEBA_WORD, PLACEHOLDERS, LineProblem, bundled_resource, load_synonyms,
                                         load_user_dict, load_word_list, parse_synonyms, parse_user_dict,
                                         parse_word_list, report_problems, resolve_synonyms, simplifier)
from minetools.segment.workers import DOC_SEP, TAG_SEP, TOK_SEP, segment_parallel, workers_for

if TYPE_CHECKING:  # pandas is imported lazily: it would triple the cold-start time
    import pandas as pd

_PLACEHOLDER_SET = frozenset(PLACEHOLDERS)
_PLACEHOLDER_SPLIT = re.compile("(" + "|".join(re.escape(p) for p in PLACEHOLDERS) + ")")
_PLACEHOLDER_TAG = "nz"
_BACKENDS = ("rjieba", "jieba")


def _is_noise(token: str) -> bool:
    """True for tokens made only of whitespace, punctuation or control characters.

    Emoji (category So) are kept: they carry emotion.
    """
    return all(unicodedata.category(ch)[0] in "PZC" or ch in "~^`|<>=+" for ch in token)


@lru_cache(maxsize=2)
def _rjieba_tokenizer(entries: tuple) -> object:
    """An rjieba tokenizer with the dictionary ``entries`` added (shared by segmenters with the same dictionary,
    e.g. a run's and its model's: loading one takes about 0.1 s; nothing changes a tokenizer once built)."""
    tok = _load_rjieba_class()()
    for word, freq, tag in entries:
        tok.add_word(word, freq, tag)
    return tok


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
            conv = simplifier()
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
        stopwords = load_word_list(bundled_resource("stopwords.txt"))
        bundled_stopwords = frozenset(stopwords)
        stopwords.update(self.extra_stopwords)
        for path in self.stopword_files:
            words, found = parse_word_list(path, simplify=True)
            stopwords |= words
            problems += found
        synonyms = load_synonyms(bundled_resource("synonyms.tsv"))
        user_syn = dict(self.extra_synonyms)
        for path in self.synonym_files:
            table, found = parse_synonyms(path, simplify=True)
            user_syn.update(table)
            problems += found
        if user_syn:
            synonyms.update(user_syn)
            synonyms, found = resolve_synonyms(synonyms, "extra_synonyms")
            problems += found
        self.problems = problems
        report_problems(problems, on_bad_lines)
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
        entries = load_user_dict(bundled_resource("bank_dict.txt")) + self._user_entries
        known = {e[0] for e in entries}
        # user synonym words must come out whole, or the synonym could never apply
        entries += [(w, None, None) for w in self._user_synonym_words
                    if w not in known and JIEBA_WORD.fullmatch(w)]
        return entries

    def _build(self):
        entries = self._dictionary_entries()
        if self.backend == "rjieba":
            return _rjieba_tokenizer(tuple(entries))
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
        for sep in (TOK_SEP, DOC_SEP, TAG_SEP):
            token = token.replace(sep, "")
        return sys.intern(token)

    @property
    def _token_map(self) -> _TokenMap:
        if self._map is None:
            self._map = _TokenMap(self._map_token)
        return self._map

    def _convert(self, text: str) -> str:
        if self.simplify:
            from minetools.clean import normalize_width, to_simplified

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
        cut = self._cut_function()
        return self._tokens_plain(text, cut, self.hmm, self._token_map.__getitem__)

    def _cut_function(self):
        tok = self.tokenizer
        if self.backend == "rjieba":
            return tok.cut  # cut(text, hmm)
        lcut = tok.lcut
        return lambda text, hmm: lcut(text, False, hmm)  # lcut(text, cut_all, HMM)

    def segment_serial(self, texts: Sequence[Any]) -> list[list]:
        """Tokens for each text, in this process (no workers, no cache)."""
        if self.pos or self.keep_pos is not None or self.simplify:
            return [self.tokenize(t) for t in texts]
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
                "format": CACHE_FORMAT,
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

    def _segment_uncached(self, texts: list) -> list[list]:
        n_workers = workers_for(texts, self.n_jobs)
        if n_workers > 1:
            self.tokenizer  # noqa: B018 - build before forking so workers inherit it
            return segment_parallel(self.segment_serial, texts, n_workers, pos=self.pos)
        return self.segment_serial(texts)

    # -- public API -------------------------------------------------------------------------
    def segment(self, texts: Iterable[str]) -> list[list[str]]:
        """Tokens for each text, in order (non-strings and empty texts give ``[]``)."""
        texts = texts if isinstance(texts, list) else list(texts)
        if self.cache_dir is not None and texts:
            tokens, self.last_cache_hits = segment_cached(self.cache_dir, self.config_hash(), texts,
                                                          self._segment_uncached, pos=self.pos)
            return tokens
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
