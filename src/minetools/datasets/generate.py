"""The sample generator: :func:`make_complaints` draws rows from the effect model in
:mod:`~minetools.datasets.effects` with texts from :mod:`~minetools.datasets.texts`; :func:`write_sample` and
:func:`load_sample` keep the committed sample file.

Attributes, handling times and scores are drawn with numpy's generator (vectorised), texts with
``random.Random``; both are seeded, so a seed gives the same corpus byte for byte.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from minetools.datasets import effects as E
from minetools.datasets.identifiers import pick
from minetools.datasets.texts import (BUSINESS, GARBAGE_TEXTS, OTHER_TOPICS, SLOTS, STORIES, WHEN, complaint_text,
                                      resubmission, to_traditional)


def _month_weights() -> np.ndarray:
    t = np.arange(E.N_MONTHS, dtype=float)
    w = 1.0 + 0.015 * t
    w[[1, 13]] *= 0.8  # Spring Festival months
    w[E.STORY_APP_MONTH] *= 1.15
    w[E.STORY_FEE_MONTH] *= 1.2
    w[E.STORY_BRANCH_FROM:] *= 1.05
    return w / w.sum()


def _month_first_days() -> list[int]:
    """Day offset (from FIRST_DAY) of the first day of each month, and of the month after the last."""
    out = []
    for mi in range(E.N_MONTHS + 1):
        y, m = divmod(mi, 12)
        out.append((E.FIRST_DAY.replace(year=E.FIRST_DAY.year + y, month=m + 1) - E.FIRST_DAY).days)
    return out


_MONTH_FIRST = _month_first_days()
_MONTH_DAYS = np.diff(np.array(_MONTH_FIRST))
_KEY_INDEX = {k: i for i, k in enumerate(E.THEME_KEYS)}
_BASE_W = [E.THEME_WEIGHTS[k] for k in E.THEME_KEYS]


def _affinity_matrix() -> list[list[float]]:
    aff = [[1.0] * len(E.THEME_KEYS) for _ in E.THEME_KEYS]
    for (a, b), v in E.AFFINITY.items():
        aff[_KEY_INDEX[a]][_KEY_INDEX[b]] = v
        aff[_KEY_INDEX[b]][_KEY_INDEX[a]] = v
    return aff


def _scaled(mult: dict) -> list:
    w = list(_BASE_W)
    for k, v in mult.items():
        w[_KEY_INDEX[k]] *= v
    return w


_AFF = _affinity_matrix()
_W_CHENGDONG = _scaled({"queuing": 2.2, "counter_arrangement": 4.5})
_W_APP = _scaled({"self_service_tech": 2.5})


def _wpick(r: random.Random, w: list) -> int:
    x = r.random() * sum(w)
    acc = 0.0
    for i, wi in enumerate(w):
        acc += wi
        if x < acc:
            return i
    return max(i for i, wi in enumerate(w) if wi > 0)


def _draw_themes(r: random.Random, w: list, forced: int | None) -> list:
    u = r.random()
    probs = E.THEME_COUNT_PROBS
    k = 1 if u < probs[0] else (2 if u < probs[0] + probs[1] else 3)
    first = forced if forced is not None else _wpick(r, w)
    chosen = [first]
    aff = _AFF[first]
    while len(chosen) < k:
        w2 = [0.0 if i in chosen else w[i] * aff[i] for i in range(len(w))]
        chosen.append(_wpick(r, w2))
    return chosen


def _cn_date(days: int) -> str:
    d = E.FIRST_DAY + timedelta(days=int(days))
    return f"{d.year}年{d.month}月{d.day}日"


_CN_DATES = [_cn_date(d) for d in range(_MONTH_FIRST[-1] + 40)]


def _row_counts(n: int) -> tuple[int, int, int]:
    """Rows drawn from the model, resubmissions of them, and garbage rows, adding up to ``n``."""
    n_garb = int(round(n * E.GARBAGE_RATE))
    n_dup = int(round(n * E.RESUBMISSION_RATE))
    n_base = max(0, n - n_garb - n_dup)
    n_dup = min(n_dup, max(0, n - n_garb - n_base))
    if n_base == 0:
        n_garb, n_dup = n, 0
    return n_base, n_dup, n_garb


def _attributes(rng: np.random.Generator, n_vec: int) -> dict:
    """Month, day, branch, channel, customer type, time of day and the per-row coin flips (vectorised)."""
    month = rng.choice(E.N_MONTHS, size=n_vec, p=_month_weights())
    day_in_month = (rng.random(n_vec) * _MONTH_DAYS[month]).astype(np.int64)
    day = np.asarray(_MONTH_FIRST)[month] + day_in_month
    branch_names = list(E.BRANCHES)
    bw = np.array(list(E.BRANCHES.values()))
    bw_after = bw.copy()
    bw_after[branch_names.index(E.STORY_BRANCH)] *= 1.8  # the branch that closed counters gets more volume
    u = rng.random(n_vec)
    cum_b, cum_a = np.cumsum(bw / bw.sum()), np.cumsum(bw_after / bw_after.sum())
    bi = np.where(month >= E.STORY_BRANCH_FROM, np.searchsorted(cum_a, u, side="right"),
                  np.searchsorted(cum_b, u, side="right"))
    bi = np.minimum(bi, len(branch_names) - 1)
    ci = rng.choice(len(E.CHANNELS), size=n_vec, p=np.array(list(E.CHANNELS.values())))
    ti = rng.choice(len(E.CUSTOMER_TYPES), size=n_vec, p=np.array(list(E.CUSTOMER_TYPES.values())))
    # time of day: branch/letter 9-17h, phone 8-22h, online 7-24h
    lo = np.array([9, 8, 7, 7, 9, 7])[ci]
    hi = np.array([17, 22, 24, 24, 17, 24])[ci]
    secs = (lo * 3600 + rng.random(n_vec) * (hi - lo) * 3600).astype(np.int64)
    flags = rng.random((n_vec, 4))  # traditional, personal data, outside the taxonomy, story
    visit_gap = rng.integers(0, 6, size=n_vec)
    return {"month": month, "day": day, "bi": bi, "ci": ci, "ti": ti, "secs": secs, "flags": flags,
            "visit_gap": visit_gap}


def _row_themes(r: random.Random, month: int, fl: list, channel: str, at_story_branch: bool):
    """Theme indices, the topic outside the taxonomy (or None) and the story sentences (or None) of one row."""
    if fl[2] < E.NO_THEME_RATE:
        # emerging topics: coins around Spring Festival, FX in summer travel months
        m12 = month % 12
        p_coin = 0.8 if m12 in (0, 1, 11) else (0.25 if m12 in (5, 6, 7) else 0.5)
        other_keys = list(OTHER_TOPICS)
        return [], (other_keys[0] if r.random() < p_coin else other_keys[1]), None
    w, forced, story = _BASE_W, None, None
    if at_story_branch and month >= E.STORY_BRANCH_FROM:
        w = _W_CHENGDONG
    if month == E.STORY_FEE_MONTH and fl[3] < 0.2:
        forced, story = _KEY_INDEX["fees"], STORIES["fee"]
    elif month == E.STORY_APP_MONTH:
        if channel in ("手机银行", "网上银行") and fl[3] < 0.45:
            forced, story = _KEY_INDEX["self_service_tech"], STORIES["app"]
        else:
            w = _W_APP
    themes = _draw_themes(r, w, forced)
    if story is None and w is _W_CHENGDONG and (0 in themes or 7 in themes) and r.random() < 0.5:
        story = STORIES["chengdong"]
    return themes, None, story


def _texts(r: random.Random, att: dict, n_garb: int) -> dict:
    """Every row's text (Traditional where drawn), its Simplified original, themes and kind
    (0 normal, 1 short-form and never resubmitted, 2 garbage)."""
    n_vec = len(att["month"])
    branch_names, chan_names, ct_names = list(E.BRANCHES), list(E.CHANNELS), list(E.CUSTOMER_TYPES)
    story_branch = branch_names.index(E.STORY_BRANCH)
    out = {"texts": [""] * n_vec, "simp": [""] * n_vec, "themes": [[] for _ in range(n_vec)], "kinds": [0] * n_vec,
           "trad": (att["flags"][:, 0] < E.TRADITIONAL_RATE).tolist()}
    garbage = set(r.sample(range(n_vec), n_garb)) if n_garb else set()
    month_l, bi_l, ci_l, ti_l = att["month"].tolist(), att["bi"].tolist(), att["ci"].tolist(), att["ti"].tolist()
    day_l, gap_l, flags_l = att["day"].tolist(), att["visit_gap"].tolist(), att["flags"].tolist()
    for i in range(n_vec):
        if i in garbage:
            out["texts"][i], out["kinds"][i] = pick(r, GARBAGE_TEXTS), 2
            continue
        channel = chan_names[ci_l[i]]
        themes, other, story = _row_themes(r, month_l[i], flags_l[i], channel, bi_l[i] == story_branch)
        out["themes"][i] = themes
        ctx = {"branch": branch_names[bi_l[i]], "biz": pick(r, BUSINESS), "when": pick(r, WHEN),
               "vdate": _CN_DATES[max(0, day_l[i] - gap_l[i])], "ldate": _CN_DATES[day_l[i]],
               "company": pick(r, SLOTS["company"])}
        t, short = complaint_text([E.THEME_KEYS[j] for j in themes], other, r, ctx, channel=channel,
                                  customer_type=ct_names[ti_l[i]], pii=flags_l[i][1] < E.PII_RATE, story=story)
        out["kinds"][i] = 1 if short else 0
        out["simp"][i] = t
        out["texts"][i] = to_traditional().convert(t) if out["trad"][i] else t
    return out


def _resubmissions(r: random.Random, rng: np.random.Generator, att: dict, rows: dict, n_dup: int) -> dict:
    """Append ``n_dup`` resubmissions (2–7 days later, same branch/channel/type and themes) to ``rows``; return
    the day, second, branch, channel and type arrays of all rows."""
    day, kinds, simp = att["day"], rows["kinds"], rows["simp"]
    last_day = _MONTH_FIRST[-1]
    eligible = [i for i in range(len(kinds)) if kinds[i] == 0 and len(simp[i]) >= 20 and day[i] < last_day - 9]
    n_dup = min(n_dup, len(eligible))
    dup_src = sorted(r.sample(eligible, n_dup)) if n_dup else []
    dup_gap = rng.integers(2, 8, size=len(dup_src))
    dup_secs_delta = rng.integers(-3 * 3600, 3 * 3600, size=len(dup_src))
    src = np.array(dup_src, dtype=np.int64)
    out = {"day": np.concatenate([day, day[src] + dup_gap]).astype(np.int64),
           "secs": np.concatenate([att["secs"], np.clip(att["secs"][src] + dup_secs_delta, 0, 86399)]).astype(np.int64)}
    for key in ("bi", "ci", "ti"):
        out[key] = np.concatenate([att[key], att[key][src]])
    for s in dup_src:
        t = resubmission(simp[s], r)
        rows["texts"].append(to_traditional().convert(t) if rows["trad"][s] else t)
        rows["themes"].append(rows["themes"][s])
    return out


def _scores(rng: np.random.Generator, allr: dict, themes_of: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Handling seconds, satisfaction 1–5 and the missing-survey mask, from the effect model."""
    n_all = len(themes_of)
    med = np.array([E.HANDLING_MEDIAN_HOURS[c] for c in E.CHANNELS])[allr["ci"]]
    hours = np.clip(med * np.exp(rng.normal(0.0, E.HANDLING_SIGMA, n_all)), 0.2, E.HANDLING_MAX_HOURS)
    handle_secs = np.maximum(60, np.round(hours * 3600)).astype(np.int64)
    X = np.zeros((n_all, len(E.THEME_KEYS)))
    for i, th in enumerate(themes_of):
        for j in th:
            X[i, j] = 1.0
    eff = np.array([E.TRUE_EFFECTS[k] for k in E.THEME_KEYS])
    latent = (E.BASELINE + X @ eff
              + np.array(list(E.BRANCH_EFFECTS[b] for b in E.BRANCHES))[allr["bi"]]
              + np.array(list(E.CHANNEL_EFFECTS[c] for c in E.CHANNELS))[allr["ci"]]
              + np.array(list(E.CUSTOMER_TYPE_EFFECTS[c] for c in E.CUSTOMER_TYPES))[allr["ti"]]
              - E.HANDLING_PENALTY_PER_DAY * np.maximum(0.0, hours - E.HANDLING_TARGET_HOURS) / 24.0
              + rng.normal(0.0, E.NOISE_SD, n_all))
    sat = np.clip(np.rint(latent), 1, 5).astype(np.int64)
    missing = rng.random(n_all) < E.MISSING_RATE
    return handle_secs, sat, missing


def _frame(allr: dict, rows: dict, handle_secs, sat, missing) -> pd.DataFrame:
    """The table, sorted by receipt time, with ids ``TS<yyyymm><n>``."""
    base = np.datetime64(E.FIRST_DAY.isoformat() + "T00:00:00", "s")
    recv = base + (allr["day"] * 86400 + allr["secs"]).astype("timedelta64[s]")
    closed = recv + handle_secs.astype("timedelta64[s]")
    order = np.argsort(recv, kind="stable")
    recv_l = [x.replace("T", " ") for x in np.datetime_as_string(recv[order], unit="s").tolist()]
    closed_l = [x.replace("T", " ") for x in np.datetime_as_string(closed[order], unit="s").tolist()]
    branch_names, chan_names, ct_names = list(E.BRANCHES), list(E.CHANNELS), list(E.CUSTOMER_TYPES)
    df = pd.DataFrame({
        "id": [f"TS{s[0:4]}{s[5:7]}{k + 1:06d}" for k, s in enumerate(recv_l)],
        "text": [rows["texts"][i] for i in order],
        "satisfaction": pd.array([pd.NA if m else int(v) for v, m in zip(sat[order], missing[order])], dtype="Int64"),
        "date": [s[:10] for s in recv_l],
        "branch": [branch_names[j] for j in allr["bi"][order]],
        "channel": [chan_names[j] for j in allr["ci"][order]],
        "customer_type": [ct_names[j] for j in allr["ti"][order]],
        "received_at": recv_l,
        "closed_at": closed_l,
        "true_themes": ["|".join(E.THEME_KEYS[j] for j in sorted(rows["themes"][i])) for i in order],
    })
    for c in E.COLUMNS:
        if c != "satisfaction":
            df[c] = df[c].astype(str)
    return df


def make_complaints(n: int = 5000, *, seed: int = 2024) -> pd.DataFrame:
    """Generate ``n`` synthetic complaints (deterministic for a given ``seed``).

    Returns a DataFrame with the columns of :data:`~minetools.datasets.COLUMNS`, sorted by ``received_at``.
    See :mod:`minetools.datasets` and ``data/sample/README.md`` for the generative model.
    """
    n = int(n)
    if n < 0:
        raise ValueError("n must be non-negative")
    rng = np.random.default_rng([int(seed), 20240101])
    r = random.Random(int(seed))
    n_base, n_dup, n_garb = _row_counts(n)
    att = _attributes(rng, n_base + n_garb)
    rows = _texts(r, att, n_garb)
    allr = _resubmissions(r, rng, att, rows, n_dup)
    handle_secs, sat, missing = _scores(rng, allr, rows["themes"])
    return _frame(allr, rows, handle_secs, sat, missing)


def write_sample(path: str | Path = E.SAMPLE_PATH, n: int = 5000, seed: int = 2024) -> Path:
    """Write ``make_complaints(n, seed=seed)`` as UTF-8 CSV (no BOM, no index)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    make_complaints(n, seed=seed).to_csv(path, index=False, encoding="utf-8")
    return path


def load_sample() -> pd.DataFrame:
    """Read the committed sample CSV, or generate it in memory if absent."""
    if not E.SAMPLE_PATH.exists():
        return make_complaints(5000, seed=2024)
    df = pd.read_csv(E.SAMPLE_PATH, dtype=str, keep_default_na=False, encoding="utf-8")
    df["satisfaction"] = pd.array([int(v) if v.strip() else pd.NA for v in df["satisfaction"]], dtype="Int64")
    for c in E.COLUMNS:
        if c != "satisfaction":
            df[c] = df[c].astype(str)
    return df[list(E.COLUMNS)]
