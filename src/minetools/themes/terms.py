"""Words typical of each theme: the weighted log-odds ratio with an informative Dirichlet prior."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from minetools.clean import looks_like_person
from minetools.taxonomy import MASK_CHAR
from minetools.themes.features import PLACEHOLDER_RE

__all__ = ["top_terms", "keep_token"]

_HAS_WORD_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z]")


@lru_cache(maxsize=1 << 16)  # a corpus repeats its words: each distinct token is judged once
def keep_token(tok: str) -> bool:
    if len(tok) < 2 or PLACEHOLDER_RE.fullmatch(tok):
        return False
    if MASK_CHAR in tok:
        return False
    return bool(_HAS_WORD_CHAR.search(tok)) and not tok.isdigit() and not looks_like_person(tok)


def _presence_matrix(tokens: Sequence[Sequence[str]]):
    """(documents × kept tokens 0/1 matrix as CSC floats, the tokens), built without a copy of the documents."""
    import array

    from scipy import sparse

    columns: dict[str, int] = {}
    keep: dict[str, bool] = {}
    indices, indptr = array.array("i"), array.array("q", [0])
    for doc in tokens:
        for t in set(doc):
            kept = keep.get(t)
            if kept is None:
                kept = keep[t] = keep_token(t)
            if kept:
                indices.append(columns.setdefault(t, len(columns)))
        indptr.append(len(indices))
    indices_np = np.frombuffer(indices, dtype=np.int32) if len(indices) else np.zeros(0, dtype=np.int32)
    X = sparse.csr_matrix((np.ones(len(indices_np)), indices_np, np.frombuffer(indptr, dtype=np.int64)),
                          shape=(len(indptr) - 1, len(columns)))
    return X.tocsc(), np.array(list(columns), dtype=object)


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
    if len(tokens) != member.shape[0]:
        raise ValueError(f"tokens has {len(tokens)} documents but assigned has {member.shape[0]}")
    result: dict[str, list[str]] = {k: [] for k in keys}
    X, vocab = _presence_matrix(tokens)
    if X.nnz == 0:
        return result
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


