"""Accuracy of the shipped theme model on the hand-written evaluation sets (issue 5).

    .venv/bin/python bench/eval_themes_accuracy.py

Scores ``minetools.themes.default_model()`` on ``data/eval/dev_labeled.csv`` (Simplified
and converted to Traditional with OpenCC s2t) and on ``data/eval/holdout_labeled.csv``
(never used for tuning), and writes ``bench/results/themes_accuracy.md`` and ``.json``:
per-theme precision / recall / F1 / kappa, macro and micro F1, and the confusions between
the closest theme pairs.
"""

from __future__ import annotations

import json
from pathlib import Path

import opencc
import pandas as pd

from minetools.clean import clean_text
from minetools.themes import default_model, evaluate_assignments, labels_frame

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
SETS = {
    "development set (Simplified)": ("dev_labeled.csv", False),
    "development set (Traditional, OpenCC s2t)": ("dev_labeled.csv", True),
    "held-out set (never tuned on)": ("holdout_labeled.csv", False),
}


def markdown_table(frame: pd.DataFrame) -> list[str]:
    rows = [list(map(str, frame.columns)), ["---"] * frame.shape[1], *frame.astype(str).values.tolist()]
    return ["| " + " | ".join(r) + " |" for r in rows]


def main() -> None:
    model = default_model()
    to_trad = opencc.OpenCC("s2t").convert
    out, md = {"model_hash": model.model_hash_}, ["# Theme accuracy of the shipped model", "",
                                                   "`.venv/bin/python bench/eval_themes_accuracy.py` — model "
                                                   f"`{model.model_hash_[:12]}` (`src/minetools/resources/default_model`)."]
    for name, (file, trad) in SETS.items():
        data = pd.read_csv(ROOT / "data" / "eval" / file, keep_default_na=False)
        texts = [clean_text(to_trad(t) if trad else t) for t in data["text"]]
        table, summary = evaluate_assignments(labels_frame(data["labels"], model.keys_), model.predict(texts))
        out[name] = {"summary": summary, "per_theme": table.round(4).to_dict("records")}
        md += ["", f"## {name}: macro-F1 {summary['macro_f1']:.3f}, micro-F1 {summary['micro_f1']:.3f}, "
                   f"mean kappa {summary['mean_kappa']:.3f} (n = {summary['n']})", "",
               *markdown_table(table.round(3))]
        pairs = summary["close_pair_confusions"]
        if pairs:
            md += ["", "Close-pair confusions (true → also/instead predicted): " +
                   ", ".join(f"{k} {v}" for k, v in pairs.items())]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "themes_accuracy.json").write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str),
                                                  encoding="utf-8")
    (RESULTS / "themes_accuracy.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))


if __name__ == "__main__":
    main()
