"""SHACL validation as SPARQL queries run inside the store: pySHACL's results, in seconds.

:func:`compile_shapes` turns a shapes graph into :class:`ShaclQuery` objects, one SPARQL
SELECT per (shape, constraint); :func:`validate_store_sparql` runs them on a
:class:`~tieskg.graph.store.Store` (queries see the union of the named graphs, so the
ontology and vocabulary graphs supply ``rdfs:subClassOf`` and the controlled values) and
builds the same :class:`~tieskg.graph.validate.Violation` objects as
:func:`tieskg.graph.validate.validate_store_pyshacl` does with pySHACL.

The goal is *pySHACL's* results, not merely SHACL's, and pySHACL (with rdflib) decides a
few things in Python that SPARQL decides differently: whether ``"1e5"^^xsd:decimal`` is a
decimal (rdflib: yes), whether ``"22"^^xsd:gYear`` is a gYear (pySHACL: any lexical form
is), how ``NaN`` compares, what ``$`` and ``\\s`` mean in a regular expression (Python's
``re`` versus Oxigraph's Rust ``regex``). So every value-level test is compiled into two
SPARQL expressions:

* ``dc`` -- *definitely conforms*: true only where SPARQL's answer provably agrees with
  pySHACL's (a canonical ``xsd:decimal`` Oxigraph parsed natively, a string a
  conservatively translated pattern matches, ...);
* ``dv`` -- *definitely violates*: likewise for violations (a literal of another datatype).

A query returns the value nodes that do not definitely conform, marked ``certain`` when
they definitely violate. The rest -- ill-typed literals, ``NaN``, strings a pattern may
match in one dialect only, typically none at all -- are decided in Python by the same
code pySHACL runs (copied below, or pySHACL's own ``compare_literal``), on the same rdflib
terms. Logical constraints (``sh:or``, ``sh:not``, ``sh:and``, ``sh:xone``, ``sh:node``,
``sh:qualifiedValueShape``) combine the two expressions (``dc`` of ``sh:not`` is ``dv`` of
its shape, ...), so the common path stays in SPARQL and only candidate nodes reach Python.

Supported: targets ``sh:targetClass`` (and implicit class targets), ``sh:targetNode``,
``sh:targetSubjectsOf``, ``sh:targetObjectsOf``; predicate, inverse, sequence,
alternative, zero-or-more, one-or-more and zero-or-one paths; the components ``sh:class``,
``sh:datatype``, ``sh:nodeKind``, ``sh:minCount``, ``sh:maxCount``, ``sh:minInclusive``,
``sh:maxInclusive``, ``sh:minExclusive``, ``sh:maxExclusive``, ``sh:pattern`` (with
``sh:flags``), ``sh:languageIn``, ``sh:uniqueLang``, ``sh:in``, ``sh:hasValue``,
``sh:equals``, ``sh:disjoint``, ``sh:lessThan``, ``sh:lessThanOrEquals``, ``sh:not``,
``sh:and``, ``sh:or``, ``sh:xone``, ``sh:node``, ``sh:property``,
``sh:qualifiedValueShape`` (``sh:qualifiedMinCount``, ``sh:qualifiedMaxCount``,
``sh:qualifiedValueShapesDisjoint``), ``sh:closed`` (``sh:ignoredProperties``) and
SHACL-SPARQL ``sh:sparql`` constraints (``$this``, ``$PATH``, ``sh:prefixes``, messages
with ``{?var}``/``{$var}``; a query pySHACL refuses to pre-bind -- MINUS, VALUES,
SERVICE, ... -- raises :class:`ShaclRuntimeError` with pySHACL's message, as pySHACL
fails); ``sh:deactivated``, ``sh:severity``, ``sh:message``. Anything
else (``sh:minLength``, SPARQL-based targets or constraint components, rules, ...) makes
:func:`compile_shapes` raise :class:`UnsupportedShapeError` naming the shape and the
component; so do ``sh:lessThan``/``sh:lessThanOrEquals``, ``sh:qualifiedValueShape`` and
``sh:sparql`` inside ``sh:or``/``sh:not``/... (nested shapes), and ``sh:property`` on a
property shape.

Known differences from pySHACL, all outside the shapes tieskg uses or the values it
stores (see the module's tests):

* ``sh:sparql`` queries run on Oxigraph's SPARQL engine, pySHACL runs them on rdflib's;
  where the engines differ (regular expressions in ``REGEX``/``REPLACE``, numeric type
  promotion), so may the results. Messages that print terms of the ontology or
  vocabulary graphs print Oxigraph's canonical lexical form (``0`` where pySHACL, which
  mixes in the rdflib-parsed files, prints ``0.0``).
* Generic messages (for shapes without ``sh:message``) follow pySHACL's wording but
  render nodes with rdflib's default prefixes, and are empty for some components
  (``sh:pattern``, ``sh:closed``, ...); every tieskg shape has a message.
* A ``sh:sparql`` query that does not itself bind ``$this`` runs once per focus node with
  the focus node written in place of ``$this`` (pySHACL's pre-binding); a blank focus node
  cannot be written, and is bound with Oxigraph's substitutions instead, which nested
  groups and ``BIND`` do not see. ``sh:targetNode`` cannot name a blank node.
* A shapes graph that is not well-formed SHACL (``sh:closed`` that is no boolean,
  ``sh:message`` of a SPARQL constraint that is no string, ...) may compile where pySHACL
  refuses to load it; tieskg's shapes are checked against SHACL's own shapes.
* The store's ontology and vocabulary graphs are assumed to be the packaged files (as
  :func:`~tieskg.graph.build.populate` loads them): pySHACL's
  :func:`~tieskg.graph.validate.validate` always mixes in the packaged ones.

>>> from tieskg.graph.store import OxigraphStore
>>> validate_store_sparql(OxigraphStore.in_memory()).conforms
True
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from itertools import combinations

import pyoxigraph as ox
from pyshacl.rdfutil import stringify_node
from pyshacl.rdfutil.compare import compare_literal
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node, XSDToPython

from tieskg.graph.store import OxigraphStore, Store
from tieskg.graph.terms import to_oxigraph, to_rdflib
from tieskg.graph.validate import (
    ValidationReport,
    Violation,
    _path_text,
    ontology_graph,
    shapes_graph,
)
from tieskg.namespaces import ONTOLOGY_GRAPH, SH, VOCABULARIES_GRAPH

__all__ = [
    "ShaclQuery",
    "ShaclRuntimeError",
    "UnsupportedShapeError",
    "compile_shapes",
    "validate_store_sparql",
]

_SCHEMA_GRAPHS = (ONTOLOGY_GRAPH, VOCABULARIES_GRAPH)
_CERTAIN = "sh__certain"


class UnsupportedShapeError(ValueError):
    """A shape uses a SHACL feature this compiler does not translate."""

    def __init__(self, shape: Node, component: str, detail: str = "") -> None:
        self.shape = shape
        self.component = component
        text = f"shape {shape} uses {component}, which shacl_sparql does not support"
        super().__init__(text + (f": {detail}" if detail else ""))


class ShaclRuntimeError(RuntimeError):
    """The data makes validation fail where pySHACL fails too (it raises the same text)."""


# ============================================================================ public API

@dataclass(frozen=True)
class ShaclQuery:
    """A SPARQL SELECT that finds violations.

    ``shape`` is the shape whose targets give the focus nodes; ``constraints`` lists the
    (source shape, constraint component) pairs the query checks. For each targeted
    shape, one "pass" query visits the focus nodes once and tests every Core constraint
    of the shape and of its property shapes (rows: the flagged focus nodes); each
    property-comparison and SHACL-SPARQL constraint has a query of its own. Rows are
    candidates: what SPARQL does not mark certain is decided in Python.

    ``sparql`` is runnable on its own (class membership as ``rdf:type/rdfs:subClassOf*``);
    :func:`validate_store_sparql` runs ``render(closure)`` instead, with the subclasses of
    each class listed (looked up once per run: much faster than the path per node).
    """

    shape: str
    constraints: tuple[tuple[str, str], ...]
    template: str = field(repr=False)
    _handle: Callable[[_Runtime, list[dict[str, Node]]], list[Violation]] = field(
        repr=False, compare=False)
    _runtime_text: Callable[[dict[str, list[str]], _Statistics], str] | None = field(
        default=None, repr=False, compare=False)

    @property
    def sparql(self) -> str:
        return _render(self.template, None)

    def render(self, closure: dict[str, list[str]] | None) -> str:
        """The query with the subclasses of every class it tests listed (``closure``: IRI
        -> IRIs of the class and its subclasses), or with paths (``None``)."""
        return _render(self.template, closure)

    def classes(self) -> set[str]:
        """The classes whose subclasses the query needs."""
        found = {m.group(2) for m in _CLASS_MARK.finditer(self.template)}
        for m in _TYPES_MARK.finditer(self.template):
            found.update(re.findall(r"<([^>]*)>", m.group(2)))
        return found


def compile_shapes(shapes: Graph | None = None, *, portable: bool = False
                   ) -> list[ShaclQuery]:
    """The queries that validate data against ``shapes`` (default: tieskg's shapes).

    ``portable``: in a form SPARQL servers such as Virtuoso 7.2 also run (flat EXISTS, the
    tests filtering a sub-select), slower on the embedded store.
    Raises :class:`UnsupportedShapeError` for a shape this compiler cannot translate.
    """
    shapes = shapes_graph() if shapes is None else shapes
    if shapes is shapes_graph():
        return list(_compiled_default(portable))
    return _Compiler(shapes, portable=portable).compile()


def validate_store_sparql(store: Store, shapes: Graph | None = None, *,
                          queries: Sequence[ShaclQuery] | None = None,
                          threads: int | None = None,
                          progress: Callable[[int, int], None] | None = None
                          ) -> ValidationReport:
    """Validate everything in ``store`` (the union of its graphs) against ``shapes``.

    Gives the report :func:`tieskg.graph.validate.validate_store_pyshacl` gives, by running the
    compiled queries inside the store, ``threads`` at a time (default: one per CPU, at
    most 4). ``queries`` may pass :func:`compile_shapes`'s result to skip compilation.
    ``progress(done, total)`` is called as each query finishes.
    """
    compiled = list(queries) if queries is not None else compile_shapes(
        shapes, portable=not isinstance(store, OxigraphStore))
    lock = threading.Lock()
    closure = _closure(store, set().union(*(q.classes() for q in compiled)))
    runtime = _Runtime(store, closure)
    stats = runtime.stats

    finished = 0

    def run(query: ShaclQuery) -> list[dict[str, Node]]:
        nonlocal finished
        text = query._runtime_text(closure, stats) if query._runtime_text is not None \
            else query.render(closure)
        result = store.select(text)
        rows = [{name: term for name, term in zip(result.variables, row, strict=True)
                 if term is not None} for row in result.rows]
        with lock:
            finished += 1
            if progress is not None:
                progress(finished, len(compiled))
        return rows

    workers = threads if threads is not None else min(4, os.cpu_count() or 1)
    if workers > 1 and len(compiled) > 1:
        # Queries that check the most constraints take longest: start them first, so that
        # no thread is left with a long one at the end (10 % faster on 2 cores at 1M).
        by_cost = sorted(range(len(compiled)), key=lambda i: -len(compiled[i].constraints))
        with ThreadPoolExecutor(workers) as pool:
            done = dict(zip(by_cost, pool.map(run, [compiled[i] for i in by_cost]),
                            strict=True))
        results = [done[i] for i in range(len(compiled))]
    else:
        results = [run(q) for q in compiled]
    violations: list[Violation] = []
    for query, rows in zip(compiled, results, strict=True):
        if rows:
            violations.extend(query._handle(runtime, rows))
    return ValidationReport(not violations, tuple(violations))


def _closure(store: Store, classes: set[str]) -> dict[str, list[str]]:
    """Each class with its subclasses (``rdfs:subClassOf*`` over the whole store), for
    classes whose subclasses are all IRIs (the rest keep the path).

    The ``rdfs:subClassOf`` triples are read once and followed here, not with the path
    in SPARQL: Virtuoso refuses a transitive path whose start is bound only by VALUES
    ("transitive start not given")."""
    if not classes:
        return {}
    result = store.select(f"SELECT DISTINCT ?s ?c WHERE {{ ?s {_iri(RDFS.subClassOf)} ?c }}")
    below: dict[Node, set[Node]] = {}
    for sub, sup in result.rows:
        below.setdefault(sup, set()).add(sub)
    closure = {}
    for c in classes:
        seen: set[Node] = set()
        todo = [URIRef(c)]
        while todo:
            for sub in below.get(todo.pop(), ()):
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)
        if all(isinstance(sub, URIRef) for sub in seen):
            closure[c] = sorted({str(sub) for sub in seen} | {c})
    return closure


@cache
def _compiled_default(portable: bool = False) -> tuple[ShaclQuery, ...]:
    return tuple(_Compiler(shapes_graph(), portable=portable).compile())


# ============================================================================ SPARQL text

_XSD_INTEGER, _XSD_DECIMAL = XSD.integer, XSD.decimal
_STRING_VALUED = (XSD.string, RDF.langString, XSD.anyURI, XSD.normalizedString, XSD.token,
                  XSD.language)


def _iri(term: Node) -> str:
    return f"<{term}>"


def _string(text: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r"))
    return f'"{escaped}"'


def _term(term: Node, shape: Node, component: str) -> str:
    if isinstance(term, URIRef):
        return _iri(term)
    if isinstance(term, Literal):
        if term.language:
            return f"{_string(str(term))}@{term.language}"
        if term.datatype is not None:
            return f"{_string(str(term))}^^{_iri(term.datatype)}"
        return _string(str(term))
    raise UnsupportedShapeError(shape, component, f"blank node {term} as a constant")


_CLASS_MARK = re.compile(r"\u27e6class (\?\w+) <([^>]*)>\u27e7")
_TYPES_MARK = re.compile(r"\u27e6types (\?\w+)((?: <[^>]*>)+)\u27e7")


def _class_test(x: str, iri: str) -> str:
    """Placeholder for "``x`` is an instance of class ``iri``" (see :func:`_render`)."""
    return f"\u27e6class {x} {iri}\u27e7"


def _render(template: str, closure: dict[str, list[str]] | None) -> str:
    """Replace class placeholders: by ``rdf:type/rdfs:subClassOf*`` paths, or by lists of
    the subclasses ``closure`` gives."""
    counter = iter(range(1 << 30))
    subclass_of = _iri(RDFS.subClassOf)

    def cls(m: re.Match[str]) -> str:
        x, c = m.group(1), m.group(2)
        subs = None if closure is None else closure.get(c)
        if subs is None:
            return f"EXISTS {{ {x} a/{subclass_of}* <{c}> }}"
        if len(subs) == 1:
            return f"EXISTS {{ {x} a <{subs[0]}> }}"
        t = f"?sh__t{next(counter)}"
        return f"EXISTS {{ {x} a {t} . FILTER({t} IN ({', '.join(f'<{s}>' for s in subs)})) }}"

    def types(m: re.Match[str]) -> str:
        x, classes = m.group(1), re.findall(r"<([^>]*)>", m.group(2))
        t = f"?sh__t{next(counter)}"
        if closure is None or any(c not in closure for c in classes):
            listed = " ".join(f"<{c}>" for c in classes)
            return f"VALUES {t} {{ {listed} }} {x} a/{subclass_of}* {t} ."
        listed = " ".join(f"<{s}>" for s in sorted({s for c in classes for s in closure[c]}))
        return f"VALUES {t} {{ {listed} }} {x} a {t} ."

    return _TYPES_MARK.sub(types, _CLASS_MARK.sub(cls, template))


def _coalesce(expression: str) -> str:
    """``expression``, false where it raises a SPARQL error: every leaf is wrapped, so that
    negations and combinations of ``dc``/``dv`` never turn an error into a conclusion."""
    return f"COALESCE({expression}, false)"


def _exact_number(x: str) -> str:
    """A value Oxigraph stores as an exact number (integer or decimal)."""
    return f"(isNumeric({x}) && DATATYPE({x}) IN ({_iri(_XSD_INTEGER)}, {_iri(_XSD_DECIMAL)}))"


def _rdflib_equal(x: str, term: Node) -> str:
    """SPARQL that is true exactly where rdflib's ``==`` holds between the rdflib term of
    the stored value ``x`` (as :func:`~tieskg.graph.terms.to_rdflib` makes it) and
    ``term`` (from the shapes graph)."""
    if isinstance(term, URIRef):
        return f"sameTerm({x}, {_iri(term)})"
    if isinstance(term, BNode):
        return "false"  # shapes-graph blank nodes are never data terms
    assert isinstance(term, Literal)
    if term.datatype == XSD.string:
        return "false"  # stored xsd:string literals become plain rdflib literals
    text = _string(str(term))
    if term.language:
        return (f"(isLiteral({x}) && LANG({x}) != \"\" && LCASE(LANG({x})) = "
                f"{_string(term.language.lower())} && STR({x}) = {text})")
    datatype = term.datatype or XSD.string
    return f"(isLiteral({x}) && DATATYPE({x}) = {_iri(datatype)} && STR({x}) = {text})"


def _check_constant(shape: Node, component: str, term: Node) -> None:
    """Refuse literal constants whose comparison with stored values SPARQL cannot make as
    rdflib does: rdflib rewrites the lexical form of the values it parses (numbers, dates,
    booleans, normalized strings), Oxigraph stores its own canonical forms."""
    if isinstance(term, Literal) and term.datatype is not None and term.datatype != XSD.string \
            and (XSDToPython.get(term.datatype) is not None
                 or term.datatype in (XSD.normalizedString, XSD.token)):
        raise UnsupportedShapeError(shape, component, f"a literal of type {term.datatype}")


class _Fresh:
    """Fresh variable names for one query."""

    def __init__(self, prefix: str = "") -> None:
        self.count = 0
        self.prefix = prefix

    def __call__(self) -> str:
        self.count += 1
        return f"?sh__{self.prefix}{self.count}"


def _at_least(x: str, path: str, count: int, condition: Callable[[str], str] | None,
              fresh: _Fresh) -> str:
    """SPARQL: ``x`` has at least ``count`` distinct values along ``path`` (satisfying
    ``condition``)."""
    if count <= 0:
        return "true"
    if count <= 4:
        names = [fresh() for _ in range(count)]
        patterns = " . ".join(f"{x} {path} {n}" for n in names)
        tests = [f"!sameTerm({a}, {b})" for a, b in combinations(names, 2)]
        if condition is not None:
            tests += [f"({condition(n)})" for n in names]
        test = f" FILTER({' && '.join(tests)})" if tests else ""
        return f"EXISTS {{ {patterns} .{test} }}"
    value = fresh()
    test = f" FILTER({condition(value)})" if condition is not None else ""
    return (f"EXISTS {{ {{ SELECT {x} WHERE {{ {x} {path} {value} .{test} }} GROUP BY {x} "
            f"HAVING (COUNT(DISTINCT {value}) >= {count}) }} }}")


# ============================================================================ Python checks
# The exact decisions for the values SPARQL leaves uncertain: copies of pySHACL 0.40's code
# (constraints/core/value_constraints.py, string_based_constraints.py,
# value_range_constraints.py, property_pair_constraints.py), applied to the same rdflib
# terms pySHACL sees.

def _assert_actual_datatype(value_node: Literal, datatype_rule: Node) -> bool:
    value = value_node.value
    if datatype_rule in (XSD.string, RDF.langString):
        return isinstance(value, str | bytes)
    if datatype_rule == XSD.integer:
        return isinstance(value, int)
    if datatype_rule == XSD.float:
        return isinstance(value, float)
    if datatype_rule == XSD.decimal:
        return isinstance(value, Decimal)
    if datatype_rule == XSD.boolean:
        return isinstance(value, bool)
    if datatype_rule == XSD.date:
        return isinstance(value, date)
    if datatype_rule == XSD.time:
        return isinstance(value, time)
    if datatype_rule == XSD.dateTime:
        return isinstance(value, datetime)
    return True


def _datatype_ok(v: Node, rule: Node) -> bool:
    if not isinstance(v, Literal):
        return False
    if v.datatype == rule:
        if getattr(v, "ill_typed", None) is True:
            return False
        return _assert_actual_datatype(v, rule)
    if rule == RDFS.Literal:
        return True
    if rule == RDFS.Datatype and v.datatype:
        return True
    if v.datatype is None and v.language is None and rule == XSD.string:
        return _assert_actual_datatype(v, rule)
    if rule == RDF.langString and v.language:
        return _assert_actual_datatype(v, rule)
    return False


def _value_string(v: Node) -> str:
    if isinstance(v, Literal) and v.value is not None and v.datatype in (
            None, RDF.langString, XSD.string):
        return str(v.value)
    return str(v)


def _range_ok(v: Node, bound: Literal, test: Callable[[int], bool]) -> bool:
    if isinstance(v, BNode | URIRef) or not isinstance(v, Literal):
        return False
    bound_is_string = isinstance(bound.value, str)
    v_is_string = isinstance(v.value, str)
    if bound_is_string != v_is_string:
        return False
    try:
        return test(compare_literal(v, bound))
    except (TypeError, NotImplementedError):
        return False


def _pair_fails(value_node: Node, compare_value: Node, strict: bool) -> bool:
    """pySHACL's sh:lessThan (``strict``) / sh:lessThanOrEquals test of one pair."""
    name = "sh:lessThan" if strict else "sh:lessThanOrEquals"
    if isinstance(value_node, BNode) or isinstance(compare_value, BNode):
        raise ShaclRuntimeError(f"Cannot use {name} to compare a BlankNode.")
    value, value_is_string = value_node, False
    if isinstance(value, URIRef):
        value, value_is_string = str(value), True
    elif isinstance(value, Literal) and isinstance(value.value, str):
        value, value_is_string = value.value, True
    other, other_is_string = compare_value, False
    if isinstance(other, URIRef):
        other, other_is_string = str(other), True
    elif isinstance(other, Literal) and isinstance(other.value, str):
        other, other_is_string = other.value, True
    if value_is_string != other_is_string:
        return True
    return not (value < other if strict else value <= other)


# ============================================================================ regexes

def _rust_pattern(pattern: str) -> str | None:
    """A Rust ``regex`` (Oxigraph) pattern that matches a string only where Python's
    ``re.search(pattern)`` does (Python's ``$`` also matches before a final newline and its
    ``\\s`` also matches U+001C..U+001F: translations err on the side of no match), or
    ``None`` when ``pattern`` uses syntax this translation does not know."""
    out: list[str] = []
    i, n = 0, len(pattern)
    atom = False  # whether a quantifier may follow
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                return None
            d = pattern[i + 1]
            translated = {"S": r"[^\s\x1C-\x1F]", "s": r"[\s\x1C-\x1F]", "d": "[0-9]",
                          "w": "[0-9A-Za-z_]"}.get(d)
            if translated is None and d in ".^$|()[]{}*+?\\/-":
                translated = "\\" + d
            if translated is None:
                return None
            out.append(translated)
            i, atom = i + 2, True
        elif c == "[":
            end, translated = _rust_class(pattern, i)
            if translated is None:
                return None
            out.append(translated)
            i, atom = end, True
        elif c == "(":
            if pattern.startswith("(?:", i):
                out.append("(?:")
                i += 3
            elif pattern.startswith("(?", i):
                return None
            else:
                out.append("(")
                i += 1
            atom = False
        elif c in "*+?{":
            if not atom:
                return None
            if c == "{":
                match = re.match(r"\{(\d+)(,(\d*))?\}", pattern[i:])
                if match is None:
                    return None
                out.append(match.group(0))
                i += len(match.group(0))
            else:
                out.append(c)
                i += 1
            if i < n and pattern[i] == "+":
                return None  # possessive quantifier: Python only
            if i < n and pattern[i] == "?":
                out.append("?")
                i += 1
            atom = False
        elif c in "])}":
            if c != ")":
                return None
            out.append(c)
            i, atom = i + 1, True
        elif c in "^$|":
            out.append(c)
            i, atom = i + 1, False
        else:
            out.append(c)  # "." and literal characters mean the same in both dialects
            i, atom = i + 1, True
    return "".join(out)


def _rust_class(pattern: str, start: int) -> tuple[int, str | None]:
    i, n = start + 1, len(pattern)
    out = ["["]
    if i < n and pattern[i] == "^":
        out.append("^")
        i += 1
    first = True
    while i < n:
        c = pattern[i]
        if c == "]" and not first:
            out.append("]")
            return i + 1, "".join(out)
        if c == "]" or c == "[":
            return i, None
        if c == "\\":
            if i + 1 >= n or pattern[i + 1] not in "\\]^-.[/":
                return i, None
            out.append(pattern[i:i + 2])
            i += 2
        elif c in "&~-" and i + 1 < n and pattern[i + 1] == c:
            return i, None  # Rust class set operations
        else:
            out.append(c)
            i += 1
        first = False
    return i, None


@cache
def _python_regex(pattern: str, flags: str) -> re.Pattern[str]:
    re_flags = 0
    if "i" in flags:
        re_flags |= re.I
    if "m" in flags:
        re_flags |= re.M
    return re.compile(pattern, re_flags)


# ============================================================================ conditions

class _Evaluator:
    """Exact (pySHACL) decisions on single nodes, querying the store where needed."""

    def __init__(self, store: Store, closure: dict[str, list[str]]) -> None:
        self.store = store
        self.closure = closure
        self._values: dict[tuple[Node, str], list[Node]] = {}
        self._holds: dict[tuple[int, Node], bool] = {}

    def values(self, node: Node, path: str) -> list[Node]:
        key = (node, path)
        if key not in self._values:
            result = self.store.select(
                f"SELECT DISTINCT ?sh__x ?sh__v WHERE {{ ?sh__x {path} ?sh__v }}",
                bindings={"sh__x": node})
            self._values[key] = [row[1] for row in result.rows if row[1] is not None]
        return self._values[key]

    def holds(self, condition: _Cond, node: Node) -> bool:
        key = (id(condition), node)
        if key not in self._holds:
            expression = _render(condition.dc("?sh__x", _Fresh()), self.closure)
            result = self.store.select(
                f"SELECT ?sh__x WHERE {{ FILTER({expression}) }} LIMIT 1",
                bindings={"sh__x": node})
            self._holds[key] = bool(result.rows)
        return self._holds[key]


class _Cond:
    """A test of one node: ``dc``/``dv`` SPARQL expressions (never erroring) and the exact
    Python decision ``check``. ``exact`` when ``dc`` is the exact decision."""

    exact = False

    def dc(self, x: str, fresh: _Fresh) -> str:
        raise NotImplementedError

    def dv(self, x: str, fresh: _Fresh) -> str:
        raise NotImplementedError

    def check(self, ev: _Evaluator, node: Node) -> bool:
        raise NotImplementedError


class _Expr(_Cond):
    """A condition SPARQL decides exactly."""

    exact = True

    def __init__(self, build: Callable[[str, _Fresh], str]) -> None:
        self.build = build

    def dc(self, x: str, fresh: _Fresh) -> str:
        return _coalesce(self.build(x, fresh))

    def dv(self, x: str, fresh: _Fresh) -> str:
        return _coalesce(f"!({self.build(x, fresh)})")

    def check(self, ev: _Evaluator, node: Node) -> bool:
        return ev.holds(self, node)


_TRUE = _Expr(lambda x, fresh: "true")


class _Leaf(_Cond):
    """A value test SPARQL decides only in part; Python (``test``) decides the rest."""

    def __init__(self, dc: Callable[[str], str], dv: Callable[[str], str],
                 test: Callable[[Node], bool]) -> None:
        self._dc, self._dv, self.test = dc, dv, test

    def dc(self, x: str, fresh: _Fresh) -> str:
        return _coalesce(self._dc(x))

    def dv(self, x: str, fresh: _Fresh) -> str:
        return _coalesce(self._dv(x))

    def check(self, ev: _Evaluator, node: Node) -> bool:
        return self.test(node)


class _All(_Cond):
    def __init__(self, parts: Sequence[_Cond]) -> None:
        self.parts = list(parts)
        self.exact = all(p.exact for p in self.parts)

    def dc(self, x: str, fresh: _Fresh) -> str:
        return " && ".join(f"({p.dc(x, fresh)})" for p in self.parts) or "true"

    def dv(self, x: str, fresh: _Fresh) -> str:
        return " || ".join(f"({p.dv(x, fresh)})" for p in self.parts) or "false"

    def check(self, ev: _Evaluator, node: Node) -> bool:
        if self.exact:
            return ev.holds(self, node)
        return all([p.check(ev, node) for p in self.parts])


class _Any(_Cond):
    def __init__(self, parts: Sequence[_Cond]) -> None:
        self.parts = list(parts)
        self.exact = all(p.exact for p in self.parts)

    def dc(self, x: str, fresh: _Fresh) -> str:
        return " || ".join(f"({p.dc(x, fresh)})" for p in self.parts) or "false"

    def dv(self, x: str, fresh: _Fresh) -> str:
        return " && ".join(f"({p.dv(x, fresh)})" for p in self.parts) or "true"

    def check(self, ev: _Evaluator, node: Node) -> bool:
        if self.exact:
            return ev.holds(self, node)
        return any([p.check(ev, node) for p in self.parts])


class _Not(_Cond):
    def __init__(self, part: _Cond) -> None:
        self.part = part
        self.exact = part.exact

    def dc(self, x: str, fresh: _Fresh) -> str:
        return self.part.dv(x, fresh)

    def dv(self, x: str, fresh: _Fresh) -> str:
        return self.part.dc(x, fresh)

    def check(self, ev: _Evaluator, node: Node) -> bool:
        return not self.part.check(ev, node)


class _One(_Cond):
    """sh:xone: exactly one part holds."""

    def __init__(self, parts: Sequence[_Cond]) -> None:
        self.parts = list(parts)
        self.exact = all(p.exact for p in self.parts)

    def dc(self, x: str, fresh: _Fresh) -> str:
        options = []
        for i, part in enumerate(self.parts):
            others = [f"({p.dv(x, fresh)})" for j, p in enumerate(self.parts) if j != i]
            options.append(" && ".join([f"({part.dc(x, fresh)})", *others]))
        return " || ".join(f"({o})" for o in options) or "false"

    def dv(self, x: str, fresh: _Fresh) -> str:
        none = " && ".join(f"({p.dv(x, fresh)})" for p in self.parts) or "true"
        two = [f"(({a.dc(x, fresh)}) && ({b.dc(x, fresh)}))"
               for a, b in combinations(self.parts, 2)]
        return " || ".join([f"({none})", *two])

    def check(self, ev: _Evaluator, node: Node) -> bool:
        return sum(1 for p in self.parts if p.check(ev, node)) == 1


class _Values(_Cond):
    """Every value of ``node`` along ``path`` satisfies ``inner``."""

    def __init__(self, path: str, inner: _Cond) -> None:
        self.path, self.inner = path, inner
        self.exact = inner.exact

    def dc(self, x: str, fresh: _Fresh) -> str:
        y = fresh()
        return f"NOT EXISTS {{ {x} {self.path} {y} . FILTER(!({self.inner.dc(y, fresh)})) }}"

    def dv(self, x: str, fresh: _Fresh) -> str:
        y = fresh()
        return f"EXISTS {{ {x} {self.path} {y} . FILTER({self.inner.dv(y, fresh)}) }}"

    def check(self, ev: _Evaluator, node: Node) -> bool:
        if self.exact:
            return ev.holds(self, node)
        return all([self.inner.check(ev, v) for v in ev.values(node, self.path)])


# ============================================================================ the shapes

@dataclass
class _Shape:
    graph: Graph
    node: Node
    path: Node | None
    path_sparql: str | None
    path_text: str | None
    messages: tuple[Node, ...]
    severity: Node
    deactivated: bool

    @property
    def is_property(self) -> bool:
        return self.path is not None


#: Parameters that name a constraint component (the first one of each listed).
_COMPONENT_OF: dict[URIRef, URIRef] = {
    SH["class"]: SH.ClassConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent,
    SH.uniqueLang: SH.UniqueLangConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.hasValue: SH.HasValueConstraintComponent,
    SH.equals: SH.EqualsConstraintComponent,
    SH.disjoint: SH.DisjointConstraintComponent,
    SH.lessThan: SH.LessThanConstraintComponent,
    SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
    SH["not"]: SH.NotConstraintComponent,
    SH["and"]: SH.AndConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
    SH.xone: SH.XoneConstraintComponent,
    SH.node: SH.NodeConstraintComponent,
    SH.property: SH.PropertyConstraintComponent,
    SH.qualifiedValueShape: SH.QualifiedValueShapeConstraintComponent,
    SH.closed: SH.ClosedConstraintComponent,
    SH.sparql: SH.SPARQLConstraintComponent,
}
#: Parameters read together with a component's own.
_AUXILIARY = {SH.flags, SH.qualifiedMinCount, SH.qualifiedMaxCount,
              SH.qualifiedValueShapesDisjoint, SH.ignoredProperties}
#: sh: predicates that check nothing.
_NON_VALIDATING = {SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf,
                   SH.path, SH.message, SH.severity, SH.deactivated, SH.name,
                   SH.description, SH.order, SH.group, SH.defaultValue, SH.declare,
                   SH.prefixes, SH.select}
#: Value-level components: a test of each value node on its own.
_VALUE_LEVEL = {SH["class"], SH.datatype, SH.nodeKind, SH.minInclusive, SH.maxInclusive,
                SH.minExclusive, SH.maxExclusive, SH.pattern, SH.languageIn, SH["in"],
                SH.node, SH["not"], SH["and"], SH["or"], SH.xone}
_RANGES: dict[URIRef, tuple[str, Callable[[int], bool]]] = {
    SH.minInclusive: (">=", lambda c: c >= 0),
    SH.minExclusive: (">", lambda c: c > 0),
    SH.maxInclusive: ("<=", lambda c: c <= 0),
    SH.maxExclusive: ("<", lambda c: c < 0),
}
_NODE_KINDS = {
    SH.IRI: "isIRI({x})", SH.BlankNode: "isBlank({x})", SH.Literal: "isLiteral({x})",
    SH.BlankNodeOrIRI: "(isBlank({x}) || isIRI({x}))",
    SH.BlankNodeOrLiteral: "(isBlank({x}) || isLiteral({x}))",
    SH.IRIOrLiteral: "(isIRI({x}) || isLiteral({x}))",
}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


class _Unit:
    """The tests one shape contributes to the pass query of a targeted shape: flags on
    the focus node, and value-level checks (of the focus node itself for a node shape;
    for a property shape, one flag "some value may fail", then a follow-up query on the
    flagged focus node's values)."""

    def __init__(self, shape: _Shape, prefix: str, portable: bool = False) -> None:
        self.shape = shape
        self.prefix = prefix
        self.portable = portable
        self.flags: list[tuple[str, URIRef, str]] = []  # (kind, component, variable)
        self.qualified: list[tuple[_Cond, int | None, int | None]] = []
        self.checks: list[tuple[URIRef, _Cond]] = []
        self.binds: list[tuple[str, str]] = []  # (variable, expression)
        self.tests: list[str] = []
        self.follow_up: str | None = None
        self.min_count: int | None = None
        self.max_count: int | None = None
        self.summary: str | None = None  # the flag that stands for counts and values

    def flag(self, kind: str, component: URIRef, expression: str) -> None:
        name = f"{self.prefix}f{len(self.flags)}"
        self.flags.append((kind, component, name))
        self.binds.append((name, expression))
        if not kind.startswith("qualified") or kind in ("qualified0", "qualified2"):
            self.tests.append(name)

    def components(self) -> list[URIRef]:
        found = {c for _, c, _ in self.flags} | {c for c, _ in self.checks}
        if self.min_count:
            found.add(SH.MinCountConstraintComponent)
        if self.max_count is not None:
            found.add(SH.MaxCountConstraintComponent)
        return sorted(found)

    def finish(self, fresh: _Fresh) -> None:
        path = self.shape.path_sparql
        n = self.min_count or None
        m = self.max_count
        if path is not None and (n is not None or m is not None or self.checks):
            if n in (None, 1) and (m is None or m <= 1) and not (n == 1 and m == 0):
                # one test for the counts and the values: "may be wrong somehow"
                self.summary = self._summary(path, n, m, fresh)
                name = f"{self.prefix}s"
                self.binds.append((name, self.summary))
                self.tests.append(name)
            else:
                if n is not None:
                    self.flag("focus", SH.MinCountConstraintComponent,
                              f"!({_at_least('?this', path, n, None, fresh)})")
                if m is not None:
                    self.flag("focus", SH.MaxCountConstraintComponent,
                              _at_least("?this", path, m + 1, None, fresh))
        if not self.checks:
            return
        if path is None:  # the focus node is the value node
            for i, (_component, cond) in enumerate(self.checks):
                c, d = f"{self.prefix}c{i}", f"{self.prefix}d{i}"
                self.binds += [(c, f"!({cond.dc('?this', fresh)})"),
                               (d, cond.dv("?this", fresh))]
                self.tests.append(c)
            return
        if self.summary is None:
            v = fresh()
            failing = " || ".join(f"!({cond.dc(v, fresh)})" for _, cond in self.checks)
            name = f"{self.prefix}v"
            self.binds.append((name, f"EXISTS {{ ?this {path} {v} . FILTER({failing}) }}"))
            self.tests.append(name)
        names, binds, tests = [], [], []
        for i, (_component, cond) in enumerate(self.checks):
            c, d = f"?sh__c{i}", f"?sh__d{i}"
            binds += [f"BIND(!({cond.dc('?value', fresh)}) AS {c})",
                      f"BIND({cond.dv('?value', fresh)} AS {d})"]
            names += [c, d]
            tests.append(c)
        self.follow_up = (f"SELECT DISTINCT ?this ?value {' '.join(names)} WHERE {{ "
                          f"?this {path} ?value . {' '.join(binds)} "
                          f"FILTER({' || '.join(tests)}) }}")


    def _summary(self, path: str, n: int | None, m: int | None, fresh: _Fresh) -> str:
        """One SPARQL test, true where sh:minCount ``n`` (None or 1), sh:maxCount ``m``
        (None, 0 or 1) or a value check may fail (the handler then finds out which)."""
        a, b = fresh(), fresh()
        passes = " && ".join(f"({cond.dc(a, fresh)})" for _, cond in self.checks) or "true"
        if self.portable:
            return self._flat_summary(path, n, m, passes, a, b, fresh)
        second = f"EXISTS {{ ?this {path} {b} . FILTER(!sameTerm({a}, {b})) }}"
        if n == 1 and m == 1:
            return f"!EXISTS {{ ?this {path} {a} . FILTER(({passes}) && !{second}) }}"
        wrong = [f"!({passes})"] if self.checks else []
        if m == 0:
            wrong = ["true"]
        elif m == 1:
            wrong.append(second)
        parts = []
        if n == 1:
            parts.append(f"!EXISTS {{ ?this {path} {fresh()} }}")
        if wrong:
            parts.append(f"EXISTS {{ ?this {path} {a} . FILTER({' || '.join(wrong)}) }}")
        return " || ".join(parts)

    def _flat_summary(self, path: str, n: int | None, m: int | None, passes: str, a: str,
                      b: str, fresh: _Fresh) -> str:
        """:meth:`_summary` as a disjunction of flat EXISTS, each in a COALESCE: Virtuoso
        fails to compile EXISTS || EXISTS in a BIND, and runs out of time on an EXISTS
        nested in the FILTER of another (the embedded store is faster with the nesting)."""
        parts = []
        if n == 1:
            parts.append(f"!EXISTS {{ ?this {path} {fresh()} }}")
        if m == 0:
            parts.append(f"EXISTS {{ ?this {path} {fresh()} }}")
        else:
            if self.checks:
                parts.append(f"EXISTS {{ ?this {path} {a} . FILTER(!({passes})) }}")
            if m == 1:
                parts.append(f"EXISTS {{ ?this {path} {a} . ?this {path} {b} . "
                             f"FILTER(!sameTerm({a}, {b})) }}")
        if len(parts) == 1:
            return parts[0]
        return " || ".join(_coalesce(part) for part in parts) if parts else "false"


class _Compiler:
    def __init__(self, graph: Graph, *, portable: bool = False) -> None:
        self.g = graph
        self.portable = portable
        self._shapes: dict[Node, _Shape] = {}
        self._conds: dict[Node, _Cond] = {}
        self._building: list[Node] = []
        self.custom_parameters = self._custom_parameters()

    # ---------------------------------------------------------------- shapes
    def shape(self, node: Node) -> _Shape:
        if node not in self._shapes:
            g = self.g
            paths = list(g.objects(node, SH.path))
            if len(paths) > 1:
                raise UnsupportedShapeError(node, "sh:path", "more than one sh:path")
            path = paths[0] if paths else None
            deactivated = list(g.objects(node, SH.deactivated))
            if len(deactivated) > 1:
                raise UnsupportedShapeError(node, "sh:deactivated", "more than one value")
            severities = sorted(g.objects(node, SH.severity))
            self._shapes[node] = _Shape(
                graph=g, node=node, path=path,
                path_sparql=None if path is None else self.path_sparql(node, path),
                path_text=None if path is None else _path_text(g, path),
                messages=tuple(sorted(set(g.objects(node, SH.message)))),
                severity=severities[0] if severities else SH.Violation,
                deactivated=bool(deactivated and getattr(deactivated[0], "value", True)),
            )
        return self._shapes[node]

    def path_sparql(self, shape: Node, path: Node) -> str:
        g = self.g
        if isinstance(path, URIRef):
            return _iri(path)
        if (path, RDF.first, None) in g:
            items = list(Collection(g, path))
            if len(items) < 2:
                raise UnsupportedShapeError(shape, "sh:path", "a sequence of fewer than 2")
            return "(" + " / ".join(self.path_sparql(shape, p) for p in items) + ")"
        for predicate, template in ((SH.inversePath, "^({})"), (SH.zeroOrMorePath, "({})*"),
                                    (SH.oneOrMorePath, "({})+"), (SH.zeroOrOnePath, "({})?")):
            inner = g.value(path, predicate)
            if inner is not None:
                return template.format(self.path_sparql(shape, inner))
        alternatives = g.value(path, SH.alternativePath)
        if alternatives is not None:
            items = list(Collection(g, alternatives))
            if len(items) < 2:
                raise UnsupportedShapeError(shape, "sh:path",
                                            "sh:alternativePath needs a list of 2 or more")
            return "(" + " | ".join(self.path_sparql(shape, p) for p in items) + ")"
        raise UnsupportedShapeError(shape, "sh:path", f"unknown path {path}")

    def _custom_parameters(self) -> set[Node]:
        g = self.g
        found = set()
        for component in g.subjects(RDF.type, SH.ConstraintComponent):
            for parameter in g.objects(component, SH.parameter):
                found.update(g.objects(parameter, SH.path))
        return found

    def parameters(self, node: Node) -> list[URIRef]:
        """The component parameters of ``node`` (first parameter of each component),
        raising for any that is not supported."""
        found = []
        for predicate in sorted(set(self.g.predicates(node))):
            if predicate in self.custom_parameters:
                raise UnsupportedShapeError(node, str(predicate),
                                            "a SHACL-SPARQL constraint component")
            if predicate in _COMPONENT_OF:
                found.append(predicate)
            elif predicate in _AUXILIARY or predicate in _NON_VALIDATING:
                continue
            elif str(predicate).startswith(str(SH)):
                raise UnsupportedShapeError(node, f"sh:{str(predicate)[len(str(SH)):]}")
        if {SH.minCount, SH.maxCount, SH.uniqueLang} & set(found) and \
                (node, SH.path, None) not in self.g:
            which = "sh:uniqueLang" if SH.uniqueLang in found else "sh:minCount/maxCount"
            raise UnsupportedShapeError(node, which, "only on property shapes")
        if SH.qualifiedValueShape in found and (node, SH.path, None) not in self.g:
            raise UnsupportedShapeError(node, "sh:qualifiedValueShape",
                                        "only on property shapes")
        return found

    def one(self, node: Node, parameter: URIRef) -> Node:
        values = list(self.g.objects(node, parameter))
        if len(values) != 1:
            name = str(parameter)[len(str(SH)):]
            raise UnsupportedShapeError(node, f"sh:{name}", "needs exactly one value")
        return values[0]

    def count(self, node: Node, parameter: URIRef) -> int:
        value = self.one(node, parameter)
        if not isinstance(value, Literal) or not isinstance(value.value, int) \
                or isinstance(value.value, bool):
            raise UnsupportedShapeError(node, str(parameter), "not an integer")
        return int(value.value)

    def items(self, shape: Node, parameter: URIRef, head: Node) -> list[Node]:
        if head == RDF.nil:
            return []
        if (head, RDF.first, None) not in self.g:
            raise UnsupportedShapeError(shape, str(parameter), "value is not an RDF list")
        return list(Collection(self.g, head))

    # ---------------------------------------------------------------- value-level conditions
    def value_conds(self, node: Node, parameter: URIRef, nested: bool) -> list[_Cond]:
        """One condition per rule of a value-level ``parameter`` of shape ``node``."""
        g = self.g
        if parameter == SH["class"]:
            return [self.class_cond(c) for c in sorted(g.objects(node, SH["class"]))]
        if parameter == SH.datatype:
            return [self.datatype_cond(self.one(node, SH.datatype))]
        if parameter == SH.nodeKind:
            kind = self.one(node, SH.nodeKind)
            if kind not in _NODE_KINDS:
                raise UnsupportedShapeError(node, "sh:nodeKind", f"unknown kind {kind}")
            template = _NODE_KINDS[kind]
            return [_Expr(lambda x, fresh, t=template: t.format(x=x))]
        if parameter in _RANGES:
            return [self.range_cond(node, parameter, bound)
                    for bound in sorted(g.objects(node, parameter))]
        if parameter == SH.pattern:
            flag_values = list(g.objects(node, SH.flags))
            flags = str(getattr(flag_values[0], "value", flag_values[0])).lower() \
                if flag_values else ""
            return [self.pattern_cond(node, p, flags) for p in sorted(g.objects(node, SH.pattern))]
        if parameter == SH.languageIn:
            return [self.language_cond(node, self.one(node, SH.languageIn))]
        if parameter == SH["in"]:
            members = self.items(node, SH["in"], self.one(node, SH["in"]))
            return [self.in_cond(node, members)]
        if parameter == SH.node:
            return [self.shape_cond(s) for s in sorted(g.objects(node, SH.node))]
        if parameter == SH["not"]:
            return [_Not(self.shape_cond(s)) for s in sorted(g.objects(node, SH["not"]))]
        lists = sorted(g.objects(node, parameter))
        combine = {SH["and"]: _All, SH["or"]: _Any, SH.xone: _One}[parameter]
        return [combine([self.shape_cond(s) for s in self.items(node, parameter, head)])
                for head in lists]

    @staticmethod
    def class_cond(cls: Node) -> _Cond:
        iri = _iri(cls) if isinstance(cls, URIRef) else None
        if iri is None:
            return _Expr(lambda x, fresh: "false")
        return _Expr(lambda x, fresh: _class_test(x, iri))

    @staticmethod
    def datatype_cond(rule: Node) -> _Cond:
        d = _iri(rule) if isinstance(rule, URIRef) else "<urn:x-not-a-datatype>"
        if rule == RDF.langString:
            return _Expr(lambda x, fresh: f'(isLiteral({x}) && LANG({x}) != "")')
        if rule == XSD.string:
            return _Expr(lambda x, fresh: f"(isLiteral({x}) && DATATYPE({x}) = {d})")
        if rule == RDFS.Literal:
            return _Expr(lambda x, fresh: f"isLiteral({x})")
        if rule == RDFS.Datatype:
            return _Expr(lambda x, fresh: f"(isLiteral({x}) && DATATYPE({x}) NOT IN "
                                          f"({_iri(XSD.string)}, {_iri(RDF.langString)}))")
        if XSDToPython.get(rule) is None:
            # rdflib converts no lexical form: pySHACL then accepts any literal of the type
            return _Expr(lambda x, fresh: f"(isLiteral({x}) && DATATYPE({x}) = {d})")
        if rule in (XSD.integer, XSD.decimal, XSD.double, XSD.float):
            safe = "isNumeric({x})"
        elif rule == XSD.boolean:
            safe = 'STR({x}) IN ("true", "false")'
        elif rule == XSD.date:
            safe = ('(REGEX(STR({x}), "^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$") && '
                    '!STRSTARTS(STR({x}), "0000") && sameTerm(' + _iri(XSD.date) + '({x}), {x}))')
        elif rule == XSD.dateTime:
            safe = ('(REGEX(STR({x}), "^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:'
                    '[0-9]{{2}}([.][0-9]{{1,6}})?(Z|[+-][0-9]{{2}}:[0-9]{{2}})?$") && '
                    '!STRSTARTS(STR({x}), "0000") && sameTerm(' + _iri(XSD.dateTime)
                    + '({x}), {x}))')
        else:
            safe = "false"
        return _Leaf(
            dc=lambda x: f"(isLiteral({x}) && DATATYPE({x}) = {d} && {safe.format(x=x)})",
            dv=lambda x: f"(!isLiteral({x}) || DATATYPE({x}) != {d})",
            test=lambda v: _datatype_ok(v, rule))

    def range_cond(self, node: Node, parameter: URIRef, bound: Node) -> _Cond:
        if not isinstance(bound, Literal):
            raise UnsupportedShapeError(node, str(parameter), "bound is not a literal")
        operator, test = _RANGES[parameter]
        exact = bound.datatype in (_XSD_INTEGER, _XSD_DECIMAL) and bound.value is not None
        b = _term(bound, node, str(parameter))
        bound_is_string = isinstance(bound.value, str)
        strings = ", ".join(_iri(t) for t in _STRING_VALUED)

        def dc(x: str) -> str:
            return f"({_exact_number(x)} && {x} {operator} {b})" if exact else "false"

        def dv(x: str) -> str:
            parts = [f"!isLiteral({x})"]
            if not bound_is_string:
                parts.append(f"(isLiteral({x}) && DATATYPE({x}) IN ({strings}))")
            if exact:
                parts.append(f"({_exact_number(x)} && !({x} {operator} {b}))")
            return "(" + " || ".join(parts) + ")"

        return _Leaf(dc=dc, dv=dv, test=lambda v: _range_ok(v, bound, test))

    def pattern_cond(self, node: Node, pattern: Node, flags: str) -> _Cond:
        if not isinstance(pattern, Literal):
            raise UnsupportedShapeError(node, "sh:pattern", "pattern is not a literal")
        text = str(pattern.value) if pattern.value is not None and len(pattern.value) > 1 \
            else str(pattern)
        regex = _python_regex(text, flags)
        rust = None if "i" in flags else _rust_pattern(text)
        rust_flags = ', "m"' if "m" in flags else ""
        # where rdflib's lexical form is Oxigraph's (it rewrites numbers, dates, ...)
        kept = ", ".join(_iri(t) for t in (XSD.string, RDF.langString, XSD.anyURI))

        def dc(x: str) -> str:
            if rust is None:
                return "false"
            return (f"((isIRI({x}) || (isLiteral({x}) && DATATYPE({x}) IN ({kept}))) "
                    f"&& REGEX(STR({x}), {_string(rust)}{rust_flags}))")

        def test(v: Node) -> bool:
            if isinstance(v, BNode):
                return False
            s = _value_string(v)
            return bool(regex.match(s) or regex.search(s))

        return _Leaf(dc=dc, dv=lambda x: f"isBlank({x})", test=test)

    def language_cond(self, node: Node, head: Node) -> _Cond:
        languages = set()
        for item in self.items(node, SH.languageIn, head):
            if not isinstance(item, Literal) or not isinstance(item.value, str):
                raise UnsupportedShapeError(node, "sh:languageIn", "needs string literals")
            languages.add(str(item.value).lower())
        if "*" in languages:
            return _Expr(lambda x, fresh: f'(isLiteral({x}) && LANG({x}) != "")')
        if not languages:
            return _Expr(lambda x, fresh: "false")
        listed = ", ".join(_string(t) for t in sorted(languages))

        def build(x: str, fresh: _Fresh) -> str:
            lang = f"LCASE(LANG({x}))"
            first = f'IF(CONTAINS({lang}, "-"), STRBEFORE({lang}, "-"), {lang})'
            return (f'(isLiteral({x}) && LANG({x}) != "" && '
                    f"({lang} IN ({listed}) || {first} IN ({listed})))")

        return _Expr(build)

    def in_cond(self, node: Node, members: list[Node]) -> _Cond:
        for m in members:
            _check_constant(node, "sh:in", m)
        return _Expr(lambda x, fresh: "(" + " || ".join(
            _rdflib_equal(x, m) for m in members) + ")" if members else "false")

    # ---------------------------------------------------------------- nested shapes
    def shape_cond(self, node: Node) -> _Cond:
        """Whether a node conforms to shape ``node`` (as sh:not, sh:or, ... ask)."""
        if node in self._conds:
            return self._conds[node]
        if node in self._building:
            raise UnsupportedShapeError(node, "recursive shapes")
        self._building.append(node)
        try:
            shape = self.shape(node)
            cond = _TRUE if shape.deactivated else self._shape_cond(shape)
        finally:
            self._building.pop()
        self._conds[node] = cond
        return cond

    def _shape_cond(self, shape: _Shape) -> _Cond:
        parts: list[_Cond] = []
        path = shape.path_sparql
        node = shape.node
        for parameter in self.parameters(node):
            name = f"sh:{str(parameter)[len(str(SH)):]}"
            if parameter in _VALUE_LEVEL:
                for cond in self.value_conds(node, parameter, nested=True):
                    parts.append(_Values(path, cond) if path else cond)
            elif parameter == SH.property:
                for sub in sorted(self.g.objects(node, SH.property)):
                    cond = self.shape_cond(sub)
                    parts.append(_Values(path, cond) if path else cond)
            elif parameter == SH.minCount:
                n = self.count(node, SH.minCount)
                parts.append(_Expr(lambda x, fresh, n=n, p=path: _at_least(x, p, n, None, fresh)))
            elif parameter == SH.maxCount:
                m = self.count(node, SH.maxCount)
                parts.append(_Expr(lambda x, fresh, m=m, p=path:
                                   f"!({_at_least(x, p, m + 1, None, fresh)})"))
            elif parameter == SH.hasValue:
                for value in sorted(self.g.objects(node, SH.hasValue)):
                    parts.append(self.has_value_cond(shape, value))
            elif parameter == SH.uniqueLang:
                if self.unique_lang(node):
                    parts.append(_Expr(lambda x, fresh, p=path:
                                       f"!({self.duplicate_language(x, p, fresh)})"))
            elif parameter in (SH.equals, SH.disjoint):
                for other in sorted(self.g.objects(node, parameter)):
                    parts.append(self.pair_set_cond(shape, parameter, other))
            elif parameter == SH.closed:
                test = self.closed_test(shape)
                if test is not None:
                    parts.append(_Expr(lambda x, fresh, t=test: self.closed_ok(x, path, t, fresh)))
            else:
                raise UnsupportedShapeError(node, name, "inside sh:not/sh:and/sh:or/sh:xone/"
                                            "sh:node/sh:property of a nested shape")
        return _All(parts)

    def has_value_cond(self, shape: _Shape, value: Node) -> _Cond:
        _check_constant(shape.node, "sh:hasValue", value)
        if shape.path_sparql is None:
            return _Expr(lambda x, fresh: _rdflib_equal(x, value))
        p = shape.path_sparql

        def build(x: str, fresh: _Fresh) -> str:
            y = fresh()
            return f"EXISTS {{ {x} {p} {y} . FILTER({_rdflib_equal(y, value)}) }}"

        return _Expr(build)

    def unique_lang(self, node: Node) -> bool:
        value = self.one(node, SH.uniqueLang)
        if not isinstance(value, Literal) or not isinstance(value.value, bool):
            raise UnsupportedShapeError(node, "sh:uniqueLang", "needs a boolean")
        return bool(value.value)

    @staticmethod
    def duplicate_language(x: str, path: str, fresh: _Fresh) -> str:
        a, b = fresh(), fresh()
        return (f"EXISTS {{ {x} {path} {a} . {x} {path} {b} . FILTER(isLiteral({a}) && "
                f'isLiteral({b}) && LANG({a}) != "" && !sameTerm({a}, {b}) && '
                f"LCASE(LANG({a})) = LCASE(LANG({b}))) }}")

    def pair_set_cond(self, shape: _Shape, parameter: URIRef, other: Node) -> _Cond:
        if not isinstance(other, URIRef):
            raise UnsupportedShapeError(shape.node, str(parameter), "needs an IRI")
        o = _iri(other)
        p = shape.path_sparql

        def build(x: str, fresh: _Fresh) -> str:
            y = fresh()
            if parameter == SH.disjoint:
                if p is None:
                    return f"NOT EXISTS {{ {x} {o} {x} }}"
                return f"NOT EXISTS {{ {x} {p} {y} . {x} {o} {y} }}"
            if p is None:
                return (f"(EXISTS {{ {x} {o} {x} }} && NOT EXISTS {{ {x} {o} {y} . "
                        f"FILTER(!sameTerm({y}, {x})) }})")
            return (f"(NOT EXISTS {{ {x} {p} {y} . FILTER NOT EXISTS {{ {x} {o} {y} }} }} && "
                    f"NOT EXISTS {{ {x} {o} {y} . FILTER NOT EXISTS {{ {x} {p} {y} }} }})")

        return _Expr(build)

    def closed_test(self, shape: _Shape) -> str | None:
        """The SPARQL test of a (predicate ?p, object ?o) pair a closed shape forbids, or
        None when the shape is not closed."""
        value = self.one(shape.node, SH.closed)
        if not isinstance(value, Literal) or not bool(value.value):
            return None
        allowed = set()
        for head in self.g.objects(shape.node, SH.ignoredProperties):
            allowed.update(i for i in self.items(shape.node, SH.ignoredProperties, head)
                           if isinstance(i, URIRef))
        for sub in self.g.objects(shape.node, SH.property):
            path = self.g.value(sub, SH.path)
            if isinstance(path, URIRef):
                allowed.add(path)
        listed = ", ".join(_iri(a) for a in sorted(allowed))
        test = f"!(sameTerm({{p}}, {_iri(RDF.type)}) && sameTerm({{o}}, {_iri(RDFS.Resource)}))"
        if listed:
            test = f"{{p}} NOT IN ({listed}) && " + test
        return test

    @staticmethod
    def closed_ok(x: str, path: str | None, test: str, fresh: _Fresh) -> str:
        p, o = fresh(), fresh()
        forbidden = test.format(p=p, o=o)
        if path is None:
            return f"NOT EXISTS {{ {x} {p} {o} . FILTER({forbidden}) }}"
        v = fresh()
        return f"NOT EXISTS {{ {x} {path} {v} . {v} {p} {o} . FILTER({forbidden}) }}"

    # ---------------------------------------------------------------- top level
    def compile(self) -> list[ShaclQuery]:
        """One query per targeted shape, visiting its focus nodes once for every Core
        constraint of the shape and of its property shapes, plus one query per
        property-comparison or SHACL-SPARQL constraint."""
        queries: list[ShaclQuery] = []
        targeted = sorted({s for p in _TARGETS for s in self.g.subjects(p, None)}
                          | self._implicit_class_shapes(), key=str)
        for node in targeted:
            shape = self.shape(node)
            if shape.deactivated:
                continue
            targets = f"{{ {self.target_pattern(node)} }}"
            members = [shape]
            if not shape.is_property:
                members += [self.shape(sub) for sub in sorted(self.g.objects(node, SH.property))]
            units, extras = [], []
            for member in members:
                if member.deactivated:
                    continue
                unit, more = self.unit(member, len(units), targets)
                if unit.tests:
                    units.append(unit)
                extras.extend(more)
            if units:
                queries.append(self.pass_query(shape, targets, units, self.portable))
            queries.extend(extras)
        # every shape must translate, even one that no target reaches
        for node in set(self.g.subjects(RDF.type, SH.NodeShape)) | set(
                self.g.subjects(RDF.type, SH.PropertyShape)):
            self.parameters(node)
        return queries

    def _implicit_class_shapes(self) -> set[Node]:
        g = self.g
        classes = set(g.subjects(RDFS.subClassOf, RDFS.Class)) | {RDFS.Class}
        return {s for s in set(g.subjects(RDF.type, SH.NodeShape))
                | set(g.subjects(RDF.type, SH.PropertyShape))
                if any(t in classes for t in g.objects(s, RDF.type))}

    def target_pattern(self, node: Node) -> str:
        g = self.g
        parts = []
        classes = sorted(g.objects(node, SH.targetClass))
        if node in self._implicit_class_shapes():
            classes.append(node)
        classes = [c for c in classes if isinstance(c, URIRef)]
        if classes:
            listed = " ".join(_iri(c) for c in sorted(set(classes)))
            parts.append(f"\u27e6types ?this {listed}\u27e7")
        nodes = sorted(g.objects(node, SH.targetNode))
        if nodes:
            listed = " ".join(_term(n, node, "sh:targetNode") for n in nodes)
            parts.append(f"VALUES ?this {{ {listed} }}")
        for p in sorted(g.objects(node, SH.targetSubjectsOf)):
            parts.append(f"?this {_term(p, node, 'sh:targetSubjectsOf')} ?sh__any .")
        for p in sorted(g.objects(node, SH.targetObjectsOf)):
            parts.append(f"?sh__any {_term(p, node, 'sh:targetObjectsOf')} ?this .")
        return " UNION ".join(f"{{ {p} }}" for p in parts)

    def unit(self, shape: _Shape, index: int, targets: str) -> tuple[_Unit, list[ShaclQuery]]:
        """The per-focus tests of one shape's Core constraints (as part of a pass query
        over ``targets``), and the queries of its other constraints."""
        node, path = shape.node, shape.path_sparql
        unit = _Unit(shape, f"?sh__u{index}", self.portable)
        extras: list[ShaclQuery] = []
        fresh = _Fresh(f"u{index}_")
        values = f"?this {path} ?value ." if path else "BIND(?this AS ?value)"

        def query(component: URIRef, sparql: str, handle: Callable) -> None:
            extras.append(ShaclQuery(str(node), ((str(node), str(component)),), sparql, handle))

        for parameter in self.parameters(node):
            component = _COMPONENT_OF[parameter]
            if parameter in _VALUE_LEVEL:
                unit.checks.extend((component, c)
                                   for c in self.value_conds(node, parameter, nested=False))
            elif parameter == SH.property:
                if shape.is_property:
                    raise UnsupportedShapeError(node, "sh:property", "on a property shape")
            elif parameter == SH.minCount:
                unit.min_count = self.count(node, SH.minCount)
            elif parameter == SH.maxCount:
                unit.max_count = self.count(node, SH.maxCount)
            elif parameter == SH.hasValue:
                for value in sorted(self.g.objects(node, SH.hasValue)):
                    cond = self.has_value_cond(shape, value)
                    unit.flag("focus", component, f"!({cond.dc('?this', fresh)})")
            elif parameter == SH.uniqueLang:
                assert path is not None
                if self.unique_lang(node):
                    unit.flag("languages", component,
                              self.duplicate_language("?this", path, fresh))
            elif parameter == SH.qualifiedValueShape:
                for cond, low, high, expressions in self.qualified_flags(shape, fresh):
                    unit.qualified.append((cond, low, high))
                    for j, expression in enumerate(expressions):
                        unit.flag(f"qualified{j}", component, expression)
            elif parameter in (SH.equals, SH.disjoint):
                for other in sorted(self.g.objects(node, parameter)):
                    if not isinstance(other, URIRef):
                        raise UnsupportedShapeError(node, str(parameter), "needs an IRI")
                    query(component, self.pair_set_query(shape, parameter, other, targets),
                          _handle_values(shape, component))
            elif parameter in (SH.lessThan, SH.lessThanOrEquals):
                strict = parameter == SH.lessThan
                for other in sorted(self.g.objects(node, parameter)):
                    if not isinstance(other, URIRef):
                        raise UnsupportedShapeError(node, str(parameter), "needs an IRI")
                    query(component, self.order_query(values, targets, other, strict),
                          _handle_order(shape, component, strict))
            elif parameter == SH.closed:
                test = self.closed_test(shape)
                if test is not None:
                    forbidden = test.format(p="?sh__p", o="?sh__o")
                    sparql = (f"SELECT DISTINCT ?this ?value ?sh__p ?sh__o WHERE {{ "
                              f"{targets} {values} ?value ?sh__p ?sh__o . "
                              f"FILTER({forbidden}) }}")
                    query(component, sparql, _handle_closed(shape))
            elif parameter == SH.sparql:
                for constraint in sorted(self.g.objects(node, SH.sparql)):
                    q = self.sparql_query(shape, constraint, targets)
                    if q is not None:
                        extras.append(q)
            else:  # pragma: no cover - parameters() lists only the handled ones
                raise UnsupportedShapeError(node, str(parameter))
        unit.finish(fresh)
        return unit, extras

    @staticmethod
    def pass_query(shape: _Shape, targets: str, units: list[_Unit], portable: bool = False
                   ) -> ShaclQuery:
        """One row per focus node of ``shape`` where some test of some unit holds."""
        names = ["?this"] + [name for u in units for name, _ in u.binds]
        binds = " ".join(f"BIND({expression} AS {name})" for u in units
                         for name, expression in u.binds)
        tests = " || ".join(t for u in units for t in u.tests)
        projected = " ".join(names)
        sparql = f"SELECT DISTINCT {projected} WHERE {{ {targets} {binds} FILTER({tests}) }}"
        if portable:
            # The tests filter a sub-select: Virtuoso writes each BIND's expression into
            # a FILTER in the same group, and runs out of time on the result.
            sparql = (f"SELECT DISTINCT {projected} WHERE {{ {{ SELECT DISTINCT {projected} "
                      f"WHERE {{ {targets} {binds} }} }} FILTER({tests}) }}")
        constraints = tuple((str(u.shape.node), str(c)) for u in units for c in u.components())
        return ShaclQuery(str(shape.node), constraints, sparql, _handle_pass(units))

    @staticmethod
    def pair_set_query(shape: _Shape, parameter: URIRef, other: URIRef, targets: str) -> str:
        o, p = _iri(other), shape.path_sparql
        head = f"SELECT DISTINCT ?this ?value WHERE {{ {targets} "
        if parameter == SH.disjoint:
            if p is None:
                return head + f"?this {o} ?this . BIND(?this AS ?value) }}"
            return head + f"?this {p} ?value . ?this {o} ?value . }}"
        if p is None:  # value nodes {focus}
            # each branch binds ?this itself: a group is evaluated before it is joined, so
            # a branch of BIND and FILTER alone would see ?this unbound
            return (f"SELECT DISTINCT ?this ?value WHERE {{ "
                    f"{{ {targets} FILTER NOT EXISTS {{ ?this {o} ?this }} "
                    f"BIND(?this AS ?value) }} UNION "
                    f"{{ {targets} ?this {o} ?value . FILTER(!sameTerm(?value, ?this)) }} }}")
        return (head + f"{{ ?this {p} ?value . FILTER NOT EXISTS {{ ?this {o} ?value }} }} "
                f"UNION {{ ?this {o} ?value . FILTER NOT EXISTS {{ ?this {p} ?value }} }} }}")

    @staticmethod
    def order_query(values: str, targets: str, other: URIRef, strict: bool) -> str:
        operator = "<" if strict else "<="
        both = f"{_exact_number('?value')} && {_exact_number('?sh__o')}"
        # rows: the pairs to compare, and blank value nodes, which pySHACL refuses (raises)
        # even when there is nothing to compare them with
        return (f"SELECT ?this ?value ?sh__o ?{_CERTAIN} WHERE {{ "
                f"{{ SELECT DISTINCT ?this ?value ?sh__o WHERE {{ {targets} {values} "
                f"?this {_iri(other)} ?sh__o . }} }} UNION "
                f"{{ SELECT DISTINCT ?this ?value WHERE {{ {targets} {values} "
                f"FILTER(isBlank(?value)) }} }} "
                f"FILTER(!COALESCE({both} && ?value {operator} ?sh__o, false)) "
                f"BIND(COALESCE({both} && !(?value {operator} ?sh__o), false) AS ?{_CERTAIN}) }}")

    def qualified_flags(self, shape: _Shape, fresh: _Fresh
                        ) -> list[tuple[_Cond, int | None, int | None, list[str]]]:
        """Per sh:qualifiedValueShape: the condition a value must meet to count, the
        bounds, and four focus-level expressions: [too few possible, too few certain,
        too many possible, too many certain]."""
        node, path = shape.node, shape.path_sparql
        assert path is not None
        g = self.g
        low = self.count(node, SH.qualifiedMinCount) if (node, SH.qualifiedMinCount, None) in g \
            else None
        high = self.count(node, SH.qualifiedMaxCount) \
            if (node, SH.qualifiedMaxCount, None) in g else None
        if low is None and high is None:
            raise UnsupportedShapeError(node, "sh:qualifiedValueShape",
                                        "needs sh:qualifiedMinCount or sh:qualifiedMaxCount")
        disjoint = any(isinstance(d, Literal) and d.value is True
                       for d in g.objects(node, SH.qualifiedValueShapesDisjoint))
        out = []
        for value_shape in sorted(g.objects(node, SH.qualifiedValueShape)):
            siblings: list[_Cond] = []
            if disjoint:
                for parent in g.subjects(SH.property, node):
                    for sibling_shape in g.objects(parent, SH.property):
                        for sibling in g.objects(sibling_shape, SH.qualifiedValueShape):
                            if sibling != value_shape:
                                siblings.append(self.shape_cond(sibling))
            cond = _All([self.shape_cond(value_shape), *[_Not(s) for s in siblings]])

            def surely(y: str, cond: _Cond = cond) -> str:
                return cond.dc(y, fresh)

            def maybe(y: str, cond: _Cond = cond) -> str:
                return f"!({cond.dv(y, fresh)})"

            expressions = ["false", "false", "false", "false"]
            if low is not None and low > 0:
                expressions[0] = f"!({_at_least('?this', path, low, surely, fresh)})"
                expressions[1] = f"!({_at_least('?this', path, low, maybe, fresh)})"
            if high is not None:
                expressions[2] = _at_least("?this", path, high + 1, maybe, fresh)
                expressions[3] = _at_least("?this", path, high + 1, surely, fresh)
            out.append((cond, low, high, expressions))
        return out

    # ---------------------------------------------------------------- SHACL-SPARQL
    def sparql_query(self, shape: _Shape, constraint: Node, targets: str) -> ShaclQuery | None:
        g, node = self.g, shape.node
        selects = list(g.objects(constraint, SH.select))
        if len(selects) != 1 or not isinstance(selects[0], Literal):
            raise UnsupportedShapeError(node, "sh:sparql", "needs exactly one sh:select")
        for predicate in g.predicates(constraint):
            # a constraint may be a shape too (``ex:S sh:sparql ex:S``): shape parameters
            # are no parameters of the constraint, and pySHACL ignores them there
            if predicate not in (SH.message, RDF.type, *_COMPONENT_OF, *_AUXILIARY,
                                 *_NON_VALIDATING) and str(predicate).startswith(str(SH)):
                raise UnsupportedShapeError(node, f"sh:sparql with {predicate}")
        deactivated = next(iter(g.objects(constraint, SH.deactivated)), None)
        if deactivated is not None and bool(getattr(deactivated, "value", False)):
            return None
        text = str(selects[0].value)
        refusal = _pyshacl_refusal(text)
        if refusal is not None:
            return ShaclQuery(str(node), ((str(node), str(SH.SPARQLConstraintComponent)),),
                              f"SELECT ?this WHERE {{ {targets} }} LIMIT 1",
                              _handle_refusal(refusal))
        for name in ("currentShape", "shapesGraph"):
            if re.search(r"([\s{}()])[\$\?]" + name + r"\b", text):
                raise UnsupportedShapeError(node, f"sh:sparql with pre-bound ${name}")
        if shape.path is not None:
            text = re.sub(r"([\s{}()])[\$\?]PATH", lambda m: m.group(1) + shape.path_sparql,
                          text, flags=re.M)
        elif re.search(r"([\s{}()])[\$\?]PATH", text):
            raise UnsupportedShapeError(node, "sh:sparql", "$PATH in a node shape's query")
        prologue = "".join(f"PREFIX {p}: <{ns}>\n"
                           for p, ns in sorted(self.prefixes(constraint).items()))
        match = re.match(r"\s*((?:(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*)(.*)\Z",
                         text, re.I | re.S)
        assert match is not None
        prologue += match.group(1)
        body = match.group(2)
        projected, joinable = _sparql_shape_of(prologue + body)
        if "this" not in projected:
            raise UnsupportedShapeError(node, "sh:sparql", "the query must select $this")
        messages = tuple(sorted(g.objects(constraint, SH.message)))
        constraints = ((str(node), str(SH.SPARQLConstraintComponent)),)
        segments = _reorderable(prologue + body)
        if joinable:
            def wrap(query: str) -> str:
                return f"SELECT * WHERE {{ {targets} {{ {query} }} }}"

            def runtime_text(closure: dict[str, list[str]], stats: _Statistics) -> str:
                query = prologue + body
                if segments is not None:
                    query = _reordered(query, segments, stats)
                return prologue + _render(wrap(query[len(prologue):]), closure)

            return ShaclQuery(str(node), constraints, prologue + wrap(body),
                              _handle_sparql(shape, messages, projected), runtime_text)
        # pre-binding $this differs from a join for this query: one query per focus node
        sparql = f"SELECT DISTINCT ?this WHERE {{ {targets} }}"
        return ShaclQuery(str(node), constraints, sparql,
                          _handle_sparql_fallback_for(shape, messages, projected,
                                                      prologue + body, segments))

    def prefixes(self, constraint: Node) -> dict[str, str]:
        """pySHACL's prefixes for a SPARQL constraint (SPARQLQueryHelper.collect_prefixes)."""
        g = self.g
        found = {"rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL)}
        ontologies = set(g.subjects(RDF.type, OWL.Ontology))
        graph_declares = set(g.objects(g.identifier, SH.declare)) if g.identifier else set()
        global_declares = graph_declares.union(*(set(g.objects(o, SH.declare))
                                                 for o in ontologies))
        for value in g.objects(constraint, SH.prefixes):
            own = set(g.objects(value, SH.declare))
            declares = own | graph_declares if own and value in ontologies \
                else global_declares | own
            for declare in declares:
                prefix = g.value(declare, SH.prefix)
                namespace = g.value(declare, SH.namespace)
                if prefix is None or namespace is None:
                    raise UnsupportedShapeError(constraint, "sh:declare", "incomplete")
                found[str(prefix)] = str(namespace)
        return found


def _pyshacl_refusal(text: str) -> str | None:
    """The message of the ``ValidationFailure`` pySHACL raises, for any focus node, before
    running SHACL-SPARQL query ``text`` (MINUS, VALUES, SERVICE, a nested SELECT without
    ``$this``, ``AS $this``), or None: pySHACL's own check, so that the same queries fail."""
    from pyshacl.errors import ValidationFailure
    from pyshacl.helper import get_query_helper_cls

    try:
        get_query_helper_cls()(None, None, text).check_invalid_sparql(text)
    except ValidationFailure as failure:
        return str(failure.message)
    return None


def _sparql_shape_of(text: str) -> tuple[list[str], bool]:
    """The projected variables of a SHACL-SPARQL query, and whether joining it with the
    focus nodes gives pySHACL's results (pre-binding ``$this``): true when ``$this`` is
    projected and bound in every solution by the query's own patterns, and the query has
    no sub-select, aggregate or LIMIT/OFFSET."""
    from rdflib.plugins.sparql import prepareQuery

    query = prepareQuery(text)
    algebra = query.algebra
    projected = [str(v) for v in algebra.get("PV", [])]

    class _NotJoinable(Exception):
        pass

    def certain(node, top: bool) -> set[str]:
        name = getattr(node, "name", None)
        if name == "SelectQuery" or name == "ToMultiSet":
            if not top:
                raise _NotJoinable
            return certain(node.p, False)
        if name == "Project":
            return certain(node.p, top) & {str(v) for v in node.PV}
        if name in ("Distinct", "Reduced", "Filter", "Extend", "OrderBy"):
            return certain(node.p, top)
        if name == "BGP":
            return {str(t) for triple in node.triples for t in triple if isinstance(t, Variable)}
        if name == "Join":
            return certain(node.p1, top) | certain(node.p2, top)
        if name in ("LeftJoin", "Minus"):
            return certain(node.p1, top)
        if name == "Union":
            return certain(node.p1, top) & certain(node.p2, top)
        if name == "Graph":
            inner = certain(node.p, top)
            return inner | ({str(node.term)} if isinstance(node.term, Variable) else set())
        if name in ("Slice", "Group", "AggregateJoin"):
            raise _NotJoinable
        return set()

    try:
        joinable = "this" in projected and "this" in certain(algebra, True)
    except _NotJoinable:
        joinable = False
    return projected, joinable


# ============================================================================ results

def _message(messages: Iterable[Node]) -> str:
    """The message tieskg's reports show: English or untagged first, then by text (as
    :func:`tieskg.graph.validate._violation` picks one of pySHACL's)."""
    ordered = sorted(messages, key=lambda m: (getattr(m, "language", None) not in (None, "en"),
                                              str(m)))
    return str(ordered[0]) if ordered else ""


_GENERIC = {
    SH.ClassConstraintComponent: "Value does not have class {rule}",
    SH.DatatypeConstraintComponent: "Value is not Literal with datatype {rule}",
    SH.NodeKindConstraintComponent: "Value is not of Node Kind {rule}",
    SH.MinInclusiveConstraintComponent: "Value is not >= {rule}",
    SH.MinExclusiveConstraintComponent: "Value is not > {rule}",
    SH.MaxInclusiveConstraintComponent: "Value is not <= {rule}",
    SH.MaxExclusiveConstraintComponent: "Value is not < {rule}",
    SH.UniqueLangConstraintComponent: "More than one String shares the same Language",
}


class _Runtime:
    """What handlers need while turning rows into violations."""

    def __init__(self, store: Store, closure: dict[str, list[str]]) -> None:
        self.store = store
        self.ev = _Evaluator(store, closure)
        self.stats = _Statistics(store)
        self._restorable = _schema_literals()
        self._data_graphs: set[Node] | None = None

    def restore(self, focus: Node, shape: _Shape, value: Node | None) -> Node | None:
        """``value`` as pySHACL sees it: :func:`tieskg.graph.validate.validate` mixes in the
        rdflib-parsed ontology, whose literals keep their lexical form where Oxigraph
        stores a canonical one ("0.0" against "0")."""
        if not isinstance(value, Literal) or not isinstance(shape.path, URIRef):
            return value
        originals = self._restorable.get((focus, shape.path))
        if not originals:
            return value
        canonical = {_canonical(o): o for o in originals}
        original = canonical.get(value)
        if original is None or original == value:
            return value
        result = self.store.select(
            "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
            bindings={"s": focus, "p": shape.path, "o": value})
        if any(row[0] not in _SCHEMA_GRAPHS for row in result.rows):
            return value
        return original

    def violation(self, shape: _Shape, component: Node, focus: Node, value: Node | None = None,
                  *, path: str | None = None, message: str | None = None) -> Violation:
        if path is None:
            path = shape.path_text
        if message is None:
            message = _message(shape.messages) if shape.messages else \
                _generic_message(shape, component, focus, value)
        return Violation(focus=str(focus), path=path, component=str(component),
                         severity=str(shape.severity), message=message,
                         value=None if value is None else str(value), shape=str(shape.node))


def _generic_message(shape: _Shape, component: Node, focus: Node, value: Node | None) -> str:
    """pySHACL's default message where the shape has none (best effort: nodes of the data
    are rendered with rdflib's default prefixes)."""
    g = shape.graph
    node = shape.node
    parameter = next((p for p, c in _COMPONENT_OF.items() if c == component), None)
    rules = sorted(g.objects(node, parameter)) if parameter is not None else []
    template = _GENERIC.get(component)
    if template is not None and rules and (len(rules) == 1 or "{rule}" not in template):
        return template.format(rule=stringify_node(g, rules[0]))
    data = Graph()
    path = "" if shape.path is None else stringify_node(g, shape.path)
    if component == SH.MinCountConstraintComponent:
        count = g.value(node, SH.minCount)
        return f"Less than {count} values on {stringify_node(data, focus)}->{path}"
    if component == SH.MaxCountConstraintComponent:
        count = g.value(node, SH.maxCount)
        return f"More than {count} values on {stringify_node(data, focus)}->{path}"
    return ""


@cache
def _schema_literals() -> dict[tuple[Node, Node], list[Literal]]:
    """Literals of the packaged ontology and vocabularies whose lexical form Oxigraph
    canonicalizes, by (subject, predicate)."""
    found: dict[tuple[Node, Node], list[Literal]] = {}
    for s, p, o in ontology_graph():
        if isinstance(o, Literal) and o.datatype is not None and _canonical(o) != o:
            found.setdefault((s, p), []).append(o)
    return found


@cache
def _canonical(literal: Literal) -> Node:
    """``literal`` as Oxigraph stores it."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:x-s"), ox.NamedNode("urn:x-p"), to_oxigraph(literal)))
    (quad,) = list(store)
    return to_rdflib(quad.object)


def _handle_values(shape: _Shape, component: Node) -> Callable:
    """Rows (?this, ?value): a violation each."""

    def handle(rt: _Runtime, rows: list[dict[str, Node]]) -> list[Violation]:
        return [rt.violation(shape, component, row["this"],
                             rt.restore(row["this"], shape, row["value"])) for row in rows]

    return handle


def _handle_order(shape: _Shape, component: Node, strict: bool) -> Callable:
    def handle(rt: _Runtime, rows: list[dict[str, Node]]) -> list[Violation]:
        out = []
        for row in rows:
            value, other = row["value"], row.get("sh__o")
            if other is None:  # a blank value node: raises, as in pySHACL
                _pair_fails(value, value, strict)
                continue
            if _true(row.get(_CERTAIN)) or _pair_fails(value, other, strict):
                out.append(rt.violation(shape, component, row["this"],
                                        rt.restore(row["this"], shape, value)))
        return out

    return handle


def _handle_closed(shape: _Shape) -> Callable:
    def handle(rt: _Runtime, rows: list[dict[str, Node]]) -> list[Violation]:
        return [rt.violation(shape, SH.ClosedConstraintComponent, row["this"], row["sh__o"],
                             path=str(row["sh__p"])) for row in rows]

    return handle


def _handle_pass(units: list[_Unit]) -> Callable:
    """Rows of a pass query: one per focus node some test flagged."""

    def handle(rt: _Runtime, rows: list[dict[str, Node]]) -> list[Violation]:
        out: list[Violation] = []
        for row in rows:
            for unit in units:
                out.extend(_unit_violations(rt, unit, row))
        return out

    return handle


def _unit_violations(rt: _Runtime, unit: _Unit, row: dict[str, Node]) -> list[Violation]:
    shape, focus = unit.shape, row["this"]
    out = []
    qualified = []
    for kind, component, name in unit.flags:
        flagged = _true(row.get(name[1:]))
        if kind.startswith("qualified"):
            qualified.append(flagged)
            continue
        if not flagged:
            continue
        if kind == "languages":  # one result per language used twice
            assert shape.path_sparql is not None
            languages = [v.language.lower() for v in rt.ev.values(focus, shape.path_sparql)
                         if isinstance(v, Literal) and v.language]
            for _language in sorted({lang for lang in languages if languages.count(lang) > 1}):
                out.append(rt.violation(shape, component, focus))
        else:
            out.append(rt.violation(shape, component, focus))
    for i, (cond, low, high) in enumerate(unit.qualified):
        few, few_certain, many, many_certain = qualified[4 * i:4 * i + 4]
        if (few and not few_certain) or (many and not many_certain):
            assert shape.path_sparql is not None
            conforming = sum(1 for v in rt.ev.values(focus, shape.path_sparql)
                             if cond.check(rt.ev, v))
            many_certain = high is not None and conforming > high
            few_certain = low is not None and conforming < low
        if many_certain:
            out.append(rt.violation(shape, SH.QualifiedMaxCountConstraintComponent, focus))
        if few_certain:
            out.append(rt.violation(shape, SH.QualifiedMinCountConstraintComponent, focus))
    summary = unit.summary is not None and _true(row.get(f"{unit.prefix[1:]}s"))
    if summary:
        assert shape.path_sparql is not None
        count = len(rt.ev.values(focus, shape.path_sparql))
        if unit.min_count and count < unit.min_count:
            out.append(rt.violation(shape, SH.MinCountConstraintComponent, focus))
        if unit.max_count is not None and count > unit.max_count:
            out.append(rt.violation(shape, SH.MaxCountConstraintComponent, focus))
    if not unit.checks:
        return out
    if unit.follow_up is None:  # node shape: the focus node is the value node
        candidates = [dict(row, value=focus)]
        prefix = unit.prefix[1:]
    elif summary or _true(row.get(f"{unit.prefix[1:]}v")):
        result = rt.store.select(_render(unit.follow_up, rt.ev.closure),
                                 bindings={"this": focus})
        candidates = [{name: term for name, term in zip(result.variables, r, strict=True)
                       if term is not None} for r in result.rows]
        prefix = "sh__"
    else:
        return out
    for candidate in candidates:
        value = candidate["value"]
        for i, (component, cond) in enumerate(unit.checks):
            if not _true(candidate.get(f"{prefix}c{i}")):
                continue
            if _true(candidate.get(f"{prefix}d{i}")) or not cond.check(rt.ev, value):
                out.append(rt.violation(shape, component, focus,
                                        rt.restore(focus, shape, value)))
    return out


def _true(term: Node | None) -> bool:
    """A true boolean; also the integer 1, as Virtuoso gives a boolean expression."""
    return isinstance(term, Literal) and (term.value is True or (
        term.datatype == XSD.integer and term.value == 1))


def _format(message: str, bindings: dict[str, Node]) -> str:
    """pySHACL's ConstraintComponent._format_sparql_based_result_message."""
    for var, val in bindings.items():
        message = re.sub("{[?$]" + var + "}", str(val), message)
    return message


def _sparql_violations(rt: _Runtime, shape: _Shape, messages: Sequence[Node], focus: Node,
                       rows: list[dict[str, Node]]) -> list[Violation]:
    """pySHACL's SPARQLBasedConstraint._evaluate_sparql_constraint for one focus node."""
    found: list[tuple] = []
    failure = False
    for row in rows:
        var_dict = dict(row)
        if var_dict.pop("failure", None) is not None:
            if not failure:
                found.append((True, var_dict))
                failure = True
            continue
        p = var_dict.pop("path", None)
        v = var_dict.pop("value", None)
        t = var_dict.pop("this", None)
        if p is None and v is None and t is None:
            continue
        entry = (t, p, v, var_dict)
        if entry not in found:
            found.append(entry)
    result_val = None if shape.is_property else focus
    out = []
    for entry in found:
        if entry[0] is True:
            bindings, path, value, where = entry[1], None, result_val, focus
        else:
            t, p, v, rest = entry
            if v is None:
                v = result_val
            v = rt.restore(t or focus, shape, v) if p is None else v
            bindings = dict(rest)
            for name, term in (("this", t), ("path", p), ("value", v)):
                if term is not None:
                    bindings[name] = term
            path = None if p is None else _path_text(Graph(), p)
            value, where = v, t or focus
        texts = {_format(str(getattr(m, "value", m)), bindings)
                 for m in (*messages, *shape.messages)}
        out.append(rt.violation(shape, SH.SPARQLConstraintComponent, where, value, path=path,
                                message=_message([Literal(t) for t in texts])
                                if texts else None))
    return out


def _group_rows(rows: list[dict[str, Node]], projected: list[str]
                ) -> dict[Node, list[dict[str, Node]]]:
    groups: dict[Node, list[dict[str, Node]]] = {}
    for row in rows:
        groups.setdefault(row["this"], []).append({k: row[k] for k in projected if k in row})
    return groups


def _handle_refusal(message: str) -> Callable:
    """Rows: focus nodes of a SHACL-SPARQL constraint pySHACL refuses to run."""

    def handle(rt: _Runtime, rows: list[dict[str, Node]]) -> list[Violation]:
        if rows:
            raise ShaclRuntimeError(message)
        return []

    return handle


def _handle_sparql(shape: _Shape, messages: Sequence[Node], projected: list[str]) -> Callable:
    def handle(rt: _Runtime, rows: list[dict[str, Node]]) -> list[Violation]:
        out = []
        for focus, group in _group_rows(rows, projected).items():
            out.extend(_sparql_violations(rt, shape, messages, focus, group))
        return out

    return handle


def _handle_sparql_fallback_for(shape: _Shape, messages: Sequence[Node], projected: list[str],
                                text: str, segments: list[_Segment] | None) -> Callable:
    def handle(rt: _Runtime, rows: list[dict[str, Node]]) -> list[Violation]:
        out = []
        if segments is not None:
            text_ = _reordered(text, segments, rt.stats, frozenset({"?this"}))
        else:
            text_ = text
        for row in rows:
            focus = row["this"]
            prebound = _prebind(text_, focus)
            result = rt.store.select(text_, bindings={"this": focus}) if prebound is None \
                else rt.store.select(prebound)
            found = [{name: term for name, term in zip(result.variables, r, strict=True)
                      if term is not None} for r in result.rows]
            for solution in found:  # rdflib reports the pre-bound $this in every solution
                solution.setdefault("this", focus)
            out.extend(_sparql_violations(rt, shape, messages, focus, found))
        return out

    return handle


def _prebind(text: str, focus: Node) -> str | None:
    """``text`` with ``focus`` written in place of ``$this``, or None for a blank node (no
    SPARQL text names one) or a query the tokenizer cannot read.

    pySHACL pre-binds ``$this`` with rdflib's initial bindings, which every nested group,
    ``BIND`` and ``FILTER`` sees, like a substitution; Oxigraph's substitutions do not
    reach those (``{ FILTER($this = ex:a) } FILTER bound($this)`` finds nothing). A
    projected ``$this`` becomes ``(<focus> AS ?this)`` (in a nested SELECT another name:
    the outer query may not rebind it), one in GROUP BY or ORDER BY ``(<focus>)``, and
    ``bound($this)`` becomes ``(true)``.

    >>> _prebind("SELECT $this WHERE { BIND($this AS ?t) FILTER bound(?this) } ORDER BY ?this",
    ...          URIRef("urn:x:a"))
    'SELECT (<urn:x:a> AS ?this) WHERE { BIND(<urn:x:a> AS ?t) FILTER (true) } ORDER BY (<urn:x:a>)'
    """
    if isinstance(focus, BNode):
        return None
    try:
        tokens = _tokens(text)
    except _NotReorderable:
        return None
    constant = str(to_oxigraph(focus))
    out: list[str] = []
    last, clause, depth, selects = 0, "", 0, 0
    for k, (kind, value, start, end) in enumerate(tokens):
        word = value.upper() if kind == "word" else ""
        if word == "SELECT":
            clause, depth, selects = "select", 0, selects + 1
        elif word in ("GROUP", "ORDER"):
            clause, depth = "order", 0
        elif word in ("WHERE", "HAVING", "LIMIT", "OFFSET", "VALUES") or value in ("{", "}"):
            clause = ""
        elif value == "(":
            depth += 1
        elif value == ")":
            depth -= 1
        if kind != "var" or value[1:] != "this" or (k and tokens[k - 1][1].upper() == "AS"):
            continue
        if k >= 2 and tokens[k - 2][1].upper() == "BOUND" and tokens[k - 1][1] == "(" \
                and k + 1 < len(tokens) and tokens[k + 1][1] == ")":
            out += [text[last:tokens[k - 2][2]], "(true)"]  # BOUND takes a variable only
            last = tokens[k + 1][3]
            continue
        if clause == "select" and depth == 0:
            name = "?this" if selects == 1 else f"?sh__this{selects}"
            replacement = f"({constant} AS {name})"
        elif clause == "order" and depth == 0:
            replacement = f"({constant})"
        else:
            replacement = constant
        out += [text[last:start], replacement]
        last = end
    out.append(text[last:])
    return "".join(out)


# ============================================================================ join order
# Oxigraph orders the triple patterns of a basic graph pattern by how many of their terms
# are bound, ties in the order written; a SHACL-SPARQL query written for readability can
# then enumerate every observation of a dataset once per observation. The SPARQL-based
# constraints are therefore re-ordered, pattern by pattern, from the store's statistics
# before they run: only the order of triple patterns within a run of consecutive triples
# changes, which never changes a query's results (checked against rdflib's algebra when
# compiling).

_TOKEN = re.compile(r"""
  (?P<ws>\s+|\#[^\n]*)
| (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
| (?P<str>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
         |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
| (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
| (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
| (?P<bnode>_:[A-Za-z0-9_\u00C0-\uFFFF]
    (?:[A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*[A-Za-z0-9_\-\u00B7\u00C0-\uFFFF])?)
| (?P<pname>(?:[A-Za-z\u00C0-\uFFFF]
    (?:[A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*[A-Za-z0-9_\-\u00B7\u00C0-\uFFFF])?)?:
    (?:(?:[A-Za-z0-9_:\u00C0-\uFFFF]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%])
       (?:(?:[A-Za-z0-9_.:\-\u00B7\u00C0-\uFFFF]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%])*
          (?:[A-Za-z0-9_:\-\u00B7\u00C0-\uFFFF]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%]))?)?)
| (?P<num>[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?))
| (?P<word>[A-Za-z_][A-Za-z0-9_]*)
| (?P<punct>\^\^|&&|\|\||!=|<=|>=|[{}()\[\].,;*+?/|^!=<>-])
""", re.X)

_TERM_KINDS = {"iri", "str", "var", "bnode", "pname", "num"}
_BARRIERS = {"OPTIONAL", "MINUS", "GRAPH", "SERVICE", "BIND", "VALUES", "UNION", "FILTER",
             "SELECT"}


class _NotReorderable(Exception):
    pass


@dataclass
class _Segment:
    """A run of consecutive triples statements: its character span and its triples."""

    start: int
    end: int
    triples: list[tuple[str, str, str]]
    bound: frozenset[str]
    iris: dict[str, str]  # prefixed name -> <IRI>, for the statistics


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    out = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if m is None:
            raise _NotReorderable(f"cannot read {text[i:i + 20]!r}")
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group(0), m.start(), m.end()))
        i = m.end()
    return out


def _segments(text: str) -> list[_Segment]:
    """The reorderable runs of triples in a SELECT query's WHERE clause."""
    tokens = _tokens(text)
    segments: list[_Segment] = []
    prefixes: dict[str, str] = {}
    for k in range(len(tokens) - 2):
        if tokens[k][0] == "word" and tokens[k][1].upper() == "PREFIX" \
                and tokens[k + 1][0] == "pname" and tokens[k + 2][0] == "iri":
            prefixes[tokens[k + 1][1]] = tokens[k + 2][1][1:-1]

    def expand(name: str) -> str | None:
        prefix, _, local = name.partition(":")
        namespace = prefixes.get(prefix + ":")
        return None if namespace is None or "\\" in local else f"<{namespace}{local}>"

    def kind(i: int) -> str:
        return tokens[i][0] if i < len(tokens) else "eof"

    def val(i: int) -> str:
        return tokens[i][1] if i < len(tokens) else ""

    def skip_balanced(i: int, open_: str, close: str) -> int:
        depth = 0
        while i < len(tokens):
            if kind(i) == "punct" and val(i) == open_:
                depth += 1
            elif kind(i) == "punct" and val(i) == close:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise _NotReorderable("unbalanced")

    def term(i: int) -> tuple[str, int]:
        if kind(i) not in _TERM_KINDS and not (kind(i) == "word" and val(i) in ("true", "false")):
            raise _NotReorderable(f"not a plain term: {val(i)!r}")
        text_ = val(i)
        i += 1
        if kind(i - 1) == "str":
            if kind(i) == "lang":
                text_ += val(i)
                i += 1
            elif kind(i) == "punct" and val(i) == "^^":
                if kind(i + 1) not in ("iri", "pname"):
                    raise _NotReorderable("datatype")
                text_ += "^^" + val(i + 1)
                i += 2
        return text_, i

    def statement(i: int) -> tuple[list[tuple[str, str, str]], int]:
        subject, i = term(i)
        triples = []
        while True:
            if kind(i) == "word" and val(i) == "a":
                verb, i = "a", i + 1
            else:
                if kind(i) not in ("iri", "pname", "var"):
                    raise _NotReorderable("complex predicate")
                verb, i = term(i)
            if kind(i) == "punct" and val(i) in "^/|*+?!()":
                raise _NotReorderable("property path")
            while True:
                obj, i = term(i)
                triples.append((subject, verb, obj))
                if kind(i) == "punct" and val(i) == ",":
                    i += 1
                    continue
                break
            if kind(i) == "punct" and val(i) == ";":
                while kind(i) == "punct" and val(i) == ";":
                    i += 1
                if kind(i) == "punct" and val(i) in ".}":
                    break
                continue
            break
        if kind(i) == "punct" and val(i) == ".":
            i += 1
        return triples, i

    def group(i: int, bound: set[str]) -> int:
        """``tokens[i]`` is "{"; returns the index after the matching "}"."""
        i += 1
        if kind(i) == "word" and val(i).upper() == "SELECT":
            return skip_balanced(i - 1, "{", "}")
        seen = set(bound)
        run: list[tuple[str, str, str]] = []
        run_start = run_end = -1

        def close() -> None:
            nonlocal run, run_start
            if len(run) > 1:
                iris = {p: e for _, p, _ in run if ":" in p and not p.startswith("<")
                        and (e := expand(p)) is not None}
                segments.append(_Segment(tokens[run_start][2], run_end, run,
                                         frozenset(bound), iris))
            run, run_start = [], -1

        while not (kind(i) == "punct" and val(i) == "}"):
            if kind(i) == "eof":
                raise _NotReorderable("unterminated group")
            word = val(i).upper() if kind(i) == "word" else ""
            if word == "FILTER":
                close()
                i += 1
                if kind(i) == "punct" and val(i) == "(":
                    i = skip_balanced(i, "(", ")")
                else:
                    while kind(i) == "word":
                        i += 1
                    if kind(i) == "iri":
                        i += 1
                    if kind(i) == "punct" and val(i) == "{":
                        i = skip_balanced(i, "{", "}")
                    elif kind(i) == "punct" and val(i) == "(":
                        i = skip_balanced(i, "(", ")")
                    else:
                        raise _NotReorderable("FILTER")
            elif word in ("OPTIONAL", "MINUS"):
                close()
                i = group(i + 1, seen)
            elif word == "BIND":
                close()
                i = skip_balanced(i + 1, "(", ")")
            elif word in _BARRIERS:
                raise _NotReorderable(word)
            elif kind(i) == "punct" and val(i) == "{":
                close()
                i = group(i, seen)
                while kind(i) == "word" and val(i).upper() == "UNION":
                    i = group(i + 1, seen)
            elif kind(i) == "punct" and val(i) == ".":
                i += 1
            else:
                start = i
                triples, i = statement(i)
                if run_start < 0:
                    run_start = start
                run += triples
                run_end = tokens[i - 1][3]
                seen.update(t for triple in triples for t in triple if t[0] in "?$")
        close()
        return i + 1

    i = 0
    while i < len(tokens) and not (kind(i) == "punct" and val(i) == "{"):
        i += 1
    if i == len(tokens):
        raise _NotReorderable("no WHERE clause")
    end = group(i, set())
    if end != len(tokens):
        raise _NotReorderable("solution modifiers")
    return segments


def _with_order(text: str, segments: list[_Segment],
                orders: list[list[tuple[str, str, str]]]) -> str:
    out, last = [], 0
    for segment, triples in zip(segments, orders, strict=True):
        out.append(text[last:segment.start])
        out.append(" ".join(f"{s} {p} {o} ." for s, p, o in triples))
        last = segment.end
    out.append(text[last:])
    return "".join(out)


def _algebra_key(text: str) -> str:
    """rdflib's algebra of ``text`` with every BGP's triples sorted."""
    from rdflib.plugins.sparql import prepareQuery

    def canon(node):
        if isinstance(node, dict):
            items = []
            for key, value in node.items():
                if key == "triples" and getattr(node, "name", None) == "BGP":
                    items.append((key, sorted(repr(t) for t in value)))
                else:
                    items.append((key, canon(value)))
            return (getattr(node, "name", type(node).__name__), items)
        if isinstance(node, list | tuple):
            return [canon(v) for v in node]
        return repr(node)

    return repr(canon(prepareQuery(text).algebra))


def _reorderable(text: str) -> list[_Segment] | None:
    """The segments of ``text`` if reordering them is safe (rdflib's algebra of the
    query with each segment reversed and rotated equals the original's), else None."""
    try:
        segments = _segments(text)
        if not segments:
            return None
        key = _algebra_key(text)
        for permute in (lambda t: t[::-1], lambda t: t[1:] + t[:1]):
            if _algebra_key(_with_order(text, segments,
                                        [permute(s.triples) for s in segments])) != key:
                return None
        return segments
    except Exception:  # anything unexpected: keep the query as written
        return None


class _Statistics:
    """Triple counts per predicate (triples, distinct subjects, distinct objects)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, tuple[int, int, int]] = {}

    def __call__(self, predicate: str) -> tuple[int, int, int] | None:
        if not predicate.startswith("<"):
            return None
        if predicate not in self._cache:
            result = self.store.select(
                f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?ds) "
                f"(COUNT(DISTINCT ?o) AS ?do) WHERE {{ ?s {predicate} ?o }}")
            n, ds, do = (int(getattr(t, "value", 0) or 0) for t in result.rows[0])
            self._cache[predicate] = (n, max(ds, 1), max(do, 1))
        return self._cache[predicate]


def _reordered(text: str, segments: list[_Segment], stats: _Statistics,
               bound: frozenset[str] = frozenset()) -> str:
    """``text`` with each segment planned by :func:`_plan`."""
    out, last = [], 0
    for segment in segments:
        out.append(text[last:segment.start])
        out.append(_plan(segment, bound, stats))
        last = segment.end
    out.append(text[last:])
    return "".join(out)


def _plan(segment: _Segment, bound: frozenset[str],
          stats: Callable[[str], tuple[int, int, int] | None]) -> str:
    """The segment's triples in :func:`_greedy` order; when evaluating a tail of them on
    its own and joining (Oxigraph hash-joins a sub-select) is cheaper than extending
    every row of the head, the tail as ``{ SELECT * WHERE { ... } }``."""
    def text(triples: list[tuple[str, str, str]]) -> str:
        return " ".join(f"{s} {p} {o} ." for s, p, o in triples)

    order, costs = _greedy(segment, bound, stats)
    best, split = _work(costs), None
    if not any(t.startswith("_:") for triple in segment.triples for t in triple):
        for k in range(1, len(order)):
            tail, tail_costs = _greedy(_Segment(0, 0, order[k:], frozenset(), segment.iris),
                                       frozenset(), stats)
            head_rows = _rows(costs[:k])
            work = _work(costs[:k]) + _work(tail_costs) + head_rows + _rows(tail_costs)
            if work < best / 2:  # worth it by a margin: the estimates are rough
                best, split = work, (order[:k], tail)
    if split is None:
        return text(order)
    return f"{text(split[0])} {{ SELECT * WHERE {{ {text(split[1])} }} }}"


def _rows(costs: list[float]) -> float:
    rows = 1.0
    for cost in costs:
        rows *= cost
    return rows


def _work(costs: list[float]) -> float:
    """Rough work of a nested-loop evaluation: the rows entering and leaving each step."""
    rows, work = 1.0, 0.0
    for cost in costs:
        work += rows
        rows *= cost
        work += rows
    return work


def _greedy(segment: _Segment, bound: frozenset[str],
            stats: Callable[[str], tuple[int, int, int] | None]
            ) -> tuple[list[tuple[str, str, str]], list[float]]:
    """The segment's triples in the order that keeps intermediate results small: next,
    the pattern with the fewest expected matches given the variables bound so far (and
    those expected matches per incoming row)."""
    remaining = list(segment.triples)
    known = {v[1:] for v in bound | segment.bound}
    order: list[tuple[str, str, str]] = []
    costs: list[float] = []

    def is_bound(term: str) -> bool:
        return not term.startswith(("?", "$")) or term[1:] in known

    while remaining:
        def cost(triple: tuple[str, str, str]) -> float:
            s, p, o = triple
            s_bound, o_bound = is_bound(s), is_bound(o)
            p = f"<{RDF.type}>" if p == "a" else segment.iris.get(p, p)
            if s_bound and o_bound:
                return 1.0
            found = stats(p) if not p.startswith(("?", "$")) else None
            if found is None:
                return 10.0 if s_bound else 1e9 if not o_bound else 1e3
            n, ds, do = found
            if s_bound:
                return n / ds
            if o_bound:
                return n / do
            return float(n)

        best = min(range(len(remaining)), key=lambda k: (cost(remaining[k]), k))
        costs.append(cost(remaining[best]))
        triple = remaining.pop(best)
        order.append(triple)
        known.update(t[1:] for t in triple if t.startswith(("?", "$")))
    return order, costs
