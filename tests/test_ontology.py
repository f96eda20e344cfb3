"""The ontology parses everywhere, is OWL 2 DL-typed, consistent, labelled and documented.

Each rdflib-based check is a function returning the problems it finds, tested on the real
ontology (no problems) and on a small broken graph (problems found), so that a check
that cannot fail does not pass unnoticed. The same holds for the HermiT checks.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

import owlready2
import pyoxigraph
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from tieskg.namespaces import TK, TKV
from tieskg.ontology import ontology_path, vocabularies_path
from tieskg.ontology.docs import (
    CLASS_SECTIONS,
    check_docs,
    generate_markdown,
    main,
    render_markdown,
    unsectioned_classes,
    write_docs,
)

REPO_ROOT = Path(__file__).parents[1]
DOCS_FILE = REPO_ROOT / "docs" / "ontology.md"
#: A plain namespace: rdflib's XSD warns when pytest probes its attributes.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

#: The OWL 2 datatype map (OWL 2 Structural Specification, section 4). xsd:date,
#: xsd:gYear and the other date/time types except xsd:dateTime(Stamp) are not in it.
OWL2_DATATYPES = frozenset(
    {
        OWL.real,
        OWL.rational,
        RDF.PlainLiteral,
        RDF.XMLLiteral,
        RDFS.Literal,
        *(
            XSD[name]
            for name in (
                "decimal",
                "integer",
                "nonNegativeInteger",
                "nonPositiveInteger",
                "positiveInteger",
                "negativeInteger",
                "long",
                "int",
                "short",
                "byte",
                "unsignedLong",
                "unsignedInt",
                "unsignedShort",
                "unsignedByte",
                "double",
                "float",
                "string",
                "normalizedString",
                "token",
                "language",
                "Name",
                "NCName",
                "NMTOKEN",
                "boolean",
                "hexBinary",
                "base64Binary",
                "anyURI",
                "dateTime",
                "dateTimeStamp",
            )
        ),
    }
)

#: OWL 2 declaration types of entities.
ENTITY_TYPES = frozenset(
    {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDFS.Datatype}
)

#: Class-valued axioms: their objects must be declared classes.
CLASS_AXIOMS = (RDFS.subClassOf, OWL.disjointWith, OWL.equivalentClass)


# --------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------


def _parse(text: str) -> Graph:
    graph = Graph()
    graph.parse(data=text, format="turtle")
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return _parse(ontology_path().read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def vocabularies() -> Graph:
    return _parse(vocabularies_path().read_text(encoding="utf-8"))


def _is_tk(node: Node) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(str(TK)) and node != URIRef(str(TK))


def _tk_terms(graph: Graph) -> list[URIRef]:
    """Every ``tk:`` IRI that is the subject of a triple."""
    return sorted({s for s in graph.subjects() if _is_tk(s)})


def _kinds(graph: Graph, node: Node) -> set[Node]:
    return set(graph.objects(node, RDF.type)) & ENTITY_TYPES


def _n3(graph: Graph, node: Node) -> str:
    return node.n3(graph.namespace_manager)


def _broken(ontology: Graph, turtle: str) -> Graph:
    """A copy of ``ontology`` with ``turtle`` (using the ``tk:`` prefix) added."""
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    graph.parse(data=f"@prefix tk: <{TK}> .\n{turtle}", format="turtle")
    return graph


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------

FILES = {"tieskg.ttl": ontology_path, "vocabularies.ttl": vocabularies_path}


@pytest.mark.parametrize("name", sorted(FILES))
def test_parses_with_rdflib_and_pyoxigraph_alike(name: str) -> None:
    data = FILES[name]().read_bytes()
    graph = _parse(data.decode("utf-8"))
    quads = list(pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TURTLE))
    assert len(graph) > 0
    assert len({(q.subject, q.predicate, q.object) for q in quads}) == len(graph)
    assert not any(q.predicate == pyoxigraph.NamedNode(str(OWL.imports)) for q in quads)
    assert list(graph.triples((None, OWL.imports, None))) == [], f"{name} has owl:imports"


def test_ontology_header(ontology: Graph) -> None:
    headers = list(ontology.subjects(RDF.type, OWL.Ontology))
    assert headers == [URIRef("https://w3id.org/tieskg/ontology")]
    assert ontology.value(headers[0], OWL.versionInfo) is not None
    assert ontology.value(headers[0], OWL.versionIRI) is not None


# --------------------------------------------------------------------------------------
# HermiT (owlready2): consistent, no unsatisfiable class; negative controls
# --------------------------------------------------------------------------------------


def _hermit(graph: Graph, tmp_path: Path) -> owlready2.World:
    """Load ``graph`` into a fresh owlready2 world and classify it with HermiT."""
    ntriples = tmp_path / "ontology.nt"
    graph.serialize(ntriples, format="nt", encoding="utf-8")
    world = owlready2.World()
    with ntriples.open("rb") as handle:
        world.get_ontology("https://w3id.org/tieskg/ontology#").load(
            fileobj=handle, format="ntriples"
        )
    owlready2.sync_reasoner_hermit(world, infer_property_values=False)
    return world


def _unsatisfiable(world: owlready2.World) -> set[str]:
    return {c.iri for c in world.inconsistent_classes()} - {str(OWL.Nothing)}


def test_hermit_finds_ontology_consistent_and_all_classes_satisfiable(
    ontology: Graph, tmp_path: Path
) -> None:
    world = _hermit(ontology, tmp_path)
    assert list(world.inconsistent_classes()) == []


def test_hermit_finds_ontology_with_vocabularies_consistent(
    ontology: Graph, vocabularies: Graph, tmp_path: Path
) -> None:
    world = _hermit(ontology + vocabularies, tmp_path)
    assert list(world.inconsistent_classes()) == []


def test_hermit_detects_unsatisfiable_classes(ontology: Graph, tmp_path: Path) -> None:
    broken = _broken(
        ontology,
        """
        tk:CompanyAndGovernment a <http://www.w3.org/2002/07/owl#Class> ;
            <http://www.w3.org/2000/01/rdf-schema#subClassOf> tk:Company , tk:GovernmentBody .
        tk:RegionAndPark a <http://www.w3.org/2002/07/owl#Class> ;
            <http://www.w3.org/2000/01/rdf-schema#subClassOf> tk:Region , tk:IndustrialPark .
        """,
    )
    world = _hermit(broken, tmp_path)
    # One is caught through owl:AllDisjointClasses, the other through owl:disjointWith.
    assert _unsatisfiable(world) == {str(TK.CompanyAndGovernment), str(TK.RegionAndPark)}


def test_hermit_detects_inconsistency(ontology: Graph, tmp_path: Path) -> None:
    broken = _broken(
        ontology,
        """
        <https://example.org/x> a <http://www.w3.org/2002/07/owl#NamedIndividual> ,
            tk:Company , tk:University .
        """,
    )
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        _hermit(broken, tmp_path)


# --------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------


def label_problems(graph: Graph) -> list[str]:
    """``tk:`` terms without exactly one ``rdfs:label`` in each of ``@en`` and ``@zh``."""
    problems = []
    for term in _tk_terms(graph):
        labels = [o for o in graph.objects(term, RDFS.label) if isinstance(o, Literal)]
        for lang in ("en", "zh"):
            count = sum(1 for label in labels if label.language == lang and str(label).strip())
            if count != 1:
                problems.append(f"{_n3(graph, term)} has {count} rdfs:label @{lang}")
    return problems


def test_every_term_has_one_english_and_one_chinese_label(ontology: Graph) -> None:
    assert label_problems(ontology) == []


def test_label_check_can_fail(ontology: Graph) -> None:
    broken = _broken(
        ontology,
        "tk:Unlabelled a <http://www.w3.org/2002/07/owl#Class> ; "
        '<http://www.w3.org/2000/01/rdf-schema#label> "x"@en .',
    )
    assert label_problems(broken) == ["tk:Unlabelled has 0 rdfs:label @zh"]


# --------------------------------------------------------------------------------------
# OWL 2 DL typing
# --------------------------------------------------------------------------------------


def _is_datatype(graph: Graph, node: Node) -> bool:
    if node in OWL2_DATATYPES:
        return True
    custom = (node, RDF.type, RDFS.Datatype) in graph
    return custom and isinstance(node, URIRef) and not str(node).startswith(str(XSD))


def _class_expression_ok(graph: Graph, node: Node) -> bool:
    if isinstance(node, BNode):
        return bool({OWL.Restriction, OWL.Class} & set(graph.objects(node, RDF.type)))
    return node == OWL.Thing or OWL.Class in _kinds(graph, node)


def typing_problems(graph: Graph) -> list[str]:
    """Where the ``tk:`` terms of ``graph`` are not fully OWL 2 DL-typed."""
    problems: list[str] = []

    def n3(node: Node) -> str:
        return _n3(graph, node)

    for term in _tk_terms(graph):
        kinds = _kinds(graph, term)
        if len(kinds) != 1:
            names = ", ".join(sorted(n3(k) for k in kinds)) or "none"
            problems.append(f"{n3(term)} is declared as exactly one entity kind, not: {names}")
            continue
        (kind,) = kinds
        for axiom in CLASS_AXIOMS:
            for target in graph.objects(term, axiom):
                if kind != OWL.Class:
                    problems.append(f"{n3(term)} is not a class but has {n3(axiom)}")
                elif not _class_expression_ok(graph, target):
                    problems.append(f"{n3(term)} {n3(axiom)} undeclared class {n3(target)}")
        for target in graph.objects(term, RDFS.subPropertyOf):
            if kind not in _kinds(graph, target):
                problems.append(
                    f"{n3(term)} rdfs:subPropertyOf {n3(target)}, not declared {n3(kind)}"
                )
        for target in graph.objects(term, RDFS.domain):
            if not _class_expression_ok(graph, target):
                problems.append(f"{n3(term)} rdfs:domain undeclared class {n3(target)}")
        for target in graph.objects(term, RDFS.range):
            if kind == OWL.ObjectProperty and not _class_expression_ok(graph, target):
                problems.append(f"{n3(term)} rdfs:range undeclared class {n3(target)}")
            if kind == OWL.DatatypeProperty and not _is_datatype(graph, target):
                problems.append(f"{n3(term)} rdfs:range {n3(target)} is not an OWL 2 datatype")
        for target in graph.objects(term, OWL.inverseOf):
            if kind != OWL.ObjectProperty or OWL.ObjectProperty not in _kinds(graph, target):
                problems.append(f"{n3(term)} owl:inverseOf {n3(target)}: not object properties")

    for axiom in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        for members in graph.objects(axiom, OWL.members):
            for member in Collection(graph, members):
                if not _class_expression_ok(graph, member):
                    problems.append(f"owl:AllDisjointClasses member {n3(member)} is undeclared")
    return problems


def test_ontology_is_fully_typed(ontology: Graph) -> None:
    assert typing_problems(ontology) == []


def test_typing_check_can_fail(ontology: Graph) -> None:
    broken = _broken(
        ontology,
        """
        tk:Untyped <http://www.w3.org/2000/01/rdf-schema#subClassOf> tk:Region .
        tk:Loose a <http://www.w3.org/2002/07/owl#Class> ;
            <http://www.w3.org/2000/01/rdf-schema#subClassOf> tk:Nowhere .
        tk:mixed a <http://www.w3.org/2002/07/owl#DatatypeProperty> ;
            <http://www.w3.org/2000/01/rdf-schema#subPropertyOf> tk:partOf .
        """,
    )
    problems = typing_problems(broken)
    assert any(p.startswith("tk:Untyped is declared as exactly one") for p in problems)
    assert "tk:Loose rdfs:subClassOf undeclared class tk:Nowhere" in problems
    assert any(p.startswith("tk:mixed rdfs:subPropertyOf tk:partOf") for p in problems)


def datatype_map_problems(graph: Graph) -> list[str]:
    """``rdfs:range`` values that are datatypes outside the OWL 2 datatype map."""
    problems = []
    for prop, target in sorted(graph.subject_objects(RDFS.range)):
        if _class_expression_ok(graph, target) or _is_datatype(graph, target):
            continue
        problems.append(f"{_n3(graph, prop)} rdfs:range {_n3(graph, target)}")
    return problems


def test_ranges_stay_in_the_owl2_datatype_map(ontology: Graph) -> None:
    assert datatype_map_problems(ontology) == []


@pytest.mark.parametrize("datatype", ["date", "gYear"])
def test_datatype_map_check_can_fail(ontology: Graph, datatype: str) -> None:
    broken = _broken(
        ontology,
        f"tk:when a <{OWL.DatatypeProperty}> ; <{RDFS.range}> <{XSD[datatype]}> .\n"
        f"<{XSD[datatype]}> a <{RDFS.Datatype}> .",
    )
    assert datatype_map_problems(broken) == [f"tk:when rdfs:range xsd:{datatype}"]


def value_kind_problems(ontology: Graph, data: Iterable[tuple[Node, Node, Node]]) -> list[str]:
    """Triples of ``data`` giving a literal to an object property or an IRI to a data one."""
    problems = []
    for s, p, o in sorted(data):
        kinds = _kinds(ontology, p)
        literal = isinstance(o, Literal)
        if (OWL.ObjectProperty in kinds and literal) or (
            OWL.DatatypeProperty in kinds and not literal
        ):
            problems.append(f"{_n3(ontology, s)} {_n3(ontology, p)} {_n3(ontology, o)}")
    return problems


def test_ontology_uses_its_properties_by_kind(ontology: Graph) -> None:
    assert value_kind_problems(ontology, ontology) == []


def test_vocabularies_use_ontology_properties_by_kind(ontology: Graph, vocabularies: Graph) -> None:
    assert value_kind_problems(ontology, vocabularies) == []


def test_value_kind_check_can_fail(ontology: Graph) -> None:
    data = [(TKV["x"], TK.partOf, Literal("somewhere")), (TKV["x"], TK.value, TKV["y"])]
    assert len(value_kind_problems(ontology, data)) == 2


def test_vocabulary_concepts_are_typed_with_ontology_classes(
    ontology: Graph, vocabularies: Graph
) -> None:
    for scheme in vocabularies.subjects(RDF.type, SKOS.ConceptScheme):
        for concept in vocabularies.subjects(SKOS.inScheme, scheme):
            types = [t for t in vocabularies.objects(concept, RDF.type) if _is_tk(t)]
            assert types, f"{concept} has no tk: type"
            for type_ in types:
                assert (type_, RDF.type, OWL.Class) in ontology, f"{concept}: {type_} unknown"
                assert (type_, RDFS.subClassOf, SKOS.Concept) in ontology
            assert vocabularies.value(concept, SKOS.notation) is not None, concept


# --------------------------------------------------------------------------------------
# Documentation
# --------------------------------------------------------------------------------------


def test_every_class_has_a_documentation_section(ontology: Graph) -> None:
    assert unsectioned_classes(ontology) == [], "add these classes to docs.CLASS_SECTIONS"
    names = [name for names in CLASS_SECTIONS.values() for name in names]
    assert len(names) == len(set(names)), "a class is listed in two sections"
    stale = [n for n in names if (TK[n], RDF.type, OWL.Class) not in ontology]
    assert stale == [], "docs.CLASS_SECTIONS lists classes the ontology does not have"


def test_documentation_does_not_depend_on_parse_order(ontology: Graph, vocabularies: Graph) -> None:
    expected = render_markdown(ontology, vocabularies)
    lines = ontology.serialize(format="nt").splitlines()
    random.Random(20240601).shuffle(lines)
    shuffled = Graph().parse(data="\n".join(lines), format="nt")
    assert render_markdown(shuffled, vocabularies) == expected


def test_write_and_check_docs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "docs" / "ontology.md"
    assert not check_docs(target)
    assert main(["--check", str(target)]) == 1
    assert "does not exist" in capsys.readouterr().err

    write_docs(target)
    assert target.read_text(encoding="utf-8") == generate_markdown()
    assert check_docs(target)
    assert main(["--check", str(target)]) == 0
    assert list(target.parent.iterdir()) == [target], "temporary file left behind"

    target.write_text(generate_markdown() + "edited\n", encoding="utf-8")
    assert not check_docs(target)
    assert main(["--check", str(target)]) == 1
    message = capsys.readouterr().err
    assert f"{target} is out of date: run `python -m tieskg.ontology.docs -o {target}`" in message


def test_committed_docs_are_current() -> None:
    if not DOCS_FILE.exists() and not DOCS_FILE.parent.is_dir():
        pytest.skip(
            f"{DOCS_FILE.parent} does not exist: the tests run from an installed package "
            "or sdist without the repository checkout"
        )
    assert check_docs(DOCS_FILE), (
        "docs/ontology.md is out of date: run `python -m tieskg.ontology.docs -o docs/ontology.md`"
    )


def test_docs_mention_every_term_and_concept(ontology: Graph, vocabularies: Graph) -> None:
    text = render_markdown(ontology, vocabularies)
    for term in _tk_terms(ontology):
        assert f"</a>{_n3(ontology, term)}\n" in text, f"no heading for {term}"
    for concept in vocabularies.subjects(SKOS.inScheme, None):
        assert str(vocabularies.value(concept, SKOS.prefLabel)) in text
    assert str(ontology.value(URIRef("https://w3id.org/tieskg/ontology"), DCTERMS.title)) in text
