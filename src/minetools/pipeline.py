"""``run()``: the one place where the order of stages lives; writes the run directory.

read → clean (mask, normalise, status, duplicates) → segment → themes → drivers →
figures → report. Every input row stays in ``complaints.parquet``, in input order,
with a ``status`` and a ``status_reason``; statistics count each complaint once
(rows with status ``ok`` or ``truncated``).
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from minetools import clean, drivers, io, plots, report
from minetools.config import MinetoolsError, Settings
from minetools.segment import Segmenter, keywords
from minetools.taxonomy import load_taxonomy
from minetools.themes import (ThemeModel, audit_sample, discover_themes, evaluate_assignments, labels_frame,
                              top_terms)

__all__ = ["run", "evaluate", "write_audit", "write_drivers", "draw_figures", "figures_dir", "RunResult", "prepare", "assign_themes", "load_model", "STATUSES", "ANALYSED"]

STATUSES = ("ok", "duplicate", "empty", "invalid", "truncated")
#: statuses whose rows enter counts and statistics (each complaint once)
ANALYSED = ("ok", "truncated")
#: statuses whose rows get tokens and themes
ASSIGNED = ("ok", "truncated", "duplicate")

@dataclass
class RunResult:
    """What a run produced; the same tables are in ``out_dir``."""

    out_dir: Path
    complaints: pd.DataFrame
    themes: pd.DataFrame
    drivers: pd.DataFrame
    manifest: dict
    model: ThemeModel = field(repr=False, default=None)
    segments: pd.DataFrame | None = field(repr=False, default=None)
    change: pd.DataFrame | None = field(repr=False, default=None)


class _Stages:
    """Prints one line per stage with its duration (to stderr), and keeps the timings."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.i, self.timings = total, enabled, 0, {}

    def __call__(self, name: str, detail: str = ""):
        stages = self

        class _Stage:
            def __enter__(self):
                stages.i += 1
                self.t0 = time.perf_counter()
                if stages.enabled:
                    print(f"[{stages.i}/{stages.total}] {name}{' ' + detail if detail else ''} …",
                          end="", file=sys.stderr, flush=True)

            def __exit__(self, exc_type, *_):
                dt = time.perf_counter() - self.t0
                stages.timings[name] = round(dt, 3)
                if stages.enabled:
                    print(" failed" if exc_type else f" {dt:.1f} s", file=sys.stderr, flush=True)

        return _Stage()


def prepare(raw: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, dict, dict]:
    """Mask personal data, clean text, parse scores and dates, and give every row a status.

    Returns the frame (original columns first, PII masked in every text column unless
    ``settings.keep_raw_text``), the PII counts per type, and a summary of parsing
    (satisfaction scale, missing and unparseable scores and dates).
    """
    columns = raw.attrs["minetools"]["columns"]
    text_col = columns["text"]
    df = raw.reset_index(drop=True).copy()
    df.attrs = {}
    pii_total: dict[str, int] = {}
    masked_text = None
    for col in df.columns:
        if not (df[col].dtype == object or pd.api.types.is_string_dtype(df[col])):
            continue
        masked, counts = clean.count_pii(df[col].astype("string").fillna("").tolist())
        for k, v in counts.items():
            pii_total[k] = pii_total.get(k, 0) + v
        if col == text_col:
            masked_text = masked
        if not settings.keep_raw_text or col != text_col:
            df[col] = pd.Series(masked, index=df.index, dtype="string").where(df[col].notna())

    text_clean = []
    for t in masked_text:
        for step in clean.CLEANERS:
            t = step(t)
        text_clean.append(t)
    df["record_id"] = np.arange(1, len(df) + 1)
    df["text_clean"] = pd.Series(text_clean, dtype="string")

    status = [clean.classify_text(t, max_chars=settings.max_chars) for t in text_clean]
    df["status"] = pd.Series([s for s, _ in status], dtype="string")
    df["status_reason"] = pd.Series([r for _, r in status], dtype="string")
    eligible = df["status"].isin(ANALYSED)
    first = clean.mark_duplicates(df["text_clean"], eligible, threshold=settings.dup_threshold)
    dup = first.notna()
    df["duplicate_of"] = pd.array([pd.NA] * len(df), dtype="Int64")
    df.loc[dup, "duplicate_of"] = df.loc[first[dup].astype(int), "record_id"].to_numpy()
    df.loc[dup, "status"] = "duplicate"
    exact = [clean._dedup_key(a) == clean._dedup_key(b)
             for a, b in zip(df.loc[dup, "text_clean"], df.loc[first[dup].astype(int), "text_clean"])]
    df.loc[dup, "status_reason"] = [
        f"{'same text as' if same else 'near-duplicate of'} record {rid}"
        for same, rid in zip(exact, df.loc[dup, "duplicate_of"])]

    canon = io.canonical_frame(raw.reset_index(drop=True), scale=settings.score_scale)
    df["score"] = canon["score"]
    df["score_issue"] = canon["score_issue"].astype("string")
    df["date_issue"] = canon["date_issue"].astype("string")
    df["month"] = canon["date"].dt.strftime("%Y-%m").astype("string")
    for role in ("branch", "channel", "customer_type"):
        if role in columns and columns[role] != role and role not in df.columns:
            df[role] = canon[role]
    received, closed = _timestamp_columns(raw, settings)
    if received and closed:
        timing = drivers.handling_time(raw[received].reset_index(drop=True), raw[closed].reset_index(drop=True),
                                       limit_working_days=settings.handling_limit_days)
        df["handling_days"] = timing["handling_days"].round(1)
        df["closed_late"] = timing["closed_late"]
    df.attrs["score_scale"] = canon.attrs["score_scale"]
    parsing = {
        "score_scale": canon.attrs["score_scale"],
        "score_missing": int(canon["score"].isna().sum()),
        "score_issues": int(canon["score_issue"].notna().sum()),
        "date_missing": int(canon["date"].isna().sum()) if "date" in columns else None,
        "date_issues": int(canon["date_issue"].notna().sum()),
    }
    return df, pii_total, parsing


#: Headers recognised as the time a complaint was received / closed (lower-cased).
RECEIVED_NAMES = ("received_at", "received", "受理时间", "投诉时间", "登记时间", "创建时间")
CLOSED_NAMES = ("closed_at", "closed", "resolved_at", "办结时间", "结案时间", "完成时间", "关闭时间", "处理完成时间",
                "回复时间")


def _timestamp_columns(raw: pd.DataFrame, settings: Settings) -> tuple[str | None, str | None]:
    """The received/closed timestamp columns (settings first, then known headers)."""
    found = []
    for given, names in ((settings.received_col, RECEIVED_NAMES), (settings.closed_col, CLOSED_NAMES)):
        if given is not None:
            if given not in raw.columns:
                raise MinetoolsError(f"Column {given!r} (received_col/closed_col) is not in the input; "
                                     f"columns are: {', '.join(map(str, raw.columns))}.")
            found.append(given)
            continue
        lookup = {str(c).strip().lower(): c for c in raw.columns}
        found.append(next((lookup[n] for n in names if n in lookup), None))
    return found[0], found[1]


def _file_hash(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("minetools", "pandas", "numpy", "scikit-learn", "statsmodels", "jieba", "rjieba",
                "opencc", "matplotlib", "wordcloud"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def _themes_table(df, analysed, taxonomy, tokens, seed=0) -> pd.DataFrame:
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


def _drivers_table(df, analysed, keys, settings, warnings) -> tuple[pd.DataFrame, dict]:
    """drivers.csv: on the survey score, or on the text-derived proxy when there is none."""
    from minetools import intensity

    data = df.loc[analysed]
    scale = df.attrs.get("score_scale")
    if data["score"].notna().sum() > 0:
        score_col, basis = "score", f"survey score ({scale or '1-5'} scale, mapped to 1-5)"
        threshold = settings.satisfied_threshold
        if threshold is not None:
            basis = f"share satisfied (score >= {threshold:g} on the 1-5 scale); effects in percentage points"
        elif scale == "binary":
            basis = "share satisfied (满意/不满意); effects in percentage points"
    else:
        data = data.assign(score_proxy=intensity.proxy_satisfaction(data["text_clean"].fillna("").tolist()))
        score_col, basis, threshold = "score_proxy", intensity.PROXY_LABEL_EN, None
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
    meta = {"score_basis": basis, "extra_drivers": extra, "score_col": score_col}
    try:
        result = drivers.analyze_drivers(
            data, score_col=score_col, themes=keys, covariates=tuple(settings.covariates), n_boot=settings.n_boot,
            min_n=settings.min_n, random_state=settings.seed, extra_drivers=extra, threshold=threshold)
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


def _comparisons(df, analysed, keys, settings, meta, warnings) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """drivers_segments.csv (per branch/channel/customer type) and drivers_change.csv (recent vs earlier months)."""
    if not meta.get("n"):
        return None, None
    data = df.loc[analysed]
    score_col = meta["score_col"]
    if score_col == "score_proxy":
        from minetools import intensity

        data = data.assign(score_proxy=intensity.proxy_satisfaction(data["text_clean"].fillna("").tolist()))
        score_col = "score_proxy"
    threshold = settings.satisfied_threshold if score_col == "score" else None
    parts = []
    for col in settings.segments:
        if col in data.columns and data[col].nunique() > 1:
            parts.append(drivers.compare_segments(data, by=col, score_col=score_col, themes=keys,
                                                  covariates=tuple(settings.covariates), min_n=settings.min_n,
                                                  threshold=threshold))
    segments = pd.concat(parts, ignore_index=True) if parts else None
    change = None
    months = sorted(data["month"].dropna().unique()) if "month" in data.columns else []
    k = settings.period_months
    if threshold is None and meta.get("outcome") == "continuous" and len(months) >= 2 * k:
        before, after = months[-2 * k : -k], months[-k:]
        try:
            change = drivers.decompose_change(data, period_col="month", before=before, after=after,
                                              score_col=score_col, themes=keys, min_n=settings.min_n)
            change["before"] = f"{before[0]}..{before[-1]}"
            change["after"] = f"{after[0]}..{after[-1]}"
        except ValueError as exc:
            warnings.append(f"Period comparison not computed: {exc}")
    return segments, change


def _use_font(settings: Settings) -> None:
    from minetools import fonts

    try:
        fonts.set_font(settings.font)
    except ValueError as exc:
        raise MinetoolsError(f"Setting font: {exc}") from None


#: Themes (by net impact) that get a word cloud with examples in figures/ and the report.
WORDCLOUD_THEMES = 6

#: Languages of the charts: Chinese in ``figures/``, English in ``figures/en/``.
FIGURE_LANGS = ("zh", "en")


def figures_dir(run_dir, lang: str = "zh") -> Path:
    """Where a run directory keeps its charts in ``lang``: ``figures/`` (zh) or ``figures/en/``."""
    if lang not in FIGURE_LANGS:
        raise MinetoolsError(f"Chart language must be one of {', '.join(FIGURE_LANGS)}, got {lang!r}.")
    return Path(run_dir) / "figures" / ("en" if lang == "en" else "")


def _figure_labels(themes: pd.DataFrame, lang: str) -> dict[str, str]:
    """Theme key → label in ``lang`` (the run's themes table, then the extra drivers)."""
    col = "label_en" if lang == "en" else "label_zh"
    extra = drivers.DRIVER_LABELS_EN if lang == "en" else drivers.DRIVER_LABELS_ZH
    found = dict(zip(themes["key"], themes[col].fillna(themes["key"]))) if col in themes else {}
    return {**extra, **found}


def _change_meta(change) -> dict | None:
    """What the waterfall needs from the period comparison and CSV does not keep (the two means)."""
    if change is None:
        return None
    return {k: change.attrs.get(k) for k in ("before", "after", "mean_before", "mean_after", "n_before", "n_after")}


def _draw_figures(folder: Path, df, analysed, themes, driver_table, segments, change, keys, settings, *,
                  lang: str = "zh") -> list[Path]:
    """Every chart of the run as PNG (200 dpi) and SVG in ``folder``; one figure in memory at a time."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = _figure_labels(themes, lang)
    data = df.loc[analysed]
    charts = {
        "theme_shares": lambda: plots.plot_theme_shares(themes, labels=labels, lang=lang),
        "drivers": lambda: plots.plot_drivers(driver_table, labels=labels, lang=lang),
        "priority_matrix": lambda: plots.plot_priority_matrix(driver_table, labels=labels, lang=lang),
        "monthly_trends": lambda: plots.plot_monthly_trends(data, keys=keys, labels=labels, lang=lang),
        "cooccurrence": lambda: plots.plot_cooccurrence(data, keys=keys, labels=labels, lang=lang),
    }
    if segments is not None and (segments["segment_col"] == "branch").any():
        charts["segment_heatmap"] = lambda: plots.plot_segment_heatmap(segments, labels=labels, segment_col="branch",
                                                                       lang=lang)
    if change is not None:
        charts["change_waterfall"] = lambda: plots.plot_change_waterfall(
            change, labels=labels, mean_before=change.attrs.get("mean_before"),
            mean_after=change.attrs.get("mean_after"), lang=lang)
    if "handling_days" in data.columns and data["handling_days"].notna().any():
        charts["handling_time"] = lambda: plots.plot_handling_time(data, limit_days=settings.handling_limit_days,
                                                                   score_col="score", lang=lang)
    for stale in list(folder.glob("*.png")) + list(folder.glob("*.svg")):
        stale.unlink()  # a chart the tables no longer support (e.g. no period comparison) must not linger
    written = []
    for name, draw in charts.items():
        written += plots.save_figure(draw(), folder / name)
    text_by_id = dict(zip(df["record_id"], df["text_clean"].fillna("")))
    ranked = driver_table.dropna(subset=["impact"]).sort_values("impact")["theme"].tolist()
    order = [k for k in ranked if k in keys] or themes.sort_values("n", ascending=False)["key"].tolist()
    shown = themes.set_index("key")
    analysed_tokens = df.loc[analysed, "tokens"].tolist()
    for key in order[:WORDCLOUD_THEMES]:
        if key not in shown.index or int(shown.loc[key, "n"]) == 0:
            continue
        in_theme = (pd.to_numeric(df.loc[analysed, f"theme_{key}"], errors="coerce") == 1).tolist()
        words = keywords(analysed_tokens, in_theme, method="tfidf", top_n=60)  # typical of the theme, not generic
        words = words[~words["word"].str.fullmatch(r"[\d\W_]+")]
        ids = [int(i) for i in str(shown.loc[key, "example_ids"] or "").split("|") if str(i).strip().isdigit()][:3]
        ax = plots.plot_theme_wordcloud(dict(zip(words["word"], words["score"])), [text_by_id.get(i, "") for i in ids],
                                        theme_label=labels.get(key, key), lang=lang)
        written += plots.save_figure(ax, folder / f"wordcloud_{key}")
    return [Path(p) for p in written]


def _drivers_meta(meta: dict, change) -> dict:
    """The manifest's ``drivers`` block: the model's facts plus the period comparison's means."""
    block = {k: (v if not isinstance(v, (tuple, np.ndarray)) else list(v)) for k, v in meta.items()}
    block["change"] = _change_meta(change)
    return block


def _read_run(run_dir) -> tuple[Path, dict, pd.DataFrame, pd.DataFrame]:
    """(run_dir, manifest, complaints, themes) of a run directory, or a clear error."""
    run_dir = Path(run_dir)
    manifest_path = run_dir / "manifest.json"
    missing = [n for n in ("manifest.json", "complaints.parquet", "themes.csv") if not (run_dir / n).exists()]
    if missing:
        raise MinetoolsError(f"{run_dir} is not a run directory (no {' / '.join(missing)}). "
                             "Give a folder written by 'minetools run'.")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    df = pd.read_parquet(run_dir / "complaints.parquet")
    df.attrs["score_scale"] = manifest.get("parsing", {}).get("score_scale")
    themes = pd.read_csv(run_dir / "themes.csv", encoding="utf-8-sig")
    return run_dir, manifest, df, themes


def _run_settings(manifest: dict) -> Settings:
    known = set(Settings.__dataclass_fields__)
    return Settings(**{k: v for k, v in manifest.get("settings", {}).items() if k in known})


def draw_figures(run_dir, *, lang: str = "zh") -> list[Path]:
    """Redraw every chart of a run directory from its tables, in ``lang`` ("zh" or "en").

    Reads ``complaints.parquet``, ``themes.csv``, ``drivers*.csv`` and ``manifest.json``
    (nothing is recomputed) and writes PNG and SVG into ``figures/`` (zh) or
    ``figures/en/`` (en). Returns the files written.

    Examples
    --------
    >>> draw_figures("runs/2024-07", lang="en")[0].name                 # doctest: +SKIP
    'theme_shares.png'
    """
    folder = figures_dir(run_dir, lang)
    run_dir, manifest, df, themes = _read_run(run_dir)
    if not (run_dir / "drivers.csv").exists():
        raise MinetoolsError(f"{run_dir} has no drivers.csv; recompute it with 'minetools drivers {run_dir}'.")
    keys = themes.loc[themes["status"] == "taxonomy", "key"].tolist()
    analysed = df["status"].isin(ANALYSED).to_numpy()
    tables = {name: pd.read_csv(run_dir / f"{name}.csv", encoding="utf-8-sig") if (run_dir / f"{name}.csv").exists()
              else None for name in ("drivers", "drivers_segments", "drivers_change")}
    meta = manifest.get("drivers", {})
    # what CSV does not keep: the model's facts (axis notes) and the periods' means and months (waterfall)
    tables["drivers"].attrs.update({k: meta[k] for k in ("min_n", "covariates", "outcome", "method") if k in meta})
    if tables["drivers_change"] is not None:
        tables["drivers_change"].attrs.update(meta.get("change") or {})
    return _draw_figures(folder, df, analysed, themes, tables["drivers"], tables["drivers_segments"],
                         tables["drivers_change"], keys, _run_settings(manifest), lang=lang)


def write_drivers(run_dir, *, settings: Settings | None = None, render: bool = True, **overrides) -> RunResult:
    """Recompute the driver tables of a run directory from its ``complaints.parquet``.

    Uses the run's settings (from ``manifest.json``) with ``settings`` or keyword
    ``overrides`` on top (e.g. ``satisfied_threshold=4``, ``n_boot=2000``,
    ``period_months=6``, ``segments=["branch"]``), then rewrites ``drivers.csv``,
    ``drivers_segments.csv``, ``drivers_change.csv`` and the manifest's ``drivers``
    block. Themes are not reassigned. With ``render`` (default) the charts
    (``figures/``, and ``figures/en/`` if the run has English charts) are redrawn
    and the report re-rendered, so nothing in the folder shows the old drivers.

    Examples
    --------
    >>> tables = write_drivers("runs/2024-07", satisfied_threshold=4)   # doctest: +SKIP
    >>> tables.drivers.sort_values("importance").head(3)                 # doctest: +SKIP
    """
    run_dir, manifest, df, themes = _read_run(run_dir)
    if settings is None:
        settings = _run_settings(manifest)
    for key, value in overrides.items():
        if key not in Settings.__dataclass_fields__:
            raise MinetoolsError(f"Unknown setting {key!r}; known settings: {', '.join(Settings.__dataclass_fields__)}.")
        if value is not None:
            setattr(settings, key, value)
    keys = themes.loc[themes["status"] == "taxonomy", "key"].tolist()
    analysed = df["status"].isin(ANALYSED).to_numpy()
    warnings: list[str] = []
    table, meta = _drivers_table(df, analysed, keys, settings, warnings)
    segments, change = _comparisons(df, analysed, keys, settings, meta, warnings)
    io.write_csv(table, run_dir / "drivers.csv")
    for name, frame in (("drivers_segments.csv", segments), ("drivers_change.csv", change)):
        if frame is not None:
            io.write_csv(frame, run_dir / name)
        elif (run_dir / name).exists():
            (run_dir / name).unlink()
    manifest["drivers"] = _drivers_meta(meta, change)
    manifest["settings"] = settings.to_dict()
    manifest["warnings"] = [w for w in manifest.get("warnings", []) if "river" not in w and "proxy" not in w] + warnings
    (run_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str),
                                           encoding="utf-8")
    if render:  # redraw what the folder has (or, for a run that renders, should have)
        for lang in FIGURE_LANGS:
            if any(figures_dir(run_dir, lang).glob("*.png")) or (
                    settings.render and lang in ("zh", settings.report_lang)):
                _draw_figures(figures_dir(run_dir, lang), df, analysed, themes, table, segments, change, keys,
                              settings, lang=lang)
        page = run_dir / "report.html"
        if page.exists() or settings.render:  # in the language the report has now (minetools report --lang)
            lang = "en" if page.exists() and '<html lang="en"' in page.read_text(encoding="utf-8")[:300] else \
                settings.report_lang
            report.write_report(run_dir, lang=lang, redraw=None)
    return RunResult(run_dir, df, themes, table, manifest, None, segments, change)


def load_model(model) -> ThemeModel | None:
    """A fitted ThemeModel from a ``model/`` folder of a run directory (or the model itself, or None)."""
    if model is None or isinstance(model, ThemeModel):
        return model
    path = Path(model)
    if (path / "model").is_dir() and not (path / "model.json").exists():
        path = path / "model"  # a run directory was given
    try:
        return ThemeModel.load(path)
    except (FileNotFoundError, TypeError, ValueError) as exc:
        raise MinetoolsError(f"Cannot use {path} as a theme model: {exc}. Give the model/ folder of a run "
                             "directory written by 'minetools run'.") from None


def assign_themes(df: pd.DataFrame, model: ThemeModel, texts: pd.Series, idx: np.ndarray) -> None:
    """Write ``theme_<key>``, ``score_<key>`` and ``themes`` for rows ``idx`` of ``df`` (others get none)."""
    keys = list(model.keys_)
    chosen_texts = texts.iloc[idx].tolist()
    scores = model.predict_proba(chosen_texts)
    flags = model.predict(chosen_texts)
    for key in keys:
        df[f"theme_{key}"] = 0
        df[f"score_{key}"] = np.nan
        df.loc[idx, f"theme_{key}"] = flags[key].to_numpy().astype(int)
        df.loc[idx, f"score_{key}"] = scores[key].to_numpy()
    theme_lists = [[] for _ in range(len(df))]
    flag_matrix = flags[keys].to_numpy()
    for row, i in enumerate(idx):
        theme_lists[i] = [k for k, f in zip(keys, flag_matrix[row]) if f] or ["other"]
    df["themes"] = pd.Series(theme_lists, dtype=object)


def run(input_path, out_dir, *, settings: Settings | None = None, model=None, progress: bool = True) -> RunResult:
    """Run every stage on one complaint file and write the run directory ``out_dir``.

    With ``model`` (a fitted ThemeModel, or the ``model/`` folder of an earlier run) themes
    are assigned with that model unchanged — next month's file gets the same themes for
    the same text; without it, a model is fitted on this input (recorded in the manifest).

    Examples
    --------
    >>> result = run("data/sample/complaints.csv", "out/demo")  # doctest: +SKIP
    >>> result.drivers.sort_values("impact").head(3)             # doctest: +SKIP
    """
    settings = settings or Settings()
    _use_font(settings)
    model_source = model
    out = Path(out_dir)
    stages = _Stages(7, progress)
    warnings: list[str] = []
    t_start = time.perf_counter()

    with stages("read", str(input_path)):
        raw = io.read_complaints(input_path, text_col=settings.text_col, score_col=settings.score_col,
                                 date_col=settings.date_col, sheet=settings.sheet, encoding=settings.encoding)
        source = dict(raw.attrs["minetools"])
    with stages("clean", f"{len(raw):,} rows"):
        df, pii_counts, parsing = prepare(raw, settings)
    analysed = df["status"].isin(ANALYSED).to_numpy()
    assigned_rows = df["status"].isin(ASSIGNED).to_numpy()
    texts = df["text_clean"].fillna("").str.slice(0, settings.max_chars)

    if model is not None:
        model = load_model(model)
        adapted, reason = False, "model given"
        model_source = str(model_source) if isinstance(model_source, (str, Path)) else "model given"
    elif settings.labels_col:
        model, adapted, reason = None, True, f"fitted on the human labels in column {settings.labels_col!r}"
        model_source = "fitted on this input's human labels"
    else:
        model, adapted, reason = choose_model(settings, int(analysed.sum()))
        model_source = "fitted on this input" if model is None else "bundled default model"
    taxonomy = model.taxonomy_ if model is not None else load_taxonomy(settings.taxonomy)
    keys = list(taxonomy.keys)
    segmenter = make_segmenter(settings)
    idx = np.flatnonzero(assigned_rows)
    with stages("segment", f"{len(idx):,} texts"):
        tokens = [[] for _ in range(len(df))]
        for i, toks in zip(idx, segmenter.segment(texts.iloc[idx].tolist())):
            tokens[i] = toks
        df["tokens"] = pd.Series(tokens, dtype=object)

    with stages("themes", "fit and assign" if model is None else f"assign with the {model_source}"):
        if model is None:
            model = ThemeModel(taxonomy, segmenter=segmenter, random_state=settings.seed)
            gold = _gold_labels(raw, settings.labels_col, keys, input_path)[analysed] if settings.labels_col else None
            model.fit(texts[analysed].tolist(), gold)
        assign_themes(df, model, texts, idx)
        themes = _themes_table(df, analysed, taxonomy, tokens, settings.seed)

    with stages("drivers", f"{int(analysed.sum()):,} complaints"):
        driver_table, driver_meta = _drivers_table(df, analysed, keys, settings, warnings)
        segments_table, change_table = _comparisons(df, analysed, keys, settings, driver_meta, warnings)

    out.mkdir(parents=True, exist_ok=True)
    with stages("figures", ("zh + en" if settings.report_lang == "en" else "") if settings.render else
                "skipped (tables only; draw them with 'minetools report')"):
        for lang in FIGURE_LANGS if settings.render else ():
            if lang == "zh" or lang == settings.report_lang:
                _draw_figures(figures_dir(out, lang), df, analysed, themes, driver_table, segments_table,
                              change_table, keys, settings, lang=lang)

    with stages("write", str(out)):
        ordered = df.drop(columns=["tokens", "themes"]).columns.tolist()
        df.to_parquet(out / "complaints.parquet", index=False)
        csv_frame = df.drop(columns=["tokens"] + [f"score_{k}" for k in keys]).copy()
        csv_frame["themes"] = [("|".join(t)) for t in df["themes"]]
        io.write_csv(csv_frame, out / "complaints.csv")
        io.write_csv(themes, out / "themes.csv")
        io.write_csv(driver_table, out / "drivers.csv")
        if segments_table is not None:
            io.write_csv(segments_table, out / "drivers_segments.csv")
        if change_table is not None:
            io.write_csv(change_table, out / "drivers_change.csv")
        model.save(out / "model")
        counts = df["status"].value_counts().reindex(list(STATUSES), fill_value=0)
        manifest = {
            "minetools_version": _versions()["minetools"],
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": " ".join(sys.argv),
            "input": {**source, "sha256": _file_hash(input_path), "rows": len(df)},
            "settings": settings.to_dict(),
            "versions": _versions(),
            "hashes": {
                "taxonomy": taxonomy.hash,
                "model": model.model_hash_,
                "bank_dict": _file_hash(Path(clean.__file__).parent / "resources" / "bank_dict.txt"),
            },
            "theme_model": {"adapted_to_input": adapted, "fitted_on": int(model.n_train_),
                            "source": model_source, "reason": reason},
            "seed": settings.seed,
            "rows": {"input": len(df), **{k: int(v) for k, v in counts.items()},
                     "balanced": int(counts.sum()) == len(df)},
            "pii_masked": pii_counts,
            "duplicates": {"exact": int(df["status_reason"].str.startswith("same text as").fillna(False).sum()),
                           "near": int(df["status_reason"].str.startswith("near-duplicate of").fillna(False).sum()),
                           "threshold": settings.dup_threshold},
            "parsing": parsing,
            "drivers": _drivers_meta(driver_meta, change_table),
            "warnings": warnings,
            "timings_s": stages.timings,
            "columns": ordered,
        }
        (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str),
                                           encoding="utf-8")
        if settings.render:
            report.write_report(out, lang=settings.report_lang, redraw=False)
        else:  # charts or a report of an earlier run in this folder would not match these tables
            shutil.rmtree(out / "figures", ignore_errors=True)
            for name in ("report.html", "report.pdf"):
                (out / name).unlink(missing_ok=True)
    manifest["timings_s"]["total"] = round(time.perf_counter() - t_start, 3)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str),
                                       encoding="utf-8")
    return RunResult(out, df, themes, driver_table, manifest, model, segments_table, change_table)


def evaluate(input_path, out_dir=None, *, labels_col: str, settings: Settings | None = None, model=None,
             progress: bool = True) -> tuple[pd.DataFrame, dict]:
    """Compare assigned themes with human labels in ``labels_col`` ("queuing|fees" per row).

    Themes come from ``model`` (a saved model folder) or, without it, from a model fitted on
    the input's texts as ``run`` does (the labels are never used for fitting). Writes
    ``evaluation.csv`` and ``evaluation.json`` into ``out_dir`` when given.
    """
    settings = settings or Settings()
    stages = _Stages(3, progress)
    with stages("read", str(input_path)):
        raw = io.read_complaints(input_path, text_col=settings.text_col, score_col=settings.score_col,
                                 date_col=settings.date_col, sheet=settings.sheet, encoding=settings.encoding)
        if labels_col not in raw.columns:
            raise io.InputError(f"Labels column {labels_col!r} is not in {input_path}. "
                                f"Columns found: {', '.join(map(str, raw.columns))}.")
    with stages("clean", f"{len(raw):,} rows"):
        df, _, _ = prepare(raw, settings)
    rows = df["status"].isin(ANALYSED).to_numpy()
    texts = df["text_clean"].fillna("").str.slice(0, settings.max_chars)
    model = load_model(model)
    if model is None:
        model, _, _ = choose_model(settings, int(rows.sum()))
    with stages("themes", "fit and assign" if model is None else "assign with the saved model"):
        if model is None:
            model = ThemeModel(load_taxonomy(settings.taxonomy), segmenter=make_segmenter(settings),
                               random_state=settings.seed)
            model.fit(texts[rows].tolist())
        keys = list(model.keys_)
        assign_themes(df, model, texts, np.flatnonzero(rows))
    truth = _gold_labels(raw, labels_col, keys, input_path)
    pred = df[[f"theme_{k}" for k in keys]].set_axis(keys, axis=1)
    table, summary = evaluate_assignments(truth[rows], pred[rows])
    summary.update({"input": str(input_path), "labels_col": labels_col, "rows_excluded": int((~rows).sum()),
                    "model_hash": model.model_hash_})
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        io.write_csv(table.round(4), out / "evaluation.csv")
        (out / "evaluation.json").write_text(json.dumps({**summary, "per_theme": table.round(4).to_dict("records")},
                                                        ensure_ascii=False, indent=2), encoding="utf-8")
    return table, summary


def _gold_labels(raw: pd.DataFrame, column: str, keys, input_path) -> pd.DataFrame:
    """0/1 theme matrix from a column of human labels (empty = none of the themes)."""
    if column not in raw.columns:
        raise io.InputError(f"Labels column {column!r} is not in {input_path}. "
                            f"Columns found: {', '.join(map(str, raw.columns))}.")
    try:
        return labels_frame(raw[column].reset_index(drop=True), keys)
    except ValueError as exc:
        raise io.InputError(f"{input_path}, column {column!r}: {exc}") from None


def choose_model(settings: Settings, n_analysed: int) -> tuple[ThemeModel | None, bool, str]:
    """Decide between the bundled default model and fitting on the input.

    Returns ``(model, adapted, reason)``: ``model`` is the default model, or None when the
    caller should fit a new one on its input (``adapted`` True). ``settings.theme_model``:
    ``"default"`` always uses the bundled model, ``"fit"`` always fits, ``"auto"`` fits only
    when the input has at least ``settings.adapt_min_rows`` analysed complaints or when the
    user changed what the default model was built with (taxonomy, dictionaries, stopwords,
    synonyms), since the default model cannot know those.
    """
    from minetools.themes import default_model

    mode = settings.theme_model
    custom = [name for name, value in (("taxonomy", settings.taxonomy), ("user_dicts", settings.user_dicts),
                                       ("extra_stopwords", settings.extra_stopwords),
                                       ("stopword_files", settings.stopword_files),
                                       ("extra_synonyms", settings.extra_synonyms),
                                       ("synonym_files", settings.synonym_files)) if value]
    if mode == "fit":
        return None, True, "theme_model = fit"
    if custom and mode == "auto":
        return None, True, f"custom {', '.join(custom)}: the default model was built without them"
    if mode == "auto" and n_analysed >= settings.adapt_min_rows:
        return None, True, f"{n_analysed:,} analysed complaints >= adapt_min_rows ({settings.adapt_min_rows:,})"
    model = default_model()
    if settings.taxonomy and load_taxonomy(settings.taxonomy).hash != model.taxonomy_.hash:
        raise MinetoolsError("theme_model = default cannot be used with a custom taxonomy: the bundled model "
                             "knows only the bundled themes. Use theme_model = auto or fit.")
    why = ("theme_model = default" if mode == "default" else
           f"{n_analysed:,} analysed complaints < adapt_min_rows ({settings.adapt_min_rows:,}): "
           "too few to fit on, so the bundled model is used unchanged")
    return model, False, why


def make_segmenter(settings: Settings) -> Segmenter:
    """The run's Segmenter: bundled resources plus the user's dictionaries, stopwords, synonyms."""
    from minetools.segment import ResourceError

    try:
        return Segmenter(backend=settings.segmenter_backend, user_dicts=settings.user_dicts,
                         extra_stopwords=[*settings.extra_stopwords, *map(Path, settings.stopword_files)],
                         extra_synonyms=[settings.extra_synonyms, *settings.synonym_files],
                         cache_dir=settings.segment_cache)
    except ResourceError as exc:
        raise MinetoolsError(f"{exc} (files named in the config file: user_dicts, stopword_files, "
                             "synonym_files).") from None
    except FileNotFoundError as exc:
        raise MinetoolsError(f"Resource file not found: {exc.filename}. Check the paths in the config file "
                             "(they are relative to it).") from None


def write_audit(run_dir, *, n: int = 200, seed: int = 0, out=None) -> Path:
    """Write ``audit.csv`` (a stratified sample for human coding) from a run directory."""
    run_dir = Path(run_dir)
    if not (run_dir / "complaints.parquet").exists():
        raise MinetoolsError(f"{run_dir} is not a run directory (no complaints.parquet). Give a folder written by "
                             "'minetools run'.")
    complaints = pd.read_parquet(run_dir / "complaints.parquet")
    keys = [c[len("theme_"):] for c in complaints.columns if c.startswith("theme_")]
    sample = audit_sample(complaints, keys, n=n, random_state=seed)
    path = Path(out) if out else run_dir / "audit.csv"
    io.write_csv(sample, path)
    return path
