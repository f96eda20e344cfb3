"""The YAML dataset loader: the founding case maps to RDF, and bad input names file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from tieskg.errors import InputError
from tieskg.loaders import builtin_datasets, load_dataset
from tieskg.namespaces import PROV, TK, TKG, TKID, TKSYN

SHINE = TKG["source/shine-2023-03-21"]
MCA = TKG["source/mca-division-codes"]
SHANGYU = TKID["region/cn-330604"]

SOURCES = """\
sources:
  - id: s1
    type: news-article
    title: {en: A made-up article}
"""


@pytest.fixture(scope="module")
def case():
    return load_dataset(Path(str(builtin_datasets()[0])))


def triples_in(case, graph):
    return {(s, p, o) for s, p, o, _ in case.quads[graph]}


def test_every_quad_sits_in_a_source_graph_that_describes_itself(case):
    assert set(case.quads) == {
        TKG[f"source/{name}"]
        for name in ("shine-2023-03-21", "mca-division-codes", "zjdaily-2013-11-05-shaoxing")
    }
    for graph, quads in case.quads.items():
        assert all(q[3] == graph for q in quads)
        triples = {(s, p, o) for s, p, o, _ in quads}
        assert (graph, RDF.type, TK.SourceGraph) in triples
        source = TKID[f"source/{str(graph).rsplit('/', 1)[1]}"]
        assert (graph, PROV.wasDerivedFrom, source) in triples
        assert any(s == source and p == RDF.type for s, p, _ in triples)


def test_facts_go_to_the_graph_of_their_source(case):
    mca, shine = triples_in(case, MCA), triples_in(case, SHINE)
    assert (SHANGYU, TK.divisionCode, Literal("330604")) in mca
    assert (SHANGYU, TK.parentDivision, TKID["region/cn-330600"]) in mca
    assert (SHANGYU, SKOS.prefLabel, Literal("上虞区", lang="zh")) in mca
    # per-field sources: targets come from the article, not from the code list
    target = (SHANGYU, TK.targetsIndustry, TKID["industry/sei-2018/4.1"])
    assert target in shine and target not in mca
    # the 2013 replacement comes from the Zhejiang Daily report
    zjdaily = triples_in(case, TKG["source/zjdaily-2013-11-05-shaoxing"])
    replaced = (SHANGYU, DCTERMS.replaces, TKID["region/cn-330682-1995"])
    assert replaced in zjdaily and replaced not in mca


def test_the_case_refers_to_the_sei_classification_of_the_classifications_dataset(case):
    """SEI 2018 lives in the industry classifications dataset; the case names its IRIs."""
    quads = list(case.all_quads())
    assert not {s for s, p, o, _ in quads if p == RDF.type
                and o in (TK.Industry, TK.IndustryClassification)}
    targets = {o for s, p, o, _ in quads if p == TK.targetsIndustry and s == SHANGYU}
    assert targets == {TKID[f"industry/sei-2018/{code}"] for code in ("2", "3", "4.1")}
    classifications = load_dataset(Path(str(builtin_datasets()[1])))
    defined = {s for s, p, o, _ in classifications.all_quads()
               if p == RDF.type and o == TK.Industry}
    used = {o for _, p, o, _ in quads if p in (TK.targetsIndustry, TK.industry)}
    assert used and used <= defined


def test_observations_keep_unit_scale_and_qualifier(case):
    shine = triples_in(case, SHINE)
    obs = TKID["obs/shangyu-2022-industrial-output-cny"]
    assert (obs, TK.value, Literal("217", datatype=XSD.decimal)) in shine
    assert (obs, TK.unitMultiplier, Literal(9)) in shine
    assert (obs, TK.refPeriod, Literal("2022", datatype=XSD.gYear)) in shine
    assert (obs, TK.valueQualifier,
            URIRef("https://w3id.org/tieskg/vocab/value-qualifier/more-than")) in shine


def test_loading_twice_gives_identical_quads(case):
    again = load_dataset(Path(str(builtin_datasets()[0])))
    assert again.quads == case.quads


def test_illustrative_dataset_lives_in_its_own_namespace_and_graph(tmp_path):
    (tmp_path / "a.yaml").write_text(SOURCES + textwrap.dedent("""\
        dataset: {illustrative: true}
        regions:
          - {id: r1, type: economic-area, name: {en: Nowhere}, source: s1}
    """), encoding="utf-8")
    loaded = load_dataset(tmp_path)
    assert list(loaded.quads) == [TKG["illustrative/s1"]]
    subjects = {q[0] for q in loaded.quads[TKG["illustrative/s1"]]}
    assert TKSYN["region/r1"] in subjects
    assert not any(str(s).startswith(str(TKID)) for s in subjects)


BAD_INPUTS = {
    "yaml syntax": ("regions:\n\t- id: r1\n", 2, "YAML syntax error"),
    "unknown region code": (
        "regions:\n  - id: r1\n    type: county-level\n    name: {en: X}\n"
        "    parent: \"999999\"\n    source: s1\n", 5, "unknown reference '999999'"),
    "wrong type for a number": (
        "observations:\n  - id: o1\n    area: r0\n    period: 2022\n"
        "    indicator: enterprise-count\n    value: lots\n    unit: enterprise\n"
        "    multiplier: 0\n    source: s1\n", 6, "expected a number"),
    "unknown field": ("regions:\n  - id: r1\n    type: country\n    name: {en: X}\n"
                      "    colour: red\n    source: s1\n", 5, "unknown field 'colour'"),
    "unknown vocabulary value": (
        "regions:\n  - id: r1\n    type: country\n    name: {en: X}\n"
        "    division_type: kingdom\n    source: s1\n", 5, "unknown value 'kingdom'"),
    "unknown record type": ("regions:\n  - id: r1\n    type: planet\n    name: {en: X}\n"
                            "    source: s1\n", 3, "unknown type 'planet'"),
    "unknown source": ("regions:\n  - id: r1\n    type: country\n    name: {en: X}\n"
                       "    source: nowhere\n", 5, "unknown source 'nowhere'"),
    "missing source": ("regions:\n  - id: r1\n    type: country\n    name: {en: X}\n",
                       2, "missing 'source'"),
    "duplicate id": ("regions:\n  - {id: r1, type: country, name: {en: X}, source: s1}\n"
                     "  - {id: r1, type: country, name: {en: Y}, source: s1}\n",
                     3, "duplicate id 'r1'"),
    "duplicate key": ("regions:\n  - id: r1\n    id: r2\n", 3, "duplicate key 'id'"),
    "unquoted decimal code": ("industries:\n  - scheme: s\n    code: 1.10\n", 3,
                              "must be a quoted string"),
    "bad date": ("events:\n  - id: e1\n    type: forum\n    name: {en: X}\n"
                 "    start: 2023-13-45\n    source: s1\n", 5, "expected a year"),
    "missing required field": ("parks:\n  - id: p1\n    name: {en: X}\n    source: s1\n",
                               2, "missing required field 'located_in'"),
    "unknown kind": ("planets:\n  - id: p1\n", 1, "unknown record kind 'planets'"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_names_file_line_and_reason(tmp_path, name):
    text, line, reason = BAD_INPUTS[name]
    (tmp_path / "0-sources.yaml").write_text(
        SOURCES + "regions:\n  - {id: r0, type: country, name: {en: Z}, source: s1}\n",
        encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_dataset(tmp_path)
    error = caught.value
    assert error.path == bad
    assert error.line == line, str(error)
    assert reason in error.reason
    assert str(error).startswith(f"{bad}:{line}: ")


def test_ambiguous_region_code_lists_candidates(tmp_path):
    (tmp_path / "a.yaml").write_text(SOURCES + textwrap.dedent("""\
        regions:
          - {id: old, type: county-level, code: "330682", name: {en: A}, source: s1}
          - {id: new, type: county-level, code: "330682", name: {en: B}, source: s1}
          - {id: area, type: economic-area, name: {en: C}, members: ["330682"], source: s1}
    """), encoding="utf-8")
    with pytest.raises(InputError, match=r"ambiguous \(ids: new, old\)"):
        load_dataset(tmp_path)


def test_empty_folder_is_an_error(tmp_path):
    with pytest.raises(InputError, match=r"no \*\.yaml files"):
        load_dataset(tmp_path)
