"""minetools: mine Chinese customer-complaint narratives.

Read an export, clean and segment the text, assign complaint themes, measure which
themes drive satisfaction down, and write charts and a manager report::

    from minetools import run
    result = run("complaints.csv", "runs/2024-07")
    result.drivers.sort_values("impact")

Public names are imported lazily, so ``import minetools`` stays fast.
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
