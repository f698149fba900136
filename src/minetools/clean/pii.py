"""Personal data in text: find it and replace it by a typed placeholder (``[手机号]`` …).

The rules are data (``resources/pii.yml``: placeholders, context words, name and address
vocabularies); this module compiles them and applies them to text that
:func:`minetools.clean.normalize_text` has normalised (entities decoded, tags stripped,
full-width folded, line breaks and spaces joined).

What is masked, in this order
-----------------------------
1. **E-mail** ``local@domain.tld`` with spaces around the parts, ``(at)``/``[at]``/`` at ``/艾特,
   and ``。``/``(dot)``/点 for the dots; also read out by speech-to-text, letters, words and
   Chinese digits with ``at``/艾特 and ``dot``/点 before ``com``/``cn``/``net``/``org``.
2. **WeChat, QQ, passport and permit ids** after their context words (微信号, QQ, 护照, 军官证 …);
   E/G + 8 digits (the Chinese passport form) and military cards (南字第2048816号) also without one.
3. **Numbers.** A candidate is a run of digit groups joined by up to three separators
   (space, ``-``, ``.``, ``/``, brackets …), with an optional ``+`` and bracketed area code.
   From each group the longest window of consecutive groups that is a well-formed number is
   masked: a mobile (``1[3-9]`` + 9 digits, +86/0086/86 allowed), an 18-character ID with a
   valid birth date and checksum (or 15 digits with a valid date), a 16–19-digit card
   passing Luhn, a landline (``0`` + area code + 7–8 digits; an extension after it is
   absorbed). What remains is masked by its context word (``身份证``, ``卡号``, ``账号``,
   ``电话``, ``QQ`` … in the 14 characters before it): an ID of 15–18, a card of 12–19, an
   account of 9–25, a landline of 7–8 digits. Any other run of 12 or more digits typed in
   groups of at least three is masked as ``[号码]`` unless its context says it is not
   personal (流水号, 订单号 …). So ``2025-07-03 13912345678`` loses only the phone, and
   ``尾号1234`` or ``95588`` stay. Runs of seven or more Chinese numerals (一三九…, and 幺/洞 as
   read out digit by digit) are read as digits.
4. **Licence plates** (province character, a letter, five or six letters and digits).
5. **Street addresses**: street + house number (+ building, unit, room), estates with a
   building number; the words before them (住在, 地址：) are kept.
6. **Names**: after a label (姓名：, 户名, 持卡人, 收款人, 联系人 …), an introduction (我叫, 本人),
   a role (客户…来电, 柜员…) or before a title (张先生, 王女士, 李经理). Outside a label a name is a
   surname from the list plus one or two common given-name characters, ending where a
   known word begins (来电, 反映, 态度 …); surnames that are everyday words (向, 高, 方 …)
   are not taken on a title alone, so 向经理反映 stays. After 我叫, 名叫 or 我的名字 the name is
   taken whatever word it makes (我叫方圆); a compound surname that is no word (宇文, 欧阳) needs
   no cue; names jieba's tagger reads as persons are masked too (:mod:`~minetools.clean.pii_tagged`).
7. **Repeats**: a name masked once in a text is masked wherever the same text repeats it, and so is
   the given name of a full name (刘建国 … 建国).

The rules (``resources/pii.yml``) are compiled in :mod:`minetools.clean.pii_rules`; the
decisions are in :mod:`minetools.clean.pii_numbers` (steps 2–5) and
:mod:`minetools.clean.pii_words` (step 6).

Every regular expression runs on RE2 (google-re2): no backtracking, time linear in the
text. Texts are masked in batches joined by a separator no rule matches, so each
expression runs once per batch rather than once per text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from minetools.clean import pii_numbers as nums
from minetools.clean import pii_words as words
from minetools.clean.normalize import normalize_text
from minetools.clean.pii_tagged import mask_tagged_names
from minetools.clean.pii_rules import NICK_PREFIXES, SEP, Edit, Rules, edit, rules

__all__ = ["PII_KINDS", "placeholder", "mask_texts", "mask_pii", "count_pii", "looks_like_name", "looks_like_person"]

#: a placeholder written by masking ([手机号], [姓名] …), or one already in the input
_PLACEHOLDER = re.compile(r"(\[[\u4e00-\u9fffA-Za-z]{1,4}\])")

#: kinds of personal data, in the order of resources/pii.yml
PII_KINDS = ("mobile", "landline", "id", "card", "account", "number", "email", "passport", "wechat", "qq",
             "plate", "address", "name")
_BATCH_CHARS = 1_000_000
#: a cell longer than this is no complaint: only its first MAX_CELL_CHARS characters are masked and kept
#: (nothing unmasked is ever written), so a 2 MB cell dense with cues (客户王客户王…) still takes < 1 s
MAX_CELL_CHARS = 50_000
#: texts of this many characters in all are masked on every core (below it, forking costs more than it saves)
PARALLEL_MIN_CHARS = 300_000


def placeholder(kind: str) -> str:
    """The placeholder written for one kind of personal data, e.g. ``[手机号]`` for ``mobile``."""
    return f"[{rules().placeholders[kind]}]"


# --- applying one rule ---------------------------------------------------------------------------
# Matching runs on UTF-8 bytes: RE2 then reports byte offsets as they are (no conversion of a
# long text to character offsets at every search). A decision reads the characters it needs.
def _char_len(lead: int) -> int:
    """Bytes of the UTF-8 character whose first byte is ``lead``."""
    return 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4


def _apply(pattern, s: bytes, decide: Callable[..., list[Edit]], counts: Counter, r: Rules, retry: bool) -> bytes:
    """``s`` with the edits ``decide(match, s, r)`` returns for each match of ``pattern``.

    With ``retry``, the search goes on right after the last edit, or one character after a
    match that ``decide`` turns down, so that a shorter match inside it (王女士 inside 和王女士)
    is not lost; the patterns that retry match a few characters only, so this stays linear."""
    out, pos, at = [], 0, 0
    search = pattern.search
    while True:
        m = search(s, at)
        if m is None:
            break
        edits = decide(m, s, r)
        for a, b, rep in edits:
            if a < pos:
                continue
            out += (s[pos:a], rep.encode("utf-8"))
            pos = b
            counts[rep] += 1
        if not retry:
            at = max(m.end(), pos, m.start() + 1)
        else:  # go on after the last edit (or one character later), not after the whole match
            at = max(pos, m.start() + _char_len(s[m.start()]) if m.start() < len(s) else len(s) + 1)
        if at > len(s):
            break
    if not out:
        return s
    out.append(s[pos:])
    return b"".join(out)


def _whole(kind: str):
    return lambda m, s, r: edit(m.start(), m.end(), kind, r)


def _group(kind: str):
    return lambda m, s, r: edit(m.start(1), m.end(1), kind, r)


# --- the passes, in order ------------------------------------------------------------------------
def _passes(r: Rules, numbers_only: bool = False):
    """(pattern, decision, retry a turned-down match one character later), in order; with ``numbers_only``
    the passes of e-mails and numbers (steps 1–3) only."""
    numbers = _number_passes(r)
    return numbers if numbers_only else numbers + _word_passes(r)


def _number_passes(r: Rules):
    return (
        (r.email, _whole("email"), False),
        (r.spoken_email, _whole("email"), False),
        (r.wechat, _group("wechat"), False),
        (r.passport, _group("passport"), False),
        (r.passport_bare, nums.passport_edits, False),
        (r.officer_id, _whole("passport"), False),
        (r.foreign_id, nums.bounded_edits("id"), False),
        (r.digits, nums.number_edits, False),
        (r.cn_digits, nums.cn_number_edits, False),
        (r.extension, _whole("landline"), False),
    )


def _word_passes(r: Rules):
    return (
        (r.plate, nums.plate_edits, True),
        (r.address, nums.address_edits, False),
        (r.estate_units, nums.estate_unit_edits, False),
        (r.address_rural, nums.address_edits, False),
        (r.address_shorthand, nums.estate_unit_edits, False),
        (r.address_en, _whole("address"), False),
        (r.label, words.label_name, True),
        (r.intro, words.cue_name, True),
        (r.role, words.cue_name, True),
        (r.nick, words.nick_name, True),
        (r.title, words.title_name, True),
        (r.latin_title, _group("name"), False),
        (r.latin_name, _group("name"), False),
        (r.latin_given_first, words.latin_given_first, False),
        (r.subject, words.subject_name, True),
        (r.dotted, words.dotted_name, False),
        (r.group, words.group_name, True),
        (r.compound_alone, words.compound_name, True),
    )


def _mask_batch(s: str, counts: Counter, numbers_only: bool = False) -> str:
    r = rules()
    b = s.encode("utf-8")
    for pattern, decide, retry in _passes(r, numbers_only):
        b = _apply(pattern, b, decide, counts, r, retry)
    return b.decode("utf-8") if numbers_only else mask_tagged_names(b.decode("utf-8"), r, counts)


def _batches(texts: list[str]):
    batch, size = [], 0
    for i, t in enumerate(texts):
        batch.append(i)
        size += len(t) + 1
        if size >= _BATCH_CHARS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def mask_texts(texts: Sequence[str], *, normalized: bool = False, numbers_only: bool = False
               ) -> tuple[list[str], dict[str, int]]:
    """Mask personal data in many texts at once.

    Parameters
    ----------
    texts : strings (anything else is returned unchanged).
    normalized : the texts already went through :func:`minetools.clean.normalize_text`.
    numbers_only : only e-mails and numbers (steps 1–3 of the module docstring; for record ids, which
        are personal only when they hold a phone, an ID, a card number or an e-mail).

    A text longer than :data:`MAX_CELL_CHARS` is cut to that length (after normalising) before it is
    masked. Many texts (:data:`PARALLEL_MIN_CHARS` characters or more) are split into one share per
    core, masked in forked workers (:func:`minetools.parallel.fork_map`); the result is the same.

    Returns
    -------
    The masked texts (normalised), and the number of values masked per kind (:data:`PII_KINDS`).
    """
    from minetools.parallel import available_cores, fork_map

    rules()  # compiled once, before any worker is forked
    texts = list(texts)
    size = sum(len(t) for t in texts if isinstance(t, str))
    cores = min(available_cores(), 4)
    if size < PARALLEL_MIN_CHARS or cores < 2:
        return _mask_share(texts, normalized, numbers_only)
    step = -(-len(texts) // cores)
    shares = fork_map(_mask_share, [texts[i:i + step] for i in range(0, len(texts), step)],
                      (normalized, numbers_only), parallel=True)
    per_kind = {k: sum(share[1][k] for share in shares) for k in PII_KINDS}
    return [m for share in shares for m in share[0]], per_kind


def _mask_share(texts: list, normalized: bool, numbers_only: bool = False) -> tuple[list[str], dict[str, int]]:
    """:func:`mask_texts` on one share of the texts, in this process."""
    r = rules()
    by_placeholder = {f"[{v}]": k for k, v in r.placeholders.items()}
    out = list(texts)
    idx = [i for i, t in enumerate(out) if isinstance(t, str)]
    strings = [(t if normalized else normalize_text(t[:2 * MAX_CELL_CHARS]))[:MAX_CELL_CHARS]
               for t in (out[i] for i in idx)]
    counts: Counter = Counter()
    name = f"[{r.placeholders['name']}]"
    for batch in _batches(strings):
        masked = _mask_batch(SEP.join(strings[i] for i in batch), counts, numbers_only).split(SEP)
        for i, m in zip(batch, masked):
            out[idx[i]] = _name_everywhere(strings[i], m, name, counts) if name in m else m
    per_kind = {k: 0 for k in PII_KINDS}
    for rep, n in counts.items():
        per_kind[by_placeholder[rep]] += n
    return out, per_kind


def _masked_values(original: str, masked: str) -> list[tuple[str, str]]:
    """(placeholder, the text it replaced) for each placeholder of ``masked``, which is ``original``
    with spans replaced: the pieces between placeholders are found in ``original`` in order. It stops
    at two placeholders side by side (where one value ends and the next begins cannot be told)."""
    parts = _PLACEHOLDER.split(masked)  # text, placeholder, text, placeholder, …, text
    if not original.startswith(parts[0]):
        return []
    out, start = [], len(parts[0])
    for k in range(1, len(parts), 2):
        rep, piece = parts[k], parts[k + 1]
        end = (len(original) if k + 2 == len(parts) else -1) if not piece else original.find(piece, start + 1)
        if end < 0:
            return out
        out.append((rep, original[start:end]))
        start = end + len(piece)
    return out


def _name_everywhere(original: str, masked: str, name: str, counts: Counter) -> str:
    """``masked`` with every other mention of a name found in it masked too (投诉人：向阳 … 向阳称: a
    cue names a person once, the text goes on without one), and the given name of a full name (其配偶钱美华 …
    美华称)."""
    found = {v for rep, v in _masked_values(original, masked) if rep == name and _name_shaped(v)}
    # 刘建国 … 建国: a full name of three (or, with a compound surname, four) characters, then its given name
    found |= {v[-2:] for v in list(found) if len(v) in (3, 4) and all(words.is_han(ch) for ch in v)
              and (len(v) == 3 or v[:2] in rules().compound)}
    for value in sorted(found, key=len, reverse=True):
        n = masked.count(value)
        if n:
            masked = masked.replace(value, name)
            counts[name] += n
    return masked


def _name_shaped(value: str) -> bool:
    """Two to four Chinese characters, or Latin words of five letters or more (what is safe to look for
    again elsewhere in the same text)."""
    if 2 <= len(value) <= 4 and all(words.is_han(ch) for ch in value) and not value.endswith("某"):
        return True
    return len(value) >= 5 and value.replace(" ", "").replace("-", "").isalpha() and value.isascii()


def mask_pii(text: str) -> str:
    """One text with its personal data replaced by typed placeholders ([手机号], [身份证号], [姓名] …)."""
    return mask_texts([text])[0][0]


def count_pii(texts: Sequence[str]) -> tuple[list[str], dict[str, int]]:
    """Mask every text and count what was masked, per placeholder (手机号, 身份证号 …)."""
    masked, per_kind = mask_texts(texts)
    r = rules()
    return masked, {r.placeholders[k]: v for k, v in per_kind.items()}


def looks_like_person(term: str) -> bool:
    """:func:`looks_like_name`, or a surname before a title (马先生, 王女士) or, for a surname that is
    no everyday word, before a title's first character (钟先, 李经). Everyday words that look like
    names (黄金, 卫生 in ``resources/pii.yml``) are not persons."""
    r = rules()
    if term in r.common_words:
        return False
    if looks_like_name(term) or _nickname(term, r):
        return True
    sur = words.split_surname(term, r)
    rest = term[sur:]
    if not sur or not rest:
        return False
    return rest in r.title_words or (term[:sur] not in r.ambiguous and len(rest) == 1
                                     and any(t.startswith(rest) and len(t) > 1 for t in r.title_words))


def _nickname(term: str, r: Rules) -> bool:
    """小李, 老王, 阿陈: a prefix and a surname that is no everyday character (not 小时, 老公)."""
    if len(term) < 2 or term[0] not in NICK_PREFIXES or term in r.common_words:
        return False
    rest = term[1:]
    return rest in r.surnames and not (len(rest) == 1 and rest in r.ambiguous)


def looks_like_name(token: str) -> bool:
    """True for a 2–4-character token made of a surname and common given-name characters (e.g. 陈晓明).

    For words shown on their own, without the context masking needs (word clouds, top
    terms, a model's vocabulary): a segmenter joins an unknown name into one token.
    """
    r = rules()
    if not 2 <= len(token) <= 4:
        return False
    sur = words.split_surname(token, r)
    rest = token[sur:]
    return (bool(sur) and 1 <= len(rest) <= 2 and all(ch in r.given for ch in rest)
            and (sur > 1 or token[0] not in r.ambiguous) and token not in r.common_words)
