"""Text-derived dissatisfaction intensity: a labelled proxy when an input has no satisfaction score.

Method
------
Each text is converted Traditional → Simplified (OpenCC ``t2s``) and width-normalised, then read
once, left to right, by one compiled regular expression whose alternatives are

* the lexicon terms (``resources/intensity_lexicon.tsv``), longest first, so ``不满意`` wins over
  ``满意`` and no character is counted twice;
* runs of ``！``/``？`` (``!``, ``?``), ellipses (``……``, ``...``, ``。。。``);
* clause boundaries (``，。；：、``, brackets, whitespace), which break modifier chains;
* one character repeated three or more times (``啊啊啊``).

Lexicon kinds: ``negative`` cues add their weight, ``positive`` cues (negative weight) subtract,
``emoji`` add their (signed) weight. ``intensifier``, ``diminisher`` and ``negator`` terms modify
the next negative or positive cue when they sit right before it in the same clause. Modifiers
chain (``一点都不耐心``): walking back from the cue, each link may skip at most
:data:`INTENSIFIER_GAP` unmatched characters, a negator at most :data:`NEGATOR_GAP_PRAISE` before
praise (``不令人满意``) and :data:`NEGATOR_GAP_NEGATIVE` before a negative cue (``没有生气`` is
damped, ``不是来受气的`` is not). Nearest modifier first: an intensifier or diminisher multiplies
the value; a negator of strength *s* flips praise into dissatisfaction of ``|w|·s`` and damps a
negative cue to ``w·(1 − s)``; an intensifier or diminisher that lies between a negator and the
cue works the other way round (``不是很满意`` is milder than ``不满意``). The combined multiplier
is capped at :data:`MAX_FACTOR`.

Combination: the dissatisfaction values ``d₁ ≥ d₂ ≥ …`` and the praise magnitudes
``p₁ ≥ p₂ ≥ …`` each get diminishing returns,
``raw = Σ dᵢ·DECAY^(i−1) − Σ pᵢ·DECAY^(i−1)``, so a long text does not score high for
collecting many mild cues (the sum is at most ``1/(1 − DECAY)`` times its strongest cue), and
``intensity = 1 − exp(−max(raw, 0) / SCALE)``, in [0, 1). One cue of weight 1 gives about 0.28,
weight 3 about 0.63, two strong cues with ``！！！`` about 0.85. Deterministic; no randomness.

The score measures how *angry* a text sounds, not how serious the problem is: a calm, factual
report of a large loss scores low. :func:`proxy_satisfaction` maps it to a 1–5 scale that must
be labelled :data:`PROXY_LABEL_EN` / :data:`PROXY_LABEL_ZH` wherever it is shown.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .clean import normalize_width, to_simplified

__all__ = [
    "dissatisfaction_intensity",
    "explain_intensity",
    "proxy_satisfaction",
    "load_lexicon",
    "IntensityLexicon",
    "PROXY_LABEL_ZH",
    "PROXY_LABEL_EN",
]

PROXY_LABEL_ZH = "文本推断的满意度代理指标（非调查评分）"
PROXY_LABEL_EN = "Text-derived satisfaction proxy (not a survey score)"

#: saturation scale of ``1 - exp(-raw / SCALE)``
SCALE = 3.0
#: weight of the k-th strongest cue of one sign is ``DECAY ** (k - 1)``
DECAY = 0.7
#: most unmatched characters between an intensifier/diminisher and the next item of the chain
INTENSIFIER_GAP = 2
#: most unmatched characters between a negator and praise (不令人满意, 没让我满意)
NEGATOR_GAP_PRAISE = 3
#: most unmatched characters between a negator and a negative cue (没有生气; not 不是来受气)
NEGATOR_GAP_NEGATIVE = 1
#: cap on the combined modifier multiplier of one cue
MAX_FACTOR = 2.5
#: values of non-lexicon cues
EXCLAMATION = 0.5  # one ！
QUESTION = 0.4  # one ？ (complaint questions are mostly rhetorical)
MARK_RUN = 1.0  # ！！ or ？？; each further mark adds MARK_STEP, up to MARK_RUN_MAX
MARK_STEP = 0.25
MARK_RUN_MAX = 1.8
MIXED_MARKS = 0.3  # extra for ?! / ？！ mixes
ELLIPSIS = 0.3
REPEAT = 0.6  # 啊啊啊

KINDS = ("negative", "positive", "intensifier", "diminisher", "negator", "emoji")
_MODIFIERS = frozenset({"intensifier", "diminisher", "negator"})
_POWERS = tuple(DECAY**i for i in range(200))  # zip() with it ignores cues beyond the 200th


@dataclass(frozen=True)
class IntensityLexicon:
    """Parsed lexicon: ``terms`` maps a term to ``(kind, weight)``; ``pattern`` scans a text.

    Build it with :func:`load_lexicon`. It is immutable and picklable (worker processes).
    """

    terms: dict[str, tuple[str, float]]
    pattern: re.Pattern
    source: str

    def __len__(self) -> int:
        return len(self.terms)

    def counts(self) -> dict[str, int]:
        """Number of terms per kind, in :data:`KINDS` order."""
        kinds = [kind for kind, _ in self.terms.values()]
        return {kind: kinds.count(kind) for kind in KINDS}


def _check_weight(kind: str, weight: float) -> str | None:
    """Why ``weight`` is not allowed for ``kind``, or None."""
    if kind == "negative" and weight < 0:
        return "a negative cue needs a weight >= 0 (0 marks a blocker)"
    if kind == "positive" and weight > 0:
        return "a positive cue needs a weight <= 0 (it pulls the score down), e.g. -1.2"
    if kind == "intensifier" and weight <= 1:
        return "an intensifier needs a multiplier > 1"
    if kind == "diminisher" and not 0 < weight < 1:
        return "a diminisher needs a multiplier between 0 and 1"
    if kind == "negator" and not 0 < weight <= 1:
        return "a negator needs a strength in (0, 1]"
    return None


def _compile(terms: dict[str, tuple[str, float]]) -> re.Pattern:
    alternation = "|".join(re.escape(t) for t in sorted(terms, key=lambda t: (-len(t), t)))
    return re.compile(
        rf"(?P<term>{alternation})"
        r"|(?P<marks>[!！?？]+)"
        r"|(?P<dots>…+|\.{3,}|。{2,}|·{3,})"
        r"|(?P<stop>[，,。；;：:、（）()《》【】“”\"'\s]+)"
        r"|(?P<repeat>(?P<char>[^\W\d_])(?P=char){2,})"
    )


def load_lexicon(path: str | Path | None = None) -> IntensityLexicon:
    """Read a ``term<TAB>kind<TAB>weight`` lexicon (the packaged one when ``path`` is None).

    Parameters
    ----------
    path : str or Path, optional
        A UTF-8 TSV file; ``#`` starts a comment line, blank lines are skipped. Terms are
        width-normalised and converted to Simplified script like the texts. The packaged
        lexicon is read once and cached.

    Returns
    -------
    IntensityLexicon

    Raises
    ------
    ValueError
        For a malformed line (wrong number of fields, unknown kind, non-numeric or out-of-range
        weight, empty or repeated term); the message names the file and the line number.
    """
    if path is None:
        return _default_lexicon()
    return _read_lexicon(Path(path))


@lru_cache(maxsize=1)
def _default_lexicon() -> IntensityLexicon:
    return _read_lexicon(Path(str(resources.files("minetools") / "resources" / "intensity_lexicon.tsv")))


def _read_lexicon(path: Path) -> IntensityLexicon:
    terms: dict[str, tuple[str, float]] = {}
    first_line: dict[str, int] = {}
    text = path.read_text(encoding="utf-8-sig")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue

        def fail(reason: str) -> ValueError:
            return ValueError(f"{path}, line {number}: {reason} (got {line!r})")

        fields = line.split("\t")
        if len(fields) != 3:
            raise fail(f"expected 3 tab-separated fields term<TAB>kind<TAB>weight, found {len(fields)}")
        term, kind, weight_text = (f.strip() for f in fields)
        if not term:
            raise fail("the term is empty")
        if kind not in KINDS:
            raise fail(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        try:
            weight = float(weight_text)
        except ValueError:
            raise fail(f"the weight {weight_text!r} is not a number") from None
        if not math.isfinite(weight):
            raise fail(f"the weight {weight_text!r} is not a finite number")
        problem = _check_weight(kind, weight)
        if problem:
            raise fail(problem)
        term = to_simplified(normalize_width(term))
        if term in terms:
            raise fail(f"the term {term!r} is already defined on line {first_line[term]}")
        terms[term] = (kind, weight)
        first_line[term] = number
    if not terms:
        raise ValueError(f"{path}: the lexicon has no entries")
    return IntensityLexicon(terms=terms, pattern=_compile(terms), source=str(path))


# --- scanning -------------------------------------------------------------------------------
def _prepare(text) -> str:
    """A text ready for scanning: '' for None/NaN, else width-normalised Simplified Chinese."""
    if not isinstance(text, str):
        if text is None or pd.isna(text):
            return ""
        text = str(text)
    if not text:
        return ""
    return to_simplified(normalize_width(text))


def _marks_value(run: str) -> float:
    if len(run) == 1:
        return EXCLAMATION if run in "!！" else QUESTION
    value = min(MARK_RUN + MARK_STEP * (len(run) - 2), MARK_RUN_MAX)
    has_q = "?" in run or "？" in run
    has_e = "!" in run or "！" in run
    return value + MIXED_MARKS if has_q and has_e else value


def _apply_chain(value: float, chain: list) -> float:
    """Apply modifiers (nearest to the cue first) to a signed cue value."""
    base = abs(value)
    last_negator = max((i for i, m in enumerate(chain) if m[3] == "negator"), default=-1)
    for i, (_, _, _, kind, weight) in enumerate(chain):
        if kind == "negator":
            value = value * (1.0 - weight) if value > 0 else -value * weight
        else:
            value *= 1.0 / weight if i < last_negator else weight
    limit = base * MAX_FACTOR
    return max(-limit, min(limit, value))


def _cues(text: str, lexicon: IntensityLexicon) -> list[tuple]:
    """Cues of a prepared text: ``(start, cue, kind, weight, chain, value)`` in text order.

    ``chain`` lists the modifiers applied to the cue, nearest first, as
    ``(start, end, term, kind, weight)``; ``value`` is the signed contribution before the
    diminishing-returns step (> 0 dissatisfaction, < 0 praise).
    """
    terms = lexicon.terms
    out = []
    pending: list = []  # modifiers in the current chain, in text order
    for match in lexicon.pattern.finditer(text):
        group = match.lastgroup
        start, end = match.span()
        if group == "term":
            term = match.group()
            kind, weight = terms[term]
            if kind in _MODIFIERS:
                if pending and start - pending[-1][1] > NEGATOR_GAP_PRAISE:
                    pending = []
                pending.append((start, end, term, kind, weight))
                continue
            if kind == "emoji" or weight == 0 or not pending:
                out.append((start, term, kind, weight, (), weight))
                pending = []
                continue
            chain = []
            following = start
            for mod in reversed(pending):
                if mod[3] != "negator":
                    limit = INTENSIFIER_GAP
                elif weight > 0:
                    limit = NEGATOR_GAP_NEGATIVE
                else:
                    limit = NEGATOR_GAP_PRAISE
                if following - mod[1] > limit:
                    break
                chain.append(mod)
                following = mod[0]
            value = _apply_chain(weight, chain) if chain else weight
            out.append((start, term, kind, weight, tuple(chain), value))
            pending = []
        elif group == "stop":
            pending = []
        elif group == "marks":
            run = match.group()
            out.append((start, run, "punctuation", _marks_value(run), (), _marks_value(run)))
            pending = []
        elif group == "dots":
            out.append((start, match.group(), "ellipsis", ELLIPSIS, (), ELLIPSIS))
            pending = []
        else:  # repeat
            out.append((start, match.group(), "repeat", REPEAT, (), REPEAT))
    return out


def _raw(values) -> float:
    """Diminishing-returns sum: dissatisfaction minus praise, each strongest first."""
    dis = sorted((v for v in values if v > 0), reverse=True)
    praise = sorted((-v for v in values if v < 0), reverse=True)
    return sum(v * p for v, p in zip(dis, _POWERS)) - sum(v * p for v, p in zip(praise, _POWERS))


def _squash(raw: float) -> float:
    return 1.0 - math.exp(-raw / SCALE) if raw > 0 else 0.0


def _score_texts(texts: list, lexicon: IntensityLexicon) -> np.ndarray:
    out = np.zeros(len(texts), dtype=float)
    for i, text in enumerate(texts):
        prepared = _prepare(text)
        if prepared:
            cues = _cues(prepared, lexicon)
            if cues:
                out[i] = _squash(_raw([c[5] for c in cues]))
    return out


def _score_slice(bounds: tuple[int, int], texts: list, lexicon: IntensityLexicon) -> np.ndarray:
    lo, hi = bounds
    return _score_texts(texts[lo:hi], lexicon)


#: inputs at least this long are scored on two or more forked workers
PARALLEL_MIN_TEXTS = 100_000


def dissatisfaction_intensity(
    texts, *, lexicon: IntensityLexicon | None = None, parallel: bool | None = None
) -> np.ndarray:
    """Dissatisfaction intensity of each text, in [0, 1] (0 = calm, neutral or positive).

    Parameters
    ----------
    texts : iterable of str
        Complaint narratives (list, Series, array). None, NaN and empty texts score 0.0;
        Traditional script and full-width characters are normalised first.
    lexicon : IntensityLexicon, optional
        From :func:`load_lexicon`; the packaged lexicon by default.
    parallel : bool, optional
        Score on one forked worker per core (up to 4). None (default) does so when there are
        at least :data:`PARALLEL_MIN_TEXTS` texts. Results are identical either way.

    Returns
    -------
    numpy.ndarray
        float64, one value per text, in input order.

    Examples
    --------
    >>> dissatisfaction_intensity(["办理很顺利，谢谢", "太过分了！！！你们这是什么态度"]).round(2)
    array([0.  , 0.78])
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a list or Series of texts, not one string; wrap it: [text]")
    lexicon = lexicon or _default_lexicon()
    texts = list(texts)
    if parallel is None:
        parallel = len(texts) >= PARALLEL_MIN_TEXTS
    if not parallel or len(texts) < 2:
        return _score_texts(texts, lexicon)
    from .parallel import fork_map

    step = -(-len(texts) // 8)  # a few chunks per worker evens out the load
    bounds = [(lo, min(lo + step, len(texts))) for lo in range(0, len(texts), step)]
    parts = fork_map(_score_slice, bounds, (texts, lexicon), parallel=True)
    return np.concatenate(parts) if parts else np.zeros(0)


def proxy_satisfaction(texts, *, lexicon: IntensityLexicon | None = None) -> np.ndarray:
    """A 1–5 satisfaction proxy, ``5 − 4 × intensity`` (higher = more satisfied).

    Use it only when the input has no satisfaction column, and label it
    :data:`PROXY_LABEL_EN` / :data:`PROXY_LABEL_ZH`: it is inferred from the wording of the
    complaint, not answered by the customer.

    Parameters
    ----------
    texts : iterable of str
    lexicon : IntensityLexicon, optional

    Returns
    -------
    numpy.ndarray
        float64 values in (1, 5]; 5.0 for texts with no dissatisfaction cue.
    """
    return 5.0 - 4.0 * dissatisfaction_intensity(texts, lexicon=lexicon)


def _describe_chain(chain: tuple) -> str:
    last_negator = max((i for i, m in enumerate(chain) if m[3] == "negator"), default=-1)
    parts = []
    for i, (_, _, term, kind, weight) in enumerate(chain):
        if kind == "negator":
            parts.append(f"{term} negation {weight:g}")
        elif i < last_negator:
            parts.append(f"{term} ×1/{weight:g} (under negation)")
        else:
            parts.append(f"{term} ×{weight:g}")
    return "; ".join(parts)


def explain_intensity(text: str, *, lexicon: IntensityLexicon | None = None) -> pd.DataFrame:
    """The cues behind one text's intensity, and the final score.

    Parameters
    ----------
    text : str
    lexicon : IntensityLexicon, optional

    Returns
    -------
    pandas.DataFrame
        One row per cue in text order, then one ``total`` row. Columns:

        ``start``  position in the normalised text; ``cue`` matched text; ``kind`` lexicon kind,
        ``punctuation``, ``ellipsis``, ``repeat`` or ``blocker`` (weight 0, matched so that a
        shorter cue inside does not fire); ``weight`` lexicon weight or mark value;
        ``modifier`` modifiers applied, nearest first; ``value`` signed value after modifiers;
        ``rank_factor`` diminishing-returns factor ``DECAY**(rank-1)`` among cues of the same
        sign; ``contribution`` = ``value × rank_factor``; ``score`` empty except on the total
        row, whose ``contribution`` is the raw sum and ``score`` the intensity
        ``1 − exp(−max(raw, 0)/SCALE)`` that :func:`dissatisfaction_intensity` returns.
        ``attrs`` holds ``text`` (normalised), ``raw`` and ``score``.
    """
    lexicon = lexicon or _default_lexicon()
    prepared = _prepare(text)
    cues = _cues(prepared, lexicon) if prepared else []
    values = [c[5] for c in cues]
    rank_factor = [0.0] * len(cues)
    for sign in (1, -1):
        order = sorted((i for i, v in enumerate(values) if v * sign > 0), key=lambda i: -abs(values[i]))
        for rank, i in enumerate(order):
            rank_factor[i] = _POWERS[rank] if rank < len(_POWERS) else 0.0
    raw = _raw(values)
    score = _squash(raw)
    rows = [
        {
            "start": start,
            "cue": cue,
            "kind": "blocker" if kind == "negative" and weight == 0 else kind,
            "weight": weight,
            "modifier": _describe_chain(chain),
            "value": value,
            "rank_factor": rank_factor[i],
            "contribution": value * rank_factor[i],
            "score": np.nan,
        }
        for i, (start, cue, kind, weight, chain, value) in enumerate(cues)
    ]
    rows.append({"start": pd.NA, "cue": "", "kind": "total", "weight": np.nan, "modifier": "",
                 "value": np.nan, "rank_factor": np.nan, "contribution": raw, "score": score})
    frame = pd.DataFrame(rows)
    frame["start"] = frame["start"].astype("Int64")
    frame.attrs.update(text=prepared, raw=raw, score=score)
    return frame
