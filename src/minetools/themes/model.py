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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from minetools.taxonomy import MASK_CHAR, Taxonomy, load_taxonomy
from minetools.themes.features import FastTfidf, WordNgrams, as_texts, label_matrix, prep_chars, prune_private
from minetools.themes.params import KeywordParams
from minetools.themes.terms import top_terms
from minetools.themes.thresholds import calibrated, choose_thresholds, folds

__all__ = ["ThemeModel", "OTHER", "default_model", "DEFAULT_MODEL_DIR", "PARALLEL_MIN_TEXTS"]

OTHER = "other"
#: the model that ships with the package (rebuilt by ``make default-model``)
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "resources" / "default_model"
#: prediction on at least this many texts is split over one worker process per core
#: (measured in bench/bench_themes.py)
PARALLEL_MIN_TEXTS = 20_000

_CJK_OR_ALNUM = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def _score_slice(bounds, model, texts, tokens):
    lo, hi = bounds
    return model.score_parts(texts[lo:hi], None if tokens is None else tokens[lo:hi])[0]


def _default_segmenter():
    try:
        from minetools.segment import Segmenter
    except ImportError:  # pragma: no cover - segment module missing
        warnings.warn("minetools.segment is unavailable; using character n-grams only", RuntimeWarning)
        return None
    return Segmenter()


class ThemeModel(KeywordParams):
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
    calibrate : bool
        With human labels: map each theme's probability through an isotonic
        calibration learnt on out-of-fold probabilities, so that a score of 0.3
        means about 30% of such complaints carry the theme; each theme is then
        assigned from its own threshold on the calibrated score (best out-of-fold
        F1), not from ``min_score``.
    mask_excludes : bool
        Where a theme's ``exclude_patterns`` match ("不用排队"), score that theme on
        the text with the match blanked out.
    decision : {"f1", "balanced"}
        How each theme's threshold is chosen: the best out-of-fold F1 ("f1"), or
        where the class-balanced classifier gives probability 0.5 ("balanced";
        with ``calibrate``, that point on the calibrated scale). Measured by
        leave-writers-out cross-validation in bench/eval_themes_accuracy.py.
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
        calibrate: bool = False,
        mask_excludes: bool = True,
        decision: str = "f1",
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
        self.calibrate = calibrate
        self.mask_excludes = mask_excludes
        self.decision = decision

    # -- small utilities --------------------------------------------------
    def _resolve_taxonomy(self) -> Taxonomy:
        if self.taxonomy is None:
            return load_taxonomy()
        if isinstance(self.taxonomy, Taxonomy):
            return self.taxonomy
        return load_taxonomy(self.taxonomy)

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            from sklearn.exceptions import NotFittedError  # the exception callers of scikit-learn models expect

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
        if self.decision not in ("f1", "balanced"):
            raise ValueError(f"decision must be 'f1' or 'balanced', got {self.decision!r}")
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
        texts, index = as_texts(texts)
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
        docs = [prep_chars(t) for t in texts]
        if fit:
            Xc = prune_private(self.char_vec_, self.char_vec_.fit_transform(docs))
        else:
            Xc = self._fast("char").transform(docs)
        if self.word_vec_ is None:
            return Xc.tocsr()
        if tokens is None:
            tokens = self.segmenter_.segment(texts)
        Xw = prune_private(self.word_vec_, self.word_vec_.fit_transform(tokens)) if fit else \
            self._fast("word").transform(tokens)
        return sp.hstack([Xc, Xw], format="csr")

    def _fast(self, kind: str):
        """Fast transform of the fitted char or word vectorizer (built once, not saved); the
        vectorizer itself where the fast one does not reproduce its settings."""
        cache = self.__dict__.setdefault("_fast_transforms", {})
        vec = self.char_vec_ if kind == "char" else self.word_vec_
        if cache.get(kind, (None,))[0] is not vec:
            cache[kind] = (vec, FastTfidf(vec, kind) if FastTfidf.supports(vec, kind) else vec)
        return cache[kind][1]

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_fast_transforms", None)
        return state

    def _new_lr(self):
        from sklearn.linear_model import LogisticRegression

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
    def _new_vectorizers(self, n: int) -> None:
        """Unfitted char (and, with a segmenter, word) vectorizers for ``n`` training texts."""
        seg = self.segmenter
        if seg is None:
            seg = _default_segmenter()
        elif seg is False:
            seg = None
        self.segmenter_ = seg
        # on a real corpus every kept n-gram was seen in at least two complaints, so something one
        # person typed once is not part of the model; name-like words, long numbers and e-mail parts
        # are removed whatever their frequency (prune_private)
        from sklearn.feature_extraction.text import TfidfVectorizer

        min_df = max(2, self.min_df) if n >= 20 * max(self.min_df, 1) else 1
        self.char_vec_ = TfidfVectorizer(analyzer="char", ngram_range=tuple(self.char_ngram_range),
                                         min_df=min_df, sublinear_tf=True, max_features=self.max_features,
                                         dtype=np.float32)
        self.word_vec_ = None
        if seg is not None:
            self.word_vec_ = TfidfVectorizer(analyzer=WordNgrams(self.word_ngram_range), min_df=min_df,
                                             sublinear_tf=True, max_features=self.max_features,
                                             dtype=np.float32)

    def fit(self, texts, labels=None, *, groups=None):
        """Fit on cleaned texts; ``labels`` (optional) is a 0/1 matrix/DataFrame over the theme keys.

        ``groups`` (one value per text, e.g. the writer of each labelled complaint): the
        out-of-fold probabilities that choose thresholds and calibration leave whole groups
        out (``n_folds`` folds of groups), so that nothing is tuned to one group's habits.
        """
        self._check_params()
        self.__dict__.pop("loaded_from_", None)  # a refitted model is saved anew, never copied from its folder
        tax = self._resolve_taxonomy()
        keys = tax.keys
        texts, _ = as_texts(texts)
        n = len(texts)
        if n == 0:
            raise ValueError("fit needs at least one text")

        R = self._rules(tax, texts)
        gold = labels is not None
        Y = label_matrix(labels, keys, n) if gold else R.astype(np.int8)

        self._new_vectorizers(n)
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

        # out-of-fold probabilities → thresholds (and calibration)
        K = len(keys)
        thresholds, cv_f1, calibration = np.full(K, 0.5), np.full(K, np.nan), None
        splits = folds(n, groups, self.n_folds, self.random_state)
        if splits:
            oof = np.zeros((n, K))
            for tr, te in splits:
                XX, YY, w = train_set(tr)
                coef, icpt, act = self._fit_linear(XX, YY, w)
                oof[te] = self._sigmoid(X[te] @ coef.T + icpt) * act
            floor = gold and not self.calibrate and self.rule_score >= self.min_score
            thresholds, cv_f1, calibration = choose_thresholds(
                oof, Y, R if floor else None, calibrate=self.calibrate and gold, decision=self.decision,
                min_positive=self.min_positive)
        self.calibration_ = calibration
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

    def _compute_hash(self, params: dict | None = None) -> str:
        """SHA-256 over what decides the scores. ``params``: the settings as saved (a model saved before a
        setting existed is hashed without it, and the setting's default keeps its old behaviour)."""
        h = hashlib.sha256()
        h.update(self.taxonomy_.hash.encode())
        h.update(json.dumps(self.keys_).encode())
        h.update(np.ascontiguousarray(self.thresholds_.to_numpy(), dtype=np.float64).tobytes())
        h.update(np.ascontiguousarray(self.coef_, dtype=np.float32).tobytes())
        h.update(np.round(self.intercept_, 10).tobytes())
        h.update("\x1f".join(self.feature_names_.tolist()).encode())
        if getattr(self, "calibration_", None) is not None:
            h.update(np.round(np.asarray(self.calibration_, dtype=np.float64), 10).tobytes())
        if params is None:
            params = {k: v for k, v in self.get_params(deep=False).items() if k not in ("taxonomy", "segmenter")}
        h.update(json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
                            sort_keys=True, default=str).encode())
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

    def decide_scores(self, S: np.ndarray) -> np.ndarray:
        """(Array form of :meth:`decide`.) Assigned or not: each theme's own threshold on a calibrated score, else ``min_score``."""
        if getattr(self, "calibration_", None) is not None:
            return S >= self.thresholds_.to_numpy()
        return S >= self.min_score

    def score_parts(self, texts: list[str], tokens=None):
        """Scores ``S``, classifier probabilities ``P``, rule hits ``R`` and the feature matrix ``X`` of ``texts``
        (lists in, arrays out; :meth:`predict_proba` is the table form)."""
        X = self._features(texts, tokens=tokens)
        P = self._classifier_proba(X)
        R, E = self._rules(self.taxonomy_, texts, with_excludes=True)
        # Where a theme's exclude_patterns matched, its classifier also sees the
        # masked text (so "不用排队" is no evidence for queuing).
        rows, cols = np.nonzero(E & self.active_) if self.mask_excludes else ((), ())
        if len(rows):
            themes = self.taxonomy_.themes
            Xm = self._features([themes[j].mask(texts[i]) for i, j in zip(rows, cols)])
            for j in np.unique(cols):
                sel = np.flatnonzero(cols == j)
                z = np.asarray(Xm[sel] @ self.coef_[j], dtype=np.float64).ravel() + self.intercept_[j]
                P[rows[sel], j] = self._sigmoid(z)
        S = calibrated(P, self.calibration_) if getattr(self, "calibration_", None) is not None else self._map(P)
        if self.rule_score > 0:
            S = np.where(R, np.maximum(S, self.rule_score), S)
        return S, P, R, X

    def predict_proba(self, texts, *, tokens=None) -> pd.DataFrame:
        """0..1 theme scores (columns = theme keys); ``>= min_score`` means assigned.

        ``tokens``: the texts already segmented by a segmenter with this model's settings
        (``segmenter_.config_hash()``), one token list per text; they are then not segmented again.
        """
        self._check_fitted()
        texts, index = as_texts(texts)
        if not texts:
            return pd.DataFrame(np.zeros((0, len(self.keys_))), columns=self.keys_)
        if tokens is not None and len(tokens) != len(texts):
            raise ValueError(f"{len(tokens)} token lists for {len(texts)} texts")
        S = self._scores_batched(texts, None if tokens is None else list(tokens))
        return pd.DataFrame(S, columns=self.keys_, index=index)

    def _scores_batched(self, texts: list[str], tokens=None) -> np.ndarray:
        """Scores of many texts: chunks on one forked worker per core when that pays off."""
        from minetools.parallel import fork_map
        from minetools.taxonomy import FAST_RULES_MIN_TEXTS, hyperscan_engine

        if len(texts) < PARALLEL_MIN_TEXTS:
            return self.score_parts(texts, tokens)[0]
        hyperscan_engine(self.taxonomy_)  # compiled once here, inherited by the workers
        self._fast("char"), self.word_vec_ is not None and self._fast("word")
        size = max(FAST_RULES_MIN_TEXTS, -(-len(texts) // 8))
        bounds = [(lo, min(lo + size, len(texts))) for lo in range(0, len(texts), size)]
        return np.vstack(fork_map(_score_slice, bounds, (self, texts, tokens), parallel=True))

    def decide(self, proba: pd.DataFrame) -> pd.DataFrame:
        """0/1 theme indicators from the scores :meth:`predict_proba` gave (each theme's threshold)."""
        return pd.DataFrame(self.decide_scores(proba.to_numpy()).astype(np.int8), columns=proba.columns,
                            index=proba.index)

    def predict(self, texts) -> pd.DataFrame:
        """0/1 theme indicators (columns = theme keys)."""
        return self.decide(self.predict_proba(texts))

    def assign(self, texts) -> list[list[str]]:
        """Theme keys per text, highest score first; ``["other"]`` when none applies."""
        proba = self.predict_proba(texts)
        S = proba.to_numpy()
        D = self.decide_scores(S)
        out = []
        for row, chosen in zip(S, D):
            idx = [j for j in np.argsort(-row, kind="stable") if chosen[j]]
            out.append([self.keys_[j] for j in idx] or [OTHER])
        return out

    def explain(self, text: str, *, n_terms: int = 5) -> dict[str, dict[str, Any]]:
        """Per-theme evidence for one text: score, rule hits and top n-gram contributions."""
        from minetools.themes.explain import explain

        self._check_fitted()
        return explain(self, text, n_terms=n_terms)

    top_terms = staticmethod(top_terms)

    # -- persistence (data only: see minetools.themes.store) ---------------------------------
    def save(self, directory) -> Path:
        """Write the model into ``directory`` as data only (JSON, NumPy arrays, YAML)."""
        from minetools.themes.store import save_model

        return save_model(self, directory)

    @classmethod
    def load(cls, directory) -> "ThemeModel":
        """Load a model written by :meth:`save`; checks hashes and a self-check, never runs code from the folder."""
        from minetools.themes.store import load_model

        return load_model(directory, cls)


def default_model() -> ThemeModel:
    """The theme model that ships with the package (bundled taxonomy, fitted on the labelled corpus in data/train).

    Use it as it is for small files, where fitting on the input has too little to learn
    from: ``ThemeModel`` is deterministic, so the same text always gets the same themes.
    """
    return ThemeModel.load(DEFAULT_MODEL_DIR)
