"""Report findings: what to fix first is the theme with the most negative net impact."""

import pandas as pd

from minetools.report import key_findings

THEMES = pd.DataFrame({"key": ["queuing", "fees", "mis_selling"], "label_zh": ["排队等候", "收费问题", "营销误导"],
                       "n": [900, 300, 60], "share": [0.30, 0.10, 0.02], "top_terms": ["排队 叫号", "年费", "保险"]})
DRIVERS = pd.DataFrame({
    "theme": ["queuing", "fees", "mis_selling"], "n": [900, 300, 60], "prevalence": [0.30, 0.10, 0.02],
    "mean_with": [3.0, 2.5, 2.0], "mean_without": [3.3, 3.2, 3.1], "impact": [-0.09, -0.07, -0.022],
    "effect": [-0.3, -0.7, -1.1], "effect_ci_low": [-0.4, -0.8, -1.4], "effect_ci_high": [-0.2, -0.6, -0.8],
    "significant": [True, True, True], "ranked": [True, True, True],
})


def test_first_finding_is_the_theme_that_lowers_satisfaction_most_overall():
    findings = key_findings(THEMES, DRIVERS)
    assert "排队等候" in findings[0]["headline"] and "0.09" in findings[0]["detail"]


def test_second_finding_is_the_most_damaging_per_complaint_even_if_rare():
    findings = key_findings(THEMES, DRIVERS)
    assert "营销误导" in findings[1]["headline"] and "1.10" in findings[1]["detail"]


def test_unranked_themes_are_not_headlined():
    drivers = DRIVERS.assign(ranked=[True, True, False])
    assert all("营销误导" not in f["headline"] for f in key_findings(THEMES, drivers))


def test_without_driver_statistics_findings_fall_back_to_frequency():
    empty = DRIVERS.assign(impact=float("nan"), effect=float("nan"))
    findings = key_findings(THEMES, empty)
    assert len(findings) == 1 and "排队等候" in findings[0]["headline"]
