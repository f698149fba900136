"""The input as chunks: the streamed reader gives what the careful reader gives, files that need repairs are
not streamed, and a run's tables do not depend on the chunk size or on which reader ran."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from minetools import chunks, io
from minetools.config import Settings
from minetools.datasets import make_complaints
from minetools.pipeline import run


@pytest.fixture
def stream_small_files(monkeypatch):
    monkeypatch.setattr(chunks, "STREAM_MIN_BYTES", 0)


def _all(source) -> pd.DataFrame:
    return pd.concat([part for _, part in source.chunks()], ignore_index=True)


@pytest.mark.parametrize("sep, suffix, bom", [(",", ".csv", False), (",", ".csv", True), ("\t", ".tsv", False)])
def test_streamed_chunks_are_the_careful_readers_table(tmp_path, stream_small_files, sep, suffix, bom):
    df = make_complaints(2500, seed=3)
    df.loc[7, "text"] = "第一行\n第二行，还有\"引号\"和,逗号"  # a quoted cell with a line break
    path = tmp_path / f"export{suffix}"
    df.to_csv(path, index=False, sep=sep, encoding="utf-8-sig" if bom else "utf-8")
    source = chunks.open_chunks(path, chunk_rows=700)
    assert source.streamed
    sizes = [len(part) for _, part in chunks.open_chunks(path, chunk_rows=700).chunks()]
    assert len(sizes) > 1 and sum(sizes) == 2500
    careful = io.read_complaints(path)
    pd.testing.assert_frame_equal(_all(source), careful.reset_index(drop=True))
    assert source.meta["columns"] == careful.attrs["minetools"]["columns"]


@pytest.mark.parametrize("case", ["bare CR", "NUL", "extra field", "missing field", "GB18030", "unclosed quote",
                                  "one column"])
def test_files_that_need_the_careful_reader_are_not_streamed(tmp_path, stream_small_files, case):
    rows = ["编号,投诉内容,满意度"] + [f"{i},排队等了很久，柜员态度也不好{i},2" for i in range(50)]
    if case == "bare CR":
        rows[10] = "10,排队\r等了很久,2"
    elif case == "NUL":
        rows[10] = "10,排队\x00等了很久,2"
    elif case == "extra field":
        rows[10] = "10,排队,等了很久,2"
    elif case == "missing field":
        rows[10] = "10,排队等了很久"
    elif case == "unclosed quote":
        rows[10] = '10,"排队等了很久,2'
    elif case == "one column":
        rows = [r.split(",")[1] for r in rows]
    data = ("\n".join(rows) + "\n").encode("gb18030" if case == "GB18030" else "utf-8")
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    try:
        careful = io.read_complaints(path)
    except io.InputError as exc:  # the careful reader's own message, whichever way the file is opened
        with pytest.raises(io.InputError, match=str(exc)[:40]):
            chunks.open_chunks(path, chunk_rows=20)
        return
    source = chunks.open_chunks(path, chunk_rows=20)
    assert not source.streamed
    pd.testing.assert_frame_equal(_all(source), careful.reset_index(drop=True))
    assert source.meta["row_problems"] == careful.attrs["minetools"]["row_problems"]


def test_a_run_in_small_streamed_chunks_writes_the_same_tables(tmp_path, sample_slice, monkeypatch):
    """405 rows with personal data in the last ones, in chunks of 150 (streamed) and in one piece."""
    whole = run(sample_slice, tmp_path / "whole", settings=Settings(render=False), progress=False)
    monkeypatch.setattr(chunks, "STREAM_MIN_BYTES", 0)
    parts = run(sample_slice, tmp_path / "parts", settings=Settings(render=False, chunk_rows=150), progress=False)
    for name in ("complaints.csv", "themes.csv", "drivers.csv"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "parts" / name).read_bytes(), name
    a, b = (json.loads((tmp_path / d / "manifest.json").read_text(encoding="utf-8")) for d in ("whole", "parts"))
    for key in ("rows", "pii_masked", "privacy", "duplicates", "parsing", "input"):
        assert a[key] == b[key], key
    assert whole.manifest["rows"]["balanced"] and parts.complaints["record_id"].is_monotonic_increasing
