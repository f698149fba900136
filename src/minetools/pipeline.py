"""Running the stages of :mod:`minetools.stages` on a file or a run directory: ``run`` (every stage, writes the
run directory), ``evaluate`` (read to themes, compared with human labels), ``write_drivers`` (the drivers stage
again on a run directory) and ``write_audit``.

read → clean (mask, normalise, status) → segment, chunk by chunk; then duplicates → themes → summarise → drivers →
figures → write.
Every input row stays in ``complaints.parquet``, in input order, with a ``status`` and a ``status_reason``;
statistics count each complaint once (rows with status ``ok`` or ``truncated``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from minetools import io, report, rundir, summaries
from minetools.clean.pii_columns import load_pseudonym_key, pseudonym_key_path, scrub_frame, scrub_json
from minetools.clean.table import ANALYSED, ASSIGNED, STATUSES, prepare
from minetools.config import MinetoolsError, Settings
from minetools.model_choice import choose_model, load_model, make_segmenter
from minetools.stages import (STAGES, Progress, RunState, assign_themes, check_labels_column, gold_labels,
                              run_stages)
from minetools.themes import ThemeModel, audit_sample, evaluate_assignments

__all__ = ["run", "evaluate", "write_audit", "write_drivers", "RunResult", "assign_themes", "pseudonym_key",
           "STAGES", "run_stages",
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


def _use_font(settings: Settings) -> None:
    from minetools import fonts

    try:
        fonts.set_font(settings.font)
    except ValueError as exc:
        raise MinetoolsError(f"Setting font: {exc}") from None


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
    state = RunState(settings, df=df, themes=themes, analysed=df["status"].isin(ANALYSED).to_numpy(),
                     keys=themes.loc[themes["status"] == "taxonomy", "key"].tolist())
    run_stages(state, ["drivers"])
    written, removed = [], []
    for name, frame in ((rundir.DRIVERS_CSV, state.driver_table), (rundir.SEGMENTS_CSV, state.segments_table),
                        (rundir.CHANGE_CSV, state.change_table)):
        if frame is not None:
            io.write_csv(scrub_frame(frame), run_dir / name)
            written.append(name)
        else:
            removed.append(name)
    rundir.remove_owned(run_dir, removed)
    manifest = rundir.read_manifest(run_dir)
    manifest["drivers"] = scrub_json(summaries.drivers_meta(state.driver_meta, state.change_table))
    manifest["settings"] = settings.to_dict()
    old_driver_warnings = set(manifest.get("driver_warnings", []))
    manifest["warnings"] = [w for w in manifest.get("warnings", []) if w not in old_driver_warnings] + state.warnings
    manifest["driver_warnings"] = state.warnings
    rundir.write_manifest(run_dir, manifest)
    rundir.record_files(run_dir, added=written)
    if render:  # redraw what the folder has (or, for a run that renders, should have)
        _redraw(run_dir, state)
    return RunResult(run_dir, df, themes, state.driver_table, manifest, None, state.segments_table, state.change_table)


def _redraw(run_dir: Path, s: RunState) -> None:
    """Charts and report of an existing run drawn again from new driver tables."""
    from minetools.figures import draw_run_figures, owned_charts

    settings = s.settings
    for lang in rundir.FIGURE_LANGS:
        stale = owned_charts(run_dir, lang)
        if stale or (settings.render and lang in ("zh", settings.report_lang)):
            drawn = draw_run_figures(rundir.figures_dir(run_dir, lang), s.df, s.analysed, s.themes, s.driver_table,
                                     s.segments_table, s.change_table, s.keys, settings, lang=lang, stale=stale)
            rundir.record_files(run_dir, added=drawn, removed=[rundir.relative(run_dir, p) for p in stale
                                                                if not p.exists()])
    page = run_dir / rundir.REPORT_HTML
    if page.exists() or settings.render:  # in the language the report has now (minetools report --lang)
        lang = "en" if page.exists() and '<html lang="en"' in page.read_text(encoding="utf-8")[:300] else \
            settings.report_lang
        report.write_report(run_dir, lang=lang, redraw=None)


def pseudonym_key(settings: Settings) -> tuple[bytes, Path]:
    """The project's pseudonym key (created on first use), or a clear error."""
    try:
        return load_pseudonym_key(settings.pseudonym_key)
    except (OSError, ValueError) as exc:
        raise MinetoolsError(f"Cannot use the pseudonym key: {exc} (setting pseudonym_key, or "
                             "MINETOOLS_PSEUDONYM_KEY).") from None


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
    state = RunState(settings, input_path=input_path, key=key, progress=Progress(len(STAGES), progress),
                     given_model=load_model(model) if model is not None else None)
    names = [stage.name for stage in STAGES]
    first_written = names.index("figures")  # the staging folder is opened only once the analysis stands
    run_stages(state, names[:first_written])
    with rundir.RunWriter(out) as state.writer:
        run_stages(state, names[first_written:])
    return RunResult(out, state.df, state.themes, state.driver_table, state.manifest, state.model,
                     state.segments_table, state.change_table)


def evaluate(input_path, out_dir=None, *, labels_col: str, settings: Settings | None = None, model=None,
             progress: bool = True) -> tuple[pd.DataFrame, dict]:
    """Compare assigned themes with human labels in ``labels_col`` ("queuing|fees" per row).

    Themes come from ``model`` (a saved model folder) or, without it, from a model fitted on
    the input's texts as ``run`` does (the labels are never used for fitting). Writes
    ``evaluation.csv`` and ``evaluation.json`` into ``out_dir`` when given.
    """
    settings = dataclasses.replace(settings or Settings(), labels_col=None)  # the labels are never fitted on
    out = rundir.check_output_dir(out_dir, inputs=[input_path]) if out_dir is not None else None
    names = ["read", "clean", "duplicates", "themes"]
    state = RunState(settings, input_path=input_path, given_model=load_model(model),
                     progress=Progress(len(names), progress), carry=(labels_col,))
    check_labels_column(state.open_source().columns, labels_col, input_path)  # before the analysis, not after it
    run_stages(state, names)
    rows, keys = state.analysed, state.keys
    truth = gold_labels(state.carried, labels_col, keys, input_path)
    pred = state.df[[f"theme_{k}" for k in keys]].set_axis(keys, axis=1)
    table, summary = evaluate_assignments(truth[rows], pred[rows])
    summary.update({"input": str(input_path), "labels_col": labels_col, "rows_excluded": int((~rows).sum()),
                    "model_hash": state.model.model_hash_})
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        io.write_csv(table.round(4), out / "evaluation.csv")
        (out / "evaluation.json").write_text(json.dumps({**summary, "per_theme": table.round(4).to_dict("records")},
                                                        ensure_ascii=False, indent=2), encoding="utf-8")
    return table, summary


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

