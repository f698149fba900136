"""Labels written in both languages from the facts, not translated back from English text."""

import pytest

from minetools.intensity import PROXY_LABEL_EN, PROXY_LABEL_ZH
from minetools.labels import score_basis


@pytest.mark.parametrize("scale, satisfied, proxy, en, zh", [
    ("1-5", None, False, "survey score (1-5 scale, mapped to 1-5)", "满意度调查评分（已换算为1–5分）"),
    ("1-10", 4, False, "share satisfied (score >= 4 on the 1-5 scale); effects in percentage points",
     "满意率（1–5分中≥4分为满意），效应单位为百分点"),
    ("binary", None, False, "share satisfied (满意/不满意); effects in percentage points", "满意率（满意/不满意），效应单位为百分点"),
    (None, None, True, PROXY_LABEL_EN, PROXY_LABEL_ZH),
])
def test_score_basis_in_both_languages(scale, satisfied, proxy, en, zh):
    assert score_basis(scale, satisfied, proxy=proxy) == (en, zh)
