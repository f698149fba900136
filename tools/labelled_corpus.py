"""The labelled training corpus data/train/: every writer's file, with adjudicated labels applied.

Used by tools/build_default_model.py (the shipped model) and bench/eval_themes_accuracy.py
(leave-writers-out evaluation). A writer is the first three characters of a row's id (W01 …).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "data" / "train"


def load_training_corpus(folder: Path = TRAIN) -> pd.DataFrame:
    """Columns id, writer, text, labels (keys joined by |), register, script, hard, adjudicated (bool).

    Where the double coding (``double_coding.csv``) found a disagreement, the adjudicated labels
    replace the writer's own."""
    frames = [pd.read_csv(path, dtype=str, keep_default_na=False) for path in sorted(folder.glob("w[0-9][0-9].csv"))]
    df = pd.concat(frames, ignore_index=True)
    df["writer"] = df["id"].str[:3]
    df["adjudicated"] = False
    coding = folder / "double_coding.csv"
    if coding.exists():
        dc = pd.read_csv(coding, dtype=str, keep_default_na=False)
        fixed = dc[dc["agree"] == "False"].set_index("train_id")["adjudicated_labels"]
        hit = df["id"].isin(fixed.index)
        df.loc[hit, "labels"] = df.loc[hit, "id"].map(fixed)
        df.loc[hit, "adjudicated"] = True
    return df
