"""Key-driver analysis: which complaint themes hurt satisfaction most.

Complaint themes co-occur, so comparing per-theme mean scores double-counts
the damage shared by themes that tend to appear together.  This module
answers "what should we fix first" with three complementary views per theme:

* **impact** – the descriptive, population-level contribution of the theme
  to the overall mean score (prevalence times the with/without gap);
* **effect** – the adjusted OLS coefficient of the theme when all themes and
  the categorical covariates (branch, channel, month, ...) are in the model,
  with heteroskedasticity-robust (HC3) confidence intervals;
* **importance** – the theme's share of the explained variance (R²), using
  the exact LMG / Shapley decomposition (Lindeman, Merenda & Gold 1980;
  equivalently Budescu's general dominance) for up to 15 themes and Johnson's
  (2000) relative weights beyond that, with bootstrap percentile intervals.

Public building blocks :func:`r_squared`, :func:`lmg` and
:func:`relative_weights` work on any numeric predictor table.

Implementation notes
--------------------
All R² computations start from one cross-product matrix of the design
``[intercept, covariate dummies, predictors, y]``.  Covariates are partialled
out with a Schur complement (Frisch–Waugh–Lovell), which leaves the
covariance of the residualised predictors and response.  The R² increment of
any subset *S* of predictors over the covariates is then the quadratic form
``r_S' R_SS^{-1} r_S`` on the residual correlation matrix, so all ``2^p``
subsets are evaluated with batched small linear solves.  The bootstrap only
needs the weighted cross-product matrix of each resample (weights = how many
times each row was drawn), so it never refits a regression row by row.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit, ndtr, pdtr

__all__ = [
    "analyze_drivers",
    "lmg",
    "relative_weights",
    "r_squared",
    "LMG_MAX_THEMES",
    "DRIVER_LABELS_ZH",
    "DRIVER_LABELS_EN",
    "compare_segments",
    "decompose_change",
    "handling_time",
    "RESULT_COLUMNS",
]

#: Chinese labels of the non-theme drivers a run adds (charts and report).
DRIVER_LABELS_ZH = {"closed_late": "办结超时", "handling_days": "办理时长（每天）"}
#: English labels of the same drivers (``lang="en"`` charts and report).
DRIVER_LABELS_EN = {"closed_late": "Closed late", "handling_days": "Handling time (per day)"}

#: Largest number of themes for which :func:`analyze_drivers` uses exact LMG;
#: beyond it Johnson's relative weights are used.
LMG_MAX_THEMES = 15

#: Largest number of predictors accepted by the public :func:`lmg`
#: (2**p subsets are enumerated).
_LMG_HARD_LIMIT = 20

#: Columns that always come first, in this order, in the result of
#: :func:`analyze_drivers`.
RESULT_COLUMNS = (
    "theme",
    "n",
    "prevalence",
    "mean_with",
    "mean_without",
    "impact",
    "effect",
    "effect_ci_low",
    "effect_ci_high",
    "importance",
    "importance_ci_low",
    "importance_ci_high",
    "significant",
)

# Partial variance (on the correlation scale) below which a predictor is treated as a
# linear combination of those already in the subset.
_SWEEP_PIVOT_TOL = 1e-13
# Relative tolerance below which a (residualised) variance is treated as zero.
_DEGENERATE_RTOL = 1e-10


# ---------------------------------------------------------------------------
# Core linear algebra on cross-product matrices
# ---------------------------------------------------------------------------


def _partial_moments(M: np.ndarray, n_adjust: int):
    """Partial the first ``n_adjust`` columns out of cross-product matrices.

    Parameters
    ----------
    M : ndarray, shape (B, m, m)
        Cross-product matrices of ``[adjusters..., predictors..., y]``; the
        first adjuster column must be the intercept.
    n_adjust : int
        Number of adjuster columns (intercept plus covariate dummies).

    Returns
    -------
    S : ndarray, shape (B, k+1, k+1)
        Residual cross-products of ``[predictors..., y]`` after regression on
        the adjusters.
    centered : ndarray, shape (B, k+1)
        Diagonal of the cross-products after removing the mean only, used to
        judge whether a residual variance is numerically zero.
    tss : ndarray, shape (B,)
        Total (centred) sum of squares of y.
    """
    A = M[:, :n_adjust, :n_adjust]
    Bm = M[:, :n_adjust, n_adjust:]
    C = M[:, n_adjust:, n_adjust:]
    if n_adjust == 1:
        A_inv = np.where(A > 0, 1.0 / np.where(A > 0, A, 1.0), 0.0)
        S = C - np.swapaxes(Bm, 1, 2) @ A_inv @ Bm
    else:
        S = C - np.swapaxes(Bm, 1, 2) @ _solve_adjusters(A, Bm)
    S = 0.5 * (S + np.swapaxes(S, 1, 2))
    n = M[:, 0, 0]
    means_cp = M[:, 0, n_adjust:]
    with np.errstate(divide="ignore", invalid="ignore"):
        centered = np.diagonal(C, axis1=1, axis2=2) - np.where(
            n[:, None] > 0, means_cp**2 / n[:, None], 0.0
        )
    tss = centered[:, -1]
    return S, centered, tss


def _solve_adjusters(A: np.ndarray, Bm: np.ndarray) -> np.ndarray:
    """``A^+ Bm`` for stacks of adjuster cross-products (dummy levels may be absent).

    A covariate level absent from a bootstrap resample leaves a zero row and
    column in ``A`` (and in ``Bm``); setting its diagonal to 1 drops it
    exactly.  Stacks that are still singular or ill-conditioned fall back to
    the Hermitian pseudo-inverse.
    """
    diag = np.diagonal(A, axis1=1, axis2=2)
    fix = np.where(diag <= 0, 1.0, 0.0)
    A_fixed = A + fix[:, :, None] * np.eye(A.shape[1])[None]
    try:
        X = np.linalg.solve(A_fixed, Bm)
        # Residual check catches near-singular stacks that solve() accepts.
        err = np.abs(A_fixed @ X - Bm).max(axis=(1, 2))
        bad = ~np.isfinite(err) | (err > 1e-8 * np.maximum(np.abs(Bm).max(axis=(1, 2)), 1.0))
    except np.linalg.LinAlgError:
        X = np.empty_like(Bm)
        bad = np.ones(len(A), dtype=bool)
    if bad.any():
        X[bad] = np.linalg.pinv(A[bad], hermitian=True) @ Bm[bad]
    return X


def _standardise(S: np.ndarray, centered: np.ndarray):
    """Turn residual cross-products into correlations, neutralising dead columns.

    A predictor whose residual variance is (numerically) zero is replaced by
    an identity row/column with zero correlation to y, so it contributes
    exactly nothing to any R² and never makes a solve singular.

    Returns
    -------
    R : ndarray, shape (B, k, k)
        Correlation matrix of the residualised predictors.
    r : ndarray, shape (B, k)
        Correlations of residualised predictors with residualised y.
    scale : ndarray, shape (B,)
        Residual sum of squares of y (after covariates); multiply R² values
        on the residual scale by ``scale / tss`` to get shares of total R².
    alive : ndarray of bool, shape (B, k)
        Predictors with non-zero residual variance.
    """
    k = S.shape[1] - 1
    diag = np.diagonal(S, axis1=1, axis2=2)
    var_x = diag[:, :k]
    ref = np.maximum(centered[:, :k], 0.0)
    alive = (var_x > _DEGENERATE_RTOL * ref) & (ref > 0)
    d = np.where(alive, np.sqrt(np.where(alive, var_x, 1.0)), 1.0)
    syy = diag[:, k]
    y_alive = syy > _DEGENERATE_RTOL * np.maximum(centered[:, k], 0.0)
    sy = np.where(y_alive, np.sqrt(np.where(y_alive, syy, 1.0)), 1.0)
    R = S[:, :k, :k] / (d[:, :, None] * d[:, None, :])
    r = S[:, :k, k] / (d * sy[:, None])
    mask = alive[:, :, None] & alive[:, None, :]
    eye = np.eye(k, dtype=bool)[None, :, :]
    R = np.where(mask, R, 0.0)
    R = np.where(eye & ~alive[:, :, None], 1.0, R)
    r = np.where(alive & y_alive[:, None], r, 0.0)
    scale = np.where(y_alive, syy, 0.0)
    return R, r, scale, alive


def _batched_quadform(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return ``b' A^{-1} b`` for stacks of small systems (pinv fallback)."""
    try:
        sol = np.linalg.solve(A, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        sol = (np.linalg.pinv(A, hermitian=True) @ b[..., None])[..., 0]
    out = np.einsum("...i,...i->...", b, sol)
    bad = ~np.isfinite(out)
    if bad.any():
        fix = np.linalg.pinv(A[bad], hermitian=True) @ b[bad][..., None]
        out[bad] = np.einsum("...i,...i->...", b[bad], fix[..., 0])
    return out


@lru_cache(maxsize=4)
def _shapley_matrix(p: int) -> np.ndarray:
    """The (2**p, p) matrix that turns a set function on all subsets into its Shapley values.

    Shapley_j = sum over subsets S without j of w(|S|) (v(S + j) - v(S)), with
    w(s) = s! (p - s - 1)! / p!. Regrouped by subset T: T holding j contributes
    w(|T| - 1) v(T), T without j contributes -w(|T|) v(T); so the values of all
    subsets times this matrix are all p Shapley values (one matrix product).
    """
    masks = np.arange(1 << p, dtype=np.int64)
    bits = ((masks[:, None] >> np.arange(p)) & 1).astype(bool)
    size = bits.sum(axis=1)
    w = np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)] + [0.0])
    return np.where(bits, w[np.maximum(size - 1, 0)][:, None], -w[size][:, None])


def _all_subset_r2(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    """R² (on the residual scale) of every subset of predictors.

    Parameters
    ----------
    R : ndarray, shape (B, p, p)
    r : ndarray, shape (B, p)

    Returns
    -------
    ndarray, shape (B, 2**p)
        Entry ``[b, mask]`` is the R² of the predictors whose bits are set in
        ``mask``; entry 0 (empty set) is 0.

    Notes
    -----
    Subsets are grown one predictor at a time in index order.  For every
    subset ``P`` of ``{0..m-1}`` the array ``F`` holds the partial
    correlation matrix of ``{m..p-1, y}`` given ``P`` (a Schur complement).
    Adding predictor ``m`` is one sweep on its pivot, and ``1 - F[y, y]``
    after the sweep is the R² of ``P + {m}``.  Each step only carries the
    predictors still to come, so all ``2**p`` R² values cost about
    ``sum_m 2**m (p-m)**2`` multiply-adds per matrix instead of one linear
    solve per subset.  A predictor that is a linear combination of ``P``
    (pivot ~ 0) adds nothing, as with a pseudo-inverse.
    """
    B, p = r.shape
    values = np.zeros((B, 1 << p))
    step = max(1, min(B, 32))  # 32 replicates at a time keep the sweep in cache (2x faster than 256)
    for start in range(0, B, step):
        sl = slice(start, min(B, start + step))
        b = sl.stop - sl.start
        F = np.empty((1, p + 1, p + 1, b))
        F[0, :p, :p] = np.moveaxis(R[sl], 0, -1)
        F[0, :p, p] = r[sl].T
        F[0, p, :p] = r[sl].T
        F[0, p, p] = 1.0
        out = np.zeros((1 << p, b))
        for m in range(p):
            piv = F[:, 0, 0]
            live = piv > _SWEEP_PIVOT_TOL
            inv = np.where(live, 1.0 / np.where(live, piv, 1.0), 0.0)
            rest = F[:, 1:, 1:]
            swept = np.multiply(F[:, 1:, 0][:, :, None], (F[:, 0, 1:] * inv[:, None])[:, None, :])
            np.subtract(rest, swept, out=swept)
            out[(1 << m):(2 << m)] = 1.0 - swept[:, -1, -1]
            F = np.concatenate([rest, swept], axis=0)
        values[sl] = out.T
    return values


def _shapley(values: np.ndarray, p: int) -> np.ndarray:
    """Exact Shapley decomposition of a set function given on all subsets.

    ``values`` has shape (B, 2**p); returns shape (B, p).
    """
    return values @ _shapley_matrix(p)


def _lmg_from_corr(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    return _shapley(_all_subset_r2(R, r), r.shape[1])


def _relweights_from_corr(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights from correlation matrices (batched)."""
    evals, evecs = np.linalg.eigh(R)
    root = np.sqrt(np.clip(evals, 0.0, None))
    # Lambda: correlations between the predictors and their closest
    # orthogonal counterparts Z = X (X'X)^{-1/2}.
    Lam = (evecs * root[:, None, :]) @ np.swapaxes(evecs, 1, 2)
    # Regression of y on Z: beta = Lambda^{-1} r, via the same eigenbasis.
    usable = root > 1e-12 * root.max(axis=1, keepdims=True)
    inv_root = np.where(usable, 1.0 / np.where(usable, root, 1.0), 0.0)
    Lam_inv = (evecs * inv_root[:, None, :]) @ np.swapaxes(evecs, 1, 2)
    beta = (Lam_inv @ r[..., None])[..., 0]
    return np.einsum("bjk,bk->bj", Lam**2, beta**2)


def _full_beta_from_corr(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Standardised multiple-regression coefficients (sign is all we need)."""
    try:
        return np.linalg.solve(R, r[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return (np.linalg.pinv(R, hermitian=True) @ r[..., None])[..., 0]


# ---------------------------------------------------------------------------
# Public building blocks
# ---------------------------------------------------------------------------


def _prepare_xy(X, y) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    if isinstance(X, pd.Series):
        X = X.to_frame()
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(np.asarray(X, dtype=float))
    if X.shape[1] == 0:
        raise ValueError("X has no predictor columns; pass at least one column.")
    y_arr = np.asarray(y, dtype=float).reshape(-1)
    if len(y_arr) != len(X):
        raise ValueError(
            f"X has {len(X)} rows but y has {len(y_arr)}; they must be aligned row by row."
        )
    try:
        X_arr = X.apply(pd.to_numeric, errors="raise").to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"All columns of X must be numeric ({exc}).") from exc
    ok = np.isfinite(X_arr).all(axis=1) & np.isfinite(y_arr)
    X_arr, y_arr = X_arr[ok], y_arr[ok]
    if len(y_arr) < X_arr.shape[1] + 2:
        raise ValueError(
            f"Only {len(y_arr)} complete rows for {X_arr.shape[1]} predictors; "
            "need at least predictors + 2 rows without missing values."
        )
    return X, X_arr, y_arr


def _corr_inputs(X_arr: np.ndarray, y_arr: np.ndarray):
    Z = np.column_stack([np.ones(len(y_arr)), X_arr - X_arr.mean(0), y_arr - y_arr.mean()])
    M = (Z.T @ Z)[None]
    S, centered, tss = _partial_moments(M, 1)
    R, r, scale, alive = _standardise(S, centered)
    return R, r, scale, tss


def r_squared(X, y) -> float:
    """Coefficient of determination of the OLS regression of y on X.

    An intercept is always included.  Rows with a missing value in ``X`` or
    ``y`` are dropped (complete-case analysis).

    Parameters
    ----------
    X : pandas.DataFrame or array-like, shape (n, p)
        Numeric predictors.
    y : pandas.Series or array-like, shape (n,)
        Numeric response.

    Returns
    -------
    float
        R² in [0, 1]; 0 when y is constant.
    """
    _, X_arr, y_arr = _prepare_xy(X, y)
    R, r, scale, tss = _corr_inputs(X_arr, y_arr)
    if tss[0] <= 0:
        return 0.0
    q = _batched_quadform(R, r)[0]
    return float(q * scale[0] / tss[0])


def lmg(X, y) -> pd.Series:
    """Exact LMG (general dominance / Shapley) decomposition of R².

    Each predictor's share is its R² increment averaged over all orderings
    in which predictors can enter the model (Lindeman, Merenda & Gold 1980),
    computed exactly by enumerating all ``2**p`` subsets.  Shares are *not*
    normalised: they sum to the R² of the full model.

    Parameters
    ----------
    X : pandas.DataFrame, shape (n, p)
        Numeric predictors (p <= 20).  An intercept is always included.
    y : pandas.Series or array-like, shape (n,)
        Numeric response.  Rows with any missing value are dropped.

    Returns
    -------
    pandas.Series
        Index = columns of ``X`` (in order), name ``"lmg"``.  Constant
        predictors get 0.

    Raises
    ------
    ValueError
        If ``X`` has more than 20 predictors (use :func:`relative_weights`)
        or too few complete rows.
    """
    X, X_arr, y_arr = _prepare_xy(X, y)
    p = X_arr.shape[1]
    if p > _LMG_HARD_LIMIT:
        raise ValueError(
            f"X has {p} predictors; exact LMG enumerates 2**p subsets and is "
            f"limited to {_LMG_HARD_LIMIT}. Use relative_weights(X, y) instead."
        )
    R, r, scale, tss = _corr_inputs(X_arr, y_arr)
    factor = scale / tss if tss[0] > 0 else np.zeros(1)
    shares = _lmg_from_corr(R, r)[0] * factor[0]
    return pd.Series(shares, index=X.columns, name="lmg")


def relative_weights(X, y) -> pd.Series:
    """Johnson's (2000) relative weights.

    The predictors are replaced by their closest orthogonal counterparts
    ``Z``; the weight of predictor j is ``sum_k lambda_jk**2 * beta_k**2``
    where ``lambda`` are the correlations between X and Z and ``beta`` the
    coefficients of y on Z.  Raw weights (not normalised) sum to the R² of
    the full model.

    Parameters
    ----------
    X : pandas.DataFrame, shape (n, p)
        Numeric predictors.  An intercept is always included.
    y : pandas.Series or array-like, shape (n,)
        Numeric response.  Rows with any missing value are dropped.

    Returns
    -------
    pandas.Series
        Index = columns of ``X`` (in order), name ``"relative_weight"``.
        Constant predictors get 0.
    """
    X, X_arr, y_arr = _prepare_xy(X, y)
    R, r, scale, tss = _corr_inputs(X_arr, y_arr)
    factor = scale / tss if tss[0] > 0 else np.zeros(1)
    weights = _relweights_from_corr(R, r)[0] * factor[0]
    return pd.Series(weights, index=X.columns, name="relative_weight")


# ---------------------------------------------------------------------------
# analyze_drivers: data preparation
# ---------------------------------------------------------------------------


def _covariate_codes(frame: pd.DataFrame, covariates: Sequence[str], keep: np.ndarray):
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


def _indicator(frame: pd.DataFrame, col: str, keep: np.ndarray) -> np.ndarray:
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


def _group_rows(columns: Sequence, n: int):
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


def _row_keys(C: np.ndarray, sizes: Sequence[int], X: np.ndarray, is_binary: np.ndarray, y: np.ndarray) -> list:
    """Columns for :func:`_group_rows`: covariate codes, 0/1 drivers packed 30 to a code, the rest."""
    keys: list = [(C[:, j], s) for j, s in enumerate(sizes)]
    bits = np.flatnonzero(is_binary)
    for start in range(0, len(bits), 30):
        block = bits[start : start + 30]
        packed = X[:, block].astype(np.int64) @ (np.int64(1) << np.arange(len(block), dtype=np.int64))
        keys.append(packed)
    keys += [X[:, j] for j in np.flatnonzero(~is_binary)]
    keys.append(y)
    return keys


# ---------------------------------------------------------------------------
# Weighted cross-products from sufficient statistics (point estimate and bootstrap)
# ---------------------------------------------------------------------------


class _MomentPlan:
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
            g, gfirst, _ = _group_rows([codes[:, j] for j in range(ncov)], K)
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
        h, hfirst, _ = _group_rows([V[:, j] for j in range(q)], K)
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


# ---------------------------------------------------------------------------
# Poisson bootstrap weights
# ---------------------------------------------------------------------------

#: Patterns seen at most this often draw their Poisson weights from lookup tables.
_POISSON_TABLE_MAX = 32
_POISSON_AMBIGUOUS = 255


@lru_cache(maxsize=1)
def _poisson_tables():
    """Inverse-CDF lookup tables for Poisson(1..32) indexed by a 16-bit uniform.

    ``table[lam, u]`` is the Poisson(lam) quantile for every uniform in
    ``[u, u+1) / 65536`` when that whole interval maps to one value, else the
    marker 255; marked draws are completed with a second uniform inside the
    interval, so the draws follow the Poisson distribution exactly.
    """
    lo = np.arange(65536) / 65536.0
    hi = (np.arange(65536) + 1) / 65536.0
    table = np.zeros((_POISSON_TABLE_MAX + 1, 65536), dtype=np.uint8)
    cdfs = [np.ones(1)]
    for lam in range(1, _POISSON_TABLE_MAX + 1):
        top = int(lam + 40 * math.sqrt(lam) + 40)
        cdf = pdtr(np.arange(top), lam)
        cdf[-1] = 1.0
        cdfs.append(cdf)
        x_lo = np.searchsorted(cdf, lo, side="right")
        x_hi = np.searchsorted(cdf, hi, side="left")
        table[lam] = np.where((x_lo == x_hi) & (x_lo < _POISSON_AMBIGUOUS), x_lo, _POISSON_AMBIGUOUS)
    return table.reshape(-1), cdfs


def _poisson_weights(counts: np.ndarray, n_rep: int, rng: np.random.Generator) -> np.ndarray:
    """Poisson bootstrap weights, shape (K, n_rep): pattern k gets Poisson(counts[k]).

    Giving every original row an independent Poisson(1) weight (the Poisson
    bootstrap; Hanley & MacGibbon 2006) means a pattern seen c times gets a
    Poisson(c) weight, so the resample is drawn per pattern, not per row.
    ``counts`` must be sorted ascending (small counts use the lookup tables).
    """
    table, cdfs = _poisson_tables()
    K = len(counts)
    W = np.empty((K, n_rep))
    n_small = int(np.searchsorted(counts, _POISSON_TABLE_MAX, side="right"))
    if n_small:
        offsets = (counts[:n_small].astype(np.uint32) << 16)[:, None]
        u = rng.integers(0, 65536, size=(n_small, n_rep), dtype=np.uint16)
        x = np.take(table, offsets | u)
        W[:n_small] = x
        amb_r, amb_c = np.nonzero(x == _POISSON_AMBIGUOUS)
        if len(amb_r):
            fine = (u[amb_r, amb_c] + rng.random(len(amb_r))) / 65536.0
            lam = counts[amb_r]
            for value in np.unique(lam):
                sel = lam == value
                W[amb_r[sel], amb_c[sel]] = np.searchsorted(cdfs[value], fine[sel], side="right")
    if n_small < K:
        W[n_small:] = rng.poisson(counts[n_small:].astype(float)[:, None], size=(K - n_small, n_rep))
    return W


# ---------------------------------------------------------------------------
# Adjusted effects: weighted OLS with HC3 errors on patterns
# ---------------------------------------------------------------------------


def _ols_hc3(X: np.ndarray, y: np.ndarray, w: np.ndarray):
    """OLS of y on X with frequency weights w and HC3 standard errors.

    Identical rows share their residual and leverage, so fitting on patterns
    with their counts gives exactly the row-level estimates and HC3 errors.
    Returns ``(coef, se, r2)``.
    """
    XtWX = X.T @ (X * w[:, None])
    bread = np.linalg.pinv(XtWX, hermitian=True)
    coef = bread @ (X.T @ (w * y))
    resid = y - X @ coef
    lev = np.einsum("ij,ij->i", X @ bread, X)
    with np.errstate(divide="ignore", invalid="ignore"):
        u2 = resid**2 / (1.0 - lev) ** 2
    meat = X.T @ (X * (w * u2)[:, None])
    cov = bread @ meat @ bread
    se = np.sqrt(np.clip(np.diagonal(cov), 0.0, None))
    ybar = (w @ y) / w.sum()
    tss = w @ (y - ybar) ** 2
    r2 = 1.0 - (w @ resid**2) / tss if tss > 0 else 0.0
    return coef, se, float(r2)


# ---------------------------------------------------------------------------
# Importance (LMG / relative weights) for stacks of cross-product matrices
# ---------------------------------------------------------------------------


def _decompose(M: np.ndarray, n_adjust: int, p: int, use_lmg: bool):
    """Shares of R² (over the adjusters) for each predictor, their signs and R²(adjusters)."""
    S, centered, tss = _partial_moments(M, n_adjust)
    R, r, scale, _ = _standardise(S, centered)
    safe_tss = np.where(tss > 0, tss, 1.0)
    factor = np.where(tss > 0, scale / safe_tss, 0.0)
    if p == 0:
        shares = np.zeros((M.shape[0], 0))
        sign = shares
    else:
        shares = (_lmg_from_corr(R, r) if use_lmg else _relweights_from_corr(R, r)) * factor[:, None]
        sign = np.sign(_full_beta_from_corr(R, r))
    r2_cov = np.where(tss > 0, 1.0 - scale / safe_tss, 0.0)
    return shares, sign, r2_cov


def _boot_chunk(item, plan: _MomentPlan, counts: np.ndarray, shift: np.ndarray, p: int, use_lmg: bool):
    """Signed importance shares for one chunk of bootstrap replicates."""
    n_rep, seed = item
    W = _poisson_weights(counts, n_rep, np.random.default_rng(seed))
    shares, sign, _ = _decompose(plan.moments(W, shift), plan.a, p, use_lmg)
    return shares * sign


def _bootstrap_importance(plan, counts, shift, p, use_lmg, n_boot, random_state) -> np.ndarray:
    """(n_boot, p) signed shares; chunked, seeded per chunk, forked over cores when large."""
    from minetools.parallel import fork_map

    K = len(counts)
    per_chunk = int(max(1, min(200, _BOOT_CHUNK_ELEMENTS // max(K, 1), n_boot)))
    sizes = [per_chunk] * (n_boot // per_chunk) + ([n_boot % per_chunk] if n_boot % per_chunk else [])
    seeds = np.random.SeedSequence(random_state).spawn(len(sizes))
    # the work per replicate: the moments over K patterns, then 2**p subset fits for LMG
    per_replicate = K + ((1 << p) * 8 if use_lmg else p * p)
    parallel = per_replicate * n_boot >= _PARALLEL_BOOT_ELEMENTS and len(sizes) > 1
    parts = fork_map(_boot_chunk, list(zip(sizes, seeds)), (plan, counts.astype(np.int64), shift, p, use_lmg),
                      parallel=parallel)
    return np.concatenate(parts, axis=0)


#: Patterns x replicates held in memory per bootstrap chunk.
_BOOT_CHUNK_ELEMENTS = 8_000_000
#: Work (patterns, or subset fits for LMG, times replicates) above which the bootstrap uses one
#: worker process per core (forking costs tens of milliseconds; 20 M elements take about a second).
_PARALLEL_BOOT_ELEMENTS = 20_000_000
_Z975 = 1.959963984540054


# ---------------------------------------------------------------------------
# analyze_drivers
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Binary satisfaction: logistic regression, marginal effects, McFadden dominance
# ---------------------------------------------------------------------------

_LOGIT_MAX_ITER = 50
_LOGIT_TOL = 1e-11  # Newton decrement per complaint at which a fit has converged
_LOGIT_MAX_STEP = 5.0


def _loglik(succ: np.ndarray, trials: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Binomial log-likelihood (without the constant) per column of ``eta`` (K, S)."""
    return succ @ eta - trials @ np.logaddexp(0.0, eta)


def _logit_fits(plan: _MomentPlan, Z: np.ndarray, succ: np.ndarray, trials: np.ndarray, masks: np.ndarray,
                start: np.ndarray | None = None):
    """Logistic fits on the columns ``masks[s]`` of ``Z``, all subsets at once (Newton–Raphson).

    Rows of ``Z`` = ``[1, covariate dummies, drivers]`` are distinct
    covariate/driver patterns with ``succ`` satisfied out of ``trials``
    complaints (binomial aggregation is exact for the logistic likelihood).
    ``plan`` is built on the same patterns and drivers; ``masks`` is (S, m)
    boolean.  Hessians come from ``plan.moments`` with the IRLS weights, so a
    Newton step costs a few passes over the patterns for every model.
    Iteration stops when the Newton decrement ``g' H^-1 g`` is negligible
    (this also ends fits whose coefficients drift under separation once the
    likelihood has converged); steps are capped at :data:`_LOGIT_MAX_STEP`.
    Returns ``(beta (S, m), loglik (S,))``.
    """
    S, m = masks.shape
    if start is None:
        beta = np.zeros((S, m))
        ybar = succ.sum() / trials.sum()
        beta[:, 0] = math.log(ybar / (1.0 - ybar))
    else:
        beta = np.where(masks, start[None, :], 0.0)
    tol = _LOGIT_TOL * max(float(trials.sum()), 1.0)
    eye = np.eye(m)[None]
    active = np.ones(S, dtype=bool)
    for _ in range(_LOGIT_MAX_ITER):
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        mu = expit(Z @ beta[idx].T)
        H = plan.moments(trials[:, None] * mu * (1.0 - mu))
        g = (Z.T @ (succ[:, None] - trials[:, None] * mu)).T
        keep = masks[idx]
        H = np.where(keep[:, :, None] & keep[:, None, :], H, 0.0) + eye * (~keep)[:, :, None]
        g = np.where(keep, g, 0.0)
        try:
            step = np.linalg.solve(H, g[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = (np.linalg.pinv(H, hermitian=True) @ g[..., None])[..., 0]
        decrement = np.einsum("sj,sj->s", g, step)
        big = np.abs(step).max(axis=1)
        step *= np.minimum(1.0, _LOGIT_MAX_STEP / np.maximum(big, 1e-300))[:, None]
        beta[idx] += step
        active[idx[decrement <= tol]] = False
    return beta, _loglik(succ, trials, Z @ beta.T)


def _logistic_drivers(plan, Z, succ, trials, p, n_adjust):
    """Full logistic model (odds ratios, AMEs, HC0 Wald tests) and McFadden dominance shares.

    Column layout of ``Z``: intercept, ``n_adjust - 1`` covariate dummies,
    then the ``p`` drivers; rows are binomial patterns (see :func:`_logit_fits`).
    """
    m = Z.shape[1]
    drivers = np.arange(n_adjust, m)
    beta_full, ll_full = _logit_fits(plan, Z, succ, trials, np.ones((1, m), dtype=bool))
    beta = beta_full[0]
    null_mask = np.zeros((1, m), dtype=bool)
    null_mask[0, 0] = True
    ll0 = float(_logit_fits(plan, Z, succ, trials, null_mask)[1][0])

    # Robust (HC0) covariance from the row-level score contributions.
    eta = Z @ beta
    mu = expit(eta)
    H = Z.T @ (Z * (trials * mu * (1.0 - mu))[:, None])
    bread = np.linalg.pinv(H, hermitian=True)
    sq = succ * (1.0 - mu) ** 2 + (trials - succ) * mu**2
    cov = bread @ (Z.T @ (Z * sq[:, None])) @ bread
    se = np.sqrt(np.clip(np.diagonal(cov), 0.0, None))[drivers]
    b = beta[drivers]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pval = 2.0 * ndtr(-np.abs(b / se))
        odds = np.exp(b)
        or_lo, or_hi = np.exp(b - _Z975 * se), np.exp(b + _Z975 * se)

    # Average marginal effects (discrete change for 0/1 drivers), delta-method CIs.
    total = trials.sum()
    ame = np.empty(p)
    ame_se = np.empty(p)
    for i, col in enumerate(drivers):
        x = Z[:, col]
        if np.isin(x, (0.0, 1.0)).all():
            mu1, mu0 = expit(eta + (1.0 - x) * beta[col]), expit(eta - x * beta[col])
            Z1, Z0 = Z.copy(), Z.copy()
            Z1[:, col], Z0[:, col] = 1.0, 0.0
            ame[i] = trials @ (mu1 - mu0) / total
            grad = (Z1.T @ (trials * mu1 * (1 - mu1)) - Z0.T @ (trials * mu0 * (1 - mu0))) / total
        else:
            d = mu * (1.0 - mu)
            ame[i] = beta[col] * (trials @ d) / total
            grad = beta[col] * (Z.T @ (trials * d * (1 - 2 * mu))) / total
            grad[col] += (trials @ d) / total
        ame_se[i] = math.sqrt(max(float(grad @ cov @ grad), 0.0))

    # General dominance on McFadden's pseudo-R², covariates always in the model.
    subsets = np.arange(1 << p)
    masks = np.ones((len(subsets), m), dtype=bool)
    masks[:, drivers] = ((subsets[:, None] >> np.arange(p)) & 1).astype(bool)
    chunk = max(1, int(_BOOT_CHUNK_ELEMENTS // max(len(succ), 1)))
    ll_sub = np.concatenate([
        _logit_fits(plan, Z, succ, trials, masks[s : s + chunk], start=beta)[1]
        for s in range(0, len(masks), chunk)
    ])
    r2_sub = 1.0 - ll_sub / ll0 if ll0 < 0 else np.zeros(len(ll_sub))
    shares = _shapley((r2_sub - r2_sub[0])[None, :], p)[0] if p else np.zeros(0)
    return {
        "per_driver": {
            "effect": 100.0 * ame,
            "effect_ci_low": 100.0 * (ame - _Z975 * ame_se),
            "effect_ci_high": 100.0 * (ame + _Z975 * ame_se),
            "p_value": pval,
            "importance": np.sign(b) * shares,
            "odds_ratio": odds,
            "odds_ratio_ci_low": or_lo,
            "odds_ratio_ci_high": or_hi,
        },
        "r2": float(1.0 - ll_full[0] / ll0) if ll0 < 0 else 0.0,
        "r2_covariates": float(r2_sub[0]),
    }


def _dummy_matrix(codes: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """One-hot columns (reference level dropped) for rows of covariate codes."""
    blocks = [np.zeros((len(codes), 0))]
    for j, size in enumerate(sizes):
        blocks.append((codes[:, j][:, None] == np.arange(1, size)[None, :]).astype(float))
    return np.concatenate(blocks, axis=1)


def _check_inputs(df, score_col, themes, extra_drivers, method, n_boot):
    if isinstance(themes, str):
        themes = [themes]
    themes = list(themes)
    extra_drivers = [extra_drivers] if isinstance(extra_drivers, str) else list(extra_drivers)
    if not themes and not extra_drivers:
        raise ValueError("`themes` is empty; pass the theme keys to analyse.")
    names = themes + extra_drivers
    if len(set(names)) != len(names):
        dup = sorted({t for t in names if names.count(t) > 1})
        raise ValueError(f"Duplicate driver names {dup}; pass each theme or column once.")
    if score_col not in df.columns:
        raise ValueError(
            f"Score column {score_col!r} not found in the data; pass the name "
            "of the satisfaction column via score_col=."
        )
    missing_themes = [f"theme_{t}" for t in themes if f"theme_{t}" not in df.columns]
    if missing_themes:
        raise ValueError(
            f"Theme indicator column(s) {missing_themes} not found; each theme key "
            "k needs a 0/1 column named 'theme_k' (assign themes first or drop the key)."
        )
    missing_extra = [c for c in extra_drivers if c not in df.columns]
    if missing_extra:
        raise ValueError(f"Driver column(s) {missing_extra} not found in the data; check extra_drivers=.")
    if method not in ("lmg", "relative_weights"):
        raise ValueError(f"method must be 'lmg' or 'relative_weights', got {method!r}.")
    if n_boot < 0:
        raise ValueError(f"n_boot must be >= 0, got {n_boot}.")
    return themes, extra_drivers


def _extra_values(frame: pd.DataFrame, col: str) -> np.ndarray:
    vals = pd.to_numeric(frame[col], errors="coerce")
    bad = frame[col].notna() & vals.isna()
    if bad.any():
        first = frame.index[np.flatnonzero(bad.to_numpy())[0]]
        raise ValueError(
            f"Driver column {col!r} must be numeric; row {first} holds {frame[col].loc[first]!r}."
        )
    return vals.to_numpy(dtype=float, na_value=np.nan)


def analyze_drivers(
    df: pd.DataFrame,
    *,
    score_col: str = "satisfaction",
    themes: Sequence[str],
    covariates: Sequence[str] = ("branch", "channel", "month"),
    method: str = "lmg",
    n_boot: int = 1000,
    min_n: int = 30,
    random_state: int | None = None,
    extra_drivers: Sequence[str] = (),
    outcome: str = "auto",
    satisfied_threshold: float | None = None,
) -> pd.DataFrame:
    """Rank complaint themes by how much they lower satisfaction.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per complaint with a score column, 0/1 indicator columns
        ``theme_<key>`` (missing indicator = theme absent) and categorical
        covariate columns.
    score_col : str, default "satisfaction"
        Satisfaction score (e.g. a 1–5 survey, or 满意/不满意 coded as two
        numbers).  Coerced to numeric; rows where it is missing (or
        non-numeric) are excluded from every statistic.
    themes : sequence of str
        Theme keys, keyword-only and required; the indicator column for key
        ``k`` is ``f"theme_{k}"``.
    covariates : sequence of str, default ("branch", "channel", "month")
        Categorical adjustment variables, always in the model, one-hot
        encoded with the first (sorted) level dropped.  Columns absent from
        ``df`` are skipped; the ones used are recorded in
        ``result.attrs["covariates"]``.  Missing values form a
        ``"(missing)"`` level; levels seen on a single row are pooled into the
        reference level.
    method : {"lmg", "relative_weights"}, default "lmg"
        Importance measure.  ``"lmg"`` is the exact Shapley/LMG decomposition
        of R², used up to :data:`LMG_MAX_THEMES` estimable drivers; beyond
        that Johnson's relative weights are used (``attrs["method"]`` says
        which one ran).
    n_boot : int, default 1000
        Bootstrap replicates for the importance intervals; 0 disables them
        (NaN bounds).  Replicates use the Poisson bootstrap (every complaint
        gets an independent Poisson(1) weight), drawn per distinct row
        pattern, so a million complaints cost little more than a thousand.
    min_n : int, default 30
        Drivers present on fewer rows are reported but flagged
        ``ranked=False`` and not ranked.
    random_state : int or None, default None
        Seed for the bootstrap; the same seed gives identical results.
    extra_drivers : sequence of str, default ()
        Further numeric columns entered as drivers beside the themes, e.g.
        handling time in days or a 0/1 "closed late" flag.  Rows where one is
        missing are left out of the whole analysis (``attrs["n"]``).
    outcome : {"auto", "continuous", "binary"}, default "auto"
        ``"auto"`` treats a score with exactly two distinct values (or any
        score when ``satisfied_threshold`` is given) as binary satisfied/not satisfied.
        Binary outcomes use logistic regression; see Notes.
    satisfied_threshold : float, optional
        Scores ``>= satisfied_threshold`` count as satisfied (e.g. 4 on a 1–5 scale for
        "top-two box"); implies a binary outcome.

    Returns
    -------
    pandas.DataFrame
        One row per driver (themes in the order given, then
        ``extra_drivers``), with columns:

        ``theme``
            Theme key (or extra driver column name).
        ``n``, ``prevalence``
            Rows with the theme, and ``n / N`` (N = rows with a score).
            For a numeric extra driver, ``n`` is N and ``prevalence`` NaN.
        ``mean_with``, ``mean_without``
            Mean score of rows with / without the theme (binary outcome: the
            share satisfied).
        ``impact``
            ``mean(all) - mean(without) = prevalence * (mean_with -
            mean_without)``: the theme's contribution to the overall mean
            score.  **Sign convention: negative impact = the theme lowers
            satisfaction**; if the theme vanished and its complaints scored
            like the rest, the overall mean would change by ``-impact``.
        ``effect``, ``effect_ci_low``, ``effect_ci_high``
            OLS coefficient of the theme in ``score ~ all drivers + covariate
            dummies`` (change in score when the theme is present, holding the
            other themes and covariates fixed), with an HC3-robust 95%
            confidence interval.  Negative = damaging.  Binary outcome: the
            average marginal effect in percentage points.
        ``importance``, ``importance_ci_low``, ``importance_ci_high``
            The driver's share of R², i.e. of ``R²(covariates + drivers) -
            R²(covariates)``, by exact LMG (<= 15 estimable drivers) or
            Johnson's relative weights, signed by the sign of ``effect``;
            bootstrap percentile 95% interval (each replicate's share signed
            by that replicate's coefficient).  Binary outcome: general
            dominance on McFadden's pseudo-R².
        ``significant``
            ``p_value < 0.05``.
        ``p_value``
            HC3 two-sided p-value of the effect.
        ``ranked``
            False when ``n < min_n``, the driver cannot be estimated, or it
            is a numeric (not 0/1) extra driver, whose per-unit effect is not
            comparable with the themes'.
        ``rank``
            1 = most damaging (most negative effect) among ranked drivers;
            NaN for unranked ones.
        ``driver_type``
            ``"theme"``, ``"indicator"`` (0/1 extra driver) or ``"numeric"``.

        Binary outcomes add ``odds_ratio``, ``odds_ratio_ci_low`` and
        ``odds_ratio_ci_high``.  Drivers with no variation get NaN
        effect/importance and ``ranked=False``.

        ``result.attrs`` holds ``r2`` (full model; McFadden pseudo-R² for a
        binary outcome), ``r2_covariates``, ``n`` (rows used), ``method``,
        ``n_boot``, ``bootstrap``, ``covariates`` (used),
        ``covariate_dummies``, ``score_col``, ``min_n``, ``outcome`` and
        ``patterns`` (distinct rows the computation ran on).

    Raises
    ------
    ValueError
        If the score column or a driver column is missing, an indicator is
        not 0/1, or there are fewer usable rows than model parameters + 10.

    Notes
    -----
    All statistics are computed on distinct row patterns (covariate levels,
    driver values, score) with their counts, which gives exactly the
    row-level estimates: identical rows share residuals and leverages.
    """
    themes, extra_drivers = _check_inputs(df, score_col, themes, extra_drivers, method, n_boot)
    if outcome not in ("auto", "continuous", "binary"):
        raise ValueError(f"outcome must be 'auto', 'continuous' or 'binary', got {outcome!r}.")
    names = themes + extra_drivers

    score = pd.to_numeric(df[score_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    extras = [_extra_values(df, c) for c in extra_drivers]
    keep = np.isfinite(score)
    for values in extras:
        keep &= np.isfinite(values)
    y = score[keep]
    N = len(y)

    if isinstance(covariates, str):
        covariates = [covariates]
    used_cov = [c for c in covariates if c in df.columns and c != score_col]
    codes, sizes, dummy_names = _covariate_codes(df, used_cov, keep)
    C = np.column_stack(codes) if codes else np.zeros((N, 0), dtype=np.int64)
    X = np.empty((N, len(names)))
    for j, t in enumerate(themes):
        X[:, j] = _indicator(df, f"theme_{t}", keep)
    for i, values in enumerate(extras):
        X[:, len(themes) + i] = values[keep]
    kinds = ["theme"] * len(themes) + [
        "indicator" if N and np.isin(X[:, len(themes) + i], (0.0, 1.0)).all() else "numeric"
        for i in range(len(extra_drivers))
    ]
    is_numeric = np.array([k == "numeric" for k in kinds])

    n_params = 1 + len(names) + len(dummy_names)
    if N < n_params + 10:
        raise ValueError(
            f"Only {N} rows have a usable {score_col!r} score, but the model has "
            f"{n_params} parameters (intercept, {len(names)} drivers, "
            f"{len(dummy_names)} covariate dummies); need at least {n_params + 10}. "
            "Use more data, fewer themes or fewer covariates."
        )

    binary = satisfied_threshold is not None or outcome == "binary" or (
        outcome == "auto" and len(np.unique(y)) == 2
    )
    if binary:
        if satisfied_threshold is not None:
            y = (y >= satisfied_threshold).astype(float)
        else:
            values = np.unique(y)
            if len(values) != 2:
                raise ValueError(
                    f"outcome='binary' needs a score with two values (or satisfied_threshold=); "
                    f"{score_col!r} has {len(values)} distinct values."
                )
            y = (y == values[1]).astype(float)

    # --- descriptive statistics -------------------------------------------
    counts = np.where(is_numeric, N, X.sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        sum_with = y @ X
        mean_with = np.where(counts > 0, sum_with / np.where(counts > 0, counts, 1), np.nan)
        n_without = N - counts
        mean_without = np.where(
            n_without > 0, (y.sum() - sum_with) / np.where(n_without > 0, n_without, 1), np.nan
        )
    impact = y.mean() - mean_without
    prevalence = counts / N
    for arr in (prevalence, mean_with, mean_without, impact):
        arr[is_numeric] = np.nan
    varying = np.array([np.ptp(X[:, j]) > 0 if N else False for j in range(len(names))])
    estimable = np.where(is_numeric, varying, (counts >= 2) & (n_without >= 2))
    est_idx = np.flatnonzero(estimable)
    p = len(est_idx)
    use_lmg = method == "lmg" and p <= LMG_MAX_THEMES

    # --- distinct row patterns --------------------------------------------
    Xe = X[:, est_idx]
    _, first, cnt = _group_rows(_row_keys(C, sizes, Xe, ~is_numeric[est_idx], y), N)
    order = np.argsort(cnt, kind="stable")  # rare patterns first (see _poisson_weights)
    first, cnt = first[order], cnt[order]
    pC, pX, py, w = C[first], Xe[first], y[first], cnt.astype(float)
    design = np.column_stack([np.ones(len(py)), pX, _dummy_matrix(pC, sizes)])

    result = {
        "effect": np.full(len(names), np.nan), "effect_ci_low": np.full(len(names), np.nan),
        "effect_ci_high": np.full(len(names), np.nan), "p_value": np.full(len(names), np.nan),
        "importance": np.full(len(names), np.nan), "importance_ci_low": np.full(len(names), np.nan),
        "importance_ci_high": np.full(len(names), np.nan),
    }
    if binary:
        # Binomial patterns: covariate levels and drivers, with satisfied / total counts.
        inv, bfirst, trials = _group_rows(_row_keys(pC, sizes, pX, ~is_numeric[est_idx], np.zeros(len(py))), len(py))
        succ = np.bincount(inv, weights=w * py, minlength=len(bfirst))
        trials = np.bincount(inv, weights=w, minlength=len(bfirst))
        bC, bX = pC[bfirst], pX[bfirst]
        Z = np.column_stack([np.ones(len(bfirst)), _dummy_matrix(bC, sizes), bX])
        fit = _logistic_drivers(_MomentPlan(bC, sizes, bX), Z, succ, trials, p, n_adjust=1 + len(dummy_names))
        extra_cols = {k: np.full(len(names), np.nan) for k in ("odds_ratio", "odds_ratio_ci_low",
                                                               "odds_ratio_ci_high")}
        for key, values in fit["per_driver"].items():
            (result if key in result else extra_cols)[key][est_idx] = values
        r2_full, r2_covariates, method_used, boot_kind = fit["r2"], fit["r2_covariates"], "dominance_mcfadden", None
    else:
        extra_cols = {}
        coef, se, r2_full = _ols_hc3(design, py, w)
        b, s = coef[1 : 1 + p], se[1 : 1 + p]
        with np.errstate(divide="ignore", invalid="ignore"):
            pv = 2.0 * ndtr(-np.abs(b / s))
        result["effect"][est_idx] = b
        result["effect_ci_low"][est_idx] = b - _Z975 * s
        result["effect_ci_high"][est_idx] = b + _Z975 * s
        result["p_value"][est_idx] = pv

        V = np.column_stack([pX, py])
        plan = _MomentPlan(pC, sizes, V)
        shift = (w @ V) / w.sum()
        shares, _, r2_cov = _decompose(plan.moments(w[:, None], shift), plan.a, p, use_lmg)
        r2_covariates = float(r2_cov[0])
        result["importance"][est_idx] = np.sign(b) * shares[0]
        if n_boot > 0 and p > 0:
            boot = _bootstrap_importance(plan, cnt, shift, p, use_lmg, n_boot, random_state)
            result["importance_ci_low"][est_idx] = np.percentile(boot, 2.5, axis=0)
            result["importance_ci_high"][est_idx] = np.percentile(boot, 97.5, axis=0)
        method_used = "lmg" if use_lmg else "relative_weights"
        boot_kind = "poisson" if n_boot > 0 else None

    ranked = estimable & ~is_numeric & (counts >= min_n) & np.isfinite(result["effect"])
    out = pd.DataFrame(
        {
            "theme": names,
            "n": counts.astype(int),
            "prevalence": prevalence,
            "mean_with": mean_with,
            "mean_without": mean_without,
            "impact": impact,
            "effect": result["effect"],
            "effect_ci_low": result["effect_ci_low"],
            "effect_ci_high": result["effect_ci_high"],
            "importance": result["importance"],
            "importance_ci_low": result["importance_ci_low"],
            "importance_ci_high": result["importance_ci_high"],
            "significant": np.where(np.isfinite(result["p_value"]), result["p_value"] < 0.05, False).astype(bool),
            "p_value": result["p_value"],
            "ranked": ranked,
        }
    )
    rank = pd.Series(np.where(ranked, out["effect"], np.nan)).rank(method="first", ascending=True)
    out["rank"] = rank.to_numpy()
    out["driver_type"] = kinds
    for key, values in extra_cols.items():
        out[key] = values
    out.attrs.update(
        {
            "r2": float(r2_full),
            "r2_covariates": float(r2_covariates),
            "n": N,
            "method": method_used,
            "method_requested": method,
            "n_boot": int(n_boot),
            "bootstrap": boot_kind,
            "covariates": list(used_cov),
            "covariate_dummies": dummy_names,
            "score_col": score_col,
            "min_n": int(min_n),
            "outcome": "binary" if binary else "continuous",
            "satisfied_threshold": satisfied_threshold,
            "patterns": int(len(py)),
        }
    )
    return out


# ---------------------------------------------------------------------------
# Comparisons: segments and periods
# ---------------------------------------------------------------------------

#: Columns of :func:`compare_segments`.
SEGMENT_COLUMNS = ("segment_col", "segment", "theme", "n", "prevalence", "mean_with", "mean_without", "impact",
                   "effect", "effect_ci_low", "effect_ci_high", "significant", "masked", "mask_reason")


def compare_segments(
    df: pd.DataFrame,
    *,
    by: str,
    score_col: str = "satisfaction",
    themes: Sequence[str],
    covariates: Sequence[str] = ("branch", "channel", "month"),
    min_n: int = 30,
    satisfied_threshold: float | None = None,
) -> pd.DataFrame:
    """The driver analysis within each level of ``by`` (branch, channel, customer type …).

    Each segment gets its own model (``by`` is dropped from the covariates).
    Cells are masked — statistics set to NaN, ``masked=True`` with a reason —
    when the theme occurs on fewer than ``min_n`` complaints of the segment,
    or when the segment is too small for its model.  Importance is not
    computed per segment (see :func:`analyze_drivers` for the whole data).

    Returns
    -------
    pandas.DataFrame
        Long table with the columns of :data:`SEGMENT_COLUMNS`, one row per
        segment and theme, segments in order of size.
    """
    if by not in df.columns:
        raise ValueError(f"Segment column {by!r} not found in the data; pick one of {list(df.columns)}.")
    cov = [c for c in covariates if c != by]
    rows = []
    levels = df[by].astype("string").fillna("(missing)")
    for segment in levels.value_counts().index:
        part = df.loc[(levels == segment).to_numpy()]
        try:
            res = analyze_drivers(part, score_col=score_col, themes=themes, covariates=cov, n_boot=0,
                                  min_n=min_n, satisfied_threshold=satisfied_threshold)
            reason = None
        except ValueError as exc:
            res = pd.DataFrame({"theme": list(themes),
                                "n": [int(pd.to_numeric(part[f"theme_{t}"], errors="coerce").fillna(0).sum())
                                      for t in themes]})
            reason = f"segment too small for the model ({exc})"
        res = res.reindex(columns=list(SEGMENT_COLUMNS[2:12]))
        res["masked"] = False
        res["mask_reason"] = reason
        small = res["n"] < min_n
        res.loc[small, "mask_reason"] = res.loc[small, "mask_reason"].fillna(f"fewer than {min_n} complaints")
        res["masked"] = res["mask_reason"].notna()
        stats = ["prevalence", "mean_with", "mean_without", "impact", "effect", "effect_ci_low", "effect_ci_high"]
        res.loc[res["masked"], stats] = np.nan
        res["significant"] = (res["significant"].astype(object).eq(True) & ~res["masked"]).astype(bool)
        res.insert(0, "segment", segment)
        res.insert(0, "segment_col", by)
        rows.append(res)
    return pd.concat(rows, ignore_index=True)[list(SEGMENT_COLUMNS)]


#: Columns of :func:`decompose_change`.
CHANGE_COLUMNS = ("theme", "n_before", "n_after", "prevalence_before", "prevalence_after", "effect_before",
                  "effect_after", "from_frequency", "from_severity", "contribution")


def decompose_change(
    df: pd.DataFrame,
    *,
    period_col: str,
    before,
    after,
    score_col: str = "satisfaction",
    themes: Sequence[str],
    covariates: Sequence[str] = (),
    min_n: int = 30,
) -> pd.DataFrame:
    """Split the change in mean satisfaction between two periods into per-theme parts.

    In each period an OLS model ``score ~ themes (+ covariate dummies)``
    holds exactly at the means: ``mean = b0 + sum_j beta_j p_j (+ covariate
    terms)``.  The change is then, with the earlier period as reference::

        from_frequency_j = (p_j_after - p_j_before) * beta_j_before   # theme became more/less frequent
        from_severity_j  = p_j_after * (beta_j_after - beta_j_before)  # theme hurts more/less
        baseline         = b0_after - b0_before                         # complaints without these themes
        covariates       = change in the covariate terms (branch/channel mix)

    and the parts add up to ``mean_after - mean_before`` exactly — the bars of
    a waterfall chart.

    Parameters
    ----------
    period_col : str
        Column holding the period (e.g. ``"month"``).
    before, after : value or sequence of values
        Period value(s) forming the earlier and the later period.

    Returns
    -------
    pandas.DataFrame
        One row per theme (:data:`CHANGE_COLUMNS`) plus rows ``"(baseline)"``
        and, with covariates, ``"(covariates)"``, whose ``contribution`` sums
        to the change.  ``attrs``: ``mean_before``, ``mean_after``,
        ``change``, ``n_before``, ``n_after``, ``before``, ``after``;
        ``flagged`` lists themes seen fewer than ``min_n`` times in a period
        (their severity part is imprecise).
    """
    if period_col not in df.columns:
        raise ValueError(f"Period column {period_col!r} not found in the data.")
    themes = list(themes)
    periods = df[period_col].astype("string")

    def members(value):
        values = [value] if isinstance(value, str) or not isinstance(value, Sequence) else list(value)
        return periods.isin([str(v) for v in values]).fillna(False).to_numpy()

    fits = []
    for label, value in (("before", before), ("after", after)):
        part = df.loc[members(value)]
        y = pd.to_numeric(part[score_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        ok = np.isfinite(y)
        if ok.sum() < len(themes) + 10:
            raise ValueError(
                f"The {label} period ({value!r} in {period_col!r}) has {int(ok.sum())} scored complaints; "
                f"need at least {len(themes) + 10}. Choose longer periods."
            )
        part, y = part.loc[ok], y[ok]
        T = np.column_stack([_indicator(part, f"theme_{t}", np.ones(len(part), dtype=bool)) for t in themes])
        D = pd.get_dummies(part[[c for c in covariates if c in part.columns]].astype("string"),
                           dtype=float) if covariates else pd.DataFrame(index=part.index)
        fits.append((T, D, y))
    dummy_cols = sorted(set(fits[0][1].columns) | set(fits[1][1].columns))
    dummy_cols = dummy_cols[1:] if dummy_cols else []  # a common reference level
    params = []
    for T, D, y in fits:
        Dm = D.reindex(columns=dummy_cols, fill_value=0.0).to_numpy(dtype=float)
        X = np.column_stack([np.ones(len(y)), T, Dm])
        coef = np.linalg.lstsq(X, y, rcond=None)[0]
        params.append((coef, X.mean(axis=0), y.mean(), T.sum(axis=0)))
    (cb, xb, mb, nb), (ca, xa, ma, na) = params
    k = len(themes)
    p_b, p_a, b_b, b_a = xb[1 : 1 + k], xa[1 : 1 + k], cb[1 : 1 + k], ca[1 : 1 + k]
    freq = (p_a - p_b) * b_b
    sev = p_a * (b_a - b_b)
    out = pd.DataFrame({
        "theme": themes, "n_before": nb.astype(int), "n_after": na.astype(int), "prevalence_before": p_b,
        "prevalence_after": p_a, "effect_before": b_b, "effect_after": b_a, "from_frequency": freq,
        "from_severity": sev, "contribution": freq + sev,
    })
    extra = [{"theme": "(baseline)", "contribution": ca[0] - cb[0]}]
    if dummy_cols:
        g_b, g_a, d_b, d_a = cb[1 + k :], ca[1 + k :], xb[1 + k :], xa[1 + k :]
        extra.append({"theme": "(covariates)", "contribution": float(g_b @ (d_a - d_b) + d_a @ (g_a - g_b))})
    out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)[list(CHANGE_COLUMNS)]
    out = out.astype({"n_before": "Int64", "n_after": "Int64"})
    out.attrs.update({
        "mean_before": float(mb), "mean_after": float(ma), "change": float(ma - mb),
        "n_before": len(fits[0][2]), "n_after": len(fits[1][2]), "before": before, "after": after,
        "period_col": period_col,
        "flagged": [t for t, x, z in zip(themes, nb, na) if min(x, z) < min_n],
    })
    return out


# ---------------------------------------------------------------------------
# Handling time
# ---------------------------------------------------------------------------


def handling_time(received, closed, *, limit_working_days: float = 2, holidays=()) -> pd.DataFrame:
    """Time to close each complaint and whether it broke the handling limit.

    Parameters
    ----------
    received, closed : array-like of datetimes (or strings pandas can parse)
        When the complaint was received and closed; missing or unparseable
        values give NaN results for that row.
    limit_working_days : float, default 2
        The limit, in working days (Monday–Friday, minus ``holidays``): a
        complaint received on a Friday at 10:00 with a 2-day limit must be
        closed by Tuesday 10:00.  Complaints received on a non-working day
        start counting on the next working day at the same time.
    holidays : sequence of dates, default ()
        Extra non-working days (e.g. Spring Festival).

    Returns
    -------
    pandas.DataFrame
        ``handling_days`` (calendar days, float) and ``closed_late`` (1.0 if
        closed after the limit, 0.0 if not, NaN when a time is missing or
        closing precedes receipt).
    """
    rec = pd.to_datetime(pd.Series(received), errors="coerce").reset_index(drop=True)
    clo = pd.to_datetime(pd.Series(closed), errors="coerce").reset_index(drop=True)
    days = (clo - rec).dt.total_seconds() / 86400.0
    ok = rec.notna() & clo.notna() & (days >= 0)
    whole = int(math.floor(limit_working_days))
    frac = float(limit_working_days) - whole
    deadline = pd.Series(pd.NaT, index=rec.index, dtype="datetime64[ns]")
    if ok.any():
        start = rec[ok].dt.normalize().to_numpy().astype("datetime64[D]")
        due_day = np.busday_offset(start, whole, roll="forward", holidays=list(holidays))
        due = pd.to_datetime(due_day) + (rec[ok] - rec[ok].dt.normalize()).to_numpy()
        deadline[ok] = due + pd.to_timedelta(frac, unit="D")
    late = np.where(ok, (clo > deadline).astype(float), np.nan)
    return pd.DataFrame({"handling_days": days.where(ok), "closed_late": late})
