"""Labels a run writes in both languages, decided once where the facts are known (not re-read from text)."""

from __future__ import annotations

__all__ = ["score_basis"]


def score_basis(scale: str | None, satisfied_threshold: float | None, *, proxy: bool) -> tuple[str, str]:
    """(English, Chinese) description of the satisfaction measure the drivers are computed on.

    ``scale``: the score scale the reader found ("1-5", "1-10", "binary" …); ``satisfied_threshold``:
    scores at or above it count as satisfied; ``proxy``: there was no score, the text-derived proxy is used.
    """
    from minetools.intensity import PROXY_LABEL_EN, PROXY_LABEL_ZH

    if proxy:
        return PROXY_LABEL_EN, PROXY_LABEL_ZH
    if satisfied_threshold is not None:
        return (f"share satisfied (score >= {satisfied_threshold:g} on the 1-5 scale); effects in percentage points",
                f"满意率（1–5分中≥{satisfied_threshold:g}分为满意），效应单位为百分点")
    if scale == "binary":
        return ("share satisfied (满意/不满意); effects in percentage points", "满意率（满意/不满意），效应单位为百分点")
    return f"survey score ({scale or '1-5'} scale, mapped to 1-5)", "满意度调查评分（已换算为1–5分）"
