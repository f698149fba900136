"""Digests of the tables a run writes on the bundled sample, so a refactor can prove it changed nothing.

    .venv/bin/python -m tests.golden_tables          # print the digests of a fresh run
    .venv/bin/python -m tests.golden_tables --write  # record them (only for a deliberate change)

Each CSV table is read back and written in one canonical form (columns in file order, floats to
nine significant digits, so the last bits of a reordered sum do not count) and hashed with SHA-256.
``tests/golden/sample_tables.json`` holds the digests and row counts of the last recorded run;
``tests/test_sample_golden.py`` compares a fresh run with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "complaints.csv"
GOLDEN = ROOT / "tests" / "golden" / "sample_tables.json"
TABLES = ("complaints.csv", "themes.csv", "drivers.csv", "drivers_change.csv", "drivers_segments.csv")


def table_digests(run_dir: Path) -> dict[str, dict]:
    """{table: {"rows": n, "sha256": digest of its canonical form}} for the tables of ``run_dir``."""
    out = {}
    for name in TABLES:
        frame = pd.read_csv(run_dir / name, dtype_backend="numpy_nullable", keep_default_na=False,
                            na_values=[""])
        canonical = frame.to_csv(index=False, float_format="%.9g", lineterminator="\n")
        out[name] = {"rows": len(frame), "sha256": hashlib.sha256(canonical.encode()).hexdigest()}
    return out


def run_sample(out: Path) -> dict[str, dict]:
    """Run the sample tables-only into ``out`` and return its digests."""
    from minetools.cli import main

    if main(["run", str(SAMPLE), "--out", str(out), "--tables-only", "--quiet"]) != 0:
        raise SystemExit("the sample run failed")
    return table_digests(out)


def main(argv: list[str]) -> int:
    os.environ.setdefault("MINETOOLS_PSEUDONYM_KEY", str(Path(tempfile.gettempdir()) / "minetools-golden.key"))
    with tempfile.TemporaryDirectory() as tmp:
        digests = run_sample(Path(tmp) / "run")
    text = json.dumps(digests, indent=2, sort_keys=True) + "\n"
    if "--write" in argv:
        GOLDEN.write_text(text, encoding="utf-8")
        print(f"recorded {GOLDEN.relative_to(ROOT)}")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
