"""The complaint texts of the sample generator: sentence templates from ``phrases.yml`` assembled in the
register of each channel (an angry first-person message, a formal letter, a call-centre summary, a social
post, a terse survey comment) and the edits that make a resubmission.

Every choice draws from the caller's ``random.Random`` in a fixed order, so a seed gives the same texts.
"""

from __future__ import annotations

import random
import string
from functools import lru_cache
from pathlib import Path

import yaml

from minetools.datasets.effects import BANK_NAME
from minetools.datasets.identifiers import card_number, id_number, mobile_number, pick

_PHRASE_FILE = Path(__file__).with_name("phrases.yml")


def _tuples(value):
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def _load() -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(_PHRASE_FILE, encoding="utf-8") as fh:
        return _tuples(yaml.load(fh, Loader=loader))


_BANK = _load()
THEME_KEYWORDS: dict[str, tuple[str, ...]] = _BANK["theme_keywords"]
PHRASES: dict[str, tuple[str, ...]] = _BANK["phrases"]
SHORT_PHRASES: dict[str, tuple[str, ...]] = _BANK["short_phrases"]
OTHER_TOPICS: dict[str, tuple[str, ...]] = _BANK["other_topics"]
OTHER_SHORT: dict[str, tuple[str, ...]] = _BANK["other_short"]
GARBAGE_TEXTS: tuple[str, ...] = _BANK["garbage_texts"]
SLOTS: dict[str, tuple[str, ...]] = _BANK["slots"]
BUSINESS: tuple[str, ...] = _BANK["biz"]
WHEN: tuple[str, ...] = _BANK["when"]
SURNAMES: tuple[str, ...] = _BANK["surnames"]
RESUBMISSION_PREFIXES: tuple[str, ...] = _BANK["resubmission"]["prefixes"]
RESUBMISSION_SUFFIXES: tuple[str, ...] = _BANK["resubmission"]["suffixes"]
_ANGRY, _LETTER, _CALL, _SOCIAL = _BANK["angry"], _BANK["letter"], _BANK["call"], _BANK["social"]
_PERSONAL = _BANK["personal_data"]
_TERSE_TAILS = _BANK["terse"]["tails"]

_FORMATTER = string.Formatter()


def _compile(templates):
    out = []
    for t in templates:
        slots = tuple(dict.fromkeys(f for _, f, _, _ in _FORMATTER.parse(t) if f))
        out.append((t, slots))
    return tuple(out)


_C_PHRASES = {k: _compile(v) for k, v in PHRASES.items()}
_C_OTHER = {k: _compile(v) for k, v in OTHER_TOPICS.items()}
#: The story sentences (compiled templates) the generator inserts: chengdong, fee, app.
STORIES = {k: _compile(v) for k, v in _BANK["stories"].items()}
_C_ANGRY_OPENERS = _compile(_ANGRY["openers"])
_C_LETTER_HEADS = _compile(_LETTER["heads"])
_C_LETTER_INTRO = {k: _compile((v,))[0] for k, v in _LETTER["intro"].items()}

#: channel -> probability of the terse survey register
_TERSE_P = {"网点": 0.35, "手机银行": 0.35, "网上银行": 0.25, "电话": 0.0, "信函": 0.0, "微博": 0.0}


def _fill(item, r: random.Random, ctx: dict) -> str:
    tpl, slots = item
    if not slots:
        return tpl
    vals = {}
    for s in slots:
        v = ctx.get(s)
        if v is None:
            v = pick(r, SLOTS[s])
        vals[s] = v
    return tpl.format(**vals)


def _pii(tpls, r: random.Random) -> str:
    t = pick(r, tpls)
    vals = {}
    if "{mobile}" in t:
        vals["mobile"] = mobile_number(r)
    if "{card}" in t:
        vals["card"] = card_number(r)
    if "{idno}" in t:
        vals["idno"] = id_number(r)
    if "{last4}" in t:
        vals["last4"] = f"{r.randrange(0, 10000):04d}"
    return t.format(**vals)


def _third_person(s: str) -> str:
    for a, b in (("我们", "他们"), ("我妈", "其母亲"), ("我母亲", "其母亲"), ("我父亲", "其父亲"), ("我家", "其家"),
                 ("我的", "其"), ("我", "客户"), ("你们", "网点")):
        s = s.replace(a, b)
    return s
def _body_phrases(themes, other, r, ctx, per_theme_max, story):
    """List of filled body sentences: primary theme first, story phrase inside."""
    out = []
    if other is not None:
        bank = _C_OTHER[other]
        for i in r.sample(range(len(bank)), pick(r, (1, 1, 2))):
            out.append(_fill(bank[i], r, ctx))
        return out
    for j, t in enumerate(themes):
        bank = _C_PHRASES[t]
        hi = per_theme_max if j == 0 else max(1, per_theme_max - 1)
        kk = 1 + int(r.random() * hi)
        if kk == 1:
            out.append(_fill(bank[int(r.random() * len(bank))], r, ctx))
        else:
            for i in r.sample(range(len(bank)), kk):
                out.append(_fill(bank[i], r, ctx))
    if story is not None:
        out.insert(int(r.random() * (len(out) + 1)), _fill(pick(r, story), r, ctx))
    return out


def _join_with_connectors(parts, r):
    out = [parts[0]]
    for p in parts[1:]:
        if r.random() < 0.25:
            out.append(pick(r, _ANGRY["connectors"]) + p)
        else:
            out.append(p)
    return "".join(out)


def _fit(head: str, body: list, tail: str, limit: int = 400) -> str:
    while len(body) > 1 and len(head) + sum(map(len, body)) + len(tail) > limit:
        body.pop()
    text = head + "".join(body) + tail
    return text[:limit]


def _angry(themes, other, r, ctx, channel, pii, story):
    body = _body_phrases(themes, other, r, ctx, 3, story)
    head = ""
    if channel in ("手机银行", "网上银行") and r.random() < 0.3:
        head = pick(r, _ANGRY["online_openers"][channel])
    if r.random() < 0.7:
        head += _fill(pick(r, _C_ANGRY_OPENERS), r, ctx)
    joined = _join_with_connectors(body, r)
    if r.random() < 0.3:
        joined = joined.replace("。", "！")
    tail = ""
    if pii:
        tail += _pii(_PERSONAL["first_person"], r)
    if r.random() < 0.7:
        tail += pick(r, _ANGRY["closers"])
    if len(head) + len(joined) + len(tail) > 400:
        return _fit(head, body, tail)
    return head + joined + tail


def _letter(themes, other, r, ctx, ctype, pii, story):
    body = [b.replace("！", "。").replace("你们", "贵行") for b in _body_phrases(themes, other, r, ctx, 3, story)]
    ordinals = _LETTER["ordinals"]
    if len(body) > 1 and r.random() < 0.6:
        body = [ordinals[i] + b if i < len(ordinals) else b for i, b in enumerate(body)]
    head = _fill(pick(r, _C_LETTER_HEADS), r, ctx) + _fill(_C_LETTER_INTRO[ctype], r, ctx)
    tail = pick(r, _LETTER["requests"])
    if pii:
        tail += _pii(_PERSONAL["letter"], r)
    tail += "此致 敬礼！客户：" + pick(r, SURNAMES) + pick(r, ("先生", "女士")) + " " + ctx["ldate"]
    return _fit(head, body, tail)


def _call(themes, other, r, ctx, pii, story):
    body = [_third_person(b) for b in _body_phrases(themes, other, r, ctx, 2, story)]
    if r.random() < 0.5:
        head = "客户" + pick(r, SURNAMES) + pick(r, ("先生", "女士")) + "来电反映，其于" + ctx["vdate"] + "在" + \
            ctx["branch"] + "办理" + ctx["biz"] + "业务时，"
    else:
        head = "客户来电反映："
    key = other if other is not None else themes[0]
    tail = ""
    if pii:
        tail += _pii(_PERSONAL["call"], r)
    tail += "客户诉求：" + _CALL["demands"][key] + "。" + pick(r, _CALL["tails"])
    return _fit(head, body, tail)


def _social(themes, other, r, ctx, pii, story):
    body = _body_phrases(themes, other, r, ctx, 1, story)
    if r.random() < 0.5:
        body = [b.replace("。", " ") for b in body]
    head = pick(r, _SOCIAL["openers"])
    head = (head + " " if head else "") + "@" + BANK_NAME + " "
    if r.random() < 0.4:
        head += ctx["branch"] + " "
    tail = "".join(pick(r, _SOCIAL["emoji"]) for _ in range(r.randint(1, 3)))
    if pii:
        tail += _pii(_PERSONAL["social"], r)
    tags = " ".join(r.sample(_SOCIAL["hashtags"], r.randint(1, 2)))
    if r.random() < 0.3:
        head = tags + " " + head
    else:
        tail += " " + tags
    return _fit(head, body, tail)


def _terse(themes, other, r, pii):
    if other is not None:
        parts = [pick(r, OTHER_SHORT[other])]
    else:
        parts = [pick(r, SHORT_PHRASES[t]) for t in themes]
    text = "，".join(parts)
    if pii:
        text += _pii(_PERSONAL["terse"], r)
    text += pick(r, _TERSE_TAILS)
    if len(text) < 5:
        text += "，不满意。"
    return text


def complaint_text(themes, other, r: random.Random, ctx: dict, *, channel: str, customer_type: str, pii: bool,
                   story) -> tuple[str, bool]:
    """One complaint in the register of its channel, and whether it is short-form (terse or social, which the
    generator never resubmits). ``themes`` are theme keys (empty with ``other``, a topic outside the taxonomy);
    ``ctx`` holds the row's slot values; ``story`` is one of :data:`STORIES` or None."""
    if channel == "信函":
        return _letter(themes, other, r, ctx, customer_type, pii, story), False
    if channel == "电话":
        return _call(themes, other, r, ctx, pii, story), False
    if channel == "微博":
        return _social(themes, other, r, ctx, pii, story), True
    if r.random() < _TERSE_P[channel]:
        return _terse(themes, other, r, pii), True
    return _angry(themes, other, r, ctx, channel, pii, story), False


def resubmission(text: str, r: random.Random) -> str:
    """``text`` sent again: punctuation and spacing changed, a prefix and/or a suffix added (at most 400 chars)."""
    out = text
    if r.random() < 0.6:
        out = out.replace("，", pick(r, (",", "， ", " ，")), r.randint(1, 3))
    if r.random() < 0.4:
        out = out.replace("。", pick(r, ("！", ". ", "。 ")), 2)
    if r.random() < 0.3:
        out = "  " + out + " "
    pre = r.random() < 0.7
    if pre:
        out = pick(r, RESUBMISSION_PREFIXES) + out
    if not pre or r.random() < 0.5:
        out = out + pick(r, RESUBMISSION_SUFFIXES)
    return out[:400]


@lru_cache(maxsize=1)
def to_traditional():
    """The Simplified → Traditional converter (OpenCC), built once."""
    import opencc

    return opencc.OpenCC("s2t")
