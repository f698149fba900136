"""Per-theme precision/recall/F1 of theme assignment against the sample's true_themes.

Runs the pipeline's clean → segment → themes stages on data/sample/complaints.csv (the
model is fitted on the input, as `minetools run` does), scores rows with status ok, and
writes bench/results/sample_themes.md and .json.

    .venv/bin/python bench/eval_sample_themes.py [--out DIR]
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_recall_fscore_support

from minetools.datasets import SAMPLE_PATH
from minetools.pipeline import run

HERE = Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="out/bench-sample", help="run directory to write")
    args = parser.parse_args()
    t0 = time.perf_counter()
    result = run(SAMPLE_PATH, args.out, progress=True)
    seconds = time.perf_counter() - t0
    df = result.complaints
    truth_text = pd.read_csv(SAMPLE_PATH, dtype=str, keep_default_na=False)["true_themes"]
    keys = [c[len("theme_"):] for c in df.columns if c.startswith("theme_")]
    ok = (df["status"] == "ok").to_numpy()
    truth = np.array([[k in t.split("|") for k in keys] for t in truth_text])[ok].astype(int)
    pred = df.loc[ok, [f"theme_{k}" for k in keys]].to_numpy()
    p, r, f, s = precision_recall_fscore_support(truth, pred, zero_division=0)
    table = pd.DataFrame({"theme": keys, "precision": p, "recall": r, "f1": f, "support": s}).round(3)
    summary = {
        "rows_scored": int(ok.sum()),
        "macro_f1": round(float(f1_score(truth, pred, average="macro", zero_division=0)), 4),
        "micro_f1": round(float(f1_score(truth, pred, average="micro", zero_division=0)), 4),
        "pipeline_seconds": round(seconds, 1),
        "timings_s": result.manifest["timings_s"],
        "per_theme": table.to_dict("records"),
    }
    print(table.to_string(index=False))
    print(f"macro-F1 {summary['macro_f1']:.3f}  micro-F1 {summary['micro_f1']:.3f}  ({summary['rows_scored']} ok rows)")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "sample_themes.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    md = ["# Theme assignment vs true_themes on data/sample/complaints.csv", "",
          f"Command: `.venv/bin/python bench/eval_sample_themes.py` · rows scored (status ok): {summary['rows_scored']}",
          f"· macro-F1 **{summary['macro_f1']:.3f}** · micro-F1 **{summary['micro_f1']:.3f}**"
          f" · whole pipeline {summary['pipeline_seconds']} s on 2 cores", "",
          "| theme | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    md += [f"| {r.theme} | {r.precision:.3f} | {r.recall:.3f} | {r.f1:.3f} | {r.support} |" for r in table.itertuples()]
    (HERE / "results" / "sample_themes.md").write_text("\n".join(md) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
