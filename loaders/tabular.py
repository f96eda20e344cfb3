"""Read users' tables (CSV, TSV, Excel, JSON, YAML) as rows of text, each with its position.

Every reader returns the same thing: the column names and the rows, each row a mapping
from column name to text (empty cells are absent) with the line (CSV, TSV), row (Excel)
or record number (JSON, YAML) that error reports name. Nothing is dropped: a row the
reader cannot split into the header's columns is returned with its problem, for the
loader to quarantine.

CSV and TSV files may be UTF-8 (with or without a byte-order mark) or GB18030, the
superset of GBK and GB2312 that Chinese enterprise databases export: a file that is not
valid UTF-8 is read as GB18030 if it is valid GB18030, else rejected. Lines starting
with ``#`` before the header are comments (templates use them to document columns).

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "orgs.csv"
>>> _ = path.write_bytes("# a comment\\nname_zh,code\\n上虞公司,330604\\n".encode("gb18030"))
>>> table = read_table(path)
>>> table.encoding, table.columns, [(r.position, dict(r.cells)) for r in table.rows]
('gb18030', ('name_zh', 'code'), [(3, {'name_zh': '上虞公司', 'code': '330604'})])
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tieskg.errors import InputError

#: File name endings each reader takes.
FORMATS = {".csv": "csv", ".tsv": "tsv", ".txt": "tsv", ".xlsx": "xlsx", ".json": "json",
           ".yaml": "yaml", ".yml": "yaml"}


@dataclass(frozen=True)
class Row:
    """One row: its position in the file, its non-empty cells, and a problem if any."""

    position: int
    cells: Mapping[str, str]
    problem: str | None = None


@dataclass(frozen=True)
class Table:
    """What a file holds: column names, rows, and how it was read."""

    path: Path
    columns: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)
    encoding: str | None = None
    position_name: str = "line"


def read_table(path: Path, *, sheet: str | None = None, records: str | None = None) -> Table:
    """Read ``path`` by its file name ending; ``sheet`` picks an Excel sheet (default the
    first), ``records`` a dotted path to the list of records in a JSON or YAML document
    (default: the document itself must be that list)."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"unknown file type {path.suffix!r} (known: "
                         f"{', '.join(sorted(FORMATS))})", path=path)
    if not path.is_file():
        raise InputError("file not found", path=path)
    if kind in ("csv", "tsv"):
        return _read_delimited(path, "," if kind == "csv" else "\t")
    if kind == "xlsx":
        return _read_excel(path, sheet)
    return _read_documents(path, kind, records)


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """The text of ``data`` and its encoding: UTF-8 (BOM or not), else GB18030."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise InputError("neither UTF-8 nor GB18030 (GBK) text; save it as UTF-8",
                             path=path, line=line) from None


def _read_delimited(path: Path, delimiter: str) -> Table:
    text, encoding = decode(path.read_bytes(), path)
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header: tuple[str, ...] | None = None
    rows: list[Row] = []
    line = 1
    try:
        for values in reader:
            start, line = line, reader.line_num + 1
            if header is None:
                if not values or values[0].lstrip().startswith("#") or not any(values):
                    continue
                header = _header(values, path, start)
                continue
            if not any(v.strip() for v in values):
                continue  # a blank line is not a row
            rows.append(_row(start, header, values))
    except csv.Error as exc:
        raise InputError(f"malformed {'CSV' if delimiter == ',' else 'TSV'}: {exc}",
                         path=path, line=line) from None
    if header is None:
        raise InputError("no header row (the column names)", path=path)
    return Table(path, header, rows, encoding)


def _header(values: list[str], path: Path, line: int) -> tuple[str, ...]:
    names = tuple(v.strip() for v in values)
    if "" in names:
        raise InputError(f"column {names.index('') + 1} of the header has no name",
                         path=path, line=line)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"duplicate column name(s): {', '.join(duplicates)}", path=path,
                         line=line)
    return names


def _row(position: int, header: tuple[str, ...], values: list[Any]) -> Row:
    texts = ["" if v is None else str(v).strip() for v in values]
    while len(texts) > len(header) and not texts[-1]:
        texts.pop()  # trailing empty cells (Excel, trailing delimiters)
    cells = {name: text for name, text in zip(header, texts, strict=False) if text}
    if len(texts) > len(header):
        return Row(position, cells, f"{len(texts)} cells for {len(header)} columns")
    return Row(position, cells)


def _read_excel(path: Path, sheet: str | None) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InputError(f"not a readable .xlsx workbook ({exc})", path=path) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(f"no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})",
                             path=path)
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        header: tuple[str, ...] | None = None
        rows: list[Row] = []
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            cells = [_excel_text(v) for v in values]
            if header is None:
                if not any(cells) or cells[0].startswith("#"):
                    continue
                while cells and not cells[-1]:
                    cells.pop()
                header = _header(cells, path, number)
                continue
            if any(cells):
                rows.append(_row(number, header, cells))
    finally:
        book.close()
    if header is None:
        raise InputError("no header row (the column names)", path=path)
    return Table(path, header, rows, None, "row")


def _excel_text(value: Any) -> str:
    """A cell as text: whole numbers without ".0" (codes are often stored as numbers)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text.removesuffix("T00:00:00")
    return str(value).strip()


def _read_documents(path: Path, kind: str, records: str | None) -> Table:
    text, encoding = decode(path.read_bytes(), path)
    try:
        if kind == "json":
            document = json.loads(text)
        else:
            import yaml

            document = yaml.safe_load(text)
    except (ValueError, Exception) as exc:  # json.JSONDecodeError, yaml.YAMLError
        line = getattr(exc, "lineno", None)
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            line = mark.line + 1
        raise InputError(f"malformed {kind.upper()}: {exc}", path=path, line=line) from None
    items = _at_path(document, records, path)
    columns: dict[str, None] = {}
    rows: list[Row] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            rows.append(Row(number, {}, f"record {number} is not an object/mapping"))
            continue
        cells: dict[str, str] = {}
        problem = None
        for key, value in _flatten(item):
            columns.setdefault(key, None)
            if isinstance(value, list | dict):
                problem = f"{key}: a nested value where text was expected"
            elif value is not None and str(value).strip():
                cells[key] = _document_text(value)
        rows.append(Row(number, cells, problem))
    return Table(path, tuple(columns), rows, encoding, "record")


def _document_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _flatten(item: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested objects as dotted column names: {"name": {"zh": "x"}} -> ("name.zh", "x")."""
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        else:
            yield name, value


def _at_path(document: Any, records: str | None, path: Path) -> list[Any]:
    found = document
    for step in (records.split(".") if records else []):
        if not isinstance(found, dict) or step not in found:
            raise InputError(f"no {records!r} in the document (stopped at {step!r})",
                             path=path)
        found = found[step]
    if not isinstance(found, list):
        where = f"at {records!r}" if records else "at the top level"
        raise InputError(f"expected a list of records {where}", path=path)
    return found
