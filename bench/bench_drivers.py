"""Benchmark: driver analysis on 1,000,000 complaints x 12 themes, 1,000 bootstrap replicates (issue 6).

    .venv/bin/python bench/bench_drivers.py [--rows 1000000] [--boot 1000]

The table follows the sample generator's effect model (``minetools.datasets``: theme
prevalences and co-occurrence, branch/channel/month, additive effects, 1–5 score) but has
no text, since text plays no part in the driver statistics. Three runs are timed:
themes + the default covariates (branch, channel, month) — the run a user gets —; themes
only; and themes + covariates + handling-time drivers (days to close and a breach flag),
whose continuous values leave far more distinct rows. Writes ``bench/results/drivers.md``
and ``drivers.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from minetools import datasets as ds
from minetools.drivers import analyze_drivers

RESULTS = Path(__file__).parent / "results"
TARGET_S = 10.0


def make_table(n: int, seed: int = 11) -> pd.DataFrame:
    """Complaint-level driver table drawn from the sample generator's effect model."""
    rng = np.random.default_rng(seed)
    r = random.Random(seed)
    T = np.zeros((n, len(ds.THEME_KEYS)), dtype=np.int8)
    none = rng.random(n) < 0.05
    for i in np.flatnonzero(~none):
        T[i, ds._draw_themes(r, ds._W_NORMAL, None)] = 1
    branches, channels = list(ds.BRANCHES), list(ds.CHANNELS)
    b = rng.choice(len(branches), n, p=np.array(list(ds.BRANCHES.values())) / sum(ds.BRANCHES.values()))
    c = rng.choice(len(channels), n, p=np.array(list(ds.CHANNELS.values())))
    month = rng.integers(0, 24, n)
    hours = np.clip(16.0 * np.exp(rng.normal(0.0, 1.0, n)), 0.2, 240.0)
    eff = np.array([ds.TRUE_EFFECTS[k] for k in ds.THEME_KEYS])
    latent = (ds.BASELINE + T @ eff + np.array([ds.BRANCH_EFFECTS[x] for x in branches])[b]
              + np.array([ds.CHANNEL_EFFECTS[x] for x in channels])[c]
              - ds.HANDLING_PENALTY_PER_DAY * np.maximum(0.0, hours - ds.HANDLING_TARGET_HOURS) / 24.0
              + rng.normal(0.0, ds.NOISE_SD, n))
    df = pd.DataFrame({f"theme_{k}": T[:, j] for j, k in enumerate(ds.THEME_KEYS)})
    df["satisfaction"] = np.clip(np.rint(latent), 1, 5)
    df["branch"] = np.array(branches)[b]
    df["channel"] = np.array(channels)[c]
    df["month"] = np.array([f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in range(24)])[month]
    df["handling_days"] = np.round(hours / 24.0, 2)
    df["closed_late"] = (hours > 48.0).astype(int)
    return df


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def timed(df, n_boot, **kw):
    t = time.perf_counter()
    res = analyze_drivers(df, themes=list(ds.THEME_KEYS), n_boot=n_boot, random_state=0, **kw)
    return time.perf_counter() - t, res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--boot", type=int, default=1000)
    args = ap.parse_args()

    t = time.perf_counter()
    df = make_table(args.rows)
    print(f"table of {len(df):,} rows built in {time.perf_counter() - t:.1f} s", flush=True)
    runs = {}
    for name, kw in {
        "themes + branch, channel, month (default)": {},
        "themes only": {"covariates": ()},
        "themes + covariates + handling days and closed_late": {"extra_drivers": ["handling_days", "closed_late"]},
    }.items():
        analyze_drivers(df.head(2000), themes=list(ds.THEME_KEYS), n_boot=5, random_state=0, **kw)  # warm-up
        secs, res = timed(df, args.boot, **kw)
        runs[name] = {"seconds": round(secs, 2), "patterns": res.attrs["patterns"], "method": res.attrs["method"],
                      "r2": round(res.attrs["r2"], 4)}
        print(f"{name}: {secs:.2f} s on {res.attrs['patterns']:,} distinct rows", flush=True)
        if not kw:
            default = res

    binary = {}
    for rows in (5_000, 50_000):
        part = df.head(rows)
        t = time.perf_counter()
        res = analyze_drivers(part, themes=list(ds.THEME_KEYS), threshold=4, n_boot=0)
        binary[rows] = {"seconds": round(time.perf_counter() - t, 2), "patterns": res.attrs["patterns"]}
        print(f"binary (score >= 4), {rows:,} rows: {binary[rows]['seconds']:.1f} s", flush=True)

    true = pd.Series(ds.TRUE_EFFECTS)
    rho = default.set_index("theme")["effect"].corr(true, method="spearman")
    out = {
        "rows": len(df), "themes": len(ds.THEME_KEYS), "n_boot": args.boot, "target_s": TARGET_S,
        "runs": runs, "binary_logistic": binary, "spearman_effect_vs_true": round(float(rho), 4), "peak_mb": peak_mb(),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "drivers.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = [
        "# Driver analysis benchmark",
        "",
        f"`.venv/bin/python bench/bench_drivers.py` — {len(df):,} complaints × {len(ds.THEME_KEYS)} themes, "
        f"{args.boot:,} bootstrap replicates, {os.cpu_count()} cores. Target: under {TARGET_S:.0f} s.",
        "",
        "| run | seconds | distinct rows | importance | R² |",
        "|---|---:|---:|---|---:|",
    ]
    for name, v in runs.items():
        lines.append(f"| {name} | {v['seconds']:.2f} | {v['patterns']:,} | {v['method']} | {v['r2']:.3f} |")
    lines += ["", "Binary outcome (satisfied = score ≥ 4; logistic regression, exact McFadden dominance over all "
              "4,096 theme subsets with the covariates always in; no bootstrap):", "",
              "| rows | seconds | distinct rows |", "|---:|---:|---:|"]
    lines += [f"| {r:,} | {v['seconds']:.1f} | {v['patterns']:,} |" for r, v in binary.items()]
    lines += [
        "",
        f"Spearman correlation of the adjusted effects with the generator's true effects: {rho:.3f}. "
        f"Peak memory {out['peak_mb']:,} MB.",
        "",
        "Each run is the whole `analyze_drivers` call: grouping the rows into distinct patterns, HC3 effects, "
        "exact LMG and the Poisson bootstrap (patterns × replicates drawn per pattern, moments from "
        "per-cell sums, all 4,096 subset R² per replicate by sweeps).",
    ]
    (RESULTS / "drivers.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
