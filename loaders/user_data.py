"""Load a user's table (CSV, TSV, Excel, JSON, YAML) as records of a template kind.

Each row becomes one record (:mod:`tieskg.loaders.templates` says which kind and how each
column is read); references to regions, industries and organizations are resolved
against the graph (:mod:`tieskg.loaders.resolve`); the records are mapped to RDF like a
YAML dataset's (:mod:`tieskg.loaders.dataset`), into one named graph for the load,
``tkg:source/<name>``, which describes the file (name, SHA-256, modification time,
mapping, rows read, loaded and quarantined) with PROV-O and Dublin Core.

Nothing is lost: every row is loaded or quarantined with file, row, column, value and
reason, and ``rows read = rows loaded + rows quarantined``. With ``strict`` the first bad
row rejects the whole file.

A mapping file (YAML) maps the template's columns to the file's own::

    sheet: 企业名录                  # Excel: which sheet (default the first)
    records: data.items             # JSON/YAML: dotted path to the list of records
    columns:                        # template column: the file's column
      name_zh: 企业名称
      credit_code: 统一社会信用代码
      located_in: 所在地区
    values:                         # template column: the same value for every row
      type: company
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from tieskg.errors import InputError
from tieskg.loaders._records import packaged_record
from tieskg.loaders._yaml import Record, read_yaml
from tieskg.loaders.dataset import LoadedDataset, Quad, _Located, _Mapper
from tieskg.loaders.kinds import KINDS
from tieskg.loaders.resolve import check_credit_code
from tieskg.loaders.tabular import Row, Table, read_table
from tieskg.loaders.templates import TEMPLATES, Column, Template
from tieskg.namespaces import TK, TKID, TKSYN, graph_iri

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
#: Fields of each record kind that take whole numbers (cells are text).
_INTEGER_FIELDS = {name: {f.key for f in kind.fields if f.kind == "integer"}
                   for name, kind in KINDS.items()}
_ID_UNSAFE = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class LoadRequest:
    """What to load: a file, as which template kind, under which source name."""

    path: Path
    kind: str
    name: str
    mapping: Path | None = None
    strict: bool = False
    #: Made-up data: minted under tksyn:, in graph tkg:illustrative/<name>, saying so.
    illustrative: bool = False

    @property
    def graph(self) -> URIRef:
        """The named graph the load goes into."""
        return graph_iri("illustrative" if self.illustrative else "source", self.name)

    @property
    def source(self) -> URIRef:
        """The IRI of the load's source (the file)."""
        return (TKSYN if self.illustrative else TKID)[f"source/{self.name}"]


@dataclass(frozen=True)
class Quarantined:
    """A row that was not loaded, and why."""

    file: Path
    row: int
    column: str
    value: str
    reason: str


@dataclass
class UserLoad:
    """What loading a file produced."""

    request: LoadRequest
    dataset: LoadedDataset
    rows_read: int
    quarantined: list[Quarantined] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        """Rows that became records."""
        return self.rows_read - len({q.row for q in self.quarantined})

    @property
    def quads(self) -> list[Quad]:
        """Every quad of the load."""
        return list(self.dataset.all_quads())


#: Looks a reference up: (what, text, column) -> an IRI, or raises ``_Rejected``.
Lookup = Callable[[str, str, Column], str]


class _Rejected(Exception):
    def __init__(self, column: str, value: str, reason: str):
        super().__init__(reason)
        self.column, self.value, self.reason = column, value, reason


def resolver_lookup(resolver: Any) -> Lookup:
    """A :data:`Lookup` on a :class:`~tieskg.loaders.resolve.Resolver`: a region may be
    written with its parents first, separated by '/' (浙江省/绍兴市/上虞区)."""

    def lookup(what: str, text: str, column: Column) -> str:
        if what == "region":
            # parents first, "/"-separated; an IRI or a tkid: name is one part
            iri_like = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text) is not None
            parts = [text.strip()] if iri_like else [
                part.strip() for part in text.split("/") if part.strip()]
            if not parts:
                raise _Rejected(column.name, text, "empty region")
            found = resolver.region(parts[-1], parent=parts[-2] if len(parts) > 1 else None)
        elif what == "industry":
            found = resolver.industry(text)
        else:
            found = resolver.organization(text)
        if found.iri is None:
            raise _Rejected(column.name, text, found.reason or f"unknown {what}")
        return str(found.iri)

    return lookup


def check_request(request: LoadRequest) -> Template:
    """The template of ``request``, after checking its kind and name."""
    if request.kind not in TEMPLATES:
        raise InputError(f"unknown kind {request.kind!r} (one of: "
                         f"{', '.join(TEMPLATES)})", path=request.path)
    if not _NAME.match(request.name):
        raise InputError(f"source name {request.name!r}: use lower-case letters, digits, "
                         "'.', '_' or '-'", path=request.path)
    return TEMPLATES[request.kind]


def load_user_file(request: LoadRequest, lookup: Lookup) -> UserLoad:
    """Read, map and check ``request.path``; bad rows are quarantined (or, ``strict``,
    raise :class:`InputError` naming the first)."""
    template = check_request(request)
    mapping = _read_mapping(request.mapping, template)
    table = read_table(request.path, sheet=mapping.get("sheet"), records=mapping.get("records"))
    columns = _column_sources(template, mapping, table)
    quarantined: list[Quarantined] = []
    located: list[_Located] = [_source_record(request, table)]
    by_row: dict[int, int] = {}
    for row in table.rows:
        try:
            record = _record(template, columns, mapping.get("values", {}), row, lookup,
                             request.name)
        except _Rejected as rejected:
            quarantined.append(Quarantined(request.path, row.position, rejected.column,
                                           rejected.value, rejected.reason))
            if request.strict:
                raise _strict_error(request, table, quarantined[-1]) from None
            continue
        by_row[len(located)] = row.position
        located.append(_Located(KINDS[template.record_kind], record, request.path))
    paths = (request.path, *((request.mapping,) if request.mapping else ()))
    mapper = _Mapper(request.path, located, paths, illustrative=request.illustrative)
    dataset, failed = mapper.run_tolerantly()
    index_of = {id(item): index for index, item in enumerate(located)}
    for item, error in failed:
        index = index_of[id(item)]
        if index == 0:
            raise error  # the load's own description: a bug or a bad name, not a row
        found = Quarantined(request.path, by_row[index], "", "", error.reason)
        if request.strict:
            raise _strict_error(request, table, found)
        quarantined.append(found)
    dataset.records = len(located) - 1 - len(failed)
    load = UserLoad(request, dataset, len(table.rows), sorted(
        quarantined, key=lambda q: (q.row, q.column)))
    _count_rows(load)
    return load


def _count_rows(load: UserLoad) -> None:
    """State rows read, loaded and quarantined on the load's source, in its graph."""
    graph, source = load.request.graph, load.request.source
    counts = ((TK.rowsRead, load.rows_read), (TK.rowsLoaded, load.rows_loaded),
              (TK.rowsQuarantined, load.rows_read - load.rows_loaded))
    quads = load.dataset.quads.setdefault(graph, [])
    quads.extend((source, predicate, Literal(n, datatype=XSD.integer), graph)
                 for predicate, n in counts)


def _strict_error(request: LoadRequest, table: Table, bad: Quarantined) -> InputError:
    where = f" column {bad.column!r}" if bad.column else ""
    return InputError(f"{table.position_name} {bad.row}{where}: {bad.reason} (--strict: "
                      "nothing loaded)", path=request.path, line=bad.row)


def _read_mapping(path: Path | None, template: Template) -> dict[str, Any]:
    if path is None:
        return {}
    document = read_yaml(path)
    if not isinstance(document, dict) or set(document) - {"sheet", "records", "columns",
                                                          "values"}:
        raise InputError("a mapping holds sheet, records, columns and values", path=path,
                         line=1)
    for key in ("columns", "values"):
        part = document.get(key, {})
        if not isinstance(part, dict):
            raise InputError(f"{key}: expected template column: ...", path=path,
                             line=document.line_of(key) if isinstance(document, Record)
                             else None)
        for name in part:
            if template.column(name) is None:
                known = ", ".join(c.name for c in template.columns)
                raise InputError(f"{key}: {template.name} has no column {name!r} "
                                 f"(columns: {known})", path=path,
                                 line=part.line_of(name) if isinstance(part, Record) else None)
    return dict(document)


def _column_sources(template: Template, mapping: dict[str, Any], table: Table
                    ) -> dict[str, str]:
    """Template column -> the file's column it is read from."""
    mapped = {name: str(source) for name, source in mapping.get("columns", {}).items()}
    missing = sorted(set(mapped.values()) - set(table.columns))
    if missing:
        raise InputError(f"the mapping names column(s) the file lacks: {', '.join(missing)} "
                         f"(the file has: {', '.join(table.columns)})", path=table.path)
    sources = {c.name: mapped.get(c.name, c.name) for c in template.columns}
    known = set(sources.values())
    unknown = [c for c in table.columns if c not in known]
    if unknown:
        raise InputError(f"column(s) {', '.join(unknown)} are not {template.name} columns "
                         f"(known: {', '.join(c.name for c in template.columns)}); rename "
                         "them or map them with --mapping", path=table.path)
    return sources


def _record(template: Template, sources: dict[str, str], constants: dict[str, Any],
            row: Row, lookup: Lookup, load_name: str) -> Record:
    if row.problem:
        raise _Rejected("", "", row.problem)
    cells = {name: row.cells[source] for name, source in sources.items()
             if source in row.cells}
    cells.update({name: str(value) for name, value in constants.items()})
    fields: dict[str, Any] = {}
    for column in template.columns:
        text = cells.get(column.name)
        if text is None:
            if column.required:
                raise _Rejected(column.name, "", "required value missing")
            continue
        values = [v.strip() for v in text.split(";") if v.strip()] if column.many else [text]
        if column.field == "credit_code":
            text = text.upper()
            values = [text]
            if problem := check_credit_code(text):
                raise _Rejected(column.name, text, problem)
        if column.resolve:
            values = [lookup(column.resolve, v, column) for v in values]
        elif column.field in _INTEGER_FIELDS[template.record_kind]:
            if not re.fullmatch(r"[+-]?[0-9]+", values[0]):
                raise _Rejected(column.name, values[0], "expected a whole number")
            values = [int(values[0])]
        key, _, language = column.field.partition(".")
        if language:
            fields.setdefault(key, {})[language] = values[0]
        else:
            fields[key] = values if column.many else values[0]
    if "name" in {f.key for f in KINDS[template.record_kind].fields if f.required} \
            and "name" not in fields:
        raise _Rejected("name_zh", "", "a name is required (name_zh or name_en)")
    if template.record_type:
        fields["type"] = template.record_type
    elif template.record_kind == "organizations":
        fields.setdefault("type", "company")
    fields["id"] = _row_id(load_name, fields, cells)
    fields["source"] = load_name
    return packaged_record(row.position, fields)


def _row_id(load_name: str, fields: dict[str, Any], cells: dict[str, str]) -> str:
    """A stable id: an organization's credit code, else the row's id column, else a hash of
    the row's content (so reordering rows changes nothing)."""
    if fields.get("credit_code"):
        return "uscc-" + str(fields["credit_code"]).lower()
    given = fields.pop("id", None)
    if given:
        slug = _ID_UNSAFE.sub("-", str(given).lower()).strip("-")
        if not slug:
            raise _Rejected("id", str(given), "no letters or digits to make an id from")
        return f"{load_name}.{slug}"
    digest = hashlib.sha256(repr(sorted(cells.items())).encode("utf-8")).hexdigest()[:16]
    return f"{load_name}.{digest}"


def _source_record(request: LoadRequest, table: Table) -> _Located:
    stat = request.path.stat()
    modified = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).replace(microsecond=0)
    fields: dict[str, Any] = {
        "id": request.name, "type": "data-file",
        "title": {"en": f"{request.path.name} (loaded as {request.kind})"},
        "modified": modified.isoformat(),
        "description": {"en": f"A table a user loaded with tieskg as {request.kind}"
                              + (f", through the mapping {request.mapping.name}"
                                 if request.mapping else "")
                              + f"; {len(table.rows)} rows read."},
    }
    return _Located(KINDS["sources"], packaged_record(0, fields), request.path)
