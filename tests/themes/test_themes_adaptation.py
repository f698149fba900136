"""A large input processed with theme_model = auto is never scored worse on labelled complaints than the shipped model."""

import json
from pathlib import Path

import pandas as pd

from minetools.cli import main
from minetools.datasets import load_sample
from minetools.themes import default_model, evaluate_assignments, labels_frame

EVAL = Path(__file__).resolve().parents[2] / "data" / "eval"


def test_auto_on_a_large_input_scores_labelled_complaints_like_the_shipped_model(tmp_path):
    held = pd.read_csv(EVAL / "holdout_labeled.csv", dtype=str, keep_default_na=False)
    sample = load_sample().head(2200)[["id", "text", "satisfaction", "branch", "channel", "date"]]
    mixed = pd.concat([sample, held[["id", "text"]]], ignore_index=True)  # 2,500 rows: a "large" input
    src = tmp_path / "mixed.csv"
    mixed.to_csv(src, index=False)
    assert main(["run", str(src), "--out", str(tmp_path / "run"), "--quiet", "--tables-only"]) == 0
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["theme_model"]["adapted_to_input"] is False
    out = pd.read_parquet(tmp_path / "run" / "complaints.parquet").iloc[len(sample):].reset_index(drop=True)
    keep = out["status"].isin(["ok", "truncated", "duplicate"]).to_numpy()
    model = default_model()
    truth = labels_frame(held["labels"], model.keys_)[keep]
    run_pred = out.loc[keep, [f"theme_{k}" for k in model.keys_]].set_axis(model.keys_, axis=1)
    shipped = model.predict(out.loc[keep, "text_clean"].tolist()).set_axis(truth.index)
    _, with_run = evaluate_assignments(truth, run_pred.set_axis(truth.index))
    _, alone = evaluate_assignments(truth, shipped)
    assert with_run["macro_f1"] >= alone["macro_f1"] - 1e-9 and alone["macro_f1"] >= 0.88
