"""Every chart of a run: drawn from the run's tables, as PNG (200 dpi) and SVG, in Chinese or English.

``draw_run_figures`` draws from tables in memory (a run in progress); ``draw_figures``
redraws a finished run from its files alone. Charts go to ``figures/`` (zh) or
``figures/en/`` (en).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from minetools import drivers, plots, rundir
from minetools.rundir import FIGURE_LANGS, figures_dir  # re-exported: the chart folders are the run directory's
from minetools.clean import looks_like_person
from minetools.config import MinetoolsError
from minetools.parallel import fork_map
from minetools.segment import keywords

__all__ = ["WORDCLOUD_THEMES", "FIGURE_LANGS", "figures_dir", "draw_run_figures", "draw_figures"]

#: Themes (by net impact) that get a word cloud with examples in figures/ and the report.
WORDCLOUD_THEMES = 6

def _figure_labels(themes: pd.DataFrame, lang: str) -> dict[str, str]:
    """Theme key → label in ``lang`` (the run's themes table, then the extra drivers)."""
    col = "label_en" if lang == "en" else "label_zh"
    extra = drivers.DRIVER_LABELS_EN if lang == "en" else drivers.DRIVER_LABELS_ZH
    found = dict(zip(themes["key"], themes[col].fillna(themes["key"]))) if col in themes else {}
    return {**extra, **found}


def draw_run_figures(folder: Path, df, analysed, themes, driver_table, segments, change, keys, settings, *,
                     lang: str = "zh", stale=()) -> list[Path]:
    """Every chart of the run as PNG (200 dpi) and SVG in ``folder``, drawn on every core (one figure in
    memory at a time in each worker).

    ``stale``: chart files an earlier drawing wrote there (owned by the run), removed first so
    that a chart the tables no longer support (e.g. no period comparison) does not linger;
    nothing else in the folder is touched."""
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
    for old in stale:
        Path(old).unlink(missing_ok=True)
    charts.update(_wordclouds(df, analysed, themes, driver_table, keys, labels, lang))
    jobs = list(charts.items())
    drawn = fork_map(_draw_one, list(range(len(jobs))), (jobs, folder), parallel=len(jobs) > 2)
    return [Path(p) for paths in drawn for p in paths]


def _draw_one(i: int, jobs: list, folder: Path) -> list[str]:
    """Draw and save chart ``i`` of ``jobs`` (name, drawing function); in a forked worker when parallel."""
    name, draw = jobs[i]
    return plots.save_figure(draw(), folder / name)


def _wordclouds(df, analysed, themes, driver_table, keys, labels, lang) -> dict:
    """name → drawing function of the word clouds with examples, for the themes that hurt most."""
    text_by_id = dict(zip(df["record_id"], df["text_clean"].fillna("")))
    ranked = driver_table.dropna(subset=["impact"]).sort_values("impact")["theme"].tolist()
    order = [k for k in ranked if k in keys] or [k for k in themes.sort_values("n", ascending=False)["key"]
                                                  if k in keys]
    shown = themes.set_index("key")
    analysed_tokens = df.loc[analysed, "tokens"].tolist()

    def draw(key):
        in_theme = (pd.to_numeric(df.loc[analysed, f"theme_{key}"], errors="coerce") == 1).tolist()
        words = keywords(analysed_tokens, in_theme, method="tfidf", top_n=60)  # typical of the theme, not generic
        words = words[~words["word"].str.fullmatch(r"[\d\W_]+") & ~words["word"].map(looks_like_person)]
        ids = [int(i) for i in str(shown.loc[key, "example_ids"] or "").split("|") if str(i).strip().isdigit()][:3]
        return plots.plot_theme_wordcloud(dict(zip(words["word"], words["score"])),
                                          [text_by_id.get(i, "") for i in ids], theme_label=labels.get(key, key),
                                          lang=lang)

    return {f"wordcloud_{key}": (lambda key=key: draw(key)) for key in order[:WORDCLOUD_THEMES]
            if key in shown.index and int(shown.loc[key, "n"]) > 0}



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
    run_dir, manifest, df, themes = rundir.read_run(run_dir)
    if not (run_dir / "drivers.csv").exists():
        raise MinetoolsError(f"{run_dir} has no drivers.csv; recompute it with 'minetools drivers {run_dir}'.")
    keys = themes.loc[themes["status"] == "taxonomy", "key"].tolist()
    analysed = df["status"].isin(("ok", "truncated")).to_numpy()
    tables = {name: pd.read_csv(run_dir / f"{name}.csv", encoding="utf-8-sig") if (run_dir / f"{name}.csv").exists()
              else None for name in ("drivers", "drivers_segments", "drivers_change")}
    meta = manifest.get("drivers", {})
    # what CSV does not keep: the model's facts (axis notes) and the periods' means and months (waterfall)
    tables["drivers"].attrs.update({k: meta[k] for k in ("min_n", "covariates", "outcome", "method") if k in meta})
    if tables["drivers_change"] is not None:
        tables["drivers_change"].attrs.update(meta.get("change") or {})
    stale = owned_charts(run_dir, lang)
    written = draw_run_figures(folder, df, analysed, themes, tables["drivers"], tables["drivers_segments"],
                               tables["drivers_change"], keys, rundir.run_settings(manifest), lang=lang, stale=stale)
    rundir.record_files(run_dir, added=written, removed=[rundir.relative(run_dir, p) for p in stale])
    return written


def owned_charts(run_dir, lang: str) -> list[Path]:
    """The chart files in ``lang`` that the run in ``run_dir`` wrote (PNG and SVG it lists as its own)."""
    folder = figures_dir(run_dir, lang)
    run_dir = Path(run_dir)
    return [run_dir / f for f in sorted(rundir.owned_files(run_dir))
            if (run_dir / f).parent == folder and f.endswith((".png", ".svg"))]


