"""The stages of a run, in order, and the runner that executes any stretch of them.

:data:`STAGES` is the one list of stages: read → clean → segment → duplicates → themes → summarise → drivers →
figures → write.  The first three are row-wise: each is a function of one :class:`Chunk` of rows (with the
:class:`RunState` as context), and the runner streams the input through them chunk by chunk
(:mod:`minetools.chunks`), so only one chunk of the file is held as read.  The others are global: functions of
the :class:`RunState` that read the tables earlier stages left there and add their own (``duplicates`` the
statuses over all rows, ``themes`` the theme columns, ``drivers`` the driver tables …).  The work itself is done
by functions of tables (:func:`minetools.clean.table.prepare_rows`, :func:`assign_themes`,
:mod:`minetools.summaries`, …).  :func:`run_stages` runs the named stages in list order with one progress line
and one timing each (one line for the pass of the row-wise stages), so ``run`` runs them all, ``evaluate`` stops
after ``themes`` and recomputing the drivers of a run directory starts and stops at ``drivers``.
"""

from __future__ import annotations

import hashlib
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from minetools import io, report, rundir, summaries
from minetools.chunks import ChunkSource, open_chunks
from minetools.clean.pii_columns import scrub_frame, scrub_json
from minetools.clean.table import ANALYSED, ASSIGNED, STATUSES, RowPlan, mark_duplicate_rows, merge_row_reports, \
    prepare_rows
from minetools.config import Settings
from minetools.model_choice import make_segmenter, theme_model_choice
from minetools.segment import Segmenter
from minetools.taxonomy import load_taxonomy
from minetools.themes import ThemeModel, labels_frame


class Progress:
    """Prints one line per stage with its duration (to stderr), and keeps the timings."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.i, self.timings = total, enabled, 0, {}

    def start(self, name: str, count: int = 1) -> float:
        first, self.i = self.i + 1, self.i + count
        if self.enabled:
            at = f"{first}" if count == 1 else f"{first}–{self.i}"
            print(f"[{at}/{self.total}] {name}", end="", file=sys.stderr, flush=True)
        return time.perf_counter()

    def detail(self, text: str) -> None:
        if self.enabled:
            print(f"{' ' + text if text else ''} …", end="", file=sys.stderr, flush=True)

    def done(self, name: str, t0: float, failed: bool, timings: dict | None = None) -> None:
        """The end of a stage (or of a pass of row-wise stages, whose own ``timings`` are given)."""
        dt = time.perf_counter() - t0
        self.timings.update({k: round(v, 3) for k, v in timings.items()} if timings else {name: round(dt, 3)})
        if self.enabled:
            print(" failed" if failed else f" {dt:.1f} s", file=sys.stderr, flush=True)


@dataclass
class RunState:
    """What flows between the stages: the settings, and each stage's tables (None until it ran)."""

    settings: Settings
    input_path: Path | None = None
    key: bytes | None = None  # pseudonym key (None: evaluation, nothing is written)
    given_model: object = None  # a ThemeModel or a model folder to apply, or None to choose one
    progress: Progress = field(default_factory=lambda: Progress(len(STAGES), False))
    carry: tuple = ()  # input columns kept as read, beside the table (human labels for fitting or evaluation)
    source: ChunkSource | None = None  # read: the input as chunks
    plan: RowPlan | None = None  # clean: what the first chunk decided for all
    carried: pd.DataFrame | None = None  # the ``carry`` columns of every row, as read
    df: pd.DataFrame | None = None  # clean (and the columns of later stages)
    privacy: dict | None = None
    parsing: dict | None = None
    analysed: np.ndarray | None = None  # rows counted in statistics
    assigned: np.ndarray | None = None  # positions of the rows that get themes
    texts: pd.Series | None = None  # the cleaned texts the model sees
    tokens: list | None = None  # segment: tokens of every row ([] where not segmented)
    segmenter: Segmenter | None = None
    model: ThemeModel | None = None  # themes
    model_info: dict | None = None  # adapted_to_input, fitted_on, source, reason
    taxonomy: object = None
    keys: list | None = None
    themes: pd.DataFrame | None = None  # summarise
    driver_table: pd.DataFrame | None = None  # drivers
    driver_meta: dict | None = None
    segments_table: pd.DataFrame | None = None
    change_table: pd.DataFrame | None = None
    warnings: list = field(default_factory=list)
    writer: rundir.RunWriter | None = None  # figures and write: the staging folder
    manifest: dict | None = None
    t_start: float = field(default_factory=time.perf_counter)

    def __post_init__(self):
        if self.settings.labels_col and self.settings.labels_col not in self.carry:
            self.carry = (*self.carry, self.settings.labels_col)

    def open_source(self) -> ChunkSource:
        """The input as chunks (opened once; the reader's errors are raised here)."""
        if self.source is None:
            cfg = self.settings
            self.source = open_chunks(self.input_path, chunk_rows=cfg.chunk_rows, text_col=cfg.text_col,
                                      score_col=cfg.score_col, date_col=cfg.date_col, sheet=cfg.sheet,
                                      encoding=cfg.encoding)
        return self.source

    def choose_model(self) -> tuple:
        """The model to apply (None: fit one on the input) and why; decided once, at the themes stage."""
        if self.model_info is None:
            model, adapted, reason, source = theme_model_choice(self.given_model, self.settings,
                                                                int(self.analysed.sum()))
            self.model = model
            self.model_info = {"adapted_to_input": adapted, "source": source, "reason": reason}
        return self.model, self.model_info


@dataclass
class Chunk:
    """One chunk of input rows on its way through the row-wise stages."""

    offset: int  # input row of its first row
    raw: pd.DataFrame
    df: pd.DataFrame | None = None  # clean
    reports: tuple | None = None  # clean: (privacy, parsing) of this chunk
    assigned: np.ndarray | None = None  # clean: positions (in the chunk) of the rows that get themes
    carried: pd.DataFrame | None = None
    tokens: list | None = None  # segment


def read(s: RunState, c: Chunk) -> None:
    """The chunk was read by the source (:mod:`minetools.chunks`); its time counts here."""


def clean(s: RunState, c: Chunk) -> None:
    c.df, privacy, parsing, s.plan = prepare_rows(c.raw, s.settings, key=s.key, meta=s.source.meta, offset=c.offset,
                                                  plan=s.plan)
    c.reports = (privacy, parsing)
    c.assigned = np.flatnonzero(c.df["status"].isin(ASSIGNED).to_numpy())
    c.carried = c.raw[[col for col in s.carry if col in c.raw.columns]].reset_index(drop=True)


def segment(s: RunState, c: Chunk) -> None:
    s.segmenter = s.segmenter or make_segmenter(s.settings)
    texts = c.df["text_clean"].fillna("").str.slice(0, s.settings.max_chars)
    c.tokens = segment_rows(c.df, texts, c.assigned, s.segmenter)


def _gather(s: RunState, parts: list[Chunk]) -> None:
    """The run's tables from its chunks, in input order."""
    frames = [c.df for c in parts]
    s.df = frames[0] if len(frames) == 1 else _concat_columns(frames)
    s.df.attrs = dict(frames[0].attrs)
    s.privacy, s.parsing = merge_row_reports([c.reports for c in parts])
    s.assigned = np.concatenate([c.assigned + c.offset for c in parts])
    s.carried = pd.concat([c.carried for c in parts], ignore_index=True)
    texts = s.df["text_clean"].fillna("")
    s.texts = texts.str.slice(0, s.settings.max_chars) if texts.str.len().max() > s.settings.max_chars else texts
    if parts[0].tokens is not None:  # also in s.df["tokens"]
        s.tokens = [t for c in parts for t in c.tokens]
    if s.source.streamed and not s.df["text_clean"].fillna("").str.strip().astype(bool).any():
        raise io.InputError(f"The text column {s.source.meta['columns']['text']!r} in {s.input_path} is empty in "
                            "every row. Choose the column that holds the complaint text with --text-col (columns: "
                            f"{', '.join(map(str, s.source.columns))}).")


def _concat_columns(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat(frames)``, one column at a time, each chunk's column freed once copied (the run's table is
    never held twice)."""
    columns = {}
    for col in frames[0].columns:
        columns[col] = pd.concat([f[col] for f in frames], ignore_index=True)
        for f in frames:
            del f[col]
    return pd.DataFrame(columns)


def duplicates(s: RunState) -> None:
    mark_duplicate_rows(s.df, s.settings, s.source.meta.get("row_problems", {}).get("notes", {}))
    s.analysed = s.df["status"].isin(ANALYSED).to_numpy()


def themes(s: RunState) -> None:
    model, info = s.choose_model()
    s.taxonomy = model.taxonomy_ if model is not None else load_taxonomy(s.settings.taxonomy)
    s.keys = list(s.taxonomy.keys)
    segmenter = s.segmenter or make_segmenter(s.settings)
    if model is None:
        model = ThemeModel(s.taxonomy, segmenter=segmenter, random_state=s.settings.seed)
        gold = gold_labels(s.carried, s.settings.labels_col, s.keys, s.input_path)[s.analysed] \
            if s.settings.labels_col else None
        model.fit(s.texts[s.analysed].tolist(), gold)
        s.model = model
    info["fitted_on"] = int(model.n_train_)
    same = s.tokens is not None and model.segmenter_ is not None and \
        model.segmenter_.config_hash() == segmenter.config_hash()
    assign_themes(s.df, model, s.texts, s.assigned, s.tokens if same else None)


def summarise(s: RunState) -> None:
    s.themes = summaries.themes_table(s.df, s.analysed, s.taxonomy, s.tokens, s.settings.seed)


def drivers(s: RunState) -> None:
    s.driver_table, s.driver_meta = summaries.drivers_table(s.df, s.analysed, s.keys, s.settings, s.warnings)
    s.segments_table, s.change_table = summaries.comparisons(s.df, s.analysed, s.keys, s.settings, s.driver_meta,
                                                             s.warnings)


def figures(s: RunState) -> None:
    for lang in rundir.FIGURE_LANGS if s.settings.render else ():
        if lang == "zh" or lang == s.settings.report_lang:
            from minetools.figures import draw_run_figures  # matplotlib only when charts are drawn
            draw_run_figures(rundir.figures_dir(s.writer.root, lang), s.df, s.analysed, s.themes, s.driver_table,
                             s.segments_table, s.change_table, s.keys, s.settings, lang=lang)


def write(s: RunState) -> None:
    """The tables, the model, the manifest and the report into the staging folder, then swapped into place."""
    writer = s.writer
    write_tables(writer, s)
    s.model.save(writer.path(rundir.MODEL_DIR))
    s.manifest = manifest(s)
    rundir.write_manifest(writer.root, s.manifest)
    if s.settings.render:
        report.write_report(writer.root, lang=s.settings.report_lang, redraw=False)
    s.manifest["timings_s"]["total"] = round(time.perf_counter() - s.t_start, 3)
    writer.commit(s.manifest)


@dataclass(frozen=True)
class Stage:
    name: str
    step: Callable  # (RunState) -> None, or (RunState, Chunk) -> None for a row-wise stage
    detail: Callable[[RunState], str]
    rowwise: bool = False


def _themes_detail(s: RunState) -> str:
    model, info = s.choose_model()
    return "fit and assign" if model is None else f"assign with the {info['source']}"


def _figures_detail(s: RunState) -> str:
    if not s.settings.render:
        return "skipped (tables only; draw them with 'minetools report')"
    return "zh + en" if s.settings.report_lang == "en" else ""


#: The order of a run, the one place it is written.
STAGES: tuple[Stage, ...] = (
    Stage("read", read, lambda s: str(s.input_path), rowwise=True),
    Stage("clean", clean, lambda s: "", rowwise=True),
    Stage("segment", segment, lambda s: "", rowwise=True),
    Stage("duplicates", duplicates, lambda s: f"{len(s.df):,} rows"),
    Stage("themes", themes, _themes_detail),
    Stage("summarise", summarise, lambda s: "theme table and proposed themes"),
    Stage("drivers", drivers, lambda s: f"{int(s.analysed.sum()):,} complaints"),
    Stage("figures", figures, _figures_detail),
    Stage("write", write, lambda s: str(s.writer.out)),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


def _run_rowwise(state: RunState, group: list[Stage]) -> None:
    """The row-wise stages ``group`` (starting with ``read``) on every chunk of the input, then the tables."""
    label = ", ".join(stage.name for stage in group)
    t0 = state.progress.start(label, len(group))
    timings = dict.fromkeys((stage.name for stage in group), 0.0)
    failed, parts, rows = True, [], 0
    try:
        state.progress.detail(str(state.input_path))
        if state.key is None:  # evaluation: pseudonyms are never written, but must agree across chunks
            import secrets

            state.key = secrets.token_bytes(32)
        t = time.perf_counter()
        state.open_source()
        for offset, raw in state.source.chunks():
            timings["read"] += time.perf_counter() - t
            chunk = Chunk(offset, raw)
            for stage in group[1:]:
                t = time.perf_counter()
                stage.step(state, chunk)
                timings[stage.name] += time.perf_counter() - t
            chunk.raw = None  # only this chunk's rows were held as read
            parts.append(chunk)
            rows += len(chunk.df)
            if state.source.streamed:
                state.progress.detail(f"{rows:,} rows")
            t = time.perf_counter()
        t = time.perf_counter()
        _gather(state, parts)
        timings[group[-1].name] += time.perf_counter() - t
        if not state.source.streamed:
            state.progress.detail(f"{len(state.df):,} rows")
        failed = False
    finally:
        state.progress.done(label, t0, failed, timings)


def run_stages(state: RunState, names: Sequence[str] | None = None) -> RunState:
    """Run the stages ``names`` (all by default) in the order of :data:`STAGES` on ``state``.

    Row-wise stages must start at ``read``: they run as one pass over the input's chunks."""
    wanted = list(STAGE_NAMES if names is None else names)
    unknown = [n for n in wanted if n not in STAGE_NAMES]
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; the stages are {', '.join(STAGE_NAMES)}")
    rowwise = [stage for stage in STAGES if stage.rowwise and stage.name in wanted]
    if rowwise:
        if rowwise[0].name != "read":
            raise ValueError(f"the row-wise stages {', '.join(st.name for st in rowwise)} run on chunks of the input "
                             "and need 'read' first")
        _run_rowwise(state, rowwise)
    for stage in STAGES:
        if stage.rowwise or stage.name not in wanted:
            continue
        t0 = state.progress.start(stage.name)
        failed = True
        try:
            state.progress.detail(stage.detail(state))
            stage.step(state)
            failed = False
        finally:
            state.progress.done(stage.name, t0, failed)
    return state


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


def segment_rows(df: pd.DataFrame, texts: pd.Series, idx: np.ndarray, segmenter: Segmenter) -> list[list[str]]:
    """Tokens of rows ``idx`` (``[]`` for the others), also written to ``df["tokens"]``."""
    tokens = [[] for _ in range(len(df))]
    for i, toks in zip(idx, segmenter.segment(texts.iloc[idx].tolist())):
        tokens[i] = toks
    df["tokens"] = pd.Series(tokens, dtype=object)
    return tokens


def check_labels_column(columns, column: str, input_path) -> None:
    """A clear error when the human-labels column is not among the input's ``columns``."""
    if column not in columns:
        raise io.InputError(f"Labels column {column!r} is not in {input_path}. "
                            f"Columns found: {', '.join(map(str, columns))}.")


def gold_labels(raw: pd.DataFrame, column: str, keys, input_path) -> pd.DataFrame:
    """0/1 theme matrix from a column of human labels (empty = none of the themes)."""
    check_labels_column(raw.columns, column, input_path)
    try:
        return labels_frame(raw[column].reset_index(drop=True), keys)
    except ValueError as exc:
        raise io.InputError(f"{input_path}, column {column!r}: {exc}") from None


def write_tables(writer: rundir.RunWriter, s: RunState) -> None:
    """complaints.parquet/.csv and the summary tables, every string checked once more for personal data."""
    safe = {c for c, t in s.privacy["columns"].items()
            if t["treatment"] in ("kept", "pseudonymised", "masked", "unchanged")}  # each decided on in prepare
    safe |= {"text_clean", "tokens", "themes"}  # masked twice already; lists of tokens of text_clean
    complaints = scrub_frame(s.df, skip=safe)
    write_parquet(complaints, writer.path(rundir.COMPLAINTS_PARQUET))
    csv_frame = complaints.drop(columns=["tokens"] + [f"score_{k}" for k in s.keys])
    csv_frame["themes"] = ["|".join(t) for t in complaints["themes"]]
    io.write_csv(csv_frame, writer.path(rundir.COMPLAINTS_CSV))
    for name, table in ((rundir.THEMES_CSV, s.themes), (rundir.DRIVERS_CSV, s.driver_table),
                        (rundir.SEGMENTS_CSV, s.segments_table), (rundir.CHANGE_CSV, s.change_table)):
        if table is not None:
            io.write_csv(scrub_frame(table), writer.path(name))


def write_parquet(df: pd.DataFrame, path, *, rows_per_group: int = 100_000) -> None:
    """``df.to_parquet(path)``, converted and written one row group of ``rows_per_group`` rows at a time (a large
    table is never held twice)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.Schema.from_pandas(df, preserve_index=False)
    with pq.ParquetWriter(path, schema) as out:
        for lo in range(0, max(len(df), 1), rows_per_group):
            out.write_table(pa.Table.from_pandas(df.iloc[lo:lo + rows_per_group], schema=schema,
                                                 preserve_index=False))


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


def manifest(s: RunState) -> dict:
    """manifest.json: versions, settings, hashes, row accounting, privacy, timings (every string checked)."""
    df = s.df
    counts = df["status"].value_counts().reindex(list(STATUSES), fill_value=0)
    source = {k: v for k, v in s.source.meta.items() if k != "row_problems"}
    problems = s.source.meta.get("row_problems", {})
    info = s.model_info
    out = {
        "minetools_version": _versions()["minetools"],
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(sys.argv),
        "input": {**source, "sha256": _file_hash(s.input_path), "rows": len(df),
                  "records_invalid": len(problems.get("invalid", {})), "records_repaired": len(problems.get("notes", {})),
                  "nul_bytes_removed": problems.get("removed_nul", 0)},
        "settings": s.settings.to_dict(),
        "versions": _versions(),
        "hashes": {"taxonomy": s.taxonomy.hash, "model": s.model.model_hash_,
                   "bank_dict": _file_hash(Path(__file__).parent / "resources" / "bank_dict.txt")},
        "theme_model": {"adapted_to_input": info["adapted_to_input"], "fitted_on": info["fitted_on"],
                        "source": info["source"], "reason": info["reason"]},
        "seed": s.settings.seed,
        "rows": {"input": len(df), **{k: int(v) for k, v in counts.items()}, "balanced": int(counts.sum()) == len(df)},
        "pii_masked": s.privacy["masked"],
        "privacy": {"columns": s.privacy["columns"], "renamed_input_columns": s.privacy["renamed"],
                    "pseudonym_key_id": hashlib.sha256(s.key).hexdigest()[:12]},
        "duplicates": {"exact": int(df["status_reason"].str.startswith("same text as").fillna(False).sum()),
                       "near": int(df["status_reason"].str.startswith("near-duplicate of").fillna(False).sum()),
                       "threshold": s.settings.dup_threshold},
        "parsing": s.parsing,
        "drivers": summaries.drivers_meta(s.driver_meta, s.change_table),
        "warnings": s.warnings,
        "driver_warnings": list(s.warnings),
        "timings_s": s.progress.timings,
        "columns": df.drop(columns=["tokens", "themes"]).columns.tolist(),
    }
    return scrub_json(out)
