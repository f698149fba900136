"""Binary satisfaction: logistic regression on binomial patterns, average marginal effects and general
dominance on McFadden's pseudo-R², all subset models fitted at once by Newton–Raphson.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, ndtr

from minetools.drivers.bootstrap import BOOT_CHUNK_ELEMENTS
from minetools.drivers.importance import shapley
from minetools.drivers.patterns import Z975, MomentPlan

_LOGIT_MAX_ITER = 50
_LOGIT_TOL = 1e-11  # Newton decrement per complaint at which a fit has converged
_LOGIT_MAX_STEP = 5.0


def _loglik(succ: np.ndarray, trials: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Binomial log-likelihood (without the constant) per column of ``eta`` (K, S)."""
    return succ @ eta - trials @ np.logaddexp(0.0, eta)


def _logit_fits(plan: MomentPlan, Z: np.ndarray, succ: np.ndarray, trials: np.ndarray, masks: np.ndarray,
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


def logistic_drivers(plan, Z, succ, trials, p, n_adjust, *, dominance: bool = True):
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
        or_lo, or_hi = np.exp(b - Z975 * se), np.exp(b + Z975 * se)

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

    if not dominance:  # the 2**p subset fits are the expensive part: skipped where nobody reads them
        shares = np.full(p, np.nan)
        return _fit_result(ame, ame_se, pval, b, shares, odds, or_lo, or_hi, ll_full, ll0, np.full(1, np.nan))
    # General dominance on McFadden's pseudo-R², covariates always in the model.
    subsets = np.arange(1 << p)
    masks = np.ones((len(subsets), m), dtype=bool)
    masks[:, drivers] = ((subsets[:, None] >> np.arange(p)) & 1).astype(bool)
    chunk = max(1, int(BOOT_CHUNK_ELEMENTS // max(len(succ), 1)))
    ll_sub = np.concatenate([
        _logit_fits(plan, Z, succ, trials, masks[s : s + chunk], start=beta)[1]
        for s in range(0, len(masks), chunk)
    ])
    r2_sub = 1.0 - ll_sub / ll0 if ll0 < 0 else np.zeros(len(ll_sub))
    shares = shapley((r2_sub - r2_sub[0])[None, :], p)[0] if p else np.zeros(0)
    return _fit_result(ame, ame_se, pval, b, shares, odds, or_lo, or_hi, ll_full, ll0, r2_sub)


def _fit_result(ame, ame_se, pval, b, shares, odds, or_lo, or_hi, ll_full, ll0, r2_sub) -> dict:
    return {
        "per_driver": {
            "effect": 100.0 * ame,
            "effect_ci_low": 100.0 * (ame - Z975 * ame_se),
            "effect_ci_high": 100.0 * (ame + Z975 * ame_se),
            "p_value": pval,
            "importance": np.sign(b) * shares,
            "odds_ratio": odds,
            "odds_ratio_ci_low": or_lo,
            "odds_ratio_ci_high": or_hi,
        },
        "r2": float(1.0 - ll_full[0] / ll0) if ll0 < 0 else 0.0,
        "r2_covariates": float(r2_sub[0]),
    }
