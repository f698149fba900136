"""Settings for a run: column mapping, user resources, seeds, output options.

Settings are read from a TOML file (``minetools run --config FILE``); every field has a
default, so a file only lists what it changes::

    # minetools.toml
    text_col = "投诉内容"
    score_col = "满意度"
    score_scale = "1-10"     # else detected: 1-5, 1-10, 0-10, 0-100, binary
    seed = 7
    user_dicts = ["my_words.txt"]   # relative to the config file
    synonym_files = ["my_synonyms.tsv"]
    dup_threshold = 0.8             # near-duplicate similarity
    chunk_rows = 200000             # rows read and cleaned at a time (memory grows with it)
    min_n = 30
    n_boot = 1000
    satisfied_threshold = 4         # scores >= 4 count as satisfied (logistic drivers)
    handling_limit_days = 2         # working days; needs received_at / closed_at columns
    segments = ["branch", "channel", "customer_type"]
    period_months = 3               # drivers_change.csv: last 3 months vs the 3 before
    font = "Source Han Sans SC"     # or a .ttf/.otf path; default: an installed CJK font
    render = false                  # tables only: no figures/ or report (draw later: minetools report)
    keep_columns = ["网点编号"]       # written unmasked (personal-data columns are pseudonymised otherwise)
    pseudonym_key = "~/.config/minetools/pseudonym.key"   # secret key of the pseudonyms; outside every run
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

__all__ = ["MinetoolsError", "Settings", "load_settings"]


class MinetoolsError(Exception):
    """An error a user can act on; the CLI prints its message without a traceback."""


#: settings that earlier versions read, and what to do instead (a config file still holding one gets this message)
RETIRED = MappingProxyType({
    "adapt_min_rows": "this setting was removed; theme_model = \"auto\" no longer refits on large inputs (refitting "
                      "scored lower on labelled complaints). Delete the line, or set theme_model = \"fit\" to fit "
                      "on the input.",
})


@dataclass
class Settings:
    """Options of one run. Paths are resolved relative to the config file that named them."""

    text_col: str | None = None
    score_col: str | None = None
    date_col: str | None = None
    sheet: str | int | None = None
    encoding: str | None = None
    score_scale: str | None = None
    taxonomy: str | None = None
    user_dicts: list[str] = field(default_factory=list)
    extra_stopwords: list[str] = field(default_factory=list)
    stopword_files: list[str] = field(default_factory=list)
    extra_synonyms: dict[str, str] = field(default_factory=dict)
    synonym_files: list[str] = field(default_factory=list)
    segment_cache: str | None = None
    dup_threshold: float = 0.8
    theme_model: str = "auto"
    labels_col: str | None = None
    seed: int = 0
    max_chars: int = 5000
    min_n: int = 30
    n_boot: int = 1000
    covariates: list[str] = field(default_factory=lambda: ["branch", "channel", "month"])
    satisfied_threshold: float | None = None
    received_col: str | None = None
    closed_col: str | None = None
    handling_limit_days: float = 2
    segments: list[str] = field(default_factory=lambda: ["branch", "channel", "customer_type"])
    period_months: int = 3
    report_lang: str = "zh"
    render: bool = True
    font: str | None = None
    keep_raw_text: bool = False
    keep_columns: list[str] = field(default_factory=list)
    pseudonym_key: str | None = None
    segmenter_backend: str = "rjieba"
    chunk_rows: int = 200_000

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def load_settings(path: str | Path | None = None, **overrides) -> Settings:
    """Settings from a TOML file (or defaults), then non-None ``overrides`` on top."""
    values: dict = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise MinetoolsError(f"Config file not found: {path}. Check the path given to --config.")
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except tomllib.TOMLDecodeError as exc:
            raise MinetoolsError(f"Config file {path} is not valid TOML: {exc}.") from None
        known = {f.name for f in dataclasses.fields(Settings)}
        retired = sorted(set(values) & set(RETIRED))
        if retired:
            raise MinetoolsError(f"Config file {path}: " + " ".join(f"{k}: {RETIRED[k]}" for k in retired))
        unknown = sorted(set(values) - known)
        if unknown:
            raise MinetoolsError(
                f"Config file {path}: unknown setting(s) {', '.join(unknown)}. "
                f"Known settings: {', '.join(sorted(known))}."
            )
        base = path.parent
        if values.get("font") and Path(values["font"]).suffix.lower() in (".ttf", ".otf", ".ttc", ".otc"):
            values["font"] = str((base / values["font"]).resolve())  # a font file, relative to this file
        for key in ("taxonomy", "segment_cache", "pseudonym_key"):
            if values.get(key):
                values[key] = str((base / Path(values[key]).expanduser()).resolve())
        for key in ("user_dicts", "stopword_files", "synonym_files"):
            if values.get(key):
                values[key] = [str((base / p).resolve()) for p in values[key]]
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)
    where = f"Config file {path}" if path is not None else "Settings"
    if not (isinstance(settings.dup_threshold, (int, float)) and 0 < settings.dup_threshold <= 1):
        raise MinetoolsError(f"{where}: dup_threshold must be a number in (0, 1], got {settings.dup_threshold!r} "
                             "(default 0.8; higher is stricter).")
    if settings.theme_model not in ("auto", "default", "fit"):
        raise MinetoolsError(f"{where}: theme_model must be auto, default or fit, got {settings.theme_model!r}.")
    if not (isinstance(settings.handling_limit_days, (int, float)) and settings.handling_limit_days > 0):
        raise MinetoolsError(f"{where}: handling_limit_days must be a positive number of working days, "
                             f"got {settings.handling_limit_days!r} (default 2).")
    if settings.report_lang not in ("zh", "en"):
        raise MinetoolsError(f"{where}: report_lang must be zh or en, got {settings.report_lang!r}.")
    if not (isinstance(settings.period_months, int) and settings.period_months >= 1):
        raise MinetoolsError(f"{where}: period_months must be a whole number of months >= 1, "
                             f"got {settings.period_months!r} (default 3).")
    if not (isinstance(settings.chunk_rows, int) and settings.chunk_rows >= 1):
        raise MinetoolsError(f"{where}: chunk_rows must be a whole number of rows >= 1, got {settings.chunk_rows!r} "
                             "(default 200000; smaller uses less memory).")
    for flag in ("render", "keep_raw_text"):
        if not isinstance(getattr(settings, flag), bool):
            raise MinetoolsError(f"{where}: {flag} must be true or false, got {getattr(settings, flag)!r}.")
    if not (isinstance(settings.keep_columns, list) and all(isinstance(c, str) for c in settings.keep_columns)):
        raise MinetoolsError(f"{where}: keep_columns must be a list of column names, got {settings.keep_columns!r}.")
    if not isinstance(settings.extra_synonyms, dict):
        raise MinetoolsError(f"{where}: extra_synonyms must be a table such as "
                             '[extra_synonyms] 营业员 = "柜员".')
    return settings
