"""Reading complaint exports: formats, encodings, Chinese headers, clear errors."""

import json

import pandas as pd
import pytest

from minetools.io import InputError, read_complaints, write_csv

ROWS = pd.DataFrame({
    "投诉编号": ["A1", "A2", "A3"],
    "投诉内容": ["排队等了一个小时", "柜员态度很差，把卡扔回来", "手机银行闪退"],
    "满意度": ["2", "1", "3"],
    "受理时间": ["2024-03-05 14:22", "2024/3/6", "2024年3月7日"],
    "网点": ["城东支行", "城西支行", "城东支行"],
})


def _write(df, path, fmt, encoding="utf-8"):
    if fmt == "csv":
        path.write_bytes(df.to_csv(index=False).encode(encoding))
    elif fmt == "tsv":
        path.write_bytes(df.to_csv(index=False, sep="\t").encode(encoding))
    elif fmt == "xlsx":
        df.to_excel(path, index=False)
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    elif fmt == "jsonl":
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in df.to_dict("records")), encoding="utf-8")


@pytest.mark.parametrize("fmt, suffix, encoding", [
    ("csv", ".csv", "utf-8"), ("csv", ".csv", "utf-8-sig"), ("csv", ".csv", "gbk"),
    ("csv", ".csv", "gb18030"), ("csv", ".csv", "utf-16"), ("tsv", ".tsv", "utf-8"),
    ("xlsx", ".xlsx", None), ("parquet", ".parquet", None), ("jsonl", ".jsonl", None),
])
def test_every_format_and_encoding_reads_to_the_same_table(tmp_path, fmt, suffix, encoding):
    path = tmp_path / f"export{suffix}"
    _write(ROWS, path, fmt, encoding or "utf-8")
    df = read_complaints(path)
    assert list(df.columns) == list(ROWS.columns)          # original columns untouched
    assert df["投诉内容"].tolist() == ROWS["投诉内容"].tolist()
    assert df.attrs["minetools"]["columns"]["text"] == "投诉内容"
    assert df.attrs["minetools"]["columns"]["satisfaction"] == "满意度"
    assert df.attrs["minetools"]["columns"]["date"] == "受理时间"
    assert df.attrs["minetools"]["columns"]["branch"] == "网点"


def test_gbk_bytes_are_read_as_gb18030(tmp_path):
    path = tmp_path / "gbk.csv"
    _write(ROWS, path, "csv", "gbk")
    assert read_complaints(path).attrs["minetools"]["encoding"] == "gb18030"


def test_explicit_flags_override_header_mapping(tmp_path):
    df = ROWS.rename(columns={"投诉内容": "备注"}).assign(内容="x")
    path = tmp_path / "a.csv"
    _write(df, path, "csv")
    assert read_complaints(path, text_col="备注").attrs["minetools"]["columns"]["text"] == "备注"


def test_missing_file_error_names_the_path(tmp_path):
    with pytest.raises(InputError, match="not found: .*nope.csv"):
        read_complaints(tmp_path / "nope.csv")


def test_unsupported_format_error_lists_supported_types(tmp_path):
    path = tmp_path / "a.docx"
    path.write_text("x")
    with pytest.raises(InputError, match=r"\.xlsx"):
        read_complaints(path)


def test_no_text_column_error_lists_columns_and_the_flag(tmp_path):
    path = tmp_path / "a.csv"
    _write(pd.DataFrame({"甲": ["1"], "乙": ["2"]}), path, "csv")
    with pytest.raises(InputError, match="甲, 乙.*--text-col"):
        read_complaints(path)


def test_unknown_explicit_column_is_an_error(tmp_path):
    path = tmp_path / "a.csv"
    _write(ROWS, path, "csv")
    with pytest.raises(InputError, match="--score-col"):
        read_complaints(path, score_col="评分X")


def test_entirely_empty_text_column_is_an_error(tmp_path):
    path = tmp_path / "a.csv"
    _write(ROWS.assign(投诉内容=""), path, "csv")
    with pytest.raises(InputError, match="empty in every row"):
        read_complaints(path)


def test_write_csv_neutralises_formula_cells_and_opens_in_excel(tmp_path):
    path = tmp_path / "o.csv"
    write_csv(pd.DataFrame({"text": ["=HYPERLINK(1)", "+1", "正常"], "effect": [-0.5, 0.1, 0.2]}), path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["text"].tolist() == ["'=HYPERLINK(1)", "'+1", "正常"]
    assert back["effect"].tolist() == [-0.5, 0.1, 0.2]   # numbers are not touched
