"""Numbers in text: phones, IDs, cards, accounts, long numbers; also passport ids, licence plates, addresses.

Each ``*_edits(match, s, r)`` gets one RE2 match on the UTF-8 bytes ``s`` and returns the
edits to make (see :mod:`minetools.clean.pii` for the order and the method).
"""

from __future__ import annotations

import re

from minetools.clean.pii_rules import CN_DIGIT_CHARS, CN_DIGIT_VALUES, SEP, Edit, Rules, text_at

__all__ = ["luhn", "valid_id18", "valid_id15", "strict_kind", "context_before", "number_edits", "cn_number_edits",
           "passport_edits", "plate_edits", "address_edits"]

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# mainland mobiles, and Hong Kong, Macau, Taiwan and Singapore mobiles written with their country code
_MOBILE = re.compile(r"(?:0086|86)?1[3-9]\d{9}|(?:00)?(?:852[4-9]\d{7}|8536\d{7}|8869\d{8}|65[89]\d{7})")
_LANDLINE = re.compile(r"0[12]\d\d{8}|0[3-9]\d{2}\d{7,8}|(?:0086|86)(?:[12]\d\d{8}|[3-9]\d{2}\d{7,8})")
_GROUP_B = re.compile(rb"\d+[Xx]?|[Xx]")
_CN_DIGITS = str.maketrans(CN_DIGIT_CHARS, CN_DIGIT_VALUES)

def _valid_date(yyyy: int, mm: int, dd: int) -> bool:
    return 1900 <= yyyy <= 2030 and 1 <= mm <= 12 and 1 <= dd <= 31


def valid_id18(number: str) -> bool:
    body, check = number[:17], number[17].upper()
    if len(number) != 18 or not body.isdigit() or not (check.isdigit() or check == "X"):
        return False
    if not _valid_date(int(body[6:10]), int(body[10:12]), int(body[12:14])):
        return False
    return _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS)) % 11] == check


def valid_id15(number: str) -> bool:
    return (len(number) == 15 and number.isdigit() and number[0] != "0"
            and _valid_date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12])))


def luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_GLUE = " :：=是为為（(【[-—#＃№的"


def context_before(s: bytes, start: int, r: Rules) -> str | None:
    """The kind named by the context word before ``start``: the word right before it (after
    glue such as ``：`` or ``是``), else the nearest one in the 14 characters before it."""
    window = text_at(s, start - 48, start)[-16:]
    window = window[window.rfind(SEP) + 1:].lower()
    tight = window.rstrip(_GLUE)
    for word, kind in r.context_by_last.get(tight[-1:], ()):
        if tight.endswith(word):
            return kind
    found = r.context_near.findall(window[-14:])
    return r.context_kinds.get(found[-1].lower()) if found else None


# --- numbers -------------------------------------------------------------------------------------
def strict_kind(digits: str, grouped: bool) -> str | None:
    """The kind of a well-formed number (without context), else None. ``grouped``: typed in groups
    of at least three digits (a date such as 2025-07-03 is not)."""
    n = len(digits)
    if _MOBILE.fullmatch(digits):
        return "mobile"
    if n == 18 and valid_id18(digits):
        return "id"
    if n == 15 and valid_id15(digits):
        return "id"
    if 16 <= n <= 19 and digits.isdigit() and grouped and luhn(digits):
        return "card"
    if _LANDLINE.fullmatch(digits):
        return "landline"
    if n >= 12 and grouped and digits[:-1].isdigit():
        return "number"
    return None


def context_kind(digits: str, context: str | None, r: Rules) -> str | None:
    """The kind of a number that only its context word identifies."""
    n = len(digits)
    if context in (None, "not_personal") or r.service.fullmatch(digits):
        return None
    limits = {"id": (15, 18), "card": (12, 19), "account": (9, 25), "qq": (5, 11), "wechat": (6, 20),
              "passport": (7, 10)}
    if context == "phone":
        return "landline" if 7 <= n <= 8 else ("mobile" if n == 11 else ("landline" if 10 <= n <= 13 else None))
    lo, hi = limits[context]
    return context if lo <= n <= hi else None


def _windows(groups: list[tuple[int, int, str]]) -> tuple[list[list], list[bool]]:
    """From each digit group, the longest window of groups that is a well-formed number.

    A window spans at most eleven groups (a mobile typed digit by digit); IDs, cards and long
    numbers need groups of at least three digits (all but the last), and a window stops
    growing once no kind can still fit, so a run of a million single digits costs a few
    steps per digit."""
    found, covered, i = [], [False] * len(groups), 0
    n = len(groups)
    while i < n:
        best, best_kind, joined, grouped = None, None, "", True
        for j in range(i, min(n, i + 11)):
            joined += groups[j][2]
            if len(joined) > 24:
                break
            grouped = grouped and (j == i or len(groups[j - 1][2]) >= 3)
            kind = strict_kind(joined, grouped) if len(joined) >= 10 else None
            if kind and (best_kind in (None, "number") or kind != "number"):
                best, best_kind = j, kind
            if not grouped and not (joined[:2] in ("13", "14", "15", "16", "17", "18", "19", "86", "00")
                                    or joined[0] == "0" or (len(joined) == 1 and joined in "18")):
                break  # only a mobile or a landline can be typed in short groups, and this is neither
        if best is None:
            i += 1
            continue
        found.append([i, best, best_kind])
        covered[i:best + 1] = [True] * (best + 1 - i)
        i = best + 1
    return found, covered


_NOT_DIGIT = bytes(c for c in range(256) if not 48 <= c <= 57)
_SHORT_GROUP_NUMBER = re.compile(rb"1[3-9]\d{9}|0\d{9,11}")
_LONG_GROUP = re.compile(rb"\d{3}")


def _worth_windows(text: bytes) -> bool:
    """Whether a long run can hold a number at all: a group of three digits or more, or, typed
    in shorter groups, the digits of a mobile or a landline. (A run of a million single
    digits is then dismissed in one pass.)"""
    return bool(_LONG_GROUP.search(text) or _SHORT_GROUP_NUMBER.search(text.translate(None, _NOT_DIGIT)))


_WHOLE_RUN_KINDS = ("card", "account", "id")


def number_edits(m, s: bytes, r: Rules) -> list[Edit]:
    """Edits for one run of digit groups (see the module docstring, step 3)."""
    text, base = m.group(), m.start()
    if len(text) < 5 or (len(text) > 64 and not _worth_windows(text)):
        return []
    groups = [(g.start(), g.end(), g.group().decode().upper()) for g in _GROUP_B.finditer(text)]
    context = ...  # the context word before the run, looked up once when needed
    if len(groups) <= 12 and sum(len(g[2]) for g in groups) >= 9:  # 卡号 6222 0000 …: one number, says its word
        context = context_before(s, base, r)
        kind = context_kind("".join(g[2] for g in groups), context, r) if context in _WHOLE_RUN_KINDS else None
        if kind:
            return [(base, base + groups[-1][1], f"[{r.placeholders[kind]}]")]
    found, covered = _windows(groups)
    loose = [k for k, c in enumerate(covered) if not c]
    if any(f[2] == "number" for f in found) or sum(len(groups[k][2]) for k in loose) >= 5:
        context = context_before(s, base, r) if context is ... else context
        for f in found:
            if f[2] == "number" and context in ("card", "account", "id"):
                f[2] = context
        found = [f for f in found if not (f[2] == "number" and context == "not_personal")]
        i = 0
        while i < len(groups):  # what no well-formed number covers: by its context word
            if covered[i]:
                i += 1
                continue
            j = i
            while j + 1 < len(groups) and not covered[j + 1]:
                j += 1
            kind = context_kind("".join(g[2] for g in groups[i:j + 1]), context, r)
            if kind:
                found.append([i, j, kind])
            i = j + 1
        found.sort()
    return [(base + (0 if i == 0 else groups[i][0]), base + groups[j][1], f"[{r.placeholders[k]}]")
            for i, j, k in found]


def cn_number_edits(m, s: bytes, r: Rules) -> list[Edit]:
    if m.group().isascii():  # Arabic digits only: the number pass has decided on it
        return []
    digits = re.sub(r"[ \-，,、]", "", m.group().decode()).translate(_CN_DIGITS).replace("叉", "X").replace("x", "X")
    kind = strict_kind(digits, True)
    if kind in (None, "number"):  # a long run read out (卡号是六二二八 四八零零 …): its context word decides
        kind = context_kind(digits, context_before(s, m.start(), r), r)
    return [(m.start(), m.end(), f"[{r.placeholders[kind]}]")] if kind and kind != "number" else []


def _ascii_alnum(c: int) -> bool:
    return 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122


def bounded_edits(kind: str):
    """The whole match as ``kind``, unless a letter or digit touches it (part of a longer code)."""
    def decide(m, s: bytes, r: Rules) -> list[Edit]:
        a, b = m.start(), m.end()
        if (a and _ascii_alnum(s[a - 1])) or (b < len(s) and _ascii_alnum(s[b])):
            return []
        return [(a, b, f"[{r.placeholders[kind]}]")]
    return decide


_passport_bounded = bounded_edits("passport")


def passport_edits(m, s: bytes, r: Rules) -> list[Edit]:
    """A bare passport-shaped code (E12345678, EH4372915), unless it touches letters or digits or a word
    before it says it is a reference (流水号, 回执编号 …)."""
    if context_before(s, m.start(), r) == "not_personal":
        return []
    return _passport_bounded(m, s, r)


def estate_unit_edits(m, s: bytes, r: Rules) -> list[Edit]:
    """翠湖花园7-2-1502: an estate and building-unit-room numbers; not when more digits follow
    (客服中心400-820-8888 is a phone number)."""
    b = m.end()
    if b < len(s) and (chr(s[b]).isdigit() or s[b] in b"-#"):
        return []
    return address_edits(m, s, r)


def plate_edits(m, s: bytes, r: Rules) -> list[Edit]:
    b = m.end()
    tail = m.group().decode()[2:]
    if not any(ch.isdigit() for ch in tail) or (b < len(s) and _ascii_alnum(s[b])):
        return []
    return [(m.start(), b, f"[{r.placeholders['plate']}]")]


def address_edits(m, s: bytes, r: Rules) -> list[Edit]:
    text = m.group().decode()
    cut = 0
    for cue in r.address_cues:  # keep the words that introduce the address (住在, 地址：)
        at = text.rfind(cue, 0, 8)
        if at >= 0 and at + len(cue) > cut and at + len(cue) < len(text) - 2:
            cut = at + len(cue)
    return [(m.start() + len(text[:cut].encode()), m.end(), f"[{r.placeholders['address']}]")]
