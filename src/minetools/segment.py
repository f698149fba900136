"""Chinese word segmentation with a private tokenizer and a bank-complaint dictionary.

`Segmenter` owns its own tokenizer (never jieba's module-wide one), loads the bundled
bank dictionary, stopwords and synonym table once, keeps masking placeholders such as
``[手机号]`` whole, and is picklable (the tokenizer is rebuilt lazily in each process).

The default backend is rjieba (a Rust implementation of jieba's algorithm and
dictionary format); ``backend="jieba"`` selects plain jieba.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

import pandas as pd

__all__ = ["Segmenter", "PLACEHOLDERS", "load_word_list", "load_synonyms", "load_user_dict"]

#: Typed placeholders written by :func:`minetools.clean.mask_pii` and URL replacement.
PLACEHOLDERS = ("[手机号]", "[固话]", "[身份证号]", "[银行卡号]", "[邮箱]", "[姓名]", "[网址]")
_PLACEHOLDER_SPLIT = re.compile("(" + "|".join(re.escape(p) for p in PLACEHOLDERS) + ")")
_BACKENDS = ("rjieba", "jieba")


def _resource(name: str) -> Path:
    return Path(str(resources.files("minetools") / "resources" / name))


def _content_lines(path: Path) -> list[tuple[int, str]]:
    """Non-empty, non-comment lines with their 1-based line numbers (BOM and CRLF tolerated)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append((number, line))
    return out


def load_user_dict(path: str | Path) -> list[tuple[str, int | None, str | None]]:
    """Read a jieba-format user dictionary: ``word [freq] [tag]`` per line, space or tab separated."""
    entries = []
    for number, line in _content_lines(Path(path)):
        parts = line.split()
        word, freq, tag = parts[0], None, None
        if len(parts) >= 2:
            if parts[1].isdigit():
                freq = int(parts[1])
                tag = parts[2] if len(parts) >= 3 else None
            else:
                tag = parts[1]
        entries.append((word, freq, tag))
    return entries


def load_word_list(path: str | Path) -> set[str]:
    """One word per line (stopwords); ``#`` starts a comment line."""
    return {line.split()[0] for _, line in _content_lines(Path(path))}


def load_synonyms(path: str | Path) -> dict[str, str]:
    """``variant<TAB>canonical`` per line; a line that cannot be parsed raises ValueError with its number."""
    table = {}
    for number, line in _content_lines(Path(path)):
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(
                f"{path}, line {number}: expected 'variant<TAB>canonical', got {line!r}. "
                "Fix or delete that line."
            )
        table[parts[0]] = parts[1]
    return table


def _is_noise(token: str) -> bool:
    """True for tokens made only of whitespace, punctuation or control characters.

    Emoji (category So) are kept: they carry emotion.
    """
    return all(unicodedata.category(ch)[0] in "PZC" or ch in "~^`|<>=+" for ch in token)


class Segmenter:
    """Segment complaint texts into tokens.

    Parameters
    ----------
    backend : {"rjieba", "jieba"}
        Tokenizer implementation; both read jieba's dictionary format.
    hmm : bool
        Use jieba's HMM to join unknown words.
    remove_stopwords : bool
        Drop bundled (and ``extra_stopwords``) stopwords.
    use_synonyms : bool
        Replace variants by their canonical word (``营业员`` → ``柜员``).
    user_dicts, extra_stopwords, extra_synonyms :
        User resources added to the bundled ones (paths or in-memory values).

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
        user_dicts: Sequence[str | Path] = (),
        extra_stopwords: Iterable[str] = (),
        extra_synonyms: dict[str, str] | None = None,
    ):
        if backend not in _BACKENDS:
            raise ValueError(f"backend must be one of {_BACKENDS}, got {backend!r}")
        self.backend = backend
        self.hmm = hmm
        self.remove_stopwords = remove_stopwords
        self.use_synonyms = use_synonyms
        self.user_dicts = tuple(user_dicts)
        self.extra_stopwords = tuple(extra_stopwords)
        self.extra_synonyms = dict(extra_synonyms or {})
        self._tokenizer = None
        self.stopwords = load_word_list(_resource("stopwords.txt")) | set(self.extra_stopwords)
        self.synonyms = {**load_synonyms(_resource("synonyms.tsv")), **self.extra_synonyms}

    # -- the private tokenizer -------------------------------------------------------------
    def _dictionary_entries(self):
        entries = load_user_dict(_resource("bank_dict.txt"))
        for path in self.user_dicts:
            entries += load_user_dict(path)
        # placeholders are protected by splitting, but their inner words must not merge oddly
        return entries

    def _build(self):
        entries = self._dictionary_entries()
        if self.backend == "rjieba":
            import rjieba

            tok = rjieba.Jieba()
            for word, freq, tag in entries:
                tok.add_word(word, freq, tag)
        else:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            for word, freq, tag in entries:
                tok.add_word(word, freq, tag)
        return tok

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            self._tokenizer = self._build()
        return self._tokenizer

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_tokenizer"] = None  # rebuilt lazily in the receiving process
        return state

    # -- public API -------------------------------------------------------------------------
    def _cut(self, text: str) -> list[str]:
        if self.backend == "rjieba":
            return self.tokenizer.cut(text, self.hmm)
        return self.tokenizer.lcut(text, HMM=self.hmm)

    def tokenize(self, text: str) -> list[str]:
        """Tokens of one text (placeholders kept whole, noise, stopwords removed)."""
        if not isinstance(text, str) or not text:
            return []
        tokens: list[str] = []
        for piece in _PLACEHOLDER_SPLIT.split(text):
            if not piece:
                continue
            if piece in PLACEHOLDERS:
                tokens.append(piece)
                continue
            for tok in self._cut(piece):
                tok = tok.strip()
                if not tok or _is_noise(tok):
                    continue
                if self.use_synonyms:
                    tok = self.synonyms.get(tok, tok)
                if self.remove_stopwords and tok in self.stopwords:
                    continue
                tokens.append(tok)
        return tokens

    def segment(self, texts: Iterable[str]) -> list[list[str]]:
        """Tokens for each text, in order."""
        return [self.tokenize(t) for t in texts]

    def segment_series(self, series: pd.Series) -> pd.Series:
        """Tokens for each value of a Series, keeping its index."""
        return pd.Series(self.segment(series.tolist()), index=series.index, name="tokens")

    def __repr__(self) -> str:
        return f"Segmenter(backend={self.backend!r}, hmm={self.hmm}, remove_stopwords={self.remove_stopwords})"
