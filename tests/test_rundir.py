"""The output folder is the user's: checked before anything runs, swapped in whole, only owned files deleted."""

import json
import os
import signal
import subprocess
import sys

import pandas as pd
import pytest

from minetools import rundir
from minetools.cli import main
from minetools.config import MinetoolsError


@pytest.fixture()
def small_csv(tmp_path):
    rows = [f"第{i}位客户：排队等了{i}个小时，窗口只开了一个，柜员态度{'很差' if i % 2 else '冷淡'}。" for i in range(1, 41)]
    path = tmp_path / "in" / "small.csv"
    path.parent.mkdir()
    pd.DataFrame({"投诉内容": rows, "满意度": [i % 5 + 1 for i in range(40)]}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("make_out, message", [
    (lambda t: (t / "out.txt").write_text("keep me") and t / "out.txt", "is a file"),
    (lambda t: (t / "file.txt").write_text("keep me") and t / "file.txt" / "sub", "below the file"),
])
def test_an_output_path_that_cannot_be_a_folder_is_refused_before_reading(tmp_path, small_csv, capsys, make_out,
                                                                         message):
    out = make_out(tmp_path)
    assert main(["run", str(small_csv), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "[1" not in err and "Traceback" not in err  # nothing was read or analysed
    assert (tmp_path / ("out.txt" if "file" in message and "below" not in message else "file.txt")).read_text() == \
        "keep me"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_output_folder_is_refused_before_reading(tmp_path, small_csv, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    assert main(["run", str(small_csv), "--out", str(locked / "run")]) == 2
    assert "cannot be written" in capsys.readouterr().err


def test_a_folder_that_holds_the_input_is_refused(small_csv, capsys):
    before = sorted(small_csv.parent.rglob("*"))
    for out in (small_csv.parent, small_csv.parent.parent):  # the input's folder, or one above it
        assert main(["run", str(small_csv), "--out", str(out)]) == 2
        assert "holds the input" in capsys.readouterr().err
    assert sorted(small_csv.parent.rglob("*")) == before


def test_the_pseudonym_key_must_stay_outside_the_run(tmp_path, small_csv, capsys):
    out = tmp_path / "run"
    assert main(["run", str(small_csv), "--out", str(out), "--pseudonym-key", str(out / "k.key")]) == 2
    assert "pseudonym key" in capsys.readouterr().err and not out.exists()


def test_the_users_files_survive_every_command(tmp_path, small_csv):
    out = tmp_path / "run"
    (out / "figures" / "en").mkdir(parents=True)
    (out / "model").mkdir()
    mine = {"figures/my_chart.png": b"\x89PNG mine", "figures/en/mine.svg": b"<svg/>", "notes.txt": b"my notes",
            "report_old.html": b"<html>old</html>", "model/README_mine.txt": b"mine", "my_table.csv": b"a,b\n1,2\n"}
    for name, data in mine.items():
        (out / name).write_bytes(data)
    commands = [["run", str(small_csv), "--out", str(out), "--quiet"],
                ["run", str(small_csv), "--out", str(out), "--quiet", "--tables-only"],
                ["drivers", str(out), "--tables-only"], ["report", str(out)], ["audit", str(out), "--n", "5"],
                ["report", str(out), "--lang", "en"], ["drivers", str(out)]]
    for argv in commands:
        assert main(argv) == 0, argv
        assert {n: (out / n).read_bytes() for n in mine} == mine, argv
        files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
        assert not set(mine) & set(files), argv                      # never listed as the run's own
        assert all((out / f).exists() for f in files), argv          # every listed file is there
    assert not list(out.glob(".minetools-new-*"))


def test_a_tables_only_run_removes_the_charts_the_earlier_run_wrote(tmp_path, small_csv):
    out = tmp_path / "run"
    assert main(["run", str(small_csv), "--out", str(out), "--quiet"]) == 0
    assert (out / "report.html").exists() and list((out / "figures").glob("*.png"))
    assert main(["run", str(small_csv), "--out", str(out), "--quiet", "--tables-only"]) == 0
    assert not (out / "report.html").exists() and not (out / "figures").exists()


def test_a_run_that_fails_half_way_leaves_the_last_good_run_whole(tmp_path, small_csv, monkeypatch):
    out = tmp_path / "run"
    assert main(["run", str(small_csv), "--out", str(out), "--quiet", "--tables-only"]) == 0
    good = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    import minetools.stages as stages

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(stages, "write_tables", broken)
    assert main(["run", str(small_csv), "--out", str(out), "--quiet", "--tables-only"]) == 1
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()} == good


def test_a_killed_run_leaves_the_last_good_run_and_the_next_run_cleans_up(tmp_path, small_csv):
    out = tmp_path / "run"
    assert main(["run", str(small_csv), "--out", str(out), "--quiet", "--tables-only"]) == 0
    good = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "minetools.cli", "run", str(small_csv), "--out", str(out)],
                            stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stderr:  # kill it while it analyses, once the staging folder exists
        if "] themes" in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    now = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert {k: v for k, v in now.items() if not k.startswith(".minetools-new-")} == good
    assert main(["run", str(small_csv), "--out", str(out), "--quiet", "--tables-only"]) == 0
    assert not list(out.glob(".minetools-new-*"))


def test_the_writer_only_replaces_and_deletes_what_it_owns(tmp_path):
    out = tmp_path / "o"
    with rundir.RunWriter(out) as w:
        w.path("a.csv").write_text("1")
        w.path("figures/x.png").write_bytes(b"x")
        w.commit({"minetools_version": "test"})
    (out / "figures" / "mine.png").write_bytes(b"mine")
    with rundir.RunWriter(out) as w:
        w.path("b.csv").write_text("2")
        files = w.commit({"minetools_version": "test"})
    assert files == ["b.csv", "manifest.json"]
    assert not (out / "a.csv").exists() and not (out / "figures" / "x.png").exists()
    assert (out / "figures" / "mine.png").read_bytes() == b"mine"


def test_a_run_written_before_files_were_listed_still_owns_its_standard_files(tmp_path):
    out = tmp_path / "old"
    (out / "figures").mkdir(parents=True)
    for name in ("complaints.csv", "report.html", "figures/drivers.png", "notes.txt"):
        (out / name).write_text("x")
    (out / "manifest.json").write_text(json.dumps({"minetools_version": "0.1.0"}))
    owned = rundir.owned_files(out)
    assert {"complaints.csv", "report.html", "figures/drivers.png", "manifest.json"} <= owned
    assert "notes.txt" not in owned


def test_check_output_dir_returns_the_absolute_folder(tmp_path):
    assert rundir.check_output_dir(tmp_path / "new") == (tmp_path / "new").resolve()
    with pytest.raises(MinetoolsError, match="holds the input"):
        rundir.check_output_dir(tmp_path, inputs=[tmp_path / "a" / "b.csv"])
