"""The clean stage: one table in, the cleaned table out, with every row's status and its privacy report.

``prepare`` protects every column (:mod:`minetools.clean.pii_columns`), cleans the complaint
text (normalise → mask → URLs, Traditional script, repeated punctuation), gives every row a
status and a reason (a record the reader could not trust is ``invalid``), marks duplicates
and parses scores and dates. Input columns named like the columns a run adds (``status``,
``themes`` …) are kept under an ``input_`` prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from minetools.clean.dedup import mark_duplicates
from minetools.clean.pii import PII_KINDS, mask_texts, placeholder
from minetools.clean.pii_columns import ColumnTreatment, protect_columns
from minetools.clean.status import classify_text, clean_texts, dedup_key
from minetools.parse import canonical_frame

__all__ = ["prepare", "prepare_rows", "mark_duplicate_rows", "merge_row_reports", "RowPlan", "STATUSES", "ANALYSED", "ASSIGNED", "RESERVED_COLUMNS", "RECEIVED_NAMES", "CLOSED_NAMES"]

STATUSES = ("ok", "duplicate", "empty", "invalid", "truncated")
#: statuses whose rows enter counts and statistics (each complaint once)
ANALYSED = ("ok", "truncated")
#: statuses whose rows get tokens and themes
ASSIGNED = ("ok", "truncated", "duplicate")
#: columns a run writes; an input column of the same name (or theme_*/score_*) is renamed input_<name>
RESERVED_COLUMNS = ("record_id", "text_clean", "status", "status_reason", "duplicate_of", "score", "score_issue",
                    "date_issue", "month", "handling_days", "closed_late", "tokens", "themes", "score_proxy",
                    "branch", "channel", "customer_type")
#: Headers recognised as the time a complaint was received / closed (lower-cased).
RECEIVED_NAMES = ("received_at", "received", "受理时间", "投诉时间", "登记时间", "创建时间")
CLOSED_NAMES = ("closed_at", "closed", "resolved_at", "办结时间", "结案时间", "完成时间", "关闭时间", "处理完成时间",
                "回复时间")


def _rename_reserved(df: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.DataFrame, dict[str, str], dict]:
    """Input columns named like a run's own get an ``input_`` prefix (a role column named as its role stays)."""
    renamed = {}
    for col in list(df.columns):
        own_role = col in ("branch", "channel", "customer_type") and columns.get(col) == col
        if (col in RESERVED_COLUMNS or col.startswith(("theme_", "score_"))) and not own_role:
            new = f"input_{col}"
            while new in df.columns or new in renamed.values():
                new = f"input_{new}"
            renamed[col] = new
    if renamed:
        df = df.rename(columns=renamed)
        columns = {role: renamed.get(col, col) for role, col in columns.items()}
    return df, columns, renamed


def _statuses(df: pd.DataFrame, invalid: dict, settings) -> None:
    """``status`` and ``status_reason`` of every row from its own text (duplicates are marked later, over all
    rows: :func:`mark_duplicate_rows`); ``invalid`` maps rows of ``df`` the reader could not trust to why."""
    status = [classify_text(t, max_chars=settings.max_chars) for t in df["text_clean"]]
    df["status"] = pd.Series([s for s, _ in status], dtype="string")
    df["status_reason"] = pd.Series([r for _, r in status], dtype="string")
    for row, reason in invalid.items():
        df.loc[row, ["status", "status_reason"]] = ["invalid", reason]


def mark_duplicate_rows(df: pd.DataFrame, settings, notes: dict | None = None) -> None:
    """Status ``duplicate`` and ``duplicate_of`` for resubmissions, over every row of the run (in place);
    then the repairs the reader made (``notes``: row → what was repaired) are added to the reasons."""
    eligible = df["status"].isin(ANALYSED)
    first = mark_duplicates(df["text_clean"], eligible, threshold=settings.dup_threshold)
    dup = first.notna()
    df["duplicate_of"] = pd.array([pd.NA] * len(df), dtype="Int64")
    df.loc[dup, "duplicate_of"] = df.loc[first[dup].astype(int), "record_id"].to_numpy()
    df.loc[dup, "status"] = "duplicate"
    exact = [dedup_key(a) == dedup_key(b)
             for a, b in zip(df.loc[dup, "text_clean"], df.loc[first[dup].astype(int), "text_clean"])]
    df.loc[dup, "status_reason"] = [f"{'same text as' if same else 'near-duplicate of'} record {rid}"
                                    for same, rid in zip(exact, df.loc[dup, "duplicate_of"])]
    for row, note in (notes or {}).items():  # repairs the reader made: said, never hidden
        reason = df.at[row, "status_reason"]
        df.at[row, "status_reason"] = f"{reason}; {note}" if reason else note


def _timestamp_columns(raw: pd.DataFrame, settings) -> tuple[str | None, str | None]:
    """The received/closed timestamp columns (settings first, then known headers)."""
    from minetools.config import MinetoolsError

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


@dataclass(frozen=True)
class RowPlan:
    """What the first chunk of a file decides for every later one, so that each chunk is treated alike:
    the personal-data kind of each column judged by its content, and the satisfaction scale."""

    kinds: dict = field(default_factory=dict)  # column → kind (or None), from the first chunk's cells
    score_scale: str | None = None


def prepare_rows(raw: pd.DataFrame, settings, *, key: bytes, meta: dict, offset: int = 0,
                 plan: RowPlan | None = None) -> tuple[pd.DataFrame, dict, dict, RowPlan]:
    """The row-wise part of :func:`prepare` on one chunk of a file (rows ``offset`` … of the input).

    ``meta`` is the reader's ``attrs["minetools"]`` (columns, row problems by 0-based input row);
    ``plan`` what the first chunk decided (None for the first chunk: decided here). Returns the
    chunk's frame (``duplicate_of`` still empty), its column treatments, its parsing summary and the plan.
    """
    df = raw.reset_index(drop=True).copy()
    df.attrs = {}
    df, columns, renamed = _rename_reserved(df, dict(meta["columns"]))
    text_col = columns["text"]
    kept_raw = text_col if settings.keep_raw_text else None
    protected, treatments = protect_columns(df, key=key, keep=tuple(settings.keep_columns), raw_text_col=kept_raw,
                                            text_col=text_col, id_col=columns.get("id"),
                                            kinds=None if plan is None else plan.kinds)
    masked_text = protected[text_col].fillna("").tolist() if kept_raw is None else \
        mask_texts(df[text_col].astype("string").fillna("").tolist())[0]
    df = protected
    df["record_id"] = np.arange(offset + 1, offset + len(df) + 1)
    df["text_clean"] = pd.Series(clean_texts(masked_text), dtype="string")
    invalid = meta.get("row_problems", {}).get("invalid", {})
    _statuses(df, {r - offset: why for r, why in invalid.items() if offset <= r < offset + len(df)}, settings)
    df["duplicate_of"] = pd.array([pd.NA] * len(df), dtype="Int64")

    scale = settings.score_scale if plan is None else plan.score_scale
    canon = canonical_frame(raw.reset_index(drop=True).rename(columns=renamed), scale=scale, columns=columns)
    df["score"] = canon["score"]
    df["score_issue"] = canon["score_issue"].astype("string")
    df["date_issue"] = canon["date_issue"].astype("string")
    df["month"] = canon["date"].dt.strftime("%Y-%m").astype("string")
    for role in ("branch", "channel", "customer_type"):
        if role in columns and columns[role] != role:
            df[role] = df[columns[role]]  # the protected (masked) values, never the raw ones
    received, closed = _timestamp_columns(raw, settings)
    if received and closed:
        from minetools.drivers import handling_time

        timing = handling_time(raw[received].reset_index(drop=True), raw[closed].reset_index(drop=True),
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
    if plan is None:
        plan = RowPlan({c: t.kind for c, t in treatments.items() if t.detected_by == "content"},
                       canon.attrs["score_scale"])
    return df, {"columns": treatments, "renamed": renamed}, parsing, plan


def merge_row_reports(parts: list[tuple[dict, dict]]) -> tuple[dict, dict]:
    """The privacy report and the parsing summary of a whole file from those of its chunks."""
    columns: dict[str, ColumnTreatment] = {}
    for privacy, _ in parts:
        for col, t in privacy["columns"].items():
            seen = columns.get(col)
            if seen is None:
                columns[col] = ColumnTreatment(t.treatment, t.kind, t.detected_by, dict(t.masked))
                continue
            if t.treatment == "masked" and seen.treatment == "unchanged":  # a chunk found something
                seen.treatment, seen.kind, seen.detected_by = t.treatment, t.kind, t.detected_by
            for k, n in t.masked.items():
                seen.masked[k] = seen.masked.get(k, 0) + n
    masked_counts = {k: sum(t.masked.get(k, 0) for t in columns.values()) for k in PII_KINDS}
    privacy = {"masked": {placeholder(k).strip("[]"): n for k, n in masked_counts.items()},
               "columns": {c: t.to_dict() for c, t in columns.items()}, "renamed": parts[0][0]["renamed"]}
    first = parts[0][1]
    parsing = {"score_scale": first["score_scale"]}
    for name in ("score_missing", "score_issues", "date_missing", "date_issues"):
        values = [p[name] for _, p in parts]
        parsing[name] = None if values[0] is None else sum(values)
    return privacy, parsing


def prepare(raw: pd.DataFrame, settings, *, key: bytes | None = None) -> tuple[pd.DataFrame, dict, dict]:
    """Protect every column, clean the text, parse scores and dates, and give every row a status.

    ``raw`` is a table from :func:`minetools.io.read_complaints`; ``settings`` the run's
    :class:`~minetools.config.Settings`; ``key`` the pseudonym key (a throwaway random key
    when None, so pseudonyms are then not comparable across runs).

    Returns the frame (input columns first, protected; then record_id, text_clean, status,
    status_reason, duplicate_of, score, score_issue, date_issue, month, role and handling-time
    columns), the privacy report (``masked`` per placeholder, ``columns`` treatment per
    column, ``renamed`` input columns) and a summary of parsing. A run does the same in chunks
    (:func:`prepare_rows` on each, then :func:`mark_duplicate_rows` over all).
    """
    import secrets

    meta = raw.attrs["minetools"]
    df, privacy, parsing, _ = prepare_rows(raw, settings, key=key or secrets.token_bytes(32), meta=meta)
    mark_duplicate_rows(df, settings, meta.get("row_problems", {}).get("notes", {}))
    privacy, parsing = merge_row_reports([(privacy, parsing)])
    return df, privacy, parsing
