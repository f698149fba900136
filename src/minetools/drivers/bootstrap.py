"""The Poisson bootstrap of the importance shares, drawn per distinct pattern.

Giving every complaint an independent Poisson(1) weight (Hanley & MacGibbon 2006) means a pattern seen ``c``
times gets a Poisson(``c``) weight, so a replicate costs one pass over the patterns, whatever the number of
complaints.  Replicates run in chunks, each seeded from one :class:`numpy.random.SeedSequence`, forked over the
cores when the work is large.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.special import pdtr

from minetools.drivers.importance import decompose
from minetools.drivers.patterns import Z975, MomentPlan

#: Patterns x replicates held in memory per bootstrap chunk.
BOOT_CHUNK_ELEMENTS = 8_000_000
#: Work (patterns, or subset fits for LMG, times replicates) above which the bootstrap uses one
#: worker process per core (forking costs tens of milliseconds; 20 M elements take about a second).
_PARALLEL_BOOT_ELEMENTS = 20_000_000
#: Monte-Carlo standard error (on the scale of the importance shares) that the ends of a bootstrap interval may
#: have: drawing stops once every end is this precise (a 95% Monte-Carlo margin of about ±0.01 of explained
#: variance share), or at n_boot.
MC_TOLERANCE = 0.005
#: Replicates drawn before the Monte-Carlo error is first judged (a 2.5% end needs a few dozen beyond it).
MIN_REPLICATES = 400
#: Patterns seen at most this often draw their Poisson weights from lookup tables.
_POISSON_TABLE_MAX = 32
_POISSON_AMBIGUOUS = 255


@lru_cache(maxsize=1)
def _poisson_tables():
    """Inverse-CDF lookup tables for Poisson(1..32) indexed by a 16-bit uniform.

    ``table[lam, u]`` is the Poisson(lam) quantile for every uniform in
    ``[u, u+1) / 65536`` when that whole interval maps to one value, else the
    marker 255; marked draws are completed with a second uniform inside the
    interval, so the draws follow the Poisson distribution exactly.
    """
    lo = np.arange(65536) / 65536.0
    hi = (np.arange(65536) + 1) / 65536.0
    table = np.zeros((_POISSON_TABLE_MAX + 1, 65536), dtype=np.uint8)
    cdfs = [np.ones(1)]
    for lam in range(1, _POISSON_TABLE_MAX + 1):
        top = int(lam + 40 * math.sqrt(lam) + 40)
        cdf = pdtr(np.arange(top), lam)
        cdf[-1] = 1.0
        cdfs.append(cdf)
        x_lo = np.searchsorted(cdf, lo, side="right")
        x_hi = np.searchsorted(cdf, hi, side="left")
        table[lam] = np.where((x_lo == x_hi) & (x_lo < _POISSON_AMBIGUOUS), x_lo, _POISSON_AMBIGUOUS)
    return table.reshape(-1), cdfs


def poisson_weights(counts: np.ndarray, n_rep: int, rng: np.random.Generator) -> np.ndarray:
    """Poisson bootstrap weights, shape (K, n_rep): pattern k gets Poisson(counts[k]).

    Giving every original row an independent Poisson(1) weight (the Poisson
    bootstrap; Hanley & MacGibbon 2006) means a pattern seen c times gets a
    Poisson(c) weight, so the resample is drawn per pattern, not per row.
    ``counts`` must be sorted ascending (small counts use the lookup tables).
    """
    table, cdfs = _poisson_tables()
    K = len(counts)
    W = np.empty((K, n_rep))
    n_small = int(np.searchsorted(counts, _POISSON_TABLE_MAX, side="right"))
    if n_small:
        offsets = (counts[:n_small].astype(np.uint32) << 16)[:, None]
        u = rng.integers(0, 65536, size=(n_small, n_rep), dtype=np.uint16)
        x = np.take(table, offsets | u)
        W[:n_small] = x
        amb_r, amb_c = np.nonzero(x == _POISSON_AMBIGUOUS)
        if len(amb_r):
            fine = (u[amb_r, amb_c] + rng.random(len(amb_r))) / 65536.0
            lam = counts[amb_r]
            for value in np.unique(lam):
                sel = lam == value
                W[amb_r[sel], amb_c[sel]] = np.searchsorted(cdfs[value], fine[sel], side="right")
    if n_small < K:
        W[n_small:] = rng.poisson(counts[n_small:].astype(float)[:, None], size=(K - n_small, n_rep))
    return W


def _boot_chunk(item, plan: MomentPlan, counts: np.ndarray, shift: np.ndarray, p: int, use_lmg: bool):
    """Signed importance shares for one chunk of bootstrap replicates."""
    n_rep, seed = item
    W = poisson_weights(counts, n_rep, np.random.default_rng(seed))
    shares, sign, _ = decompose(plan.moments(W, shift), plan.a, p, use_lmg)
    return shares * sign


def bootstrap_importance(plan, counts, shift, p, use_lmg, n_boot, random_state) -> tuple[np.ndarray, float]:
    """(replicates, p) signed shares and the Monte-Carlo error of the 95% interval ends.

    Replicates are drawn in chunks seeded from one :class:`numpy.random.SeedSequence` (so the first ``k``
    chunks are the same whatever the stopping point), forked over cores when large.  After
    :data:`MIN_REPLICATES` replicates, drawing stops as soon as the Monte-Carlo standard error of every
    interval end (:func:`percentile_mc_error`) is at most :data:`MC_TOLERANCE`, or at ``n_boot``.
    """
    from minetools.parallel import fork_map

    K = len(counts)
    per_chunk = int(max(1, min(200, BOOT_CHUNK_ELEMENTS // max(K, 1), n_boot)))
    sizes = [per_chunk] * (n_boot // per_chunk) + ([n_boot % per_chunk] if n_boot % per_chunk else [])
    seeds = np.random.SeedSequence(random_state).spawn(len(sizes))
    # the work per replicate: the moments over K patterns, then 2**p subset fits for LMG
    per_replicate = K + ((1 << p) * 8 if use_lmg else p * p)
    parallel = per_replicate * n_boot >= _PARALLEL_BOOT_ELEMENTS and len(sizes) > 1
    step = 2 if parallel else 1  # chunks per round: one per core
    jobs, parts, error = list(zip(sizes, seeds)), [], float("inf")
    for start in range(0, len(jobs), step):
        parts += fork_map(_boot_chunk, jobs[start:start + step], (plan, counts.astype(np.int64), shift, p, use_lmg),
                          parallel=parallel and len(jobs[start:start + step]) > 1)
        boot = np.concatenate(parts, axis=0)
        if len(boot) >= MIN_REPLICATES or start + step >= len(jobs):
            error = percentile_mc_error(boot)
            if error <= MC_TOLERANCE:
                break
    return boot, error


def percentile_mc_error(boot: np.ndarray, qs=(0.025, 0.975)) -> float:
    """Largest Monte-Carlo standard error, over drivers and both ends, of the percentiles ``qs`` of ``boot``
    (replicates × drivers), by the order-statistic (binomial) method: the ranks ``B q ± 1.96 √(B q (1 - q))``
    bound a 95% interval for the percentile, whose half-width over 1.96 is its standard error."""
    B = len(boot)
    if B < 2:
        return float("inf")
    ordered = np.sort(boot, axis=0)
    worst = 0.0
    for q in qs:
        spread = Z975 * math.sqrt(B * q * (1.0 - q))
        lo = int(max(0, math.floor(q * (B - 1) - spread)))
        hi = int(min(B - 1, math.ceil(q * (B - 1) + spread)))
        worst = max(worst, float(np.max(ordered[hi] - ordered[lo])) / (2 * Z975))
    return worst
