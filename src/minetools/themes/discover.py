"""Discovery: propose new themes from complaints no taxonomy theme fits (NMF, stable number of topics)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from minetools.themes.features import identity
from minetools.themes.terms import keep_token

__all__ = ["discover_themes"]


def _topic_terms(components: np.ndarray, vocab: np.ndarray, n: int) -> list[list[str]]:
    return [list(vocab[np.argsort(row)[::-1][:n]]) for row in components]


def _nmf(X, k: int, seed: int):
    """NMF with ``k`` topics fitted on ``X``: the model and the document-topic weights.

    A topic model not fully converged after 400 iterations still ranks the same top terms, and the
    proposals are for a person to read: sklearn's convergence warning is not passed on to the user."""
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        nmf = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
        return nmf, nmf.fit_transform(X)


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
    from sklearn.feature_extraction.text import TfidfVectorizer

    columns = ["key", "label_zh", "label_en", "n", "top_terms", "example_ids", "stability"]
    docs = [[t for t in toks if keep_token(t)] for toks in tokens]
    if background is not None and len(background):
        from collections import Counter

        here = Counter(t for d in docs for t in set(d))
        there = Counter(t for d in background for t in set(d))
        n_here, n_there = max(len(docs), 1), len(background)
        keep = {t for t, c in here.items() if c >= 3 and (c / n_here) >= min_lift * ((there[t] + 1) / (n_there + 1))}
        docs = [[t for t in d if t in keep] for d in docs]
    if len(docs) < min_docs:
        return pd.DataFrame(columns=columns)
    vec = TfidfVectorizer(analyzer=identity, min_df=3, max_df=0.5)
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
            nmf, _ = _nmf(X[rows], k, int(rng.integers(1 << 31)))
            runs.append(_topic_terms(nmf.components_, vocab, n_terms))
        score = np.mean([_match_agreement(runs[i], runs[j]) for i in range(n_runs) for j in range(i + 1, n_runs)])
        if score > best_score + 1e-9:
            best_k, best_score = k, float(score)
    if best_k is None:
        return pd.DataFrame(columns=columns)
    nmf, W = _nmf(X, best_k, random_state)
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


