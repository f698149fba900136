"""Charts: Chinese renders (no missing glyphs) in PNG and SVG; titles state the finding."""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from minetools import plots  # noqa: E402
from minetools.fonts import resolve_cjk_font, use_cjk_font  # noqa: E402

THEMES = pd.DataFrame({"key": ["queuing", "fees", "hotline"], "label_zh": ["排队等候", "收费问题", "客服热线"],
                       "n": [310, 120, 40], "share": [0.31, 0.12, 0.04]})
DRIVERS = pd.DataFrame({"theme": ["queuing", "fees", "hotline"], "effect": [-0.4, -0.9, -0.05],
                        "effect_ci_low": [-0.5, -1.1, -0.2], "effect_ci_high": [-0.3, -0.7, 0.1],
                        "significant": [True, True, False]})
LABELS = dict(zip(THEMES["key"], THEMES["label_zh"]))


def _monthly():
    rng = np.random.default_rng(0)
    months = [f"2024-{m:02d}" for m in range(1, 13) for _ in range(50)]
    df = pd.DataFrame({"month": months})
    for k in THEMES["key"]:
        df[f"theme_{k}"] = rng.random(len(df)) < 0.2
    df.loc[df["month"] == "2024-07", "theme_fees"] = rng.random((df["month"] == "2024-07").sum()) < 0.7
    return df


def test_a_cjk_font_is_found_on_any_machine():
    name, path = resolve_cjk_font()
    assert name and path


CHARTS = [
    ("theme_shares", lambda: plots.plot_theme_shares(THEMES), "排队等候最常见"),
    ("drivers", lambda: plots.plot_drivers(DRIVERS, labels=LABELS), "收费问题对满意度伤害最大"),
    ("monthly_trend", lambda: plots.plot_monthly_trend(_monthly(), keys=list(LABELS), labels=LABELS), "收费问题在2024-07激增"),
]


@pytest.mark.parametrize("name, make, finding", CHARTS)
def test_chart_renders_chinese_to_png_and_svg_without_missing_glyphs(tmp_path, name, make, finding):
    use_cjk_font()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = make()
        title = ax.get_title(loc="left")
        paths = plots.save_figure(ax, tmp_path / name)
    glyph = [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert glyph == []
    assert finding in title
    for p in paths:
        assert (tmp_path / p).stat().st_size > 5000


def test_plot_functions_draw_on_a_given_axes():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert plots.plot_theme_shares(THEMES, ax=ax) is ax
    plt.close(fig)
