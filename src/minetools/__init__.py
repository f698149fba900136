"""minetools: mine Chinese customer-complaint narratives.

Read an export, clean and segment the text, assign complaint themes, measure which
themes drive satisfaction down, and write charts and a manager report::

    from minetools import run
    result = run("complaints.csv", "runs/2024-07")
    result.drivers.sort_values("impact")

Public names (imported lazily, so ``import minetools`` stays fast):

* a whole run: :func:`run` (every stage on one file, writes the run directory; returns a :class:`RunResult`),
  :func:`evaluate` (themes against human labels), :func:`write_drivers` (the drivers again on a run directory),
  :data:`STAGES` and :func:`run_stages` (the stage list and its runner);
* settings and errors: :class:`Settings`, :func:`load_settings`, :class:`MinetoolsError`, :class:`InputError`;
* the stages' building blocks: :func:`read_complaints`, :func:`clean_text`, :func:`mask_pii`, :class:`Segmenter`,
  :class:`Taxonomy`, :func:`load_taxonomy`, :class:`ThemeModel`, :func:`analyze_drivers`,
  :func:`compare_segments`, :func:`decompose_change`, :func:`handling_time`, :func:`dissatisfaction_intensity`,
  :func:`proxy_satisfaction`, :func:`explain_intensity`;
* output: :func:`draw_figures`, :func:`key_findings`, :func:`write_report`, :func:`use_cjk_font`;
* sample data: :func:`make_complaints`, :func:`load_sample`.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "read_complaints": "minetools.io",
    "InputError": "minetools.io",
    "clean_text": "minetools.clean",
    "mask_pii": "minetools.clean",
    "Segmenter": "minetools.segment",
    "Taxonomy": "minetools.taxonomy",
    "load_taxonomy": "minetools.taxonomy",
    "ThemeModel": "minetools.themes",
    "analyze_drivers": "minetools.drivers",
    "compare_segments": "minetools.drivers",
    "decompose_change": "minetools.drivers",
    "handling_time": "minetools.drivers",
    "dissatisfaction_intensity": "minetools.intensity",
    "proxy_satisfaction": "minetools.intensity",
    "explain_intensity": "minetools.intensity",
    "write_drivers": "minetools.pipeline",
    "evaluate": "minetools.pipeline",
    "STAGES": "minetools.stages",
    "run_stages": "minetools.stages",
    "draw_figures": "minetools.figures",
    "key_findings": "minetools.report",
    "write_report": "minetools.report",
    "run": "minetools.pipeline",
    "RunResult": "minetools.pipeline",
    "Settings": "minetools.config",
    "load_settings": "minetools.config",
    "MinetoolsError": "minetools.config",
    "make_complaints": "minetools.datasets",
    "load_sample": "minetools.datasets",
    "use_cjk_font": "minetools.fonts",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'minetools' has no attribute {name!r}")


def __dir__():
    return __all__
