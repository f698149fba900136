"""Rebuild the theme model that ships with the package (``make default-model``).

    .venv/bin/python tools/build_default_model.py

Fits ``ThemeModel`` (bundled taxonomy, bundled segmentation resources, seed 0) on the
analysed rows of the bundled sample corpus ``data/sample/complaints.csv``, cleaned exactly
as a run cleans its input, and writes it to ``src/minetools/resources/default_model/``.
Rebuild whenever the taxonomy or the segmentation resources change:
``tests/test_default_model.py`` fails while the shipped model is stale.
"""

from __future__ import annotations

import time
from pathlib import Path

from minetools import io
from minetools.config import Settings
from minetools.clean.table import ANALYSED, prepare
from minetools.pipeline import make_segmenter
from minetools.taxonomy import load_taxonomy
from minetools.themes import DEFAULT_MODEL_DIR, ThemeModel

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "complaints.csv"


def main() -> None:
    t = time.perf_counter()
    settings = Settings()
    raw = io.read_complaints(SAMPLE)
    df, _, _ = prepare(raw, settings)
    rows = df["status"].isin(ANALYSED)
    texts = df.loc[rows, "text_clean"].fillna("").str.slice(0, settings.max_chars).tolist()
    model = ThemeModel(load_taxonomy(), segmenter=make_segmenter(settings), random_state=0).fit(texts)
    model.save(DEFAULT_MODEL_DIR)
    print(f"fitted on {len(texts):,} sample complaints in {time.perf_counter() - t:.1f} s; "
          f"model hash {model.model_hash_[:12]} → {DEFAULT_MODEL_DIR}")


if __name__ == "__main__":
    main()
