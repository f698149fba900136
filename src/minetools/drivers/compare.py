"""The driver analysis within segments, the change between two periods split into per-theme parts, and
handling time against a working-day limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from minetools.drivers.analyze import analyze_drivers
from minetools.drivers.patterns import indicator

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
                                  min_n=min_n, satisfied_threshold=satisfied_threshold, importance=False)
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
        T = np.column_stack([indicator(part, f"theme_{t}", np.ones(len(part), dtype=bool)) for t in themes])
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
