"""tieskg.graph.shacl_sparql: SHACL compiled to SPARQL gives exactly pySHACL's answer.

Every comparison runs both validators on the same store: the fast one
(:func:`validate_store_sparql`) and the reference, pySHACL (through
:func:`tieskg.graph.validate.validate_store_pyshacl` for tieskg's shapes; for the W3C tests with
the options :func:`tieskg.graph.validate.validate` passes). They are compared on

- the shape fixtures of ``test_shapes.py`` (each with ``_context.ttl``), the founding
  case alone and with every invalid fixture added, and synthetic graphs with planted
  violations from ``benchmarks/generate.py``: the full :class:`Violation` objects;
- the W3C SHACL test suite (``fixtures/w3c_shacl``, see its README): every result field
  but the message (generic messages are best effort, see the module), and both
  validators against the report the test expects. A test whose shapes the compiler
  refuses must make :func:`compile_shapes` raise :class:`UnsupportedShapeError`.
"""

from __future__ import annotations

import importlib.util
import io
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pyoxigraph as ox
import pyshacl
import pytest
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node
from test_doctests import _module_params
from test_shapes import (
    CONSTRAINT_PARAMETERS,
    CONTEXT,
    FIXTURES,
    INVALID,
    VALID,
    expectations,
    top_level_shapes,
)

from tieskg.graph.build import populate
from tieskg.graph.shacl_sparql import (
    ShaclRuntimeError,
    UnsupportedShapeError,
    compile_shapes,
    validate_store_sparql,
)
from tieskg.graph.store import OxigraphStore
from tieskg.graph.validate import (
    ValidationReport,
    Violation,
    _path_text,
    _violation,
    shapes_graph,
    validate_store_pyshacl,
)
from tieskg.loaders import builtin_datasets, load_dataset
from tieskg.namespaces import SH

ROOT = Path(__file__).resolve().parents[1]
W3C = Path(__file__).parent / "fixtures" / "w3c_shacl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
DATA_GRAPH = URIRef("https://w3id.org/tieskg/graph/source/synthetic-test")
CONTEXT_GRAPH = URIRef("https://w3id.org/tieskg/graph/source/synthetic-context")


# ----------------------------------------------------------------------------- helpers

def assert_same_answer(store: OxigraphStore) -> ValidationReport:
    """Validate ``store`` both ways; the reports must be equal, violation by violation."""
    reference = validate_store_pyshacl(store)
    fast = validate_store_sparql(store)
    assert fast.conforms == reference.conforms
    assert list(fast.violations) == list(reference.violations), (
        "pySHACL:\n" + reference.to_text() + "\n\nfast:\n" + fast.to_text())
    return reference


def load_turtle(store: OxigraphStore, path: Path, graph: URIRef) -> None:
    """Parse a Turtle file with Oxigraph into named graph ``graph``."""
    store.load(path.read_bytes(), format=ox.RdfFormat.TURTLE, graph=graph)


def fixture_store(*paths: Path) -> OxigraphStore:
    """Ontology and vocabularies (``populate``), ``_context.ttl`` and ``paths``."""
    store = OxigraphStore.in_memory()
    populate(store, [])
    load_turtle(store, CONTEXT, CONTEXT_GRAPH)
    for i, path in enumerate(paths):
        load_turtle(store, path, URIRef(f"{DATA_GRAPH}-{i}"))
    return store


# ----------------------------------------------------------------------------- tieskg's shapes

@pytest.mark.parametrize("path", VALID + INVALID, ids=lambda p: p.name.removesuffix(".ttl"))
def test_shape_fixture_gives_pyshacls_answer(path: Path) -> None:
    report = assert_same_answer(fixture_store(path))
    assert report.conforms == (path in VALID)
    assert {(v.shape, v.component, v.path) for v in report.violations} == expectations(path)


def _case_and_classifications() -> list:
    """The founding case and the industry classifications it refers to. China's divisions
    (70,000 triples) are left out: pySHACL takes minutes on them; the fast validator checks
    them in test_china_divisions.py, and its answers equal pySHACL's on every fixture."""
    case, classifications = builtin_datasets()[:2]
    assert Path(str(case)).name == "shangyu_shanghai"
    return [load_dataset(Path(str(folder))) for folder in (case, classifications)]


def test_founding_case_gives_pyshacls_answer() -> None:
    store = OxigraphStore.in_memory()
    populate(store, _case_and_classifications())
    report = assert_same_answer(store)
    assert report.conforms


def test_founding_case_with_every_invalid_fixture_gives_pyshacls_answer() -> None:
    """All the breakages at once, beside real data: no query may hide another's results."""
    store = OxigraphStore.in_memory()
    populate(store, _case_and_classifications())
    load_turtle(store, CONTEXT, CONTEXT_GRAPH)
    for i, path in enumerate(INVALID):
        load_turtle(store, path, URIRef(f"{DATA_GRAPH}-{i}"))
    report = assert_same_answer(store)
    # fixtures share nodes, so one may mend what another breaks: most must still show
    expected = {e[0] for path in INVALID for e in expectations(path)}
    assert len({v.shape for v in report.violations} & expected) > 0.8 * len(expected)


# ----------------------------------------------------------------------------- synthetic graphs

def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "tieskg_benchmark_generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: The generator's minimum size: pySHACL needs about 12 s per graph on it.
SYNTHETIC_TRIPLES = 5_000
#: Seeds whose graphs get every kind of planted violation at this size.
SYNTHETIC_SEEDS = (2, 5, 7)


@pytest.mark.parametrize("seed", SYNTHETIC_SEEDS)
def test_synthetic_graph_with_planted_violations_gives_pyshacls_answer(
        seed: int, tmp_path: Path) -> None:
    generator = _load_generator()
    summary = generator.generate(tmp_path / f"b{seed}.nq", SYNTHETIC_TRIPLES, seed, 0.05,
                                 log=None)
    planted = json.loads(summary.path.with_name(f"b{seed}.nq.violations.json").read_text())
    assert {entry["kind"] for entry in planted} == set(generator.VIOLATION_KINDS)
    store = OxigraphStore.in_memory()
    populate(store, [], rdf_files=[summary.path])
    report = assert_same_answer(store)
    found = {(v.focus, v.shape, v.component, v.path) for v in report.violations}
    assert found == {(e["focus"], e["shape"], e["component"], e["path"]) for e in planted}


# ----------------------------------------------------------------------------- W3C test suite

#: W3C tests whose shapes the compiler refuses: the component its error names, and why.
UNSUPPORTED: dict[str, tuple[str, str]] = {
    "core/node/maxExclusive-001": ("sh:targetNode", "a blank node as sh:targetNode"),
    "core/node/maxInclusive-001": ("sh:targetNode", "a blank node as sh:targetNode"),
    "core/node/minExclusive-001": ("sh:targetNode", "a blank node as sh:targetNode"),
    "core/node/nodeKind-001": ("sh:targetNode", "a blank node as sh:targetNode"),
    "core/node/minLength-001": ("sh:targetNode", "a blank node target; and sh:minLength"),
    "core/node/maxLength-001": ("sh:maxLength", "sh:maxLength"),
    "core/property/maxLength-001": ("sh:maxLength", "sh:maxLength"),
    "core/property/minLength-001": ("sh:minLength", "sh:minLength"),
    "core/property/property-001": ("sh:property", "sh:property on a property shape"),
    "sparql/pre-binding/unsupported-sparql-006": (
        "http://datashapes.org/sh/tests/sparql/pre-binding/unsupported-sparql-006.test#lang",
        "a SHACL-SPARQL constraint component"),
}
#: Tests that only their blank-node sh:targetNode keeps from compiling: they run without it.
BLANK_TARGETS_ONLY = frozenset({
    "core/node/maxExclusive-001", "core/node/maxInclusive-001", "core/node/minExclusive-001",
    "core/node/nodeKind-001",
})
#: Tests on which pySHACL (and so the fast validator) disagrees with the W3C expectation.
PYSHACL_DISAGREES: dict[str, str] = {
    "sparql/node/prefixes-001": (
        "pySHACL 0.40 takes sh:declare from the sh:prefixes node and from owl:Ontology nodes "
        "only, not through owl:imports: its query fails with 'Unknown namespace prefix : ex'"),
}
#: Options of tieskg.graph.validate.validate's pyshacl.validate call.
PYSHACL_OPTIONS: dict[str, Any] = {
    "inference": "none", "advanced": False, "inplace": True, "do_owl_imports": False,
    "allow_warnings": False,
}

W3C_TESTS = sorted(str(p.relative_to(W3C).with_suffix("")) for p in W3C.rglob("*.ttl"))
Outcome = list[tuple[str, ...]] | str  # sorted result keys, or a failure's message


def w3c_store(name: str) -> OxigraphStore:
    """The test file in a store, parsed by Oxigraph as tieskg reads files (the file is data
    graph, shapes graph and manifest at once)."""
    path = W3C / f"{name}.ttl"
    triples = ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=path.as_uri())
    text = io.BytesIO()
    ox.serialize(triples, text, format=ox.RdfFormat.N_TRIPLES)
    store = OxigraphStore.in_memory()
    store.load(text.getvalue(), format=ox.RdfFormat.N_TRIPLES, graph=DATA_GRAPH)
    return store


def read_back(store: OxigraphStore) -> Graph:
    """The store's triples as rdflib terms, as validate_store_pyshacl hands them to pySHACL."""
    graph = Graph()
    for triple in store.construct("CONSTRUCT WHERE { ?s ?p ?o }"):
        graph.add(triple)
    return graph


def the_test(graph: Graph) -> Node:
    """The file's one sht:Validate entry, whose data and shapes are the file itself."""
    (test,) = graph.subjects(RDF.type, SHT.Validate)
    action = graph.value(test, MF.action)
    assert graph.value(action, SHT.dataGraph) == graph.value(action, SHT.shapesGraph)
    return test


def result_key(v: Violation) -> tuple[str, ...]:
    """Every field but the message."""
    return (v.focus, v.path or "", v.component, v.value or "", v.shape, v.severity)


def pyshacl_report(graph: Graph) -> ValidationReport | str:
    """pySHACL's report on ``graph`` as data and shapes, or the message it fails with."""
    try:
        conforms, report, _text = pyshacl.validate(graph, shacl_graph=graph, **PYSHACL_OPTIONS)
    except Exception as exc:  # pySHACL cannot run these shapes: the fast validator must fail too
        return str(exc)
    if not isinstance(report, Graph):  # a ValidationFailure, returned instead of raised
        return str(report.message)
    return ValidationReport(bool(conforms),
                            tuple(_violation(report, r) for r in report.objects(None, SH.result)))


def fast_report(store: OxigraphStore, graph: Graph) -> ValidationReport | str:
    """The fast validator's report, or the message it fails with (a refusal is no failure:
    it propagates)."""
    try:
        return validate_store_sparql(store, shapes=graph)
    except UnsupportedShapeError:
        raise
    except Exception as exc:
        return str(exc)


def outcome(report: ValidationReport | str,
            key: Callable[[Violation], tuple[str, ...]] = result_key) -> Outcome:
    """Conformance and the results as sorted keys (duplicates kept), or the failure."""
    if isinstance(report, str):
        return report
    return sorted([("conforms" if report.conforms else "fails",), *map(key, report.violations)])


def expected_outcome(graph: Graph, test: Node) -> Outcome:
    """The test's expected report as (focus, path, component) keys, or "failure"."""
    result = graph.value(test, MF.result)
    if result == SHT.Failure:
        return "failure"
    conforms = graph.value(result, SH.conforms)
    assert conforms is not None
    keys = [("conforms" if conforms.value else "fails",)]
    for r in graph.objects(result, SH.result):
        path = graph.value(r, SH.resultPath)
        keys.append((str(graph.value(r, SH.focusNode)),
                     "" if path is None else _path_text(graph, path),
                     str(graph.value(r, SH.sourceConstraintComponent))))
    return sorted(keys)


def short_key(v: Violation) -> tuple[str, ...]:
    """What a W3C expected report gives of each result."""
    return (v.focus, v.path or "", v.component)


def as_expected(actual: Outcome) -> Outcome:
    """A failure, whatever its message, is what ``mf:result sht:Failure`` expects."""
    return "failure" if isinstance(actual, str) else actual


def _expectation_params() -> list[Any]:
    """(test, validator) pairs; the fast validator only on tests it compiles."""
    params = []
    for name in W3C_TESTS:
        for validator in ("pyshacl", "fast"):
            if validator == "fast" and name in UNSUPPORTED:
                continue  # test_w3c_fast_gives_pyshacls_answer asserts the refusal
            marks = [pytest.mark.xfail(strict=True, reason=PYSHACL_DISAGREES[name])] \
                if name in PYSHACL_DISAGREES else []
            params.append(pytest.param(name, validator, marks=marks, id=f"{name}-{validator}"))
    return params


def without_blank_targets(graph: Graph) -> Graph:
    """``graph`` without the ``sh:targetNode`` triples that name a blank node."""
    copy = Graph()
    for s, p, o in graph:
        if not (p == SH.targetNode and isinstance(o, BNode)):
            copy.add((s, p, o))
    return copy


def test_w3c_suite_is_vendored() -> None:
    """The suite is here (it would otherwise parametrize nothing) and lists what it refuses."""
    assert len(W3C_TESTS) >= 90
    for folder in ("core/node", "core/property", "core/path", "core/targets", "core/misc",
                   "sparql/node", "sparql/property", "sparql/pre-binding"):
        assert any(name.startswith(folder + "/") for name in W3C_TESTS), folder
    assert set(UNSUPPORTED) | set(PYSHACL_DISAGREES) <= set(W3C_TESTS)
    assert set(UNSUPPORTED) >= BLANK_TARGETS_ONLY


@pytest.mark.parametrize("name", W3C_TESTS)
def test_w3c_fast_gives_pyshacls_answer(name: str) -> None:
    store = w3c_store(name)
    graph = read_back(store)
    the_test(graph)
    if name in UNSUPPORTED:
        component, _why = UNSUPPORTED[name]
        with pytest.raises(UnsupportedShapeError) as refused:
            compile_shapes(graph)
        assert refused.value.component == component
        assert (refused.value.shape, None, None) in graph
        assert component in str(refused.value) and str(refused.value.shape) in str(refused.value)
        return
    reference = outcome(pyshacl_report(graph))
    assert outcome(fast_report(store, graph)) == reference


@pytest.mark.parametrize("name", sorted(BLANK_TARGETS_ONLY))
def test_w3c_without_blank_node_targets_gives_pyshacls_answer(name: str) -> None:
    """The components of tests refused for a blank-node target, on their other targets."""
    store = OxigraphStore.in_memory()
    store.replace_graph(DATA_GRAPH, ((s, p, o, DATA_GRAPH) for s, p, o in
                                     without_blank_targets(read_back(w3c_store(name)))))
    graph = read_back(store)
    reference = pyshacl_report(graph)
    assert isinstance(reference, ValidationReport) and not reference.conforms
    assert outcome(fast_report(store, graph)) == outcome(reference)


@pytest.mark.parametrize(("name", "validator"), _expectation_params())
def test_w3c_report_matches_the_expected_one(name: str, validator: str) -> None:
    store = w3c_store(name)
    graph = read_back(store)
    report = pyshacl_report(graph) if validator == "pyshacl" else fast_report(store, graph)
    assert as_expected(outcome(report, short_key)) == expected_outcome(graph, the_test(graph))


# ----------------------------------------------------------------------------- compile_shapes

EX = Namespace("http://example.org/ns#")
PREFIXES = f"""
@prefix sh: <{SH}> .
@prefix ex: <{EX}> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


@pytest.mark.parametrize(("body", "shape", "component"), [
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property ex:P .\n"
     "ex:P sh:path ex:p ; sh:minLength 2 .", EX.P, "sh:minLength"),
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:maxLength 2 .", EX.S, "sh:maxLength"),
    ("ex:S a sh:NodeShape ; sh:target [ a ex:T ] .", EX.S, "sh:target"),
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:node ex:S .", EX.S, "recursive shapes"),
    ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:or ( [ sh:path ex:p ; sh:lessThan ex:q ] ) .",
     None, "sh:lessThan"),
    ("ex:S a sh:PropertyShape ; sh:targetClass ex:C ; sh:path [ sh:alternativePath ex:p ] ;"
     " sh:minCount 1 .", EX.S, "sh:path"),
    ("ex:S a sh:PropertyShape ; sh:targetClass ex:C ; sh:path ex:p ; sh:minCount true .",
     EX.S, str(SH.minCount)),
], ids=["minLength", "maxLength", "sparql-target", "recursion", "nested-lessThan",
        "alternative-path-of-one", "boolean-minCount"])
def test_unsupported_shape_names_shape_and_component(body: str, shape: URIRef | None,
                                                     component: str) -> None:
    graph = Graph().parse(data=PREFIXES + body, format="turtle")
    with pytest.raises(UnsupportedShapeError) as refused:
        compile_shapes(graph)
    error = refused.value
    assert error.component == component
    assert component in str(error) and "does not support" in str(error)
    if shape is not None:
        assert error.shape == shape and str(shape) in str(error)


def test_unsupported_shape_is_refused_even_without_targets() -> None:
    graph = Graph().parse(data=PREFIXES + "ex:S a sh:NodeShape ; sh:minLength 1 .",
                          format="turtle")
    with pytest.raises(UnsupportedShapeError, match="sh:minLength"):
        compile_shapes(graph)


def test_less_than_on_a_blank_value_fails_like_pyshacl() -> None:
    """pySHACL refuses a blank value node of sh:lessThan, even with nothing to compare."""
    shapes = Graph().parse(data=PREFIXES + """
        ex:S a sh:NodeShape ; sh:targetNode ex:i ;
          sh:property [ sh:path ex:low ; sh:lessThan ex:high ] .
        ex:i ex:low 1, [ ex:z 1 ] .""", format="turtle")
    store = OxigraphStore.in_memory()
    store.replace_graph(DATA_GRAPH, [(s, p, o, DATA_GRAPH) for s, p, o in shapes])
    reference = pyshacl_report(read_back(store))
    assert isinstance(reference, str) and "BlankNode" in reference
    assert fast_report(store, shapes) == reference


def _component(parameter: URIRef) -> str:
    """sh:minCount -> sh:MinCountConstraintComponent (and sh:sparql -> SPARQL...)."""
    name = str(parameter).removeprefix(str(SH))
    name = "SPARQL" if name == "sparql" else name[0].upper() + name[1:]
    return f"{SH}{name}ConstraintComponent"


def test_compile_shapes_covers_every_constraint_of_tieskgs_shapes() -> None:
    """Each constraint parameter of each shape is checked by some query."""
    queries = compile_shapes()
    checked = {pair for q in queries for pair in q.constraints}
    shapes = shapes_graph()
    wanted = {(str(s), _component(p)) for s in top_level_shapes()
              for p in set(shapes.predicates(s)) & CONSTRAINT_PARAMETERS}
    assert len(wanted) > 100
    assert wanted - checked == set()
    targeted = {str(s) for p in (SH.targetClass, SH.targetNode) for s in shapes.subjects(p)}
    assert targeted <= {q.shape for q in queries}


def test_compiled_queries_run_on_an_empty_store() -> None:
    """Every query is valid SPARQL for Oxigraph, as written and with classes listed."""
    store = OxigraphStore.in_memory()
    for query in compile_shapes():
        assert store.select(query.sparql).rows == []
        closure = {c: [c] for c in query.classes()}
        assert store.select(query.render(closure)).rows == []


def test_compiled_queries_are_cached_deterministic_and_reusable() -> None:
    assert compile_shapes()[0] is compile_shapes()[0]
    copy = Graph()
    for triple in shapes_graph():
        copy.add(triple)
    assert compile_shapes(copy) == compile_shapes()
    store = fixture_store(FIXTURES / "ObservationShape.bad-properties.ttl")
    expected = validate_store_sparql(store)
    assert not expected.conforms
    assert validate_store_sparql(store, queries=compile_shapes(), threads=1) == expected


def test_pyshacl_refusal_raises_like_pyshacl() -> None:
    """A SPARQL constraint pySHACL refuses to run fails, once a focus node exists."""
    shapes = Graph().parse(data=PREFIXES + """
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:sparql [
          sh:select "SELECT $this WHERE { $this ex:p ?v . MINUS { $this ex:q ?v } }" ] .""",
                           format="turtle")
    store = OxigraphStore.in_memory()
    assert validate_store_sparql(store, shapes=shapes).conforms
    store.replace_graph(DATA_GRAPH, [(EX.a, RDF.type, EX.C, DATA_GRAPH)])
    with pytest.raises(ShaclRuntimeError, match="must not contain a MINUS clause"):
        validate_store_sparql(store, shapes=shapes)


def test_doctests_cover_this_module() -> None:
    assert "tieskg.graph.shacl_sparql" in {p.id for p in _module_params()}
