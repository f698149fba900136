"""Read complaint exports (CSV/TSV/Excel/Parquet/JSONL) and map their columns.

``read_complaints`` returns the file's columns untouched, as strings where the file
stores text, and records in ``df.attrs["minetools"]`` what it found: the format, the
detected encoding and which original column plays each canonical role (``text``,
``satisfaction``, ``date``, ``branch``, ``channel``, ``customer_type``, ``id``).
"""

from __future__ import annotations

import codecs
import csv
import io as _io
import json
from pathlib import Path

import pandas as pd

from minetools.config import MinetoolsError

__all__ = ["InputError", "read_complaints", "CANONICAL", "COLUMN_SYNONYMS", "write_csv"]


class InputError(MinetoolsError, ValueError):
    """An input file that cannot be read as complaints; the message says what to do."""


CANONICAL = ("id", "text", "satisfaction", "date", "branch", "channel", "customer_type")

#: Header names (lower-cased, spaces removed) recognised for each canonical column, in priority order.
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "complaint", "complaint_text", "description", "comment", "投诉内容",
             "投诉描述", "问题描述", "客户诉求", "诉求内容", "内容", "描述", "投诉详情", "反馈内容",
             "意见内容", "留言", "评论", "工单内容"),
    "satisfaction": ("satisfaction", "score", "rating", "csat", "满意度", "评分", "回访结果", "满意度评价",
                     "客户满意度", "评价", "打分"),
    "date": ("date", "created_at", "received_at", "日期", "投诉日期", "受理时间", "受理日期", "投诉时间",
             "创建时间", "提交时间", "时间"),
    "branch": ("branch", "organization", "网点", "机构", "支行", "营业网点", "所属机构", "网点名称", "被投诉机构"),
    "channel": ("channel", "source", "渠道", "来源", "投诉渠道", "受理渠道"),
    "customer_type": ("customer_type", "segment", "客户类型", "客户类别", "客户分类"),
    "id": ("id", "record_id", "ticket_id", "编号", "工单号", "投诉编号", "序号", "单号"),
}

_FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".xlsx": "excel", ".xlsm": "excel",
            ".xls": "excel", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".json": "jsonl"}


def _norm(name) -> str:
    return str(name).strip().lower().replace(" ", "").replace("\ufeff", "")


def detect_encoding(raw: bytes) -> str:
    """The encoding of a text file's bytes: BOMs first, then UTF-8, then GB18030, then a detector."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
        return "gb18030"  # a superset of GBK and GB2312: preferred for Chinese bytes
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:200_000]).best()
    if best is None:
        raise InputError("unreadable encoding")
    return best.encoding


def _read_text_table(path: Path, sep: str | None, encoding: str | None) -> tuple[pd.DataFrame, str]:
    raw = path.read_bytes()
    enc = encoding or detect_encoding(raw)
    try:
        text = raw.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(
            f"Could not decode {path} as {enc} ({exc}). Save it as UTF-8 or pass the right "
            "encoding (--encoding gb18030, utf-16 ...)."
        ) from None
    text = text.lstrip("\ufeff")
    if sep is None:
        try:
            sep = csv.Sniffer().sniff(text[:20_000], delimiters=",\t;|").delimiter
        except csv.Error:
            sep = ","
    try:
        df = pd.read_csv(_io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise InputError(f"{path} is not a well-formed {'TSV' if sep == chr(9) else 'CSV'} file: {exc}") from None
    return df, enc


def read_complaints(
    path: str | Path,
    *,
    text_col: str | None = None,
    score_col: str | None = None,
    date_col: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a complaint export and find its text, score and date columns.

    Parameters
    ----------
    path : CSV, TSV, XLSX/XLS, Parquet or JSONL file.
    text_col, score_col, date_col : explicit column names; they override header mapping.
    sheet : Excel sheet name or index (default: the first sheet).
    encoding : text-file encoding; detected when omitted (GB18030 preferred over GBK).

    Returns
    -------
    DataFrame with the file's columns untouched; ``df.attrs["minetools"]`` holds ``path``,
    ``format``, ``encoding`` and ``columns`` (canonical name → original column name).

    Raises
    ------
    InputError
        missing file, unsupported format, no text column, text column entirely empty.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"Input file not found: {path}. Check the path (relative paths start from {Path.cwd()}).")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the complaint file inside it (CSV, Excel, Parquet or JSONL).")
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"Unsupported file type {path.suffix or '(none)'!r} for {path}. minetools reads "
            ".csv, .tsv, .txt, .xlsx, .xls, .parquet and .jsonl; save the export in one of these."
        )
    used_encoding = None
    try:
        if fmt in ("csv", "tsv"):
            df, used_encoding = _read_text_table(path, "\t" if fmt == "tsv" else None, encoding)
        elif fmt == "excel":
            df = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str, keep_default_na=False)
        elif fmt == "parquet":
            df = pd.read_parquet(path)
        else:
            raw = path.read_bytes()
            used_encoding = encoding or detect_encoding(raw)
            rows = [json.loads(line) for line in raw.decode(used_encoding).lstrip("\ufeff").splitlines() if line.strip()]
            df = pd.DataFrame(rows)
    except InputError:
        raise
    except (ValueError, OSError, ImportError, json.JSONDecodeError) as exc:
        raise InputError(f"Could not read {path} as {fmt}: {exc}") from None

    df.columns = [str(c).strip() for c in df.columns]
    columns = map_columns(df, path=path, text_col=text_col, score_col=score_col, date_col=date_col)
    text = df[columns["text"]]
    if text.isna().all() or (text.astype(str).str.strip() == "").all():
        raise InputError(
            f"The text column {columns['text']!r} in {path} is empty in every row. "
            f"Choose the column that holds the complaint text with --text-col (columns: {', '.join(df.columns)})."
        )
    df.attrs["minetools"] = {"path": str(path), "format": fmt, "encoding": used_encoding, "columns": columns}
    return df


def map_columns(df: pd.DataFrame, *, path=None, text_col=None, score_col=None, date_col=None) -> dict[str, str]:
    """Canonical name → original column name, from explicit flags first, then header synonyms."""
    explicit = {"text": text_col, "satisfaction": score_col, "date": date_col}
    where = f" in {path}" if path else ""
    found: dict[str, str] = {}
    for canon, col in explicit.items():
        if col is not None:
            if col not in df.columns:
                flag = {"text": "--text-col", "satisfaction": "--score-col", "date": "--date-col"}[canon]
                raise InputError(
                    f"Column {col!r} given with {flag} is not{where}. Columns found: {', '.join(df.columns)}."
                )
            found[canon] = col
    normalized = {_norm(c): c for c in df.columns}
    taken = set(found.values())
    for canon, names in COLUMN_SYNONYMS.items():
        if canon in found:
            continue
        for name in names:
            col = normalized.get(_norm(name))
            if col is not None and col not in taken:
                found[canon] = col
                taken.add(col)
                break
    if "text" not in found:
        raise InputError(
            f"No complaint-text column found{where}. Columns found: {', '.join(map(str, df.columns))}. "
            "Name the column that holds the complaint text with --text-col, e.g. --text-col 投诉内容."
        )
    return found


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV that opens in Excel (UTF-8 with BOM) with formula-like cells neutralised."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_neutralise)
    out.to_csv(path, index=False, encoding="utf-8-sig")
