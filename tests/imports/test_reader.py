import csv
import datetime as dt
import io
import re
import tracemalloc
import unicodedata
import zipfile
from itertools import islice
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from baton.imports import reader
from baton.imports.reader import ImportFileError, Row, RowProblem, cell_text, open_table


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def read_all(table) -> list[Row]:
    return list(table.rows())


def good(rows: list[Row]) -> list[tuple[int, dict[str, str]]]:
    return [(row.line, row.values) for row in rows if row.ok]


# --- encodings -------------------------------------------------------------------------------------------


def test_plain_utf8_csv(tmp_path):
    path = write(
        tmp_path / "leads.csv", "Name,Email,Company\r\n王伟,wang@example.cn,示例科技\r\nJane,j@x.com,Acme\r\n"
    )
    table = open_table(path)
    assert (table.format, table.encoding, table.delimiter) == ("csv", "utf-8", ",")
    assert table.headers == ["Name", "Email", "Company"]
    assert table.header_line == 1
    assert good(read_all(table)) == [
        (2, {"Name": "王伟", "Email": "wang@example.cn", "Company": "示例科技"}),
        (3, {"Name": "Jane", "Email": "j@x.com", "Company": "Acme"}),
    ]


def test_utf8_with_bom_loses_the_bom(tmp_path):
    path = write(tmp_path / "leads.csv", "Name,Email\n王伟,wang@example.cn\n", "utf-8-sig")
    table = open_table(path)
    assert table.encoding == "utf-8-sig"
    assert table.headers == ["Name", "Email"]
    assert good(read_all(table)) == [(2, {"Name": "王伟", "Email": "wang@example.cn"})]


def test_chinese_excel_export_in_gbk(tmp_path):
    text = "姓名,手机,公司名称,备注\r\n王伟,13800138000,示例科技有限公司,“重点客户”\r\n李娜,13900139000,华为技术,\r\n"
    table = open_table(write(tmp_path / "leads.csv", text, "gbk"))
    assert table.encoding == "gb18030"
    assert table.headers == ["姓名", "手机", "公司名称", "备注"]
    assert good(read_all(table)) == [
        (2, {"姓名": "王伟", "手机": "13800138000", "公司名称": "示例科技有限公司", "备注": "“重点客户”"}),
        (3, {"姓名": "李娜", "手机": "13900139000", "公司名称": "华为技术", "备注": ""}),
    ]


def test_gb18030_characters_outside_gbk(tmp_path):
    text = "姓名,备注\n𠀀先生,价格€100\n"
    table = open_table(write(tmp_path / "leads.csv", text, "gb18030"))
    assert table.encoding == "gb18030"
    assert good(read_all(table)) == [(2, {"姓名": "𠀀先生", "备注": "价格€100"})]


def test_unknown_encoding_is_refused_with_advice(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes(b"Name,City\nJos\xe9,K\xf6ln\xff\n")  # cp1252; 0xFF is invalid in UTF-8 and GB18030
    with pytest.raises(ImportFileError, match=r"line 2: .*neither UTF-8 nor GBK/GB18030.*CSV UTF-8"):
        open_table(path)


def test_a_named_encoding_reads_what_detection_refuses(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes("Name,City\nJosé,Köln÷\n".encode("cp1252"))
    table = open_table(path, encoding="cp1252")
    assert good(read_all(table)) == [(2, {"Name": "José", "City": "Köln÷"})]


def test_unknown_encoding_name(tmp_path):
    with pytest.raises(ImportFileError, match="unknown text encoding: klingon"):
        open_table(write(tmp_path / "leads.csv", "a\n1\n"), encoding="klingon")


def test_a_damaged_utf8_file_is_not_mistaken_for_gbk(tmp_path):
    body = "".join(f"王伟{i},示例科技\n" for i in range(20))
    data = ("姓名,公司\n" + body).encode() + b"\xff\xfe,x\n"
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    with pytest.raises(ImportFileError, match=r"line 22: the file is UTF-8 but has an invalid byte"):
        open_table(path)


def test_bom_marked_file_with_invalid_utf8(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes(b"\xef\xbb\xbfName\nok\nbad\xff\n")
    with pytest.raises(ImportFileError, match=r"line 3: the file is marked as UTF-8 but is not valid UTF-8"):
        open_table(path)


def test_excel_unicode_text_is_utf16_with_tabs(tmp_path):
    table = open_table(write(tmp_path / "leads.txt", "Name\tPhone\n王伟\t138 0013 8000\n", "utf-16"))
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert good(read_all(table)) == [(2, {"Name": "王伟", "Phone": "138 0013 8000"})]


def test_utf16_without_bom(tmp_path):
    table = open_table(write(tmp_path / "leads.txt", "Name,Phone\nJane,123\n", "utf-16-le"))
    assert table.encoding == "utf-16-le"
    assert good(read_all(table)) == [(2, {"Name": "Jane", "Phone": "123"})]


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 4)
    with pytest.raises(ImportFileError, match="neither a CSV text file nor an Excel workbook"):
        open_table(path)


def test_old_excel_file_is_refused_with_advice(tmp_path):
    path = tmp_path / "leads.xls"
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504)
    with pytest.raises(ImportFileError, match=r"Excel 97-2003 \(\.xls\) or password-protected.*\.xlsx"):
        open_table(path)


def test_missing_file(tmp_path):
    with pytest.raises(ImportFileError, match="no such file"):
        open_table(tmp_path / "nothing.csv")


# --- delimiters ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerows([["Name", "Notes", "Size"], ["Jane", "a, b; c\td", "1,5"], ["Li", "", "2"]])
    table = open_table(write(tmp_path / "leads.csv", buffer.getvalue()))
    assert table.delimiter == delimiter
    assert good(read_all(table)) == [
        (2, {"Name": "Jane", "Notes": "a, b; c\td", "Size": "1,5"}),
        (3, {"Name": "Li", "Notes": "", "Size": "2"}),
    ]


def test_quoted_delimiters_in_the_header_do_not_fool_the_sniffer(tmp_path):
    table = open_table(write(tmp_path / "leads.csv", '"Name, full";"Size; people"\nJane;3\n'))
    assert table.delimiter == ";"
    assert table.headers == ["Name, full", "Size; people"]


def test_single_column_file_and_explicit_delimiter(tmp_path):
    path = write(tmp_path / "leads.csv", "Email\na@x.com\n")
    assert open_table(path).delimiter == ","
    table = open_table(write(tmp_path / "pipes.csv", "Name|Email\nJane|j@x.com\n"), delimiter="|")
    assert good(read_all(table)) == [(2, {"Name": "Jane", "Email": "j@x.com"})]


# --- structure: empty, header only, bad headers, ragged rows ---------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\n\n\r\n", b"  \n , ,\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "leads.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match="^the file is empty$"):
        open_table(path)


def test_header_only_file_has_no_rows(tmp_path):
    table = open_table(write(tmp_path / "leads.csv", "Name,Email\r\n\r\n,\r\n"))
    assert table.headers == ["Name", "Email"]
    assert read_all(table) == []


def test_header_after_blank_lines(tmp_path):
    table = open_table(write(tmp_path / "leads.csv", "\n\nName,Email\nJane,j@x.com\n"))
    assert table.header_line == 3
    assert good(read_all(table)) == [(4, {"Name": "Jane", "Email": "j@x.com"})]


def test_duplicate_headers_are_named(tmp_path):
    path = write(tmp_path / "leads.csv", "Email, email ,Phone,\ufeffEMAIL,Name,phone\n")
    with pytest.raises(ImportFileError) as caught:
        open_table(path)
    message = str(caught.value)
    assert message.startswith("line 1: the header row names a column more than once")
    assert '"Email" (column 1 (A), column 2 (B) and column 4 (D))' in message
    assert '"Phone" (column 3 (C) and column 6 (F))' in message


def test_headers_are_stripped_of_spaces_and_marks(tmp_path):
    table = open_table(write(tmp_path / "leads.csv", " \ufeffName\u200b ,\tEmail \nJane,j@x.com\n"))
    assert table.headers == ["Name", "Email"]


def test_blank_header_cells_are_named(tmp_path):
    with pytest.raises(
        ImportFileError, match=r"line 1: the header row has no name for column 2 \(B\) and column 4 \(D\)"
    ):
        open_table(write(tmp_path / "leads.csv", "Name,,Email, ,Phone\n"))


def test_trailing_blank_header_cells_are_ignored(tmp_path):
    table = open_table(write(tmp_path / "leads.csv", "Name,Email,,\nJane,j@x.com,,\n"))
    assert table.headers == ["Name", "Email"]
    assert good(read_all(table)) == [(2, {"Name": "Jane", "Email": "j@x.com"})]


def test_short_rows_get_empty_values(tmp_path):
    table = open_table(write(tmp_path / "leads.csv", "Name,Email,Phone\nJane\nLi,li@x.com\n"))
    assert good(read_all(table)) == [
        (2, {"Name": "Jane", "Email": "", "Phone": ""}),
        (3, {"Name": "Li", "Email": "li@x.com", "Phone": ""}),
    ]


def test_long_rows_are_problems_not_truncated(tmp_path):
    text = "Name,Email\nJane,j@x.com\nLi,li@x.com,surprise\nWu,wu@x.com,,\n"
    rows = read_all(open_table(write(tmp_path / "leads.csv", text)))
    assert [row.line for row in rows] == [2, 3, 4]
    assert rows[0].ok and rows[2].ok  # trailing empty cells hold no data
    problem = rows[1].problem
    assert isinstance(problem, RowProblem) and problem.line == 3
    assert "the row has 3 cells but the header row names 2 columns" in problem.reason
    assert "column 3 (C)" in problem.reason
    assert str(problem).startswith("line 3: ")
    assert rows[1].values == {"Name": "Li", "Email": "li@x.com"}


# --- line numbers ----------------------------------------------------------------------------------------


def test_line_numbers_count_physical_lines(tmp_path):
    text = (
        'Name,Notes\r\nJane,"one\r\ntwo\r\nthree"\r\n\r\n'  # lines 1-5
        'Li,"a\nb"\r\nWu,plain\r\n,\r\n'  # lines 6-9
        'Zhao,"x\ry"\r\nQian,end\r\n'  # lines 10-12
    )
    rows = read_all(open_table(write(tmp_path / "leads.csv", text)))
    assert [(row.line, row.values["Name"]) for row in rows] == [
        (2, "Jane"),
        (6, "Li"),
        (8, "Wu"),
        (10, "Zhao"),
        (12, "Qian"),
    ]
    assert rows[0].values["Notes"] == "one\r\ntwo\r\nthree"


# --- huge cells ------------------------------------------------------------------------------------------


def test_ten_megabyte_cell_is_a_row_problem_not_a_crash(tmp_path):
    huge = "x" * (10 * 1024 * 1024)
    text = f'Name,Notes\nJane,short\nLi,"{huge}"\nWu,"two\nlines"\nZhao,ok\n'
    path = write(tmp_path / "leads.csv", text)
    rows = read_all(open_table(path))
    assert [(row.line, row.ok) for row in rows] == [(2, True), (3, False), (4, True), (6, True)]
    assert (
        rows[1].problem.reason
        == 'the value in column "Notes" is 10,485,760 characters long; the limit is 65,536'
    )
    assert rows[1].values == {"Name": "Li"}

    roomy = read_all(open_table(path, max_cell_length=11 * 1024 * 1024))
    assert all(row.ok for row in roomy) and roomy[1].values["Notes"] == huge


def test_configurable_max_cell_length(tmp_path):
    rows = read_all(
        open_table(write(tmp_path / "leads.csv", "Name,Notes\nJane,12345\nLi,123456\n"), max_cell_length=5)
    )
    assert [row.ok for row in rows] == [True, False]
    assert rows[1].problem.reason == 'the value in column "Notes" is 6 characters long; the limit is 5'


def test_cell_beyond_the_parser_limit_stops_the_file(tmp_path, monkeypatch):
    previous = csv.field_size_limit()
    try:
        csv.field_size_limit(1000)
        monkeypatch.setattr(reader, "CSV_FIELD_LIMIT", 1000)
        path = write(tmp_path / "leads.csv", 'Name,Notes\nJane,ok\nLi,"' + "x" * 2000 + '"\n')
        table = open_table(path)
        with pytest.raises(ImportFileError, match=r"line 3: a cell is longer than 1,000 characters"):
            read_all(table)
    finally:
        csv.field_size_limit(previous)


# --- streaming -------------------------------------------------------------------------------------------


def _peak_while_reading(table) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in table.rows())
        return tracemalloc.get_traced_memory()[1], count
    finally:
        tracemalloc.stop()


def _csv_of(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Name", "Email", "Company", "Notes"])
        for i in range(n):
            writer.writerow([f"王伟{i}", f"lead{i}@example.cn", "示例科技有限公司", "备注 " * 10])
    return path


def test_csv_memory_is_flat(tmp_path):
    small_peak, small = _peak_while_reading(open_table(_csv_of(tmp_path / "small.csv", 2_000)))
    big_peak, big = _peak_while_reading(open_table(_csv_of(tmp_path / "big.csv", 100_000)))
    assert (small, big) == (2_000, 100_000)
    assert (tmp_path / "big.csv").stat().st_size > 9_000_000
    assert big_peak < small_peak + 300_000, (small_peak, big_peak)


def test_rows_are_lazy_and_repeatable(tmp_path):
    table = open_table(_csv_of(tmp_path / "leads.csv", 1_000))
    first = list(islice(table.rows(), 2))
    assert [row.line for row in first] == [2, 3]
    assert len(read_all(table)) == len(read_all(table)) == 1_000


# --- XLSX ------------------------------------------------------------------------------------------------


def save(workbook: openpyxl.Workbook, path: Path, cached: dict[str, tuple[str, str]] | None = None) -> Path:
    """Save; ``cached`` gives formula cells the value Excel would have stored ({"C2": ("n", "42")})."""
    workbook.save(path)
    if cached:
        with zipfile.ZipFile(path) as z:
            parts = {name: z.read(name) for name in z.namelist()}
        xml = parts["xl/worksheets/sheet1.xml"].decode()
        for ref, (kind, value) in cached.items():
            xml, count = re.subn(
                rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/>',
                rf'<c r="{ref}" t="{kind}"><f>\2</f><v>{value}</v>',
                xml,
            )
            assert count == 1, ref
        parts["xl/worksheets/sheet1.xml"] = xml.encode()
        with zipfile.ZipFile(path, "w") as z:
            for name, data in parts.items():
                z.writestr(name, data)
    return path


def workbook_of(rows: list[list]) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    for row in rows:
        ws.append(row)
    return wb


def test_xlsx_values_become_the_text_a_person_sees(tmp_path):
    wb = workbook_of(
        [
            ["Name", "Phone", "Size", "Opt out", "Created", "Met", "Score", "Double", "Label", "Ratio"],
            ["王伟", 13800138000, 13800138000.0, True, dt.datetime(2026, 11, 2, 9, 30), dt.date(2026, 11, 3)],
            ["Li", "0086 138", 1e16, False, dt.datetime(2026, 11, 2), dt.time(14, 5)],
        ]
    )
    ws = wb.active
    ws["G2"], ws["H2"], ws["I2"], ws["J2"] = "=C2/1000", "=G2*2", '="id-"&B2', 0.1 + 0.2
    ws["G3"] = "=1/0"
    path = save(
        wb,
        tmp_path / "leads.xlsx",
        cached={
            "G2": ("n", "13800138"),
            "H2": ("n", "27600276"),
            "I2": ("str", "id-13800138000"),
            "G3": ("e", "#DIV/0!"),
        },
    )
    table = open_table(path)
    assert (table.format, table.sheet, table.encoding, table.header_line) == ("xlsx", "Leads", None, 1)
    rows = read_all(table)
    assert good(rows) == [
        (
            2,
            {
                "Name": "王伟",
                "Phone": "13800138000",
                "Size": "13800138000",
                "Opt out": "true",
                "Created": "2026-11-02T09:30:00",
                "Met": "2026-11-03",
                "Score": "13800138",
                "Double": "27600276",
                "Label": "id-13800138000",
                "Ratio": "0.3",
            },
        ),
        (
            3,
            {
                "Name": "Li",
                "Phone": "0086 138",
                "Size": "10000000000000000",
                "Opt out": "false",
                "Created": "2026-11-02",
                "Met": "14:05:00",
                "Score": "#DIV/0!",
                "Double": "",
                "Label": "",
                "Ratio": "",
            },
        ),
    ]


def test_formula_without_cached_value_reads_empty(tmp_path):
    # openpyxl itself writes no cached values; Excel and LibreOffice do when they save.
    wb = workbook_of([["Name", "Total"], ["Jane", "=1+1"]])
    assert good(read_all(open_table(save(wb, tmp_path / "leads.xlsx")))) == [
        (2, {"Name": "Jane", "Total": ""})
    ]


def test_xlsx_table_not_in_column_a(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B3"], ws["C3"] = "Name", "Email"
    ws["B4"], ws["C4"] = "Jane", "j@x.com"
    with pytest.raises(ImportFileError, match=r"^line 3: the header row has no name for column 1 \(A\)"):
        open_table(save(wb, tmp_path / "leads.xlsx"))


def test_xlsx_header_not_in_first_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A3"], ws["B3"] = "Name", "Email"
    ws["A4"], ws["B4"] = "Jane", "j@x.com"
    ws["A7"] = "Li"
    ws["C9"] = "stray"
    table = open_table(save(wb, tmp_path / "leads.xlsx"))
    assert table.header_line == 3
    rows = read_all(table)
    assert [(row.line, row.ok) for row in rows] == [(4, True), (7, True), (9, False)]
    assert rows[1].values == {"Name": "Li", "Email": ""}
    assert "column 3 (C)" in rows[2].problem.reason


def test_xlsx_wrong_dimensions_still_read_everything(tmp_path):
    path = save(
        workbook_of([["Name", "Email"], ["Jane", "j@x.com"], ["Li", "li@x.com"]]), tmp_path / "leads.xlsx"
    )
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = re.sub(
        rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:A1"/>', parts["xl/worksheets/sheet1.xml"]
    )
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    table = open_table(path)
    assert table.headers == ["Name", "Email"]
    assert good(read_all(table)) == [
        (2, {"Name": "Jane", "Email": "j@x.com"}),
        (3, {"Name": "Li", "Email": "li@x.com"}),
    ]


def test_xlsx_sheet_choice(tmp_path):
    wb = workbook_of([["Notes"], ["read me"]])
    other = wb.create_sheet("Leads 2026")
    other.append(["Name"])
    other.append(["Jane"])
    path = save(wb, tmp_path / "leads.xlsx")
    assert open_table(path).headers == ["Notes"]
    table = open_table(path, sheet="Leads 2026")
    assert table.sheet == "Leads 2026"
    assert good(read_all(table)) == [(2, {"Name": "Jane"})]
    with pytest.raises(
        ImportFileError, match='no sheet named "Missing"; its sheets are: "Leads", "Leads 2026"'
    ):
        open_table(path, sheet="Missing")


def test_xlsx_empty_sheet(tmp_path):
    with pytest.raises(ImportFileError, match='^the file is empty \\(the sheet "Sheet" has no data\\)$'):
        open_table(save(openpyxl.Workbook(), tmp_path / "leads.xlsx"))


def test_xlsx_header_only(tmp_path):
    table = open_table(save(workbook_of([["Name", "Email"], [None, None]]), tmp_path / "leads.xlsx"))
    assert read_all(table) == []


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["Name", "NAME "], r'names a column more than once: "Name" \(column 1 \(A\) and column 2 \(B\)\)'),
        (["Name", None, "Email"], r"no name for column 2 \(B\)"),
    ],
)
def test_xlsx_bad_headers(tmp_path, header, message):
    with pytest.raises(ImportFileError, match=message):
        open_table(save(workbook_of([header, ["x", "y", "z"]]), tmp_path / "leads.xlsx"))


def test_xlsx_numeric_header_and_long_cells(tmp_path):
    path = save(workbook_of([["Name", 2026], ["Jane", "x" * 20], ["Li", "short"]]), tmp_path / "leads.xlsx")
    table = open_table(path, max_cell_length=10)
    assert table.headers == ["Name", "2026"]
    rows = read_all(table)
    assert rows[0].problem == RowProblem(
        2, 'the value in column "2026" is 20 characters long; the limit is 10'
    )
    assert rows[1].ok


def test_format_is_told_by_content_not_name(tmp_path):
    xlsx_named_csv = save(workbook_of([["Name"], ["Jane"]]), tmp_path / "export.csv")
    assert open_table(xlsx_named_csv).format == "xlsx"
    csv_named_xlsx = write(tmp_path / "export.xlsx", "Name\nJane\n")
    assert open_table(csv_named_xlsx).format == "csv"


def test_damaged_xlsx(tmp_path):
    path = tmp_path / "leads.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(ImportFileError, match=r"not a readable Excel workbook \(\.xlsx\)"):
        open_table(path)


def test_xlsx_memory_is_flat(tmp_path):
    def book(name: str, n: int) -> Path:
        # Not write_only: that mode stores no sheet dimensions, and for such a sheet openpyxl parses the
        # whole sheet once while opening it (memory back to flat afterwards). Excel always stores them.
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["Name", "Phone", "Company", "Created", "Score"])
        # Distinct texts live in the shared-strings table, which openpyxl loads whole: keep it small.
        for i in range(n):
            ws.append([f"王伟{i % 50}", 13800138000 + i, "示例科技有限公司", dt.date(2026, 1, 1), i / 7])
        path = tmp_path / name
        wb.save(path)
        return path

    small_peak, small = _peak_while_reading(open_table(book("small.xlsx", 1_000)))
    big_peak, big = _peak_while_reading(open_table(book("big.xlsx", 10_000)))
    assert (small, big) == (1_000, 10_000)
    assert big_peak < small_peak + 300_000, (small_peak, big_peak)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("  as is ", "  as is "),
        (True, "true"),
        (False, "false"),
        (13800138000, "13800138000"),
        (13800138000.0, "13800138000"),
        (-0.0, "0"),
        (0.1 + 0.2, "0.3"),
        (12.5, "12.5"),
        (1e-5, "0.00001"),
        (1234567890123456789.0, "1234567890123460000"),
        (float("nan"), ""),
        (dt.datetime(2026, 11, 2, 0, 0), "2026-11-02"),
        (dt.datetime(2026, 11, 2, 9, 30, 15), "2026-11-02T09:30:15"),
        (dt.datetime(2026, 11, 2, 9, 30, 15, 250000), "2026-11-02T09:30:15.250"),
        (dt.date(2026, 11, 2), "2026-11-02"),
        (dt.time(9, 5), "09:05:00"),
        (dt.timedelta(hours=26, minutes=3), "26:03:00"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


# --- property: what csv.writer writes, the reader reads back ---------------------------------------------


def _gbk_ok(ch: str) -> bool:
    try:
        ch.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


GBK_CHARS = [chr(c) for c in range(1, 0x10000) if not 0xD800 <= c < 0xE000 and _gbk_ok(chr(c))]
LETTERS = ("Lu", "Ll", "Lo", "Nd")


def _line_breaks(text: str) -> int:
    return text.count("\r\n") + text.replace("\r\n", "").count("\r") + text.replace("\r\n", "").count("\n")


@st.composite
def tables(draw, encoding: str):
    if encoding == "gbk":
        chars = st.sampled_from(GBK_CHARS)
        header_chars = st.sampled_from([c for c in GBK_CHARS if unicodedata.category(c) in LETTERS])
    else:
        chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
        header_chars = st.characters(whitelist_categories=LETTERS, max_codepoint=0x9FFF)
    headers = draw(
        st.lists(
            st.text(header_chars, min_size=1, max_size=8), min_size=1, max_size=5, unique_by=str.casefold
        )
    )
    cell = st.text(chars, max_size=12) | st.sampled_from(
        ["", " ", ",", ";", "\t", '"', "a\r\nb", "\n", "\r", "王伟"]
    )
    rows = draw(st.lists(st.lists(cell, min_size=len(headers), max_size=len(headers)), max_size=8))
    return headers, rows


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_round_trip(tmp_path, encoding):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(tables(encoding))
    def check(table):
        headers, rows = table
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerows(rows)
        data = buffer.getvalue().encode(encoding)
        if encoding == "gbk" and not data.isascii():
            # GBK bytes that are also valid UTF-8 are UTF-8 to any reader (only short texts can be).
            try:
                data.decode("utf-8")
                assume(False)
            except UnicodeDecodeError as exc:
                assume(len(data[: exc.start].translate(None, bytes(range(128)))) < reader._UTF8_EVIDENCE)
        path = tmp_path / "round-trip.csv"
        path.write_bytes(data)

        opened = open_table(path)
        expected, line = [], 2
        for row in rows:
            if any(cell.strip() for cell in row):
                expected.append((line, dict(zip(headers, row, strict=True))))
            line += 1 + sum(_line_breaks(cell) for cell in row)
        assert opened.headers == headers
        assert good(read_all(opened)) == expected
        assert all(row.ok for row in opened.rows())
        if encoding == "gbk" and not data.isascii():
            assert opened.encoding == "gb18030"

    check()
