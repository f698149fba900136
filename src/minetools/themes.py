"""Theme engine: taxonomy rules + a weakly supervised multi-label classifier.

How a score is formed
---------------------
1. **Rules.**  Each theme has one combined regex (seed terms + patterns),
   tried after its ``exclude_patterns`` spans are masked.  A hit is a weak
   positive label.
2. **Classifier.**  TF-IDF over character 1–3-grams plus word uni/bigrams
   (from :class:`minetools.segment.Segmenter`) feeds one logistic regression
   per theme, trained on the weak labels (or on gold ``labels``).  Copies of
   rule-positive texts with every rule match blanked out are added to the
   training set when ``mask_augment=True`` ("keyword masking"), so the
   classifier must learn the *context* of a theme (off by default: on small
   or templated corpora it mostly adds false positives).
3. **Threshold.**  Per theme, out-of-fold probabilities (K-fold,
   ``random_state``) pick the threshold ``t`` that maximises F1 against the
   training targets (ties → the highest such threshold).  With weak labels the
   classifier alone is scored; with gold labels, ``rule OR classifier`` is.  The probability is then mapped piecewise-linearly so
   that ``t`` lands on ``min_score``:
   ``p <= t → p / t * min_score``; ``p > t → min_score + (p - t)/(1 - t) * (1 - min_score)``.
4. **Combination.**  ``score = max(mapped probability, rule_score if a rule
   fired)``; a theme is predicted when ``score >= min_score``.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from .taxonomy import MASK_CHAR, Taxonomy, load_taxonomy

__all__ = ["ThemeModel", "top_terms", "OTHER", "default_model", "DEFAULT_MODEL_DIR"]

OTHER = "other"
MODEL_FILE = "model.joblib"
META_FILE = "model.json"
TAXONOMY_FILE = "taxonomy.yml"
#: the model that ships with the package: fitted on the bundled sample corpus with the
#: bundled taxonomy (rebuilt by ``make default-model``)
DEFAULT_MODEL_DIR = Path(__file__).parent / "resources" / "default_model"
#: prediction on at least this many texts is split over one worker process per core
#: (measured in bench/bench_themes.py)
PARALLEL_MIN_TEXTS = 20_000

_PLACEHOLDER_RE = re.compile(r"\[[^\[\]\s]{1,10}\]")
_HAS_WORD_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_CJK_OR_ALNUM = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


# ----------------------------------------------------------------------
# helpers (module level so fitted models pickle cleanly)
# ----------------------------------------------------------------------
class _WordNgrams:
    """Analyzer for pre-tokenised documents: unigrams + n-grams joined by a space."""

    def __init__(self, ngram_range=(1, 2)):
        self.ngram_range = tuple(ngram_range)

    def __call__(self, tokens):
        lo, hi = self.ngram_range
        toks = [t for t in tokens if not _PLACEHOLDER_RE.fullmatch(t)]
        out = []
        for n in range(lo, hi + 1):
            if n == 1:
                out.extend(toks)
            else:
                out.extend(" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1))
        return out


_WS2 = re.compile(r"\s\s+")  # scikit-learn's whitespace normalisation for character n-grams


class _TokenIds(dict):
    """token → vocabulary id; -1 unknown, -2 placeholder (filled on first sight, C-speed after)."""

    def __init__(self, token_ids: dict[str, int]):
        super().__init__(token_ids)

    def __missing__(self, token):
        value = -2 if _PLACEHOLDER_RE.fullmatch(token) else -1
        if len(self) < 5_000_000:
            self[token] = value
        return value


class _FastTfidf:
    """Vectorised ``transform`` of a fitted TfidfVectorizer: the same matrix, ~20× faster.

    scikit-learn counts n-grams in a Python loop. Here character n-grams (up to 3 characters)
    are packed into one 64-bit key each (three 21-bit code points), word n-grams (up to 2
    tokens, from :class:`_WordNgrams`) into a pair of token ids, and looked up in a hash
    index of the vocabulary; then sublinear tf, idf and l2 normalisation as scikit-learn
    does them. ``tests/test_themes.py`` checks the matrices are equal to scikit-learn's.
    Only for the settings it reproduces (:meth:`supports`); others use scikit-learn.
    """

    @staticmethod
    def supports(vec, kind: str) -> bool:
        lo, hi = vec.ngram_range if kind == "char" else vec.analyzer.ngram_range
        if kind == "char":
            return (vec.analyzer == "char" and vec.lowercase and vec.strip_accents is None
                    and vec.preprocessor is None and 1 <= lo <= hi <= 3)
        return isinstance(vec.analyzer, _WordNgrams) and 1 <= lo <= hi <= 2

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
            for gram, col in vec.vocabulary_.items():
                key = 0
                for k, ch in enumerate(gram):
                    key |= (ord(ch) + 1) << (21 * k)
                keys.append(key)
                cols.append(col)
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
            ids = self._ids = _TokenIds(self.token_ids)
        get = ids.__getitem__
        flat: list[int] = []
        lens = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        for toks in token_lists:
            flat += map(get, toks)
        a = np.asarray(flat, dtype=np.int64)
        rows = np.repeat(np.arange(len(token_lists)), lens)
        keep = a != -2  # placeholders are dropped before n-grams are formed, as _WordNgrams does
        a, rows = a[keep], rows[keep]
        lo, hi = self.ngram_range
        uni = (a >= 0) & (lo == 1)
        pair = (rows[:-1] == rows[1:]) & (a[:-1] >= 0) & (a[1:] >= 0) & (hi == 2)
        bi = ((a[:-1][pair] + 1).astype(np.uint64) << np.uint64(32)) | (a[1:][pair] + 1).astype(np.uint64) \
            | np.uint64(1 << 63)
        return np.concatenate([rows[uni], rows[:-1][pair]]), np.concatenate([a[uni].astype(np.uint64), bi])

    def transform(self, docs):
        from sklearn.preprocessing import normalize

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
            X = normalize(X, norm=self.norm, copy=False)
        return X


def _score_slice(bounds, model, texts):
    lo, hi = bounds
    return model._scores(texts[lo:hi])[0]


def _identity(tokens):
    return list(tokens)


def _as_texts(texts) -> tuple[list[str], pd.Index | None]:
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


def _prep(text: str) -> str:
    """Text fed to the character vectorizer: placeholders removed."""
    return _PLACEHOLDER_RE.sub(" ", text)


def _default_segmenter():
    try:
        from .segment import Segmenter
    except ImportError:  # pragma: no cover - segment module missing
        warnings.warn("minetools.segment is unavailable; using character n-grams only", RuntimeWarning)
        return None
    return Segmenter()


def _best_threshold(prob: np.ndarray, target: np.ndarray, forced: np.ndarray | None = None) -> tuple[float, float]:
    """Threshold on ``prob`` maximising F1 of (forced | prob >= t) against target."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    target = target.astype(bool)
    best_t, best_f1 = 0.5, -1.0
    for t in grid:
        pred = prob >= t
        if forced is not None:
            pred = pred | forced
        tp = np.sum(pred & target)
        fp = np.sum(pred & ~target)
        fn = np.sum(~pred & target)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        # ties: prefer the highest threshold (conservative: the classifier
        # should only add themes the rules missed when it is confident)
        if f1 >= best_f1 - 1e-12:
            best_t, best_f1 = float(t), float(f1)
    return best_t, best_f1


# ----------------------------------------------------------------------
# top_terms
# ----------------------------------------------------------------------
def _keep_token(tok: str) -> bool:
    if len(tok) < 2 or _PLACEHOLDER_RE.fullmatch(tok):
        return False
    if MASK_CHAR in tok:
        return False
    return bool(_HAS_WORD_CHAR.search(tok)) and not tok.isdigit()


def top_terms(tokens: Sequence[Sequence[str]], assigned, *, n: int = 10, min_count: int = 2,
              prior: float = 0.01) -> dict[str, list[str]]:
    """Most distinctive tokens per theme.

    Weighted log-odds ratio with an informative Dirichlet prior (Monroe,
    Colaresi & Quinn 2008) on token *presence* (each document counts a token
    once), theme documents vs all other documents, ranked by z-score.
    Placeholders ([手机号] …), punctuation, numbers and single characters are
    ignored.

    tokens   : one token list per document (e.g. ``Segmenter().segment(texts)``).
    assigned : ``ThemeModel.assign`` output (list of key lists) or a 0/1
               DataFrame with one column per theme.
    """
    if isinstance(assigned, pd.DataFrame):
        keys = [str(c) for c in assigned.columns]
        member = assigned.to_numpy().astype(bool)
    else:
        assigned = [list(a) if not isinstance(a, str) else [a] for a in assigned]
        keys = []
        for a in assigned:
            for k in a:
                if k not in keys:
                    keys.append(k)
        member = np.zeros((len(assigned), len(keys)), dtype=bool)
        pos = {k: j for j, k in enumerate(keys)}
        for i, a in enumerate(assigned):
            for k in a:
                member[i, pos[k]] = True
    tokens = [list(t) for t in tokens]
    if len(tokens) != member.shape[0]:
        raise ValueError(f"tokens has {len(tokens)} documents but assigned has {member.shape[0]}")
    result: dict[str, list[str]] = {k: [] for k in keys}
    docs = [[t for t in set(doc) if _keep_token(t)] for doc in tokens]
    if not any(docs):
        return result
    cv = CountVectorizer(analyzer=_identity, binary=True)
    X = cv.fit_transform(docs).tocsc().astype(np.float64)
    vocab = cv.get_feature_names_out()
    total = np.asarray(X.sum(axis=0)).ravel()
    alpha = prior * total + 1e-3  # informative prior ∝ background frequency
    a0 = alpha.sum()
    for j, key in enumerate(keys):
        m = member[:, j]
        if not m.any():
            continue
        y1 = np.asarray(X[m].sum(axis=0)).ravel()
        y2 = total - y1
        n1, n2 = y1.sum(), y2.sum()
        d1 = np.log((y1 + alpha) / (n1 + a0 - y1 - alpha))
        d2 = np.log((y2 + alpha) / (n2 + a0 - y2 - alpha))
        z = (d1 - d2) / np.sqrt(1.0 / (y1 + alpha) + 1.0 / (y2 + alpha))
        ok = (y1 >= min_count) & (z > 0)
        idx = np.flatnonzero(ok)
        order = idx[np.lexsort((vocab[idx], -z[idx]))]
        result[key] = [str(vocab[i]) for i in order[:n]]
    return result


# ----------------------------------------------------------------------
# the model
# ----------------------------------------------------------------------
class ThemeModel(BaseEstimator):
    """Multi-label complaint-theme model (rules + weakly supervised classifier).

    Parameters
    ----------
    taxonomy : Taxonomy, path or None
        ``None`` → the bundled default taxonomy.
    segmenter : object with ``segment(list[str]) -> list[list[str]]`` or None
        ``None`` → ``minetools.segment.Segmenter()`` created in ``fit``;
        ``False`` → character n-grams only.
    min_score : float
        Decision cut on the combined 0..1 score.
    random_state : int
        Seeds the K-fold split (and anything else random).
    rule_score : float
        Score floor given to a theme when one of its rules fires
        (``0`` disables rules at prediction time).
    C : float
        Inverse regularisation strength of the logistic regressions.
    char_ngram_range, word_ngram_range : tuple
        N-gram ranges for character and word features.
    min_df : int
        Minimum document frequency of a feature (lowered to 1 on tiny corpora).
    max_features : int or None
        Cap on each vectorizer's vocabulary.
    n_folds : int
        Folds used to choose per-theme thresholds.
    mask_augment : bool
        Add keyword-masked copies of rule-positive texts to the training set.
    min_positive : int
        Themes with fewer positive training examples get no classifier
        (rules only).
    """

    def __init__(
        self,
        taxonomy=None,
        *,
        segmenter=None,
        min_score: float = 0.5,
        random_state: int | None = 0,
        rule_score: float = 0.9,
        C: float = 4.0,
        char_ngram_range: tuple[int, int] = (1, 3),
        word_ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 2,
        max_features: int | None = 150_000,
        n_folds: int = 3,
        mask_augment: bool = False,
        min_positive: int = 5,
    ):
        self.taxonomy = taxonomy
        self.segmenter = segmenter
        self.min_score = min_score
        self.random_state = random_state
        self.rule_score = rule_score
        self.C = C
        self.char_ngram_range = char_ngram_range
        self.word_ngram_range = word_ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.n_folds = n_folds
        self.mask_augment = mask_augment
        self.min_positive = min_positive

    # -- small utilities --------------------------------------------------
    def _resolve_taxonomy(self) -> Taxonomy:
        if self.taxonomy is None:
            return load_taxonomy()
        if isinstance(self.taxonomy, Taxonomy):
            return self.taxonomy
        return load_taxonomy(self.taxonomy)

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise NotFittedError(
                "This ThemeModel instance is not fitted yet. Call 'fit(texts)' first "
                "(or load a saved model with ThemeModel.load(directory))."
            )

    def _check_params(self):
        if not 0.0 < self.min_score < 1.0:
            raise ValueError(f"min_score must be in (0, 1), got {self.min_score!r}")
        if not 0.0 <= self.rule_score <= 1.0:
            raise ValueError(f"rule_score must be in [0, 1], got {self.rule_score!r}")
        if self.n_folds < 2:
            raise ValueError(f"n_folds must be >= 2, got {self.n_folds!r}")
        if self.C <= 0:
            raise ValueError(f"C must be > 0, got {self.C!r}")

    # -- rules --------------------------------------------------------------
    @staticmethod
    def _rules(taxonomy: Taxonomy, texts: list[str], *, with_excludes: bool = False):
        """Boolean matrix (n_texts, n_themes) of rule hits (and of exclusion hits)."""
        R, E = taxonomy.match_matrix(texts)
        return (R, E) if with_excludes else R

    def rule_matrix(self, texts) -> pd.DataFrame:
        """0/1 DataFrame of taxonomy rule hits (works before fitting)."""
        tax = self.taxonomy_ if hasattr(self, "taxonomy_") else self._resolve_taxonomy()
        texts, index = _as_texts(texts)
        R = self._rules(tax, texts)
        return pd.DataFrame(R.astype(np.int8), columns=tax.keys, index=index)

    @staticmethod
    def _mask_all(taxonomy: Taxonomy, text: str) -> str:
        """Blank out every rule match of every theme (for keyword masking)."""
        chars = list(text)
        for th in taxonomy.themes:
            for a, b in th.spans(text):
                chars[a:b] = MASK_CHAR * (b - a)
        return "".join(chars)

    # -- features -------------------------------------------------------------
    def _features(self, texts: list[str], *, fit: bool = False, tokens=None):
        docs = [_prep(t) for t in texts]
        if fit:
            Xc = self.char_vec_.fit_transform(docs)
        else:
            Xc = self._fast("char").transform(docs)
        if self.word_vec_ is None:
            return Xc.tocsr()
        if tokens is None:
            tokens = self.segmenter_.segment(texts)
        Xw = self.word_vec_.fit_transform(tokens) if fit else self._fast("word").transform(tokens)
        return sp.hstack([Xc, Xw], format="csr")

    def _fast(self, kind: str):
        """Fast transform of the fitted char or word vectorizer (built once, not saved); the
        vectorizer itself where the fast one does not reproduce its settings."""
        cache = self.__dict__.setdefault("_fast_transforms", {})
        vec = self.char_vec_ if kind == "char" else self.word_vec_
        if cache.get(kind, (None,))[0] is not vec:
            cache[kind] = (vec, _FastTfidf(vec, kind) if _FastTfidf.supports(vec, kind) else vec)
        return cache[kind][1]

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_fast_transforms", None)
        return state

    def _new_lr(self):
        return LogisticRegression(C=self.C, solver="liblinear", class_weight="balanced",
                                  max_iter=200, random_state=self.random_state)

    def _fit_linear(self, X, Y, sample_weight):
        """Fit one LR per theme → (coef (K, F), intercept (K,), active (K,))."""
        K = Y.shape[1]
        coef = np.zeros((K, X.shape[1]), dtype=np.float64)
        intercept = np.full(K, -20.0)
        active = np.zeros(K, dtype=bool)
        for k in range(K):
            y = Y[:, k]
            npos = int(y.sum())
            if npos < self.min_positive or npos == len(y):
                continue
            lr = self._new_lr().fit(X, y, sample_weight=sample_weight)
            coef[k] = lr.coef_.ravel()
            intercept[k] = lr.intercept_[0]
            active[k] = True
        return coef, intercept, active

    @staticmethod
    def _sigmoid(z):
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))

    # -- fit ------------------------------------------------------------------
    def fit(self, texts, labels=None):
        """Fit on cleaned texts; ``labels`` (optional) is a 0/1 matrix/DataFrame over the theme keys."""
        self._check_params()
        tax = self._resolve_taxonomy()
        keys = tax.keys
        texts, _ = _as_texts(texts)
        n = len(texts)
        if n == 0:
            raise ValueError("fit needs at least one text")

        R = self._rules(tax, texts)
        gold = labels is not None
        if gold:
            if isinstance(labels, pd.DataFrame):
                missing = [k for k in keys if k not in labels.columns]
                if missing:
                    raise ValueError(f"labels is missing theme columns {missing}")
                Y = labels[keys].to_numpy()
            else:
                Y = np.asarray(labels)
            if Y.shape != (n, len(keys)):
                raise ValueError(f"labels must have shape ({n}, {len(keys)}), got {Y.shape}")
            Y = (Y.astype(float) > 0.5)
        else:
            Y = R.copy()
        Y = Y.astype(np.int8)

        # features
        seg = self.segmenter
        if seg is None:
            seg = _default_segmenter()
        elif seg is False:
            seg = None
        self.segmenter_ = seg
        min_df = self.min_df if n >= 20 * max(self.min_df, 1) else 1
        self.char_vec_ = TfidfVectorizer(analyzer="char", ngram_range=tuple(self.char_ngram_range),
                                         min_df=min_df, sublinear_tf=True, max_features=self.max_features,
                                         dtype=np.float32)
        self.word_vec_ = None
        if seg is not None:
            self.word_vec_ = TfidfVectorizer(analyzer=_WordNgrams(self.word_ngram_range), min_df=min_df,
                                             sublinear_tf=True, max_features=self.max_features,
                                             dtype=np.float32)
        X = self._features(texts, fit=True)

        # keyword-masked copies of rule-positive texts
        aug_rows, aug_texts = [], []
        if self.mask_augment:
            for i in np.flatnonzero(R.any(axis=1) & Y.any(axis=1)):
                masked = self._mask_all(tax, texts[i])
                if len(_CJK_OR_ALNUM.findall(masked)) >= 6:
                    aug_rows.append(i)
                    aug_texts.append(masked)
        aug_rows = np.asarray(aug_rows, dtype=int)
        Xa = self._features(aug_texts) if len(aug_rows) else None

        def train_set(rows):
            if Xa is None:
                return X[rows], Y[rows], None
            sel = np.isin(aug_rows, rows)
            XX = sp.vstack([X[rows], Xa[sel]], format="csr")
            YY = np.vstack([Y[rows], Y[aug_rows[sel]]])
            w = np.concatenate([np.ones(len(rows)), np.full(int(sel.sum()), 0.5)])
            return XX, YY, w

        # out-of-fold probabilities → thresholds
        K = len(keys)
        thresholds = np.full(K, 0.5)
        cv_f1 = np.full(K, np.nan)
        n_folds = min(self.n_folds, n)
        if n_folds >= 2 and n >= 10:
            oof = np.zeros((n, K))
            folds = KFold(n_splits=n_folds, shuffle=True, random_state=self.random_state)
            for tr, te in folds.split(np.arange(n)):
                XX, YY, w = train_set(tr)
                coef, icpt, act = self._fit_linear(XX, YY, w)
                oof[te] = self._sigmoid(X[te] @ coef.T + icpt) * act
            for k in range(K):
                forced = R[:, k] if (gold and self.rule_score >= self.min_score) else None
                if Y[:, k].sum() >= self.min_positive:
                    thresholds[k], cv_f1[k] = _best_threshold(oof[:, k], Y[:, k], forced)
        XX, YY, w = train_set(np.arange(n))
        self.coef_, self.intercept_, self.active_ = self._fit_linear(XX, YY, w)
        self.coef_ = self.coef_.astype(np.float32)
        self.thresholds_ = pd.Series(thresholds, index=keys, name="threshold")
        self.cv_f1_ = pd.Series(cv_f1, index=keys, name="cv_f1")
        self.taxonomy_ = tax
        self.keys_ = list(keys)
        self.n_features_ = X.shape[1]
        self.n_train_ = n
        self.weak_label_rate_ = pd.Series(R.mean(axis=0), index=keys, name="rule_hit_rate")
        self.feature_names_ = self._feature_names()
        self.model_hash_ = self._compute_hash()
        return self

    def _feature_names(self) -> np.ndarray:
        names = ["char:" + f for f in self.char_vec_.get_feature_names_out()]
        if self.word_vec_ is not None:
            names += ["word:" + f for f in self.word_vec_.get_feature_names_out()]
        return np.asarray(names, dtype=object)

    def _compute_hash(self) -> str:
        h = hashlib.sha256()
        h.update(self.taxonomy_.hash.encode())
        h.update(json.dumps(self.keys_).encode())
        h.update(np.ascontiguousarray(self.thresholds_.to_numpy(), dtype=np.float64).tobytes())
        h.update(np.ascontiguousarray(self.coef_, dtype=np.float32).tobytes())
        h.update(np.round(self.intercept_, 10).tobytes())
        h.update("\x1f".join(self.feature_names_.tolist()).encode())
        params = {k: v for k, v in self.get_params(deep=False).items() if k not in ("taxonomy", "segmenter")}
        h.update(json.dumps(params, sort_keys=True, default=str).encode())
        return h.hexdigest()

    # -- prediction -----------------------------------------------------------
    def _classifier_proba(self, X) -> np.ndarray:
        z = np.asarray(X @ self.coef_.T, dtype=np.float64)
        return self._sigmoid(z + self.intercept_) * self.active_

    def _map(self, P: np.ndarray) -> np.ndarray:
        t = self.thresholds_.to_numpy()
        m = self.min_score
        low = P / t * m
        high = m + (P - t) / np.maximum(1.0 - t, 1e-9) * (1.0 - m)
        return np.clip(np.where(P < t, low, high), 0.0, 1.0)

    def _scores(self, texts: list[str]):
        X = self._features(texts)
        P = self._classifier_proba(X)
        R, E = self._rules(self.taxonomy_, texts, with_excludes=True)
        # Where a theme's exclude_patterns matched, its classifier also sees the
        # masked text (so "不用排队" is no evidence for queuing).
        rows, cols = np.nonzero(E & self.active_)
        if len(rows):
            themes = self.taxonomy_.themes
            Xm = self._features([themes[j].mask(texts[i]) for i, j in zip(rows, cols)])
            for j in np.unique(cols):
                sel = np.flatnonzero(cols == j)
                z = np.asarray(Xm[sel] @ self.coef_[j], dtype=np.float64).ravel() + self.intercept_[j]
                P[rows[sel], j] = self._sigmoid(z)
        S = self._map(P)
        if self.rule_score > 0:
            S = np.where(R, np.maximum(S, self.rule_score), S)
        return S, P, R, X

    def predict_proba(self, texts) -> pd.DataFrame:
        """0..1 theme scores (columns = theme keys); ``>= min_score`` means assigned."""
        self._check_fitted()
        texts, index = _as_texts(texts)
        if not texts:
            return pd.DataFrame(np.zeros((0, len(self.keys_))), columns=self.keys_)
        S = self._scores_batched(texts)
        return pd.DataFrame(S, columns=self.keys_, index=index)

    def _scores_batched(self, texts: list[str]) -> np.ndarray:
        """Scores of many texts: chunks on one forked worker per core when that pays off."""
        from .clean import _fork_map
        from .taxonomy import FAST_RULES_MIN_TEXTS, _hyperscan_engine

        if len(texts) < PARALLEL_MIN_TEXTS:
            return self._scores(texts)[0]
        _hyperscan_engine(self.taxonomy_)  # compiled once here, inherited by the workers
        self._fast("char"), self.word_vec_ is not None and self._fast("word")
        size = max(FAST_RULES_MIN_TEXTS, -(-len(texts) // 8))
        bounds = [(lo, min(lo + size, len(texts))) for lo in range(0, len(texts), size)]
        return np.vstack(_fork_map(_score_slice, bounds, (self, texts), parallel=True))

    def predict(self, texts) -> pd.DataFrame:
        """0/1 theme indicators (columns = theme keys)."""
        proba = self.predict_proba(texts)
        return (proba >= self.min_score).astype(np.int8)

    def assign(self, texts) -> list[list[str]]:
        """Theme keys per text, highest score first; ``["other"]`` when none applies."""
        proba = self.predict_proba(texts)
        S = proba.to_numpy()
        out = []
        for row in S:
            idx = [j for j in np.argsort(-row, kind="stable") if row[j] >= self.min_score]
            out.append([self.keys_[j] for j in idx] or [OTHER])
        return out

    def explain(self, text: str, *, n_terms: int = 5) -> dict[str, dict[str, Any]]:
        """Per-theme evidence for one text: score, rule hits and top n-gram contributions."""
        self._check_fitted()
        if not isinstance(text, str):
            raise TypeError("explain takes a single text (str)")
        S, P, R, X = self._scores([text])
        x = X.tocsr()
        idx, vals = x.indices, x.data
        coef = self.coef_[:, idx]
        out = {}
        for j, key in enumerate(self.keys_):
            th = self.taxonomy_.get(key)
            ev = th.matches(text)
            contrib = coef[j] * vals
            order = np.argsort(-contrib, kind="stable")
            terms = [(str(self.feature_names_[idx[i]]), round(float(contrib[i]), 4))
                     for i in order[:n_terms] if contrib[i] > 0]
            out[key] = {
                "label": th.label_zh,
                "score": float(S[0, j]),
                "assigned": bool(S[0, j] >= self.min_score),
                "rule_hit": bool(R[0, j]),
                "seed_terms": ev["seed_terms"],
                "patterns": ev["patterns"],
                "excluded": ev["excluded"],
                "classifier_proba": float(P[0, j]),
                "threshold": float(self.thresholds_.iloc[j]),
                "top_terms": terms,
            }
        return out

    top_terms = staticmethod(top_terms)

    # -- persistence ------------------------------------------------------------
    def save(self, directory) -> Path:
        """Write ``model.joblib``, a copy of the taxonomy and ``model.json`` into ``directory``."""
        import joblib

        from . import __version__

        self._check_fitted()
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, d / MODEL_FILE, compress=3)
        (d / TAXONOMY_FILE).write_bytes(self.taxonomy_._text.encode("utf-8"))
        meta = {
            "minetools_version": __version__,
            "keys": self.keys_,
            "thresholds": {k: float(v) for k, v in self.thresholds_.items()},
            "cv_f1": {k: (None if np.isnan(v) else float(v)) for k, v in self.cv_f1_.items()},
            "min_score": self.min_score,
            "rule_score": self.rule_score,
            "taxonomy_hash": self.taxonomy_.hash,
            "model_hash": self.model_hash_,
            "n_train": self.n_train_,
            "n_features": self.n_features_,
            "word_features": self.word_vec_ is not None,
            "params": {k: v for k, v in self.get_params(deep=False).items() if k not in ("taxonomy", "segmenter")},
        }
        (d / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        return d

    @classmethod
    def load(cls, directory) -> "ThemeModel":
        """Load a model written by :meth:`save` (only load directories you trust: it unpickles)."""
        import joblib

        d = Path(directory)
        for name in (MODEL_FILE, META_FILE, TAXONOMY_FILE):
            if not (d / name).exists():
                raise FileNotFoundError(f"{d}: missing {name}; not a saved ThemeModel directory")
        meta = json.loads((d / META_FILE).read_text(encoding="utf-8"))
        model = joblib.load(d / MODEL_FILE)
        if not isinstance(model, cls):
            raise TypeError(f"{d / MODEL_FILE} does not contain a {cls.__name__}")
        tax = load_taxonomy(d / TAXONOMY_FILE)
        if tax.hash != meta.get("taxonomy_hash") or tax.hash != model.taxonomy_.hash:
            raise ValueError(f"{d}: taxonomy copy does not match the saved model (hash mismatch)")
        if model.model_hash_ != meta.get("model_hash"):
            raise ValueError(f"{d}: model.json and model.joblib disagree (model_hash)")
        model.taxonomy_ = tax
        return model


# -- evaluation against human labels ------------------------------------------------------
#: theme pairs that are easy to confuse; their cross-errors are reported by evaluate_assignments
CLOSE_PAIRS = (("queuing", "counter_arrangement"), ("staff_attitude", "complaint_handling"),
               ("inconsistent_info", "process_complexity"))
_LABEL_SPLIT = re.compile(r"[|,;，；、\s]+")


def labels_frame(labels: pd.Series, keys: Sequence[str]) -> pd.DataFrame:
    """0/1 matrix from human labels written as "queuing|fees" (also , ; 、 or spaces).

    Empty cells and ``other`` mean no theme. Unknown keys raise ValueError naming them and
    the first rows where they occur.
    """
    keys = list(keys)
    out = np.zeros((len(labels), len(keys)), dtype=int)
    unknown: dict[str, list[int]] = {}
    for row, value in enumerate(labels.astype("string").fillna("").tolist()):
        for key in filter(None, _LABEL_SPLIT.split(value.strip())):
            if key in keys:
                out[row, keys.index(key)] = 1
            elif key != "other":
                unknown.setdefault(key, []).append(row + 1)
    if unknown:
        detail = "; ".join(f"{k!r} (rows {', '.join(map(str, v[:5]))})" for k, v in unknown.items())
        raise ValueError(f"Unknown theme keys in the labels: {detail}. Known keys: {', '.join(keys)}, other.")
    return pd.DataFrame(out, columns=keys, index=labels.index)


def evaluate_assignments(truth: pd.DataFrame, pred: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Per-theme precision, recall, F1, support and Cohen's kappa; macro/micro F1; close-pair confusion.

    ``truth`` and ``pred`` are 0/1 frames with the same theme columns and rows.
    """
    from sklearn.metrics import cohen_kappa_score, f1_score, precision_recall_fscore_support

    keys = list(truth.columns)
    t = truth[keys].to_numpy().astype(int)
    p = pred[keys].to_numpy().astype(int)
    prec, rec, f1, support = precision_recall_fscore_support(t, p, zero_division=0)
    kappa = [cohen_kappa_score(t[:, j], p[:, j]) if len(set(t[:, j]) | set(p[:, j])) > 1 else 1.0
             for j in range(len(keys))]
    table = pd.DataFrame({"theme": keys, "precision": prec, "recall": rec, "f1": f1, "support": support,
                          "predicted": p.sum(axis=0), "kappa": kappa})
    pairs = {}
    for a, b in CLOSE_PAIRS:
        if a in keys and b in keys:
            ia, ib = keys.index(a), keys.index(b)
            pairs[f"{a}→{b}"] = int(((t[:, ia] == 1) & (t[:, ib] == 0) & (p[:, ib] == 1) & (p[:, ia] == 0)).sum())
            pairs[f"{b}→{a}"] = int(((t[:, ib] == 1) & (t[:, ia] == 0) & (p[:, ia] == 1) & (p[:, ib] == 0)).sum())
    summary = {
        "n": int(len(t)),
        "macro_f1": float(f1_score(t, p, average="macro", zero_division=0)),
        "micro_f1": float(f1_score(t, p, average="micro", zero_division=0)),
        "mean_kappa": float(np.mean(kappa)),
        "exact_match": float((t == p).all(axis=1).mean()) if len(t) else float("nan"),
        "close_pair_confusions": pairs,
    }
    return table, summary


# -- discovery: themes the taxonomy misses ---------------------------------------------------
def _topic_terms(components: np.ndarray, vocab: np.ndarray, n: int) -> list[list[str]]:
    return [list(vocab[np.argsort(row)[::-1][:n]]) for row in components]


def _match_agreement(a: list[list[str]], b: list[list[str]]) -> float:
    """Mean Jaccard of top-term sets after matching topics one-to-one (Hungarian)."""
    from scipy.optimize import linear_sum_assignment

    sim = np.array([[len(set(x) & set(y)) / len(set(x) | set(y)) for y in b] for x in a])
    rows, cols = linear_sum_assignment(-sim)
    return float(sim[rows, cols].mean())


def discover_themes(tokens: Sequence[Sequence[str]], ids: Sequence, *, background: Sequence[Sequence[str]] | None = None,
                    min_lift: float = 2.0, k_min: int = 2, k_max: int = 8, n_terms: int = 10, n_runs: int = 4,
                    min_docs: int = 40, min_size: int = 10, random_state: int = 0) -> pd.DataFrame:
    """Propose new themes from complaints no taxonomy theme fits (NMF over their tokens).

    The number of topics is chosen by stability: for each k, NMF is fitted on ``n_runs``
    random 80% subsamples and the top-term sets are matched across runs; the k whose
    topics agree most (mean matched Jaccard) wins, the smaller k on ties. Each proposed
    theme gets its top terms, its size (complaints whose strongest topic it is) and the
    ids of its most representative complaints.

    With ``background`` (the tokens of the complaints the taxonomy did assign), only terms
    at least ``min_lift`` times more common among the unassigned complaints are used, so
    the topics are what sets those complaints apart, not the phrasing every complaint
    shares (办理, 网点, a call-centre formula).

    Returns columns key, label_zh, label_en, n, top_terms, example_ids, stability — empty
    when there are fewer than ``min_docs`` complaints to learn from.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    columns = ["key", "label_zh", "label_en", "n", "top_terms", "example_ids", "stability"]
    docs = [[t for t in toks if _keep_token(t)] for toks in tokens]
    if background is not None and len(background):
        from collections import Counter

        here = Counter(t for d in docs for t in set(d))
        there = Counter(t for d in background for t in set(d))
        n_here, n_there = max(len(docs), 1), len(background)
        keep = {t for t, c in here.items() if c >= 3 and (c / n_here) >= min_lift * ((there[t] + 1) / (n_there + 1))}
        docs = [[t for t in d if t in keep] for d in docs]
    if len(docs) < min_docs:
        return pd.DataFrame(columns=columns)
    vec = TfidfVectorizer(analyzer=_identity, min_df=3, max_df=0.5)
    try:
        X = vec.fit_transform(docs)
    except ValueError:  # empty vocabulary
        return pd.DataFrame(columns=columns)
    vocab = np.asarray(vec.get_feature_names_out())
    rng = np.random.default_rng(random_state)
    k_max = min(k_max, X.shape[1] - 1, X.shape[0] // min_size)
    best_k, best_score = None, -1.0
    for k in range(k_min, k_max + 1):
        runs = []
        for _ in range(n_runs):
            rows = rng.choice(X.shape[0], size=int(0.8 * X.shape[0]), replace=False)
            nmf = NMF(n_components=k, init="nndsvda", random_state=int(rng.integers(1 << 31)), max_iter=400)
            nmf.fit(X[rows])
            runs.append(_topic_terms(nmf.components_, vocab, n_terms))
        score = np.mean([_match_agreement(runs[i], runs[j]) for i in range(n_runs) for j in range(i + 1, n_runs)])
        if score > best_score + 1e-9:
            best_k, best_score = k, float(score)
    if best_k is None:
        return pd.DataFrame(columns=columns)
    nmf = NMF(n_components=best_k, init="nndsvda", random_state=random_state, max_iter=400)
    W = nmf.fit_transform(X)
    owner = np.where(W.max(axis=1) > 0, W.argmax(axis=1), -1)
    ids = np.asarray(ids)
    proposals = []
    for j, terms in enumerate(_topic_terms(nmf.components_, vocab, n_terms)):
        members = np.flatnonzero(owner == j)
        if len(members) < min_size:
            continue
        best = members[np.argsort(W[members, j])[::-1][:5]]
        proposals.append({"label_zh": "、".join(terms[:3]) + "（待命名）", "label_en": " / ".join(terms[:3]),
                          "n": int(len(members)), "top_terms": " ".join(terms),
                          "example_ids": "|".join(map(str, ids[best])), "stability": round(best_score, 3)})
    proposals.sort(key=lambda p: -p["n"])
    for i, p in enumerate(proposals, start=1):
        p["key"] = f"proposed_{i}"
    return pd.DataFrame(proposals, columns=columns)


def audit_sample(complaints: pd.DataFrame, keys: Sequence[str], *, n: int = 200, random_state: int = 0) -> pd.DataFrame:
    """A stratified sample of assigned complaints for human coding.

    Every theme (and ``other``) gets an equal share of the ``n`` rows where possible, so
    rare themes are checked too; the rest is filled at random. ``complaints`` is a run's
    ``complaints.parquet`` (rows with status ok or truncated are eligible). The result has
    record_id, text (masked), assigned (keys joined by |) and an empty ``labels`` column
    for the coder; ``minetools evaluate FILE --labels-col labels`` reads it back.
    """
    keys = list(keys)
    pool = complaints[complaints["status"].isin(["ok", "truncated"])]
    flags = pool[[f"theme_{k}" for k in keys]].to_numpy().astype(bool)
    strata = [np.flatnonzero(flags[:, j]) for j in range(len(keys))] + [np.flatnonzero(~flags.any(axis=1))]
    rng = np.random.default_rng(random_state)
    per = max(1, n // len(strata))
    chosen: list[int] = []
    for members in strata:
        fresh = np.setdiff1d(members, chosen)
        chosen += list(rng.choice(fresh, size=min(per, len(fresh)), replace=False))
    rest = np.setdiff1d(np.arange(len(pool)), chosen)
    chosen += list(rng.choice(rest, size=min(max(0, n - len(chosen)), len(rest)), replace=False))
    picked = pool.iloc[sorted(chosen)]
    assigned = ["|".join(k for k, f in zip(keys, row) if f) or "other"
                for row in picked[[f"theme_{k}" for k in keys]].to_numpy().astype(bool)]
    return pd.DataFrame({"record_id": picked["record_id"].to_numpy(), "text": picked["text_clean"].to_numpy(),
                         "assigned": assigned, "labels": ""})


def default_model() -> ThemeModel:
    """The theme model that ships with the package (bundled taxonomy, fitted on the sample corpus).

    Use it as it is for small files, where fitting on the input has too little to learn
    from: ``ThemeModel`` is deterministic, so the same text always gets the same themes.
    """
    return ThemeModel.load(DEFAULT_MODEL_DIR)
