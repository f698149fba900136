"""The manager report: ``report.html`` (one file, images embedded) and ``report.pdf``.

Built only from a run directory (``complaints.parquet``, ``themes.csv``, ``drivers.csv``,
``manifest.json``, ``figures/*.png``), so it can be re-rendered without recomputing.
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

from minetools.fonts import font_face_css

__all__ = ["key_findings", "write_report"]

_FIGURES = [
    ("theme_shares", "哪些问题最常见"),
    ("drivers", "哪些问题最伤满意度"),
    ("monthly_trend", "问题如何随时间变化"),
]


def _fmt(x, spec="{:.2f}", none="—"):
    return none if x is None or (isinstance(x, float) and np.isnan(x)) else spec.format(x)


def key_findings(themes: pd.DataFrame, drivers: pd.DataFrame) -> list[dict]:
    """The three findings a manager must act on, most urgent first.

    Each is a dict with ``headline`` and ``detail`` (Chinese). Uses net impact
    (how much the overall mean would rise if the theme vanished) to say what to fix first.
    """
    from minetools.drivers import DRIVER_LABELS_ZH

    labels = {**DRIVER_LABELS_ZH, **dict(zip(themes["key"], themes["label_zh"]))}
    findings = []
    ranked = drivers.dropna(subset=["impact", "effect"])
    if "ranked" in ranked:
        ranked = ranked[ranked["ranked"].astype(bool)]
    if not ranked.empty:
        worst = ranked.sort_values("impact").iloc[0]
        findings.append({
            "headline": f"优先改进「{labels.get(worst['theme'], worst['theme'])}」：它拉低整体满意度最多",
            "detail": (f"涉及{int(worst['n']):,}件投诉（{worst['prevalence']:.0%}）；这类投诉的满意度平均"
                       f"{worst['mean_with']:.2f}分，其余{worst['mean_without']:.2f}分。若消除此类问题，"
                       f"整体平均满意度约可提高{-worst['impact']:.2f}分。"),
        })
        sig = ranked[ranked["significant"].astype(bool)] if "significant" in ranked else ranked
        hurt = (sig if not sig.empty else ranked).sort_values("effect").iloc[0]
        if hurt["theme"] != worst["theme"]:
            findings.append({
                "headline": f"「{labels.get(hurt['theme'], hurt['theme'])}」单次伤害最大",
                "detail": (f"控制其他主题、网点、渠道和月份后，出现此问题时满意度低{-hurt['effect']:.2f}分"
                           f"（95%置信区间 {-hurt['effect_ci_high']:.2f}～{-hurt['effect_ci_low']:.2f}分），"
                           f"虽只占{hurt['prevalence']:.0%}。"),
            })
    counted = themes[~themes["key"].isin(["other"]) & (themes.get("status", "taxonomy") != "proposed")]
    counted = counted.sort_values("n", ascending=False)
    if not counted.empty:
        top = counted.iloc[0]
        row = drivers.loc[drivers["theme"] == top["key"]]
        effect = row["effect"].iloc[0] if len(row) else np.nan
        tail = (f"，出现时满意度低{-effect:.2f}分" if pd.notna(effect) and effect < 0 else "")
        findings.append({
            "headline": f"最常见的问题是「{top['label_zh']}」",
            "detail": f"{top['share']:.0%}的有效投诉提到它（{int(top['n']):,}件）{tail}。常见说法：{top['top_terms'] or '—'}。",
        })
    seen, unique = set(), []
    for f in findings:
        if f["headline"] not in seen:
            seen.add(f["headline"])
            unique.append(f)
    return unique[:3]


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


def _theme_rows(themes, drivers, complaints) -> str:
    text_by_id = dict(zip(complaints["record_id"].astype(int), complaints["text_clean"].fillna("")))
    if "status" in themes:
        themes = themes[themes["status"] != "proposed"]
    merged = themes.merge(drivers, left_on="key", right_on="theme", how="left", suffixes=("", "_d"))
    if "impact" in merged:
        merged = merged.sort_values("impact", na_position="last")
    rows = []
    for _, r in merged.iterrows():
        ids = [int(i) for i in str(r.get("example_ids") or "").split("|") if i.strip().isdigit()][:3]
        examples = "".join(
            f'<p class="ex">“{html.escape(textwrap.shorten(text_by_id.get(i, ""), 120, placeholder="…"))}”</p>'
            for i in ids)
        ci = (f"{_fmt(r.get('effect_ci_low'))} ～ {_fmt(r.get('effect_ci_high'))}"
              if pd.notna(r.get("effect")) else "—")
        rows.append(
            f"<tr><td><b>{html.escape(str(r['label_zh']))}</b><br><span class='meta'>{html.escape(str(r['key']))}</span></td>"
            f"<td class='num'>{int(r['n']):,}<br>{r['share']:.0%}</td>"
            f"<td class='num'>{_fmt(r.get('effect'))}<br><span class='meta'>{ci}</span></td>"
            f"<td class='num'>{_fmt(r.get('impact'), '{:+.3f}')}</td>"
            f"<td>{html.escape(str(r.get('top_terms') or ''))}</td><td>{examples}</td></tr>")
    return "\n".join(rows)


def _proposed_section(themes, complaints) -> str:
    """Topics found among complaints no taxonomy theme fits: candidates to add to the taxonomy."""
    if "status" not in themes or not (themes["status"] == "proposed").any():
        return ""
    text_by_id = dict(zip(complaints["record_id"].astype(int), complaints["text_clean"].fillna("")))
    items = []
    for _, r in themes[themes["status"] == "proposed"].iterrows():
        ids = [int(i) for i in str(r["example_ids"]).split("|") if i.strip().isdigit()][:2]
        examples = "".join(f'<p class="ex">“{html.escape(textwrap.shorten(text_by_id.get(i, ""), 100, placeholder="…"))}”</p>'
                           for i in ids)
        items.append(f"<tr><td><b>{html.escape(str(r['top_terms']).split()[0] if r['top_terms'] else r['key'])}…</b>"
                     f"<br><span class='meta'>{html.escape(str(r['key']))}</span></td><td class='num'>{int(r['n']):,}</td>"
                     f"<td>{html.escape(str(r['top_terms']))}</td><td>{examples}</td></tr>")
    return ("<h2>分类体系之外的话题（建议新增主题）</h2><p class='meta'>这些投诉未归入任何现有主题；"
            "以下话题由主题模型从中自动发现，供评估是否加入分类体系（编辑 taxonomy.yml）。</p>"
            "<table><tr><th>话题</th><th>件数</th><th>关键词</th><th>示例投诉</th></tr>" + "".join(items) + "</table>")


def _render_html(run_dir: Path, complaints, themes, drivers, manifest) -> str:
    findings = key_findings(themes, drivers)
    rows = manifest.get("rows", {})
    drv = manifest.get("drivers", {})
    cards = "".join(
        f'<div class="finding"><span class="n">要点 {i}</span><h3>{html.escape(f["headline"])}</h3>'
        f'<p>{html.escape(f["detail"])}</p></div>' for i, f in enumerate(findings, 1))
    figures = "".join(
        f"<figure>{_img(run_dir / 'figures' / f'{name}.png')}<figcaption class='meta'>{caption}</figcaption></figure>"
        for name, caption in _FIGURES if (run_dir / "figures" / f"{name}.png").exists())
    accounting = "，".join(f"{k} {rows.get(k, 0):,}" for k in ("ok", "truncated", "duplicate", "empty", "invalid"))
    pii = "，".join(f"{k} {v}" for k, v in manifest.get("pii_masked", {}).items() if v)
    warnings = "".join(f"<li class='warn'>{html.escape(w)}</li>" for w in manifest.get("warnings", []))
    n_analysed = rows.get("ok", 0) + rows.get("truncated", 0)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>投诉主题与满意度分析报告</title>
<style>{_CSS}</style></head><body>
<h1>投诉主题与满意度分析报告</h1>
<p class="meta">数据：{html.escape(Path(manifest.get('input', {}).get('path', '')).name)} ·
输入 {rows.get('input', 0):,} 行，有效分析 {n_analysed:,} 件 · 生成于 {html.escape(manifest.get('created', ''))}</p>
<h2>需要立即关注的三件事</h2>
<div class="findings">{cards}</div>
<h2>图表</h2>
{figures}
<h2>各主题明细</h2>
<p class="meta">效应：控制其他主题、网点、渠道和月份后，出现该主题时满意度的变化（分）；
净影响：若该主题消失，整体平均满意度的变化（负数 = 拉低满意度）。示例投诉已脱敏。</p>
<table><tr><th>主题</th><th>件数/占比</th><th>效应（95%CI）</th><th>净影响</th><th>常见用词</th><th>示例投诉</th></tr>
{_theme_rows(themes, drivers, complaints)}</table>
{_proposed_section(themes, complaints)}
<h2>方法说明</h2>
<ul class="meta">
<li>行数核对：输入 {rows.get('input', 0):,} 行 = {accounting}（重复投诉只计一次）。</li>
<li>主题：按分类体系规则与文本分类模型多标签判定；模型哈希 {html.escape(str(manifest.get('hashes', {}).get('model', ''))[:12])}，
分类体系哈希 {html.escape(str(manifest.get('hashes', {}).get('taxonomy', ''))[:12])}。</li>
<li>驱动分析：N = {drv.get('n', 0):,}，R² = {_fmt(drv.get('r2'), '{:.3f}')}，方法 {html.escape(str(drv.get('method')))}；
效应为OLS系数（HC3稳健95%置信区间），重要性为R²分解（bootstrap {drv.get('n_boot', '—')} 次百分位区间）；
样本量少于 {drv.get('min_n', '—')} 的主题仅报告、不排名。</li>
<li>隐私：已脱敏 {pii or '无'}；报告中不含原始文本。</li>
{warnings}
</ul></body></html>"""


def _write_pdf(run_dir: Path, themes, drivers, manifest) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from minetools.fonts import use_cjk_font

    use_cjk_font()
    findings = key_findings(themes, drivers)
    with PdfPages(run_dir / "report.pdf") as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.08, 0.94, "投诉主题与满意度分析报告", fontsize=20, weight="bold")
        rows = manifest.get("rows", {})
        fig.text(0.08, 0.91, f"输入 {rows.get('input', 0):,} 行；有效分析 {rows.get('ok', 0) + rows.get('truncated', 0):,} 件",
                 fontsize=10, color="#555")
        y = 0.85
        for i, f in enumerate(findings, 1):
            fig.text(0.08, y, f"要点{i}：{f['headline']}", fontsize=13, weight="bold", color="#c0392b")
            body = "\n".join(textwrap.wrap(f["detail"], 38))
            fig.text(0.08, y - 0.015, body, fontsize=10.5, va="top")
            y -= 0.05 + 0.02 * body.count("\n") + 0.03
        shares = run_dir / "figures" / "drivers.png"
        if shares.exists():
            ax = fig.add_axes([0.06, 0.04, 0.88, max(0.1, y - 0.08)])
            ax.imshow(plt.imread(shares))
            ax.set_axis_off()
        pdf.savefig(fig)
        plt.close(fig)
        for name, caption in _FIGURES:
            png = run_dir / "figures" / f"{name}.png"
            if not png.exists():
                continue
            fig = plt.figure(figsize=(11.69, 8.27))
            fig.text(0.05, 0.95, caption, fontsize=16, weight="bold")
            ax = fig.add_axes([0.04, 0.03, 0.92, 0.88])
            ax.imshow(plt.imread(png))
            ax.set_axis_off()
            pdf.savefig(fig)
            plt.close(fig)


def write_report(run_dir) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.pdf`` into ``run_dir`` from the files already there."""
    run_dir = Path(run_dir)
    complaints = pd.read_parquet(run_dir / "complaints.parquet", columns=["record_id", "text_clean"])
    themes = pd.read_csv(run_dir / "themes.csv", encoding="utf-8-sig", keep_default_na=False,
                         dtype={"top_terms": str, "example_ids": str})
    drivers = pd.read_csv(run_dir / "drivers.csv", encoding="utf-8-sig")
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    html_path = run_dir / "report.html"
    page = _render_html(run_dir, complaints, themes, drivers, manifest)
    page = page.replace("<style>", "<style>" + font_face_css(page), 1)  # Chinese shows without system fonts
    html_path.write_text(page, encoding="utf-8")
    _write_pdf(run_dir, themes, drivers, manifest)
    return html_path, run_dir / "report.pdf"
