"""The personal-data rules of ``resources/pii.yml``, compiled once per process (RE2 patterns, word sets).

Words in the file are Simplified; their Traditional forms are added here (OpenCC s2t, s2tw,
s2hk). The decisions that use these rules are in :mod:`minetools.clean.pii_numbers` and
:mod:`minetools.clean.pii_words`; the order they run in is in :mod:`minetools.clean.pii`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Rules", "rules", "SEP", "Edit", "text_at", "edit"]

#: records of a batch are joined by this; no rule matches it and normalised text never holds it
SEP = "\x1e"

Edit = tuple[int, int, str]  # (start byte, end byte, replacement)
NICK_PREFIXES = ("小", "老", "阿")  # 小李, 老王, 阿陈: how colleagues and customers call a person by surname


def text_at(s: bytes, a: int, b: int) -> str:
    """The characters of UTF-8 ``s`` between bytes ``a`` and ``b`` (cut characters dropped)."""
    return s[max(a, 0):b].decode("utf-8", "ignore")


def edit(a: int, b: int, kind: str, r: "Rules") -> list[Edit]:
    """Replace bytes ``a``..``b`` by the placeholder of ``kind``."""
    return [(a, b, f"[{r.placeholders[kind]}]")]


# --- the rules, compiled once ----------------------------------------------------------------
@dataclass(frozen=True)
class Rules:
    placeholders: dict[str, str]
    context_by_last: dict[str, tuple[tuple[str, str], ...]]  # last character -> ((word, kind), …) longest first
    context_near: object       # Python re: any context word (searched in a short window only)
    context_kinds: dict[str, str]
    service: object            # RE2 fullmatch of service numbers
    email: object
    wechat: object
    passport: object
    passport_bare: object
    officer_id: object
    spoken_email: object
    foreign_id: object
    digits: object
    cn_digits: object
    extension: object
    plate: object
    address: object
    address_en: object
    estate_units: object
    address_rural: object
    address_shorthand: object
    address_cues: tuple[str, ...]
    label: object
    intro: object
    role: object
    nick: object
    title: object
    latin_title: object
    subject: object
    latin_name: object
    latin_given_first: object
    dotted: object
    group: object
    compound_alone: object
    surnames: frozenset[str]
    compound: frozenset[str]
    ambiguous: frozenset[str]
    function_surnames: frozenset[str]
    given: frozenset[str]
    not_given: frozenset[str]
    grammar_chars: frozenset[str]
    ends: tuple[str, ...]
    cues: tuple[str, ...]
    naming: tuple[str, ...]
    self_intros: tuple[str, ...]
    strong_ends: tuple[str, ...]
    person_titles: frozenset[str]
    title_words: tuple[str, ...]
    common_words: frozenset[str]
    stop_after_label: tuple[str, ...]
    place_after: tuple[str, ...]
    not_given_latin: frozenset[str]


@lru_cache(maxsize=1)
def _converters():
    import opencc

    return tuple(opencc.OpenCC(c) for c in ("s2t", "s2tw", "s2hk"))


def _variants(words) -> list[str]:
    """Each word with its Traditional forms (s2t, s2tw, s2hk), longest first."""
    converters = _converters()
    out = {w for w in words}
    for w in list(out):
        out.update(c.convert(w) for c in converters)
    return sorted(out, key=lambda w: (-len(w), w))


def _by_last_char(kinds: dict[str, str]) -> dict[str, tuple[tuple[str, str], ...]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for word in sorted(kinds, key=lambda w: (-len(w), w)):
        out.setdefault(word[-1], []).append((word, kinds[word]))
    return {k: tuple(v) for k, v in out.items()}


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in words)


def _chars(text: str) -> list[str]:
    return text.split() if isinstance(text, str) else list(text)


def _compilers():
    """``rx(pattern, case=False)``: an RE2 pattern, case-insensitive unless ``case``."""
    import re2

    loose, exact = re2.Options(), re2.Options()
    loose.case_sensitive = False
    loose.max_mem = exact.max_mem = 64 << 20
    return lambda pattern, *, case=False: re2.compile(pattern, exact if case else loose)


def _context(data: dict, rx) -> dict:
    ctx_words, ctx_kinds = [], {}
    for kind, words in data["context"].items():
        for w in _variants(words):
            ctx_kinds.setdefault(w.lower(), kind)
            ctx_words.append(w)
    for w in _variants(data["not_personal_context"]):
        ctx_kinds.setdefault(w.lower(), "not_personal")
        ctx_words.append(w)
    ctx_words = sorted(set(ctx_words), key=lambda w: (-len(w), w))
    return {"context_by_last": _by_last_char(ctx_kinds), "context_near": re.compile(_alt(ctx_words), re.IGNORECASE),
            "context_kinds": ctx_kinds, "service": rx("|".join(data["service_numbers"]))}


_GLUE = r"[ ]?(?:[:：=]|是|為|为|叫)?[ ]?(?:是|为|為)?[ ]?"
_STRONG_GLUE = r"(?:[(（][^()（）]{1,12}[)）])?[ \"'“”]{0,2}(?:[:：=]|是|為|为|叫)[ \"'“”]{0,2}(?:是|为|為)?[ ]?"
#: Chinese numerals read as digits, and the digit each stands for; 幺 两 拐 勾 洞 are the radio reading of 1 2 7 9 0
#: (numbers read out digit by digit: 幺三拐 洞洞拐两 …)
CN_DIGIT_CHARS, CN_DIGIT_VALUES = "〇零洞一幺二两三四五六七八九壹贰貳叁參叄肆伍陆陸柒捌玖拐勾", "00011223456789122333456678979"
_CN_NUMERALS = "0-9" + CN_DIGIT_CHARS


def _numbers_and_ids(data: dict, rx) -> dict:
    """E-mail, messaging ids, passports, digit runs, plates."""
    d, sep = "[0-9]", r"[ \-.·•/_()（）]"
    provinces = "".join(_variants(list("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")))
    return {
        "email": rx(r"[A-Za-z0-9._%+\-]{1,64}(?: [A-Za-z0-9._%+\-]{1,64})?[ ]{0,2}"
                    r"(?:@|\(at\)|\[at\]|（at）| at | 在 |艾特|#)[ ]{0,2}"
                    r"(?:[A-Za-z0-9\-]{1,63}[ ]{0,2}(?:\.|。|\(dot\)|\[dot\]|（dot）| dot |点)[ ]{0,2}){1,4}[A-Za-z]{2,10}"),
        "wechat": rx(rf"(?:{_alt(_variants(data['context']['wechat']))})(?:号|號|id)?{_GLUE}([A-Za-z][A-Za-z0-9_\-]{{5,19}})"),
        "passport": rx(rf"(?:{_alt(_variants(data['context']['passport']))})(?:号码|号|號碼|號)?{_GLUE}"
                       r"([A-Za-z]{1,2}[ \-]?\d{6,10}|\d{8,10})"),
        "passport_bare": rx(r"[EeGg]\d{8}|[A-Z]{1,2}\d{7,8}"),
        # military officers' and soldiers' cards: 南字第2048816号
        "officer_id": rx(r"[\p{Han}]字第[ ]?[0-9A-Za-z]{6,9}[ ]?[号號]"),
        # an e-mail address read out by speech-to-text: wang xiao li eight eight at one six three dot com, 艾特, 点
        "spoken_email": rx(rf"(?:[A-Za-z0-9{CN_DIGIT_CHARS}]+[ ]?(?:点[ ]?|dot[ ])?){{1,12}}(?:艾特[ ]?|at[ ])"
                           rf"(?:[A-Za-z0-9{CN_DIGIT_CHARS}]+[ ]?){{1,6}}(?:点|dot)[ ]?(?:com|cn|net|org)\b"),
        # Hong Kong and Macau identity cards (K582913(5), 5215299(8)), Taiwan ids (F223918272)
        "foreign_id": rx(r"[A-Z]{1,2}\d{6}[(（][0-9A][)）]|[1578]\d{6}[(（]\d[)）]|[A-Z][12]\d{8}"),
        "digits": rx(rf"(?:[+＋][ ]?)?(?:[(（][ ]?0\d{{2,3}}[ ]?[)）][ ]?)?{d}(?:{sep}{{1,3}}{d}|{d})*[Xx]?"),
        "cn_digits": rx(rf"[{_CN_NUMERALS}](?:[ \-，,、]?[{_CN_NUMERALS}]){{6,}}(?:[ \-]?[叉Xx])?"),
        "extension": rx(r"\[固话\][ ]?(?:转|轉|分机|分機|ext\.?|x|-|—)[ ]?\d{1,6}"),
        "plate": rx(rf"[{provinces}][A-Za-z]{{1,2}}[ ]?[·•・.\-]?[ ]?(?:[A-Za-z0-9]{{5,6}}|[A-Za-z0-9]{{4,5}}[学警港澳挂领])"),
    }


def _addresses(data: dict, rx) -> dict:
    addr = data["addresses"]
    num = "[0-9一二三四五六七八九十百千零〇两]"
    # 3栋, 2 单元, 东单元, 2 7 楼 (a space typed between digits)
    unit_run = (r"(?:[ ]?[0-9A-Za-z一二三四五六七八九十零〇两东南西北中](?:[ ]?[0-9A-Za-z一二三四五六七八九十零〇两]){0,4}"
                rf"[ ]?(?:{_alt(_variants(addr['units']))}))")
    admin = rf"(?:\p{{Han}}{{1,8}}?(?:{_alt(_variants(addr['admin']))})[ ]?)"
    township = rf"(?:\p{{Han}}{{1,6}}?(?:{_alt(_variants(addr['townships']))})[ ]?)"
    village = rf"(?:\p{{Han}}{{1,8}}?(?:{_alt(_variants(addr['villages']))})[ ]?)"
    shorthand = r"\d{1,3}[#\-]\d{1,2}(?:[#\-]\d{1,4})?"
    building = r"(?:[ ]?[A-Za-z0-9]{1,4}[ ]?(?:座|栋|棟|幢|号楼|號樓|单元|單元))"
    numbered = rf"(?:(?:\p{{Han}}{{1,4}}?[ ]?)?{num}{{1,3}}[ ]?(?:组|社|队|号|號|排)[ ]?)"
    street = rf"\p{{Han}}{{1,6}}?(?:{_alt(_variants(addr['streets']))})"
    estate = rf"\p{{Han}}{{1,10}}?(?:{_alt(_variants(addr['estates']))})"
    # after the house number: an estate or a named building (财富大厦, 颐和国际 A 座), a tower (西塔)
    after_no = (rf"(?:[ ]?(?:\p{{Han}}{{1,10}}(?:{_alt(_variants(addr['estates']))})|\p{{Han}}{{1,8}}?{building}))?"
                r"(?:[ ]?[东南西北中A-Za-z]?[塔座])?")
    tail = r"(?:[ ]?(?:\d{1,4}[#\-]\d{1,4}(?:[#\-]\d{1,4})?|\d{2,5}))?"  # 3-2-1, 5-201, 2708
    return {
        "address": rx(rf"(?:{admin}{{0,3}}{street}[ ]?[甲乙丙丁]?{num}{{1,6}}(?:-\d{{1,3}})?[ ]?(?:号|號|弄|巷)"
                      rf"(?:之{num}{{1,3}}号)?{after_no}{unit_run}{{0,5}}"
                      rf"|{admin}{{0,3}}(?:{street}[ ]?{num}{{1,6}}[ ]?(?:号|號))?"
                      rf"{estate}{unit_run}{{1,5}}|{admin}{{0,3}}{street}\p{{Han}}{{0,8}}{building}{unit_run}{{0,3}}){tail}"),
        # 双河乡大桥村5社, 团结镇 唐家堡村 二社, 州城镇 江营村委会 上江营 3组 45号: a township, then a village
        "address_rural": rx(rf"(?:{admin}{{1,4}}{township}{village}{{1,2}}{numbered}{{0,3}}"
                            rf"|{township}{village}{{1,2}}{numbered}{{1,3}})"),
        # 天骄街道 伊泰华府世家 B区 12-1-1801: an administrative chain, a few words, building-unit-room numbers
        "address_shorthand": rx(rf"{admin}{{1,5}}(?:\p{{Han}}{{2,10}}[ ]?)?(?:[A-Za-z]区[ ]?)?{shorthand}"),
        "estate_units": rx(rf"{admin}{{0,3}}{estate}[ ]?[A-Za-z]?\d{{1,3}}[#\-]\d{{1,2}}(?:[#\-]\d{{1,4}})?"),
        "address_en": rx(r"(?i:(?:(?:rm|room|flat|unit|apt|no|lane|ln|bldg|building|floor|fl|block|blk)\.? ?\d{1,5}"
                         r"[a-z]?[, ]{0,2}){2,}(?:(?:\d{1,5} ?)?[a-z ]{0,20}(?:road|rd|street|st|avenue|ave)\b|"
                         r"\p{Han}{0,8}(?:路|街|道|巷|弄))?)|\b\d{1,5} [A-Z][a-z]+(?: [A-Z][a-z]+){0,2} "
                         r"(?:Road|Rd|Street|St|Avenue|Ave|Lane)\b", case=True),
        "address_cues": tuple(_variants(addr["cues"])),
    }


def _name_patterns(data: dict, rx) -> dict:
    names = data["names"]
    sur_alt = _alt(_variants(_chars(data["surnames"])))
    given_class = "".join(sorted({c for w in _variants(_chars(data["given_chars"])) for c in w}))
    roles = _alt(_variants(names["roles"]))
    latin = data["latin_surnames"]
    return {
        "label": rx(rf"(?:{_alt(_variants(names['labels']))})(?:({_STRONG_GLUE})(\p{{Han}}(?: ?\p{{Han}}){{1,4}}|"
                    r"[A-Za-z][A-Za-z.'\-]*(?: [A-Za-z][A-Za-z.'\-]*){0,2})"
                    rf"|([ ]?)((?:{sur_alt})\p{{Han}}{{1,3}}|(?-i:[A-Z][A-Za-z]+ [A-Z][A-Za-z]+)))"),
        "intro": rx(rf"(?:{_alt(_variants(names['intros']))})[ ]?({sur_alt})(?:\p{{Han}}|$|[^\p{{Han}}])"),
        "role": rx(rf"(?:{roles})[ ]?(?:{_alt(_variants(names['role_links']))}|[:：])?[ ]?({sur_alt})\p{{Han}}"),
        "nick": rx(rf"(?:{roles})[ ]?((?:{'|'.join(NICK_PREFIXES)})(?:{sur_alt}))"),
        "title": rx(rf"({sur_alt})(\p{{Han}}{{0,2}}?)({_alt(_variants(names['titles']))})"),
        "latin_title": rx(r"\b(?:[Mm]r|[Mm]rs|[Mm]s|[Mm]iss|[Dd]r|[Mm]x)\.? ?([A-Z][a-z]+(?: [A-Z][a-z]+){0,2}|[A-Z]{2,}"
                          r"(?: [A-Z][a-z]+){0,2})", case=True),
        "subject": rx(rf"({sur_alt})([{given_class}]{{2}})(?:{_alt(_variants(names['subject_verbs']))})"),
        "latin_name": rx(rf"\b((?:{'|'.join(latin)}|{'|'.join(s.upper() for s in latin)}),? "
                         r"(?:[A-Z][a-z]{1,10}(?:[ -][A-Z][a-z]{1,10}|-[a-z]{1,10})?|[A-Z]{2,10}(?:[ -][A-Z]{2,10})?))\b",
                         case=True),
        # an English given name before a pinyin surname: Kevin Liu, Zoe Chen (decided in pii_words.latin_given_first)
        "latin_given_first": rx(rf"\b([A-Z][a-z]{{1,10}}) ({'|'.join(latin)})\b", case=True),
        "dotted": rx(r"\p{Han}{1,8}[·•・]\p{Han}{1,8}(?:[·•・]\p{Han}{1,8})?"),
        "compound_alone": rx(rf"({_alt(_variants(names['compound_alone']))})(\p{{Han}}{{1,2}})"),
        "group": rx(rf"({sur_alt})(\p{{Han}}{{1,2}}?)(?:(?:、|和|与|及|跟)({sur_alt})(\p{{Han}}{{1,2}}?))?"
                    rf"(?:{_alt(_variants(names['person_after']))})"),
    }


def _name_words(data: dict) -> dict:
    names = data["names"]
    surnames = _variants(_chars(data["surnames"]))
    return {
        "surnames": frozenset(surnames), "compound": frozenset(s for s in surnames if len(s) > 1),
        "ambiguous": frozenset(_variants(_chars(data["ambiguous_surnames"]))),
        "function_surnames": frozenset(_variants(_chars(data["function_surnames"]))),
        "given": frozenset(c for w in _variants(_chars(data["given_chars"])) for c in w),
        "not_given": frozenset(_variants(names["not_given"])),
        "grammar_chars": frozenset(_variants(_chars(names["grammar_chars"]))), "ends": tuple(_variants(names["ends"])),
        "cues": tuple(_variants([*names["labels"], *names["intros"], *names["roles"]])),
        "naming": tuple(_variants(names["naming"])), "self_intros": tuple(_variants(names["self_intros"])),
        "strong_ends": tuple(_variants(names["strong_ends"])), "title_words": tuple(_variants(names["titles"])),
        "common_words": frozenset(_variants(data["common_words"])),
        "person_titles": frozenset(_variants(["先生", "女士", "小姐", "太太", "夫人", "阿姨", "叔叔", "老师", "同志"])),
        "stop_after_label": tuple(_variants(names["not_names"])),
        "place_after": tuple(names["place_after"]), "not_given_latin": frozenset(names["not_given_latin"]),
    }


@lru_cache(maxsize=1)
def rules() -> Rules:
    """The rules of ``resources/pii.yml``, compiled (once per process)."""
    import yaml

    data = yaml.load(resources.files("minetools").joinpath("resources/pii.yml").read_text(encoding="utf-8"),
                     Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: the same data, 10× faster
    rx = _compilers()
    return Rules(placeholders=dict(data["placeholders"]), **_context(data, rx), **_numbers_and_ids(data, rx),
                 **_addresses(data, rx), **_name_patterns(data, rx), **_name_words(data))
