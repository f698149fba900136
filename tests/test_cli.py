"""Command line: help with examples, clear errors without tracebacks."""

import subprocess
import sys

import pytest

from minetools.cli import build_parser, main


def _commands():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return list(sub.choices)


def test_main_help_shows_examples(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "minetools run" in out


@pytest.mark.parametrize("command", _commands())
def test_each_command_help_shows_an_example(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "example:" in capsys.readouterr().out


def test_missing_input_is_one_clear_message_and_exit_code_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "minetools.cli", "run", str(tmp_path / "missing.csv"),
                           "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Input file not found" in proc.stderr and "Traceback" not in proc.stderr


def test_no_text_column_error_names_columns_and_flag(tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_text("编号,金额\n1,2\n", encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "编号, 金额" in err and "--text-col" in err


def test_debug_flag_shows_the_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "minetools.cli", "--debug", "run", str(tmp_path / "m.csv"),
                           "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_report_on_a_non_run_directory_is_an_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_malformed_taxonomy_in_config_is_a_clear_error(tmp_path, capsys):
    data = tmp_path / "c.csv"
    data.write_text("投诉内容\n排队太久了，等了一个小时\n", encoding="utf-8")
    (tmp_path / "tax.yml").write_text("themes:\n  - key: queuing\n", encoding="utf-8")
    (tmp_path / "cfg.toml").write_text('taxonomy = "tax.yml"\n', encoding="utf-8")
    assert main(["run", str(data), "--out", str(tmp_path / "o"), "--config", str(tmp_path / "cfg.toml"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "tax.yml" in err and "queuing" in err and "Traceback" not in err
