"""The segmenter's resource files: user dictionaries (jieba format), word lists and synonym tables, bundled
or the user's own, read leniently and with every unreadable line reported by number.

Files may have a BOM, CRLF line ends, tab or space separators, missing frequencies and duplicate words; lines
that cannot be parsed are reported with their line numbers (:class:`ResourceError`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

#: Typed placeholders written by :func:`minetools.clean.mask_pii` and URL replacement.
PLACEHOLDERS = ("[手机号]", "[固话]", "[身份证号]", "[银行卡号]", "[邮箱]", "[姓名]", "[网址]")

#: jieba only ever joins characters of this class into one token (``re_han_default``); a
#: dictionary word with any other character can never be produced.
JIEBA_WORD = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")
_FREQ = re.compile(r"\d+")
_TAG = re.compile(r"[A-Za-z]{1,8}")
_SYN_SPLIT = re.compile(r"\s*(?:\t|,|，|=>|->|→|\s)\s*")


@dataclass(frozen=True)
class LineProblem:
    """One line of a resource file that was rejected (``severity="error"``) or is suspicious."""

    path: str
    line: int
    text: str
    reason: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.path}, line {self.line}: {self.reason} (got {self.text!r})"


class ResourceError(ValueError):
    """A user dictionary, stopword or synonym file has lines that cannot be parsed."""

    def __init__(self, problems: Sequence[LineProblem]):
        self.problems = list(problems)
        shown = "\n  ".join(str(p) for p in self.problems[:20])
        more = f"\n  … and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(
            f"{len(self.problems)} line(s) could not be used:\n  {shown}{more}\n"
            "Fix or delete those lines (a '#' at the start of a line makes it a comment)."
        )


def bundled_resource(name: str) -> Path:
    return Path(str(resources.files("minetools") / "resources" / name))


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (Windows exports)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _content_lines(path: str | Path) -> list[tuple[int, str]]:
    """Non-empty, non-comment lines with their 1-based line numbers (BOM, CRLF, CR tolerated)."""
    text = _decode(Path(path).read_bytes())
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.replace("\ufeff", "").replace("\u200b", "").strip()
        if line and not line.startswith("#"):
            out.append((number, line))
    return out


def simplifier():
    """The text normalisation applied to user resources: half-width ASCII, then OpenCC t2s."""
    from minetools.clean import normalize_width, to_simplified

    return lambda s: to_simplified(normalize_width(s))


def report_problems(problems: list[LineProblem], errors: str) -> None:
    if errors not in ("raise", "warn", "ignore"):
        raise ValueError(f"errors must be 'raise', 'warn' or 'ignore', got {errors!r}")
    bad = [p for p in problems if p.severity == "error"]
    if bad and errors == "raise":
        raise ResourceError(bad)
    if problems and errors != "ignore":
        for p in problems if errors == "warn" else [p for p in problems if p.severity != "error"]:
            warnings.warn(str(p), UserWarning, stacklevel=3)


def parse_user_dict(
    path: str | Path, *, simplify: bool = False
) -> tuple[list[tuple[str, int | None, str | None]], list[LineProblem]]:
    """Entries and problems of a jieba-format user dictionary (see :func:`load_user_dict`)."""
    conv = simplifier() if simplify else None
    entries: dict[str, tuple[str, int | None, str | None]] = {}
    problems = []
    for number, line in _content_lines(path):
        parts = line.split()
        word, rest = parts[0], parts[1:]
        freq = tag = None
        reason = None
        if len(rest) > 2:
            reason = "expected 'word [frequency] [tag]', found more than three fields"
        elif rest:
            if _FREQ.fullmatch(rest[0]):
                freq = int(rest[0])
                if len(rest) == 2:
                    if _TAG.fullmatch(rest[1]):
                        tag = rest[1].lower()
                    else:
                        reason = f"the tag {rest[1]!r} is not a part-of-speech tag such as n, v, nz"
            elif len(rest) == 1 and _TAG.fullmatch(rest[0]):
                tag = rest[0].lower()
            else:
                reason = f"the frequency {rest[0]!r} is not a whole number"
        if reason:
            problems.append(LineProblem(str(path), number, line, reason))
            continue
        if conv is not None:
            word = conv(word)
        if not JIEBA_WORD.fullmatch(word):
            bad = sorted({ch for ch in word if not JIEBA_WORD.fullmatch(ch)})
            problems.append(LineProblem(
                str(path), number, line,
                f"the word contains {''.join(bad)!r}, where jieba always splits; it can never be a token",
                severity="warning"))
            continue
        entries.pop(word, None)  # duplicates: the last line wins (and moves to the end)
        entries[word] = (word, freq, tag)
    return list(entries.values()), problems


def load_user_dict(
    path: str | Path, *, errors: str = "raise", simplify: bool = False
) -> list[tuple[str, int | None, str | None]]:
    """Read a jieba-format user dictionary: ``word [freq] [tag]`` per line.

    Fields may be separated by spaces or tabs; the frequency and the tag are optional
    (``word tag`` is accepted too). BOM, CRLF and GB18030-encoded files are read; for a
    duplicated word the last line wins. ``errors="raise"`` raises :class:`ResourceError`
    listing every line that cannot be parsed, ``"warn"`` warns and skips them. Words that
    contain characters jieba always splits at are skipped with a warning.
    ``simplify=True`` converts words to Simplified script and half-width ASCII, as
    :func:`minetools.clean.clean_text` does to texts.
    """
    entries, problems = parse_user_dict(path, simplify=simplify)
    report_problems(problems, errors)
    return entries


def parse_word_list(path: str | Path, *, simplify: bool = False) -> tuple[set[str], list[LineProblem]]:
    """Words and problems of a word list (see :func:`load_word_list`)."""
    conv = simplifier() if simplify else None
    words: set[str] = set()
    for _, line in _content_lines(path):
        for word in line.split():
            words.add(conv(word) if conv else word)
    return words, []


def load_word_list(path: str | Path, *, errors: str = "raise", simplify: bool = False) -> set[str]:
    """Words of a list such as stopwords: one per line (or several separated by spaces).

    ``#`` starts a comment line. ``simplify=True`` converts to Simplified script.
    """
    words, problems = parse_word_list(path, simplify=simplify)
    report_problems(problems, errors)
    return words


def resolve_synonyms(table: dict[str, str], source: str) -> tuple[dict[str, str], list[LineProblem]]:
    """Follow chains (a→b, b→c gives a→c); cycles are problems."""
    resolved, problems = {}, []
    for variant in table:
        seen, target = {variant}, table[variant]
        while target in table and target not in seen:
            seen.add(target)
            target = table[target]
        if target in seen:
            problems.append(LineProblem(source, 0, variant, "synonyms form a cycle"))
            continue
        resolved[variant] = target
    return resolved, problems


def parse_synonyms(path: str | Path, *, simplify: bool = False) -> tuple[dict[str, str], list[LineProblem]]:
    """Table and problems of a synonym file (see :func:`load_synonyms`)."""
    conv = simplifier() if simplify else None
    table: dict[str, str] = {}
    problems = []
    for number, line in _content_lines(path):
        parts = [p for p in _SYN_SPLIT.split(line) if p]
        if len(parts) != 2:
            problems.append(LineProblem(
                str(path), number, line, "expected 'variant<TAB>canonical' (two words; tab, space or comma between)"))
            continue
        variant, canonical = (conv(p) for p in parts) if conv else parts
        if variant != canonical:
            table[variant] = canonical  # duplicates: the last line wins
    resolved, cycles = resolve_synonyms(table, str(path))
    return resolved, problems + cycles


def load_synonyms(path: str | Path, *, errors: str = "raise", simplify: bool = False) -> dict[str, str]:
    """``variant<TAB>canonical`` per line (tab, spaces or a comma between the two words).

    Chains are followed (a→b, b→c maps a to c). A line that cannot be parsed raises
    :class:`ResourceError` (a ``ValueError``) naming its line number, unless ``errors="warn"``.
    """
    table, problems = parse_synonyms(path, simplify=simplify)
    report_problems(problems, errors)
    return table
