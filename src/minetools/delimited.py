"""Delimited text (CSV/TSV) from bytes to a table of strings, with every record accounted for.

Exports break in the same few ways, and each is handled here rather than passed on as a
silently shifted table:

* **Encoding.** BOMs first; UTF-16 without a BOM is recognised by its zero bytes; then
  UTF-8, then GB18030 (a superset of GBK). A file whose lines mix UTF-8 and GB18030 is
  decoded line by line. NUL bytes are removed.
* **Line ends.** A carriage return that is not part of CRLF is either a line end (old Mac
  files) or a character inside a field; the file is parsed both ways where it has any, and
  the reading in which more records have the header's number of fields wins. Inside a field
  it becomes a line break, and the record is noted.
* **Ragged records.** A record with more fields than the header (extra fields that are not
  empty) or fewer is kept, padded or cut to the header, and reported with its line number;
  the pipeline gives it status ``invalid``. Trailing empty fields (a delimiter at every line
  end) are not a problem.
* **Quotes.** A quoted field that swallows following lines (an unbalanced quote) is
  reported with the line it starts on.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

__all__ = ["ParsedTable", "decode_bytes", "parse_delimited", "clean_header", "swallows_records"]

_CR_IN_FIELD = "\ue000"  # a private-use character standing for a bare CR while parsing
_DELIMITERS = (",", "\t", ";", "|")
_MAX_FIELD = 2**31 - 1


@dataclass
class ParsedTable:
    """Header, records (lists of strings, padded to the header) and notes per record (0-based)."""

    header: list[str]
    rows: list[list[str]]
    invalid: dict[int, str] = field(default_factory=dict)   # record → why its fields cannot be trusted
    notes: dict[int, str] = field(default_factory=dict)     # record → what was repaired
    encoding: str = "utf-8"
    delimiter: str = ","
    removed_nul: int = 0
    original_header: list[str] = field(default_factory=list)   # as the file wrote it


def _plausible(text: str) -> float:
    """Share of characters that Chinese exports are made of: CJK, ASCII printable, CJK punctuation, spaces."""
    if not text:
        return 0.0
    good = sum(1 for ch in text if ch.isascii() and (ch.isprintable() or ch in "\r\n\t")
               or "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")
    return good / len(text)


def _utf16_without_bom(raw: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when the bytes read as plausible text that way (and not as GB18030)."""
    sample = raw[:8000] if len(raw) > 8000 else raw
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 8:
        return None
    scores = {}
    for enc in ("utf-16-le", "utf-16-be", "gb18030"):
        try:
            scores[enc] = _plausible(sample.decode(enc))
        except UnicodeDecodeError:
            scores[enc] = 0.0
    best = max(("utf-16-le", "utf-16-be"), key=scores.get)
    return best if scores[best] >= 0.95 and scores[best] > scores["gb18030"] + 0.05 else None


def decode_bytes(raw: bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding used). ``encoding`` given → that one, strictly. Raises UnicodeDecodeError/LookupError."""
    if encoding:
        return raw.decode(encoding), encoding
    if raw.startswith(codecs.BOM_UTF8):
        return raw.decode("utf-8-sig"), "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(raw)
    if utf16:
        try:
            return raw.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    lines = raw.split(b"\n")
    utf8_lines = 0
    out = []
    for line in lines:
        try:
            text = line.decode("utf-8")
            utf8_lines += not line.isascii()
        except UnicodeDecodeError:
            text = line.decode("gb18030", errors="replace")
        out.append(text)
    return "\n".join(out), ("gb18030" if not utf8_lines else "utf-8+gb18030 (mixed, decoded line by line)")


def clean_header(names: list[str]) -> list[str]:
    """Header names without invisible characters, line breaks or outer spaces; empty ones named
    ``Unnamed: k`` and repeated ones made unique (``投诉内容``, ``投诉内容 (2)``)."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for k, name in enumerate(names):
        text = "".join(ch for ch in str(name) if unicodedata.category(ch) != "Cf")
        text = re.sub(r"\s+", " ", text).strip() or f"Unnamed: {k}"
        base, n = text, seen.get(text, 0)
        while text in seen:
            n += 1
            text = f"{base} ({n + 1})"
        seen[base] = max(seen.get(base, 0), n)
        seen[text] = 0
        out.append(text)
    return out


def _pick_delimiter(text: str, default: str) -> str:
    first = next((line for line in text.split("\n", 50) if line.strip()), "")
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: (counts[d], d == default))
    return best if counts[best] else default


def _records(text: str, delimiter: str) -> list[tuple[int, int, list[str]]]:
    """(first line, last line, fields) of each non-blank record (lines 1-based)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    out, line = [], 1
    limit = csv.field_size_limit(_MAX_FIELD)  # a cell may be megabytes long; restored below
    try:
        for fields in reader:
            start = line
            line = reader.line_num + 1
            if fields and any(f.strip() for f in fields) or len(fields) > 1:
                out.append((start, line - 1, fields))
    except csv.Error as exc:
        raise ValueError(f"line {line}: {exc}") from None
    finally:
        csv.field_size_limit(limit)
    return out


def swallows_records(fields: list[str], delimiter: str, width: int) -> bool:
    """A quoted field whose inner lines look like whole records (as many delimiters as a record has):
    an unclosed quote has swallowed the lines after it."""
    return width > 2 and any(part.count(delimiter) >= width - 1 for f in fields if "\n" in f
                             for part in f.split("\n")[1:])


def _fit_score(records, width: int) -> int:
    return sum(len(f) == width for _, _, f in records)


def parse_delimited(text: str, *, delimiter: str | None = None, default: str = ",") -> ParsedTable:
    """Parse decoded CSV/TSV text (see the module docstring). Raises ValueError for a file with no header."""
    text = text.lstrip("\ufeff")
    removed = text.count("\x00")
    text = text.replace("\x00", "")
    delimiter = delimiter or _pick_delimiter(text, default)
    text = text.replace("\r\n", "\n")
    if "\r" in text:  # bare CRs: line ends or characters inside fields, whichever reads better
        as_lines = _records(text.replace("\r", "\n"), delimiter)
        in_fields = _records(text.replace("\r", _CR_IN_FIELD), delimiter)
        width = lambda recs: len(recs[0][2]) if recs else 0  # noqa: E731 - the header's width
        records = as_lines if _fit_score(as_lines, width(as_lines)) > _fit_score(in_fields, width(in_fields)) \
            else in_fields
    else:
        records = _records(text, delimiter)
    if not records:
        raise ValueError("it has no header row and no records")
    (_, _, header), body = records[0], records[1:]
    while len(header) > 1 and not header[-1].strip() and all(len(f) < len(header) or not f[len(header) - 1].strip()
                                                              for _, _, f in body):
        header = header[:-1]  # a delimiter at the end of every line: no column there
    width = len(header)
    table = ParsedTable(clean_header([h.replace(_CR_IN_FIELD, " ") for h in header]), [], encoding="",
                        delimiter=delimiter, removed_nul=removed, original_header=list(header))
    for k, (line, last, fields) in enumerate(body):
        if last > line and (len(fields) != width or swallows_records(fields, delimiter, width)):
            raise ValueError(f"line {line}: a quoted field opened here is not closed where the record should end, "
                             f"so lines {line}–{last} would be read as one record; fix the quote in the export "
                             "(a \" inside a cell must be doubled) or re-export it")
        if any(_CR_IN_FIELD in f for f in fields):
            fields = [f.replace(_CR_IN_FIELD, "\n") for f in fields]
            table.notes[k] = f"line {line}: a bare carriage return inside a field was read as a line break"
        extra = [f for f in fields[width:] if f.strip()]
        if extra:
            table.invalid[k] = (f"line {line} has {len(fields)} fields where the header has {width}; "
                                "its values may be in the wrong columns (a delimiter or quote inside an unquoted "
                                "cell?): check this record in the export")
        elif len(fields) < width:
            table.invalid[k] = (f"line {line} has {len(fields)} fields where the header has {width}; "
                                "a field is missing: check this record in the export")
        table.rows.append((fields + [""] * width)[:width])
    return table
