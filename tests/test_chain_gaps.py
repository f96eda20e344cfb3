"""Chain-gap analysis on a small hand-made store with known answers, and the template
loader's checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS

from tieskg.errors import InputError
from tieskg.graph.analysis.chain_gaps import (
    MISSING,
    PRESENT_IN_PARTNER,
    PRESENT_LOCALLY,
    chain_gaps,
    read_evidence,
)
from tieskg.graph.analysis.industries import IndustryTree
from tieskg.graph.build import populate
from tieskg.graph.store import OxigraphStore
from tieskg.loaders.chains import load_chain, template_paths
from tieskg.namespaces import TK, TKG, TKID

IND = "https://w3id.org/tieskg/id/industry/test/"
SYN = "https://w3id.org/tieskg/synthetic/test/"
G = TKG["illustrative/test-chains"]
REGION, DISTRICT, PARTNER, ELSEWHERE = (TKID[f"region/{r}"] for r in
                                        ("cn-990000", "cn-990100", "cn-880000", "cn-770000"))

TEMPLATE = """chain:
  id: test-chain
  name: {zh: 测试链, en: Test chain}
  segments:
    - id: raw
      name: {en: Raw}
      industries: ["test:1"]
      judgement: project
    - id: parts
      name: {en: Parts}
      industries: ["test:2"]
      source: "A cited handbook, p. 12"
    - id: assembly
      name: {en: Assembly}
      industries: ["test:3"]
      judgement: project
    - id: service
      name: {en: Service}
      industries: ["test:4"]
      judgement: project
"""


def _iri(local: str) -> URIRef:
    return URIRef(SYN + local)


@pytest.fixture(scope="module")
def store() -> OxigraphStore:
    """REGION has a company in test:1 and, in its DISTRICT, a plant in test:2.1 (below
    test:2); PARTNER has a park focused on test:3 and a company in test:1; ELSEWHERE has
    a company in test:4, which counts for no one."""
    result = OxigraphStore.in_memory()
    populate(result, [])
    result.replace_graph(G, _quads())
    return result


def _thing(local, cls, prop, industry, where, name):
    iri = _iri(local)
    return [(iri, RDF.type, cls, G), (iri, prop, URIRef(industry), G),
            (iri, TK.locatedIn, where, G), (iri, SKOS.prefLabel, Literal(name, lang="en"), G)]


def _quads() -> list:
    quads = []
    for code, broader in (("1", None), ("2", None), ("2.1", "2"), ("3", None), ("4", None)):
        iri = URIRef(IND + code)
        quads += [(iri, RDF.type, TK.Industry, G), (iri, SKOS.notation, Literal(code), G)]
        if broader:
            quads.append((iri, SKOS.broader, URIRef(IND + broader), G))
    for region in (REGION, PARTNER, ELSEWHERE):
        quads.append((region, RDF.type, TK.ProvinceLevelDivision, G))
    quads += [(DISTRICT, RDF.type, TK.CountyLevelDivision, G),
              (DISTRICT, TK.parentDivision, REGION, G)]

    def thing(local, cls, prop, industry, where, name):
        return _thing(local, cls, prop, IND + industry, where, name)

    quads += thing("firm", TK.Company, TK.industry, "1", REGION, "Raw Co.")
    quads += thing("plant", TK.ManufacturingPlant, TK.industry, "2.1", DISTRICT, "Parts plant")
    quads += thing("park", TK.IndustrialPark, TK.focusIndustry, "3", PARTNER, "Assembly park")
    quads += thing("partner-firm", TK.Company, TK.industry, "1", PARTNER, "Partner raw Co.")
    quads += thing("far", TK.Company, TK.industry, "4", ELSEWHERE, "Far Co.")
    # a company in the partner's park, with no tk:locatedIn of its own
    firm = _iri("in-park")
    quads += [(firm, RDF.type, TK.Company, G), (firm, TK.industry, URIRef(IND + "3"), G),
              (firm, TK.inPark, _iri("park"), G)]
    return quads


@pytest.fixture()
def template(tmp_path) -> Path:
    path = tmp_path / "test-chain.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    return path


def test_present_locally_in_partner_or_missing(store, template):
    tree = IndustryTree.from_store(store)
    chain = load_chain(template, tree.by_key)
    gaps = chain_gaps(chain, tree.by_key, read_evidence(store, REGION),
                      read_evidence(store, PARTNER), ancestors=tree.ancestors)
    assert [(g.segment.id, g.status) for g in gaps] == [
        ("raw", PRESENT_LOCALLY), ("parts", PRESENT_LOCALLY),
        ("assembly", PRESENT_IN_PARTNER), ("service", MISSING)]
    evidence = {g.segment.id: ([e.thing for e in g.local], [e.thing for e in g.partner])
                for g in gaps}
    # the plant is in a district of the region, its industry below the segment's
    assert evidence["parts"] == ([_iri("plant")], [])
    assert evidence["raw"] == ([_iri("firm")], [_iri("partner-firm")])
    # the park, and the company in the park through tk:inPark
    assert evidence["assembly"][0] == []
    assert sorted(evidence["assembly"][1]) == sorted([_iri("park"), _iri("in-park")])
    assert evidence["service"] == ([], [])
    kinds = {e.thing: (e.kind, e.type) for g in gaps for e in g.local + g.partner}
    assert kinds[_iri("plant")] == ("facility", "ManufacturingPlant")
    assert kinds[_iri("park")] == ("park", "IndustrialPark")
    assert kinds[_iri("firm")] == ("organization", "Company")
    assert gaps[1].segment.provenance == "A cited handbook, p. 12"
    assert gaps[0].segment.provenance == "project's own judgement"


def test_without_a_partner_what_the_region_lacks_is_missing(store, template):
    tree = IndustryTree.from_store(store)
    gaps = chain_gaps(load_chain(template), tree.by_key, read_evidence(store, REGION),
                      ancestors=tree.ancestors)
    assert [g.status for g in gaps] == [PRESENT_LOCALLY, PRESENT_LOCALLY, MISSING, MISSING]


def test_the_district_alone_has_only_its_plant(store, template):
    tree = IndustryTree.from_store(store)
    gaps = chain_gaps(load_chain(template), tree.by_key, read_evidence(store, DISTRICT),
                      ancestors=tree.ancestors)
    assert [g.status for g in gaps] == [MISSING, PRESENT_LOCALLY, MISSING, MISSING]


def test_without_the_industry_hierarchy_a_narrower_industry_does_not_match(store, template):
    tree = IndustryTree.from_store(store)
    gaps = chain_gaps(load_chain(template), tree.by_key, read_evidence(store, REGION))
    assert gaps[1].status == MISSING


def test_industries_of_another_classification_count_through_the_crosswalk(template):
    """Three firms in REGION coded in another classification: other:x is a close match of
    test:4, other:y is narrower than test:3 (test:3 narrowMatch other:y), other:z is only
    related to test:2 and so counts for nothing."""
    other = "https://w3id.org/tieskg/id/industry/other/"
    quads = _quads()
    for code in "xyz":
        quads.append((URIRef(other + code), RDF.type, TK.Industry, G))
    quads += [(URIRef(other + "x"), SKOS.closeMatch, URIRef(IND + "4"), G),
              (URIRef(IND + "3"), SKOS.narrowMatch, URIRef(other + "y"), G),
              (URIRef(other + "z"), SKOS.relatedMatch, URIRef(IND + "2"), G)]
    quads += _thing("x-firm", TK.Company, TK.industry, other + "x", REGION, "X Co.")
    quads += _thing("y-firm", TK.Company, TK.industry, other + "y", REGION, "Y Co.")
    quads += _thing("z-firm", TK.Company, TK.industry, other + "z", REGION, "Z Co.")
    crosswalked = OxigraphStore.in_memory()
    populate(crosswalked, [])
    crosswalked.replace_graph(G, quads)
    tree = IndustryTree.from_store(crosswalked)
    gaps = chain_gaps(load_chain(template), tree.by_key, read_evidence(crosswalked, REGION),
                      ancestors=tree.counted_for)
    local = {g.segment.id: {str(e.thing).rsplit("/", 1)[1] for e in g.local} for g in gaps}
    assert local == {"raw": {"firm"}, "parts": {"plant"}, "assembly": {"y-firm"},
                     "service": {"x-firm"}}
    assert [g.status for g in gaps] == [PRESENT_LOCALLY] * 4
    # within one classification the crosswalk plays no part
    assert tree.ancestors(URIRef(other + "x")) == [URIRef(other + "x")]


# -- the template loader ---------------------------------------------------------------

def _bad(tmp_path, old: str, new: str) -> Path:
    path = tmp_path / "bad.yaml"
    assert old in TEMPLATE
    path.write_text(TEMPLATE.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "message", "line"), [
    ('industries: ["test:2"]', 'industries: ["test:2.2"]',
     "segment 'parts': unknown industry code 'test:2.2'; candidates: test:2.1, test:2", 11),
    ('industries: ["test:2"]', 'industries: ["nope:2"]',
     "unknown industry code 'nope:2' (no scheme 'nope'; loaded schemes: test)", 11),
    ('industries: ["test:2"]', 'industries: ["2"]', "industry '2' lacks its scheme", 11),
    ('industries: ["test:2"]', "industries: []", "must be a non-empty list", 11),
    ('      source: "A cited handbook, p. 12"\n', "",
     "segment 'parts': give either `source:` (a citation) or `judgement: project`", 9),
    ('      industries: ["test:1"]\n      judgement: project\n',
     '      industries: ["test:1"]\n      judgement: project\n      source: x\n',
     "segment 'raw': give either `source:`", 5),
    ("judgement: project", "judgement: mine", "`judgement:` can only be `project`", 8),
    ("id: parts", "id: raw", "segment 'raw': the id is used twice", 9),
    ("id: parts", "id: Parts!", "segment 2: `id:` must be lower-case letters", 9),
    ("name: {en: Parts}", "name: Parts", "segment 'parts': `name:` needs zh and/or en", 10),
    ("chain:", "chains:", "one top-level key, `chain:`", 1),
    ("name: {en: Parts}", "name: {en: Parts, rods and bars}",
     "segment 'parts''s name: unknown key(s) rods and bars; known: en, zh (quote a name", 10),
    ("judgement: project", "judgment: project", "segment 'raw': unknown key(s) judgment", 8),
])
def test_bad_templates_name_file_line_segment_and_reason(store, tmp_path, old, new, message,
                                                         line):
    path = _bad(tmp_path, old, new)
    with pytest.raises(InputError) as caught:
        load_chain(path, IndustryTree.from_store(store).by_key)
    assert message in str(caught.value)
    assert caught.value.path == path
    assert caught.value.line == line


def test_shipped_templates_use_loaded_codes_and_say_where_they_come_from(case_store):
    known = IndustryTree.from_store(case_store).by_key
    paths = template_paths()
    assert {"biomedicine", "new-materials", "high-end-equipment"} <= set(paths)
    for path in paths.values():
        chain = load_chain(path, known)
        assert len(chain.segments) >= 4, path
        assert all(s.source or s.provenance == "project's own judgement"
                   for s in chain.segments)


def test_the_picture_without_a_cjk_font_says_what_to_install(monkeypatch, template, tmp_path):
    from tieskg.graph.analysis import gap_picture

    monkeypatch.setattr(gap_picture, "CJK_FONT_PATHS", (tmp_path / "no-such-font.ttc",))
    chain = load_chain(template)
    with pytest.raises(gap_picture.FontMissing, match="apt-get install -y fonts-wqy-microhei"):
        gap_picture.draw_gap_matrix(chain, chain_gaps(chain, {}, []), "A", None,
                                    tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_the_picture_without_a_partner(template, tmp_path):
    from matplotlib import image

    from tieskg.graph.analysis.gap_picture import draw_gap_matrix

    chain = load_chain(template)
    draw_gap_matrix(chain, chain_gaps(chain, {}, []), "上虞区 Shangyu", None, tmp_path / "x.png")
    height, width, _ = image.imread(str(tmp_path / "x.png")).shape
    assert height > 300 and width > 500
