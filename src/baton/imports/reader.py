"""Streaming reader for tabular lead files: CSV (any size, memory flat) and XLSX (openpyxl read-only).

``open_table(path)`` checks the file and reads its header row at once, so a file that cannot be imported
at all fails early with one clear ``ImportFileError``. ``Table.rows()`` then yields one ``Row`` per data
row, lazily, reopening the file on each call: a good row has ``problem is None``; a row that must not be
imported as it stands carries a ``RowProblem`` with its line number and the reason, so the import can report
every rejected row instead of silently truncating or dropping data.

Memory stays flat whatever the number of rows. For XLSX, openpyxl holds the workbook's table of shared
strings (each distinct text once) in memory, as any XLSX reader must; and a sheet that does not store its
dimensions (Excel always does; openpyxl's write-only mode does not) is parsed once, briefly, on opening.

Line numbers are what a person finds in the file: the physical line where a CSV record starts (a quoted
cell spanning lines counts every line) and the sheet row of an XLSX file. Blank rows are skipped.

CSV text encoding, unless given: a byte-order mark decides (UTF-8 or UTF-16); otherwise the whole file is
checked (in chunks) as UTF-8, then as GB18030 (a superset of GBK, what Chinese Excel writes for "CSV").
A file that is valid UTF-8 is read as UTF-8. Anything else is refused with a message that says how to
save the file; callers can name the encoding (e.g. ``cp1252``) explicitly. The delimiter is sniffed from
the header row (comma, semicolon or tab) unless given.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from baton.core.errors import InvalidInput

DEFAULT_MAX_CELL_LENGTH = 64 * 1024
"""Cells longer than this (in characters) make their row a problem; ``open_table`` can change it."""

CSV_FIELD_LIMIT = 64 * 1024 * 1024
"""The longest CSV cell the parser accepts at all (characters); a longer one makes the file unreadable."""

DELIMITERS = (",", ";", "\t")
"""Delimiters tried when sniffing, in order of preference when they tie."""

_CHUNK = 1 << 20
_SNIFF_CHARS = 64 * 1024
# Non-ASCII bytes of valid UTF-8 seen before an invalid byte that make the file UTF-8 with a bad byte
# rather than a GBK file whose first characters happened to look like UTF-8.
_UTF8_EVIDENCE = 32
_ASCII = bytes(range(128))
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_HEADER_JUNK = "\ufeff\u200b\u200c\u200d\u2060"
_SAVE_AS_HINT = 'save it from Excel as "CSV UTF-8" or as .xlsx'


class ImportFileError(InvalidInput):
    """The file as a whole cannot be imported (unreadable, empty, bad header row). The message says why."""

    code = "invalid_import_file"


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why the row starting at ``line`` cannot be imported as it stands."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(slots=True)
class Row:
    """One data row: its line in the file and its cells by header.

    ``values`` has every header as a key (missing trailing cells are ""). When ``problem`` is set the row
    must not be imported; ``values`` then holds what could be read (without oversized cells), for reports.
    """

    line: int
    values: dict[str, str]
    problem: RowProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class Table:
    """An opened lead file: its header row and how to read it. ``rows()`` streams the data rows."""

    path: Path
    format: Literal["csv", "xlsx"]
    headers: list[str]
    header_line: int
    encoding: str | None = None  # csv only: the Python codec name, e.g. "utf-8", "utf-8-sig", "gb18030"
    delimiter: str | None = None  # csv only
    sheet: str | None = None  # xlsx only: the sheet's title
    max_cell_length: int = DEFAULT_MAX_CELL_LENGTH

    def rows(self) -> Iterator[Row]:
        """Yield every non-blank data row after the header, lazily (the file is reopened on each call)."""
        if self.format == "csv":
            records = _csv_records(self.path, self.encoding or "utf-8", self.delimiter or ",")
        else:
            records = _xlsx_records(self.path, self.sheet)
        return _rows(records, self.headers, self.header_line, self.max_cell_length)


def open_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    max_cell_length: int = DEFAULT_MAX_CELL_LENGTH,
) -> Table:
    """Open a CSV or XLSX file (told apart by content, not name) and read its header row.

    ``encoding`` and ``delimiter`` (CSV) override detection; ``sheet`` (XLSX) names the sheet to read,
    by default the first one. Raises ``ImportFileError`` when the file cannot be imported at all.
    """
    path = Path(path)
    if max_cell_length < 1:
        raise ValueError("max_cell_length must be positive")
    if delimiter is not None and len(delimiter) != 1:
        raise ValueError("delimiter must be one character")
    if not path.is_file():
        raise ImportFileError(f"no such file: {path}")
    if path.stat().st_size == 0:
        raise ImportFileError("the file is empty")
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(_OLE2_MAGIC):
        raise ImportFileError(
            "this is an Excel 97-2003 (.xls) or password-protected workbook, which cannot be read; "
            + _SAVE_AS_HINT
        )
    if head.startswith(_ZIP_MAGIC):
        return _open_xlsx(path, sheet, max_cell_length)
    return _open_csv(path, encoding, delimiter, max_cell_length)


# --- CSV -------------------------------------------------------------------------------------------------


def _open_csv(path: Path, encoding: str | None, delimiter: str | None, max_cell_length: int) -> Table:
    if encoding is None:
        encoding = detect_encoding(path)
    else:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ImportFileError(f"unknown text encoding: {encoding}")
    if delimiter is None:
        delimiter = sniff_delimiter(path, encoding)
    records = _csv_records(path, encoding, delimiter)
    try:
        first = _first_record(records)
    finally:
        records.close()
    if first is None:
        raise ImportFileError("the file is empty")
    line, cells = first
    return Table(
        path=path,
        format="csv",
        headers=_headers(cells, line),
        header_line=line,
        encoding=encoding,
        delimiter=delimiter,
        max_cell_length=max_cell_length,
    )


def detect_encoding(path: str | Path) -> str:
    """The Python codec to read a CSV file with (see the module's docstring), or ``ImportFileError``."""
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(codecs.BOM_UTF8):
        if not _scan(path, "utf-8-sig").ok:
            raise ImportFileError(
                f"line {_bad_line(path, 'utf-8-sig')}: the file is marked as UTF-8 but is not valid UTF-8; "
                + _SAVE_AS_HINT
            )
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode Text"; the codec reads the mark
    if b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even * 8 < odd:
            return "utf-16-le"
        if even > len(head) // 4 and odd * 8 < even:
            return "utf-16-be"
        raise ImportFileError(
            "the file is neither a CSV text file nor an Excel workbook (it holds binary data)"
        )
    utf8 = _scan(path, "utf-8")
    if utf8.ok:
        return "utf-8"
    if utf8.evidence >= _UTF8_EVIDENCE:
        raise ImportFileError(
            f"line {_bad_line(path, 'utf-8')}: the file is UTF-8 but has an invalid byte there "
            "(is the file damaged, or were two files joined?)"
        )
    if _scan(path, "gb18030").ok:
        return "gb18030"
    raise ImportFileError(
        f"line {_bad_line(path, 'utf-8')}: cannot tell the file's text encoding: it is neither UTF-8 nor "
        f"GBK/GB18030; {_SAVE_AS_HINT}, or name its encoding"
    )


@dataclass(frozen=True, slots=True)
class _Scan:
    ok: bool
    evidence: int  # non-ASCII bytes decoded before the first invalid byte


def _scan(path: Path, encoding: str) -> _Scan:
    """Decode the whole file in chunks (memory flat) and say whether it is valid in ``encoding``."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    evidence = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                good = exc.object[: exc.start]
                return _Scan(False, evidence + len(good.translate(None, _ASCII)))
            evidence += len(chunk.translate(None, _ASCII))
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return _Scan(False, evidence)
    return _Scan(True, evidence)


def _bad_line(path: Path, encoding: str) -> int:
    """The first line that does not decode (UTF-8 and GB18030 never use the byte \\n inside a character)."""
    number = 0
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                line.decode(encoding if number == 1 else encoding.removesuffix("-sig"))
            except UnicodeDecodeError:
                return number
    return max(number, 1)


def sniff_delimiter(path: str | Path, encoding: str) -> str:
    """Comma, semicolon or tab: whichever splits the header row into the most columns (comma on a tie)."""
    with Path(path).open(encoding=encoding, errors="replace", newline="") as f:
        sample = f.read(_SNIFF_CHARS)
    best, best_count = DELIMITERS[0], 0
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
        try:
            header = next((cells for cells in reader if _has_data(cells)), [])
        except csv.Error:
            continue
        if not any(ch.isalnum() for cell in header for ch in cell):
            continue  # a "header" of stray punctuation (e.g. " , ," split on ";") is no header
        if len(header) > best_count:
            best, best_count = delimiter, len(header)
    return best


def _csv_records(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for every record, blank ones included."""
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)  # process-wide; the default (128 KiB) is far too small
    with path.open(encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        end = 0
        while True:
            start = end + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if "field limit" in str(exc):
                    raise ImportFileError(
                        f"line {start}: a cell is longer than {CSV_FIELD_LIMIT:,} characters, so the file "
                        "cannot be read (is a quote missing its closing quote?)"
                    ) from None
                raise ImportFileError(f"line {start}: the CSV cannot be read: {exc}") from None
            except UnicodeDecodeError:
                raise ImportFileError(
                    f"line {start} or just after: the file is not valid {encoding} text; {_SAVE_AS_HINT}"
                ) from None
            end = reader.line_num
            yield start, cells


# --- XLSX ------------------------------------------------------------------------------------------------


def _open_xlsx(path: Path, sheet: str | None, max_cell_length: int) -> Table:
    with _workbook(path) as workbook:
        title = _pick_sheet(workbook, sheet).title
    records = _xlsx_records(path, title)
    try:
        first = _first_record(records)
    finally:
        records.close()
    if first is None:
        raise ImportFileError(f'the file is empty (the sheet "{title}" has no data)')
    line, cells = first
    return Table(
        path=path,
        format="xlsx",
        headers=_headers(cells, line),
        header_line=line,
        sheet=title,
        max_cell_length=max_cell_length,
    )


@contextmanager
def _workbook(path: Path):
    import openpyxl  # imported here: CSV imports never pay for it

    # A file object, not the path: openpyxl refuses paths whose name does not end in .xlsx.
    with path.open("rb") as f:
        try:
            # read_only streams the sheet; data_only gives formulas' cached values (what Excel last showed).
            workbook = openpyxl.load_workbook(f, read_only=True, data_only=True)
        except Exception as exc:  # a damaged or foreign zip file fails in many ways inside openpyxl
            raise ImportFileError(
                f"the file is not a readable Excel workbook (.xlsx) ({type(exc).__name__}: {exc}); "
                "save it as .xlsx or CSV UTF-8"
            ) from exc
        try:
            yield workbook
        finally:
            workbook.close()


def _pick_sheet(workbook, name: str | None):
    sheets = workbook.worksheets
    if name is None:
        if not sheets:
            raise ImportFileError("the workbook has no worksheet")
        return sheets[0]
    for ws in sheets:
        if ws.title == name:
            return ws
    available = ", ".join(f'"{ws.title}"' for ws in sheets)
    raise ImportFileError(f'the workbook has no sheet named "{name}"; its sheets are: {available}')


def _xlsx_records(path: Path, sheet: str | None) -> Iterator[tuple[int, list[str]]]:
    """(sheet row number, cells as text) for every row the sheet stores."""
    with _workbook(path) as workbook:
        ws = _pick_sheet(workbook, sheet)
        rows = _sheet_rows(workbook, ws)
        number = 0
        while True:
            try:
                number, cells = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # damaged XML inside the workbook
                raise ImportFileError(
                    f"row {number + 1} or just after: the workbook cannot be read "
                    f"({type(exc).__name__}: {exc})"
                ) from exc
            if not cells:
                continue
            texts = [""] * max(cell["column"] for cell in cells)
            for cell in cells:
                texts[cell["column"] - 1] = cell_text(cell["value"])
            yield number, texts


def _sheet_rows(workbook, ws) -> Iterator[tuple[int, list[dict]]]:
    """The sheet's stored rows as openpyxl parses them: (row number, [{"column": n, "value": v}, ...]).

    openpyxl's own read-only iteration keeps an emptied XML element (and any row's height attributes) for
    every row it has read, some 80 bytes a row; this loop reuses its cell parser (types, shared strings,
    dates, cached formula values) and lets each row go once read, so memory stays flat. It relies on
    openpyxl internals, which is why the dependency is pinned; the reader's tests cover it.
    """
    from openpyxl.worksheet._reader import ROW_TAG, WorkSheetParser
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    data_tag = f"{{{SHEET_MAIN_NS}}}sheetData"
    with ws._get_source() as source:
        parser = WorkSheetParser(
            source,
            ws._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        sheet_data = None
        for event, element in iterparse(source, events=("start", "end")):
            if event == "start":
                if element.tag == data_tag:
                    sheet_data = element
            elif element.tag == ROW_TAG:
                number, cells = parser.parse_row(element)
                parser.row_dimensions.clear()
                element.clear()
                if sheet_data is not None:
                    sheet_data.remove(element)
                yield number, cells


def cell_text(value: object) -> str:
    """A spreadsheet value as the text a person sees, without float artefacts.

    None → ""; booleans → "true"/"false"; 13800138000.0 → "13800138000"; 0.1 + 0.2 → "0.3" (Excel's
    15 significant digits); dates → "2024-05-01"; datetimes → "2024-05-01T09:30:00" (a datetime at
    midnight → the date alone, as Excel stores dates as midnight); times → "09:30:00".
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        text = format(Decimal(format(value, ".15g")), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
        return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)


# --- shared ----------------------------------------------------------------------------------------------


def _has_data(cells: list[str]) -> bool:
    return any(cell.strip() for cell in cells)


def _first_record(records: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
    for line, cells in records:
        if _has_data(cells):
            return line, cells
    return None


def column_label(index: int) -> str:
    """'column 3 (C)' for the 0-based index 2."""
    number, letters = index + 1, ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return f"column {index + 1} ({letters})"


def _clean_header(cell: str) -> str:
    name = cell
    while True:
        cleaner = name.strip().strip(_HEADER_JUNK)
        if cleaner == name:
            return name
        name = cleaner


def _headers(cells: list[str], line: int) -> list[str]:
    names = [_clean_header(c) for c in cells]
    while names and not names[-1]:
        names.pop()  # trailing blank header cells are a spreadsheet artefact, not columns
    blank = [column_label(i) for i, name in enumerate(names) if not name]
    if blank:
        raise ImportFileError(
            f"line {line}: the header row has no name for {_join(blank)}; give every column a name"
        )
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        seen.setdefault(name.casefold(), []).append(i)
    duplicated = [positions for positions in seen.values() if len(positions) > 1]
    if duplicated:
        parts = [
            f'"{names[positions[0]]}" ({_join([column_label(i) for i in positions])})'
            for positions in duplicated
        ]
        raise ImportFileError(
            f"line {line}: the header row names a column more than once: {'; '.join(parts)}; "
            "rename or remove the duplicates"
        )
    return names


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _rows(
    records: Iterator[tuple[int, list[str]]], headers: list[str], header_line: int, max_cell_length: int
) -> Iterator[Row]:
    width = len(headers)
    for line, cells in records:
        if line <= header_line or not _has_data(cells):
            continue
        reasons = []
        if len(cells) > width:
            last = len(cells) - 1
            while last >= width and not cells[last].strip():
                last -= 1
            if last >= width:
                reasons.append(
                    f"the row has {last + 1} cells but the header row names {width} columns "
                    f"(a value in {column_label(last)} has no column; is a delimiter or quote out of place?)"
                )
            cells = cells[:width]
        elif len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        values = dict(zip(headers, cells, strict=True))
        if max(map(len, cells)) > max_cell_length:
            for name, cell in zip(headers, cells, strict=True):
                if len(cell) > max_cell_length:
                    del values[name]
                    reasons.append(
                        f'the value in column "{name}" is {len(cell):,} characters long; '
                        f"the limit is {max_cell_length:,}"
                    )
        yield Row(line, values, RowProblem(line, "; ".join(reasons)) if reasons else None)
