"""From a complaint table to distinct row patterns: covariate codes, 0/1 indicators, grouping of identical
rows, and :class:`MomentPlan`, which turns pattern weights into cross-product matrices.

Every statistic of the driver analysis is computed on distinct patterns (covariate levels, driver values, score)
with their counts, which gives exactly the row-level estimates, so the cost follows the number of patterns, not
of complaints.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

#: The standard normal 97.5% quantile (95% intervals).
Z975 = 1.959963984540054


def covariate_codes(frame: pd.DataFrame, covariates: Sequence[str], keep: np.ndarray):
    """Integer level codes per categorical covariate (0 = reference level), rows ``keep`` only.

    Missing values form their own level ``"(missing)"``.  Levels observed on
    a single row are pooled into the first (reference) level: a dummy for a
    single row would give that row leverage 1 and make HC3 undefined.
    Returns ``(codes, sizes, dummy_names)``.
    """
    codes: list[np.ndarray] = []
    sizes: list[int] = []
    names: list[str] = []
    for col in covariates:
        raw, uniques = pd.factorize(frame[col], use_na_sentinel=True)
        raw = raw[keep]
        labels = [str(u) for u in uniques]
        if (raw < 0).any():
            raw = np.where(raw < 0, len(labels), raw)
            labels.append("(missing)")
        counts = np.bincount(raw, minlength=len(labels))
        keep_levels = sorted((lab, i) for i, lab in enumerate(labels) if counts[i] >= 2)
        if len(keep_levels) < 2:
            continue
        recode = np.zeros(len(labels), dtype=np.int64)  # singletons -> reference (0)
        for new, (_, old) in enumerate(keep_levels):
            recode[old] = new
        codes.append(recode[raw])
        sizes.append(len(keep_levels))
        names += [f"{col}[{lab}]" for lab, _ in keep_levels[1:]]
    return codes, sizes, names


def indicator(frame: pd.DataFrame, col: str, keep: np.ndarray) -> np.ndarray:
    s = frame[col]
    if s.dtype == bool:
        return s.to_numpy(dtype=float)[keep]
    if pd.api.types.is_numeric_dtype(s.dtype):
        vals = s.to_numpy(dtype=float, na_value=np.nan)[keep]
        bad = False
        vals = np.where(np.isnan(vals), 0.0, vals)
    else:
        num = pd.to_numeric(s, errors="coerce")
        bad = (s.notna() & num.isna()).to_numpy()[keep].any()
        vals = num.fillna(0.0).to_numpy(dtype=float)[keep]
    if bad or not ((vals == 0.0) | (vals == 1.0)).all():
        raise ValueError(
            f"Theme column {col!r} must hold 0/1 (or boolean) indicators; "
            "found other values. Recode it to 1 = theme present, 0 = absent."
        )
    return vals


def group_rows(columns: Sequence, n: int):
    """Group identical rows of several aligned columns.

    ``columns`` holds arrays, or ``(codes, size)`` pairs of integer codes in
    ``range(size)`` that need no factorising.  Returns ``(inverse, first,
    counts)``: the group of every row (groups numbered in order of first
    appearance), the first row of every group and the group sizes.  Linear
    time: the columns are folded into one integer key.
    """
    key = np.zeros(n, dtype=np.int64)
    card = 1
    for col in columns:
        if isinstance(col, tuple):
            codes, size = col
        else:
            codes, uniques = pd.factorize(np.asarray(col), sort=False)
            size = len(uniques)
        size = max(int(size), 1)
        if card * size >= 2**62:
            key, uniq = pd.factorize(key, sort=False)
            key = key.astype(np.int64)
            card = max(len(uniq), 1)
        key = key * size + codes
        card *= size
    inverse, uniq = pd.factorize(key, sort=False)
    counts = np.bincount(inverse, minlength=len(uniq))
    first = np.full(len(uniq), n, dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(n))
    return inverse.astype(np.int64), first, counts


def row_keys(C: np.ndarray, sizes: Sequence[int], X: np.ndarray, is_binary: np.ndarray, y: np.ndarray) -> list:
    """Columns for :func:`group_rows`: covariate codes, 0/1 drivers packed 30 to a code, the rest."""
    keys: list = [(C[:, j], s) for j, s in enumerate(sizes)]
    bits = np.flatnonzero(is_binary)
    for start in range(0, len(bits), 30):
        block = bits[start : start + 30]
        packed = X[:, block].astype(np.int64) @ (np.int64(1) << np.arange(len(block), dtype=np.int64))
        keys.append(packed)
    keys += [X[:, j] for j in np.flatnonzero(~is_binary)]
    keys.append(y)
    return keys


def dummy_matrix(codes: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """One-hot columns (reference level dropped) for rows of covariate codes."""
    blocks = [np.zeros((len(codes), 0))]
    for j, size in enumerate(sizes):
        blocks.append((codes[:, j][:, None] == np.arange(1, size)[None, :]).astype(float))
    return np.concatenate(blocks, axis=1)


class MomentPlan:
    """Cross-product matrices of ``[1, covariate dummies, V]`` for many weight vectors.

    The rows are *patterns* (distinct combinations of covariate levels, driver
    values and score) and a weight vector says how often each pattern occurs
    (its count for the estimate, a resampled count for a bootstrap replicate).
    Rather than forming ``Z' diag(w) Z`` row by row, the weights are summed
    into three small tables — the weight of each covariate *cell*, the
    weighted sums of ``V`` in each cell, and the weight of each distinct ``V``
    row — and the blocks of the cross-product matrix follow from those:
    ``[1,D]'[1,D]`` from the cell weights, ``[1,D]'V`` from the cell sums and
    ``V'V`` from the ``V``-row weights.  With integer-valued data the
    matrices are exact.
    """

    def __init__(self, codes: np.ndarray, sizes: Sequence[int], V: np.ndarray):
        K, q = V.shape
        ncov = codes.shape[1]
        self.K, self.q = K, q
        self.a = 1 + sum(s - 1 for s in sizes)
        if ncov:
            g, gfirst, _ = group_rows([codes[:, j] for j in range(ncov)], K)
        else:
            g, gfirst = np.zeros(K, dtype=np.int64), np.zeros(1, dtype=np.int64)
        G = self.G = len(gfirst)
        cell_codes = codes[gfirst]
        active = [np.zeros(G, dtype=np.int64)]
        offset = 1
        for j, size in enumerate(sizes):
            c = cell_codes[:, j]
            active.append(np.where(c > 0, offset + c - 1, -1))
            offset += size - 1
        active = np.column_stack(active)
        r_idx, c_pos = np.nonzero(active >= 0)
        self.Dg = sp.csr_matrix(
            (np.ones(len(r_idx)), (r_idx, active[r_idx, c_pos])), shape=(G, self.a)
        )
        rows, cols = [], []
        for u in range(active.shape[1]):
            for v in range(active.shape[1]):
                ok = (active[:, u] >= 0) & (active[:, v] >= 0)
                rows.append(active[ok, u] * self.a + active[ok, v])
                cols.append(np.flatnonzero(ok))
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        self.Q = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(self.a * self.a, G))
        h, hfirst, _ = group_rows([V[:, j] for j in range(q)], K)
        H = self.H = len(hfirst)
        Vh = V[hfirst]
        self.Pc = np.ascontiguousarray((Vh[:, :, None] * Vh[:, None, :]).reshape(H, q * q).T)
        kk, jj = np.nonzero(V)
        rows = np.concatenate([g, G + g[kk] * q + jj, G + G * q + h])
        cols = np.concatenate([np.arange(K), kk, np.arange(K)])
        data = np.concatenate([np.ones(K), V[kk, jj], np.ones(K)])
        self.E = sp.csr_matrix((data, (rows, cols)), shape=(G + G * q + H, K))

    def moments(self, W: np.ndarray, shift: np.ndarray | None = None) -> np.ndarray:
        """``M[b] = Z' diag(W[:, b]) Z`` with ``V`` centred at ``shift``; shape (B, m, m)."""
        B = W.shape[1]
        G, q, a = self.G, self.q, self.a
        agg = self.E @ W
        N = agg[:G]
        S = agg[G : G + G * q]
        U = agg[G + G * q :]
        M = np.empty((B, a + q, a + q))
        M[:, :a, :a] = (self.Q @ N).T.reshape(B, a, a)
        cross = (self.Dg.T @ S.reshape(G, q * B)).reshape(a, q, B).transpose(2, 0, 1)
        M[:, :a, a:] = cross
        M[:, a:, :a] = np.swapaxes(cross, 1, 2)
        M[:, a:, a:] = (self.Pc @ U).T.reshape(B, q, q)
        if shift is None:
            return M
        # Centre V at `shift`: Z -> Z T with T = I - e_0 shift' on the V columns.
        T = np.eye(a + q)
        T[0, a:] = -shift
        return T.T @ M @ T
