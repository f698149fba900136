"""How a fitted theme model decides: out-of-fold splits, calibration curves and per-theme thresholds.

``ThemeModel.fit`` computes out-of-fold probabilities on the folds from :func:`folds`, then
:func:`choose_thresholds` turns them into each theme's threshold, its out-of-fold F1 and (with
``calibrate``) an isotonic calibration curve stored on :data:`CALIBRATION_GRID`.
"""

from __future__ import annotations

import numpy as np

#: probabilities at which a calibration curve is stored (the curve is linear in between)
CALIBRATION_GRID = np.linspace(0.0, 1.0, 101)


def isotonic_curve(prob: np.ndarray, target: np.ndarray) -> np.ndarray:
    """An isotonic (non-decreasing) map from probability to observed frequency, on CALIBRATION_GRID."""
    from sklearn.isotonic import IsotonicRegression

    if target.sum() == 0 or target.sum() == len(target):
        return CALIBRATION_GRID.copy()
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(prob, target)
    return iso.predict(CALIBRATION_GRID)


def calibrated(P: np.ndarray, calibration: np.ndarray) -> np.ndarray:
    """Each column of ``P`` mapped through its theme's calibration curve."""
    if not len(P):
        return P
    return np.vstack([np.interp(P[:, k], CALIBRATION_GRID, calibration[k]) for k in range(P.shape[1])]).T


def f1(pred: np.ndarray, target: np.ndarray) -> float:
    """F1 of 0/1 (or boolean) predictions against 0/1 targets."""
    pred, target = np.asarray(pred, dtype=bool), np.asarray(target, dtype=bool)
    tp = np.sum(pred & target)
    return float(2 * tp / (pred.sum() + target.sum())) if tp else 0.0


def folds(n: int, groups, n_folds: int, random_state) -> list:
    """Train/test splits for out-of-fold probabilities: whole groups left out, else shuffled K-fold."""
    from sklearn.model_selection import GroupKFold, KFold

    if groups is not None:
        groups = np.asarray(groups)
        k = min(n_folds, len(np.unique(groups)))
        return list(GroupKFold(n_splits=k).split(np.arange(n), groups=groups)) if k >= 2 else []
    k = min(n_folds, n)
    if k < 2 or n < 10:
        return []
    return list(KFold(n_splits=k, shuffle=True, random_state=random_state).split(np.arange(n)))


def best_threshold(prob: np.ndarray, target: np.ndarray, forced: np.ndarray | None = None) -> tuple[float, float]:
    """Threshold on ``prob`` maximising F1 of (forced | prob >= t) against target."""
    best_t, best_f1 = 0.5, -1.0
    for t in np.round(np.arange(0.05, 0.951, 0.01), 2):
        pred = prob >= t
        if forced is not None:
            pred = pred | forced
        score = f1(pred, target)
        # ties: prefer the highest threshold (conservative: the classifier
        # should only add themes the rules missed when it is confident)
        if score >= best_f1 - 1e-12:
            best_t, best_f1 = float(t), score
    return best_t, best_f1


def choose_thresholds(oof: np.ndarray, Y: np.ndarray, forced: np.ndarray | None, *, calibrate: bool,
                      decision: str, min_positive: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(thresholds, cv_f1, calibration)`` from out-of-fold probabilities ``oof`` and 0/1 labels ``Y``.

    ``forced`` (or None): rule hits that assign a theme whatever the score (the rule floor).
    ``calibrate``: learn an isotonic curve per theme; thresholds are then on the calibrated scale.
    ``decision``: "f1" — the threshold with the best out-of-fold F1; "balanced" — where the
    class-balanced classifier gives 0.5 (on the calibrated scale when calibrating). Themes with fewer
    than ``min_positive`` positives keep 0.5 and no F1.
    """
    K = Y.shape[1]
    thresholds, cv_f1 = np.full(K, 0.5), np.full(K, np.nan)
    calibration = np.vstack([isotonic_curve(oof[:, k], Y[:, k]) for k in range(K)]) if calibrate else None
    if calibration is not None:
        oof = calibrated(oof, calibration)
    for k in range(K):
        if Y[:, k].sum() < min_positive:
            continue
        if decision == "balanced":
            thresholds[k] = float(np.interp(0.5, CALIBRATION_GRID, calibration[k])) if calibration is not None else 0.5
            cv_f1[k] = f1(oof[:, k] >= thresholds[k], Y[:, k])
        else:
            thresholds[k], cv_f1[k] = best_threshold(oof[:, k], Y[:, k], None if forced is None else forced[:, k])
    return thresholds, cv_f1, calibration
