"""Measure the text-derived dissatisfaction intensity on the blind intensity set (issue 6).

    .venv/bin/python bench/eval_intensity.py

``data/eval/intensity_labeled.csv`` was written and rated (1–5) by a writer who saw neither the
lexicon nor the scorer; it is only measured, never tuned on. Writes ``bench/results/intensity.md``
and ``intensity.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr

from minetools.intensity import dissatisfaction_intensity

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def main() -> None:
    data = pd.read_csv(ROOT / "data" / "eval" / "intensity_labeled.csv")
    data["score"] = dissatisfaction_intensity(data["text"].tolist())
    overall = float(spearmanr(data["score"], data["intensity"]).statistic)
    by_level = data.groupby("intensity")["score"].agg(["size", "mean", "median"])
    by_level["zero_share"] = data.groupby("intensity")["score"].apply(lambda s: (s == 0).mean())
    by_register = {r: float(spearmanr(g["score"], g["intensity"]).statistic) for r, g in data.groupby("register")}
    out = {"rows": len(data), "spearman": round(overall, 4),
           "spearman_by_register": {k: round(v, 4) for k, v in by_register.items()},
           "mean_by_level": {int(k): round(float(v), 4) for k, v in by_level["mean"].items()}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "intensity.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    lines = ["# Dissatisfaction intensity on the blind set", "",
             f"`.venv/bin/python bench/eval_intensity.py` — {len(data)} complaints rated 1–5 by a writer who saw "
             "neither lexicon nor scorer.", "",
             f"Spearman correlation of the intensity with the human rating: **{overall:.3f}**.", "",
             "| rating | rows | mean intensity | median | share scored 0 |", "|---:|---:|---:|---:|---:|"]
    for level, row in by_level.iterrows():
        lines.append(f"| {level} | {int(row['size'])} | {row['mean']:.3f} | {row['median']:.3f} | {row['zero_share']:.0%} |")
    lines += ["", "| register | Spearman |", "|---|---:|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in by_register.items()]
    (RESULTS / "intensity.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
