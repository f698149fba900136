"""Read complaint exports (CSV/TSV/Excel/Parquet/JSONL) and map their columns.

``read_complaints`` returns the file's columns untouched, as strings where the file
stores text, and records in ``df.attrs["minetools"]`` what it found: the format, the
detected encoding and which original column plays each canonical role (``text``,
``satisfaction``, ``date``, ``branch``, ``channel``, ``customer_type``, ``id``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from minetools.config import MinetoolsError
from minetools.delimited import clean_header, decode_bytes, parse_delimited

__all__ = [
    "InputError", "read_complaints", "map_columns", "COLUMN_SYNONYMS", "COLUMN_STEMS", "write_csv", "FORMATS",
    "sniff_format",
]


class InputError(MinetoolsError, ValueError):
    """An input file that cannot be read as complaints; the message says what to do."""


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

FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".xlsx": "excel", ".xlsm": "excel",
           ".xls": "excel", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".json": "jsonl"}


def _norm(name) -> str:
    return str(name).strip().lower().replace(" ", "").replace("\ufeff", "")


_MAGIC = {b"PK\x03\x04": "excel", b"\xd0\xcf\x11\xe0": "excel", b"PAR1": "parquet"}


def sniff_format(path: Path, fmt: str) -> str:
    """The format the file's first bytes show (an .xlsx renamed .csv is read as Excel); raises for
    files that are no table at all (gzip, a web page saved as .xls)."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head.strip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n"):
        raise InputError(f"{path} is empty (no header and no records). Check that the export finished, then "
                         "export it again.")
    if head.startswith(b"\x1f\x8b"):
        raise InputError(f"{path} is gzip-compressed. Decompress it first (gunzip), then run on the file inside.")
    for magic, real in _MAGIC.items():
        if head.startswith(magic):
            return real
    if fmt in ("excel", "parquet") and head.lstrip().lower().startswith((b"<", b"\xef\xbb\xbf<")):
        raise InputError(f"{path} is a web page (HTML), not a {fmt} file; some systems save tables as HTML with an "
                         "Excel name. Open it in Excel and save it as .xlsx or CSV, then run on that file.")
    if fmt in ("excel", "parquet"):
        raise InputError(f"{path} is not a readable {'Excel workbook' if fmt == 'excel' else 'Parquet file'} "
                         "(it may be truncated, or another kind of file renamed). Export it again.")
    return fmt


def _read_text_table(path: Path, sep: str | None, encoding: str | None) -> tuple[pd.DataFrame, str, dict]:
    """A CSV/TSV file as strings, with per-record problems (:mod:`minetools.delimited`)."""
    raw = path.read_bytes()
    try:
        text, enc = decode_bytes(raw, encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(
            f"Could not decode {path} as {encoding} ({exc}). Save it as UTF-8 or pass the right "
            "encoding (--encoding gb18030, utf-16 ...)."
        ) from None
    try:
        table = parse_delimited(text, delimiter=sep, default="\t" if path.suffix.lower() == ".tsv" else ",")
    except ValueError as exc:
        raise InputError(f"{path} is not a well-formed {'TSV' if sep == chr(9) else 'CSV'} file: {exc}.") from None
    if not table.rows:
        raise InputError(f"{path} has a header but no records. Check that the export holds the complaints.")
    df = pd.DataFrame(table.rows, columns=table.header, dtype=object)
    problems = {"invalid": table.invalid, "notes": table.notes, "removed_nul": table.removed_nul,
                "delimiter": table.delimiter, "original_header": table.original_header}
    return df, enc, problems


def _read_excel(path: Path, sheet, text_col) -> tuple[pd.DataFrame, str]:
    """One sheet of a workbook: the one named, else the first whose header has a text column."""
    engine = "xlrd" if path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0" else "openpyxl"
    sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False, engine=engine)
    names = list(sheets)
    if sheet is not None:
        key = sheet if sheet in sheets else (names[int(sheet)] if str(sheet).isdigit() and int(sheet) < len(names) else None)
        if key is None:
            raise InputError(f"Sheet {sheet!r} is not in {path}. Sheets: {', '.join(map(str, names))}. Pass one with --sheet.")
        return sheets[key], key
    for name, frame in sheets.items():
        frame.columns = clean_header([str(c) for c in frame.columns])
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
    text, used = decode_bytes(raw, encoding)
    rows = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_constant=str)  # NaN/Infinity stay visible (flagged per row)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}, line {number}: not valid JSON ({exc.msg}). Each line must hold one JSON object; "
                             "fix or remove that line.") from None
        if not isinstance(record, dict):
            raise InputError(f"{path}, line {number}: expected a JSON object with named fields, got "
                             f"{type(record).__name__}. Each line must hold one object such as "
                             '{"投诉内容": "…", "满意度": 3}.')
        rows.append(record)
    if not rows:
        raise InputError(f"{path} holds no JSON records. Check that the export finished, then export it again.")
    return pd.DataFrame(rows), used


def _as_cell_text(value):
    """Nested values (objects, lists) as JSON text, so that they are masked and written like text."""
    if isinstance(value, (dict, list, tuple)) or (hasattr(value, "tolist") and not isinstance(value, str)):
        try:
            return json.dumps(value.tolist() if hasattr(value, "tolist") else value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return str(value)
    return value


def _flatten_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Columns holding nested values (Parquet structs/lists, JSON objects) become JSON text."""
    for col in df.columns:
        if df[col].dtype == object and df[col].map(lambda v: isinstance(v, (dict, list, tuple)) or
                                                   (hasattr(v, "tolist") and not isinstance(v, str))).any():
            df[col] = df[col].map(_as_cell_text)
    return df


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
    DataFrame with the file's columns (header names cleaned: invisible characters removed,
    repeated names made unique); ``df.attrs["minetools"]`` holds ``path``, ``format``,
    ``encoding``, ``columns`` (canonical name → original column name) and ``row_problems``
    (records whose fields cannot be trusted, and repairs such as a bare carriage return
    read as a line break, by 0-based record number).

    Raises
    ------
    InputError
        missing file, unsupported or unreadable format, no header or no records, no text
        column, text column entirely empty, an unclosed quote that would merge records.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"Input file not found: {path}. Check the path (relative paths start from {Path.cwd()}).")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the complaint file inside it (CSV, Excel, Parquet or JSONL).")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"Unsupported file type {path.suffix or '(none)'!r} for {path}. minetools reads "
            ".csv, .tsv, .txt, .xlsx, .xls, .parquet and .jsonl; save the export in one of these."
        )
    fmt = sniff_format(path, fmt)
    used_encoding = None
    sheet_used = None
    problems: dict = {"invalid": {}, "notes": {}, "removed_nul": 0}
    try:
        if fmt in ("csv", "tsv"):
            df, used_encoding, problems = _read_text_table(path, "\t" if fmt == "tsv" else None, encoding)
        elif fmt == "excel":
            df, sheet_used = _read_excel(path, sheet, text_col)
        elif fmt == "parquet":
            df = pd.read_parquet(path)
        else:
            df, used_encoding = _read_jsonl(path, encoding)
    except InputError:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # any library's failure on a damaged file: one clear message, no traceback
        raise InputError(f"Could not read {path} as {fmt}: {type(exc).__name__}: {str(exc)[:300]}. The file may be "
                         "damaged or truncated; export it again.") from None
    if df.empty:
        raise InputError(f"{path} has a header but no records. Check that the export holds the complaints.")
    original = [str(c) for c in problems.pop("original_header", df.columns)]
    df.columns = clean_header([str(c) for c in df.columns])
    aliases = {o: c for o, c in zip(original, df.columns) if o != c}  # --text-col "投诉内容 " as the file wrote it
    df = _flatten_cells(df)
    columns = map_columns(df, path=path, text_col=aliases.get(text_col, text_col),
                          score_col=aliases.get(score_col, score_col), date_col=aliases.get(date_col, date_col))
    text = df[columns["text"]]
    if pd.api.types.is_numeric_dtype(text) or text.map(lambda v: not isinstance(v, str) and pd.notna(v)).any():
        df[columns["text"]] = text.map(lambda v: v if isinstance(v, str) or pd.isna(v) else str(v))
        text = df[columns["text"]]
    if text.isna().all() or (text.astype(str).str.strip() == "").all():
        raise InputError(
            f"The text column {columns['text']!r} in {path} is empty in every row. "
            f"Choose the column that holds the complaint text with --text-col (columns: {', '.join(df.columns)})."
        )
    df.attrs["minetools"] = {"path": str(path), "format": fmt, "encoding": used_encoding, "sheet": sheet_used,
                             "columns": columns, "row_problems": problems}
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
    from minetools.clean.pii_columns import header_kind

    normalized = {_norm(c): c for c in df.columns}
    # a column whose header names personal data (客户编号, 联系电话) never plays a role such as id or branch
    taken = set(found.values()) | {c for c in df.columns if header_kind(c) is not None}
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
            "Name the column that holds the complaint text with --text-col, e.g. --text-col 投诉内容 (if these "
            "names look garbled, the file's encoding was not recognised: pass it with --encoding, e.g. "
            "--encoding utf-16-le or gb18030)."
        )
    return found


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(value):
    """A cell as a CSV may hold it: NUL removed, line ends as one line break, a formula made text."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


def write_csv(df: pd.DataFrame, path: str | Path, *, rows_per_part: int = 100_000) -> None:
    """Write a CSV that opens in Excel (UTF-8 with BOM) and reads back with as many rows as ``df``.

    Formula-like cells *and headers* (``=``, ``+``, ``-``, ``@``, tab, CR at the start) get a
    leading apostrophe; NUL bytes are removed; a carriage return inside a cell becomes a line
    break and every cell with a line break is quoted. Written ``rows_per_part`` rows at a time,
    so a large table is never held twice.
    """
    header = [_neutralise(str(c)) for c in df.columns]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        for lo in range(0, max(len(df), 1), rows_per_part):
            out = df.iloc[lo:lo + rows_per_part].copy(deep=False)  # columns are replaced, never changed in place
            out.columns = header
            for col in range(out.shape[1]):
                series = out.iloc[:, col]
                if series.dtype == object or pd.api.types.is_string_dtype(series):
                    text = series.astype("string")  # vectorised string tests; only those cells are rewritten
                    needs = (text.str.contains("[\x00\r]", regex=True, na=False)
                             | text.str.startswith(_FORMULA_START, na=False)).to_numpy(dtype=bool)
                    if needs.any():
                        fixed = [_neutralise(v) if n else v for v, n in zip(series.tolist(), needs)]
                        out.isetitem(col, pd.Series(fixed, index=series.index).astype(series.dtype))
            out.to_csv(fh, index=False, header=lo == 0, lineterminator="\n")
