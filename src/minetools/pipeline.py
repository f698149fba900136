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
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from minetools import drivers, io, report, rundir
from minetools.clean.pii_columns import load_pseudonym_key, pseudonym_key_path, scrub_frame, scrub_json
from minetools.clean.table import ANALYSED, ASSIGNED, STATUSES, prepare
from minetools.config import MinetoolsError, Settings
from minetools.labels import score_basis
from minetools.model_choice import choose_model, load_model, make_segmenter, theme_model_choice
from minetools.segment import Segmenter
from minetools.taxonomy import load_taxonomy
from minetools.themes import ThemeModel, audit_sample, discover_themes, evaluate_assignments, labels_frame, top_terms

__all__ = ["run", "evaluate", "write_audit", "write_drivers", "RunResult", "assign_themes", "pseudonym_key",
           # which theme model a run uses (minetools.model_choice)
           "load_model", "choose_model", "make_segmenter",
           # the clean stage's names, used with run() by scripts and tests
           "prepare", "STATUSES", "ANALYSED", "ASSIGNED"]

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
    scored = data["score"].notna().sum() > 0
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


def _use_font(settings: Settings) -> None:
    from minetools import fonts

    try:
        fonts.set_font(settings.font)
    except ValueError as exc:
        raise MinetoolsError(f"Setting font: {exc}") from None


def _change_meta(change) -> dict | None:
    """What the waterfall needs from the period comparison and CSV does not keep (the two means)."""
    if change is None:
        return None
    return {k: change.attrs.get(k) for k in ("before", "after", "mean_before", "mean_after", "n_before", "n_after")}


def _drivers_meta(meta: dict, change) -> dict:
    """The manifest's ``drivers`` block: the model's facts plus the period comparison's means."""
    block = {k: (v if not isinstance(v, (tuple, np.ndarray)) else list(v)) for k, v in meta.items()}
    block["change"] = _change_meta(change)
    return block


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
    run_dir, manifest, df, themes = rundir.read_run(run_dir)
    if settings is None:
        settings = rundir.run_settings(manifest)
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
    written, removed = [], []
    for name, frame in ((rundir.DRIVERS_CSV, table), (rundir.SEGMENTS_CSV, segments), (rundir.CHANGE_CSV, change)):
        if frame is not None:
            io.write_csv(scrub_frame(frame), run_dir / name)
            written.append(name)
        else:
            removed.append(name)
    rundir.remove_owned(run_dir, removed)
    manifest = rundir.read_manifest(run_dir)
    manifest["drivers"] = scrub_json(_drivers_meta(meta, change))
    manifest["settings"] = settings.to_dict()
    old_driver_warnings = set(manifest.get("driver_warnings", []))
    manifest["warnings"] = [w for w in manifest.get("warnings", []) if w not in old_driver_warnings] + warnings
    manifest["driver_warnings"] = warnings
    rundir.write_manifest(run_dir, manifest)
    rundir.record_files(run_dir, added=written)
    if render:  # redraw what the folder has (or, for a run that renders, should have)
        _redraw(run_dir, df, analysed, themes, table, segments, change, keys, settings)
    return RunResult(run_dir, df, themes, table, manifest, None, segments, change)


def _redraw(run_dir: Path, df, analysed, themes, table, segments, change, keys, settings) -> None:
    """Charts and report of an existing run drawn again from new driver tables."""
    from minetools.figures import draw_run_figures, owned_charts

    for lang in rundir.FIGURE_LANGS:
        stale = owned_charts(run_dir, lang)
        if stale or (settings.render and lang in ("zh", settings.report_lang)):
            drawn = draw_run_figures(rundir.figures_dir(run_dir, lang), df, analysed, themes, table, segments,
                                     change, keys, settings, lang=lang, stale=stale)
            rundir.record_files(run_dir, added=drawn, removed=[rundir.relative(run_dir, p) for p in stale
                                                                if not p.exists()])
    page = run_dir / rundir.REPORT_HTML
    if page.exists() or settings.render:  # in the language the report has now (minetools report --lang)
        lang = "en" if page.exists() and '<html lang="en"' in page.read_text(encoding="utf-8")[:300] else \
            settings.report_lang
        report.write_report(run_dir, lang=lang, redraw=None)


def assign_themes(df: pd.DataFrame, model: ThemeModel, texts: pd.Series, idx: np.ndarray, tokens=None) -> None:
    """Write ``theme_<key>``, ``score_<key>``, ``themes`` for rows ``idx`` (others get none); ``tokens`` reused."""
    keys = list(model.keys_)
    scores = model.predict_proba(texts.iloc[idx].tolist(), tokens=None if tokens is None else [tokens[i] for i in idx])
    flags = model.decide(scores)
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


def pseudonym_key(settings: Settings) -> tuple[bytes, Path]:
    """The project's pseudonym key (created on first use), or a clear error."""
    try:
        return load_pseudonym_key(settings.pseudonym_key)
    except (OSError, ValueError) as exc:
        raise MinetoolsError(f"Cannot use the pseudonym key: {exc} (setting pseudonym_key, or "
                             "MINETOOLS_PSEUDONYM_KEY).") from None


def _segment_rows(df: pd.DataFrame, texts: pd.Series, idx: np.ndarray, segmenter: Segmenter) -> list[list[str]]:
    tokens = [[] for _ in range(len(df))]
    for i, toks in zip(idx, segmenter.segment(texts.iloc[idx].tolist())):
        tokens[i] = toks
    df["tokens"] = pd.Series(tokens, dtype=object)
    return tokens


def _write_tables(writer: rundir.RunWriter, df, keys, themes, driver_table, segments_table, change_table,
                  privacy) -> None:
    """complaints.parquet/.csv and the summary tables, every string checked once more for personal data."""
    safe = {c for c, t in privacy["columns"].items()
            if t["treatment"] in ("kept", "pseudonymised", "masked", "unchanged")}  # each decided on in prepare
    safe |= {"text_clean", "tokens", "themes"}  # masked twice already; lists of tokens of text_clean
    complaints = scrub_frame(df, skip=safe)
    complaints.to_parquet(writer.path(rundir.COMPLAINTS_PARQUET), index=False)
    csv_frame = complaints.drop(columns=["tokens"] + [f"score_{k}" for k in keys])
    csv_frame["themes"] = ["|".join(t) for t in complaints["themes"]]
    io.write_csv(csv_frame, writer.path(rundir.COMPLAINTS_CSV))
    for name, table in ((rundir.THEMES_CSV, themes), (rundir.DRIVERS_CSV, driver_table),
                        (rundir.SEGMENTS_CSV, segments_table), (rundir.CHANGE_CSV, change_table)):
        if table is not None:
            io.write_csv(scrub_frame(table), writer.path(name))


def run(input_path, out_dir, *, settings: Settings | None = None, model=None, progress: bool = True) -> RunResult:
    """Run every stage on one complaint file and write the run directory ``out_dir``.

    With ``model`` (a fitted ThemeModel, or the ``model/`` folder of an earlier run) themes
    are assigned with that model unchanged — next month's file gets the same themes for
    the same text; without it, the bundled model is used or one is fitted on this input
    (recorded in the manifest). The output folder is checked before anything is read; the
    new run is written beside the old one and swapped in at the end (:mod:`minetools.rundir`).

    Examples
    --------
    >>> result = run("data/sample/complaints.csv", "out/demo")  # doctest: +SKIP
    >>> result.drivers.sort_values("impact").head(3)             # doctest: +SKIP
    """
    settings = settings or Settings()
    out = rundir.check_output_dir(out_dir, inputs=[input_path], key_path=pseudonym_key_path(settings.pseudonym_key))
    key, _ = pseudonym_key(settings)
    if settings.render or settings.font:  # a tables-only run draws nothing (and needs no matplotlib)
        _use_font(settings)
    stages = _Stages(7, progress)
    warnings: list[str] = []
    t_start = time.perf_counter()
    given = load_model(model) if model is not None else None

    with stages("read", str(input_path)):
        raw = io.read_complaints(input_path, text_col=settings.text_col, score_col=settings.score_col,
                                 date_col=settings.date_col, sheet=settings.sheet, encoding=settings.encoding)
    with stages("clean", f"{len(raw):,} rows"):
        df, privacy, parsing = prepare(raw, settings, key=key)
    analysed = df["status"].isin(ANALYSED).to_numpy()
    texts = df["text_clean"].fillna("").str.slice(0, settings.max_chars)
    model, adapted, reason, model_source = theme_model_choice(given if given is not None else model, settings,
                                                               int(analysed.sum()))
    taxonomy = model.taxonomy_ if model is not None else load_taxonomy(settings.taxonomy)
    keys = list(taxonomy.keys)
    segmenter = make_segmenter(settings)
    idx = np.flatnonzero(df["status"].isin(ASSIGNED).to_numpy())
    with stages("segment", f"{len(idx):,} texts"):
        tokens = _segment_rows(df, texts, idx, segmenter)

    with stages("themes", "fit and assign" if model is None else f"assign with the {model_source}"):
        if model is None:
            model = ThemeModel(taxonomy, segmenter=segmenter, random_state=settings.seed)
            gold = _gold_labels(raw, settings.labels_col, keys, input_path)[analysed] if settings.labels_col else None
            model.fit(texts[analysed].tolist(), gold)
        same = model.segmenter_ is not None and model.segmenter_.config_hash() == segmenter.config_hash()
        assign_themes(df, model, texts, idx, tokens if same else None)
        themes = _themes_table(df, analysed, taxonomy, tokens, settings.seed)

    with stages("drivers", f"{int(analysed.sum()):,} complaints"):
        driver_table, driver_meta = _drivers_table(df, analysed, keys, settings, warnings)
        segments_table, change_table = _comparisons(df, analysed, keys, settings, driver_meta, warnings)

    with rundir.RunWriter(out) as writer:
        with stages("figures", ("zh + en" if settings.report_lang == "en" else "") if settings.render else
                    "skipped (tables only; draw them with 'minetools report')"):
            for lang in rundir.FIGURE_LANGS if settings.render else ():
                if lang == "zh" or lang == settings.report_lang:
                    from minetools.figures import draw_run_figures  # matplotlib only when charts are drawn
                    draw_run_figures(rundir.figures_dir(writer.root, lang), df, analysed, themes, driver_table,
                                     segments_table, change_table, keys, settings, lang=lang)
        with stages("write", str(out)):
            _write_tables(writer, df, keys, themes, driver_table, segments_table, change_table, privacy)
            model.save(writer.path(rundir.MODEL_DIR))
            manifest = _manifest(raw, df, input_path, settings, taxonomy, model, privacy, parsing, warnings, stages,
                                 theme_model={"adapted_to_input": adapted, "fitted_on": int(model.n_train_),
                                              "source": model_source, "reason": reason},
                                 drivers_block=_drivers_meta(driver_meta, change_table), key=key)
            rundir.write_manifest(writer.root, manifest)
            if settings.render:
                report.write_report(writer.root, lang=settings.report_lang, redraw=False)
            manifest["timings_s"]["total"] = round(time.perf_counter() - t_start, 3)
            writer.commit(manifest)
    return RunResult(out, df, themes, driver_table, manifest, model, segments_table, change_table)


def _manifest(raw, df, input_path, settings, taxonomy, model, privacy, parsing, warnings, stages, *, theme_model,
              drivers_block, key) -> dict:
    """manifest.json: versions, settings, hashes, row accounting, privacy, timings (every string checked)."""
    counts = df["status"].value_counts().reindex(list(STATUSES), fill_value=0)
    source = {k: v for k, v in raw.attrs["minetools"].items() if k != "row_problems"}
    problems = raw.attrs["minetools"].get("row_problems", {})
    manifest = {
        "minetools_version": _versions()["minetools"],
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(sys.argv),
        "input": {**source, "sha256": _file_hash(input_path), "rows": len(df),
                  "records_invalid": len(problems.get("invalid", {})), "records_repaired": len(problems.get("notes", {})),
                  "nul_bytes_removed": problems.get("removed_nul", 0)},
        "settings": settings.to_dict(),
        "versions": _versions(),
        "hashes": {"taxonomy": taxonomy.hash, "model": model.model_hash_,
                   "bank_dict": _file_hash(Path(__file__).parent / "resources" / "bank_dict.txt")},
        "theme_model": theme_model,
        "seed": settings.seed,
        "rows": {"input": len(df), **{k: int(v) for k, v in counts.items()}, "balanced": int(counts.sum()) == len(df)},
        "pii_masked": privacy["masked"],
        "privacy": {"columns": privacy["columns"], "renamed_input_columns": privacy["renamed"],
                    "pseudonym_key_id": hashlib.sha256(key).hexdigest()[:12]},
        "duplicates": {"exact": int(df["status_reason"].str.startswith("same text as").fillna(False).sum()),
                       "near": int(df["status_reason"].str.startswith("near-duplicate of").fillna(False).sum()),
                       "threshold": settings.dup_threshold},
        "parsing": parsing,
        "drivers": drivers_block,
        "warnings": warnings,
        "driver_warnings": list(warnings),
        "timings_s": stages.timings,
        "columns": df.drop(columns=["tokens", "themes"]).columns.tolist(),
    }
    return scrub_json(manifest)


def evaluate(input_path, out_dir=None, *, labels_col: str, settings: Settings | None = None, model=None,
             progress: bool = True) -> tuple[pd.DataFrame, dict]:
    """Compare assigned themes with human labels in ``labels_col`` ("queuing|fees" per row).

    Themes come from ``model`` (a saved model folder) or, without it, from a model fitted on
    the input's texts as ``run`` does (the labels are never used for fitting). Writes
    ``evaluation.csv`` and ``evaluation.json`` into ``out_dir`` when given.
    """
    settings = settings or Settings()
    out = rundir.check_output_dir(out_dir, inputs=[input_path]) if out_dir is not None else None
    model = load_model(model)
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
    if out is not None:
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
    if path.exists() and path.resolve().parent == run_dir.resolve() and path.name not in rundir.owned_files(run_dir):
        raise MinetoolsError(f"{path} exists and no minetools run wrote it; give another file with --out.")
    io.write_csv(scrub_frame(sample), path)
    if path.resolve().parent == run_dir.resolve():
        rundir.record_files(run_dir, added=[path.resolve()])
    return path

