"""Load a dataset folder of YAML record files into quads, one named graph per source.

A dataset is a folder of ``*.yaml`` files. Each file holds one or more record kinds
(see :mod:`tieskg.loaders.kinds`) as top-level keys. Each record names its ``source``
(the ``id`` of a record under ``sources:``), and its facts go into that source's
named graph. A single field can cite a different source by giving its value as
``{value: ..., source: other-source}``.

A file may also carry ``dataset: {illustrative: true}``, which marks the whole folder
as not real: its IRIs are minted under ``tksyn:`` and its graphs under
``tkg:illustrative/``, each graph saying so; and ``dataset: {records_from: [NAME]}``,
which adds records read from an installed package (see :mod:`tieskg.loaders.packaged`).

Loading is all-or-nothing: the first malformed record raises
:class:`~tieskg.errors.InputError` naming file, line and reason, and nothing is returned.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from tieskg.errors import InputError
from tieskg.loaders._records import UnusedRow
from tieskg.loaders._yaml import Record, read_yaml
from tieskg.loaders.kinds import COMMON_KEYS, DATASET, DERIVED_FROM, KINDS, Field, Kind
from tieskg.loaders.packaged import GENERATED, PackagedRecords
from tieskg.namespaces import PREFIXES, QB, TK, TKID, TKSYN, TKV, graph_iri

Quad = tuple[URIRef, URIRef, URIRef | Literal, URIRef]

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_YEAR = re.compile(r"^-?[0-9]{4}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_STRUCTURE = TKV["regional-indicators-structure"]


def _expand_iri(value: str) -> URIRef | None:
    """An absolute IRI, or a CURIE with a tieskg prefix, names a node in another dataset.

    >>> _expand_iri("tkid:region/cn-330604")
    rdflib.term.URIRef('https://w3id.org/tieskg/id/region/cn-330604')
    >>> _expand_iri("cn-330604") is None
    True
    """
    if re.match(r"^https?://[^\s<>\"{}|^`\\]+$", value):
        return URIRef(value)
    prefix, sep, rest = value.partition(":")
    if sep and prefix in PREFIXES and re.match(r"^[^\s<>\"{}|^`\\]*$", rest):
        return URIRef(PREFIXES[prefix] + rest)
    return None


@dataclass
class LoadedDataset:
    """What a dataset folder yields: quads per named graph and what was read.

    ``unused`` lists source rows of packaged records that did not become records (or only
    in part), each as (source, position, reason): reported, never dropped silently.
    """

    folder: Path
    quads: dict[URIRef, list[Quad]] = field(default_factory=dict)
    records: int = 0
    files: tuple[Path, ...] = ()
    unused: list[UnusedRow] = field(default_factory=list)

    def all_quads(self) -> Iterator[Quad]:
        """Every quad, graph by graph in a stable order."""
        for graph in sorted(self.quads):
            yield from self.quads[graph]


@dataclass(frozen=True)
class _Located:
    """A record with where it came from."""

    kind: Kind
    record: Record
    path: Path

    def error(self, reason: str, key: str | None = None) -> InputError:
        line = self.record.line_of(key) if key else self.record.line
        return InputError(f"{self.kind.name} record: {reason}", path=self.path, line=line)


@functools.cache
def _vocabulary_index() -> dict[str, dict[str, URIRef]]:
    """Controlled values by tk: class local name, then by notation."""
    from importlib.resources import files

    graph = Graph()
    graph.parse(data=(files("tieskg.ontology") / "vocabularies.ttl").read_text("utf-8"),
                format="turtle")
    index: dict[str, dict[str, URIRef]] = {}
    for concept, cls in graph.subject_objects(RDF.type):
        if not str(cls).startswith(str(TK)):
            continue
        for notation in graph.objects(concept, SKOS.notation):
            index.setdefault(str(cls)[len(str(TK)) :], {})[str(notation)] = URIRef(concept)
    return index


def load_dataset(folder: Path) -> LoadedDataset:
    """Read every ``*.yaml`` file in ``folder`` and map its records to quads.

    Raises :class:`InputError` on the first problem; returns nothing partial.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("dataset folder not found", path=folder)
    paths = tuple(sorted(folder.glob("*.yaml")))
    if not paths:
        raise InputError("no *.yaml files in dataset folder", path=folder)
    located: list[_Located] = []
    packaged: list[bytes] = []
    unused: list[UnusedRow] = []
    illustrative = False
    for path in paths:
        settings, records = _read_file(path)
        illustrative = illustrative or settings.get("illustrative", False) is True
        located.extend(records)
        for found in _packaged_records(path, settings):
            located.extend(_Located(KINDS[kind], record, found.origin)
                           for kind, record in found.records)
            packaged.append(found.digest_bytes())
            unused.extend(found.unused)
    result = _Mapper(folder, located, paths, illustrative=illustrative,
                     packaged=packaged).run()
    result.unused = unused
    return result


def _packaged_records(path: Path, settings: dict[str, Any]) -> Iterator[PackagedRecords]:
    """The records ``dataset: {records_from: [...]}`` in ``path`` asks for."""
    names = settings.get("records_from", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError("dataset: records_from must be a list of names", path=path)
    for name in names:
        if name not in GENERATED:
            raise InputError(f"dataset: records_from: unknown name {name!r} (known: "
                             f"{', '.join(sorted(GENERATED))})", path=path)
        yield GENERATED[name]()


def _read_file(path: Path) -> tuple[dict[str, Any], list[_Located]]:
    """The file's ``dataset:`` settings and its records."""
    document = read_yaml(path)
    if document is None:
        return {}, []
    if not isinstance(document, Record):
        raise InputError("expected a mapping of record kinds at the top level", path=path, line=1)
    settings = document.pop("dataset", None) or {}
    if not isinstance(settings, dict) or set(settings) - {"illustrative", "description",
                                                          "records_from"}:
        raise InputError("dataset: expected {illustrative: true|false, description: ..., "
                         "records_from: [...]}", path=path, line=document.line_of("dataset"))
    return settings, list(_records_in(path, document))


def _records_in(path: Path, document: Record) -> Iterator[_Located]:
    for kind_name, records in document.items():
        kind = KINDS.get(kind_name)
        if kind is None:
            known = ", ".join(sorted(KINDS))
            raise InputError(f"unknown record kind {kind_name!r} (known: {known})",
                             path=path, line=document.line_of(kind_name))
        if not isinstance(records, list):
            raise InputError(f"{kind_name}: expected a list of records",
                             path=path, line=document.line_of(kind_name))
        for record in records:
            if not isinstance(record, Record):
                raise InputError(f"{kind_name}: each record must be a mapping",
                                 path=path, line=document.line_of(kind_name))
            yield _Located(kind, record, path)


class _Mapper:
    """Two passes: mint an IRI for every record, then map every field."""

    def __init__(self, folder: Path, located: list[_Located], paths: tuple[Path, ...], *,
                 illustrative: bool, packaged: list[bytes] | None = None):
        self.folder = folder
        self.packaged = packaged or []
        self.illustrative = illustrative
        self.base = TKSYN if illustrative else TKID
        self.graph_kind = "illustrative" if illustrative else "source"
        self.located = located
        self.paths = paths
        self.vocab = _vocabulary_index()
        self.iris: dict[str, dict[str, URIRef]] = {name: {} for name in KINDS}
        self.codes: dict[str, list[tuple[URIRef, _Located]]] = {}
        self.result = LoadedDataset(folder, files=paths, records=len(located))

    def run(self) -> LoadedDataset:
        for item in self.located:
            self._mint(item)
        for item in self.located:
            self._map(item)
        self._describe_graphs()
        for graph, quads in self.result.quads.items():
            self.result.quads[graph] = sorted(set(quads))
        return self.result

    def run_tolerantly(self) -> tuple[LoadedDataset, list[tuple[_Located, InputError]]]:
        """Like :meth:`run`, but a record that fails is left out and returned with its
        error instead of stopping the whole dataset (the loader quarantines it)."""
        failed: list[tuple[_Located, InputError]] = []
        kept: list[_Located] = []
        for item in self.located:
            try:
                self._mint(item)
                kept.append(item)
            except InputError as error:
                failed.append((item, error))
        for item in kept:
            before = {graph: len(quads) for graph, quads in self.result.quads.items()}
            try:
                self._map(item)
            except InputError as error:
                failed.append((item, error))
                for graph, quads in self.result.quads.items():
                    del quads[before.get(graph, 0):]
        self.result.quads = {g: q for g, q in self.result.quads.items() if q}
        self._describe_graphs()
        # Not deduplicated or sorted (the store does both): with rdflib terms that costs
        # more than the mapping itself.
        return self.result, failed

    # -- pass 1 ---------------------------------------------------------------
    def _mint(self, item: _Located) -> None:
        record, kind = item.record, item.kind
        if kind.name == "industries":
            scheme, code = record.get("scheme"), record.get("code")
            if not isinstance(scheme, str) or not _ID.match(scheme):
                raise item.error("needs 'scheme': the id of an industry_schemes record", "scheme")
            code = self._code(item, "code")
            key, iri = f"{scheme}:{code}", self.base[f"industry/{scheme}/{code}"]
        else:
            key = record.get("id")
            if not isinstance(key, str) or not _ID.match(key):
                raise item.error(
                    "needs an 'id' of lower-case letters, digits, '.', '_' or '-'", "id")
            iri = self.base[f"{kind.iri_path}/{key}"]
        if key in self.iris[kind.name]:
            raise item.error(f"duplicate id {key!r}", "id")
        self.iris[kind.name][key] = iri
        if kind.name == "regions" and "code" in record:
            self.codes.setdefault(self._code(item, "code"), []).append((iri, item))

    def _code(self, item: _Located, key: str) -> str:
        value = item.record.get(key)
        value = value.get("value") if isinstance(value, Record) else value
        if isinstance(value, bool | float) or value is None:
            raise item.error(f"{key!r} must be a quoted string such as \"330604\"", key)
        return str(value)

    # -- pass 2 ---------------------------------------------------------------
    def _map(self, item: _Located) -> None:
        record, kind = item.record, item.kind
        subject = self._subject(item)
        source = self._source_of(item, record.get("source"), "source")
        graph = graph_iri(self.graph_kind, source)
        unknown = set(record) - COMMON_KEYS - {f.key for f in kind.fields}
        if unknown:
            allowed = ", ".join(sorted(COMMON_KEYS | {f.key for f in kind.fields}))
            key = sorted(unknown)[0]
            raise item.error(f"unknown field {key!r} (allowed: {allowed})", key)
        self._emit(graph, subject, RDF.type, self._class_of(item))
        for predicate, obj in kind.constants:
            self._emit(graph, subject, predicate, obj)
        for spec in kind.fields:
            if spec.key not in record:
                if spec.required:
                    raise item.error(f"missing required field {spec.key!r}")
                continue
            value, field_graph = record[spec.key], graph
            if isinstance(value, Record) and "value" in value:
                extra = set(value) - {"value", "source"}
                if extra:
                    raise item.error(f"{spec.key}: unexpected keys {sorted(extra)}", spec.key)
                if "source" in value:
                    field_graph = graph_iri(
                        self.graph_kind, self._source_of(item, value["source"], spec.key))
                value = value["value"]
            for obj in self._objects(item, spec, value):
                self._emit(field_graph, subject, spec.predicate, obj)
        if kind.name == "observations":
            dataset = self.base[f"dataset/{source}"]
            self._emit(graph, subject, DATASET, dataset)
            self._emit(graph, dataset, RDF.type, TK.StatisticalDataset)
            self._emit(graph, dataset, QB.structure, _STRUCTURE)
            self._emit(graph, dataset, DERIVED_FROM, self.iris["sources"][source])
            self._emit(graph, dataset, SKOS.prefLabel,
                       Literal(f"Statistics stated in source {source}", lang="en"))

    def _subject(self, item: _Located) -> URIRef:
        record, kind = item.record, item.kind
        if kind.name == "industries":
            return self.iris[kind.name][f"{record['scheme']}:{self._code(item, 'code')}"]
        return self.iris[kind.name][record["id"]]

    def _class_of(self, item: _Located) -> URIRef:
        kind, chosen = item.kind, item.record.get("type", item.kind.default_type)
        if chosen is None:
            raise item.error(f"missing 'type' (one of: {', '.join(kind.types)})")
        if chosen not in kind.types:
            raise item.error(f"unknown type {chosen!r} (one of: {', '.join(kind.types)})", "type")
        return kind.types[chosen]

    def _source_of(self, item: _Located, value: Any, key: str) -> str:
        if item.kind.name == "sources" and key == "source" and value is None:
            return item.record["id"]
        if value is None:
            raise item.error("missing 'source': the id of the record under sources: "
                             "that states these facts")
        if not isinstance(value, str) or value not in self.iris["sources"]:
            known = ", ".join(sorted(self.iris["sources"])) or "none"
            raise item.error(f"unknown source {value!r} (known sources: {known})", key)
        return value

    def _emit(self, graph: URIRef, s: URIRef, p: URIRef, o: URIRef | Literal) -> None:
        self.result.quads.setdefault(graph, []).append((s, p, o, graph))

    def _objects(self, item: _Located, spec: Field, value: Any) -> list[URIRef | Literal]:
        kind = spec.kind
        if kind in ("text", "texts"):
            return self._texts(item, spec, value, many=kind == "texts")
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not spec.many:
            raise item.error(f"{spec.key}: takes one value, not a list", spec.key)
        return [self._object(item, spec, v) for v in values]

    def _texts(self, item: _Located, spec: Field, value: Any, *, many: bool) -> list[Literal]:
        if isinstance(value, str):
            value = {"en": value}
        if not isinstance(value, dict):
            raise item.error(f"{spec.key}: give text as {{en: ..., zh: ...}}", spec.key)
        out = []
        for lang, texts in value.items():
            if not isinstance(lang, str) or not _LANG.match(lang):
                raise item.error(f"{spec.key}: {lang!r} is not a language tag", spec.key)
            texts = texts if isinstance(texts, list) and many else [texts]
            for text in texts:
                if not isinstance(text, str) or not text.strip():
                    raise item.error(f"{spec.key}.{lang}: expected non-empty text", spec.key)
                out.append(Literal(text.strip(), lang=lang))
        return out

    def _object(self, item: _Located, spec: Field, value: Any) -> URIRef | Literal:
        kind, key = spec.kind, spec.key
        if kind.startswith("ref:"):
            return self._reference(item, key, kind[4:], value)
        if kind.startswith("vocab:"):
            options = self.vocab.get(kind[6:], {})
            if value not in options:
                raise item.error(
                    f"{key}: unknown value {value!r} (one of: {', '.join(sorted(options))})", key)
            return options[value]
        if kind == "string":
            if isinstance(value, bool | float) or value is None:
                raise item.error(f"{key}: expected a quoted string", key)
            return Literal(str(value))
        if kind == "url":
            if not isinstance(value, str) or not re.match(r"^https?://\S+$", value):
                raise item.error(f"{key}: expected an http(s) URL, got {value!r}", key)
            return Literal(value, datatype=XSD.anyURI)
        if kind == "decimal":
            try:
                if isinstance(value, bool):
                    raise InvalidOperation
                number = Decimal(str(value))
            except InvalidOperation:
                raise item.error(f"{key}: expected a number, got {value!r}", key) from None
            return Literal(number, datatype=XSD.decimal)
        if kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise item.error(f"{key}: expected a whole number, got {value!r}", key)
            return Literal(value, datatype=XSD.integer)
        if kind == "date":
            return self._date(item, key, value)
        raise AssertionError(f"field kind {kind} is not handled")  # a bug in kinds.py

    def _date(self, item: _Located, key: str, value: Any) -> Literal:
        text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
        if _YEAR.match(text):
            return Literal(text, datatype=XSD.gYear)
        try:
            if _DATE.match(text):
                return Literal(dt.date.fromisoformat(text).isoformat(), datatype=XSD.date)
            if "T" in text:
                moment = dt.datetime.fromisoformat(text)
                if moment.tzinfo is None:
                    raise item.error(f"{key}: a date-time needs a time zone offset "
                                     "such as +08:00", key)
                return Literal(moment.isoformat(), datatype=XSD.dateTime)
        except ValueError:
            pass
        raise item.error(f"{key}: expected a year (2022), date (2023-03-21) or date-time "
                         f"with offset (2023-03-21T21:55:00+08:00), got {value!r}", key)

    def _reference(self, item: _Located, key: str, target: str, value: Any) -> URIRef:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise item.error(f"{key}: expected an id, got {value!r}", key)
        kinds = list(KINDS) if target == "any" else [target]
        found = [self.iris[k][value] for k in kinds if value in self.iris[k]]
        if not found and "regions" in kinds and value in self.codes:
            matches = self.codes[value]
            if len(matches) > 1:
                ids = ", ".join(sorted(m[1].record["id"] for m in matches))
                raise item.error(f"{key}: region code {value} is ambiguous (ids: {ids}); "
                                 "refer to the region by id", key)
            found = [matches[0][0]]
        if not found and (iri := _expand_iri(value)):
            return iri
        if not found:
            where = "any record" if target == "any" else f"{target} records"
            raise item.error(f"{key}: unknown reference {value!r} (no such id among {where})",
                             key)
        if len(found) > 1:
            raise item.error(f"{key}: {value!r} names records of several kinds", key)
        return found[0]

    def _describe_graphs(self) -> None:
        digest = hashlib.sha256()
        for path in self.paths:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        for records in self.packaged:
            digest.update(records)
        checksum = Literal(digest.hexdigest())
        for graph in list(self.result.quads):
            source_id = str(graph).rsplit("/", 1)[-1]
            self._emit(graph, graph, RDF.type, TK.SourceGraph)
            self._emit(graph, graph, DERIVED_FROM, self.iris["sources"][source_id])
            self._emit(graph, graph, TK.sourceChecksum, checksum)
            self._emit(graph, graph, TK.sourceFile, Literal(self.folder.name))
            if self.illustrative:
                self._emit(graph, graph, DCTERMS.description, Literal(
                    "Illustrative data: NOT REAL. Made up to show how tieskg works.", lang="en"))
