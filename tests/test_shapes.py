"""The SHACL shapes (ontology/shapes.ttl) and tieskg.graph.validate.

Fixtures live in tests/fixtures/shapes/, named ``<NodeShape>.<case>.ttl``; each is
validated together with ``_context.ttl`` (synthetic regions, organizations, sources...
that conform). ``<NodeShape>.valid.ttl`` must conform. Every other fixture states what
it must produce, one line per expected result::

    # expect: <shape> <constraint component> <path, or - for none>

and the set of (shape, component, path) of the actual violations must equal the set
of expectations: the fixture breaks what it says and nothing else.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from pyshacl import validate as pyshacl_validate
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.plugins.sparql import prepareQuery

from tieskg.graph.validate import (
    TKS,
    ValidationReport,
    Violation,
    ontology_graph,
    shapes_graph,
    validate,
)
from tieskg.namespaces import PREFIXES, SH, TK, TKSYN, TKV

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
CONTEXT = FIXTURES / "_context.ttl"
CURIES = {**PREFIXES, "tks": TKS}

#: Classes no data instantiates directly: only their subclasses.
ABSTRACT_CLASSES = frozenset(TK[name] for name in (
    "Region", "AdministrativeDivision", "Organization", "Facility",
    "RegionPairRelation", "Tie", "RegionalTie", "IndustryTie", "Source",
))

#: Parameters that make a shape check something itself (not only through sh:property).
CONSTRAINT_PARAMETERS = frozenset(SH[name] for name in (
    "class", "datatype", "nodeKind", "minCount", "maxCount", "minExclusive", "minInclusive",
    "maxExclusive", "maxInclusive", "minLength", "maxLength", "pattern", "languageIn",
    "uniqueLang", "equals", "disjoint", "lessThan", "lessThanOrEquals", "not", "and", "or",
    "xone", "node", "qualifiedValueShape", "closed", "hasValue", "in", "sparql",
))

#: Ontology declarations that make a term a class or a property.
DECLARATIONS = frozenset({
    OWL.Class, RDFS.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
    RDF.Property,
})


# ----------------------------------------------------------------------------- helpers

def curie(text: str) -> str:
    prefix, _, local = text.partition(":")
    return CURIES[prefix] + local


@cache
def ontology_only() -> Graph:
    """tieskg.ttl alone (without the vocabularies)."""
    return Graph().parse(Path(__file__).parents[1] / "ontology" / "tieskg.ttl")


@cache
def vocabularies_only() -> Graph:
    return Graph().parse(Path(__file__).parents[1] / "ontology" / "vocabularies.ttl")


@cache
def context_graph() -> Graph:
    return Graph().parse(CONTEXT)


def fixture_graph(path: Path) -> Graph:
    graph = Graph()
    for triple in context_graph():
        graph.add(triple)
    graph.parse(path)
    return graph


def expectations(path: Path) -> set[tuple[str, str, str | None]]:
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect:"):
            shape, component, result_path = line.removeprefix("# expect:").split()
            found.add((curie(shape), curie(component),
                       None if result_path == "-" else curie(result_path)))
    return found


def node_shapes() -> set[URIRef]:
    shapes = shapes_graph()
    return {s for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}


def property_shapes_of(shape: URIRef) -> set[URIRef]:
    return {p for p in shapes_graph().objects(shape, SH.property) if isinstance(p, URIRef)}


def top_level_shapes() -> set[URIRef]:
    """Named node shapes and the property shapes they list."""
    return node_shapes() | {p for s in node_shapes() for p in property_shapes_of(s)}


def local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]


VALID = sorted(FIXTURES.glob("*.valid.ttl"))
INVALID = sorted(p for p in FIXTURES.glob("*.ttl")
                 if p not in VALID and p != CONTEXT)


# ----------------------------------------------------------------------------- the shapes graph

def test_shapes_graph_is_well_formed_shacl() -> None:
    """The shapes conform to SHACL's own shapes (shacl-shacl)."""
    conforms, _graph, text = pyshacl_validate(
        Graph(), shacl_graph=shapes_graph(), meta_shacl=True, inference="none")
    assert conforms, text


def test_every_shape_has_a_tieskg_shapes_iri() -> None:
    """Declared shapes, targeted shapes and the property shapes of named shapes have IRIs
    (only shapes nested in sh:or, sh:not, ... stay anonymous)."""
    shapes = shapes_graph()
    targeted = {s for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf,
                            SH.targetObjectsOf) for s in shapes.subjects(p, None)}
    listed = {o for s, o in shapes.subject_objects(SH.property) if isinstance(s, URIRef)}
    assert len(listed) > 50
    for shape in (set(shapes.subjects(RDF.type, SH.NodeShape))
                  | set(shapes.subjects(RDF.type, SH.PropertyShape)) | targeted | listed):
        assert isinstance(shape, URIRef), f"anonymous shape {shape!r}"
        assert str(shape).startswith(TKS), shape


def test_every_shape_says_what_it_checks() -> None:
    """A sh:message (on the shape or each of its SPARQL constraints) or a sh:name."""
    shapes = shapes_graph()
    for shape in top_level_shapes():
        messages = list(shapes.objects(shape, SH.message))
        names = list(shapes.objects(shape, SH.name))
        sparql = list(shapes.objects(shape, SH.sparql))
        sparql_messages = all((c, SH.message, None) in shapes for c in sparql) and sparql
        assert messages or names or sparql_messages, f"{shape} has no sh:message or sh:name"
        for message in messages:
            assert isinstance(message, Literal) and message.language == "en", shape
        if (shape, RDF.type, SH.PropertyShape) in shapes:
            assert names, f"property shape {shape} has no sh:name"


def test_severity_is_the_default_violation() -> None:
    severities = set(shapes_graph().objects(None, SH.severity))
    assert severities <= {SH.Violation}


def _path_terms(shapes: Graph, path) -> set[URIRef]:
    if isinstance(path, URIRef):
        return {path}
    if (path, RDF.first, None) in shapes:
        return {t for p in Collection(shapes, path) for t in _path_terms(shapes, p)}
    terms: set[URIRef] = set()
    for _predicate, inner in shapes.predicate_objects(path):
        if isinstance(inner, BNode) and (inner, RDF.first, None) in shapes:
            for item in Collection(shapes, inner):
                terms |= _path_terms(shapes, item)
        else:
            terms |= _path_terms(shapes, inner)
    return terms


def _sparql_terms(shapes: Graph) -> set[URIRef]:
    """Every IRI named in a SHACL-SPARQL query of the shapes."""
    namespaces = {str(p): str(n) for p, n in PREFIXES.items()}
    terms: set[URIRef] = set()

    def walk(node) -> None:
        if isinstance(node, URIRef):
            terms.add(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple | set):
            for value in node:
                walk(value)

    for query in shapes.objects(None, SH.select):
        text = str(query).replace("$PATH", "<urn:x-path>")
        walk(prepareQuery(text, initNs=namespaces).algebra)
    return terms - {URIRef("urn:x-path")}


def mentioned_terms() -> dict[URIRef, str]:
    """Classes and properties the shapes mention, with what mentions them."""
    shapes = shapes_graph()
    mentioned: dict[URIRef, str] = {}
    for predicate in (SH.targetClass, SH["class"]):
        for term in shapes.objects(None, predicate):
            mentioned[term] = f"sh:{local(str(predicate))}"
    for predicate in (SH.path, SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals,
                      SH.targetSubjectsOf, SH.targetObjectsOf):
        for path in shapes.objects(None, predicate):
            for term in _path_terms(shapes, path):
                mentioned[term] = "sh:path"
    for term in _sparql_terms(shapes):
        if not str(term).startswith(str(TKV)):
            mentioned[term] = "sh:select"
    return mentioned


def test_mentioned_terms_are_found() -> None:
    """The term collection itself sees classes, paths and SPARQL terms (it can fail)."""
    terms = mentioned_terms()
    assert TK.Observation in terms and TK.divisionCode in terms and TK.plausibleMinimum in terms
    assert URIRef(PREFIXES["wgs"] + "lat") in terms


def test_every_class_and_property_the_shapes_mention_is_declared() -> None:
    ontology = ontology_only()
    undeclared = sorted(
        f"{term} ({how})" for term, how in mentioned_terms().items()
        if term != RDF.type and not any((term, RDF.type, d) in ontology for d in DECLARATIONS))
    assert not undeclared, "not declared in tieskg.ttl: " + ", ".join(undeclared)


def test_every_controlled_value_the_shapes_mention_exists() -> None:
    shapes, vocabularies = shapes_graph(), vocabularies_only()
    named = {o for o in shapes.objects() if isinstance(o, URIRef) and str(o).startswith(str(TKV))}
    assert named, "expected the shapes to name at least one tkv: value"
    for value in named:
        assert (value, RDF.type, None) in vocabularies, value


def _instantiable_classes() -> set[URIRef]:
    ontology = ontology_only()
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class)
               if isinstance(c, URIRef) and str(c).startswith(str(TK))}
    return classes - ABSTRACT_CLASSES


def test_abstract_class_list_names_real_classes() -> None:
    ontology = ontology_only()
    for cls in ABSTRACT_CLASSES:
        assert (cls, RDF.type, OWL.Class) in ontology, cls


def test_every_instantiable_class_is_targeted() -> None:
    """Each class has a shape targeting it or one of its tk: superclasses."""
    ontology = ontology_only()
    targeted = set(shapes_graph().objects(None, SH.targetClass))
    uncovered = []
    for cls in _instantiable_classes():
        lineage = {c for c in ontology.transitive_objects(cls, RDFS.subClassOf)
                   if str(c).startswith(str(TK))}
        if not lineage & targeted:
            uncovered.append(str(cls))
    assert not uncovered, "no shape targets: " + ", ".join(sorted(uncovered))
    assert len(_instantiable_classes()) >= 40


def test_vocabularies_conform() -> None:
    """An empty data graph validates the vocabularies alone: they must conform."""
    report = validate(Graph())
    assert report.conforms, report.to_text()


# ----------------------------------------------------------------------------- fixtures

def test_context_conforms() -> None:
    report = validate(context_graph())
    assert report.conforms, report.to_text()


def test_every_node_shape_has_valid_and_invalid_fixtures() -> None:
    names = {local(str(s)) for s in node_shapes()}
    valid = {p.name.split(".")[0] for p in VALID}
    invalid = {p.name.split(".")[0] for p in INVALID}
    assert names - valid == set(), "no <Shape>.valid.ttl"
    assert names - invalid == set(), "no invalid fixture"
    assert (valid | invalid) - names == set(), "fixture named after no shape"


def test_every_fixture_exercises_its_own_shape() -> None:
    """An invalid fixture expects a result from its node shape or one of its property shapes."""
    for path in INVALID:
        shape = URIRef(TKS + path.name.split(".")[0])
        own = {str(shape)} | {str(p) for p in property_shapes_of(shape)}
        expected = {e[0] for e in expectations(path)}
        assert expected, f"{path.name} has no '# expect:' line"
        assert expected & own, f"{path.name} expects nothing from {shape} itself"


def test_every_constraint_bearing_shape_is_exercised() -> None:
    """Every shape that checks something itself is expected to fail in some fixture."""
    shapes = shapes_graph()
    exercised = {e[0] for path in INVALID for e in expectations(path)}
    missing = sorted(
        local(str(s)) for s in top_level_shapes()
        if str(s) not in exercised
        and any(p in CONSTRAINT_PARAMETERS for p in shapes.predicates(s)))
    assert not missing, "no violating fixture for: " + ", ".join(missing)


def test_fixtures_use_synthetic_instances_only() -> None:
    for path in [CONTEXT, *VALID, *INVALID]:
        graph = Graph().parse(path)
        for subject in set(graph.subjects()):
            assert isinstance(subject, BNode) or str(subject).startswith(str(TKSYN)), (
                f"{path.name}: {subject}")


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name.removesuffix(".ttl"))
def test_valid_fixture_conforms(path: Path) -> None:
    report = validate(fixture_graph(path))
    assert report.conforms, report.to_text()
    assert report.violations == ()


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name.removesuffix(".ttl"))
def test_invalid_fixture_yields_exactly_the_expected_violations(path: Path) -> None:
    report = validate(fixture_graph(path))
    assert not report.conforms
    actual = {(v.shape, v.component, v.path) for v in report.violations}
    assert actual == expectations(path), report.to_text()
    for v in report.violations:
        assert v.severity == str(SH.Violation)
        assert v.message


# ----------------------------------------------------------------------------- named cases

def _violations(name: str) -> tuple[Violation, ...]:
    return validate(fixture_graph(FIXTURES / f"{name}.ttl")).violations


def test_negative_output_value_names_value_and_range() -> None:
    (v,) = _violations("ObservationShape.negative-output")
    assert v.focus == str(TKSYN["obs-v"]) and v.path == str(TK.value)
    assert v.component == str(SH.SPARQLConstraintComponent)
    assert v.value == "-5.0"
    assert "-5.0" in v.message and "[0, inf]" in v.message


def test_growth_of_5000_percent_names_value_and_range() -> None:
    (v,) = _violations("ObservationShape.growth-5000-percent")
    assert v.shape == TKS + "Observation-valueInRange"
    assert "5000.0" in v.message and "[-100, 1000]" in v.message
    assert "industrial-output-growth" in v.message


def test_growth_at_the_limits_is_plausible() -> None:
    text = (FIXTURES / "ObservationShape.growth-5000-percent.ttl").read_text(encoding="utf-8")
    for value in ("1000.0", "-100.0"):
        graph = context_graph() + Graph().parse(data=text.replace("5000.0", value),
                                                format="turtle")
        assert validate(graph).conforms, value


def test_observation_missing_unit() -> None:
    (v,) = _violations("ObservationShape.missing-unit")
    assert (v.path, v.component) == (str(TK.unit), str(SH.MinCountConstraintComponent))


def test_bad_division_code() -> None:
    (v,) = _violations("AdministrativeDivisionShape.bad-code-33060")
    assert (v.path, v.component, v.value) == (
        str(TK.divisionCode), str(SH.PatternConstraintComponent), "33060")


def test_latitude_95() -> None:
    (v,) = _violations("RegionShape.lat-95")
    assert (v.path, v.component) == (PREFIXES["wgs"] + "lat",
                                     str(SH.MaxInclusiveConstraintComponent))
    assert float(v.value or "nan") == 95.0


def test_tie_without_to_region() -> None:
    (v,) = _violations("RegionalTieShape.without-to-region")
    assert (v.focus, v.path, v.component) == (
        str(TKSYN["tie-v"]), str(TK.toRegion), str(SH.MinCountConstraintComponent))


def test_facility_without_operator() -> None:
    (v,) = _violations("FacilityShape.without-operator")
    assert (v.path, v.component) == (str(TK.operatedBy), str(SH.MinCountConstraintComponent))


def test_two_english_preferred_labels() -> None:
    (v,) = _violations("RegionShape.preflabel-two-en")
    assert (v.shape, v.component) == (TKS + "PrefLabel", str(SH.UniqueLangConstraintComponent))


def test_parent_division_of_the_wrong_class() -> None:
    found = {(v.path, v.component, v.value) for v in _violations(
        "AdministrativeDivisionShape.parent-wrong-class")}
    assert (str(TK.parentDivision), str(SH.ClassConstraintComponent),
            str(TKSYN["park-a"])) in found


def test_investment_tie_needs_no_origin_but_others_do() -> None:
    text = (FIXTURES / "InvestmentTieShape.valid.ttl").read_text(encoding="utf-8")
    graph = context_graph() + Graph().parse(data=text.replace("InvestmentTie", "SupplyTie")
                                            .replace("tk:investor tksyn:company-a ;", "")
                                            .replace('tk:investorOrigin "foreign"', "")
                                            .replace(" ;\n    .", " ."), format="turtle")
    shapes = {v.shape for v in validate(graph).violations}
    assert shapes == {TKS + "DirectedTie-fromRegion"}


# ----------------------------------------------------------------------------- the report API

def test_report_is_sorted_and_serializes() -> None:
    report = validate(fixture_graph(FIXTURES / "ObservationShape.bad-properties.ttl"))
    assert list(report.violations) == sorted(report.violations, key=Violation.sort_key)
    assert len(report.violations) == 9

    data = json.loads(report.to_json())
    assert data["conforms"] is False
    assert [Violation(**v) for v in data["violations"]] == list(report.violations)

    text = report.to_text()
    assert text.startswith("Conforms: no (9 violations)")
    assert "tksyn:obs-6" in text and "tks:Observation-unitMultiplier" in text

    turtle = report.to_turtle()
    assert turtle == validate(fixture_graph(
        FIXTURES / "ObservationShape.bad-properties.ttl")).to_turtle()
    parsed = Graph().parse(data=turtle, format="turtle")
    assert (None, SH.conforms, Literal(False)) in parsed
    assert len(list(parsed.subjects(RDF.type, SH.ValidationResult))) == 9


def test_conforming_report() -> None:
    report = validate(context_graph())
    assert report.conforms and report.violations == ()
    assert json.loads(report.to_json()) == {"conforms": True, "violations": []}
    parsed = Graph().parse(data=report.to_turtle(), format="turtle")
    assert (None, SH.conforms, Literal(True)) in parsed
    assert report.to_text().startswith("Conforms: yes")


def test_hand_built_report_serializes_to_turtle() -> None:
    v = Violation(focus=str(TKSYN.x), path=str(TK.unit),
                  component=str(SH.MinCountConstraintComponent), severity=str(SH.Violation),
                  message="m", value=None, shape=TKS + "Observation-unit")
    report = ValidationReport(False, (v,))
    parsed = Graph().parse(data=report.to_turtle(), format="turtle")
    assert (None, SH.sourceShape, URIRef(TKS + "Observation-unit")) in parsed
    assert report == ValidationReport(False, (v,), Graph())


def test_validate_does_not_modify_its_input() -> None:
    graph = fixture_graph(FIXTURES / "RegionShape.lat-95.ttl")
    before = len(graph)
    validate(graph)
    assert len(graph) == before


def test_dataset_is_validated_as_the_union_of_its_graphs() -> None:
    """A tie in one named graph may refer to regions typed in another."""
    dataset = Dataset()
    context = dataset.graph(URIRef("https://w3id.org/tieskg/graph/source/synthetic-a"))
    for triple in context_graph():
        context.add(triple)
    ties = dataset.graph(URIRef("https://w3id.org/tieskg/graph/source/synthetic-b"))
    ties.parse(FIXTURES / "DirectedTieShape.valid.ttl")
    assert validate(dataset).conforms
    ties.parse(FIXTURES / "RegionShape.lat-95.ttl")
    assert not validate(dataset).conforms


def test_shape_and_ontology_graphs_are_cached() -> None:
    assert shapes_graph() is shapes_graph()
    assert ontology_graph() is ontology_graph()
    assert (TK.Observation, RDF.type, OWL.Class) in ontology_graph()
    assert (TKV["unit/CNY"], RDF.type, TK.Unit) in ontology_graph()


@pytest.mark.parametrize("validator", ["validate_store", "validate_store_pyshacl"])
def test_validate_store_sees_the_union_of_its_graphs(validator: str) -> None:
    import pyoxigraph as ox

    from tieskg.graph import validate as validate_module
    from tieskg.graph.store import OxigraphStore

    validate_store = getattr(validate_module, validator)

    store = OxigraphStore.in_memory()
    ontology = Path(__file__).parents[1] / "ontology"
    # Oxigraph rewrites 0.0 as "0"^^xsd:decimal: the vocabularies must not count twice.
    for name in ("tieskg", "vocabularies"):
        store.load((ontology / f"{name}.ttl").read_bytes(), format=ox.RdfFormat.TURTLE,
                   graph=URIRef(f"https://w3id.org/tieskg/graph/{name}"))
    store.load(CONTEXT.read_bytes(), format=ox.RdfFormat.TURTLE,
               graph=URIRef("https://w3id.org/tieskg/graph/source/synthetic-a"))
    store.load((FIXTURES / "DirectedTieShape.valid.ttl").read_bytes(),
               format=ox.RdfFormat.TURTLE,
               graph=URIRef("https://w3id.org/tieskg/graph/source/synthetic-b"))
    assert validate_store(store).conforms
    store.load((FIXTURES / "RegionShape.lat-95.ttl").read_bytes(), format=ox.RdfFormat.TURTLE,
               graph=URIRef("https://w3id.org/tieskg/graph/source/synthetic-c"))
    report = validate_store(store)
    assert [v.shape for v in report.violations] == [TKS + "Region-lat"]
