"""Personal data in columns: find the columns that hold it and protect every column before it is written.

Each column of an input table gets one treatment, recorded in the manifest:

* ``pseudonymised`` — the header says name, phone, ID, account, card, address, e-mail, WeChat,
  QQ, plate or customer number (``resources/pii.yml``, ``columns``), or at least half of its
  sampled cells are personal data on their own (a masked number or e-mail with nothing else,
  or a bare name such as 陈晓明). Each value becomes ``<kind>_<12 hex digits>``, an HMAC-SHA256
  of the normalised value under a secret key kept outside the run directory, so the same
  customer gets the same pseudonym in every run with that key ("same complainant" analysis
  and duplicate scoping still work) and nobody without the key can recover or test a value.
* ``masked`` — every other text, number-like or role column (branch, channel, customer type,
  remarks): personal data inside it is replaced by placeholders like in the complaint text.
* ``kept`` — the user opted the column back in (``--keep-columns``); written as read.
* ``unchanged`` — dates, booleans and numbers that hold no personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from minetools.clean.normalize import normalize_text, to_simplified
from minetools.clean.pii import PII_KINDS, looks_like_name, mask_texts, placeholder

__all__ = ["ColumnTreatment", "header_kind", "protect_columns", "pseudonym", "load_pseudonym_key",
           "pseudonym_key_path", "scrub_frame",
           "scrub_json", "DEFAULT_KEY_PATH"]

#: where the pseudonym key lives unless the settings or MINETOOLS_PSEUDONYM_KEY name a file
DEFAULT_KEY_PATH = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "minetools" / "pseudonym.key"
#: a column is personal when at least this share of its sampled non-empty cells are
_PERSONAL_SHARE = 0.5
_SAMPLE = 300
#: when a header names several kinds, the most specific wins (证件号码 is an ID, not a phone)
_KIND_PRIORITY = ("id", "card", "account", "email", "wechat", "qq", "plate", "customer_id", "address", "name", "phone")
_PLACEHOLDER = re.compile(r"\[[^\[\]]{1,8}\]")
_NOISE = re.compile(r"[\s\W_]+")
#: a cell that is a date, a time or a small number (2023-01-01 07:22:33, 09:15, 4, 4.5): no personal data
_PLAIN_CELL = re.compile(r"[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
                         r"|[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?|[0-9]{1,3}(?:\.[0-9]{1,3})?")


@dataclass
class ColumnTreatment:
    """What was done to one column (one entry of the manifest's ``privacy.columns``)."""

    treatment: str
    kind: str | None = None
    detected_by: str | None = None
    masked: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {"treatment": self.treatment}
        if self.kind:
            out["kind"] = self.kind
        if self.detected_by:
            out["detected_by"] = self.detected_by
        if self.masked:
            out["masked"] = {k: v for k, v in self.masked.items() if v}
        return out


@lru_cache(maxsize=1)
def _header_words() -> tuple[dict[str, str], tuple[str, ...]]:
    import yaml

    data = yaml.load(resources.files("minetools").joinpath("resources/pii.yml").read_text(encoding="utf-8"),
                     Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: the same data, 10× faster
    words = {w.lower(): kind for kind, ws in data["columns"].items() for w in ws}
    return words, tuple(w.lower() for w in data["column_exclusions"])


def _squash(header) -> str:
    return re.sub(r"[\s_\-./:：()（）]+", "", to_simplified(str(header))).lower()


def header_kind(header) -> str | None:
    """The kind of personal data a header announces (客户姓名 → name, 联系电话 → phone), else None."""
    words, exclusions = _header_words()
    h = _squash(header)
    if not h or any(x in h for x in exclusions):
        return None
    found = {kind for word, kind in words.items() if word in h}
    return next((kind for kind in _KIND_PRIORITY if kind in found), None)


def pseudonym_key_path(path: str | Path | None = None) -> Path:
    """Where the pseudonym key is: ``path``, else ``$MINETOOLS_PSEUDONYM_KEY``, else the default."""
    return Path(path or os.environ.get("MINETOOLS_PSEUDONYM_KEY") or DEFAULT_KEY_PATH).expanduser()


def load_pseudonym_key(path: str | Path | None = None) -> tuple[bytes, Path]:
    """The secret key for pseudonyms, created (32 random bytes, owner-only) on first use.

    ``path``: the settings' ``pseudonym_key``; else ``$MINETOOLS_PSEUDONYM_KEY``; else
    ``~/.config/minetools/pseudonym.key``. Keep one key per project: the same key gives the
    same pseudonyms month after month; a new key gives new ones.
    """
    key_path = pseudonym_key_path(path)
    if not key_path.exists():
        key_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    key = key_path.read_text(encoding="ascii").strip().encode("ascii")
    if len(key) < 32:
        raise ValueError(f"The pseudonym key {key_path} is too short ({len(key)} characters; 64 hex digits "
                         "expected). Delete it to have a new one made, or restore the project's key.")
    return key, key_path


def _normalise_value(value: str, kind: str) -> str:
    text = to_simplified(normalize_text(value))
    if kind in ("phone", "id", "account", "card", "qq"):
        digits = re.sub(r"[^0-9Xx]", "", text).upper()
        if kind == "phone":
            digits = re.sub(r"^(?:0086|86)(?=1[3-9]\d{9}$)", "", digits)
        return digits or text
    return re.sub(r"\s+", "", text).lower()


def pseudonym(value, kind: str, key: bytes):
    """``<kind>_<12 hex>``: a keyed hash of the normalised value (NA stays NA)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return pd.NA
    text = _number_text(value) if not isinstance(value, str) else value
    if not text.strip():
        return pd.NA
    norm = _normalise_value(text, kind)
    return f"{kind}_{hmac.new(key, f'{kind}:{norm}'.encode(), hashlib.sha256).hexdigest()[:12]}"


def _number_text(value) -> str:
    """A number as its digits (13912345678.0 → "13912345678")."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _as_text(col: pd.Series) -> pd.Series:
    """A column as strings, numbers without a trailing ``.0`` (NA kept)."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.map(_number_text, na_action="ignore").astype("string")
    return col.astype("string")


def _content_kind(values: pd.Series) -> str | None:
    """The kind most cells of a column are, on their own (a phone, an ID, a bare name …), else None."""
    cells = values.dropna()
    cells = cells[cells.str.strip() != ""]
    if cells.empty:
        return None
    sample = cells.sample(min(len(cells), _SAMPLE), random_state=0).tolist() if len(cells) > _SAMPLE else cells.tolist()
    kinds = []
    by_placeholder = {placeholder(k): k for k in PII_KINDS}
    for cell, masked in zip(sample, mask_texts(sample)[0]):
        found = [by_placeholder[p] for p in _PLACEHOLDER.findall(masked) if p in by_placeholder]
        if found and len(_NOISE.sub("", _PLACEHOLDER.sub("", masked))) <= 2:
            kinds.append(max(set(found), key=found.count))
        elif looks_like_name(_NOISE.sub("", to_simplified(normalize_text(cell)))):
            kinds.append("name")
    if len(kinds) < _PERSONAL_SHARE * len(sample):
        return None
    top = max(set(kinds), key=kinds.count)
    return {"mobile": "phone", "landline": "phone", "number": "account"}.get(top, top)


_TOKEN = re.compile(r"[\u4e00-\u9fff]{2,4}")


def _mask_name_tokens(cells: list[str]) -> tuple[list[str], int]:
    """In short attribute cells, a stand-alone 2–4-character word that looks like a name (张伟) is masked."""
    name, n = placeholder("name"), 0
    out, seen = [], {}
    for cell in cells:
        if cell not in seen:  # each distinct cell once (a branch column holds a few dozen)
            seen[cell] = (cell, 0)
            if cell and len(cell) <= 200 and _TOKEN.search(cell):
                parts = re.split(r"([\s,，、;；/|·()（）:：\-—_]+)", cell)
                hits = [i for i, p in enumerate(parts) if looks_like_name(p)]
                for i in hits:
                    parts[i] = name
                seen[cell] = ("".join(parts), len(hits))
        masked, hits = seen[cell]
        n += hits
        out.append(masked)
    return out, n


def mask_cells(values: list[str]) -> tuple[list[str], dict[str, int]]:
    """:func:`~minetools.clean.pii.mask_texts` for the cells of one attribute column, done once per
    distinct value (a branch or status column holds a few dozen) and not at all for plain cells (dates,
    times, small numbers); the counts are those of every cell, as if each had been masked."""
    freq: dict[str, int] = {}
    for v in values:
        freq[v] = freq.get(v, 0) + 1
    todo = [v for v in freq if not _PLAIN_CELL.fullmatch(v)]
    done = dict(zip(todo, mask_texts(todo)[0]))
    counts = dict.fromkeys(PII_KINDS, 0)
    for v, m in done.items():
        if _PLACEHOLDER.search(m):  # something masked (or a placeholder already there): count it exactly
            for k, n in mask_texts([v])[1].items():
                counts[k] += n * freq[v]
    return [done.get(v, v) for v in values], counts


def _record_id_treatment(text: pd.Series, key: bytes) -> tuple[pd.Series | None, ColumnTreatment]:
    """The export's record id column (编号, 工单号): kept as the analyst's way back to the record;
    an id that holds a phone, an ID, a card number or an e-mail is replaced by its pseudonym."""
    values = text.tolist()
    strict = {placeholder(k) for k in ("mobile", "id", "card", "email")}
    masked = mask_texts([v if isinstance(v, str) else "" for v in values], numbers_only=True)[0]
    personal = [bool(set(_PLACEHOLDER.findall(m)) & strict) for m in masked]
    if not any(personal):
        return None, ColumnTreatment("unchanged", detected_by="record id")
    out = [pseudonym(v, "customer_id", key) if p else v for v, p in zip(values, personal)]
    return pd.array(out, dtype="string"), ColumnTreatment("masked", "customer_id", "record id",
                                                          masked={"id": sum(personal)})


def protect_columns(df: pd.DataFrame, *, key: bytes, keep=(), raw_text_col: str | None = None,
                    text_col: str | None = None, id_col: str | None = None, kinds: dict | None = None
                    ) -> tuple[pd.DataFrame, dict[str, ColumnTreatment]]:
    """Every column of ``df`` protected as the module docstring says; returns (frame, treatment per column).

    ``keep``: columns written as read (``--keep-columns``). ``raw_text_col``: the complaint
    text column when the user asked for it unmasked (``keep_raw_text``). ``text_col``: the
    complaint text column (always masked, never pseudonymised, whatever its content).
    ``id_col``: the export's record id column (kept unless its values are personal data).
    ``kinds``: column → kind for the columns whose kind was judged by their content on an earlier chunk
    of the same file (the others are then not judged again: each chunk of a file is treated alike).
    """
    out = df.copy()
    report: dict[str, ColumnTreatment] = {}
    for col in df.columns:
        series = df[col]
        if col in keep or col == raw_text_col:
            report[col] = ColumnTreatment("kept")
            continue
        textual = series.dtype == object or pd.api.types.is_string_dtype(series)
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if not (textual or numeric):
            report[col] = ColumnTreatment("unchanged")
            continue
        text = _as_text(series)
        if col == id_col:
            values, report[col] = _record_id_treatment(text, key)
            if values is not None:
                out[col] = values
            continue
        kind, how = (None, None) if col == text_col else (header_kind(col), "header")
        if kind is None and col != text_col:
            kind, how = (_content_kind(text) if kinds is None else kinds.get(col)), "content"
        if kind is not None:
            out[col] = pd.array([pseudonym(v, kind, key) for v in text.tolist()], dtype="string")
            report[col] = ColumnTreatment("pseudonymised", kind, how)
            continue
        values = text.fillna("").tolist()
        masked, counts = mask_texts(values) if col == text_col else mask_cells(values)
        if col != text_col:  # attribute cells ("城东支行 张伟"): a bare name between spaces is a name too
            masked, names = _mask_name_tokens(masked)
            counts["name"] = counts.get("name", 0) + names
        if numeric and not any(counts.values()):
            report[col] = ColumnTreatment("unchanged")
            continue
        out[col] = pd.Series(masked, index=df.index, dtype="string").where(series.notna())
        report[col] = ColumnTreatment("masked", masked={k: counts.get(k, 0) for k in PII_KINDS})
    return out, report


def _is_text_column(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series)


def scrub_frame(df: pd.DataFrame, *, skip=()) -> pd.DataFrame:
    """``df`` with personal data masked once more in every string cell (columns in ``skip`` as they are).

    The last check before a table is written: labels, top terms, issue strings and notes
    were never complaint text, and this pass catches what they may carry. Lists of strings
    (tokens) are left to ``skip``; masking is idempotent, so already masked text is unchanged.
    """
    out = df.copy(deep=False)  # columns are replaced, never changed in place
    for col in out.columns:
        if col in skip or not _is_text_column(out[col]):
            continue
        values = out[col].tolist()
        strings = [v if isinstance(v, str) else "" for v in values]
        if not any(strings):
            continue
        masked = mask_cells(strings)[0]
        out[col] = pd.Series([m if isinstance(v, str) else v for v, m in zip(values, masked)], index=out.index,
                             dtype=out[col].dtype if pd.api.types.is_string_dtype(out[col]) else object)
    return out


#: manifest entries that are hashes, versions or times, never personal data (and must stay exact)
_EXACT_KEYS = frozenset({"sha256", "hashes", "model_hash", "taxonomy_hash", "pseudonym_key_id", "created", "versions",
                         "files", "timings_s", "seed"})


def scrub_json(obj, *, exact=_EXACT_KEYS):
    """A JSON-able object (a manifest) with personal data masked in every string it holds, except
    under the keys in ``exact`` (hashes, versions, file names)."""
    if isinstance(obj, str):
        return mask_texts([obj])[0][0] if obj else obj
    if isinstance(obj, dict):
        return {k: (v if k in exact else scrub_json(v, exact=exact)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [scrub_json(v, exact=exact) for v in obj]
    return obj
