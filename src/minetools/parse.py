"""Parse the values of an export: dates and satisfaction scores, and the canonical view of a table.

Pure logic on pandas Series (no files): :mod:`minetools.io` reads the table, these functions
say what its values mean and flag, per row, what cannot be read.
"""

from __future__ import annotations

import re

import pandas as pd

from minetools.config import MinetoolsError

__all__ = ["parse_dates", "parse_scores", "canonical_frame", "value_shape", "SCORE_WORDS", "SCALES"]


_SHAPE = str.maketrans({**{d: "9" for d in "0123456789"},
                        **{c: "a" for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}})


def value_shape(value: str) -> str:
    """How a value that could not be read looks, without its content: digits as 9, Latin letters as
    a, Chinese characters as 字 (``'2025/13/45'`` → ``'9999/99/99'``, ``'不详'`` → ``'字字'``).
    Short numbers (a score of 7) are shown as they are. Issue strings never quote input values,
    which may hold personal data."""
    text = str(value).strip()
    if re.fullmatch(r"-?\d{1,3}(\.\d{1,2})?", text):
        return repr(text)
    shape = re.sub(r"[\u4e00-\u9fff]", "字", text.translate(_SHAPE))
    shape = re.sub(r"9{7,}", lambda m: f"9…9 ({len(m.group())} digits)", shape)
    return repr(shape[:24] + ("…" if len(shape) > 24 else ""))


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
    issues[bad] = "unparseable date " + text[bad].map(value_shape)
    return out, issues


#: survey words → points on the 1–5 scale
SCORE_WORDS = {"非常满意": 5, "很满意": 5, "十分满意": 5, "满意": 4, "比较满意": 4, "较满意": 4, "基本满意": 3,
               "一般": 3, "不太满意": 2, "不满意": 2, "较不满意": 2, "很不满意": 1, "非常不满意": 1, "极不满意": 1}
_NO_RESPONSE = {"未回访", "无法联系", "联系不上", "拒绝回访", "拒访", "未评价", "未接通", "不评价", "无回复", "未答复"}
SCALES = {"1-5": (1, 5), "1-10": (1, 10), "0-10": (0, 10), "0-100": (0, 100), "binary": (0, 1)}


def _detect_scale(numbers: pd.Series) -> str:
    """The narrowest common scale holding at least 98% of the values (stray typos are flagged, not obeyed).

    Only values a scale could hold (0 to 100) are looked at: infinities and absurd numbers are
    flagged per row, they do not decide the scale."""
    valid = numbers[numbers.between(0, 100)]
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
        raise MinetoolsError(f"Unknown satisfaction scale {scale!r}; use one of {', '.join(SCALES)}.")
    text = values.astype("string").str.strip()
    blank = (text.isna() | text.str.lower().isin(_BLANKS)) & (text != "NaN").fillna(True)  # JSON's NaN is a value
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
    issues[outside] = "outside the " + scale + " scale (" + text[outside].map(value_shape).str.strip("'") + ")"
    unread = ~blank & pd.isna(scores) & issues.isna()
    issues[unread] = "unparseable satisfaction " + text[unread].map(value_shape)
    return scores, issues, scale


def canonical_frame(df: pd.DataFrame, *, scale: str | None = None, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """The canonical view of a table read by :func:`minetools.io.read_complaints`.

    Columns: id, text, score (1–5), score_issue, date (datetime), date_issue, branch,
    channel, customer_type — one row per input row, in order; missing roles are NA.
    ``columns`` maps each role to its column (default: what the reader found, in
    ``df.attrs``). ``attrs["score_scale"]`` records the satisfaction scale used.
    """
    columns = columns if columns is not None else df.attrs["minetools"]["columns"]
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


