"""Features of the theme model: word n-grams of pre-segmented tokens and a fast TF-IDF transform.

``FastTfidf`` reproduces a fitted scikit-learn ``TfidfVectorizer``'s ``transform`` (the same
matrix, about 20× faster); ``tests/themes/test_themes.py`` checks that the matrices are equal.
A loaded model's vectorizers are :class:`StoredVectorizer` (vocabulary, idf and settings only), so
applying a saved model does not import scikit-learn; ``to_sklearn`` gives the equivalent
``TfidfVectorizer`` where one is needed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["WordNgrams", "FastTfidf", "StoredVectorizer", "TokenIds", "identity", "prep_chars", "PLACEHOLDER_RE",
           "private_term", "prune_private", "l2_normalize_rows"]

PLACEHOLDER_RE = re.compile(r"\[[^\[\]\s]{1,10}\]")


class WordNgrams:
    """Analyzer for pre-tokenised documents: unigrams + n-grams joined by a space."""

    def __init__(self, ngram_range=(1, 2)):
        self.ngram_range = tuple(ngram_range)

    def __call__(self, tokens):
        lo, hi = self.ngram_range
        toks = [t for t in tokens if not PLACEHOLDER_RE.fullmatch(t)]
        out = []
        for n in range(lo, hi + 1):
            if n == 1:
                out.extend(toks)
            else:
                out.extend(" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1))
        return out


_WS2 = re.compile(r"\s\s+")  # scikit-learn's whitespace normalisation for character n-grams


class TokenIds(dict):
    """token → vocabulary id; -1 unknown, -2 placeholder (filled on first sight, C-speed after)."""

    def __init__(self, token_ids: dict[str, int]):
        super().__init__(token_ids)

    def __missing__(self, token):
        value = -2 if PLACEHOLDER_RE.fullmatch(token) else -1
        if len(self) < 5_000_000:
            self[token] = value
        return value


class FastTfidf:
    """Vectorised ``transform`` of a fitted TfidfVectorizer: the same matrix, ~20× faster.

    scikit-learn counts n-grams in a Python loop. Here character n-grams (up to 3 characters)
    are packed into one 64-bit key each (three 21-bit code points), word n-grams (up to 2
    tokens, from :class:`WordNgrams`) into a pair of token ids, and looked up in a hash
    index of the vocabulary; then sublinear tf, idf and l2 normalisation as scikit-learn
    does them. ``tests/themes/test_themes.py`` checks the matrices are equal to scikit-learn's.
    Only for the settings it reproduces (:meth:`supports`); others use scikit-learn.
    """

    @staticmethod
    def supports(vec, kind: str) -> bool:
        lo, hi = vec.ngram_range if kind == "char" else vec.analyzer.ngram_range
        if kind == "char":
            return (vec.analyzer == "char" and vec.lowercase and vec.strip_accents is None
                    and vec.preprocessor is None and 1 <= lo <= hi <= 3)
        return isinstance(vec.analyzer, WordNgrams) and 1 <= lo <= hi <= 2

    def __init__(self, vec, kind: str):
        self.kind = kind
        self.ngram_range = tuple(vec.ngram_range if kind == "char" else vec.analyzer.ngram_range)
        self.dtype = vec.dtype
        self.n_features = len(vec.vocabulary_)
        self.sublinear = vec.sublinear_tf
        self.norm = vec.norm
        self.idf = vec.idf_.astype(vec.dtype) if vec.use_idf else None
        keys, cols = [], []
        if kind == "char":
            keys, cols = _char_gram_keys(vec.vocabulary_)
        else:
            self.token_ids: dict[str, int] = {}
            for gram, col in vec.vocabulary_.items():
                parts = gram.split(" ")
                ids = [self.token_ids.setdefault(t, len(self.token_ids)) for t in parts]
                keys.append(ids[0] if len(ids) == 1 else ((ids[0] + 1) << 32) | (ids[1] + 1) << 0 | (1 << 63))
                cols.append(col)
        self.index = pd.Index(np.asarray(keys, dtype=np.uint64))  # hash lookups (C), faster than searchsorted
        self.cols = np.asarray(cols, dtype=np.int64)

    def _char_keys(self, docs: list[str]):
        docs = [_WS2.sub(" ", d.lower()) for d in docs]
        lens = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        cp = np.frombuffer("".join(docs).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64) + 1
        starts = np.cumsum(lens) - lens
        rows, keys = [], []
        for n in range(self.ngram_range[0], self.ngram_range[1] + 1):
            cnt = np.maximum(lens - n + 1, 0)
            pos = np.repeat(starts - np.cumsum(cnt) + cnt, cnt) + np.arange(cnt.sum())
            key = cp[pos].copy()
            for k in range(1, n):
                key |= cp[pos + k] << np.uint64(21 * k)
            rows.append(np.repeat(np.arange(len(docs)), cnt))
            keys.append(key)
        return np.concatenate(rows), np.concatenate(keys)

    def _word_keys(self, token_lists):
        ids = self.__dict__.get("_ids")
        if ids is None:
            ids = self._ids = TokenIds(self.token_ids)
        get = ids.__getitem__
        flat: list[int] = []
        lens = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        for toks in token_lists:
            flat += map(get, toks)
        a = np.asarray(flat, dtype=np.int64)
        rows = np.repeat(np.arange(len(token_lists)), lens)
        keep = a != -2  # placeholders are dropped before n-grams are formed, as WordNgrams does
        a, rows = a[keep], rows[keep]
        lo, hi = self.ngram_range
        uni = (a >= 0) & (lo == 1)
        pair = (rows[:-1] == rows[1:]) & (a[:-1] >= 0) & (a[1:] >= 0) & (hi == 2)
        bi = ((a[:-1][pair] + 1).astype(np.uint64) << np.uint64(32)) | (a[1:][pair] + 1).astype(np.uint64) \
            | np.uint64(1 << 63)
        return np.concatenate([rows[uni], rows[:-1][pair]]), np.concatenate([a[uni].astype(np.uint64), bi])

    def transform(self, docs):
        n = len(docs)
        rows, keys = self._char_keys(docs) if self.kind == "char" else self._word_keys(docs)
        at = self.index.get_indexer(keys)
        found = at >= 0
        X = sp.csr_matrix((np.ones(int(found.sum()), dtype=self.dtype), (rows[found], self.cols[at[found]])),
                          shape=(n, self.n_features), dtype=self.dtype)
        X.sum_duplicates()
        X.sort_indices()
        if self.sublinear:
            np.log(X.data, X.data)
            X.data += 1.0
        if self.idf is not None:
            X.data *= self.idf[X.indices]
        if self.norm is not None:
            X = _normalize(X, self.norm)
        return X


def _char_gram_keys(vocabulary: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(key, column) of each character n-gram of ``vocabulary``: its code points + 1 packed 21 bits apart."""
    grams = list(vocabulary)
    lens = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
    cp = np.frombuffer("".join(grams).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64) + 1
    starts = np.cumsum(lens) - lens
    keys = np.zeros(len(grams), dtype=np.uint64)
    for k in range(int(lens.max()) if len(grams) else 0):
        has = lens > k
        keys[has] |= cp[starts[has] + k] << np.uint64(21 * k)
    return keys, np.fromiter(vocabulary.values(), dtype=np.int64, count=len(grams))


class StoredVectorizer:
    """A fitted TF-IDF vectorizer as a saved model holds it: settings, vocabulary and idf (no scikit-learn).

    It has the attributes :class:`FastTfidf` and the model store read from a ``TfidfVectorizer``; its
    :meth:`transform` is :class:`FastTfidf`'s, and :meth:`to_sklearn` builds the equivalent
    ``TfidfVectorizer`` (for settings the fast transform does not reproduce, and for tests)."""

    strip_accents = None
    preprocessor = None

    def __init__(self, kind: str, settings: dict, vocabulary: dict[str, int], idf: np.ndarray, dtype=np.float32):
        lo, hi = (int(x) for x in settings["ngram_range"])
        self.analyzer = "char" if kind == "char" else WordNgrams((lo, hi))
        self.ngram_range = (lo, hi) if kind == "char" else (1, 1)
        self.lowercase = bool(settings["lowercase"])
        self.sublinear_tf, self.norm = bool(settings["sublinear_tf"]), settings["norm"]
        self.use_idf, self.dtype = bool(settings["use_idf"]), dtype
        self.vocabulary_, self.idf_ = vocabulary, idf
        self._kind = kind

    def get_feature_names_out(self) -> np.ndarray:
        terms = np.empty(len(self.vocabulary_), dtype=object)
        terms[np.fromiter(self.vocabulary_.values(), dtype=np.int64, count=len(self.vocabulary_))] = \
            list(self.vocabulary_)
        return terms

    def transform(self, docs):
        fast = self.__dict__.get("_fast")
        if fast is None:
            fast = self._fast = FastTfidf(self, self._kind)
        return fast.transform(docs)

    def to_sklearn(self):
        """The equivalent fitted scikit-learn ``TfidfVectorizer``."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        common = dict(sublinear_tf=self.sublinear_tf, norm=self.norm, use_idf=self.use_idf, dtype=self.dtype)
        vec = (TfidfVectorizer(analyzer="char", ngram_range=self.ngram_range, lowercase=self.lowercase, **common)
               if self._kind == "char" else TfidfVectorizer(analyzer=self.analyzer, **common))
        vec.vocabulary_, vec.idf_ = self.vocabulary_, self.idf_
        return vec


def l2_normalize_rows(X: sp.csr_matrix) -> sp.csr_matrix:
    """Each row of a CSR matrix divided by its Euclidean norm, in place (empty rows left as they are).

    The same arithmetic as scikit-learn's ``normalize(X, norm="l2")``, to the last bit: the squares in the
    matrix's dtype, summed one after the other in double precision, each value divided in double precision
    and stored back in the matrix's dtype (``tests/themes/test_features.py`` compares the two)."""
    data, indptr = X.data, X.indptr
    lens = np.diff(indptr)
    order = np.argsort(-lens, kind="stable")  # rows by length, longest first: step k touches a prefix of them
    starts, lens_sorted = indptr[:-1][order], lens[order]
    sq = (data * data).astype(np.float64)
    sums = np.zeros(len(order))
    for k in range(int(lens_sorted[0]) if len(order) else 0):
        m = int(np.searchsorted(-lens_sorted, -k, side="left"))  # rows with more than k values
        sums[:m] += sq[starts[:m] + k]
    norms = np.ones(len(order))
    norms[order] = np.where(sums > 0.0, np.sqrt(sums), 1.0)
    data[:] = (data.astype(np.float64) / np.repeat(norms, lens)).astype(data.dtype)
    return X


def _normalize(X, norm: str):
    """Rows normalised as scikit-learn does; its compiled routine when it is loaded anyway (same bits, faster)."""
    import sys

    if norm == "l2" and sp.isspmatrix_csr(X) and "sklearn.preprocessing" not in sys.modules:
        return l2_normalize_rows(X)
    from sklearn.preprocessing import normalize

    return normalize(X, norm=norm, copy=False)


def identity(tokens):
    return list(tokens)


def prep_chars(text: str) -> str:
    """Text fed to the character vectorizer: placeholders removed."""
    return PLACEHOLDER_RE.sub(" ", text)


def private_term(term: str) -> bool:
    """An n-gram a saved model must not hold: a name-like word (陈晓明, 马先生), a long number, an e-mail part."""
    from minetools.clean import looks_like_person
    from minetools.clean.pii_rules import NICK_PREFIXES

    if sum(ch.isdigit() for ch in term) >= 5 or "@" in term:
        return True
    parts = [part.strip() for part in term.split(" ") if len(part.strip()) >= 2]
    # a character n-gram can hold a nickname inside it (员小李): test its two- and three-character pieces
    pieces = {p[i:i + n] for p in parts for n in (2, 3) for i in range(len(p) - n + 1) if p[i] in NICK_PREFIXES}
    return any(looks_like_person(piece) for piece in [*parts, *pieces])


def prune_private(vec, X):
    """Drop private n-grams (:func:`private_term`) from a just-fitted vectorizer and its matrix;
    the rows are normalised again, as ``transform`` will normalise them."""
    vec.stop_words_ = None  # scikit-learn keeps the n-grams it dropped for rarity here: not ours to keep
    terms = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    keep = np.fromiter((not private_term(t) for t in terms), dtype=bool, count=len(terms))
    if keep.all():
        return X
    idf = vec.idf_[keep]
    vec.vocabulary_ = {t: i for i, t in enumerate(t for t, k in zip(terms, keep) if k)}
    vec.idf_ = idf
    X = X[:, np.flatnonzero(keep)]
    return _normalize(X.tocsr(), vec.norm) if vec.norm else X


def as_texts(texts) -> tuple[list[str], pd.Index | None]:
    """Normalise input to a list of str (None/NaN → ""), keeping a Series index."""
    index = None
    if isinstance(texts, str):
        texts = [texts]
    elif isinstance(texts, pd.DataFrame):
        raise TypeError("texts must be an iterable of strings (pass a column, not a DataFrame)")
    elif isinstance(texts, pd.Series):
        index = texts.index
        texts = texts.tolist()
    out = []
    for t in texts:
        if t is None or (isinstance(t, float) and np.isnan(t)) or t is pd.NA:
            out.append("")
        else:
            out.append(str(t))
    return out, index


def label_matrix(labels, keys, n: int) -> np.ndarray:
    """Human labels as a 0/1 int8 matrix over ``keys`` (a DataFrame with those columns, or an array)."""
    if isinstance(labels, pd.DataFrame):
        missing = [k for k in keys if k not in labels.columns]
        if missing:
            raise ValueError(f"labels is missing theme columns {missing}")
        Y = labels[keys].to_numpy()
    else:
        Y = np.asarray(labels)
    if Y.shape != (n, len(keys)):
        raise ValueError(f"labels must have shape ({n}, {len(keys)}), got {Y.shape}")
    return (Y.astype(float) > 0.5).astype(np.int8)
