"""Which theme model a run uses: the one given, the shipped one, or one fitted on the input.

``theme_model_choice`` is the decision ``run()`` and ``evaluate()`` take; ``choose_model`` is its
rule for ``theme_model = auto | default | fit``; ``make_segmenter`` builds the run's segmenter
from its settings.
"""

from __future__ import annotations

from pathlib import Path

from minetools.config import MinetoolsError, Settings
from minetools.segment import Segmenter
from minetools.taxonomy import load_taxonomy
from minetools.themes import ModelFileError, ThemeModel

__all__ = ["choose_model", "load_model", "make_segmenter", "theme_model_choice"]


def load_model(model) -> ThemeModel | None:
    """A fitted ThemeModel from a ``model/`` folder of a run directory (or the model itself, or None)."""
    if model is None or isinstance(model, ThemeModel):
        return model
    path = Path(model)
    if (path / "model").is_dir() and not (path / "model.json").exists():
        path = path / "model"  # a run directory was given
    if not path.exists():
        raise MinetoolsError(f"The model folder {path} does not exist. Give --model the model/ folder of a run "
                             "directory written by 'minetools run' (or the run directory).")
    try:
        return ThemeModel.load(path)
    except (ModelFileError, FileNotFoundError, TypeError, ValueError) as exc:
        raise MinetoolsError(f"Cannot use {path} as a theme model: {exc} Give --model the model/ folder of a run "
                             "directory written by 'minetools run'.") from None


def theme_model_choice(model, settings: Settings, n_analysed: int):
    """(model or None to fit, adapted, reason, source) for a run."""
    if model is not None:
        source = str(model) if isinstance(model, (str, Path)) else "model given"
        return load_model(model), False, "model given", source
    if settings.labels_col:
        return None, True, f"fitted on the human labels in column {settings.labels_col!r}", \
            "fitted on this input's human labels"
    chosen, adapted, reason = choose_model(settings, n_analysed)
    return chosen, adapted, reason, "fitted on this input" if chosen is None else "bundled default model"


def choose_model(settings: Settings, n_analysed: int) -> tuple[ThemeModel | None, bool, str]:
    """Decide between the shipped theme model and fitting one on the input.

    Returns ``(model, adapted, reason)``: ``model`` is the shipped model, or None when the
    caller should fit a new one on its input (``adapted`` True). ``settings.theme_model``:
    ``"default"`` always uses the shipped model, ``"fit"`` always fits (on the taxonomy
    rules' labels, or on ``labels_col``), ``"auto"`` uses the shipped model unchanged
    unless the run has its own taxonomy (the shipped model knows only the bundled themes).

    ``auto`` does not adapt the shipped model to a large input: refitting on the rules'
    labels of the input scored lower on complaints labelled by people than the shipped
    model alone (bench/results/themes_accuracy.md; tests/themes/test_themes_adaptation.py), so
    it is left to an explicit ``theme_model = "fit"``. The shipped model keeps the
    segmentation it was trained with; user dictionaries, stopwords and synonyms shape a
    run's tokens and word counts, not its themes.
    """
    from minetools.themes import default_model

    mode = settings.theme_model
    if mode == "fit":
        return None, True, "theme_model = fit"
    custom_taxonomy = bool(settings.taxonomy) and load_taxonomy(settings.taxonomy).hash != _shipped_taxonomy_hash()
    if custom_taxonomy and mode == "auto":
        return None, True, "custom taxonomy: the shipped model knows only the bundled themes, so one is fitted"
    model = default_model()
    if custom_taxonomy:
        raise MinetoolsError("theme_model = default cannot be used with a custom taxonomy: the shipped model "
                             "knows only the bundled themes. Use theme_model = auto or fit.")
    why = ("theme_model = default" if mode == "default" else
           f"the shipped model, trained on {model.n_train_:,} complaints labelled by people, used unchanged "
           f"({n_analysed:,} complaints analysed; refitting on the input's rule labels scored lower on labelled "
           "complaints, so auto does not adapt)")
    return model, False, why


def _shipped_taxonomy_hash() -> str:
    return load_taxonomy().hash


def make_segmenter(settings: Settings) -> Segmenter:
    """The run's Segmenter: bundled resources plus the user's dictionaries, stopwords, synonyms."""
    from minetools.segment import ResourceError

    try:
        return Segmenter(backend=settings.segmenter_backend, user_dicts=settings.user_dicts,
                         extra_stopwords=[*settings.extra_stopwords, *map(Path, settings.stopword_files)],
                         extra_synonyms=[settings.extra_synonyms, *settings.synonym_files],
                         cache_dir=settings.segment_cache)
    except ResourceError as exc:
        raise MinetoolsError(f"{exc} (files named in the config file: user_dicts, stopword_files, "
                             "synonym_files).") from None
    except FileNotFoundError as exc:
        raise MinetoolsError(f"Resource file not found: {exc.filename}. Check the paths in the config file "
                             "(they are relative to it).") from None
