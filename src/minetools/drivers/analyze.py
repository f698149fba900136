"""``analyze_drivers``: rank complaint themes by how much they lower satisfaction (descriptive impact,
adjusted effect with HC3 or logistic intervals, LMG / relative-weight importance with bootstrap intervals).

The steps: check the inputs, code the rows (:func:`_design`), describe each driver, group identical rows into
patterns, fit (:func:`_continuous_fit` or :func:`_binary_fit`) and assemble the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from minetools.drivers.bootstrap import bootstrap_importance
from minetools.drivers.importance import decompose
from minetools.drivers.logistic import logistic_drivers
from minetools.drivers.patterns import (Z975, MomentPlan, covariate_codes, dummy_matrix, group_rows, indicator,
                                        row_keys)

#: Chinese labels of the non-theme drivers a run adds (charts and report).
DRIVER_LABELS_ZH = {"closed_late": "办结超时", "handling_days": "办理时长（每天）"}
#: English labels of the same drivers (``lang="en"`` charts and report).
DRIVER_LABELS_EN = {"closed_late": "Closed late", "handling_days": "Handling time (per day)"}

#: Largest number of themes for which :func:`analyze_drivers` uses exact LMG;
#: beyond it Johnson's relative weights are used.
LMG_MAX_THEMES = 15

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
    # a pattern with leverage 1 (the only one of its kind) has no leave-one-out residual: HC3 is undefined and
    # the standard errors come out NaN (said in the tables as a missing interval), without a warning to the user
    with np.errstate(divide="ignore", invalid="ignore"):
        u2 = resid**2 / (1.0 - lev) ** 2
        meat = X.T @ (X * (w * u2)[:, None])
        cov = bread @ meat @ bread
    se = np.sqrt(np.clip(np.diagonal(cov), 0.0, None))
    ybar = (w @ y) / w.sum()
    tss = w @ (y - ybar) ** 2
    r2 = 1.0 - (w @ resid**2) / tss if tss > 0 else 0.0
    return coef, se, float(r2)


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


@dataclass
class _Design:
    """The rows an analysis uses: score ``y`` (0/1 when binary), covariate codes ``C`` with level ``sizes``,
    driver matrix ``X`` (themes, then extra drivers) and what each driver is."""

    names: list
    y: np.ndarray
    C: np.ndarray
    sizes: list
    dummy_names: list
    X: np.ndarray
    kinds: list
    is_numeric: np.ndarray
    used_cov: list
    binary: bool


def _design(df, *, score_col, themes, extra_drivers, covariates, outcome, satisfied_threshold) -> _Design:
    """Rows with a usable score and extra drivers, coded for the model; raises when too few remain."""
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
    codes, sizes, dummy_names = covariate_codes(df, used_cov, keep)
    C = np.column_stack(codes) if codes else np.zeros((N, 0), dtype=np.int64)
    X = np.empty((N, len(names)))
    for j, t in enumerate(themes):
        X[:, j] = indicator(df, f"theme_{t}", keep)
    for i, values in enumerate(extras):
        X[:, len(themes) + i] = values[keep]
    kinds = ["theme"] * len(themes) + [
        "indicator" if N and np.isin(X[:, len(themes) + i], (0.0, 1.0)).all() else "numeric"
        for i in range(len(extra_drivers))
    ]
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
        y = _binary_score(y, score_col, satisfied_threshold)
    return _Design(names, y, C, list(sizes), dummy_names, X, kinds, np.array([k == "numeric" for k in kinds]),
                   used_cov, binary)


def _binary_score(y: np.ndarray, score_col: str, satisfied_threshold) -> np.ndarray:
    """1.0 = satisfied: at or above the threshold, or the higher of exactly two values."""
    if satisfied_threshold is not None:
        return (y >= satisfied_threshold).astype(float)
    values = np.unique(y)
    if len(values) != 2:
        raise ValueError(
            f"outcome='binary' needs a score with two values (or satisfied_threshold=); "
            f"{score_col!r} has {len(values)} distinct values."
        )
    return (y == values[1]).astype(float)


def _descriptives(d: _Design) -> dict:
    """Count, prevalence, mean with/without and impact of every driver (NaN for numeric drivers)."""
    X, y, N, is_numeric = d.X, d.y, len(d.y), d.is_numeric
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
    varying = np.array([np.ptp(X[:, j]) > 0 if N else False for j in range(len(d.names))])
    estimable = np.where(is_numeric, varying, (counts >= 2) & (n_without >= 2))
    return {"counts": counts, "prevalence": prevalence, "mean_with": mean_with, "mean_without": mean_without,
            "impact": impact, "estimable": estimable}


def _binary_fit(d: _Design, est_idx, pC, pX, py, w, result: dict, *, importance: bool):
    """Logistic model on binomial patterns (covariate levels and drivers, satisfied / total counts)."""
    p = len(est_idx)
    inv, bfirst, trials = group_rows(row_keys(pC, d.sizes, pX, ~d.is_numeric[est_idx], np.zeros(len(py))), len(py))
    succ = np.bincount(inv, weights=w * py, minlength=len(bfirst))
    trials = np.bincount(inv, weights=w, minlength=len(bfirst))
    bC, bX = pC[bfirst], pX[bfirst]
    Z = np.column_stack([np.ones(len(bfirst)), dummy_matrix(bC, d.sizes), bX])
    fit = logistic_drivers(MomentPlan(bC, d.sizes, bX), Z, succ, trials, p, n_adjust=1 + len(d.dummy_names),
                           dominance=importance)
    extra_cols = {k: np.full(len(d.names), np.nan) for k in ("odds_ratio", "odds_ratio_ci_low", "odds_ratio_ci_high")}
    for key, values in fit["per_driver"].items():
        (result if key in result else extra_cols)[key][est_idx] = values
    return extra_cols, fit["r2"], fit["r2_covariates"], "dominance_mcfadden", None


def _continuous_fit(d: _Design, est_idx, pC, pX, py, w, cnt, result: dict, *, use_lmg, n_boot, random_state,
                    importance: bool):
    """OLS with HC3 intervals, LMG or relative-weight shares and their Poisson-bootstrap intervals."""
    p = len(est_idx)
    design = np.column_stack([np.ones(len(py)), pX, dummy_matrix(pC, d.sizes)])
    coef, se, r2_full = _ols_hc3(design, py, w)
    b, s = coef[1 : 1 + p], se[1 : 1 + p]
    with np.errstate(divide="ignore", invalid="ignore"):
        pv = 2.0 * ndtr(-np.abs(b / s))
    result["effect"][est_idx] = b
    result["effect_ci_low"][est_idx] = b - Z975 * s
    result["effect_ci_high"][est_idx] = b + Z975 * s
    result["p_value"][est_idx] = pv
    if not importance:
        return {}, r2_full, float("nan"), ("lmg" if use_lmg else "relative_weights"), None
    V = np.column_stack([pX, py])
    plan = MomentPlan(pC, d.sizes, V)
    shift = (w @ V) / w.sum()
    shares, _, r2_cov = decompose(plan.moments(w[:, None], shift), plan.a, p, use_lmg)
    result["importance"][est_idx] = np.sign(b) * shares[0]
    if n_boot > 0 and p > 0:
        boot, mc_error = bootstrap_importance(plan, cnt, shift, p, use_lmg, n_boot, random_state)
        result["importance_ci_low"][est_idx] = np.percentile(boot, 2.5, axis=0)
        result["importance_ci_high"][est_idx] = np.percentile(boot, 97.5, axis=0)
        result["boot"] = {"n_boot_used": len(boot), "bootstrap_mc_error": mc_error}
    return {}, r2_full, float(r2_cov[0]), ("lmg" if use_lmg else "relative_weights"), \
        ("poisson" if n_boot > 0 else None)


def _result_frame(d: _Design, desc: dict, result: dict, extra_cols: dict, min_n: int) -> pd.DataFrame:
    ranked = desc["estimable"] & ~d.is_numeric & (desc["counts"] >= min_n) & np.isfinite(result["effect"])
    out = pd.DataFrame(
        {
            "theme": d.names,
            "n": desc["counts"].astype(int),
            **{k: desc[k] for k in ("prevalence", "mean_with", "mean_without", "impact")},
            **{k: result[k] for k in ("effect", "effect_ci_low", "effect_ci_high", "importance",
                                      "importance_ci_low", "importance_ci_high")},
            "significant": np.where(np.isfinite(result["p_value"]), result["p_value"] < 0.05, False).astype(bool),
            "p_value": result["p_value"],
            "ranked": ranked,
        }
    )
    rank = pd.Series(np.where(ranked, out["effect"], np.nan)).rank(method="first", ascending=True)
    out["rank"] = rank.to_numpy()
    out["driver_type"] = d.kinds
    for key, values in extra_cols.items():
        out[key] = values
    return out


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
    importance: bool = True,
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
        Most bootstrap replicates for the importance intervals; 0 disables them
        (NaN bounds).  Replicates use the Poisson bootstrap (every complaint
        gets an independent Poisson(1) weight), drawn per distinct row
        pattern, so a million complaints cost little more than a thousand.
        Drawing stops before ``n_boot`` (after at least 400) once the
        Monte-Carlo standard error of every interval end is at most
        :data:`minetools.drivers.bootstrap.MC_TOLERANCE` (0.005);
        ``attrs["n_boot_used"]`` and ``attrs["bootstrap_mc_error"]`` say how
        many were drawn and how precise the ends are.
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
    importance : bool, default True
        Compute the importance shares (and their bootstrap); False leaves them NaN
        (and ``r2_covariates``), which saves the ``2^p`` subset fits of a binary
        outcome where only effects are wanted (:func:`compare_segments`).

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
        ``n_boot``, ``n_boot_used``, ``bootstrap_mc_error``, ``bootstrap``, ``covariates`` (used),
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
    d = _design(df, score_col=score_col, themes=themes, extra_drivers=extra_drivers, covariates=covariates,
                outcome=outcome, satisfied_threshold=satisfied_threshold)
    desc = _descriptives(d)
    est_idx = np.flatnonzero(desc["estimable"])
    p = len(est_idx)
    use_lmg = method == "lmg" and p <= LMG_MAX_THEMES

    # distinct row patterns, rare ones first (see poisson_weights)
    Xe = d.X[:, est_idx]
    _, first, cnt = group_rows(row_keys(d.C, d.sizes, Xe, ~d.is_numeric[est_idx], d.y), len(d.y))
    order = np.argsort(cnt, kind="stable")
    first, cnt = first[order], cnt[order]
    pC, pX, py, w = d.C[first], Xe[first], d.y[first], cnt.astype(float)

    result = {k: np.full(len(d.names), np.nan) for k in ("effect", "effect_ci_low", "effect_ci_high", "p_value",
                                                          "importance", "importance_ci_low", "importance_ci_high")}
    if d.binary:
        extra_cols, r2_full, r2_covariates, method_used, boot_kind = _binary_fit(d, est_idx, pC, pX, py, w, result,
                                                                                 importance=importance)
    else:
        extra_cols, r2_full, r2_covariates, method_used, boot_kind = _continuous_fit(
            d, est_idx, pC, pX, py, w, cnt, result, use_lmg=use_lmg, n_boot=n_boot if importance else 0,
            random_state=random_state, importance=importance)
    boot = result.pop("boot", {"n_boot_used": 0, "bootstrap_mc_error": None})
    out = _result_frame(d, desc, result, extra_cols, min_n)
    out.attrs.update(boot)
    out.attrs.update(
        {
            "r2": float(r2_full),
            "r2_covariates": float(r2_covariates),
            "n": len(d.y),
            "method": method_used,
            "method_requested": method,
            "n_boot": int(n_boot),
            "bootstrap": boot_kind,
            "covariates": list(d.used_cov),
            "covariate_dummies": d.dummy_names,
            "score_col": score_col,
            "min_n": int(min_n),
            "outcome": "binary" if d.binary else "continuous",
            "satisfied_threshold": satisfied_threshold,
            "patterns": int(len(py)),
        }
    )
    return out
