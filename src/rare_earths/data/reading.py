"""Reading a CSV file as text cells, strictly: what :func:`rare_earths.data.load.read_table` parses.

The file must be UTF-8 (a UTF-8 byte-order mark is allowed and dropped; CRLF line ends are
accepted). Anything else is one :class:`~rare_earths.data.load.Problem` naming the file, the
physical line and the column, never an exception: a file that is empty or blank, encoded as
UTF-16 or Latin-1 (a byte that is not UTF-8), a quoted field that is never closed, a row with more
or fewer cells than the header, a control character (NUL, ...) inside a cell.

Line numbers are physical lines of the file: a quoted field that spans three lines moves every
later row down by two, and :class:`CsvText` keeps each row's first line so that every problem
found later (types, ranges, cross-table rules) can name the line an editor shows.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

#: Characters that have no business in a cell: C0 controls other than tab and line ends, DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\udc80-\udcff]")


@dataclass
class CsvText:
    """The header, the rows (lists of text cells) and where each row starts in the file."""

    header: list[str] = field(default_factory=list)  # empty when the file could not be read as CSV
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # physical line of each row's first character
    problems: list = field(default_factory=list)  # Problem objects

    def line_of_row(self, index: int) -> int:
        """The physical line of data row ``index`` (0-based, the header is not a row)."""
        return self.lines[index] if 0 <= index < len(self.lines) else index + 2


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the data, located by file, CSV line and column."""

    file: str
    line: int | None  # 1-based physical line in the file (the header is line 1); None for the whole file
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        col = f" column {self.column!r}:" if self.column else ""
        return f"{where}:{col} {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message}


_problem = Problem


def _utf16(content: bytes) -> bool:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    head = content[:400]
    # UTF-16 text of ASCII letters has a NUL in every other byte.
    return len(head) >= 4 and head.count(b"\x00") >= len(head) // 3


def _undecodable(text: str) -> str:
    """The first byte that was not UTF-8, as ``0xe9``."""
    char = _SURROGATE.search(text).group()
    return f"0x{ord(char) - 0xDC00:02x}"


def read_csv_text(path: Path, file: str) -> CsvText:
    """Parse ``path`` (shown as ``file`` in problems) into a :class:`CsvText`; never raises on content."""
    try:
        content = path.read_bytes()
    except OSError as err:
        out = CsvText()
        out.problems.append(_problem(file, None, None, f"cannot read the file: {err.strerror or err}"))
        return out
    return read_csv_bytes(content, file)


def read_csv_bytes(content: bytes, file: str) -> CsvText:
    """Parse CSV ``content`` (shown as ``file`` in problems) into a :class:`CsvText`; never raises on content."""
    out = CsvText()
    if _utf16(content):
        out.problems.append(_problem(file, 1, None, "the file is encoded as UTF-16: save it as UTF-8"))
        return out
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    text = content.decode("utf-8", errors="surrogateescape")
    if not text.strip():
        out.problems.append(_problem(file, 1, None, "the file is empty: expected a header line and at least one row"))
        return out
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    records: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            if record:  # a blank line is no row
                records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as err:
        out.problems.append(_csv_error(file, text, start, records, err))
        return out
    if not records:
        out.problems.append(_problem(file, 1, None, "the file is empty: expected a header line and at least one row"))
        return out
    (_, header), *body = records
    out.header = [h.strip() for h in header]
    cell_problems: list = []
    for line, record in records:
        _check_cells(file, out.header, line, record, cell_problems)
    if cell_problems:
        # A file of another encoding, or binary, has such cells everywhere: name the first.
        first = cell_problems[0]
        more = f" (and {len(cell_problems) - 1} more cells like it)" if len(cell_problems) > 1 else ""
        out.problems.append(_problem(first.file, first.line, first.column, first.message + more))
        out.header = []  # not to be trusted either
        return out
    for line, record in body:
        if len(record) != len(header):
            out.problems.append(_problem(file, line, None, f"the row has {len(record)} cells, the header {len(header)}"))
            continue
        out.rows.append(record)
        out.lines.append(line)
    if not body:
        out.problems.append(_problem(file, 2, None, "the table has no rows, only its header: every table needs at least one"))
    return out


def _check_cells(file: str, header: list[str], line: int, record: list[str], problems: list) -> bool:
    """Undecodable bytes and control characters, each at the cell's own line and column."""
    found = False
    at = line
    for i, cell in enumerate(record):
        column = header[i] if i < len(header) else None
        if _SURROGATE.search(cell):
            problems.append(_problem(file, at + cell[:_SURROGATE.search(cell).start()].count("\n"), column,
                                     f"not UTF-8 text (byte {_undecodable(cell)}; Latin-1 or another encoding?): "
                                     "save the file as UTF-8"))
            found = True
        elif _CONTROL.search(cell):
            char = _CONTROL.search(cell).group()
            problems.append(_problem(file, at + cell[:_CONTROL.search(cell).start()].count("\n"), column,
                                     f"contains the control character U+{ord(char):04X}: remove it"))
            found = True
        at += cell.count("\n")
    return found


def _csv_error(file: str, text: str, start: int, records, err: csv.Error):
    """One problem for a CSV syntax error in the record that starts on line ``start``: the line
    and column of the cell whose opening quote is never properly closed."""
    header = records[0][1] if records else []
    offset = sum(len(line) for line in text.splitlines(keepends=True)[:start - 1])
    index, line, opened_line, at_start, quoted, i = 0, start, start, True, False, offset
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"':
                if text[i + 1:i + 2] == '"':
                    i += 1
                elif text[i + 1:i + 2] not in (",", "\n", "\r", ""):
                    break  # closed, then more text in the same cell: a stray or unclosed quote
                else:
                    quoted = False
            elif ch == "\n":
                line += 1
        elif at_start and ch == '"':
            quoted, opened_line = True, line
        elif ch == ",":
            index += 1
            at_start = True
            i += 1
            continue
        elif ch == "\n":
            break  # the record ended without a syntax error: the error is elsewhere (not expected)
        at_start = False
        i += 1
    column = header[index] if index < len(header) else None
    if quoted and i >= len(text):
        return _problem(file, opened_line, column, "a quoted cell is opened (\") and never closed: add the closing quote")
    return _problem(file, opened_line, column, "a quoted cell is closed (\") and followed by more text: quote the whole "
                    "cell and double any quote inside it (\"\")")
