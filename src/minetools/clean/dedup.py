"""Duplicates: exact (same text once punctuation, spaces and case are ignored) and near (MinHash/LSH).

Exact duplicates are found by a 64-bit hash of the normalised key; near-duplicates by
character-shingle MinHash (one-permutation hashing with densification) and LSH banding,
and every candidate pair is verified on its actual shingles. numpy is imported inside the
helpers so that importing this module stays cheap.
"""

from __future__ import annotations

import pandas as pd

from minetools.parallel import fork_map

__all__ = ["mark_duplicates"]

_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_EMPTY_BIN = 0xFFFFFFFF
#: each row is paired with this many earlier rows sharing an LSH bucket (bounds the work in
#: the huge buckets that templated, same-theme complaints form)
_BUCKET_WINDOW = 3
_CHUNK_ROWS = 50_000
# inputs at least this large use one worker process per core (measured in bench/bench_dedup.py;
# below it, starting the workers costs more than it saves)
_PARALLEL_MIN_ROWS = 200_000
_PARALLEL_MIN_PAIRS = 200_000
_VERIFY_BATCH = 4_000_000  # shingles gathered per verification batch (bounds memory)
#: candidates whose containment, estimated from their MinHash signatures, is below
#: ``threshold - _PREFILTER_MARGIN`` are dropped before exact verification. Measured on
#: 200,000 generated complaints: 588k LSH candidates → 225k, and none of the 17,354 pairs
#: that verification accepts was lost (bench/bench_dedup.py).
_PREFILTER_MARGIN = 0.10


def _key_codes(cp):
    """Each code point of ``cp`` (uint32) lower-cased when it is a letter, digit or Han (``str.isalnum``), else 0;
    judged once per distinct code point."""
    import numpy as np

    if not len(cp):
        return cp.copy()
    table = np.zeros(int(cp.max()) + 1, dtype=np.uint32)
    table[cp] = 1
    distinct = np.flatnonzero(table)
    table[distinct] = np.fromiter((ord(c.lower()[0]) if c.isalnum() else 0 for c in map(chr, distinct.tolist())),
                                  dtype=np.uint32, count=len(distinct))
    return table[cp]


def _mix64(x):
    """splitmix64 finaliser, in place on a uint64 array (returns it)."""
    import numpy as np

    x ^= x >> np.uint64(30)
    x *= np.uint64(_MIX1)
    x ^= x >> np.uint64(27)
    x *= np.uint64(_MIX2)
    x ^= x >> np.uint64(31)
    return x


def _ranges(starts, counts):
    """Concatenation of ``arange(s, s + c)`` for each (s, c), vectorised."""
    import numpy as np

    counts = np.asarray(counts, dtype=np.int64)
    ends = np.cumsum(counts)
    return np.repeat(np.asarray(starts, dtype=np.int64) - (ends - counts), counts) + np.arange(ends[-1] if len(ends) else 0)


def _sorted_unique(x):
    """``np.unique`` for a 1-D integer array via one sort (faster than numpy's hash path)."""
    import numpy as np

    x = np.sort(x)
    return x[np.r_[True, x[1:] != x[:-1]]] if len(x) else x


def _first_of_group(codes, n_groups: int):
    """For group codes of rows in order, the row number of each row's group's first row."""
    import numpy as np

    first = np.empty(n_groups, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # last write wins: earliest row
    return first[codes]


def _key_codepoints(strings: list[str]):
    """The ``_dedup_key`` of each string as code points: (concatenated uint64 codes, lengths).

    Same reduction as ``_dedup_key`` (letters, digits and Han kept, lower-cased) done on a
    code-point array instead of one regex call per text.
    """
    import numpy as np

    raw_len = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    cp = np.frombuffer("".join(strings).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mapped = _key_codes(cp)
    keep = mapped != 0
    rows = np.repeat(np.arange(len(strings)), raw_len)
    klen = np.bincount(rows[keep], minlength=len(strings)).astype(np.int64)
    return mapped[keep].astype(np.uint64), klen


def _exact_hashes(kcp, klen, salt: int):
    """64-bit hash of each key (position-aware sum of mixed code points, then its length)."""
    import numpy as np

    starts = np.cumsum(klen) - klen
    lpos = (np.arange(len(kcp)) - np.repeat(starts, klen)).astype(np.uint64)
    e = _mix64((lpos << np.uint64(21)) | kcp ^ np.uint64(salt))
    out = np.zeros(len(klen), dtype=np.uint64)
    nonempty = klen > 0
    if nonempty.any():
        out[nonempty] = np.add.reduceat(e, starts[nonempty])
    return _mix64(out ^ _mix64(klen.astype(np.uint64) + np.uint64(salt)))


def _shingle_hashes(kcp, klen, k: int, salt: int):
    """Row id and 64-bit hash of every character k-shingle, in text order."""
    import numpy as np

    starts = np.cumsum(klen) - klen
    nsh = np.maximum(klen - k + 1, 0)
    srow = np.repeat(np.arange(len(klen)), nsh)
    pos = _ranges(starts, nsh)
    code = kcp[pos]
    for j in range(1, k):
        if j < 3:  # three 21-bit code points pack exactly into 63 bits
            code = (code << np.uint64(21)) | kcp[pos + j]
        else:
            code = _mix64(code) ^ kcp[pos + j]
    return srow, _mix64(code ^ np.uint64(salt))


def _lsh_band_hashes(srow, h, n: int, num_perm: int, bands: int, salt: int):
    """One-permutation MinHash (``num_perm`` bins, densified): (band keys, signature).

    The signature (n × num_perm, uint32) estimates the Jaccard index of two rows as the
    share of equal bins; its ``bands`` band keys each hash ``num_perm // bands`` bins."""
    import numpy as np

    # bin from the high 32 bits (multiply-shift), value from the low 32 bits
    bins = (((h >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)).astype(np.int64)
    sig = np.full(n * num_perm, _EMPTY_BIN, dtype=np.uint32)
    np.minimum.at(sig, srow * num_perm + bins, (h & np.uint64(_EMPTY_BIN)).astype(np.uint32))
    sig = sig.reshape(n, num_perm)
    # densification by rotation: an empty bin takes the nearest non-empty bin to its right
    # (circularly), offset by the distance, so that similar sets still agree on it
    empty = sig == _EMPTY_BIN
    if empty.any():
        cols = np.arange(2 * num_perm)
        # index of the nearest non-empty bin at or right of each position (on a doubled row)
        nxt = np.where(np.tile(empty, 2), 2 * num_perm, cols)
        nxt = np.minimum.accumulate(nxt[:, ::-1], axis=1)[:, ::-1][:, :num_perm]
        fill = empty & (nxt < 2 * num_perm)  # rows with no shingle at all stay empty
        r, c = np.nonzero(fill)
        d = nxt[r, c] - c
        sig[r, c] = sig[r, nxt[r, c] % num_perm] + (d * 0x9E3779B1 & 0xFFFFFFFF).astype(np.uint32)
    rows = num_perm // bands
    out = np.empty((n, bands), dtype=np.uint64)
    for j in range(bands):  # band j uses bins j, j+bands, j+2*bands, ... (spread out)
        x = np.full(n, (salt + j) & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64)
        for q in range(rows):
            x = _mix64(x ^ sig[:, j + q * bands].astype(np.uint64))
        out[:, j] = x
    return out, sig


def _candidate_pairs(bh, window: int):
    """Pairs (earlier, later) of rows of ``bh`` sharing a band key, each row paired with at
    most ``window`` earlier rows of its bucket per band. Rows of ``bh`` are in input order."""
    import numpy as np

    n = bh.shape[0]
    codes = []
    for j in range(bh.shape[1]):
        v = bh[:, j]
        order = np.argsort(v, kind="stable")  # stable: input order within a bucket
        sv = v[order]
        for d in range(1, window + 1):
            same = np.flatnonzero(sv[d:] == sv[:-d])
            if not len(same):
                break
            codes.append(order[same] * n + order[same + d])
        if sum(len(c) for c in codes) > 8_000_000:  # keep memory bounded
            codes = [_sorted_unique(np.concatenate(codes))]
    if not codes:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    codes = _sorted_unique(np.concatenate(codes))
    return codes // n, codes % n


def _pair_similarity(strings: list[str], a, b, k: int, salt: int):
    """Similarity of row pairs (a[i], b[i]) of ``strings``: max(Jaccard, window Jaccard).

    Jaccard is on the sets of character k-shingles. The window Jaccard aligns the text with
    fewer shingles (w of them) to the best run of w consecutive shingle positions of the
    other: M / (2w − M), where M is the number of positions in that run whose shingle occurs
    in the shorter text — i.e. the Jaccard once text added before or after is ignored.
    """
    import numpy as np

    involved = _sorted_unique(np.concatenate([a, b]))
    ia, ib = np.searchsorted(involved, a), np.searchsorted(involved, b)
    kcp, klen = _key_codepoints([strings[i] for i in involved])
    srow, h = _shingle_hashes(kcp, klen, k, salt)
    nsh = np.maximum(klen - k + 1, 0)
    soff = np.cumsum(nsh) - nsh
    mask40 = np.uint64((1 << 40) - 1)
    h40 = h >> np.uint64(24)
    uniq = _sorted_unique((srow.astype(np.uint64) << np.uint64(40)) | h40)  # sorted set per row
    urow = (uniq >> np.uint64(40)).astype(np.int64)
    usz = np.bincount(urow, minlength=len(involved))
    uoff = np.cumsum(usz) - usz
    uval = uniq & mask40

    short_is_a = nsh[ia] <= nsh[ib]
    s = np.where(short_is_a, ia, ib)
    lg = np.where(short_is_a, ib, ia)
    sim = np.zeros(len(a))
    cum = np.cumsum(usz[s] + usz[lg] + nsh[lg])
    cuts = np.searchsorted(cum, np.arange(_VERIFY_BATCH, cum[-1], _VERIFY_BATCH)) + 1
    for start, stop in zip(np.r_[0, cuts], np.r_[cuts, len(a)]):
        if stop <= start:
            continue
        ps, pl = s[start:stop], lg[start:stop]
        npairs = stop - start
        pid = np.arange(npairs, dtype=np.uint64) << np.uint64(40)
        keys_s = np.repeat(pid, usz[ps]) | uval[_ranges(uoff[ps], usz[ps])]
        keys_l = np.repeat(pid, usz[pl]) | uval[_ranges(uoff[pl], usz[pl])]
        seq_l = np.repeat(pid, nsh[pl]) | h40[_ranges(soff[pl], nsh[pl])]

        def member(keys):
            at = np.minimum(np.searchsorted(keys_s, keys), len(keys_s) - 1)
            return keys_s[at] == keys

        inter = np.bincount(np.repeat(np.arange(npairs), usz[pl])[member(keys_l)], minlength=npairs)
        jac = inter / np.maximum(usz[ps] + usz[pl] - inter, 1)
        # best window of w = nsh[short] consecutive positions in the longer text
        w = nsh[ps]
        cs = np.r_[0, np.cumsum(member(seq_l))]
        nwin = nsh[pl] - w + 1
        ends = _ranges(np.cumsum(nsh[pl]) - nsh[pl] + w, nwin)  # index into cs (exclusive end)
        sums = cs[ends] - cs[ends - np.repeat(w, nwin)]
        best = np.maximum.reduceat(sums, np.cumsum(nwin) - nwin)
        win = best / np.maximum(2 * w - best, 1)
        sim[start:stop] = np.maximum(jac, win)
    return sim


def _signature_chunk(rows, vals, min_chars, shingle, num_perm, bands, salt):
    """Pass 1 for one chunk of row positions: (rows kept, key lengths, exact hashes, band keys,
    signatures) for the rows whose key has at least ``min_chars`` characters."""
    kcp, klen = _key_codepoints([vals[i] for i in rows])
    keep = klen >= min_chars
    exact = _exact_hashes(kcp, klen, salt)
    srow, h = _shingle_hashes(kcp, klen, shingle, salt)
    bh, sig = _lsh_band_hashes(srow, h, len(rows), num_perm, bands, salt)
    return rows[keep], klen[keep], exact[keep], bh[keep], sig[keep]


def _similarity_slice(bounds, vals, a, b, shingle, salt):
    lo, hi = bounds
    return _pair_similarity(vals, a[lo:hi], b[lo:hi], shingle, salt)


def mark_duplicates(
    texts: pd.Series,
    eligible: pd.Series,
    *,
    min_chars: int = 20,
    threshold: float = 0.8,
    shingle: int = 3,
    num_perm: int = 64,
    bands: int = 16,
    min_length_ratio: float = 0.5,
    seed: int = 0,
) -> pd.Series:
    """For each eligible row, the index label of the first row of its duplicate group, or NA.

    Texts are compared by their key: letters, digits and Han characters only, lower-cased
    (punctuation, spaces and emoji ignored). Two eligible rows are duplicates when

    * their keys are equal (exact duplicate), or
    * their keys are near-duplicates: the shorter key is at least ``min_length_ratio`` of
      the longer one (in characters) and ``similarity >= threshold``, where similarity is
      the larger of the Jaccard index of their sets of character ``shingle``-grams and the
      *window Jaccard*: the Jaccard of the shorter text with the best-aligned run of the
      longer one of the same length (see ``_pair_similarity``). The window Jaccard makes a
      resubmission with a prefix ("再次反映：") or an added closing sentence score ≈ 1,
      while a sentence inserted in the middle or a different ending does not. (Plain
      containment |A∩B|/|A| was not used: on templated complaints it also matches
      different customers whose texts share most of their phrases.)

    Texts whose key is shorter than ``min_chars`` are never duplicates: short survey
    comments such as "排队太久了" are written identically by different customers.

    Groups are closed transitively (a resubmission of a resubmission joins the group) and
    every member points to the group's first row in input order, never to a later row or to
    itself. Ineligible rows are neither marked nor used as originals.

    Near-duplicate candidates come from MinHash + LSH, not from comparing all pairs:
    one-permutation MinHash with ``num_perm`` bins (densified), split into ``bands`` bands of
    ``num_perm // bands`` bins; rows sharing a band are paired (each with at most a few
    earlier rows of the bucket) and every candidate pair is verified on its actual shingles.
    A pair is found with probability about 1 − (1 − J^r)^bands (J its Jaccard index, r the
    bins per band): with the defaults ≈ 0.99 at J = 0.7, 0.88 at J = 0.6, 0.64 at J = 0.5.
    The result is deterministic for a given ``seed``.

    Returns a Series aligned with ``texts`` (object dtype) holding the first row's label.
    """
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    if shingle < 1 or bands < 1 or num_perm % bands:
        raise ValueError("shingle and bands must be positive and bands must divide num_perm")

    n = len(texts)
    vals = texts.tolist()
    elig = getattr(eligible, "dtype", None)
    if elig is not None and pd.api.types.is_bool_dtype(elig) and not isinstance(elig, pd.BooleanDtype):
        elig = np.asarray(eligible, dtype=bool)
    else:  # lists, object or nullable booleans: NA counts as not eligible
        elig = np.fromiter((x is not pd.NA and x is not None and bool(x) for x in eligible), dtype=bool)
    if len(elig) != n:
        raise ValueError("texts and eligible must have the same length")
    is_str = np.fromiter((isinstance(v, str) for v in vals), dtype=bool, count=n)
    cand = np.flatnonzero(elig & is_str)
    salt = int(_mix64(np.array([seed & 0xFFFFFFFFFFFFFFFF, 0x5EED], dtype=np.uint64))[0])

    # pass 1, in chunks: key length, exact-key hash, LSH band keys and signature of each row
    chunks = [cand[lo:lo + _CHUNK_ROWS] for lo in range(0, len(cand), _CHUNK_ROWS)]
    params = (vals, min_chars, shingle, num_perm, bands, salt)
    results = fork_map(_signature_chunk, chunks, params, parallel=len(cand) >= _PARALLEL_MIN_ROWS)
    out = np.full(n, pd.NA, dtype=object)
    if not results or not sum(len(r[0]) for r in results):
        return pd.Series(out, index=texts.index, dtype="object")
    part, klen, exact, bh, sig = (np.concatenate(col) for col in zip(*results))
    del results
    m = len(part)

    # exact duplicates: each row joins the first row with the same key
    codes, uniques = pd.factorize(exact)
    first_of = _first_of_group(codes, len(uniques))
    is_rep = first_of == np.arange(m)
    ex_a, ex_b = first_of[~is_rep], np.flatnonzero(~is_rep)

    # near duplicates among the distinct keys: LSH candidates, then verification
    reps = np.flatnonzero(is_rep & (klen >= shingle))
    ca, cb = _candidate_pairs(bh[reps], _BUCKET_WINDOW)
    del bh
    ca, cb = reps[ca], reps[cb]
    ok = np.minimum(klen[ca], klen[cb]) >= min_length_ratio * np.maximum(klen[ca], klen[cb])
    ca, cb = ca[ok], cb[ok]
    # cheap pre-filter: containment of the smaller shingle set estimated from the signatures
    est = np.concatenate([(sig[ca[i:i + 500_000]] == sig[cb[i:i + 500_000]]).mean(axis=1)
                          for i in range(0, len(ca), 500_000)] or [np.zeros(0)])
    na, nb = (np.maximum(klen[x] - shingle + 1, 1) for x in (ca, cb))
    containment = est * (na + nb) / (1 + est) / np.minimum(na, nb)
    keep = containment >= threshold - _PREFILTER_MARGIN
    ca, cb = ca[keep], cb[keep]
    del sig
    if len(ca):
        pa, pb = part[ca], part[cb]
        bounds = np.linspace(0, len(pa), 9 if len(pa) >= _PARALLEL_MIN_PAIRS else 2).astype(int)
        sims = fork_map(_similarity_slice, list(zip(bounds[:-1], bounds[1:])), (vals, pa, pb, shingle, salt),
                         parallel=len(pa) >= _PARALLEL_MIN_PAIRS)
        sim = np.concatenate(sims)
        near = sim >= threshold - 1e-12
        ca, cb = ca[near], cb[near]

    # groups: connected components; each member points to the group's first row
    ea, eb = np.r_[ex_a, ca], np.r_[ex_b, cb]
    graph = coo_matrix((np.ones(len(ea), dtype=np.int8), (ea, eb)), shape=(m, m))
    n_comp, comp = connected_components(graph, directed=False)
    root = _first_of_group(comp, n_comp)  # lowest member = earliest row
    dup = np.flatnonzero(root != np.arange(m))
    out[part[dup]] = np.fromiter(texts.index[part[root[dup]]], dtype=object, count=len(dup))
    return pd.Series(out, index=texts.index, dtype="object")
