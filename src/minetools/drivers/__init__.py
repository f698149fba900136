"""Key-driver analysis: which complaint themes hurt satisfaction most.

Complaint themes co-occur, so comparing per-theme mean scores double-counts
the damage shared by themes that tend to appear together.  This module
answers "what should we fix first" with three complementary views per theme:

* **impact** – the descriptive, population-level contribution of the theme
  to the overall mean score (prevalence times the with/without gap);
* **effect** – the adjusted OLS coefficient of the theme when all themes and
  the categorical covariates (branch, channel, month, ...) are in the model,
  with heteroskedasticity-robust (HC3) confidence intervals;
* **importance** – the theme's share of the explained variance (R²), using
  the exact LMG / Shapley decomposition (Lindeman, Merenda & Gold 1980;
  equivalently Budescu's general dominance) for up to 15 themes and Johnson's
  (2000) relative weights beyond that, with bootstrap percentile intervals.

Public building blocks :func:`r_squared`, :func:`lmg` and
:func:`relative_weights` work on any numeric predictor table.

The package: ``analyze`` (:func:`analyze_drivers`), ``patterns`` (rows to
distinct patterns and their cross-product matrices), ``importance`` (R²,
LMG, relative weights), ``bootstrap`` (Poisson bootstrap per pattern),
``logistic`` (binary satisfaction) and ``compare`` (segments, periods,
handling time).  All statistics are computed on distinct row patterns with
their counts, which gives exactly the row-level estimates, so a million
complaints cost little more than a thousand.
"""

from minetools.drivers.analyze import (DRIVER_LABELS_EN, DRIVER_LABELS_ZH, LMG_MAX_THEMES, RESULT_COLUMNS,
                                       analyze_drivers)
from minetools.drivers.compare import (CHANGE_COLUMNS, SEGMENT_COLUMNS, compare_segments, decompose_change,
                                       handling_time)
from minetools.drivers.importance import lmg, r_squared, relative_weights

__all__ = [
    "analyze_drivers",
    "lmg",
    "relative_weights",
    "r_squared",
    "LMG_MAX_THEMES",
    "DRIVER_LABELS_ZH",
    "DRIVER_LABELS_EN",
    "compare_segments",
    "decompose_change",
    "handling_time",
    "RESULT_COLUMNS",
    "SEGMENT_COLUMNS",
    "CHANGE_COLUMNS",
]
