"""End to end: the CLI on a slice of the sample writes the run directory DESIGN.md defines."""

import base64
import json
import re
import shutil

import pandas as pd
import pytest

from minetools.clean.pii_numbers import luhn as _luhn
from minetools.cli import main
from minetools.taxonomy import load_taxonomy
from tests.conftest import SECRETS

KEYS = list(load_taxonomy().keys)
RUN_FILES = ["complaints.parquet", "complaints.csv", "themes.csv", "drivers.csv", "report.html", "report.pdf",
             "manifest.json", *[f"figures/{n}.{e}" for n in ("theme_shares", "drivers", "priority_matrix",
                                                                           "monthly_trends", "cooccurrence")
                                for e in ("png", "svg")]]


@pytest.fixture(scope="module")
def run_dir(sample_slice, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    config = out.parent / "settings.toml"
    config.write_text("period_months = 1\n", encoding="utf-8")  # the slice spans a few months: compare single months
    assert main(["run", str(sample_slice), "--out", str(out), "--config", str(config), "--quiet"]) == 0
    return out


def test_run_writes_every_file_of_the_run_directory(run_dir):
    for name in RUN_FILES:
        assert (run_dir / name).is_file(), name
    assert any((run_dir / "model").iterdir())


def test_complaints_parquet_keeps_every_input_row_in_order(sample_slice, run_dir):
    source = pd.read_csv(sample_slice, dtype=str, keep_default_na=False)
    out = pd.read_parquet(run_dir / "complaints.parquet")
    assert len(out) == len(source)
    assert out["id"].tolist() == source["id"].tolist()
    assert out["record_id"].tolist() == list(range(1, len(source) + 1))
    assert set(out["status"]) <= {"ok", "duplicate", "empty", "invalid", "truncated"}
    assert out.loc[out["status"] != "ok", "status_reason"].str.len().gt(0).all()


def test_complaints_have_themes_and_a_column_per_theme_key(run_dir):
    out = pd.read_parquet(run_dir / "complaints.parquet")
    for key in KEYS:
        assert set(out[f"theme_{key}"].unique()) <= {0, 1}
        assert out[f"score_{key}"].dropna().between(0, 1).all()
    ok = out[out["status"] == "ok"]
    assert all(len(t) >= 1 for t in ok["themes"])
    assert set(k for t in ok["themes"] for k in t) <= set(KEYS) | {"other"}


def test_drivers_csv_has_a_row_per_theme_and_the_contract_columns(run_dir):
    drivers = pd.read_csv(run_dir / "drivers.csv", encoding="utf-8-sig")
    assert drivers.loc[drivers["driver_type"] == "theme", "theme"].tolist() == KEYS
    assert set(drivers.loc[drivers["driver_type"] != "theme", "theme"]) == {"handling_days", "closed_late"}
    assert list(drivers.columns[:13]) == ["theme", "n", "prevalence", "mean_with", "mean_without", "impact",
                                          "effect", "effect_ci_low", "effect_ci_high", "importance",
                                          "importance_ci_low", "importance_ci_high", "significant"]
    assert drivers["effect"].notna().sum() >= 6


def test_themes_csv_lists_every_theme_with_terms_and_examples(run_dir):
    themes = pd.read_csv(run_dir / "themes.csv", encoding="utf-8-sig", keep_default_na=False)
    assert themes["key"].tolist()[:13] == KEYS + ["other"]
    assert list(themes.columns) == ["key", "label_zh", "label_en", "n", "share", "top_terms", "example_ids", "status"]
    assert themes["status"].tolist()[:13] == ["taxonomy"] * 12 + ["other"]
    assert set(themes["status"]) <= {"taxonomy", "other", "proposed"}
    frequent = themes[(themes["key"] != "other") & (themes["n"] >= 20)]
    assert len(frequent) >= 6
    assert (frequent["top_terms"].str.split().str.len() >= 3).all()
    assert (frequent["example_ids"].str.len() > 0).all()


def test_manifest_accounts_for_every_row(run_dir, sample_slice):
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    rows = manifest["rows"]
    assert rows["balanced"] and rows["input"] == sum(rows[s] for s in ("ok", "duplicate", "empty", "invalid", "truncated"))
    assert manifest["pii_masked"]["手机号"] >= 4 and manifest["pii_masked"]["银行卡号"] >= 2
    assert manifest["hashes"]["model"] and manifest["hashes"]["taxonomy"]


def test_no_personal_number_from_the_input_appears_in_any_output_file(run_dir):
    """Every file, read as bytes, and the parquet table decoded, must be free of the injected numbers."""
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert len(files) >= 12
    for path in files:
        raw = path.read_bytes()
        for secret in SECRETS.values():
            assert secret.encode() not in raw, f"{secret} found in {path}"
            assert secret.encode("utf-16-le") not in raw, f"{secret} found in {path}"
    table = pd.read_parquet(run_dir / "complaints.parquet").astype(str).to_csv()
    for secret in SECRETS.values():
        assert secret not in table


def test_no_personal_number_written_by_the_generator_leaks_either(sample_slice, run_dir):
    """Mobile, card and ID numbers in the sample rows themselves (found by pattern) are masked everywhere."""
    texts = " ".join(pd.read_csv(sample_slice, dtype=str, keep_default_na=False)["text"])
    numbers = set(re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)", texts))
    numbers |= {n for n in re.findall(r"(?<!\d)\d{16,19}(?!\d)", texts) if _luhn(n)}
    numbers |= set(re.findall(r"(?<!\d)\d{17}[\dX](?!\d)", texts))
    assert len(numbers) >= 20  # the slice really carries personal data
    blobs = [p.read_bytes() for p in run_dir.rglob("*") if p.is_file()]
    blobs.append(pd.read_parquet(run_dir / "complaints.parquet").astype(str).to_csv().encode())
    leaked = {n for n in numbers if any(n.encode() in b for b in blobs)}
    assert leaked == set()


def test_report_html_embeds_its_figures_and_findings(run_dir):
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    figures = list((run_dir / "figures").glob("*.png"))
    assert len(figures) >= 8  # the chart set plus a word cloud per leading theme
    assert html.count("data:image/png;base64,") == len(figures)  # every chart, embedded
    for section in ("图表", "各主题明细", "各主题常见说法与示例", "方法说明", "R² =", "模型哈希"):
        assert section in html
    assert "需要立即关注的三件事" in html and "要点 1" in html
    assert 'src="http' not in html  # opens offline
    assert "@font-face{font-family:'minetools-cjk'" in html  # Chinese shows even without a system CJK font


def test_apply_with_the_saved_model_gives_the_same_themes_for_the_same_text(sample_slice, run_dir, tmp_path):
    first = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert main(["apply", str(sample_slice), "--model", str(run_dir / "model"), "--out", str(tmp_path / "a"),
                 "--quiet", "--tables-only"]) == 0
    again = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert again["theme_model"]["adapted_to_input"] is False
    assert again["hashes"]["model"] == first["hashes"]["model"]
    cols = ["record_id", "status", *[f"theme_{k}" for k in KEYS], *[f"score_{k}" for k in KEYS]]
    before = pd.read_parquet(run_dir / "complaints.parquet", columns=cols)
    after = pd.read_parquet(tmp_path / "a" / "complaints.parquet", columns=cols)
    pd.testing.assert_frame_equal(before, after)


def test_apply_on_next_months_rows_reuses_the_model_unchanged(sample_slice, run_dir, tmp_path):
    """Rows shared between two files get identical themes, whatever else the files contain."""
    month = pd.read_csv(sample_slice, dtype=str, keep_default_na=False).iloc[100:250]
    path = tmp_path / "next.csv"
    month.to_csv(path, index=False)
    assert main(["apply", str(path), "--model", str(run_dir), "--out", str(tmp_path / "n"), "--quiet",
                 "--tables-only"]) == 0
    cols = [f"score_{k}" for k in KEYS]
    before = pd.read_parquet(run_dir / "complaints.parquet", columns=cols).iloc[100:250].reset_index(drop=True)
    after = pd.read_parquet(tmp_path / "n" / "complaints.parquet", columns=cols)
    pd.testing.assert_frame_equal(before, after)


def test_a_tables_only_run_gets_its_charts_and_report_from_the_report_command(sample_slice, run_dir, tmp_path,
                                                                              capsys):
    out = tmp_path / "t"
    shutil.copytree(run_dir, out)  # an earlier full run in the folder …
    (out / "figures" / "my_chart.png").write_bytes(b"the user's own chart")  # … and a file of the user's
    assert (out / "figures" / "drivers.png").exists() and (out / "report.html").exists()
    assert main(["run", str(sample_slice), "--out", str(out), "--quiet", "--tables-only"]) == 0
    assert "minetools report" in capsys.readouterr().out
    # the earlier run's charts and report would not match the new tables: gone; the user's file stays
    assert not (out / "figures" / "drivers.png").exists() and not (out / "report.html").exists()
    assert (out / "figures" / "my_chart.png").read_bytes() == b"the user's own chart"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"]["balanced"] and "figures/my_chart.png" not in manifest["files"]
    assert main(["report", str(out)]) == 0
    assert "Drawing the charts" in capsys.readouterr().err
    for name in ("priority_matrix.png", "drivers.svg", "theme_shares.png"):
        assert (out / "figures" / name).is_file(), name
    assert "figures/drivers.png" in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 8 and "需要立即关注的三件事" in page


def test_apply_with_a_folder_that_is_not_a_model_is_a_clear_error(sample_slice, tmp_path, capsys):
    assert main(["apply", str(sample_slice), "--model", str(tmp_path), "--out", str(tmp_path / "x"), "--quiet"]) == 2
    assert "Cannot use" in capsys.readouterr().err


def test_evaluate_against_labels_writes_per_theme_scores(sample_slice, run_dir, tmp_path, capsys):
    assert main(["evaluate", str(sample_slice), "--labels-col", "true_themes", "--model", str(run_dir / "model"),
                 "--out", str(tmp_path / "ev"), "--quiet"]) == 0
    report = json.loads((tmp_path / "ev" / "evaluation.json").read_text(encoding="utf-8"))
    assert [r["theme"] for r in report["per_theme"]] == KEYS
    assert 0.3 < report["macro_f1"] <= 1 and report["n"] > 300
    assert set(report["close_pair_confusions"]) == {"queuing→counter_arrangement", "counter_arrangement→queuing",
                                                    "staff_attitude→complaint_handling", "complaint_handling→staff_attitude",
                                                    "inconsistent_info→process_complexity", "process_complexity→inconsistent_info"}
    assert "macro-F1" in capsys.readouterr().out


def test_evaluate_names_unknown_label_keys(tmp_path, capsys):
    path = tmp_path / "coded.csv"
    pd.DataFrame({"投诉内容": ["排队等了一个小时还没轮到我"] * 3, "人工主题": ["queuing", "queueing", ""]}).to_csv(path, index=False)
    assert main(["evaluate", str(path), "--labels-col", "人工主题", "--quiet"]) == 2
    assert "'queueing' (rows 2)" in capsys.readouterr().err


def test_same_input_and_seed_give_identical_output(sample_slice, run_dir, tmp_path):
    assert main(["run", str(sample_slice), "--out", str(tmp_path / "again"), "--quiet", "--tables-only"]) == 0
    for name in ("complaints.parquet",):
        pd.testing.assert_frame_equal(pd.read_parquet(run_dir / name), pd.read_parquet(tmp_path / "again" / name))
    for name in ("themes.csv", "drivers.csv", "complaints.csv"):
        assert (run_dir / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name


def test_audit_sample_is_stratified_and_reads_back_into_evaluate(run_dir, tmp_path):
    assert main(["audit", str(run_dir), "--n", "60", "--out", str(tmp_path / "audit.csv")]) == 0
    audit = pd.read_csv(tmp_path / "audit.csv", encoding="utf-8-sig", keep_default_na=False)
    assert len(audit) == 60 and audit["record_id"].is_unique and (audit["labels"] == "").all()
    out = pd.read_parquet(run_dir / "complaints.parquet")
    covered = {k for a in audit["assigned"] for k in a.split("|")}
    present = {k for k in KEYS if out[f"theme_{k}"].sum() > 0}
    assert present <= covered  # every assigned theme is in the sample, rare ones too
    audit["labels"] = audit["assigned"]  # a coder who agrees with everything
    audit.to_csv(tmp_path / "coded.csv", index=False)
    assert main(["evaluate", str(tmp_path / "coded.csv"), "--labels-col", "labels", "--model", str(run_dir / "model"),
                 "--out", str(tmp_path / "ev"), "--quiet"]) == 0
    assert json.loads((tmp_path / "ev" / "evaluation.json").read_text(encoding="utf-8"))["micro_f1"] == 1.0


def test_drivers_command_recomputes_the_driver_tables_of_a_run(run_dir, tmp_path, capsys):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    assert main(["drivers", str(copy), "--threshold", "4", "--n-boot", "0", "--min-n", "20"]) == 0
    assert "binary outcome" in capsys.readouterr().out
    drivers = pd.read_csv(copy / "drivers.csv", encoding="utf-8-sig")
    assert list(drivers.columns[:13]) == ["theme", "n", "prevalence", "mean_with", "mean_without", "impact",
                                          "effect", "effect_ci_low", "effect_ci_high", "importance",
                                          "importance_ci_low", "importance_ci_high", "significant"]
    assert {"odds_ratio", "score_basis"} <= set(drivers.columns)
    assert drivers["score_basis"].str.contains("score >= 4").all()
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["drivers"]["outcome"] == "binary" and manifest["settings"]["satisfied_threshold"] == 4
    # the charts and the report follow the new tables: nothing in the folder shows the old drivers
    assert (copy / "figures" / "drivers.png").read_bytes() != (run_dir / "figures" / "drivers.png").read_bytes()
    assert (copy / "report.html").read_text(encoding="utf-8") != (run_dir / "report.html").read_text(encoding="utf-8")
    assert "百分点" in (copy / "report.html").read_text(encoding="utf-8")
    assert (run_dir / "figures" / "change_waterfall.png").exists()
    assert not (copy / "figures" / "change_waterfall.png").exists()  # no period comparison for a binary outcome


def test_drivers_tables_only_leaves_figures_and_report_alone(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    before = {p.name: p.stat().st_mtime_ns for p in [*(copy / "figures").glob("*.png"), copy / "report.html"]}
    assert main(["drivers", str(copy), "--n-boot", "0", "--tables-only"]) == 0
    assert {p.name: p.stat().st_mtime_ns for p in [*(copy / "figures").glob("*.png"), copy / "report.html"]} == before


def test_figures_redrawn_from_the_run_directory_match_the_run(run_dir, tmp_path):
    """draw_figures reads only the saved tables (and the manifest) and gets the same charts as the run."""
    import shutil

    from minetools.figures import draw_figures

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    drawn = {p.name: p.read_bytes() for p in (run_dir / "figures").glob("*.png")}  # drawn in memory by the run
    assert {"change_waterfall.png", "segment_heatmap.png", "drivers.png", "handling_time.png"} <= set(drawn)
    written = draw_figures(copy)  # now from the files alone
    assert {p.name for p in written if p.suffix == ".png"} == set(drawn)
    for name, before in sorted(drawn.items()):
        assert (copy / "figures" / name).read_bytes() == before, name


def _chromium():
    import shutil

    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_renders_in_headless_chromium_with_every_image_loaded(run_dir, tmp_path):
    """`make test` installs Debian's chromium; the page renders, and every embedded image decodes."""
    import subprocess

    import numpy as np
    from PIL import Image

    browser = _chromium()
    assert browser, "chromium is not installed (make test installs it)"
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
             "--hide-scrollbars", "--virtual-time-budget=10000"]
    probe = tmp_path / "probe.html"
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    script = ("<script>window.addEventListener('load',()=>{const i=[...document.images];"
              "document.body.setAttribute('data-images',i.length);"
              "document.body.setAttribute('data-loaded',i.filter(x=>x.complete&&x.naturalWidth>0).length);});</script>")
    probe.write_text(page.replace("</body>", script + "</body>"), encoding="utf-8")
    dom = subprocess.run(flags + ["--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120).stdout
    images = int(re.search(r'data-images="(\d+)"', dom).group(1))
    loaded = int(re.search(r'data-loaded="(\d+)"', dom).group(1))
    assert images >= 3 and loaded == images
    shot = tmp_path / "report.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1280,2000", (run_dir / "report.html").as_uri()],
                   capture_output=True, timeout=120, check=True)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.std() > 10  # not a blank page
    assert (pixels < 128).mean() > 0.01  # text and charts drawn


def test_english_report_uses_english_headings(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    assert main(["report", str(copy), "--lang", "en"]) == 0
    page = (copy / "report.html").read_text(encoding="utf-8")
    assert "Three things to act on" in page and "Methods" in page and 'lang="en"' in page
    assert "R² =" in page and "model hash" in page
    # the charts are English too: drawn into figures/en/ from the tables, the Chinese ones kept
    english = sorted((copy / "figures" / "en").glob("*.png"))
    assert {p.name for p in english} == {p.name for p in (run_dir / "figures").glob("*.png")}
    for name in ("priority_matrix.png", "drivers.png", "theme_shares.png"):
        embedded = base64.b64encode((copy / "figures" / "en" / name).read_bytes()).decode()
        chinese = base64.b64encode((copy / "figures" / name).read_bytes()).decode()
        assert embedded in page and chinese not in page, name
        assert (copy / "figures" / name).read_bytes() == (run_dir / "figures" / name).read_bytes()
    # recomputing the drivers keeps the report in English and redraws the English charts as well
    before = (copy / "figures" / "en" / "drivers.png").read_bytes()
    assert main(["drivers", str(copy), "--n-boot", "0", "--min-n", "100"]) == 0
    assert 'lang="en"' in (copy / "report.html").read_text(encoding="utf-8")[:300]
    assert (copy / "figures" / "en" / "drivers.png").read_bytes() != before
