"""End to end: the CLI on a slice of the sample writes the run directory DESIGN.md defines."""

import json
import re

import pandas as pd
import pytest

from minetools.clean import _luhn
from minetools.cli import main
from minetools.taxonomy import load_taxonomy
from tests.conftest import SECRETS

KEYS = list(load_taxonomy().keys)
RUN_FILES = ["complaints.parquet", "complaints.csv", "themes.csv", "drivers.csv", "report.html", "report.pdf",
             "manifest.json", *[f"figures/{n}.{e}" for n in ("theme_shares", "drivers", "monthly_trend")
                                for e in ("png", "svg")]]


@pytest.fixture(scope="module")
def run_dir(sample_slice, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    assert main(["run", str(sample_slice), "--out", str(out), "--quiet"]) == 0
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
    assert drivers["theme"].tolist() == KEYS
    assert list(drivers.columns[:13]) == ["theme", "n", "prevalence", "mean_with", "mean_without", "impact",
                                          "effect", "effect_ci_low", "effect_ci_high", "importance",
                                          "importance_ci_low", "importance_ci_high", "significant"]
    assert drivers["effect"].notna().sum() >= 6


def test_themes_csv_lists_every_theme_with_terms_and_examples(run_dir):
    themes = pd.read_csv(run_dir / "themes.csv", encoding="utf-8-sig", keep_default_na=False)
    assert themes["key"].tolist()[:12] == KEYS
    assert list(themes.columns) == ["key", "label_zh", "label_en", "n", "share", "top_terms", "example_ids"]
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
    assert html.count("data:image/png;base64,") == 3
    assert "需要立即关注的三件事" in html and "要点 1" in html
    assert 'src="http' not in html  # opens offline
    assert "@font-face{font-family:'minetools-cjk'" in html  # Chinese shows even without a system CJK font
