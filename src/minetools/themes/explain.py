"""Why a text got its themes: per theme the score, the rule evidence and the n-grams that pushed it up."""

from __future__ import annotations

from typing import Any

import numpy as np


def explain(model, text: str, *, n_terms: int = 5) -> dict[str, dict[str, Any]]:
    """Per-theme evidence for one text from a fitted :class:`~minetools.themes.model.ThemeModel`: score, whether
    it is assigned, rule hits (seed terms, patterns, excluded spans), classifier probability, threshold and the
    ``n_terms`` n-grams contributing most."""
    if not isinstance(text, str):
        raise TypeError("explain takes a single text (str)")
    S, P, R, X = model.score_parts([text])
    x = X.tocsr()
    idx, vals = x.indices, x.data
    coef = model.coef_[:, idx]
    out = {}
    for j, key in enumerate(model.keys_):
        th = model.taxonomy_.get(key)
        ev = th.matches(text)
        contrib = coef[j] * vals
        order = np.argsort(-contrib, kind="stable")
        terms = [(str(model.feature_names_[idx[i]]), round(float(contrib[i]), 4))
                 for i in order[:n_terms] if contrib[i] > 0]
        out[key] = {
            "label": th.label_zh,
            "score": float(S[0, j]),
            "assigned": bool(model.decide_scores(S)[0, j]),
            "rule_hit": bool(R[0, j]),
            "seed_terms": ev["seed_terms"],
            "patterns": ev["patterns"],
            "excluded": ev["excluded"],
            "classifier_proba": float(P[0, j]),
            "threshold": float(model.thresholds_.iloc[j]),
            "top_terms": terms,
        }
    return out
