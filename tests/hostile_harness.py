"""Run the hostile-input cases of tests/data/hostile/cases.csv and judge each by its ``expected`` column.

The cases and their grammar (tests/data/hostile/README.md) were written by someone who saw the
command line and the promises, not the code. ``run_case`` runs one case either in this process
(``minetools.cli.main``, for the fast cases in the test suite) or as a subprocess with a time
limit (``bench/run_hostile.py``, every case), then ``judge`` checks the exit code, the message,
the rows of complaints.csv / complaints.parquet and the invariants every run must keep
(no traceback, formula-safe CSV that reads back whole, a manifest that is JSON).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "tests" / "data" / "hostile"
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    seconds: float
    folder: Path


def cases() -> list[dict]:
    with open(HOSTILE / "cases.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _argv(case: dict, input_path: Path, out: Path) -> list[str]:
    words = shlex.split(case["command"])
    assert words[0] == "minetools", case["command"]
    return [str(input_path) if w == "INPUT" else str(out) if w == "OUT" else w for w in words[1:]]


def run_case(case: dict, tmp: Path, *, in_process: bool, timeout: float = 300) -> Outcome:
    """Run one case without setup (in-process) or with its setup and command in bash (subprocess)."""
    input_path = HOSTILE / case["file"] if case["file"] else tmp / "input.csv"
    out = tmp / "out"
    start = time.perf_counter()
    if in_process:
        from minetools.cli import main

        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = main(_argv(case, input_path, out) + ["--quiet"] if case["command"].startswith(
                    ("minetools run", "minetools apply")) else _argv(case, input_path, out))
            except SystemExit as exc:  # argparse
                code = int(exc.code or 0)
        return Outcome(code, stdout.getvalue(), stderr.getvalue(), time.perf_counter() - start, out)
    env = {**os.environ, "REPO": str(ROOT), "HOSTILE": str(HOSTILE), "T": str(tmp), "INPUT": str(input_path),
           "OUT": str(out), "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    quote = lambda s: re.sub(r"(?<![$\w])(INPUT|OUT)\b", r'"$\1"', s)  # noqa: E731 - the README's rule
    if case["setup"]:
        subprocess.run(["bash", "-c", quote(case["setup"])], cwd=ROOT, env=env, capture_output=True, timeout=timeout)
    try:
        done = subprocess.run(["bash", "-c", quote(case["command"])], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=timeout)
        return Outcome(done.returncode, done.stdout, done.stderr, time.perf_counter() - start, out)
    except subprocess.TimeoutExpired:
        return Outcome(-9, "", "timed out", time.perf_counter() - start, out)


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    csv.field_size_limit(sys.maxsize)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def invariants(o: Outcome) -> list[str]:
    """What every run must keep, whatever the case expects."""
    problems = []
    if "Traceback (most recent call last)" in o.out + o.err:
        problems.append("a traceback")
    if o.code not in (0, 1, 2):
        problems.append(f"exit code {o.code}")
    for path in sorted(o.folder.rglob("*.csv")) if o.folder.exists() else []:
        header, rows = _csv_rows(path)
        for cell in header + [c for r in rows for c in r]:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(cell):
                problems.append(f"{path.name}: formula-like cell {cell[:30]!r}")
                break
        if any(len(r) != len(header) for r in rows):
            problems.append(f"{path.name}: a row with another number of fields than its header")
    manifest = o.folder / "manifest.json"
    if manifest.exists():
        try:
            json.loads(manifest.read_text(encoding="utf-8"), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        except ValueError as exc:
            problems.append(f"manifest.json is not strict JSON ({exc})")
    return problems


def _clause(clause: str, o: Outcome, header, rows) -> str | None:
    clause = clause.strip()
    if m := re.fullmatch(r"within (\d+)s", clause):
        return None if o.seconds <= float(m[1]) else f"took {o.seconds:.0f} s"
    if m := re.fullmatch(r"row (\d+) (\S+) (=|contains) ?(.*)", clause):
        r, col, op, value = int(m[1]) - 1, m[2], m[3], m[4]
        if col not in header or r >= len(rows):
            return f"no row {r + 1} / column {col}"
        cell = rows[r][header.index(col)]
        ok = cell == value if op == "=" else value in cell
        return None if ok else f"row {r + 1} {col} is {cell[:40]!r}"
    if m := re.fullmatch(r"row (\d+) (\S+) nonempty", clause):
        r, col = int(m[1]) - 1, m[2]
        return None if col in header and r < len(rows) and rows[r][header.index(col)] else f"row {r + 1} {col} empty"
    if m := re.fullmatch(r"row (\d+) status (\S+)", clause):
        r = int(m[1]) - 1
        got = rows[r][header.index("status")] if r < len(rows) else None
        return None if got in m[2].split("|") else f"row {r + 1} status {got}"
    if m := re.fullmatch(r"masked (.+)", clause):
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in o.folder.rglob("*")
                 if p.is_file() and p.suffix in (".csv", ".json", ".html", ".txt", ".svg")]
        texts += [pd.read_parquet(p).astype(str).to_string() for p in o.folder.rglob("*.parquet")]
        found = [v for v in m[1].split("|") if v and any(v in t for t in texts)]
        return None if not found else f"not masked: {found[:3]}"
    if m := re.fullmatch(r"file (\S+) lacks (.+)", clause):
        text = (o.folder / m[1]).read_text(encoding="utf-8", errors="replace") if (o.folder / m[1]).exists() else ""
        return None if m[2] not in text else f"{m[1]} holds {m[2][:30]!r}"
    if m := re.fullmatch(r"unique (\S+)", clause):
        values = [r[header.index(m[1])] for r in rows] if m[1] in header else []
        return None if len(values) == len(set(values)) else f"{m[1]} not unique"
    if m := re.fullmatch(r"header_once (\S+)", clause):
        return None if header.count(m[1]) == 1 else f"{m[1]} {header.count(m[1])} times in the header"
    return f"unknown clause {clause!r}"


def _alternative(alt: str, o: Outcome) -> str | None:
    primary, *clauses = alt.split("; ")
    if primary.startswith("exit2 mentions"):
        if o.code != 2:
            return f"exit {o.code}, expected 2"
        wanted = [w.strip() for w in primary[len("exit2 mentions"):].split(",") if w.strip()]
        missing = [w for w in wanted if not any(option.strip() in o.err for option in w.split("|"))]
        return None if not missing else f"message lacks {missing}"
    if m := re.fullmatch(r"exit0_all_rows (\d+)((?: \w+ \d+)*)", primary.strip()):
        if o.code != 0:
            return f"exit {o.code}: {o.err.strip()[-300:]}"
        header, rows = _csv_rows(o.folder / "complaints.csv")
        n = len(pd.read_parquet(o.folder / "complaints.parquet", columns=["status"]))
        if len(rows) != int(m[1]) or n != int(m[1]):
            return f"{len(rows)} CSV rows / {n} Parquet rows, expected {m[1]}"
        status = [r[header.index("status")] for r in rows]
        for name, count in re.findall(r"(\w+) (\d+)", m[2]):
            if status.count(name) != int(count):
                return f"{status.count(name)} rows {name}, expected {count}"
        reasons = [r[header.index("status_reason")] for r in rows]
        if any(s != "ok" and not why for s, why in zip(status, reasons)):
            return "a row that is not ok has no status_reason"
        for clause in clauses:
            if problem := _clause(clause, o, header, rows):
                return problem
        return None
    return f"not judged here: {primary[:60]}"


def judge(case: dict, o: Outcome) -> str | None:
    """None when the outcome meets the case's expectation and the invariants, else why not."""
    problems = invariants(o)
    if problems:
        return "; ".join(problems)
    verdicts = [_alternative(alt, o) for alt in case["expected"].split(" OR ")]
    return None if None in verdicts else " / ".join(v for v in verdicts if v)
