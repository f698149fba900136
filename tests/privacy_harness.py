"""Run an adversarial privacy corpus through minetools and look for every raw value in every output.

A corpus (``data/eval/privacy/*.csv``, written by people who did not see the masking code) has
one row per personal value: its kind, where it sits (``text`` inside a complaint, a
``dedicated`` column such as 联系电话, a ``numeric`` column, a ``role`` column such as 网点, an
``unlabeled`` column such as 备注), the column header and the cell. :func:`build_inputs`
turns it into export files (CSV, Parquet with real int64 columns, JSONL with JSON numbers);
:func:`scan_outputs` reads every file a run wrote — CSV, JSON, HTML, SVG, YAML as text,
every Parquet cell, the text of the PDF (``pdftotext``) — and reports each value found, in
any of its forms (as written, normalised, in Simplified script, its digits without
separators).

Used by ``tests/test_privacy_corpus.py`` and ``bench/bench_privacy.py``.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CORPORA = {"dev": ROOT / "data" / "eval" / "privacy" / "privacy_dev.csv",
           "holdout": ROOT / "data" / "eval" / "privacy" / "privacy_holdout.csv",
           "final": ROOT / "data" / "eval" / "privacy" / "privacy_final.csv",
           "fresh": ROOT / "data" / "eval" / "privacy" / "privacy_fresh.csv",
           "blind": ROOT / "data" / "eval" / "privacy" / "privacy_blind.csv",
           "sixth": ROOT / "data" / "eval" / "privacy" / "privacy_sixth.csv",
           "seventh": ROOT / "data" / "eval" / "privacy" / "privacy_seventh.csv",
           "eighth": ROOT / "data" / "eval" / "privacy" / "privacy_eighth.csv"}
TEXT_COL, ID_COL = "投诉内容", "编号"
_BASE64 = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")


def read_corpus(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _records(rows: list[dict]) -> list[dict]:
    """One export record per text (text carrier) and per non-text value."""
    records: dict[str, dict] = {}
    for r in rows:
        rid = r["text_id"] if r["carrier"] == "text" else f"{r['text_id']}-{r['case_id']}"
        rec = records.setdefault(rid, {ID_COL: rid, TEXT_COL: r["text"]})
        if r["carrier"] in ("dedicated", "role", "unlabeled"):
            rec[r["column"]] = r["cell"] or r["value"]
        elif r["carrier"] == "numeric":
            rec[r["column"]] = r["value"]
    return list(records.values())


def _numeric_columns(rows: list[dict]) -> set[str]:
    return {r["column"] for r in rows if r["carrier"] == "numeric"}


def build_inputs(rows: list[dict], folder: Path) -> dict[str, Path]:
    """The corpus as a CSV (every value text), a Parquet file and a JSONL file (numeric carriers as numbers)."""
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(_records(rows)).fillna("")
    numeric = _numeric_columns(rows)
    paths = {"csv": folder / "corpus.csv", "parquet": folder / "corpus.parquet", "jsonl": folder / "corpus.jsonl"}
    frame.to_csv(paths["csv"], index=False, encoding="utf-8")
    typed = frame.copy()
    for col in numeric:  # a number column: digits as int64 where they fit, missing elsewhere
        as_int = pd.to_numeric(typed[col].where(typed[col].str.fullmatch(r"\d{1,18}"), None), errors="coerce")
        typed[col] = as_int.astype("Int64")
    typed.to_parquet(paths["parquet"], index=False)
    with open(paths["jsonl"], "w", encoding="utf-8") as fh:
        for rec in typed.to_dict("records"):
            clean = {k: (None if v is pd.NA else (int(v) if k in numeric and pd.notna(v) else v)) for k, v in rec.items()}
            fh.write(json.dumps(clean, ensure_ascii=False) + "\n")
    return paths


def variants(value: str) -> set[str]:
    """The forms in which a raw value could reach an output (see the module docstring)."""
    from minetools.clean import normalize_text, to_simplified

    forms = {value, normalize_text(value), to_simplified(normalize_text(value))}
    digits = re.sub(r"\D", "", normalize_text(value))
    if len(digits) >= 7:  # shorter digit strings occur by chance in any table of numbers
        forms.add(digits)
    return {f.strip() for f in forms if len(f.strip()) >= 2}


def _found(form: str, text: str) -> bool:
    """``form`` in ``text``; a form made of digits only counts when no digit touches it on either side."""
    if not form.isdigit():
        return form in text
    return re.search(rf"(?<!\d){form}(?!\d)", text) is not None


def _texts_of(out: Path) -> list[tuple[str, str]]:
    """(file, text) for every file of a run directory that can hold text."""
    found = []
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(out).as_posix()
        if path.suffix in (".csv", ".json", ".html", ".svg", ".yml", ".yaml", ".txt", ".tsv", ".md"):
            text = path.read_text(encoding="utf-8-sig", errors="replace")
            # embedded images and fonts are base64 (letters and digits by chance); their text is scanned in
            # the SVG and PDF versions of the same charts
            found.append((rel, _BASE64.sub("data:…", text)))
        elif path.suffix == ".parquet":
            df = pd.read_parquet(path)
            cells = [" ".join(map(str, v)) if hasattr(v, "__len__") and not isinstance(v, str) else str(v)
                     for col in df.columns for v in df[col].tolist()]
            found.append((rel, "\n".join(cells + [str(c) for c in df.columns])))
        elif path.suffix == ".pdf" and shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-q", str(path), "-"], capture_output=True, text=True).stdout
            found.append((rel + " (pdftotext)", text))
    return found


def scan_outputs(out: Path, rows: list[dict]) -> list[dict]:
    """Every (case, form, file) where a personal value of ``rows`` appears in a file under ``out``."""
    import re2

    texts = _texts_of(Path(out))
    forms = [(r, form) for r in rows if r["kind"] != "none" for form in variants(r["value"])]
    if not forms:
        return []
    any_form = re2.compile("|".join(re.escape(f) for _, f in forms))  # one pass per file finds the files to look at
    leaks = []
    for rel, text in texts:
        if not any_form.search(text):
            continue
        for r, form in forms:
            if _found(form, text):
                leaks.append({"case_id": r["case_id"], "kind": r["kind"], "carrier": r["carrier"], "form": form,
                              "file": rel})
    return leaks


def recall_table(rows: list[dict], leaks: list[dict]) -> pd.DataFrame:
    """Per kind: values, values leaked (in any form, any file), recall."""
    total = Counter(r["kind"] for r in rows if r["kind"] != "none")
    leaked = Counter()
    for case in {(leak["case_id"], leak["kind"]) for leak in leaks}:
        leaked[case[1]] += 1
    table = pd.DataFrame({"kind": sorted(total), "values": [total[k] for k in sorted(total)],
                          "leaked": [leaked[k] for k in sorted(total)]})
    table["recall"] = 1 - table["leaked"] / table["values"]
    return table


def lookalikes_kept(rows: list[dict], out: Path) -> tuple[int, int, list[str]]:
    """(kept, total, lost values) of the corpus's look-alikes (kind none): in complaints.csv's text_clean, or
    in its own column for a look-alike written in a column."""
    from minetools.clean import normalize_text, to_simplified

    df = pd.read_csv(Path(out) / "complaints.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    rows_by_id = {rid: i for i, rid in enumerate(df[ID_COL])}
    kept, lost, total = 0, [], 0
    for r in rows:
        if r["kind"] != "none":
            continue
        total += 1
        in_text = r["carrier"] == "text" or r["column"] not in df.columns
        i = rows_by_id.get(r["text_id"] if r["carrier"] == "text" else f"{r['text_id']}-{r['case_id']}")
        column = "text_clean" if in_text else r["column"]
        text = "" if i is None else df.at[i, column]
        value = r["value"] if column != "text_clean" else to_simplified(normalize_text(r["value"]))
        if value in text:
            kept += 1
        else:
            lost.append(r["value"])
    return kept, total, lost
