"""Reading complaint exports: formats, encodings, Chinese headers, clear errors."""

import json

import pandas as pd
import pytest

from minetools.io import InputError, read_complaints, write_csv
from minetools.parse import canonical_frame, parse_dates, parse_scores

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
    elif fmt == "xls":  # Excel 97-2003, written with xlwt (pandas no longer writes .xls)
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet("投诉")
        for j, col in enumerate(df.columns):
            sheet.write(0, j, col)
            for i, value in enumerate(df[col], start=1):
                sheet.write(i, j, value)
        book.save(str(path))
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    elif fmt == "jsonl":
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in df.to_dict("records")), encoding="utf-8")


@pytest.mark.parametrize("fmt, suffix, encoding", [
    ("csv", ".csv", "utf-8"), ("csv", ".csv", "utf-8-sig"), ("csv", ".csv", "gbk"),
    ("csv", ".csv", "gb18030"), ("csv", ".csv", "utf-16"), ("tsv", ".tsv", "utf-8"),
    ("xlsx", ".xlsx", None), ("xls", ".xls", None), ("parquet", ".parquet", None), ("jsonl", ".jsonl", None),
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


@pytest.mark.parametrize("fmt, suffix, encoding", [
    ("csv", ".csv", "gbk"), ("csv", ".csv", "utf-16"), ("xlsx", ".xlsx", None), ("xls", ".xls", None),
    ("parquet", ".parquet", None), ("jsonl", ".jsonl", None), ("tsv", ".tsv", "utf-8-sig"),
])
def test_every_format_gives_the_same_canonical_table(tmp_path, fmt, suffix, encoding):
    reference = tmp_path / "ref.csv"
    _write(ROWS, reference, "csv")
    expected = canonical_frame(read_complaints(reference))
    path = tmp_path / f"export{suffix}"
    _write(ROWS, path, fmt, encoding or "utf-8")
    got = canonical_frame(read_complaints(path))
    pd.testing.assert_frame_equal(got, expected)
    assert got["score"].tolist() == [2.0, 1.0, 3.0]
    assert got["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-05", "2024-03-06", "2024-03-07"]


@pytest.mark.parametrize("value, expected", [
    ("2024-03-05 14:22", "2024-03-05 14:22"), ("2024/3/5", "2024-03-05 00:00"), ("2024年3月5日", "2024-03-05 00:00"),
    ("2024年3月5日 9:05", "2024-03-05 09:05"), ("2024.03.05", "2024-03-05 00:00"), ("20240305", "2024-03-05 00:00"),
    ("45356", "2024-03-05 00:00"), ("45356.5", "2024-03-05 12:00"),
])
def test_parse_dates_reads_the_forms_exports_use(value, expected):
    dates, issues = parse_dates(pd.Series([value]))
    assert dates[0].strftime("%Y-%m-%d %H:%M") == expected and pd.isna(issues[0])


def test_unparseable_dates_are_flagged_and_blanks_are_not():
    dates, issues = parse_dates(pd.Series(["不详", "", None, "2024-13-45"]))
    assert dates.isna().all()
    # the issue says how the value looks, never what it is (it may hold personal data)
    assert issues[0] == "unparseable date '字字'" and pd.isna(issues[1]) and pd.isna(issues[2])
    assert issues[3] == "unparseable date '9999-99-99'"
    assert issues[3].startswith("unparseable date")


@pytest.mark.parametrize("values, scale, expected", [
    (["1", "3", "5"], "1-5", [1.0, 3.0, 5.0]),
    (["1", "10", "8"], "1-10", [1.0, 5.0, 1 + 4 * 7 / 9]),
    (["0", "10", "5"], "0-10", [1.0, 5.0, 3.0]),
    (["0", "100", "75"], "0-100", [1.0, 5.0, 4.0]),
    (["非常满意", "基本满意", "非常不满意"], "1-5", [5.0, 3.0, 1.0]),
    (["满意", "不满意", "满意"], "binary", [5.0, 1.0, 5.0]),
    (["5分", "4", "2"], "1-5", [5.0, 4.0, 2.0]),
])
def test_parse_scores_detects_the_scale_and_maps_to_1_to_5(values, scale, expected):
    scores, issues, used = parse_scores(pd.Series(values))
    assert used == scale
    assert scores.tolist() == pytest.approx(expected)
    assert issues.isna().all()


def test_a_stray_typo_does_not_change_the_detected_scale():
    scores, issues, used = parse_scores(pd.Series(["4"] * 60 + ["7"]))
    assert used == "1-5" and pd.isna(scores.iloc[-1]) and "outside the 1-5 scale" in issues.iloc[-1]


def test_scores_that_cannot_be_read_are_flagged_not_silently_missing():
    scores, issues, _ = parse_scores(pd.Series(["3", "未回访", "很好吧", "", "9"]), scale="1-5")
    assert scores[0] == 3 and scores[1:].isna().all()
    assert issues[1] == "no survey response (未回访)"
    assert issues[2] == "unparseable satisfaction '字字字'"  # its shape, never the value itself
    assert pd.isna(issues[3])
    assert issues[4] == "outside the 1-5 scale (9)"


def test_stated_scale_overrides_detection():
    scores, _, used = parse_scores(pd.Series(["1", "2", "3"]), scale="1-10")
    assert used == "1-10" and scores.tolist() == pytest.approx([1.0, 1 + 4 / 9, 1 + 8 / 9])


def test_workbook_sheet_with_complaints_is_found_and_named(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"说明": ["导出说明"]}).to_excel(writer, sheet_name="说明", index=False)
        ROWS.to_excel(writer, sheet_name="投诉明细", index=False)
    df = read_complaints(path)
    assert df.attrs["minetools"]["sheet"] == "投诉明细" and len(df) == 3
    with pytest.raises(InputError, match="Sheets: 说明, 投诉明细"):
        read_complaints(path, sheet="汇总")


def test_bad_jsonl_line_is_named(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"投诉内容": "排队太久"}\n{"投诉内容": 坏\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):
        read_complaints(path)


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


@pytest.mark.parametrize("header, role", [
    ("回访满意度", "satisfaction"), ("客户评价结果", "satisfaction"), ("投诉内容摘要", "text"),
    ("来电时间", "date"), ("所属网点名称", "branch"), ("进线渠道", "channel"),
])
def test_headers_containing_a_role_word_are_recognised(tmp_path, header, role):
    df = pd.DataFrame({"备注": ["x"], header: ["4"]})
    if role != "text":
        df["投诉描述"] = ["排队太久"]
    path = tmp_path / "h.csv"
    _write(df, path, "csv")
    assert read_complaints(path).attrs["minetools"]["columns"][role] == header
