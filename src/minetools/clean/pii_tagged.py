"""Names no cue announces, found by jieba's part-of-speech tagger (rjieba, compiled).

The rule passes of :mod:`minetools.clean.pii` need a cue (姓名：, 客户, 经理 …) or a title; a name
told plainly (我在彭浩然那里办的卡, 柜员白雪也答应过) has none. jieba's tagger reads such a name as a
person (``nr``) from its dictionary and its hidden Markov model. A tagged word is masked when it is
also shaped like a Chinese name: a surname (欧阳, 陈) and one or two given-name characters, none of
which never starts a given name (了, 的 …), and no everyday word of ``resources/pii.yml`` (黄金,
小费). A given name the tagger split from its surname (孙 + 德胜, 欧阳 + 晓岚) is joined back. The
tagger is evidence, not proof: what it tags outside these shapes (银行卡, 张贴) is left alone, and the
false positives it adds on the labelled sets are listed in ``bench/results/privacy.md``.
"""

from __future__ import annotations

from collections import Counter
from itertools import accumulate

from minetools.clean.pii_rules import Rules
from minetools.clean.pii_words import is_han, split_surname

__all__ = ["mask_tagged_names"]

_OPEN_QUOTES = ("“", "‘", "\"", "'", "「", "『", "《", "〈", "【")


def _given(chars: str, r: Rules) -> bool:
    return 1 <= len(chars) <= 2 and all(is_han(ch) and ch in r.given and ch not in r.not_given for ch in chars)


def _shaped_like_name(word: str, r: Rules) -> bool:
    """陈志明, 欧阳晓岚, 高峰: a surname, then one or two given-name characters; no everyday word."""
    if not 2 <= len(word) <= 4 or word in r.common_words or word.endswith("某"):
        return False
    sur = split_surname(word, r)
    return bool(sur) and word[:sur] not in r.function_surnames and _given(word[sur:], r)


def _tagged_full_name(word: str, r: Rules) -> bool:
    """郑可欣, 邹丽君, 欧阳震宇: a surname and two given characters, as the tagger read a person. One of
    the two is a common given-name character, neither is a grammar word (了, 的, 我 …), and the word is
    no everyday word (jieba's dictionary also calls 申请书 and 冷冰冰 persons)."""
    sur = split_surname(word, r)
    given = word[sur:]
    return bool(sur) and len(given) == 2 and all(is_han(ch) for ch in word) and word not in r.common_words \
        and any(ch in r.given for ch in given) and not any(ch in r.grammar_chars for ch in given)


def _in_context(tagged: list[tuple[str, str]], i: int, r: Rules) -> bool:
    """Whether token ``i`` stands where a person stands: after a cue (柜员, 我叫, 客户), before a title
    or a word that follows persons (经理, 来电, 说), or before punctuation or the end (…经理金鑫。)."""
    before = tagged[i - 1][0] if i else ""
    after = tagged[i + 1][0] if i + 1 < len(tagged) else ""
    return (bool(before) and before.endswith(r.cues)) or not after or not is_han(after[0]) \
        or after.startswith(r.title_words) or after.startswith(r.strong_ends)


def _plausible(tagged: list[tuple[str, str]], i: int, r: Rules) -> bool:
    """A tagged word shaped like a name; one that is also an everyday word (高峰, 白雪: a surname that is
    a common character, or a one-character given name) only where a person stands (高峰经理, not 高峰期)."""
    word = tagged[i][0]
    after = tagged[i + 1][0] if i + 1 < len(tagged) else ""
    if after.startswith(r.place_after):
        return False
    sur = split_surname(word, r)
    if _shaped_like_name(word, r):
        return (len(word) - sur == 2 and word[:sur] not in r.ambiguous) or _in_context(tagged, i, r)
    if not _tagged_full_name(word, r) or (i and tagged[i - 1][0].endswith(_OPEN_QUOTES)):
        return False  # “周周宝”, 《王小波》: a quoted name is a product's or a title's more often than a person's
    usual = word[:sur] not in r.ambiguous and word[:sur] not in r.function_surnames
    return usual or _in_context(tagged, i, r)


def _names_in(tagged: list[tuple[str, str]], r: Rules) -> set[int]:
    """Indexes of the tokens of ``tagged`` that are (part of) a person's name."""
    hits: set[int] = set()
    for i in [i for i, (_, tag) in enumerate(tagged) if tag[:2] == "nr"]:
        word = tagged[i][0]
        if _plausible(tagged, i, r):
            hits.add(i)
            continue
        before = tagged[i - 1][0] if i else ""
        after = tagged[i + 1][0] if i + 1 < len(tagged) else ""
        # a given name split from its surname: 孙 + 德胜, 欧阳 + 晓岚, 陳 + 志明
        if len(word) == 2 and split_surname(before, r) == len(before) > 0 and before not in r.function_surnames \
                and (_given(word, r) or _tagged_full_name(before + word, r)):
            hits.update((i - 1, i))
        # a surname the tagger calls a person, then a given name it read as a word: 彭 + 浩然
        elif split_surname(word, r) == len(word) and word not in r.ambiguous and len(after) == 2 \
                and _given(after, r) and (word + after) not in r.common_words:
            hits.update((i, i + 1))
    return hits


def mask_tagged_names(text: str, r: Rules, counts: Counter) -> str:
    """``text`` with the names the tagger finds replaced by the name placeholder; ``counts`` counts them."""
    import rjieba

    tagged = rjieba.tag(text, True)
    hits = _names_in(tagged, r)
    if not hits:
        return text
    ends = list(accumulate(len(word) for word, _ in tagged))
    if ends[-1] != len(text):  # the tagger kept every character, as it should
        return text
    placeholder = f"[{r.placeholders['name']}]"
    out, pos = [], 0
    for i in sorted(hits):
        start = ends[i] - len(tagged[i][0])
        if i - 1 not in hits:
            out += [text[pos:start], placeholder]
            counts[placeholder] += 1
        pos = ends[i]
    out.append(text[pos:])
    return "".join(out)
