"""The summary tables of a run, computed from the complaint table: ``themes.csv`` (counts, typical words,
examples and proposed new themes), ``drivers.csv`` and the segment and period comparisons, and the manifest's
``drivers`` block.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from minetools import drivers
from minetools.config import Settings
from minetools.labels import score_basis
from minetools.themes import discover_themes, top_terms


def themes_table(df, analysed, taxonomy, tokens, seed=0) -> pd.DataFrame:
    """themes.csv: each taxonomy theme's count, share, typical words and examples, "other", and the new themes
    proposed from the complaints that got none."""
    keys = list(taxonomy.keys)
    n_total = int(analysed.sum())
    assigned = df.loc[analysed, [f"theme_{k}" for k in keys]]
    assigned.columns = keys
    top = top_terms([tokens[i] for i in np.flatnonzero(analysed)], assigned, n=10)
    rows = []
    for key in keys:
        mask = analysed & (df[f"theme_{key}"] == 1)
        best = df.loc[mask].sort_values(f"score_{key}", ascending=False)["record_id"].head(5)
        theme = taxonomy.get(key)
        rows.append({"key": key, "label_zh": theme.label_zh, "label_en": theme.label_en,
                     "n": int(mask.sum()), "share": mask.sum() / n_total if n_total else 0.0,
                     "top_terms": " ".join(top.get(key, [])), "example_ids": "|".join(map(str, best))})
    other = analysed & (df[[f"theme_{k}" for k in keys]].sum(axis=1) == 0)
    rows.append({"key": "other", "label_zh": "其他", "label_en": "Other", "n": int(other.sum()),
                 "share": other.sum() / n_total if n_total else 0.0, "top_terms": "",
                 "example_ids": "|".join(map(str, df.loc[other, "record_id"].head(5))), "status": "other"})
    for row in rows[:-1]:
        row["status"] = "taxonomy"
    assigned_rows = analysed & ~other
    proposals = discover_themes([tokens[i] for i in np.flatnonzero(other)], df.loc[other, "record_id"].tolist(),
                                background=[tokens[i] for i in np.flatnonzero(assigned_rows)], random_state=seed)
    for p in proposals.to_dict("records"):
        rows.append({"key": p["key"], "label_zh": p["label_zh"], "label_en": p["label_en"], "n": p["n"],
                     "share": p["n"] / n_total if n_total else 0.0, "top_terms": p["top_terms"],
                     "example_ids": p["example_ids"], "status": "proposed"})
    return pd.DataFrame(rows)


def _driver_data(df, analysed, keys, settings: Settings, *, with_text: bool) -> pd.DataFrame:
    """The analysed rows, with only the columns the driver analyses read (not a copy of the whole table)."""
    wanted = ["score", "month", "handling_days", "closed_late", *[f"theme_{k}" for k in keys],
              *settings.covariates, *settings.segments, *(["text_clean"] if with_text else [])]
    return df.loc[analysed, [c for c in dict.fromkeys(wanted) if c in df.columns]]


def drivers_table(df, analysed, keys, settings: Settings, warnings: list) -> tuple[pd.DataFrame, dict]:
    """drivers.csv: on the survey score, or on the text-derived proxy when there is none."""
    from minetools import intensity

    scored = df.loc[analysed, "score"].notna().sum() > 0
    data = _driver_data(df, analysed, keys, settings, with_text=not scored)
    satisfied = settings.satisfied_threshold if scored else None
    basis, basis_zh = score_basis(df.attrs.get("score_scale"), satisfied, proxy=not scored)
    score_col = "score" if scored else "score_proxy"
    if not scored:
        data = data.assign(score_proxy=intensity.proxy_satisfaction(data["text_clean"].fillna("").tolist()))
        warnings.append("No satisfaction scores: drivers use the text-derived dissatisfaction proxy "
                        f"({intensity.PROXY_LABEL_EN}).")
    extra = []
    if "handling_days" in data.columns:
        have = data.loc[data[score_col].notna(), "handling_days"].notna().mean()
        if have >= 0.8:
            extra = ["handling_days", "closed_late"]
        else:
            warnings.append(f"Handling time known for only {have:.0%} of scored complaints: "
                            "left out of the driver model.")
    meta = {"score_basis": basis, "score_basis_zh": basis_zh, "extra_drivers": extra, "score_col": score_col}
    try:
        result = drivers.analyze_drivers(
            data, score_col=score_col, themes=keys, covariates=tuple(settings.covariates), n_boot=settings.n_boot,
            min_n=settings.min_n, random_state=settings.seed, extra_drivers=extra, satisfied_threshold=satisfied)
        result["score_basis"] = basis
        return result, {**result.attrs, **meta}
    except ValueError as exc:
        warnings.append(f"Driver analysis not computed: {exc}")
    n = len(data)
    rows = [{"theme": k, "n": int(data[f"theme_{k}"].sum()),
             "prevalence": data[f"theme_{k}"].mean() if n else np.nan} for k in keys]
    out = pd.DataFrame(rows).reindex(columns=list(drivers.RESULT_COLUMNS))
    out["score_basis"] = basis
    return out, {**meta, "n": 0, "method": None}


def comparisons(df, analysed, keys, settings: Settings, meta: dict, warnings: list) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """drivers_segments.csv (per branch/channel/customer type) and drivers_change.csv (recent vs earlier months)."""
    if not meta.get("n"):
        return None, None
    score_col = meta["score_col"]
    data = _driver_data(df, analysed, keys, settings, with_text=score_col == "score_proxy")
    if score_col == "score_proxy":
        from minetools import intensity

        data = data.assign(score_proxy=intensity.proxy_satisfaction(data["text_clean"].fillna("").tolist()))
        score_col = "score_proxy"
    satisfied = settings.satisfied_threshold if score_col == "score" else None
    parts = []
    for col in settings.segments:
        if col in data.columns and data[col].nunique() > 1:
            parts.append(drivers.compare_segments(data, by=col, score_col=score_col, themes=keys,
                                                  covariates=tuple(settings.covariates), min_n=settings.min_n,
                                                  satisfied_threshold=satisfied))
    segments = pd.concat(parts, ignore_index=True) if parts else None
    change = None
    months = sorted(data["month"].dropna().unique()) if "month" in data.columns else []
    k = settings.period_months
    if satisfied is None and meta.get("outcome") == "continuous" and len(months) >= 2 * k:
        before, after = months[-2 * k : -k], months[-k:]
        try:
            change = drivers.decompose_change(data, period_col="month", before=before, after=after,
                                              score_col=score_col, themes=keys, min_n=settings.min_n)
            change["before"] = f"{before[0]}..{before[-1]}"
            change["after"] = f"{after[0]}..{after[-1]}"
        except ValueError as exc:
            warnings.append(f"Period comparison not computed: {exc}")
    return segments, change


def _change_meta(change) -> dict | None:
    """What the waterfall needs from the period comparison and CSV does not keep (the two means)."""
    if change is None:
        return None
    return {k: change.attrs.get(k) for k in ("before", "after", "mean_before", "mean_after", "n_before", "n_after")}


def drivers_meta(meta: dict, change) -> dict:
    """The manifest's ``drivers`` block: the model's facts plus the period comparison's means."""
    block = {k: (v if not isinstance(v, (tuple, np.ndarray)) else list(v)) for k, v in meta.items()}
    block["change"] = _change_meta(change)
    return block
