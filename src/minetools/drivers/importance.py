"""Importance of correlated drivers: R², exact LMG (Shapley) shares and Johnson's relative weights.

All R² computations start from one cross-product matrix of the design ``[intercept, covariate dummies,
predictors, y]``.  Covariates are partialled out with a Schur complement (Frisch–Waugh–Lovell), which leaves the
covariance of the residualised predictors and response.  The R² increment of any subset *S* of predictors over the
covariates is then the quadratic form ``r_S' R_SS^{-1} r_S`` on the residual correlation matrix, so all ``2^p``
subsets are evaluated with batched small linear solves, for a stack of matrices at once (the bootstrap passes one
matrix per replicate).

Public: :func:`r_squared`, :func:`lmg` and :func:`relative_weights` on any numeric predictor table, and
:func:`decompose` on stacks of cross-product matrices (used by the driver analysis and its bootstrap).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

#: Largest number of predictors accepted by the public :func:`lmg`
#: (2**p subsets are enumerated).
_LMG_HARD_LIMIT = 20


# Partial variance (on the correlation scale) below which a predictor is treated as a
# linear combination of those already in the subset.
_SWEEP_PIVOT_TOL = 1e-13
# Relative tolerance below which a (residualised) variance is treated as zero.
_DEGENERATE_RTOL = 1e-10


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


def shapley(values: np.ndarray, p: int) -> np.ndarray:
    """Exact Shapley decomposition of a set function given on all subsets.

    ``values`` has shape (B, 2**p); returns shape (B, p).
    """
    return values @ _shapley_matrix(p)


def _lmg_from_corr(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    return shapley(_all_subset_r2(R, r), r.shape[1])


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


def decompose(M: np.ndarray, n_adjust: int, p: int, use_lmg: bool):
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

