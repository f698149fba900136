"""A complaint file as a stream of chunks of rows, so that the row-wise stages hold one chunk at a time.

A large UTF-8 CSV/TSV export is read by pyarrow's streaming CSV reader (compiled, multi-threaded), in
blocks; every other file, and any CSV that needs the careful reader's repairs, is read whole by
:func:`minetools.io.read_complaints` and handed on in slices. Either way the chunks carry the same
``attrs["minetools"]`` the reader gives (columns found, row problems by 0-based input row), and the
values are the strings the careful reader would give.

When is a CSV streamed
----------------------
Only when nothing in it needs the careful reader (:mod:`minetools.delimited`): at least
:data:`STREAM_MIN_BYTES` bytes, UTF-8 (with or without a BOM), no NUL byte and no carriage return
outside CRLF, a header of at least two distinct names that the careful reader reads the same way,
and every record with the header's number of fields (no quoted field that swallows the following
records). A first pass parses the whole file with pyarrow to check this (the file is not held in
memory); a file that fails any check is read by the careful reader, which reports and repairs
what it finds, so the outcome never depends on which reader ran.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from minetools import io
from minetools.delimited import swallows_records, clean_header, decode_bytes, parse_delimited

__all__ = ["ChunkSource", "open_chunks", "STREAM_MIN_BYTES"]

#: files smaller than this are read whole (streaming pays off only on large exports)
STREAM_MIN_BYTES = 32 * 2**20
_HEAD_BYTES = 2**20
_BLOCK_BYTES = 16 * 2**20
_BAD_BYTES = re.compile(rb"\x00|\r(?!\n)")


@dataclass
class ChunkSource:
    """The reader's findings (``meta``: what ``read_complaints`` puts in ``attrs["minetools"]``) and the chunks."""

    meta: dict
    columns: list
    streamed: bool
    _chunks: Iterator

    def chunks(self) -> Iterator[tuple[int, pd.DataFrame]]:
        """(offset of the chunk's first row in the input, the chunk) in input order; each chunk once."""
        return self._chunks


def _csv_header(path: Path, fmt: str) -> tuple[list[str], str] | None:
    """The header as the careful reader sees it and the delimiter, if the file's start is plain UTF-8."""
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    head = head[: head.rfind(b"\n") + 1]
    if not head:
        return None
    try:
        text, enc = decode_bytes(head)
    except (UnicodeDecodeError, LookupError):
        return None
    if enc not in ("utf-8", "utf-8-sig"):
        return None
    try:
        table = parse_delimited(text, default="\t" if fmt == "tsv" else ",")
    except ValueError:
        return None
    header = table.original_header
    if table.invalid or table.notes or table.removed_nul or len(header) < 2 or len(set(header)) < len(header):
        return None
    return header, table.delimiter


def _arrow_reader(path: Path, header: list[str], delimiter: str):
    import pyarrow as pa
    from pyarrow import csv

    return csv.open_csv(
        path, read_options=csv.ReadOptions(block_size=_BLOCK_BYTES, encoding="utf8"),
        parse_options=csv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=True),
        convert_options=csv.ConvertOptions(column_types={name: pa.string() for name in header}, null_values=[],
                                           strings_can_be_null=False, quoted_strings_can_be_null=False))


def _batch_is_plain(batch, delimiter: str, width: int) -> bool:
    """No value holds a CR, or a line break followed by what looks like whole records."""
    import pyarrow.compute as pc

    for column in batch.columns:
        if pc.any(pc.match_substring(column, "\r")).as_py():
            return False
        multi = pc.match_substring(column, "\n")
        if pc.any(multi).as_py():
            values = pc.filter(column, multi).to_pylist()
            if swallows_records(values, delimiter, width):
                return False
    return True


def _streamable(path: Path, fmt: str) -> tuple[list[str], str] | None:
    """(header, delimiter) when the whole file can be streamed as the module docstring says, else None."""
    if fmt not in ("csv", "tsv") or path.stat().st_size < STREAM_MIN_BYTES:
        return None
    found = _csv_header(path, fmt)
    if found is None:
        return None
    header, delimiter = found
    with open(path, "rb") as fh:
        while block := fh.read(64 * 2**20):
            if _BAD_BYTES.search(block.rstrip(b"\r")):
                return None
            if block.endswith(b"\r") and fh.peek(1)[:1] not in (b"\n",):
                return None
    try:
        reader = _arrow_reader(path, header, delimiter)
        if reader.schema.names != header:
            return None
        for batch in reader:
            if not _batch_is_plain(batch, delimiter, len(header)):
                return None
    except Exception:  # noqa: BLE001 - any parse or decode failure: the careful reader reports it
        return None
    return header, delimiter


def _streamed(path: Path, header: list[str], delimiter: str, chunk_rows: int) -> Iterator[tuple[int, pd.DataFrame]]:
    """Chunks of exactly ``chunk_rows`` rows (the last one shorter), from pyarrow's blocks."""
    import pyarrow as pa

    names = clean_header(header)
    offset, pending, size = 0, [], 0
    for batch in _arrow_reader(path, header, delimiter):
        pending.append(batch)
        size += batch.num_rows
        while size >= chunk_rows:
            table = pa.Table.from_batches(pending)
            yield offset, _frame(table.slice(0, chunk_rows), names)
            rest = table.slice(chunk_rows)
            offset, size = offset + chunk_rows, rest.num_rows
            pending = rest.to_batches()
    if size:
        yield offset, _frame(pa.Table.from_batches(pending), names)


def _frame(table, names: list[str]) -> pd.DataFrame:
    frame = table.to_pandas().astype(object)
    frame.columns = names
    return frame


def _sliced(raw: pd.DataFrame, chunk_rows: int) -> Iterator[tuple[int, pd.DataFrame]]:
    for lo in range(0, len(raw), chunk_rows):
        yield lo, raw.iloc[lo:lo + chunk_rows]


def open_chunks(path, *, chunk_rows: int, text_col=None, score_col=None, date_col=None, sheet=None,
                encoding=None) -> ChunkSource:
    """The chunks of ``chunk_rows`` rows (setting ``chunk_rows``) of a complaint file (see the module
    docstring); errors as :func:`minetools.io.read_complaints`."""
    path = Path(path)
    fmt = io.FORMATS.get(path.suffix.lower()) if path.is_file() else None
    if fmt in ("csv", "tsv"):
        fmt = io.sniff_format(path, fmt)
    found = _streamable(path, fmt) if fmt in ("csv", "tsv") and encoding is None else None
    if found is None:
        raw = io.read_complaints(path, text_col=text_col, score_col=score_col, date_col=date_col, sheet=sheet,
                                 encoding=encoding)
        return ChunkSource(raw.attrs["minetools"], list(raw.columns), False, _sliced(raw, chunk_rows))
    header, delimiter = found
    first = next(_streamed(path, header, delimiter, min(chunk_rows, 10_000)))[1]
    head = first.head(1000)
    head.attrs = {}
    columns = io.map_columns(head, path=path, text_col=text_col, score_col=score_col, date_col=date_col)
    meta = {"path": str(path), "format": fmt, "encoding": "utf-8", "sheet": None, "columns": columns,
            "row_problems": {"invalid": {}, "notes": {}, "removed_nul": 0, "delimiter": delimiter}}
    return ChunkSource(meta, list(first.columns), True, _streamed(path, header, delimiter, chunk_rows))
