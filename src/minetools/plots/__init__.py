"""Charts for managers: each ``plot_*(…, *, ax=None, lang="zh") -> Axes``; titles state the finding.

Functions take the tables the pipeline writes (``themes.csv``, ``drivers.csv``,
``drivers_segments.csv``, ``drivers_change.csv``, ``complaints.parquet``) and
never call ``plt.show()``.  Every chart

* draws its text in Chinese (``lang="zh"``, the default) or English
  (``lang="en"``; any other value raises ``ValueError``), with the font
  resolved by :func:`minetools.fonts.use_cjk_font` (it covers both, and the
  Chinese data — branch names, words — shown in an English chart);
* puts the finding computed from the data in its title, e.g.
  "排队等候最常见：31%的投诉提到（310件）" or, in English,
  "Queuing and waiting is the most common: 31% of complaints mention it (310)";
  Chinese titles wrap by character, English ones at spaces;
* draws a placeholder message (in the chart's language) instead of raising
  when there is nothing to show (no rows, one theme, all NaN).

Theme keys are shown by their labels: ``labels`` (key → label, in the chart's
language) first, then :data:`minetools.drivers.DRIVER_LABELS_ZH` (or
``DRIVER_LABELS_EN``), then the bundled taxonomy's ``label_zh`` (or ``label_en``).

Colours: red = lowers satisfaction / needs attention, blue = the opposite,
grey = not significant or not enough data; heatmaps use the colour-blind-safe
diverging map ``RdBu``.

The package: ``style`` (what every chart shares, and :func:`save_figure`),
``themes`` (shares, monthly trends, co-occurrence), ``drivers`` (driver bars,
priority matrix), ``segments`` (segment heatmap), ``clouds`` (word clouds)
and ``change`` (change waterfall, handling time).
"""

from minetools.plots.change import plot_change_waterfall, plot_handling_time
from minetools.plots.clouds import plot_theme_wordcloud
from minetools.plots.drivers import plot_drivers, plot_priority_matrix
from minetools.plots.segments import plot_segment_heatmap
from minetools.plots.style import save_figure
from minetools.plots.themes import (monthly_theme_shares, plot_cooccurrence, plot_monthly_trends, plot_theme_shares,
                                    rising_themes, theme_cooccurrence)

__all__ = [
    "plot_theme_shares",
    "plot_monthly_trends",
    "plot_drivers",
    "plot_priority_matrix",
    "plot_cooccurrence",
    "plot_segment_heatmap",
    "plot_theme_wordcloud",
    "plot_change_waterfall",
    "plot_handling_time",
    "monthly_theme_shares",
    "rising_themes",
    "theme_cooccurrence",
    "save_figure",
]
