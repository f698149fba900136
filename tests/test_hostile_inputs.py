"""Hostile and broken inputs: every record accounted for, or one clear message and exit 2; never a traceback.

The cases are tests/data/hostile/cases.csv, written (with their expected outcomes) by someone
who saw the command line and its promises but not the code. Here the cases that need no setup
run in this process; bench/run_hostile.py runs all of them, with their setups, as subprocesses.
"""

import pandas as pd
import pytest

from minetools.cli import main
from tests import hostile_harness as hh

CLASSES = ("bare-cr", "ragged", "broken-files", "columns", "formula-cells")
CASES = [c for c in hh.cases() if c["class"] in CLASSES and not c["setup"] and c["file"]
         and not c["expected"].startswith("scenario")]


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_hostile_case(case, tmp_path):
    if "file " not in case["expected"]:  # the case looks at the tables only
        case = {**case, "command": case["command"] + " --tables-only"}
    outcome = hh.run_case(case, tmp_path, in_process=True)
    verdict = hh.judge(case, outcome)
    assert verdict is None, f"{case['case_id']} ({case['note'][:80]}): {verdict}"


def test_a_2_mb_cell_built_to_make_patterns_backtrack_is_analysed(tmp_path):
    cells = ["a" * 2_000_000, "1 " * 1_000_000, "@" * 2_000_000, "姓名" * 1_000_000, "a." * 1_000_000]
    texts = ["排队两个小时没人管", *cells, "柜员态度很差"]
    path = tmp_path / "big.csv"
    pd.DataFrame({"编号": [f"R{i}" for i in range(len(texts))], "投诉内容": texts}).to_csv(path, index=False)
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--quiet", "--tables-only"]) == 0
    out = pd.read_csv(tmp_path / "o" / "complaints.csv", dtype=str, keep_default_na=False)
    assert out["编号"].tolist() == [f"R{i}" for i in range(len(texts))]
    assert set(out["status"][1:-1]) <= {"invalid", "truncated"} and out["status"].iloc[0] == "ok"


def test_an_unexpected_failure_is_one_line_and_exit_1(tmp_path, capsys, monkeypatch):
    import minetools.stages as stages

    monkeypatch.setattr(stages, "prepare_rows", lambda *a, **k: 1 / 0)
    path = tmp_path / "in.csv"
    pd.DataFrame({"投诉内容": ["排队太久"] * 3}).to_csv(path, index=False)
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "ZeroDivisionError" in err and "--debug" in err and "Traceback" not in err
    with pytest.raises(ZeroDivisionError):
        main(["--debug", "run", str(path), "--out", str(tmp_path / "o"), "--quiet"])
