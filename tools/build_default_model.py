"""Rebuild the theme model that ships with the package (``make default-model``).

    .venv/bin/python tools/build_default_model.py

Fits ``ThemeModel`` on the labelled training corpus ``data/train/`` (complaints written and
labelled by independent writers; adjudicated labels where the double coding disagreed),
cleaned exactly as a run cleans its input, with the bundled taxonomy and segmentation
resources. The settings are the ones leave-writers-out cross-validation chose
(bench/eval_themes_accuracy.py, bench/results/themes_accuracy.md): calibrated scores, a
threshold where the class-balanced classifier gives 0.5, no rule floor; out-of-fold
probabilities leave whole writers out. The result goes to
``src/minetools/resources/default_model/``; rebuild whenever the corpus, the taxonomy or the
segmentation resources change (``tests/themes/test_default_model.py`` fails while it is stale).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from minetools.clean import clean_text  # noqa: E402
from minetools.config import Settings  # noqa: E402
from minetools.pipeline import make_segmenter  # noqa: E402
from minetools.taxonomy import load_taxonomy  # noqa: E402
from minetools.themes import DEFAULT_MODEL_DIR, ThemeModel, labels_frame  # noqa: E402
from tools.labelled_corpus import load_training_corpus  # noqa: E402

#: chosen by leave-writers-out cross-validation (bench/eval_themes_accuracy.py)
SHIPPED = {"C": 8.0, "calibrate": True, "decision": "balanced", "rule_score": 0.0, "mask_excludes": True,
           "n_folds": 12, "random_state": 0}


def build(corpus=None, **overrides) -> ThemeModel:
    """The shipped model's recipe on ``corpus`` (default: all of data/train/)."""
    corpus = load_training_corpus() if corpus is None else corpus
    taxonomy = load_taxonomy()
    texts = [clean_text(t)[:Settings().max_chars] for t in corpus["text"]]
    labels = labels_frame(corpus["labels"], taxonomy.keys)
    model = ThemeModel(taxonomy, segmenter=make_segmenter(Settings()), **{**SHIPPED, **overrides})
    return model.fit(texts, labels, groups=corpus["writer"].to_numpy())


def main() -> None:
    t = time.perf_counter()
    corpus = load_training_corpus()
    model = build(corpus)
    model.save(DEFAULT_MODEL_DIR)
    print(f"fitted on {len(corpus):,} labelled complaints by {corpus['writer'].nunique()} writers in "
          f"{time.perf_counter() - t:.1f} s; model hash {model.model_hash_[:12]} → {DEFAULT_MODEL_DIR}")


if __name__ == "__main__":
    main()
