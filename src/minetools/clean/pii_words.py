"""Names in text: after labels, introductions and roles, before titles, with middle dots, before 夫妻/代理人.

Each ``*_name(match, s, r)`` gets one RE2 match on the UTF-8 bytes ``s`` and returns the
edits to make (see :mod:`minetools.clean.pii` for the order and the method).
"""

from __future__ import annotations

import re

from minetools.clean.pii_rules import Edit, Rules, text_at

__all__ = ["is_han", "split_surname", "given_length", "label_name", "cue_name", "subject_name", "nick_name",
           "title_name", "dotted_name", "group_name", "compound_name",
           "latin_given_first"]

def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def given_length(rest: str, r: Rules, *, strict: bool, surname: str = "") -> int:
    """How many characters of ``rest`` (the text after a surname) are a given name: 2, 1 or 0.

    Never a character that does not start names (了, 的, 上, 名 …). ``strict`` (after a role or
    an introduction, not after 姓名：): the name is two common given-name characters, or common
    characters followed by a word that ends names (来电, 反映, 的 …), punctuation or the end, or
    rarer characters followed by a word that only follows persons (来电, 反映, 先生 …) or by
    punctuation, unless ``surname`` + those characters is an everyday word (明确, 申请)."""
    for n in (2, 1):
        part = rest[:n]
        if len(part) < n or not all(is_han(ch) and ch not in r.not_given for ch in part):
            continue
        if not strict:
            return n
        after = rest[n:]
        boundary = not after or not is_han(after[0])
        common = all(ch in r.given for ch in part)
        if common and (n == 2 or boundary or after.startswith(r.ends)):
            return n
        if (boundary or after.startswith(r.strong_ends)) \
                and not (len(surname) == 1 and _dictionary_word(surname + part)):  # 欧阳 + 震宇 is no word
            return n
    return 0


def _dictionary_word(text: str) -> bool:
    """Whether jieba's dictionary reads ``text`` as everyday words rather than a name (明确, 申请, 皮球):
    its first word is a word of two or more characters that is not tagged as a person's name, or
    every word of it is."""
    import rjieba

    tagged = rjieba.tag(text, True)
    first, tag = tagged[0]
    if len(first) >= 2 and not tag.startswith("nr") and tag != "x":
        return True
    return len(tagged) > 1 and all(not t.startswith("nr") and t not in ("x", "zg") for _, t in tagged)


def _everyday(surname: str, given: str, r: Rules) -> bool:
    """Whether surname + given is an everyday word or starts with a function word (连续, 和金额, 来信)."""
    return surname in r.function_surnames or (surname + given) in r.common_words or \
        any(w in r.common_words for w in ((surname + given)[:2], (surname + given)[:3]))


def split_surname(text: str, r: Rules) -> int:
    """Length of the surname ``text`` starts with (2 for 欧阳), 0 if none."""
    if text[:2] in r.compound:
        return 2
    return 1 if text[:1] in r.surnames else 0


def name_edit(s: bytes, a: int, chars: str, r: Rules) -> list[Edit]:
    """Mask the ``chars`` that start at byte ``a``."""
    return [(a, a + len(chars.encode()), f"[{r.placeholders['name']}]")]


def label_name(m, s: bytes, r: Rules) -> list[Edit]:
    if m.start(1) >= 0:
        glue, a, spaced_off = m.group(1).decode(), m.start(2), False
    else:
        glue, a, spaced_off = "", m.start(4), bool(m.group(3)) and m.start(3) < m.end(3)
    strong = bool(re.search(r"[:：=]", glue))  # 姓名：… ; after 是/为 (客户为查询…) the name must look like one
    cand = text_at(s, a, a + 24)[:8]
    spaced = len(cand) >= 3 and cand[1] == " " and is_han(cand[0]) and is_han(cand[2])
    if spaced and strong:  # 户名：张 伟 (a space typed inside the name)
        n = 2 if len(cand) < 4 or not is_han(cand[3]) or cand[3:].startswith(r.ends) else 3
        return name_edit(s, a, cand[:n + 1], r)
    if cand[0].isascii():  # a name in Latin letters: after a colon, or written "WANG Fang" / "Wang Fang"
        latin = (m.group(2) if m.start(2) >= 0 else m.group(4)).decode()
        return name_edit(s, a, latin, r) if strong or " " in latin else []
    if cand.startswith(r.stop_after_label):
        return []
    named = named_length(cand, r) if m.group().decode().startswith(r.naming) else 0
    if named:  # 名叫马力, 我的名字李想、
        return name_edit(s, a, cand[:named], r)
    sur = split_surname(cand, r)
    if sur:
        n = given_length(cand[sur:], r, strict=not strong, surname=cand[:sur])
        if not n and spaced_off:  # 联系人 方圆 反映: a name set off by spaces after a label, whatever it is
            n = given_length(cand[sur:], r, strict=False)
            n = n if n and (len(cand) == sur + n or cand[sur + n] in " ，,。;；、)）") else 0
            return name_edit(s, a, cand[:sur + n], r) if n else []
        if n and (strong or not _everyday(cand[:sur], cand[sur:sur + n], r)):
            return name_edit(s, a, cand[:sur + n], r)
    if strong and cand[0] not in r.not_given:  # 姓名：<any two or three characters>
        length = 3 if len(cand) >= 3 and is_han(cand[2]) and not cand[2:].startswith(r.ends) else 2
        return name_edit(s, a, cand[:length], r)
    return []


def _same_surname_after(s: bytes, end: int, surname: str, r: Rules) -> list[Edit]:
    """我姓马，马骏驰 / 我姓向，叫向东阳: the full name that follows the surname just given."""
    after = text_at(s, end, end + 30)
    gap = re.match(r"[，,、 ]{0,2}(?:叫|名叫|叫做|全名|名字叫)?[ ]?", after).end()
    if not after[gap:].startswith(surname):
        return []
    rest = after[gap + len(surname):]
    n = given_length(rest, r, strict=False)
    a = end + len(after[:gap].encode())
    return name_edit(s, a, surname + rest[:n], r) if n else []


def named_length(cand: str, r: Rules, *, self_intro: bool = False) -> int:
    """Length of the name ``cand`` starts with right after 我叫, 名叫 or 我的名字 (``resources/pii.yml``
    ``naming``): a surname and one or two characters that can be a given name, then punctuation, the
    end or a word that ends names — whatever word it makes (方圆, 马力). After 我是, 本人 (``self_intro``)
    the given characters are common given-name ones, punctuation follows and the dictionary does not
    have the whole as an ordinary word (我是向东， but 我是农民，); 0 if none."""
    sur = split_surname(cand, r)
    for n in (2, 1) if sur else ():
        part, after = cand[sur:sur + n], cand[sur + n:]
        if len(part) < n or not all(is_han(ch) and ch not in r.not_given and ch not in r.grammar_chars
                                    for ch in part):
            continue
        if not self_intro and (not after or not is_han(after[0]) or after.startswith(r.ends)):
            return sur + n
        alone = not after or not (is_han(after[0]) or after[0].isalnum() or after[0] in "(（")
        if self_intro and alone and all(ch in r.given for ch in part) and not _ordinary_word(cand[:sur + n], r):
            return sur + n
    return 0


def _ordinary_word(text: str, r: Rules) -> bool:
    """An everyday word of ``resources/pii.yml`` or one jieba's dictionary tags as a noun, verb,
    adjective or adverb (农民, 同意, 高兴), not as a person."""
    import rjieba

    if text in r.common_words:
        return True
    tagged = rjieba.tag(text, True)
    return len(tagged) == 1 and tagged[0][1][:1] in ("n", "v", "a", "d", "b") and not tagged[0][1].startswith("nr")


def cue_name(m, s: bytes, r: Rules) -> list[Edit]:
    """After an introduction or a role: surname + a common given name ending at a known word."""
    surname, a = m.group(1).decode(), m.start(1)
    rest = text_at(s, m.end(1), m.end(1) + 12)
    if m.group().decode().startswith(("我姓", "本人姓")):
        return name_edit(s, a, surname, r) + _same_surname_after(s, m.end(1), surname, r)
    glued = s[m.start():m.start(1)].decode()
    cue = glued.rstrip(" ")
    if cue.endswith(r.naming) or (cue in r.self_intros):
        n = named_length(surname + rest, r, self_intro=not cue.endswith(r.naming))
        if n:
            return name_edit(s, a, (surname + rest)[:n], r)
    if glued.endswith((" ", ":", "：")):  # a role, a space or colon, then a name alone (理财经理 文静)
        n = named_length(surname + rest, r)
        after = (surname + rest)[n:n + 1]
        if n and (not after or not (is_han(after) or after.isalnum() or after in "(（")):
            return name_edit(s, a, (surname + rest)[:n], r)
    n = given_length(rest, r, strict=True, surname=surname)
    if not n or (surname in r.ambiguous and n < 2) or _everyday(surname, rest[:n], r):
        return []
    return name_edit(s, a, surname + rest[:n], r)


def subject_name(m, s: bytes, r: Rules) -> list[Edit]:
    """钱志刚推荐, 王芳承诺: two common given-name characters after a surname, before a verb of persons."""
    surname, given = m.group(1).decode(), m.group(2).decode()
    if _everyday(surname, given, r):
        return []
    return name_edit(s, m.start(1), surname + given, r)


def nick_name(m, s: bytes, r: Rules) -> list[Edit]:
    after = text_at(s, m.end(1), m.end(1) + 9)
    if after and is_han(after[0]) and not after.startswith(r.ends):
        return []
    return name_edit(s, m.start(1), m.group(1).decode(), r)


def title_name(m, s: bytes, r: Rules) -> list[Edit]:
    surname, middle, title = m.group(1).decode(), m.group(2).decode(), m.group(3).decode()
    relaxed = title in r.person_titles and surname not in r.ambiguous  # 邓子豪先生: any given name
    if middle and (surname in r.ambiguous or surname in r.function_surnames  # 居民林先生: 林先生
                   or not (all(ch in r.given for ch in middle) or (relaxed and not any(ch in r.not_given
                                                                                      for ch in middle)))):
        return []
    if not middle and (surname in r.function_surnames or (surname in r.ambiguous and title not in r.person_titles)):
        return []  # 向经理反映, 这位先生; but 马先生, 高女士 are persons
    return name_edit(s, m.start(1), surname + middle, r)


def dotted_name(m, s: bytes, r: Rules) -> list[Edit]:
    """买买提·艾力, 约翰·史密斯: a transliterated name with a middle dot (without the role or label
    before it and the word after it: 客户买买提·艾力反映 keeps 客户 and 反映)."""
    text = m.group().decode()
    start = max((len(c) for c in r.cues if text.startswith(c) and len(c) < text.find("·") + 1), default=0)
    dot = max(text.rfind(ch) for ch in "·•・")
    end = len(text)
    for k in range(dot + 2, len(text)):
        if text[k:].startswith(r.ends):
            end = k
            break
    a = m.start() + len(text[:start].encode())
    return [(a, a + len(text[start:end].encode()), f"[{r.placeholders['name']}]")]


def group_name(m, s: bytes, r: Rules) -> list[Edit]:
    """One or two names before a word such as 夫妻, 二人, 代理人 (杨淼、吴垚夫妻二人)."""
    edits = []
    for g in (1, 3):
        if m.start(g) < 0:
            continue
        given, surname = m.group(g + 1).decode(), m.group(g).decode()
        if any(ch in r.not_given for ch in given) or (surname in r.ambiguous and len(given) < 2) \
                or _everyday(surname, given, r) or not (len(surname) > 1 or all(ch in r.given for ch in given)):
            return []
        edits += name_edit(s, m.start(g), m.group(g).decode() + given, r)
    return edits


def latin_given_first(m, s: bytes, r: Rules) -> list[Edit]:
    """Kevin Liu, Zoe Chen: a capitalised given name before a pinyin surname, unless the word is in the
    rules' ``not_given_latin`` (Hong Kong is a place)."""
    if m.group(1).decode() in r.not_given_latin:
        return []
    return [(m.start(), m.end(), f"[{r.placeholders['name']}]")]


def compound_name(m, s: bytes, r: Rules) -> list[Edit]:
    """宇文浩然, 欧阳震宇: a compound surname that is no everyday word and one or two characters that can
    be a given name, ending at punctuation, a space or a word that ends names; no cue needed."""
    surname = m.group(1).decode()
    rest = text_at(s, m.end(1), m.end(1) + 12)
    for n in (2, 1):
        part, after = rest[:n], rest[n:]
        if len(part) < n or any(not is_han(ch) or ch in r.not_given or ch in r.grammar_chars for ch in part):
            continue
        if (not after or not is_han(after[0]) or after.startswith(r.ends)) and surname + part not in r.common_words:
            return name_edit(s, m.start(1), surname + part, r)
    return []
