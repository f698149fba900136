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
import re
from pathlib import Path

import pandas as pd

from minetools.config import MinetoolsError

__all__ = [
    "InputError", "read_complaints", "canonical_frame", "parse_dates", "parse_scores", "CANONICAL",
    "COLUMN_SYNONYMS", "SCORE_WORDS", "write_csv",
]


class InputError(MinetoolsError, ValueError):
    """An input file that cannot be read as complaints; the message says what to do."""


CANONICAL = ("id", "text", "satisfaction", "date", "branch", "channel", "customer_type")

#: Header names (lower-cased, spaces removed) recognised for each canonical column, in priority order.
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "complaint", "complaint_text", "description", "comment", "投诉内容",
             "投诉描述", "问题描述", "客户诉求", "诉求内容", "内容", "描述", "投诉详情", "反馈内容",
             "意见内容", "留言", "评论", "工单内容"),
    "satisfaction": ("satisfaction", "score", "rating", "csat", "满意度", "评分", "回访结果", "满意度评价", "回访满意度",
                     "客户满意度", "评价", "打分"),
    "date": ("date", "created_at", "received_at", "日期", "投诉日期", "受理时间", "受理日期", "投诉时间",
             "创建时间", "提交时间", "时间"),
    "branch": ("branch", "organization", "网点", "机构", "支行", "营业网点", "所属机构", "网点名称", "被投诉机构"),
    "channel": ("channel", "source", "渠道", "来源", "投诉渠道", "受理渠道"),
    "customer_type": ("customer_type", "segment", "客户类型", "客户类别", "客户分类"),
    "id": ("id", "record_id", "ticket_id", "编号", "工单号", "投诉编号", "序号", "单号"),
}

#: Second pass: a header that contains one of these stems takes the role (e.g. 回访满意度, 投诉内容摘要).
COLUMN_STEMS: dict[str, tuple[str, ...]] = {
    "text": ("内容", "描述", "诉求", "详情", "正文", "content", "text", "description"),
    "satisfaction": ("满意", "评分", "评价", "score", "rating", "satisf"),
    "date": ("时间", "日期", "date", "time"),
    "branch": ("网点", "机构", "支行", "branch"),
    "channel": ("渠道", "来源", "channel"),
    "customer_type": ("客户类", "客户分", "segment"),
    "id": ("编号", "单号", "工单号", "流水号", "ticket"),
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
    try:
        enc = encoding or detect_encoding(raw)
    except InputError:
        raise InputError(
            f"Could not tell the text encoding of {path}: it is neither UTF-8, UTF-16 nor GB18030/GBK. "
            "Save it as UTF-8 (Excel: 'CSV UTF-8') or pass --encoding."
        ) from None
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


def _read_excel(path: Path, sheet, text_col) -> tuple[pd.DataFrame, str]:
    """One sheet of a workbook: the one named, else the first whose header has a text column."""
    sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    names = list(sheets)
    if sheet is not None:
        key = sheet if sheet in sheets else (names[int(sheet)] if str(sheet).isdigit() and int(sheet) < len(names) else None)
        if key is None:
            raise InputError(f"Sheet {sheet!r} is not in {path}. Sheets: {', '.join(map(str, names))}. Pass one with --sheet.")
        return sheets[key], key
    for name, frame in sheets.items():
        frame.columns = [str(c).strip() for c in frame.columns]
        if (text_col and text_col in frame.columns) or _find_text_column(frame) is not None:
            return frame, name
    if not names:
        raise InputError(f"{path} has no sheets.")
    return sheets[names[0]], names[0]


def _find_text_column(frame: pd.DataFrame) -> str | None:
    normalized = {_norm(c): c for c in frame.columns}
    return next((normalized[_norm(n)] for n in COLUMN_SYNONYMS["text"] if _norm(n) in normalized), None)


def _read_jsonl(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    raw = path.read_bytes()
    used = encoding or detect_encoding(raw)
    rows = []
    for number, line in enumerate(raw.decode(used).lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}, line {number}: not valid JSON ({exc.msg}). Each line must hold one JSON object.") from None
        if not isinstance(record, dict):
            raise InputError(f"{path}, line {number}: expected a JSON object with named fields, got {type(record).__name__}.")
        rows.append(record)
    return pd.DataFrame(rows), used


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
    sheet : Excel sheet name or index (default: the first sheet whose header has a text column).
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
    sheet_used = None
    try:
        if fmt in ("csv", "tsv"):
            df, used_encoding = _read_text_table(path, "\t" if fmt == "tsv" else None, encoding)
        elif fmt == "excel":
            df, sheet_used = _read_excel(path, sheet, text_col)
        elif fmt == "parquet":
            df = pd.read_parquet(path)
        else:
            df, used_encoding = _read_jsonl(path, encoding)
    except InputError:
        raise
    except (ValueError, OSError, ImportError, KeyError) as exc:
        raise InputError(f"Could not read {path} as {fmt}: {exc}") from None

    df.columns = [str(c).strip() for c in df.columns]
    columns = map_columns(df, path=path, text_col=text_col, score_col=score_col, date_col=date_col)
    text = df[columns["text"]]
    if text.isna().all() or (text.astype(str).str.strip() == "").all():
        raise InputError(
            f"The text column {columns['text']!r} in {path} is empty in every row. "
            f"Choose the column that holds the complaint text with --text-col (columns: {', '.join(df.columns)})."
        )
    df.attrs["minetools"] = {"path": str(path), "format": fmt, "encoding": used_encoding, "sheet": sheet_used,
                             "columns": columns}
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
    for canon, stems in COLUMN_STEMS.items():
        if canon in found:
            continue
        for col in df.columns:
            if col not in taken and any(stem in _norm(col) for stem in stems):
                found[canon] = col
                taken.add(col)
                break
    if "text" not in found:
        raise InputError(
            f"No complaint-text column found{where}. Columns found: {', '.join(map(str, df.columns))}. "
            "Name the column that holds the complaint text with --text-col, e.g. --text-col 投诉内容."
        )
    return found


# --- parsing dates and scores -----------------------------------------------------------
_CN_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_DOTTED = re.compile(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})")
_COMPACT = re.compile(r"^(19|20)\d{6}$")
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_BLANKS = {"", "nan", "nat", "none", "null", "-", "—", "/", "n/a", "na"}


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates written in the forms exports use; flag what cannot be parsed.

    Understands ``2024-03-05 14:22``, ``2024/3/5``, ``2024.03.05``, ``2024年3月5日``,
    ``20240305`` and Excel serial day numbers (``45356``). Returns ``(dates, issues)``:
    datetimes (NaT when blank or unparseable) and, per row, a reason string for values
    that were present but could not be read (NA otherwise).
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values), pd.Series(pd.NA, index=values.index, dtype="string")
    text = values.astype("string").str.strip()
    blank = text.isna() | text.str.lower().isin(_BLANKS)
    norm = text.str.replace(_CN_DATE, lambda m: f"{m[1]}-{m[2]}-{m[3]}", regex=True)
    norm = norm.str.replace(_DOTTED, lambda m: f"{m[1]}-{m[2]}-{m[3]}", regex=True)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    serial = norm.str.match(_SERIAL).fillna(False) & ~blank
    if serial.any():
        days = pd.to_numeric(norm[serial], errors="coerce")
        out[serial] = pd.to_datetime(days, unit="D", origin="1899-12-30")
    compact = norm.str.match(_COMPACT).fillna(False) & ~blank & ~serial
    if compact.any():
        out[compact] = pd.to_datetime(norm[compact], format="%Y%m%d", errors="coerce")
    rest = ~blank & ~serial & ~compact
    if rest.any():
        parsed = pd.to_datetime(norm[rest], format="ISO8601", errors="coerce")
        retry = parsed.isna()
        if retry.any():
            parsed[retry] = pd.to_datetime(norm[rest][retry], format="mixed", errors="coerce")
        out[rest] = parsed
    issues = pd.Series(pd.NA, index=values.index, dtype="string")
    bad = ~blank & out.isna()
    issues[bad] = "unparseable date " + text[bad].str.slice(0, 30).map(repr)
    return out, issues


#: survey words → points on the 1–5 scale
SCORE_WORDS = {"非常满意": 5, "很满意": 5, "十分满意": 5, "满意": 4, "比较满意": 4, "较满意": 4, "基本满意": 3,
               "一般": 3, "不太满意": 2, "不满意": 2, "较不满意": 2, "很不满意": 1, "非常不满意": 1, "极不满意": 1}
_NO_RESPONSE = {"未回访", "无法联系", "联系不上", "拒绝回访", "拒访", "未评价", "未接通", "不评价", "无回复", "未答复"}
SCALES = {"1-5": (1, 5), "1-10": (1, 10), "0-10": (0, 10), "0-100": (0, 100), "binary": (0, 1)}


def _detect_scale(numbers: pd.Series) -> str:
    """The narrowest common scale holding at least 98% of the values (stray typos are flagged, not obeyed)."""
    valid = numbers.dropna()
    if valid.empty or valid.between(1, 5).mean() >= 0.98:
        return "1-5"
    if valid.between(0, 10).mean() >= 0.98:
        return "0-10" if (valid == 0).any() else "1-10"
    return "0-100"


def parse_scores(values: pd.Series, *, scale: str | None = None) -> tuple[pd.Series, pd.Series, str]:
    """Satisfaction as points on a 1–5 scale, whatever the export used.

    Numbers are read on ``scale`` ("1-5", "1-10", "0-10", "0-100", "binary") or on the
    scale detected from their range, and mapped linearly to 1–5. Survey words
    (非常满意 … 非常不满意) map to 5 … 1; when the only words are 满意/不满意 the scale is
    "binary" and they map to 5 and 1. Returns ``(scores, issues, scale)``; ``issues`` names,
    per row, a non-response (未回访 …), a value outside the scale or an unreadable value.
    """
    if scale is not None and scale not in SCALES:
        raise InputError(f"Unknown satisfaction scale {scale!r}; use one of {', '.join(SCALES)}.")
    text = values.astype("string").str.strip()
    blank = text.isna() | text.str.lower().isin(_BLANKS)
    numbers = pd.to_numeric(text.str.replace(r"分$", "", regex=True), errors="coerce")
    words = text.map(SCORE_WORDS.get, na_action="ignore").astype("Float64")
    present_words = set(text[words.notna()].dropna().unique())
    if scale is None:
        if numbers.notna().any():
            scale = _detect_scale(numbers)
        elif present_words and present_words <= {"满意", "不满意"}:
            scale = "binary"
        else:
            scale = "1-5"
    lo, hi = SCALES[scale]
    if scale == "binary":
        words = text.map({"满意": 5, "不满意": 1}.get, na_action="ignore").astype("Float64")
    inside = numbers.between(lo, hi)
    rescaled = 1 + 4 * (numbers - lo) / (hi - lo)
    scores = rescaled.where(inside).astype("Float64").fillna(words).astype(float)
    issues = pd.Series(pd.NA, index=values.index, dtype="string")
    no_response = text.isin(_NO_RESPONSE).fillna(False)
    issues[no_response] = "no survey response (" + text[no_response] + ")"
    outside = numbers.notna() & ~inside
    issues[outside] = "outside the " + scale + " scale (" + text[outside] + ")"
    unread = ~blank & pd.isna(scores) & issues.isna()
    issues[unread] = "unparseable satisfaction " + text[unread].str.slice(0, 30).map(repr)
    return scores, issues, scale


def canonical_frame(df: pd.DataFrame, *, scale: str | None = None) -> pd.DataFrame:
    """The canonical view of a table read by :func:`read_complaints`.

    Columns: id, text, score (1–5), score_issue, date (datetime), date_issue, branch,
    channel, customer_type — one row per input row, in order; missing roles are NA.
    ``attrs["score_scale"]`` records the satisfaction scale used.
    """
    columns = df.attrs["minetools"]["columns"]
    out = pd.DataFrame(index=df.index)
    out["id"] = df[columns["id"]].astype("string") if "id" in columns else pd.NA
    out["text"] = df[columns["text"]].astype("string")
    if "satisfaction" in columns:
        out["score"], out["score_issue"], used = parse_scores(df[columns["satisfaction"]], scale=scale)
    else:
        out["score"], out["score_issue"], used = float("nan"), pd.NA, None
    if "date" in columns:
        out["date"], out["date_issue"] = parse_dates(df[columns["date"]])
    else:
        out["date"], out["date_issue"] = pd.NaT, pd.NA
    for role in ("branch", "channel", "customer_type"):
        out[role] = df[columns[role]].astype("string") if role in columns else pd.NA
    out.attrs["score_scale"] = used
    return out


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
