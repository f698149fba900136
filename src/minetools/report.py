"""The manager report: ``report.html`` (one file, images embedded) and ``report.pdf``.

Built only from a run directory (``complaints.parquet``, ``themes.csv``, ``drivers.csv``,
``manifest.json``, ``figures/*.png`` or, in English, ``figures/en/*.png``), so it can be
re-rendered without recomputing; missing charts are drawn from the run's tables.
Example complaints come from ``text_clean``, which is masked.
"""

from __future__ import annotations

import base64
import html
import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from minetools.clean import mask_pii
from minetools.fonts import font_face_css

__all__ = ["key_findings", "write_report"]

#: Figures of the report, in reading order: (file stem in figures/, caption zh, caption en).
_FIGURES = [
    ("priority_matrix", "先改什么：发生频率 × 伤害程度", "What to fix first: frequency × damage"),
    ("drivers", "哪些问题最伤满意度（调整后效应）", "Which problems hurt satisfaction most (adjusted effects)"),
    ("theme_shares", "哪些问题最常见", "Which problems are most common"),
    ("change_waterfall", "满意度变化从何而来", "Where the change in satisfaction came from"),
    ("monthly_trends", "问题如何随时间变化", "How problems change over time"),
    ("segment_heatmap", "各网点的主要问题", "Main problems by branch"),
    ("cooccurrence", "哪些问题同时出现", "Which problems occur together"),
    ("handling_time", "办理时长与超时", "Handling time and late closures"),
]

_TEXT = {
    "zh": {
        "title": "投诉主题与满意度分析报告", "data": "数据", "rows_in": "输入 {n:,} 行，有效分析 {a:,} 件",
        "created": "生成于", "findings": "需要立即关注的三件事", "point": "要点", "charts": "图表",
        "themes": "各主题明细", "wordclouds": "各主题常见说法与示例",
        "theme_note": ("效应：控制其他主题、网点、渠道和月份后，出现该主题时满意度的变化（{unit}）；"
                       "净影响：若该主题消失，整体平均满意度的变化（负数 = 拉低满意度）。示例投诉已脱敏。"),
        "cols": ["主题", "件数/占比", "效应（95%CI）", "净影响", "常见用词", "示例投诉"],
        "methods": "方法说明", "unit": "分", "unit_pp": "个百分点",
    },
    "en": {
        "title": "Complaint themes and satisfaction report", "data": "Data",
        "rows_in": "{n:,} input rows, {a:,} complaints analysed", "created": "created",
        "findings": "Three things to act on", "point": "Finding", "charts": "Charts",
        "themes": "Themes in detail", "wordclouds": "What customers say, by theme",
        "theme_note": ("Effect: change in satisfaction when the theme is present, other themes, branch, channel and "
                       "month held fixed ({unit}); net impact: change in the overall mean satisfaction if the theme "
                       "vanished (negative = it lowers satisfaction). Example complaints are masked."),
        "cols": ["Theme", "Count / share", "Effect (95% CI)", "Net impact", "Typical words", "Example complaints"],
        "methods": "Methods", "unit": "points", "unit_pp": "percentage points",
    },
}


def _check_lang(lang: str) -> str:
    if lang not in _TEXT:
        raise ValueError(f"Report language must be one of {', '.join(_TEXT)}, got {lang!r}.")
    return lang


def _fmt(x, spec="{:.2f}", none="—"):
    return none if x is None or (isinstance(x, float) and np.isnan(x)) else spec.format(x)


def key_findings(themes: pd.DataFrame, drivers: pd.DataFrame, *, lang: str = "zh") -> list[dict]:
    """The three findings a manager must act on, most urgent first.

    Each is a dict with ``headline`` and ``detail`` (Chinese, or English with ``lang="en"``).
    Uses net impact (how much the overall mean would rise if the theme vanished) to say what
    to fix first, the adjusted effect for the most damaging theme per complaint, and frequency.
    With a binary outcome (``odds_ratio`` in ``drivers``) means are shares satisfied and
    effects percentage points.
    """
    from minetools.drivers import DRIVER_LABELS_ZH

    en = _check_lang(lang) == "en"
    label_col = "label_en" if en and "label_en" in themes else "label_zh"
    labels = ({} if en else dict(DRIVER_LABELS_ZH)) | dict(zip(themes["key"], themes[label_col]))
    binary = "odds_ratio" in drivers
    findings = []
    ranked = drivers.dropna(subset=["impact", "effect"])
    if "ranked" in ranked:
        ranked = ranked[ranked["ranked"].astype(bool)]
    if not ranked.empty:
        worst = ranked.sort_values("impact").iloc[0]
        name = labels.get(worst["theme"], worst["theme"])
        if binary:
            mw, mo, gain = f"{worst['mean_with']:.0%}", f"{worst['mean_without']:.0%}", f"{-worst['impact'] * 100:.1f}"
        else:
            mw, mo, gain = f"{worst['mean_with']:.2f}", f"{worst['mean_without']:.2f}", f"{-worst['impact']:.2f}"
        if en:
            unit = "percentage points" if binary else "points"
            findings.append({
                "headline": f'Fix "{name}" first: it lowers overall satisfaction most',
                "detail": (f"{int(worst['n']):,} complaints ({worst['prevalence']:.0%}); "
                           f"{'satisfied' if binary else 'mean satisfaction'} {mw} with it vs {mo} without. "
                           f"Removing it would raise overall satisfaction by about {gain} {unit}."),
            })
        else:
            unit = "个百分点" if binary else "分"
            findings.append({
                "headline": f"优先改进「{name}」：它拉低整体满意度最多",
                "detail": (f"涉及{int(worst['n']):,}件投诉（{worst['prevalence']:.0%}）；这类投诉的"
                           f"{'满意率' if binary else '满意度平均'}{mw}，其余{mo}。若消除此类问题，"
                           f"整体{'满意率' if binary else '平均满意度'}约可提高{gain}{unit}。"),
            })
        sig = ranked[ranked["significant"].astype(bool)] if "significant" in ranked else ranked
        hurt = (sig if not sig.empty else ranked).sort_values("effect").iloc[0]
        if hurt["theme"] != worst["theme"]:
            name = labels.get(hurt["theme"], hurt["theme"])
            lo, hi = -hurt["effect_ci_high"], -hurt["effect_ci_low"]
            if en:
                unit = "percentage points" if binary else "points"
                findings.append({
                    "headline": f'"{name}" does the most damage per complaint',
                    "detail": (f"With other themes, branch, channel and month held fixed, satisfaction is "
                               f"{-hurt['effect']:.2f} {unit} lower when it occurs (95% CI {lo:.2f} to {hi:.2f}), "
                               f"although only {hurt['prevalence']:.0%} of complaints mention it."),
                })
            else:
                unit = "个百分点" if binary else "分"
                findings.append({
                    "headline": f"「{name}」单次伤害最大",
                    "detail": (f"控制其他主题、网点、渠道和月份后，出现此问题时满意度低{-hurt['effect']:.2f}{unit}"
                               f"（95%置信区间 {lo:.2f}～{hi:.2f}{unit}），虽只占{hurt['prevalence']:.0%}。"),
                })
    findings += _most_common(themes, drivers, labels, binary=binary, en=en)
    seen, unique = set(), []
    for f in findings:
        if f["headline"] not in seen:
            seen.add(f["headline"])
            unique.append(f)
    return unique[:3]


def _most_common(themes: pd.DataFrame, drivers: pd.DataFrame, labels: dict, *, binary: bool, en: bool) -> list[dict]:
    """The finding about the most frequent taxonomy theme (none when no theme was counted)."""
    findings: list[dict] = []
    counted = themes[~themes["key"].isin(["other"]) & (themes.get("status", "taxonomy") != "proposed")]
    counted = counted.sort_values("n", ascending=False)
    if not counted.empty:
        top = counted.iloc[0]
        row = drivers.loc[drivers["theme"] == top["key"]]
        effect = row["effect"].iloc[0] if len(row) else np.nan
        name = labels.get(top["key"], top["key"])
        if en:
            unit = "percentage points" if binary else "points"
            tail = f"; satisfaction is {-effect:.2f} {unit} lower when it occurs" if pd.notna(effect) and effect < 0 else ""
            findings.append({
                "headline": f'The most common problem is "{name}"',
                "detail": f"{top['share']:.0%} of analysed complaints mention it ({int(top['n']):,}){tail}. "
                          f"Typical words: {top['top_terms'] or '—'}.",
            })
        else:
            unit = "个百分点" if binary else "分"
            tail = f"，出现时满意度低{-effect:.2f}{unit}" if pd.notna(effect) and effect < 0 else ""
            findings.append({
                "headline": f"最常见的问题是「{name}」",
                "detail": f"{top['share']:.0%}的有效投诉提到它（{int(top['n']):,}件）{tail}。常见说法：{top['top_terms'] or '—'}。",
            })
    return findings


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


_CSS = """
body{font-family:"minetools-cjk","Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
max-width:1060px;margin:24px auto;padding:0 20px;color:#222;line-height:1.55}
h1{font-size:26px;margin-bottom:4px} h2{border-bottom:2px solid #2e6da4;padding-bottom:4px;margin-top:36px}
.meta{color:#666;font-size:13px}
.findings{display:grid;grid-template-columns:repeat(3,1fr);gap:14px;margin:18px 0}
.finding{background:#fdf3f2;border-left:5px solid #c0392b;padding:12px 14px;border-radius:4px}
.finding h3{margin:0 0 6px;font-size:17px} .finding p{margin:0;font-size:14px}
.finding .n{color:#c0392b;font-weight:bold;font-size:13px}
figure{margin:18px 0} figure img{max-width:100%;border:1px solid #eee}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{border:1px solid #ddd;padding:6px;vertical-align:top}
th{background:#f3f6fa;text-align:left} td.num{text-align:right;white-space:nowrap}
.ex{color:#444;font-size:12.5px;margin:2px 0} .warn{color:#a15c00}
"""


def _theme_rows(themes, drivers, complaints, lang) -> str:
    text_by_id = dict(zip(complaints["record_id"].astype(int), complaints["text_clean"].fillna("")))
    if "status" in themes:
        themes = themes[themes["status"] != "proposed"]
    merged = themes.merge(drivers, left_on="key", right_on="theme", how="left", suffixes=("", "_d"))
    if "impact" in merged:
        merged = merged.sort_values("impact", na_position="last")
    label_col = "label_en" if lang == "en" and "label_en" in merged else "label_zh"
    rows = []
    for _, r in merged.iterrows():
        ids = [int(i) for i in str(r.get("example_ids") or "").split("|") if i.strip().isdigit()][:3]
        examples = "".join(
            f'<p class="ex">“{html.escape(textwrap.shorten(mask_pii(text_by_id.get(i, "")), 120, placeholder="…"))}”</p>'
            for i in ids)
        ci = (f"{_fmt(r.get('effect_ci_low'))} ～ {_fmt(r.get('effect_ci_high'))}"
              if pd.notna(r.get("effect")) else "—")
        rows.append(
            f"<tr><td><b>{html.escape(str(r[label_col]))}</b><br><span class='meta'>{html.escape(str(r['key']))}</span></td>"
            f"<td class='num'>{int(r['n']):,}<br>{r['share']:.0%}</td>"
            f"<td class='num'>{_fmt(r.get('effect'))}<br><span class='meta'>{ci}</span></td>"
            f"<td class='num'>{_fmt(r.get('impact'), '{:+.3f}')}</td>"
            f"<td>{html.escape(str(r.get('top_terms') or ''))}</td><td>{examples}</td></tr>")
    return "\n".join(rows)


def _proposed_section(themes, complaints, lang) -> str:
    """Topics found among complaints no taxonomy theme fits: candidates to add to the taxonomy."""
    if "status" not in themes or not (themes["status"] == "proposed").any():
        return ""
    text_by_id = dict(zip(complaints["record_id"].astype(int), complaints["text_clean"].fillna("")))
    items = []
    for _, r in themes[themes["status"] == "proposed"].iterrows():
        ids = [int(i) for i in str(r["example_ids"]).split("|") if i.strip().isdigit()][:2]
        examples = "".join(
            f'<p class="ex">“{html.escape(textwrap.shorten(mask_pii(text_by_id.get(i, "")), 100, placeholder="…"))}”</p>'
            for i in ids)
        items.append(f"<tr><td><b>{html.escape(str(r['top_terms']).split()[0] if r['top_terms'] else r['key'])}…</b>"
                     f"<br><span class='meta'>{html.escape(str(r['key']))}</span></td><td class='num'>{int(r['n']):,}</td>"
                     f"<td>{html.escape(str(r['top_terms']))}</td><td>{examples}</td></tr>")
    if lang == "en":
        head = ("<h2>Topics outside the taxonomy (candidate new themes)</h2><p class='meta'>These complaints fit no "
                "existing theme; the theme model found the topics below among them. Add one to taxonomy.yml to "
                "track it.</p><table><tr><th>Topic</th><th>Count</th><th>Key words</th><th>Examples</th></tr>")
    else:
        head = ("<h2>分类体系之外的话题（建议新增主题）</h2><p class='meta'>这些投诉未归入任何现有主题；"
                "以下话题由主题模型从中自动发现，供评估是否加入分类体系（编辑 taxonomy.yml）。</p>"
                "<table><tr><th>话题</th><th>件数</th><th>关键词</th><th>示例投诉</th></tr>")
    return head + "".join(items) + "</table>"


def _methods(manifest, lang) -> list[str]:
    """The methods appendix, one line per item: N, R², minimum n, CI methods, model hash, accounting."""
    rows = manifest.get("rows", {})
    drv = manifest.get("drivers", {})
    hashes = manifest.get("hashes", {})
    accounting = ", ".join(f"{k} {rows.get(k, 0):,}" for k in ("ok", "truncated", "duplicate", "empty", "invalid"))
    pii = ", ".join(f"{k} {v}" for k, v in manifest.get("pii_masked", {}).items() if v)
    binary = drv.get("outcome") == "binary"
    model = manifest.get("theme_model", {})
    n_boot = drv.get("n_boot_used", drv.get("n_boot")) or 0
    mc = drv.get("bootstrap_mc_error")
    if lang == "en":
        effect = ("logistic regression; effect = average marginal effect in percentage points, odds ratios with "
                  "robust (HC0) 95% CIs; importance = general dominance on McFadden's pseudo-R²" if binary else
                  "OLS coefficient with HC3-robust 95% CI; importance = share of R² by "
                  f"{'exact LMG/Shapley' if drv.get('method') == 'lmg' else 'Johnson relative weights'}, "
                  + (f"{drv.get('bootstrap') or ''} bootstrap percentile 95% interval ({n_boot:,} replicates"
                     + (f"; Monte-Carlo error of its ends at most {mc:.4f}" if mc is not None else "") + ")"
                     if n_boot else "no bootstrap interval"))
        return [
            f"Rows: {rows.get('input', 0):,} input = {accounting} (a duplicate complaint counts once).",
            f"Satisfaction measure: {drv.get('score_basis', '—')}.",
            f"Driver model: N = {drv.get('n', 0):,}, R² = {_fmt(drv.get('r2'), '{:.3f}')} "
            f"(covariates alone {_fmt(drv.get('r2_covariates'), '{:.3f}')}; covariates "
            f"{', '.join(drv.get('covariates') or []) or 'none'}); {effect}.",
            f"Themes with fewer than {drv.get('min_n', '—')} complaints are reported, not ranked; "
            "segment cells below it are masked.",
            f"Themes: taxonomy rules plus a text classifier ({model.get('source', '—')}); model hash "
            f"{str(hashes.get('model', ''))[:12]}, taxonomy hash {str(hashes.get('taxonomy', ''))[:12]}.",
            f"Privacy: masked {pii or 'nothing'}; the report contains no unmasked text.",
        ]
    effect = ("逻辑回归；效应为平均边际效应（百分点），比值比附稳健（HC0）95%置信区间；重要性为基于McFadden伪R²的一般优势分析"
              if binary else
              f"OLS系数（HC3稳健95%置信区间）；重要性为R²分解（{'精确LMG/Shapley' if drv.get('method') == 'lmg' else 'Johnson相对权重'}），"
              + (f"bootstrap（{drv.get('bootstrap') or ''}）{n_boot:,}次百分位95%区间"
                 + (f"（区间端点的蒙特卡洛误差不超过{mc:.4f}）" if mc is not None else "") if n_boot else "未计算bootstrap区间"))
    return [
        f"行数核对：输入 {rows.get('input', 0):,} 行 = {accounting}（重复投诉只计一次）。",
        f"满意度口径：{drv.get('score_basis_zh') or _basis_zh(drv.get('score_basis'))}。",
        f"驱动分析：N = {drv.get('n', 0):,}，R² = {_fmt(drv.get('r2'), '{:.3f}')}（仅控制变量 "
        f"{_fmt(drv.get('r2_covariates'), '{:.3f}')}；控制变量：{'、'.join(drv.get('covariates') or []) or '无'}）；{effect}。",
        f"样本量少于 {drv.get('min_n', '—')} 的主题仅报告、不排名；分网点等细分中低于该数的单元格已隐藏。",
        f"主题：分类体系规则与文本分类模型多标签判定（{model.get('source', '—')}）；模型哈希 "
        f"{str(hashes.get('model', ''))[:12]}，分类体系哈希 {str(hashes.get('taxonomy', ''))[:12]}。",
        f"隐私：已脱敏 {pii or '无'}；报告中不含未脱敏文本。",
    ]


def _basis_zh(basis) -> str:
    """The Chinese measure of a run written before the manifest kept ``score_basis_zh``."""
    from minetools.intensity import PROXY_LABEL_EN
    from minetools.labels import score_basis

    if basis == PROXY_LABEL_EN:
        return score_basis(None, None, proxy=True)[1]
    if basis and basis.startswith("survey score"):
        return score_basis("1-5", None, proxy=False)[1]
    if basis and basis.startswith("share satisfied"):
        return "满意率（" + basis.split("(", 1)[1].split(")", 1)[0] + "），效应单位为百分点"
    return basis or "—"


def _wordcloud_figures(fig_dir: Path) -> list[Path]:
    return sorted(fig_dir.glob("wordcloud_*.png"))


def _render_html(run_dir: Path, fig_dir: Path, complaints, themes, drivers, manifest, lang="zh") -> str:
    t = _TEXT[lang]
    findings = key_findings(themes, drivers, lang=lang)
    rows = manifest.get("rows", {})
    binary = manifest.get("drivers", {}).get("outcome") == "binary"
    cards = "".join(
        f'<div class="finding"><span class="n">{t["point"]} {i}</span><h3>{html.escape(f["headline"])}</h3>'
        f'<p>{html.escape(f["detail"])}</p></div>' for i, f in enumerate(findings, 1))
    seen, figures = set(), []
    for name, zh, en in _FIGURES:
        path = fig_dir / f"{name}.png"
        caption = en if lang == "en" else zh
        if path.exists() and caption not in seen:
            seen.add(caption)
            figures.append(f"<figure>{_img(path)}<figcaption class='meta'>{html.escape(caption)}</figcaption></figure>")
    clouds = "".join(f"<figure>{_img(p)}</figure>" for p in _wordcloud_figures(fig_dir))
    warnings = "".join(f"<li class='warn'>{html.escape(w)}</li>" for w in manifest.get("warnings", []))
    methods = "".join(f"<li>{html.escape(line)}</li>" for line in _methods(manifest, lang))
    n_analysed = rows.get("ok", 0) + rows.get("truncated", 0)
    head = "".join(f"<th>{c}</th>" for c in t["cols"])
    return f"""<!DOCTYPE html>
<html lang="{'en' if lang == 'en' else 'zh-CN'}"><head><meta charset="utf-8"><title>{t['title']}</title>
<style>{_CSS}</style></head><body>
<h1>{t['title']}</h1>
<p class="meta">{t['data']}: {html.escape(Path(manifest.get('input', {}).get('path', '')).name)} ·
{t['rows_in'].format(n=rows.get('input', 0), a=n_analysed)} · {t['created']} {html.escape(manifest.get('created', ''))}</p>
<h2>{t['findings']}</h2>
<div class="findings">{cards}</div>
<h2>{t['charts']}</h2>
{''.join(figures)}
<h2>{t['themes']}</h2>
<p class="meta">{t['theme_note'].format(unit=t['unit_pp'] if binary else t['unit'])}</p>
<table><tr>{head}</tr>
{_theme_rows(themes, drivers, complaints, lang)}</table>
{f"<h2>{t['wordclouds']}</h2>{clouds}" if clouds else ""}
{_proposed_section(themes, complaints, lang)}
<h2>{t['methods']}</h2>
<ul class="meta">{methods}{warnings}</ul></body></html>"""


def _pixels(png: Path):
    """A chart's PNG as 8-bit RGB pixels at most 1,754 pixels long (an A4 page at 150 dpi), placed in the
    PDF as they are (``interpolation="none"``): not converted to floats and resampled by matplotlib,
    which took most of the PDF's time."""
    import numpy as np
    from PIL import Image

    with Image.open(png) as image:
        image = image.convert("RGB")
        image.thumbnail((1754, 1754), Image.Resampling.LANCZOS)
        return np.asarray(image)


def _write_pdf(run_dir: Path, fig_dir: Path, themes, drivers, manifest, lang="zh") -> None:
    """report.pdf with the same content as the HTML: findings, every chart, methods."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from minetools.fonts import use_cjk_font

    use_cjk_font()
    t = _TEXT[lang]
    findings = key_findings(themes, drivers, lang=lang)
    width = 80 if lang == "en" else 38
    with PdfPages(run_dir / "report.pdf") as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.08, 0.94, t["title"], fontsize=20, weight="bold")
        rows = manifest.get("rows", {})
        fig.text(0.08, 0.91, t["rows_in"].format(n=rows.get("input", 0), a=rows.get("ok", 0) + rows.get("truncated", 0)),
                 fontsize=10, color="#555")
        y = 0.85
        for i, f in enumerate(findings, 1):
            fig.text(0.08, y, f"{t['point']} {i}: {f['headline']}", fontsize=13, weight="bold", color="#c0392b")
            body = "\n".join(textwrap.wrap(f["detail"], width))
            fig.text(0.08, y - 0.015, body, fontsize=10.5, va="top")
            y -= 0.05 + 0.02 * body.count("\n") + 0.03
        first = fig_dir / "priority_matrix.png"
        first = first if first.exists() else fig_dir / "drivers.png"
        if first.exists():
            ax = fig.add_axes([0.06, 0.04, 0.88, max(0.1, y - 0.08)])
            ax.imshow(_pixels(first), interpolation="none")
            ax.set_axis_off()
        pdf.savefig(fig)
        plt.close(fig)
        seen = set()
        pages = [(fig_dir / f"{name}.png", en if lang == "en" else zh) for name, zh, en in _FIGURES]
        pages += [(p, t["wordclouds"]) for p in _wordcloud_figures(fig_dir)]
        for png, caption in pages:
            if not png.exists() or (caption in seen and "wordcloud" not in png.name):
                continue
            seen.add(caption)
            fig = plt.figure(figsize=(11.69, 8.27))
            fig.text(0.05, 0.95, caption, fontsize=16, weight="bold")
            ax = fig.add_axes([0.04, 0.03, 0.92, 0.88])
            ax.imshow(_pixels(png), interpolation="none")
            ax.set_axis_off()
            pdf.savefig(fig)
            plt.close(fig)
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.08, 0.94, t["methods"], fontsize=16, weight="bold")
        lines = [w for line in _methods(manifest, lang) + manifest.get("warnings", [])
                 for w in textwrap.wrap("• " + line, width + 20)]
        fig.text(0.08, 0.90, "\n".join(lines), fontsize=9, va="top", color="#333")
        pdf.savefig(fig)
        plt.close(fig)


def write_report(run_dir, *, lang: str = "zh", redraw: bool | None = None) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.pdf`` into ``run_dir`` from the files already there.

    ``lang`` is ``"zh"`` (default) or ``"en"``: the headings, findings, theme labels,
    methods **and charts** are in that language. Charts come from ``figures/`` (zh)
    or ``figures/en/`` (en); they are drawn from the run's tables first when that
    folder has none (``redraw=None``), always (``redraw=True``, e.g. after editing
    a table by hand) or never (``False``). Nothing is recomputed.
    """
    from minetools import rundir
    from minetools.figures import draw_figures, figures_dir, owned_charts

    _check_lang(lang)
    run_dir = Path(run_dir)
    fig_dir = figures_dir(run_dir, lang)
    if redraw or (redraw is None and not owned_charts(run_dir, lang)):
        draw_figures(run_dir, lang=lang)
    complaints = pd.read_parquet(run_dir / "complaints.parquet", columns=["record_id", "text_clean"])
    themes = pd.read_csv(run_dir / "themes.csv", encoding="utf-8-sig", keep_default_na=False,
                         dtype={"top_terms": str, "example_ids": str})
    drivers = pd.read_csv(run_dir / "drivers.csv", encoding="utf-8-sig")
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    html_path = run_dir / "report.html"
    page = _render_html(run_dir, fig_dir, complaints, themes, drivers, manifest, lang)
    page = page.replace("<style>", "<style>" + font_face_css(page), 1)  # Chinese shows without system fonts
    html_path.write_text(page, encoding="utf-8")
    _write_pdf(run_dir, fig_dir, themes, drivers, manifest, lang)
    rundir.record_files(run_dir, added=[html_path.resolve(), (run_dir / "report.pdf").resolve()])
    return html_path, run_dir / "report.pdf"
