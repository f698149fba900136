"""Themes against human labels: labels from text, per-theme scores, close-pair confusions, audit samples."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["CLOSE_PAIRS", "labels_frame", "evaluate_assignments", "audit_sample"]

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


