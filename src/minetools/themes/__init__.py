"""Theme engine: taxonomy rules plus a multi-label classifier, saved as data only.

``model`` holds :class:`ThemeModel` (how a score is formed is in its module docstring),
``features`` the n-gram features, ``store`` the data-only model folder, ``terms`` the words
typical of a theme, ``evaluate`` the comparison with human labels, ``discover`` the proposal
of new themes.
"""

from minetools.themes.discover import discover_themes
from minetools.themes.evaluate import CLOSE_PAIRS, audit_sample, evaluate_assignments, labels_frame
from minetools.themes.model import DEFAULT_MODEL_DIR, OTHER, PARALLEL_MIN_TEXTS, ThemeModel, default_model
from minetools.themes.store import ModelFileError
from minetools.themes.terms import top_terms

__all__ = ["ThemeModel", "default_model", "DEFAULT_MODEL_DIR", "OTHER", "PARALLEL_MIN_TEXTS", "ModelFileError",
           "top_terms", "discover_themes", "labels_frame", "evaluate_assignments", "audit_sample", "CLOSE_PAIRS"]
