"""Validate tieskg data against the SHACL shapes (``ontology/shapes.ttl``).

:func:`validate_store` is what tieskg runs (``tieskg build``, ``tieskg validate``): the
shapes compiled to SPARQL and answered inside the store (:mod:`tieskg.graph.shacl_sparql`),
with pySHACL's results in a fraction of its time. :func:`validate` (a graph) and
:func:`validate_store_pyshacl` run pySHACL itself, the reference the tests compare with.

For pySHACL the ontology and the controlled vocabularies are mixed into (a copy of) the data before
validation, so ``sh:targetClass`` follows ``rdfs:subClassOf`` (a shape on
``tk:AdministrativeDivision`` checks every ``tk:CountyLevelDivision``) and ``sh:class``
finds the controlled values (``tkv:unit/CNY a tk:Unit``). pySHACL's own ``ont_graph``
mixing copies only RDFS/OWL axioms and ``owl:NamedIndividual`` nodes, not the SKOS
concepts of the vocabularies, hence the explicit union. Nothing is fetched from the
network: the shapes have no ``owl:imports`` and imports are not followed.

>>> from rdflib import Graph
>>> report = validate(Graph())
>>> report.conforms, report.violations
(True, ())
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

import pyshacl
from rdflib import BNode, ConjunctiveGraph, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF
from rdflib.term import Node

from tieskg.graph.store import internal_query
from tieskg.namespaces import PREFIXES, SH

if TYPE_CHECKING:
    from tieskg.graph.store import Store

__all__ = [
    "TKS",
    "ValidationReport",
    "Violation",
    "ontology_graph",
    "shapes_graph",
    "validate",
    "validate_store",
    "validate_store_pyshacl",
]

_PACKAGE = "tieskg.ontology"
#: The namespace of the shapes (``tks:``), named in every result's ``sh:sourceShape``.
TKS = "https://w3id.org/tieskg/shapes#"
_SHORT = {**PREFIXES, "tks": TKS}


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result. IRIs are plain strings; ``component`` is the full
    ``sh:`` IRI of the constraint component, ``severity`` the full ``sh:`` severity IRI."""

    focus: str
    path: str | None
    component: str
    severity: str
    message: str
    value: str | None
    shape: str

    def sort_key(self) -> tuple[str, ...]:
        """The order reports list violations in."""
        return (self.focus, self.path or "", self.component, self.shape, self.value or "",
                self.message, self.severity)


@dataclass(frozen=True)
class ValidationReport:
    """Whether the data conforms, and every result, sorted by :meth:`Violation.sort_key`.

    ``graph`` is pySHACL's validation report graph (absent when the report was built by
    hand; :meth:`to_turtle` then rebuilds one from the violations).
    """

    conforms: bool
    violations: tuple[Violation, ...]
    graph: Graph | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.violations, key=Violation.sort_key))
        object.__setattr__(self, "violations", ordered)

    def to_text(self) -> str:
        """A human-readable report: one block per violation, IRIs shortened by prefix."""
        if self.conforms:
            return "Conforms: yes (0 violations)"
        count = len(self.violations)
        lines = [f"Conforms: no ({count} violation{'s' if count != 1 else ''})"]
        for v in self.violations:
            where = _short(v.focus) + (f"  {_short(v.path)}" if v.path else "")
            lines.append(f"- {where}")
            lines.append(f"    {v.message}")
            if v.value is not None:
                lines.append(f"    value: {_short(v.value)}")
            lines.append(f"    {_short(v.component)}  ({_short(v.shape)}, {_short(v.severity)})")
        return "\n".join(lines)

    def to_json(self) -> str:
        """``{"conforms": ..., "violations": [{focus, path, component, ...}, ...]}``."""
        data = {"conforms": self.conforms, "violations": [asdict(v) for v in self.violations]}
        return json.dumps(data, indent=2, ensure_ascii=False)

    def to_turtle(self) -> str:
        """The SHACL validation report graph in Turtle, with canonical blank node labels
        so that the same report always serializes the same."""
        graph = self.graph if self.graph is not None else self._rebuilt_graph()
        canonical = Graph()
        for prefix in ("sh", "tks", "tk", "tkv", "tkid", "tksyn", "xsd", "rdf"):
            canonical.bind(prefix, _SHORT[prefix])
        for triple in to_canonical_graph(graph):
            canonical.add(triple)
        return canonical.serialize(format="turtle")

    def _rebuilt_graph(self) -> Graph:
        graph = Graph()
        report = BNode()
        graph.add((report, RDF.type, SH.ValidationReport))
        graph.add((report, SH.conforms, Literal(self.conforms)))
        for v in self.violations:
            result = BNode()
            graph.add((report, SH.result, result))
            graph.add((result, RDF.type, SH.ValidationResult))
            graph.add((result, SH.focusNode, URIRef(v.focus)))
            if v.path is not None and not v.path.startswith(("^", "(", "<")):
                graph.add((result, SH.resultPath, URIRef(v.path)))
            graph.add((result, SH.sourceConstraintComponent, URIRef(v.component)))
            graph.add((result, SH.resultSeverity, URIRef(v.severity)))
            graph.add((result, SH.resultMessage, Literal(v.message)))
            graph.add((result, SH.sourceShape, URIRef(v.shape)))
            if v.value is not None:
                graph.add((result, SH.value, Literal(v.value)))
        return graph


def _read(name: str) -> Graph:
    graph = Graph()
    graph.parse(data=(files(_PACKAGE) / name).read_text(encoding="utf-8"), format="turtle")
    return graph


@cache
def shapes_graph() -> Graph:
    """The SHACL shapes (``shapes.ttl``), parsed once per process. Shared: do not modify."""
    return _read("shapes.ttl")


@cache
def ontology_graph() -> Graph:
    """The ontology (``tieskg.ttl``) and vocabularies (``vocabularies.ttl``) in one graph,
    parsed once per process. Shared: do not modify."""
    graph = _read("tieskg.ttl")
    for triple in _read("vocabularies.ttl"):
        graph.add(triple)
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def validate(data: Graph) -> ValidationReport:
    """Validate ``data`` (a graph; a dataset is validated as the union of its graphs).

    ``data`` is not modified: pySHACL works on a copy holding the data, the ontology and
    the vocabularies. SHACL-SPARQL constraints are on; SHACL-AF and inference are off.
    """
    working = Graph()
    triples = data.triples((None, None, None))
    if isinstance(data, ConjunctiveGraph):
        triples = (quad[:3] for quad in data.quads((None, None, None, None)))
    for triple in triples:
        working.add(triple)
    for s, p, o in ontology_graph():
        # Data that already holds the ontology (a store dump, say) may write its literals
        # in another lexical form (Oxigraph: "0"^^xsd:decimal for 0.0); adding ours would
        # give the same fact twice and break sh:maxCount.
        if isinstance(o, Literal) and any(_same_value(o, x) for x in working.objects(s, p)):
            continue
        working.add((s, p, o))
    conforms, results, _text = pyshacl.validate(
        working,
        shacl_graph=shapes_graph(),
        inference="none",
        advanced=False,
        inplace=True,
        do_owl_imports=False,
        allow_warnings=False,
    )
    violations = tuple(_violation(results, result)
                       for result in results.objects(None, SH.result))
    return ValidationReport(bool(conforms), violations, results)


def validate_store(store: Store, *, progress: Callable[[int, int], None] | None = None
                   ) -> ValidationReport:
    """Validate everything in ``store`` against the shapes, inside the store (see
    :mod:`tieskg.graph.shacl_sparql`); the store must hold the ontology and vocabularies
    (as :func:`tieskg.graph.build.populate` loads them). ``progress(done, total)`` hears
    of each finished check."""
    from tieskg.graph.shacl_sparql import validate_store_sparql

    return validate_store_sparql(store, progress=progress)


def validate_store_pyshacl(store: Store) -> ValidationReport:
    """The reference: pySHACL on the data graphs of ``store`` (all but the ontology and
    vocabularies, which :func:`validate` adds itself). Slow beyond some 10,000 triples."""
    data = Graph()
    for triple in store.construct(_DATA_TRIPLES):
        data.add(triple)
    return validate(data)


#: Every triple outside the schema graphs.
_DATA_TRIPLES = internal_query("data-triples")


def _same_value(a: Literal, b: Node) -> bool:
    """Whether ``b`` is a literal of ``a``'s datatype and language with the same value."""
    if not isinstance(b, Literal) or (a.datatype, a.language) != (b.datatype, b.language):
        return False
    if a.value is None or b.value is None:
        return str(a) == str(b)
    return bool(a.value == b.value)


def _violation(results: Graph, result: Node) -> Violation:
    def one(predicate: URIRef) -> Node | None:
        return next(iter(sorted(results.objects(result, predicate))), None)

    messages = sorted(results.objects(result, SH.resultMessage),
                      key=lambda m: (getattr(m, "language", None) not in (None, "en"), str(m)))
    path = one(SH.resultPath)
    value = one(SH.value)
    return Violation(
        focus=str(one(SH.focusNode)),
        path=None if path is None else _path_text(results, path),
        component=str(one(SH.sourceConstraintComponent)),
        severity=str(one(SH.resultSeverity)),
        message=str(messages[0]) if messages else "",
        value=None if value is None else str(value),
        shape=str(one(SH.sourceShape)),
    )


def _path_text(graph: Graph, path: Node) -> str:
    """A predicate path as its IRI; a complex path in SPARQL property-path syntax."""
    if isinstance(path, URIRef):
        return str(path)
    if (path, RDF.first, None) in graph:
        return "/".join(_path_text(graph, p) for p in Collection(graph, path))
    for predicate, template in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"),
                                (SH.oneOrMorePath, "{}+"), (SH.zeroOrOnePath, "{}?")):
        inner = graph.value(path, predicate)
        if inner is not None:
            text = _path_text(graph, inner)
            text = f"<{text}>" if isinstance(inner, URIRef) else f"({text})"
            return template.format(text)
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path_text(graph, p) for p in Collection(graph, alternatives)) + ")"
    return str(path)


def _short(iri: str) -> str:
    """``iri`` as ``prefix:local`` when a known namespace is a prefix of it."""
    best = max((ns for ns in _SHORT.values() if iri.startswith(ns)), key=len, default=None)
    if best is None:
        return iri
    prefix = next(p for p, ns in _SHORT.items() if ns == best)
    return f"{prefix}:{iri[len(best):]}"
