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

import numpy as np
import pandas as pd

__all__ = [
    "analyze_drivers",
    "lmg",
    "relative_weights",
    "r_squared",
    "LMG_MAX_THEMES",
    "RESULT_COLUMNS",
]

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

# Relative tolerance below which a (residualised) variance is treated as zero.
_DEGENERATE_RTOL = 1e-10
# Upper bound on the number of float64 elements in one batched-solve chunk.
_CHUNK_ELEMENTS = 4_000_000


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
    else:
        # Hermitian pseudo-inverse: robust when a dummy level is absent from
        # a bootstrap resample (zero row/column in A).
        A_inv = np.linalg.pinv(A, hermitian=True)
    S = C - np.swapaxes(Bm, 1, 2) @ A_inv @ Bm
    S = 0.5 * (S + np.swapaxes(S, 1, 2))
    n = M[:, 0, 0]
    means_cp = M[:, 0, n_adjust:]
    with np.errstate(divide="ignore", invalid="ignore"):
        centered = np.diagonal(C, axis1=1, axis2=2) - np.where(
            n[:, None] > 0, means_cp**2 / n[:, None], 0.0
        )
    tss = centered[:, -1]
    return S, centered, tss


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


_SUBSET_CACHE: dict[int, tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]] = {}


def _subset_layout(p: int):
    """Bit-mask bookkeeping for all 2**p subsets of p predictors.

    Returns ``(popcount, groups)`` where ``groups`` is a list, per subset
    size k >= 1, of ``(masks, members)``; ``members[i]`` are the sorted
    predictor indices of subset ``masks[i]``.
    """
    if p in _SUBSET_CACHE:
        return _SUBSET_CACHE[p]
    masks = np.arange(1 << p, dtype=np.int64)
    bits = (masks[:, None] >> np.arange(p)) & 1
    popcount = bits.sum(axis=1)
    groups = []
    for k in range(1, p + 1):
        mk = masks[popcount == k]
        members = np.nonzero(bits[mk])[1].reshape(len(mk), k)
        groups.append((mk, members))
    _SUBSET_CACHE[p] = (popcount, groups)
    return popcount, groups


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
    """
    B, p = r.shape
    _, groups = _subset_layout(p)
    values = np.zeros((B, 1 << p))
    for mk, members in groups:
        k = members.shape[1]
        per_boot = len(mk) * k * k
        step = max(1, _CHUNK_ELEMENTS // max(per_boot, 1))
        for start in range(0, B, step):
            sl = slice(start, min(B, start + step))
            Rs = R[sl]
            A = Rs[:, members[:, :, None], members[:, None, :]]
            b = r[sl][:, members]
            values[sl, mk] = _batched_quadform(A, b)
    return values


def _shapley(values: np.ndarray, p: int) -> np.ndarray:
    """Exact Shapley decomposition of a set function given on all subsets.

    ``values`` has shape (B, 2**p); returns shape (B, p).
    """
    popcount, _ = _subset_layout(p)
    weights = np.array(
        [
            math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p)
            for s in range(p)
        ]
    )
    masks = np.arange(1 << p, dtype=np.int64)
    out = np.empty((values.shape[0], p))
    for j in range(p):
        bit = 1 << j
        without = masks[(masks & bit) == 0]
        w = weights[popcount[without]]
        out[:, j] = (values[:, without | bit] - values[:, without]) @ w
    return out


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
# analyze_drivers
# ---------------------------------------------------------------------------


def _covariate_dummies(frame: pd.DataFrame, covariates: Sequence[str]):
    """One-hot encode categorical covariates (first level dropped).

    Missing values form their own level ``"(missing)"``.  Levels observed on
    a single row are pooled into the first (reference) level: a dummy for a
    single row would give that row leverage 1 and make HC3 undefined.
    """
    blocks = []
    names: list[str] = []
    for col in covariates:
        s = frame[col]
        s = s.astype(object).where(s.notna(), "(missing)").astype(str)
        counts = s.value_counts()
        levels = sorted(counts.index)
        singletons = set(counts.index[counts < 2])
        keep = [lv for lv in levels if lv not in singletons]
        if not keep:
            continue
        reference = keep[0]
        s = s.where(~s.isin(singletons), reference)
        for lv in keep[1:]:
            blocks.append((s == lv).to_numpy(dtype=float))
            names.append(f"{col}[{lv}]")
    if blocks:
        return np.column_stack(blocks), names
    return np.empty((len(frame), 0)), names


def _indicator(frame: pd.DataFrame, col: str) -> np.ndarray:
    s = frame[col]
    if s.dtype == bool:
        return s.to_numpy(dtype=float)
    vals = pd.to_numeric(s, errors="coerce")
    bad = s.notna() & vals.isna()
    vals = vals.fillna(0.0).to_numpy(dtype=float)
    if bad.any() or not np.isin(vals, (0.0, 1.0)).all():
        raise ValueError(
            f"Theme column {col!r} must hold 0/1 (or boolean) indicators; "
            "found other values. Recode it to 1 = theme present, 0 = absent."
        )
    return vals


def _fit_effects(y: np.ndarray, X_design: np.ndarray, theme_pos: np.ndarray):
    """OLS with HC3 errors; returns coef, ci_low, ci_high, p for theme columns."""
    import statsmodels.api as sm

    k = len(theme_pos)
    nan = np.full(k, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = sm.OLS(y, X_design).fit(cov_type="HC3")
        params = np.asarray(fit.params)[theme_pos]
        ci = np.asarray(fit.conf_int(alpha=0.05))[theme_pos]
        pvals = np.asarray(fit.pvalues)[theme_pos]
    if k == 0:
        return nan, nan, nan, nan, float(fit.rsquared)
    return params, ci[:, 0], ci[:, 1], pvals, float(fit.rsquared)


def analyze_drivers(
    df: pd.DataFrame,
    *,
    score_col: str = "satisfaction",
    themes: Sequence[str],
    covariates: Sequence[str] = ("branch", "channel", "month"),
    n_boot: int = 200,
    min_n: int = 30,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Rank complaint themes by how much they lower satisfaction.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per complaint with a score column, 0/1 indicator columns
        ``theme_<key>`` (missing indicator = theme absent) and categorical
        covariate columns.
    score_col : str, default "satisfaction"
        Satisfaction score (e.g. a 1–5 survey).  Coerced to numeric; rows
        where it is missing (or non-numeric) are excluded from every statistic.
    themes : sequence of str
        Theme keys, keyword-only and required; the indicator column for key
        ``k`` is ``f"theme_{k}"``.
    covariates : sequence of str, default ("branch", "channel", "month")
        Categorical adjustment variables, one-hot encoded with the first
        (sorted) level dropped.  Columns absent from ``df`` are skipped; the
        ones used are recorded in ``result.attrs["covariates"]``.  Missing
        values form a ``"(missing)"`` level; levels seen on a single row are
        pooled into the reference level.
    n_boot : int, default 200
        Bootstrap resamples (rows drawn with replacement) for the importance
        confidence intervals; 0 disables them (NaN bounds).
    min_n : int, default 30
        Themes present on fewer rows are reported but flagged
        ``ranked=False`` and not ranked.
    random_state : int or None, default 0
        Seed for the bootstrap; the same seed gives identical results.

    Returns
    -------
    pandas.DataFrame
        One row per theme, in the order given, with columns:

        ``theme``
            Theme key.
        ``n``, ``prevalence``
            Rows with the theme, and ``n / N`` (N = rows with a score).
        ``mean_with``, ``mean_without``
            Mean score of rows with / without the theme.
        ``impact``
            ``mean(all) - mean(without) = prevalence * (mean_with -
            mean_without)``: the theme's contribution to the overall mean
            score.  **Sign convention: negative impact = the theme lowers
            satisfaction**; if the theme vanished and its complaints scored
            like the rest, the overall mean would change by ``-impact``.
        ``effect``, ``effect_ci_low``, ``effect_ci_high``
            OLS coefficient of the theme in ``score ~ all themes + covariate
            dummies`` (change in score when the theme is present, holding
            the other themes and covariates fixed), with an HC3-robust 95%
            confidence interval.  Negative = damaging.
        ``importance``, ``importance_ci_low``, ``importance_ci_high``
            The theme's share of R², i.e. of ``R²(covariates + themes) -
            R²(covariates)``, by exact LMG (<= 15 estimable themes) or
            Johnson's relative weights (more than 15), signed by the sign of
            ``effect``; bootstrap percentile 95% interval (each resample's
            share is signed by that resample's coefficient).
        ``significant``
            ``p_value < 0.05``.
        ``p_value``
            HC3 two-sided p-value of the effect.
        ``ranked``
            False when ``n < min_n`` or the theme cannot be estimated.
        ``rank``
            1 = most damaging (most negative effect) among ranked themes;
            NaN for unranked themes.

        Themes with no variation (present on fewer than 2 rows or absent
        from fewer than 2 rows) get NaN effect/importance, ``ranked=False``.

        ``result.attrs`` holds ``r2`` (full model), ``r2_covariates``
        (covariates only), ``n`` (rows used), ``method`` (``"lmg"`` or
        ``"relative_weights"``), ``n_boot``, ``covariates`` (used),
        ``score_col`` and ``min_n``.

    Raises
    ------
    ValueError
        If the score column or a theme column is missing, an indicator is
        not 0/1, or there are fewer usable rows than model parameters + 10.
    """
    if isinstance(themes, str):
        themes = [themes]
    themes = list(themes)
    if not themes:
        raise ValueError("`themes` is empty; pass the theme keys to analyse.")
    if len(set(themes)) != len(themes):
        dup = sorted({t for t in themes if themes.count(t) > 1})
        raise ValueError(f"Duplicate theme keys {dup}; pass each theme once.")
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
    if n_boot < 0:
        raise ValueError(f"n_boot must be >= 0, got {n_boot}.")

    score = pd.to_numeric(df[score_col], errors="coerce")
    keep = score.notna().to_numpy() & np.isfinite(score.to_numpy(dtype=float, na_value=np.nan))
    frame = df.loc[keep]
    y = score[keep].to_numpy(dtype=float)
    N = len(y)

    if isinstance(covariates, str):
        covariates = [covariates]
    used_cov = [c for c in covariates if c in df.columns and c != score_col]
    D, dummy_names = _covariate_dummies(frame, used_cov)
    T = np.column_stack([_indicator(frame, f"theme_{t}") for t in themes]) if N else np.empty((0, len(themes)))

    n_params = 1 + len(themes) + D.shape[1]
    if N < n_params + 10:
        raise ValueError(
            f"Only {N} rows have a usable {score_col!r} score, but the model has "
            f"{n_params} parameters (intercept, {len(themes)} themes, "
            f"{D.shape[1]} covariate dummies); need at least {n_params + 10}. "
            "Use more data, fewer themes or fewer covariates."
        )

    # --- descriptive statistics -------------------------------------------
    counts = T.sum(axis=0)
    mean_all = y.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        sum_with = y @ T
        mean_with = np.where(counts > 0, sum_with / np.where(counts > 0, counts, 1), np.nan)
        n_without = N - counts
        mean_without = np.where(
            n_without > 0, (y.sum() - sum_with) / np.where(n_without > 0, n_without, 1), np.nan
        )
    impact = mean_all - mean_without

    estimable = (counts >= 2) & (n_without >= 2)
    est_idx = np.flatnonzero(estimable)
    p = len(est_idx)
    method = "lmg" if p <= LMG_MAX_THEMES else "relative_weights"

    effect = np.full(len(themes), np.nan)
    ci_lo = effect.copy()
    ci_hi = effect.copy()
    pval = effect.copy()
    importance = effect.copy()
    imp_lo = effect.copy()
    imp_hi = effect.copy()

    # --- adjusted effects (statsmodels OLS, HC3) --------------------------
    design = np.column_stack([np.ones(N), T[:, est_idx], D])
    eff, lo, hi, pv, r2_full = _fit_effects(y, design, np.arange(1, 1 + p))
    effect[est_idx], ci_lo[est_idx], ci_hi[est_idx], pval[est_idx] = eff, lo, hi, pv

    # --- importance from cross-products -----------------------------------
    Zc = np.column_stack([D, T[:, est_idx], y])
    Zc = Zc - Zc.mean(axis=0)
    Z = np.column_stack([np.ones(N), Zc])
    n_adjust = 1 + D.shape[1]

    def decompose(M: np.ndarray):
        S, centered, tss = _partial_moments(M, n_adjust)
        R, r, scale, _ = _standardise(S, centered)
        safe_tss = np.where(tss > 0, tss, 1.0)
        factor = np.where(tss > 0, scale / safe_tss, 0.0)
        if p == 0:
            shares = np.zeros((M.shape[0], 0))
            sign = shares
        else:
            if method == "lmg":
                shares = _lmg_from_corr(R, r)
            else:
                shares = _relweights_from_corr(R, r)
            shares = shares * factor[:, None]
            sign = np.sign(_full_beta_from_corr(R, r))
        r2_cov = np.where(tss > 0, 1.0 - scale / safe_tss, 0.0)
        return shares, sign, r2_cov

    shares, sign, r2_cov = decompose((Z.T @ Z)[None])
    r2_covariates = float(r2_cov[0])
    importance[est_idx] = np.sign(effect[est_idx]) * shares[0]

    if n_boot > 0 and p > 0:
        rng = np.random.default_rng(random_state)
        boot = np.empty((n_boot, p))
        chunk = max(1, min(n_boot, 50))
        for start in range(0, n_boot, chunk):
            b = min(chunk, n_boot - start)
            idx = rng.integers(0, N, size=(b, N))
            M = np.empty((b, Z.shape[1], Z.shape[1]))
            for i in range(b):
                w = np.bincount(idx[i], minlength=N).astype(float)
                M[i] = Z.T @ (Z * w[:, None])
            s_b, sign_b, _ = decompose(M)
            boot[start : start + b] = s_b * sign_b
        imp_lo[est_idx] = np.percentile(boot, 2.5, axis=0)
        imp_hi[est_idx] = np.percentile(boot, 97.5, axis=0)

    ranked = estimable & (counts >= min_n) & np.isfinite(effect)
    out = pd.DataFrame(
        {
            "theme": themes,
            "n": counts.astype(int),
            "prevalence": counts / N,
            "mean_with": mean_with,
            "mean_without": mean_without,
            "impact": impact,
            "effect": effect,
            "effect_ci_low": ci_lo,
            "effect_ci_high": ci_hi,
            "importance": importance,
            "importance_ci_low": imp_lo,
            "importance_ci_high": imp_hi,
            "significant": np.where(np.isfinite(pval), pval < 0.05, False).astype(bool),
            "p_value": pval,
            "ranked": ranked,
        }
    )
    rank = pd.Series(np.where(ranked, effect, np.nan)).rank(method="first", ascending=True)
    out["rank"] = rank.to_numpy()
    out.attrs.update(
        {
            "r2": r2_full,
            "r2_covariates": r2_covariates,
            "n": N,
            "method": method,
            "n_boot": int(n_boot),
            "covariates": list(used_cov),
            "covariate_dummies": dummy_names,
            "score_col": score_col,
            "min_n": int(min_n),
        }
    )
    return out
