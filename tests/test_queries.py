"""The query library and its runner, checked against the founding case.

Every expectation below is read off the YAML records in
``loaders/data/shangyu_shanghai`` (the comments say which), not copied from query output.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.namespace import RDF, SKOS
from rdflib.plugins.sparql import evaluate as rdflib_evaluate
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.aggregates import Accumulator, Aggregator
from rdflib.plugins.sparql.evaluate import evalPart
from rdflib.plugins.sparql.evalutils import _eval
from rdflib.plugins.sparql.sparql import FrozenBindings, NotBoundError

from tieskg.errors import QueryError
from tieskg.graph.build import populate
from tieskg.graph.derive import derive
from tieskg.graph.store import OxigraphStore, SelectResult
from tieskg.graph.terms import to_rdflib
from tieskg.loaders import builtin_datasets, load_dataset
from tieskg.namespaces import DERIVED_GRAPH, TK, TKG, TKID, TKSYN, TKV, WGS
from tieskg.queries.runner import (
    bind,
    format_result,
    list_queries,
    load_query,
    query_variables,
    run_query,
    term_text,
)

SHINE = TKG["source/shine-2023-03-21"]
MCA = TKG["source/mca-division-codes"]
ZJDAILY = TKG["source/zjdaily-2013-11-05-shaoxing"]
NBS = TKG["source/nbs-sei-2018"]
YRD = TKG["source/yrd-outline-2019"]
GEONAMES = TKG["source/geonames"]
DIVISIONS = {TKG[f"source/{name}"] for name in (
    "mca-division-codes-2025", "gbt2260-changes", "geonames", "pypinyin-romanization",
    "yrd-outline-2019", "zj-greater-bay-area-plan-2018")}

SHANGYU = TKID["region/cn-330604"]
SHANGYU_CITY = TKID["region/cn-330682-1995"]
SHAOXING = TKID["region/cn-330600"]
ZHEJIANG = TKID["region/cn-330000"]
SHANGHAI = TKID["region/cn-310000"]
JIANGSU = TKID["region/cn-320000"]
ANHUI = TKID["region/cn-340000"]
CHINA = TKID["region/cn"]

ETDA = TKID["park/hangzhou-bay-shangyu-etda"]
EDA = TKID["park/zhangjiang-shangyu-cao-e-jiang-eda"]
RD_TIE = TKID["tie/shanghai-rd-shangyu-manufacturing"]
COOPERATION = TKID["tie/shangyu-shanghai-cooperation"]
TALENT = TKID["tie/shanghai-engineers-to-shangyu"]
INVESTMENT = TKID["tie/foreign-investment-into-shangyu"]
SUN = TKID["person/sun-haiming"]
WANG = TKID["person/wang-yanlin"]
SHANGYU_GOVERNMENT = TKID["org/shangyu-government"]
WEEK = TKID["event/shangyu-week-shanghai-2023"]
FORUM = TKID["event/shangyu-week-forum-2023-03-21"]
QUOTE_LINK = TKID["quote/sun-haiming-2023-03-21-link"]
QUOTE_MODELS = TKID["quote/sun-haiming-2023-03-21-models"]


def xsd(local: str) -> URIRef:
    """An XML Schema datatype (not via rdflib's XSD namespace, which pytest trips over)."""
    return URIRef(f"http://www.w3.org/2001/XMLSchema#{local}")


def sei(code: str) -> URIRef:
    return TKID[f"industry/sei-2018/{code}"]


def rows(store: OxigraphStore, name: str, **values: str) -> list[dict[str, object]]:
    """Run library query ``name`` with ``values``; rows as {variable: term or None}."""
    result = run_query(store, load_query(name), values)
    return [dict(zip(result.variables, row, strict=True)) for row in result.rows]


def text(term: object) -> str | None:
    return None if term is None else str(term)


def number(term: object) -> Decimal:
    assert isinstance(term, Literal)
    return Decimal(str(term))


# =====================================================================================
# The library as a whole
# =====================================================================================

#: Every library query has a test of its answer below; a new query needs one too.
TESTED = {
    "division-history", "economic-areas", "events", "find-by-name", "industry-involvement",
    "parks-in-region", "people-organizations", "quotations", "rd-manufacturing-ties",
    "region-contents", "region-economic-areas", "region-hierarchy", "region-statistics",
    "region-targeted-industries", "region-ties", "source-statements", "sources",
    "travel-times",
    "industry-crosswalk",  # tested in test_industry_classifications.py
    "regions-within-distance",  # tested in test_china_divisions.py
    "industry-chain-ties",  # tested in test_derive.py
}

#: A value of each type, to bind optional parameters in the projection test.
SAMPLE = {"iri": str(SHANGYU), "string": "Shangyu", "integer": "1", "decimal": "1.5",
          "date": "2020-01-01", "year": "2022", "boolean": "true"}


def test_list_queries_finds_the_library_sorted_by_name():
    queries = list_queries()
    names = [q.name for q in queries]
    assert len(queries) >= 12
    assert names == sorted(names)
    assert set(names) == TESTED
    assert all(q.path.name == f"{q.name}.rq" for q in queries)


@pytest.mark.parametrize("query", list_queries(), ids=lambda q: q.name)
def test_library_query_is_documented_and_declares_exactly_its_parameters(query):
    assert query.title and query.title != query.name
    assert len(query.description) > 40
    assert query.form == "SELECT"
    declared = {p.name for p in query.params}
    assert query_variables(query.sparql, sigil="$") == declared
    # parameters are written $name only; every other variable ?name
    assert not declared & query_variables(query.sparql, sigil="?")
    assert all(p.description for p in query.params)
    assert all(p.default is not None or p.optional for p in query.params)
    body = "\n".join(line for line in query.sparql.splitlines()
                     if not line.lstrip().startswith("#"))
    assert re.search(r"\bORDER\s+BY\b", body, re.IGNORECASE)
    assert not re.search(r"\bBOUND\s*\(\s*\$", body, re.IGNORECASE), \
        "BOUND($param) is decided before substitution in Oxigraph; use COALESCE"
    # it declares its own prefixes: it parses without the store's predeclared ones, in
    # Oxigraph and in rdflib's independent SPARQL parser
    ox.Store().query(query.sparql)
    prepareQuery(query.sparql)


@pytest.mark.parametrize("query", list_queries(), ids=lambda q: q.name)
def test_every_parameter_is_projected_and_bound(case_store, query):
    values = {p.name: p.default or SAMPLE[p.type] for p in query.params}
    result = run_query(case_store, query, values)
    bound = bind(query, values)
    for name, term in bound.items():
        assert name in result.variables
        column = result.variables.index(name)
        assert all(row[column] == term for row in result.rows)


#: Library queries with nothing to find in the founding case, and why.
EMPTY_IN_CASE = {
    "industry-chain-ties": "the article names no supply tie between two organizations",
}


@pytest.mark.parametrize("query", list_queries(), ids=lambda q: q.name)
def test_library_query_runs_with_its_defaults_and_is_deterministic(case_store, query):
    first = run_query(case_store, query, {})
    again = run_query(case_store, query, {})
    assert bool(first.rows) != (query.name in EMPTY_IN_CASE), (
        f"{query.name} finds nothing in the founding case" if not first.rows
        else f"{query.name} finds rows: drop it from EMPTY_IN_CASE")
    assert first == again


# =====================================================================================
# One test per library query, with the answer the YAML gives
# =====================================================================================

def test_region_targeted_industries(case_store):
    # regions.yaml: cn-330604 targets sei-2018:3, :2 and :4.1 (stated by the SHINE article)
    found = rows(case_store, "region-targeted-industries")
    assert [text(r["code"]) for r in found] == ["2", "3", "4.1"]
    assert [r["industry"] for r in found] == [sei("2"), sei("3"), sei("4.1")]
    assert {r["region"] for r in found} == {SHANGYU}
    assert {r["scheme"] for r in found} == {TKID["scheme/sei-2018"]}
    assert {text(r["scheme_notation"]) for r in found} == {"SEI-2018"}
    assert {r["g"] for r in found} == {SHINE}
    assert [(text(r["name_en"]), text(r["name_zh"])) for r in found] == [
        ("High-end equipment manufacturing", "高端装备制造产业"),
        ("New materials", "新材料产业"),
        ("Biomedicine", "生物医药产业"),
    ]
    assert [r["broader"] for r in found] == [None, None, sei("4")]
    assert rows(case_store, "region-targeted-industries", region=str(SHANGHAI)) == []


def test_parks_in_region_counts_parks_of_subdivisions(case_store):
    # parks.yaml: two parks located in 330604; only the ETDA has a level (national)
    for region in (SHANGYU, SHAOXING, ZHEJIANG, CHINA):
        found = rows(case_store, "parks-in-region", region=str(region))
        assert [r["park"] for r in found] == [ETDA, EDA]
        assert {r["located_in"] for r in found} == {SHANGYU}
        assert {r["region"] for r in found} == {region}
    etda, eda = found
    assert etda["level"] == TKV["park-level/national"]
    assert text(etda["level_en"]) == "national-level"
    assert eda["level"] is None
    assert text(etda["kinds"]) == "etdz"
    assert text(eda["kinds"]) == "economic-development-area"
    assert text(etda["name_en"]) == ("Hangzhou Bay Shangyu Economic and Technological "
                                     "Development Area")
    assert not any(text(r["focus_industries"]) for r in found)  # the YAML names none
    assert {r["g"] for r in found} == {SHINE}
    assert rows(case_store, "parks-in-region", region=str(SHANGHAI)) == []


def test_region_statistics(case_store):
    # statistics.yaml: four observations of 330604, all from the SHINE article
    found = {r["observation"]: r for r in rows(case_store, "region-statistics")}
    assert set(found) == {TKID[f"obs/{i}"] for i in (
        "shangyu-2022-industrial-output-cny", "shangyu-2022-industrial-output-usd",
        "shangyu-2022-industrial-output-growth", "shangyu-2023-manufacturers-over-20m")}
    cny = found[TKID["obs/shangyu-2022-industrial-output-cny"]]
    assert number(cny["value"]) == 217
    assert number(cny["multiplier"]) == 9
    assert cny["unit"] == TKV["unit/CNY"]
    assert cny["qualifier"] == TKV["value-qualifier/more-than"]
    assert cny["indicator"] == TKV["indicator/industrial-output-value"]
    assert cny["period"] == Literal("2022", datatype=xsd("gYear"))
    usd = found[TKID["obs/shangyu-2022-industrial-output-usd"]]
    assert (number(usd["value"]), usd["unit"], usd["qualifier"]) == (
        Decimal("31.6"), TKV["unit/USD"], TKV["value-qualifier/converted"])
    growth = found[TKID["obs/shangyu-2022-industrial-output-growth"]]
    assert (number(growth["value"]), growth["unit"], number(growth["multiplier"])) == (
        12, TKV["unit/percent"], 0)
    firms = found[TKID["obs/shangyu-2023-manufacturers-over-20m"]]
    assert number(firms["value"]) == 836
    assert firms["period"] == Literal("2023-03-21", datatype=xsd("date"))
    assert firms["population"] == TKID["population/manufacturing-income-over-20m-cny"]
    assert text(firms["population_en"]).startswith("Manufacturing companies")
    assert {r["g"] for r in found.values()} == {SHINE}
    assert {r["year"] for r in found.values()} == {None}

    in_2023 = rows(case_store, "region-statistics", year="2023")
    assert [r["observation"] for r in in_2023] == [
        TKID["obs/shangyu-2023-manufacturers-over-20m"]]
    output_2022 = rows(case_store, "region-statistics", year="2022",
                       indicator="tkv:indicator/industrial-output-value")
    assert sorted(number(r["value"]) for r in output_2022) == [Decimal("31.6"), 217]
    assert rows(case_store, "region-statistics", year="2021") == []
    assert rows(case_store, "region-statistics", region=str(SHANGHAI)) == []


def test_region_ties_in_both_directions(case_store):
    # ties.yaml: four ties of 330604; only the cooperation tie starts in Shangyu
    found = {r["tie"]: r for r in rows(case_store, "region-ties")}
    summary = {tie: (r["tie_type"], text(r["direction"]), r["partner"], r["status"])
               for tie, r in found.items()}
    assert summary == {
        RD_TIE: (TK.RDManufacturingTie, "incoming", SHANGHAI, TKV["tie-status/promoted"]),
        COOPERATION: (TK.CooperationTie, "outgoing", SHANGHAI, TKV["tie-status/active"]),
        TALENT: (TK.TalentFlow, "incoming", SHANGHAI, TKV["tie-status/historical"]),
        INVESTMENT: (TK.InvestmentTie, "incoming", None, TKV["tie-status/sought"]),
    }
    cooperation = found[COOPERATION]
    assert set(text(cooperation["industries"]).split()) == {"2", "3", "4.1"}
    assert text(cooperation["evidence"]) == str(QUOTE_LINK)
    assert text(cooperation["promoted_by"]) == str(SHANGYU_GOVERNMENT)
    assert text(found[RD_TIE]["evidence"]) == str(QUOTE_MODELS)
    assert text(found[TALENT]["talent_category"]) == "engineers"
    assert text(found[INVESTMENT]["investor_origin"]) == "foreign"
    assert found[INVESTMENT]["partner_en"] is None
    assert text(found[RD_TIE]["partner_en"]) == "Shanghai"
    assert text(found[RD_TIE]["partner_zh"]) == "上海市"
    assert {r["g"] for r in found.values()} == {SHINE}

    shanghai = {r["tie"]: text(r["direction"])
                for r in rows(case_store, "region-ties", region=str(SHANGHAI))}
    assert shanghai == {RD_TIE: "outgoing", COOPERATION: "incoming", TALENT: "outgoing"}
    assert rows(case_store, "region-ties", region=str(JIANGSU)) == []


def test_rd_manufacturing_ties_asserted_in_the_case(case_store):
    # ties.yaml: "R&D in Shanghai, manufacturing in Shangyu", promoted; no facilities, so
    # nothing is derived from the case alone
    (only,) = rows(case_store, "rd-manufacturing-ties")
    assert (only["tie"], only["rd_region"], only["manufacturing_region"]) == (
        RD_TIE, SHANGHAI, SHANGYU)
    assert only["status"] == TKV["tie-status/promoted"]
    assert text(only["basis"]) == "asserted"
    assert (only["rule"], only["evidence_count"]) == (None, None)
    assert text(only["rd_region_zh"]) == "上海市"
    assert text(only["manufacturing_region_en"]) == "Shangyu District"
    assert only["g"] == SHINE


@pytest.fixture(scope="module")
def store_with_facilities() -> OxigraphStore:
    """The case plus a made-up company with an R&D centre in Shanghai and a plant in a
    Shangyu park, so that the derivation rule has something to derive."""
    store = OxigraphStore.in_memory()
    populate(store, [load_dataset(Path(str(folder))) for folder in builtin_datasets()])
    graph = TKG["illustrative/test-queries-facilities"]
    acme, lab, plant = TKSYN["org/acme"], TKSYN["facility/acme-lab"], TKSYN["facility/acme-plant"]
    triples = [
        (acme, RDF.type, TK.Company), (acme, SKOS.prefLabel, Literal("Acme", lang="en")),
        (lab, RDF.type, TK.RDCentre), (lab, TK.operatedBy, acme), (lab, TK.locatedIn, SHANGHAI),
        (plant, RDF.type, TK.ManufacturingPlant), (plant, TK.operatedBy, acme),
        (plant, TK.inPark, ETDA),
    ]
    store.replace_graph(graph, [(s, p, o, graph) for s, p, o in triples])
    derive(store)
    return store


def test_rd_manufacturing_ties_include_derived_ties(store_with_facilities):
    found = rows(store_with_facilities, "rd-manufacturing-ties")
    assert [text(r["basis"]) for r in found] == ["asserted", "derived"]
    derived = found[1]
    assert (derived["rd_region"], derived["manufacturing_region"]) == (SHANGHAI, SHANGYU)
    assert derived["status"] == TKV["tie-status/derived"]
    assert text(derived["rule"]) == "rd-manufacturing-from-facilities"
    assert number(derived["evidence_count"]) == 1
    assert derived["g"] == DERIVED_GRAPH
    ties = rows(store_with_facilities, "region-ties")
    assert {r["g"] for r in ties if r["tie"] == derived["tie"]} == {DERIVED_GRAPH}


def test_rd_manufacturing_ties_of_one_manufacturing_region(store_with_facilities):
    into_shangyu = rows(store_with_facilities, "rd-manufacturing-ties",
                        manufacturing_region=str(SHANGYU))
    assert [(text(r["basis"]), r["manufacturing_region"]) for r in into_shangyu] == [
        ("asserted", SHANGYU), ("derived", SHANGYU)]
    assert rows(store_with_facilities, "rd-manufacturing-ties",
                manufacturing_region=str(SHANGHAI)) == []


def test_source_statements_by_graph_or_by_source(case_store):
    # china_divisions/economic_areas.yaml: the YRD outline's graph holds the source (type,
    # 2 titles, publisher, issued, description), the Yangtze River Delta (type, 2 names,
    # description, 4 members), its central area (type, 2 names, description, 27 members),
    # the State Council (type, 2 names, jurisdiction) and the graph's own description
    # (type, wasDerivedFrom, checksum, file): 6 + 8 + 31 + 4 + 4 = 53 triples
    by_graph = rows(case_store, "source-statements", source=str(YRD))
    assert len(by_graph) == 53
    assert {r["g"] for r in by_graph} == {YRD}
    delta = TKID["region/yangtze-river-delta"]
    assert {r["subject"] for r in by_graph} == {
        TKID["source/yrd-outline-2019"], delta, TKID["region/yangtze-river-delta-central-area"],
        TKID["org/state-council"], YRD}
    members = {r["object"] for r in by_graph
               if r["predicate"] == TK.memberRegion and r["subject"] == delta}
    assert members == {SHANGHAI, JIANGSU, ZHEJIANG, ANHUI}
    by_source = rows(case_store, "source-statements", source="tkid:source/yrd-outline-2019")
    assert [(r["subject"], r["predicate"], r["object"]) for r in by_source] == [
        (r["subject"], r["predicate"], r["object"]) for r in by_graph]
    # GeoNames gives points only: Shangyu's is the place "Shangyu" (geonameid 1817720)
    geonames = rows(case_store, "source-statements", source=str(GEONAMES))
    assert {r["predicate"] for r in geonames if r["subject"] != GEONAMES} >= {WGS.lat, WGS.long}
    assert [r["object"].toPython() for r in geonames
            if (r["subject"], r["predicate"]) == (SHANGYU, WGS.lat)] == [Decimal("30.01556")]
    shine = rows(case_store, "source-statements")
    assert {r["g"] for r in shine} == {SHINE}
    assert (SHANGYU, TK.targetsIndustry, sei("3")) in {
        (r["subject"], r["predicate"], r["object"]) for r in shine}
    assert rows(case_store, "source-statements", source="tkid:source/no-such-source") == []


def test_region_contents_with_validity(case_store):
    # regions.yaml: Shaoxing holds Shangyu District (valid from 2013) and Shangyu City
    # (valid through 2013); the china_divisions dataset adds Shaoxing's other divisions and
    # Shangyu City's start (code 330682 from 1995). Only the case's two are checked here.
    case = {SHANGYU, SHANGYU_CITY}
    found = {r["division"]: r for r in rows(case_store, "region-contents")}
    assert case <= set(found)
    district, city = found[SHANGYU], found[SHANGYU_CITY]
    assert district["valid_from"] == Literal("2013", datatype=xsd("gYear"))
    assert district["valid_through"] is None
    assert city["valid_through"] == Literal("2013", datatype=xsd("gYear"))
    assert city["valid_from"] == Literal("1995", datatype=xsd("gYear"))
    assert (district["level"], text(district["code"]), district["parent"]) == (
        TK.CountyLevelDivision, "330604", SHAOXING)
    assert district["division_type"] == TKV["division-type/district"]
    assert city["division_type"] == TKV["division-type/county-level-city"]
    assert (text(city["name_en"]), text(city["name_zh"])) == ("Shangyu City", "上虞市")

    def on(date: str) -> set[object]:
        return case & {r["division"] for r in rows(case_store, "region-contents", on=date)}

    assert on("2020-01-01") == {SHANGYU}
    assert on("2010-05-01") == {SHANGYU_CITY}
    assert on("2013-11-05") == {SHANGYU, SHANGYU_CITY}  # a year-valued validity spans 2013

    everything = {r["division"]: r for r in rows(case_store, "region-contents",
                                                  region=str(CHINA))}
    assert {SHANGHAI, JIANGSU, ZHEJIANG, ANHUI, SHAOXING, SHANGYU,
            SHANGYU_CITY} <= set(everything)
    assert everything[SHANGHAI]["level"] == TK.ProvinceLevelDivision
    assert everything[SHAOXING]["level"] == TK.PrefectureLevelDivision
    assert rows(case_store, "region-contents", region=str(SHANGYU)) == []


def test_region_hierarchy_up_to_the_country(case_store):
    # regions.yaml: 330604 -> 330600 -> 330000 -> cn
    found = rows(case_store, "region-hierarchy")
    assert [(int(r["distance"]), r["division"], text(r["code"])) for r in found] == [
        (0, SHANGYU, "330604"), (1, SHAOXING, "330600"), (2, ZHEJIANG, "330000"),
        (3, CHINA, None)]
    assert [r["level"] for r in found] == [
        TK.CountyLevelDivision, TK.PrefectureLevelDivision, TK.ProvinceLevelDivision,
        TK.Country]
    assert text(found[3]["name_zh"]) == "中华人民共和国"
    shanghai = rows(case_store, "region-hierarchy", region=str(SHANGHAI))
    assert [(int(r["distance"]), r["division"]) for r in shanghai] == [
        (0, SHANGHAI), (1, CHINA)]


def test_sources_with_provenance_and_size(case_store):
    # the case's sources.yaml: five sources, one graph each; the industry classifications'
    # sources.yaml: seven, among them the SEI 2018 classification (NBS) the case refers to
    found = {r["g"]: r for r in rows(case_store, "sources")}
    classifications = {TKG[f"source/{name}"]
                       for name in ("isic-rev4", "nace-rev2", "nace-rev2-isic-rev4",
                                    "gbt-4754-2017", "nbs-sei-2018", "gbt-4754-2017-isic-rev4",
                                    "sei-2018-gbt-4754-2017")}
    assert NBS in classifications
    assert set(found) == {SHINE, MCA, ZJDAILY} | DIVISIONS | classifications
    assert {g: r["source"] for g, r in found.items()} == {
        g: TKID[f"source/{str(g).rsplit('/', 1)[1]}"] for g in found}
    # triples per graph, counted from the YAML (see test_source_statements...):
    # YRD 53; NBS (industry
    # classifications' sources.yaml and sei_2018.yaml) 8 (source) + 5 (scheme) + 3 (NBS) +
    # 49 industries x 5 + 40 (broader of the second-level items) + 4 (graph) = 305;
    # Zhejiang Daily 8 (source) + 7 (Shangyu City) + 2 (valid_from, replaces of 330604)
    # + 3 (publisher) + 4 (graph) = 24
    assert {g: int(found[g]["triples"]) for g in (YRD, NBS, ZJDAILY)} == {
        YRD: 53, NBS: 305, ZJDAILY: 24}
    shine = found[SHINE]
    assert shine["source_type"] == TK.NewsArticle
    assert text(shine["url"]) == "https://www.shine.cn/biz/event/2303217554/"
    assert shine["publisher"] == TKID["org/shanghai-daily"]
    assert text(shine["publisher_en"]) == "Shanghai Daily (SHINE)"
    assert shine["issued"] == Literal("2023-03-21T21:55:00+08:00", datatype=xsd("dateTime"))
    assert text(shine["title_en"]).startswith("Shangyu bets on high-quality growth")
    assert shine["title_zh"] is None
    assert found[MCA]["source_type"] == TK.OfficialDocument
    assert text(found[MCA]["title_zh"]) == "中华人民共和国行政区划代码"
    assert found[GEONAMES]["source_type"] == TK.ReferenceWork
    assert found[GEONAMES]["publisher"] is None
    assert found[NBS]["issued"] == Literal("2018", datatype=xsd("gYear"))
    assert {g: text(r["source_file"]) for g, r in found.items()} == {
        g: "industry_classifications" if g in classifications
        else "china_divisions" if g in DIVISIONS else "shangyu_shanghai"
        for g in found}
    assert found[TKG["source/isic-rev4"]]["publisher"] == TKID["org/unsd"]


def test_events_with_speakers_and_quotations(case_store):
    # events.yaml: Shangyu Week (no date, no speaker) and its forum on 2023-03-21, where
    # Sun Haiming spoke the "one link in the production chain" quotation
    found = rows(case_store, "events")
    assert [r["event"] for r in found] == [WEEK, FORUM]
    week, forum = found
    assert (week["event_type"], week["start"], week["speaker"]) == (TK.Event, None, None)
    assert forum["event_type"] == TK.Forum
    assert forum["start"] == Literal("2023-03-21", datatype=xsd("date"))
    assert forum["part_of"] == WEEK
    assert {week["located_in"], forum["located_in"]} == {SHANGHAI}
    assert (forum["speaker"], text(forum["speaker_en"])) == (SUN, "Sun Haiming")
    assert text(forum["job_title_en"]) == "official with the Shangyu government"
    assert forum["quotation"] == QUOTE_LINK
    assert "one link in the production chain" in text(forum["quotation_en"])
    assert {r["g"] for r in found} == {SHINE}
    assert [r["event"] for r in rows(case_store, "events", region=str(SHANGHAI))] == [
        WEEK, FORUM]
    assert rows(case_store, "events", region=str(JIANGSU)) == []


def test_quotations_about_a_region(case_store):
    # events.yaml: two quotations of Sun Haiming about 330604 and 310000; only one is tied
    # to the forum; people: he is a member of the Shangyu government
    found = {r["quotation"]: r for r in rows(case_store, "quotations")}
    assert set(found) == {QUOTE_LINK, QUOTE_MODELS}
    assert found[QUOTE_LINK]["event"] == FORUM
    assert found[QUOTE_MODELS]["event"] is None
    assert "research and development in Shanghai" in text(found[QUOTE_MODELS]["text_en"])
    assert {r["speaker"] for r in found.values()} == {SUN}
    assert {r["organization"] for r in found.values()} == {SHANGYU_GOVERNMENT}
    assert {text(r["organization_en"]) for r in found.values()} == {"Shangyu government"}
    assert {r["g"] for r in found.values()} == {SHINE}
    assert len(rows(case_store, "quotations", region=str(SHANGHAI))) == 2
    assert rows(case_store, "quotations", region=str(ZHEJIANG)) == []


def test_travel_times(case_store):
    # ties.yaml: "just a two-hour drive" from Shangyu to Shanghai
    (drive,) = rows(case_store, "travel-times")
    assert (drive["from"], drive["to"], drive["mode"]) == (
        SHANGYU, SHANGHAI, TKV["travel-mode/road"])
    assert number(drive["hours"]) == 2
    assert (text(drive["from_zh"]), text(drive["to_en"])) == ("上虞区", "Shanghai")
    assert drive["g"] == SHINE
    assert drive["region"] is None
    assert len(rows(case_store, "travel-times", region=str(SHANGHAI))) == 1
    assert len(rows(case_store, "travel-times", region=str(SHANGYU))) == 1
    assert rows(case_store, "travel-times", region=str(JIANGSU)) == []


def test_people_and_their_organizations(case_store):
    # organizations.yaml: Sun Haiming is a member of the Shangyu government (jurisdiction
    # 330604); Wang Yanlin belongs to none but wrote the SHINE article (sources.yaml)
    found = rows(case_store, "people-organizations")
    assert [r["person"] for r in found] == [SUN, WANG]
    sun, wang = found
    assert (sun["organization"], sun["organization_type"], sun["jurisdiction"]) == (
        SHANGYU_GOVERNMENT, TK.GovernmentBody, SHANGYU)
    assert sun["authored"] is None
    assert (wang["organization"], wang["authored"]) == (None, TKID["source/shine-2023-03-21"])
    assert text(wang["job_title_en"]) == "author and editor of the article (SHINE)"
    assert {r["g"] for r in found} == {SHINE}


def test_economic_areas_and_members(case_store):
    # regions.yaml: Hangzhou Bay area = {330604} (SHINE); china_divisions/economic_areas.yaml:
    # the Hangzhou Bay area's six cities (Zhejiang's plan), the Yangtze River Delta = the
    # four province-level divisions and its 27-city central area (the YRD outline)
    found = [(r["area"], r["member"], text(r["member_code"]), r["g"])
             for r in rows(case_store, "economic-areas")]
    bay, delta = TKID["region/hangzhou-bay-area"], TKID["region/yangtze-river-delta"]
    plan = TKG["source/zj-greater-bay-area-plan-2018"]
    assert [row for row in found if row[0] in (bay, delta)] == [
        (bay, TKID["region/cn-330100"], "330100", plan),
        (bay, TKID["region/cn-330200"], "330200", plan),
        (bay, TKID["region/cn-330400"], "330400", plan),
        (bay, TKID["region/cn-330500"], "330500", plan),
        (bay, SHAOXING, "330600", plan),
        (bay, SHANGYU, "330604", SHINE),
        (bay, TKID["region/cn-330900"], "330900", plan),
        (delta, SHANGHAI, "310000", YRD), (delta, JIANGSU, "320000", YRD),
        (delta, ZHEJIANG, "330000", YRD), (delta, ANHUI, "340000", YRD),
    ]
    central = [row for row in found if row[0] == TKID["region/yangtze-river-delta-central-area"]]
    assert len(central) == 27 and {row[3] for row in central} == {YRD}


def test_region_economic_areas_through_parents(case_store):
    # Shangyu is itself in the Hangzhou Bay area, and in the YRD through Zhejiang
    # (SHINE), and through Shaoxing (Zhejiang's plan); in the YRD through Zhejiang and in
    # its central area through Shaoxing
    found = [(r["area"], r["via"], r["direct"].toPython())
             for r in rows(case_store, "region-economic-areas")]
    assert found == [(TKID["region/hangzhou-bay-area"], SHAOXING, False),
                     (TKID["region/hangzhou-bay-area"], SHANGYU, True),
                     (TKID["region/yangtze-river-delta"], ZHEJIANG, False),
                     (TKID["region/yangtze-river-delta-central-area"], SHAOXING, False)]
    shanghai = rows(case_store, "region-economic-areas", region=str(SHANGHAI))
    assert [(r["area"], r["via"]) for r in shanghai] == [
        (TKID["region/yangtze-river-delta"], SHANGHAI),
        (TKID["region/yangtze-river-delta-central-area"], SHANGHAI)]


def test_division_history(case_store):
    # regions.yaml: Shangyu District replaces Shangyu City (Zhejiang Daily, 2013); the
    # division changes (china_divisions) say the same, and that Shangyu City (330682) replaced
    # the 上虞市 coded 339015 in 1995
    changes = TKG["source/gbt2260-changes"]
    both = rows(case_store, "division-history", region=str(SHANGYU))
    assert len(rows(case_store, "division-history")) > 3000  # all of China's since 1980
    assert [(r["division"], r["replaced"], r["g"]) for r in both] == [
        (SHANGYU, SHANGYU_CITY, changes), (SHANGYU, SHANGYU_CITY, ZJDAILY)]
    only = both[1]
    assert only["valid_from"] == Literal("2013", datatype=xsd("gYear"))
    assert only["replaced_valid_through"] == Literal("2013", datatype=xsd("gYear"))
    assert (only["division_type"], only["replaced_type"]) == (
        TKV["division-type/district"], TKV["division-type/county-level-city"])
    assert (text(only["replaced_en"]), text(only["replaced_zh"])) == ("Shangyu City", "上虞市")
    assert [(r["division"], r["replaced"]) for r in rows(
        case_store, "division-history", region=str(SHANGYU_CITY))] == [
        (SHANGYU, SHANGYU_CITY), (SHANGYU, SHANGYU_CITY),
        (SHANGYU_CITY, TKID["region/cn-339015-1992"])]
    assert len(rows(case_store, "division-history", region=str(SHANGYU))) == 2
    assert rows(case_store, "division-history", region=str(CHINA)) == []


def test_find_by_name(case_store):
    # every name or title in the case's YAML containing "shangyu" in any case, and the
    # former divisions named 上虞 in china_divisions (their pinyin altLabel "Shangyu ...")
    former = {TKID[f"region/{rid}"] for rid in (
        "cn-332322-to-1982", "cn-332321-1982", "cn-330622-1983", "cn-339015-1992")}
    expected = {SHANGYU, SHANGYU_CITY, ETDA, EDA, SHANGYU_GOVERNMENT, RD_TIE, COOPERATION,
                TALENT, INVESTMENT, TKID["travel-time/shangyu-shanghai-drive"], WEEK, FORUM,
                TKID["source/shine-2023-03-21"],
                TKID["source/zjdaily-2013-11-05-shaoxing"]} | former
    found = rows(case_store, "find-by-name")
    assert {r["thing"] for r in found} == expected
    assert {text(r["label"]) for r in found if r["thing"] == SHANGYU} == {
        "Shangyu", "Shangyu District", "Shangyu Qu"}  # altLabel (SHINE), prefLabel (MCA),
    # pinyin altLabel (china_divisions); the tone-marked "Shàngyú Qū" does not match
    assert {r["thing"] for r in rows(case_store, "find-by-name", text="SHANGYU")} == expected
    chinese = {r["thing"] for r in rows(case_store, "find-by-name", text="上虞")}
    assert chinese == {SHANGYU, SHANGYU_CITY,
                       TKID["source/zjdaily-2013-11-05-shaoxing"]} | former
    apostrophe = {r["thing"] for r in rows(case_store, "find-by-name", text="Shangyu's")}
    assert apostrophe == {COOPERATION}


def test_industry_involvement_follows_narrower_industries(case_store):
    # new materials (sei-2018:3): targeted by 330604 and the industry of the cooperation tie
    found = {(r["subject"], r["relation"], r["matched"])
             for r in rows(case_store, "industry-involvement")}
    assert found == {(SHANGYU, TK.targetsIndustry, sei("3")),
                     (COOPERATION, TK.industry, sei("3"))}
    # bio-industry (sei-2018:4) is reached through biomedicine (4.1, broader 4)
    bio = {(r["subject"], r["matched"])
           for r in rows(case_store, "industry-involvement", industry="tkid:industry/sei-2018/4")}
    assert bio == {(SHANGYU, sei("4.1")), (COOPERATION, sei("4.1"))}
    assert rows(case_store, "industry-involvement", industry=str(sei("1"))) == []


# =====================================================================================
# Same answer as rdflib: every query, on the founding case and on synthetic data
# =====================================================================================
#
# Oxigraph plans a query before it substitutes the parameters, and some library queries
# are written to steer that plan (see the "Performance" comments in the .rq files). A
# rewrite that is faster but answers differently is a bug, so every query runs on both
# Oxigraph (through the runner) and rdflib's independent SPARQL engine, on the same
# quads with the same bound parameters (rdflib's initBindings), and the answers must be
# identical: the same variables, the same rows as multisets, in the same order as far
# as the ORDER BY decides it.

GENERATOR = Path(__file__).resolve().parent.parent / "benchmarks" / "generate.py"
SYNTHETIC_TRIPLES = 5_000
SYNTHETIC_SEED = 3

#: Parameter values for the founding case, by parameter name, beyond each default.
CASE_VALUES: dict[str, list[str]] = {
    "region": [str(SHANGYU), str(SHANGHAI), str(SHAOXING), str(CHINA), str(SHANGYU_CITY),
               str(JIANGSU)],
    "industry": [str(sei("4")), str(sei("3")), str(sei("1"))],
    "text": ["上虞", "SHANGYU", "Shangyu's", "an"],
    "source": [str(YRD), "tkid:source/yrd-outline-2019", str(ZJDAILY)],
    "year": ["2022", "2023", "2021"],
    "indicator": [str(TKV["indicator/industrial-output-value"])],
    "on": ["2010-05-01", "2013-11-05", "2020-01-01"],
    "km": ["30", "150"],
}


#: Queries rdflib answers slowly over all of China's divisions (15-80 s a run, against
#: milliseconds on Oxigraph): on the founding case they are compared with their defaults
#: and with all test values together only.
RDFLIB_SLOW = {"regions-within-distance", "division-history"}


def parameter_sets(query, values: dict[str, list[str]]) -> list[dict[str, str]]:
    """The defaults, each value of each parameter on its own, and all of them together.

    A required parameter (no default) always gets the first of its values."""
    missing = [p.name for p in query.params if p.required and not values.get(p.name)]
    assert not missing, f"{query.name}: give test values for required {missing}"
    base = {p.name: values[p.name][0] for p in query.params if p.required}
    sets = [base]
    for param in query.params:
        sets += [{**base, param.name: value} for value in values.get(param.name, [])]
    together = {p.name: values[p.name][0] for p in query.params if values.get(p.name)}
    if len(together) > 1:
        sets.append(together)
    return sets


def rdflib_dataset(store: OxigraphStore) -> Dataset:
    """The store's quads, graph by graph, in an rdflib Dataset whose default graph is the
    union of the named graphs (as the runner queries Oxigraph)."""
    dataset = Dataset(default_union=True)
    for quad in store.quads():
        dataset.graph(to_rdflib(quad.graph_name)).add(
            (to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return dataset


def _aggregate_join(ctx, agg):
    """rdflib's ``evalAggregateJoin`` without its phantom row: rdflib yields one empty
    solution when a GROUP BY has no group at all (RDFLib/rdflib#3382, fix pending in
    #3498); SPARQL gives no solution (one only for an aggregate without GROUP BY). The
    phantom row matters here: joined with an OPTIONAL it picks up unrelated bindings."""
    aggregators: dict = {}
    if agg.p.expr is None:  # the one implicit group, which exists even when empty
        aggregators[True] = Aggregator(aggregations=agg.A)
    for row in evalPart(ctx, agg.p):
        key = True if agg.p.expr is None else tuple(_eval(e, row, False) for e in agg.p.expr)
        if key not in aggregators:
            aggregators[key] = Aggregator(aggregations=agg.A)
        aggregators[key].update(row)
    for aggregator in aggregators.values():
        yield FrozenBindings(ctx, aggregator.get_bindings())


def _use_row(self, row) -> bool:
    """rdflib's DISTINCT aggregates evaluate their expression once unguarded and raise on an
    unbound variable (RDFLib/rdflib#882) where the aggregate itself skips it; let the row
    through so that the aggregate skips it, as it does without DISTINCT."""
    try:
        return _ORIGINAL_USE_ROW(self, row)
    except NotBoundError:
        return True


_ORIGINAL_USE_ROW = Accumulator.use_row


@pytest.fixture
def rdflib_sparql(monkeypatch: pytest.MonkeyPatch) -> None:
    """rdflib's SPARQL engine with the two aggregate bugs above worked around."""
    monkeypatch.setattr(rdflib_evaluate, "evalAggregateJoin", _aggregate_join)
    monkeypatch.setattr(Accumulator, "use_row", _use_row)


_GROUP_CONCAT = re.compile(
    r"GROUP_CONCAT\s*\(((?:[^()]|\([^()]*\))*)\)\s*AS\s*[?$](\w+)", re.IGNORECASE)
_SEPARATOR = re.compile(r"separator\s*=\s*\"([^\"]*)\"", re.IGNORECASE)
_ORDER_BY = re.compile(r"\bORDER\s+BY\b(.*?)(?:\bLIMIT\b|\bOFFSET\b|$)",
                       re.IGNORECASE | re.DOTALL)
_ORDER_ITEM = re.compile(r"\w*\s*\((?:[^()]|\([^()]*\))*\)|[?$]\w+")


def group_concat_columns(sparql: str) -> dict[str, str]:
    """The variables bound to a GROUP_CONCAT, with the separator of each."""
    columns = {}
    for body, name in _GROUP_CONCAT.findall(sparql):
        separator = _SEPARATOR.search(body)
        columns[name] = separator.group(1) if separator else " "
    return columns


def order_keys(sparql: str) -> list[tuple[str, str]]:
    """The sort keys of the outermost ORDER BY: ("term", variable) for ``?x``, ``ASC(?x)``
    and ``DESC(?x)``, ("str", variable) for ``STR(?x)``."""
    body = "\n".join(line for line in sparql.splitlines() if not line.lstrip().startswith("#"))
    clauses = _ORDER_BY.findall(body)
    assert clauses, "no ORDER BY"
    keys = []
    for item in _ORDER_ITEM.findall(clauses[-1]):
        inner = re.fullmatch(r"(?:ASC|DESC)\s*\((.*)\)", item.strip(), re.IGNORECASE | re.DOTALL)
        item = inner.group(1).strip() if inner else item.strip()
        if match := re.fullmatch(r"[?$](\w+)", item):
            keys.append(("term", match.group(1)))
        elif match := re.fullmatch(r"STR\s*\(\s*[?$](\w+)\s*\)", item, re.IGNORECASE):
            keys.append(("str", match.group(1)))
        else:
            raise AssertionError(f"ORDER BY {item}: teach order_keys this kind of key")
    return keys


def comparable(sparql: str, variables: tuple[str, ...], rows) -> list[tuple]:
    """The answer as (sort key, multiset of rows) runs, in the order the engine gave.

    Rows with equal sort keys may come in any order, so only the sequence of runs of
    equal keys is ordered. GROUP_CONCAT values are compared as sorted lists of their
    parts: SPARQL leaves the order of the concatenated values to the engine. For a group
    whose values are all unbound, Oxigraph leaves the GROUP_CONCAT unbound (an error in
    the aggregate) and rdflib gives the empty string (it skips unbound values); both
    mean "nothing", so both count as the empty list.
    """
    concat = {variables.index(name): separator
              for name, separator in group_concat_columns(sparql).items()}

    def normal(row) -> tuple:
        return tuple(
            ("GROUP_CONCAT", tuple(sorted(str(term).split(concat[i])))
             if term is not None and str(term) else ())
            if i in concat else term
            for i, term in enumerate(row))

    keys = []
    for kind, name in order_keys(sparql):
        if name not in variables:
            break  # a key that is not projected: order only by the keys before it
        keys.append((kind, variables.index(name)))
    runs: list[tuple[tuple, list]] = []
    for row in rows:
        key = tuple(row[i] if kind == "term" or row[i] is None else str(row[i])
                    for kind, i in keys)
        if runs and runs[-1][0] == key:
            runs[-1][1].append(normal(row))
        else:
            runs.append((key, [normal(row)]))
    return [(key, Counter(run)) for key, run in runs]


def assert_same_answer(store: OxigraphStore, dataset: Dataset, query,
                       values: dict[str, str]) -> int:
    """Run ``query`` with ``values`` on Oxigraph and on rdflib; the answers must agree.

    Returns the number of rows."""
    ours = run_query(store, query, values)
    theirs = dataset.query(query.sparql, initBindings=bind(query, values))
    assert tuple(str(v) for v in theirs.vars) == ours.variables
    expected = comparable(query.sparql, ours.variables, [tuple(row) for row in theirs])
    found = comparable(query.sparql, ours.variables, ours.rows)
    assert found == expected, f"{query.name} {values}: Oxigraph and rdflib differ"
    return len(ours.rows)


@pytest.fixture(scope="module")
def case_dataset(case_store) -> Dataset:
    return rdflib_dataset(case_store)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[OxigraphStore, Dataset, dict]:
    """A small synthetic graph from benchmarks/generate.py, built as ``tieskg build`` does
    (ontology, vocabularies, derived ties), in Oxigraph and in rdflib, with parameter
    values that exist in it: the county with the most facilities, ties and observations
    and the divisions above it, the industry with the most narrower industries, parts of
    the county's names, the source, and a year and an indicator of its observations."""
    spec = importlib.util.spec_from_file_location("tieskg_benchmark_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    path = tmp_path_factory.mktemp("synthetic") / "synthetic.nq"
    generator.generate(path, SYNTHETIC_TRIPLES, SYNTHETIC_SEED, log=None)
    store = OxigraphStore.in_memory()
    populate(store, [], rdf_files=[path])

    def one(sparql: str) -> list:
        found = store.select(sparql).rows
        assert found, sparql
        return list(found[0])

    county, county_en, county_zh = one("""
        SELECT ?county ?en ?zh WHERE {
          VALUES ?link { tk:locatedIn tk:fromRegion tk:toRegion tk:refArea }
          ?thing ?link ?county . ?county a tk:CountyLevelDivision ;
            skos:prefLabel ?en, ?zh FILTER (lang(?en) = "en" && lang(?zh) = "zh") }
        GROUP BY ?county ?en ?zh ORDER BY DESC(COUNT(?thing)) ?county LIMIT 1""")
    above = [row[1] for row in store.select(
        "SELECT $county ?up WHERE { $county tk:parentDivision+ ?up } ORDER BY ?up",
        bindings={"county": county}).rows]
    (industry,) = one("""SELECT ?top WHERE { ?industry skos:broader ?top }
        GROUP BY ?top ORDER BY DESC(COUNT(?industry)) ?top LIMIT 1""")
    graph, source = one("SELECT ?g ?source WHERE { GRAPH ?g { ?g a tk:SourceGraph ; "
                        "prov:wasDerivedFrom ?source } }")
    (_, period, indicator), *_ = store.select("""
        SELECT $county ?period ?indicator WHERE {
          ?o tk:refArea $county ; tk:refPeriod ?period ; tk:indicator ?indicator }
        ORDER BY ?period ?indicator""", bindings={"county": county}).rows
    values = {
        "region": [str(county)] + [str(up) for up in above],
        "industry": [str(industry)],
        "text": [str(county_en)[:4].upper(), str(county_zh)[:1]],
        "source": [str(graph), str(source)],
        "year": [str(period)[:4]],
        "indicator": [str(indicator)],
        "on": ["2020-01-01"],
    }
    return store, rdflib_dataset(store), values


#: Queries whose data the synthetic graph has; each must find rows there.
SYNTHETIC_FINDS = {"find-by-name", "industry-chain-ties", "industry-involvement",
                   "parks-in-region",
                   "rd-manufacturing-ties", "region-contents", "region-hierarchy",
                   "region-statistics", "region-ties", "source-statements", "sources"}
#: rdflib's SPARQL engine calls its own deprecated Dataset methods.
RDFLIB_DEPRECATIONS = "ignore:Dataset\\..* is deprecated:DeprecationWarning"


@pytest.mark.filterwarnings(RDFLIB_DEPRECATIONS)
@pytest.mark.parametrize("query", list_queries(), ids=lambda q: q.name)
def test_same_answer_as_rdflib_on_the_founding_case(case_store, case_dataset, rdflib_sparql,
                                                     query):
    sets = parameter_sets(query, CASE_VALUES)
    if query.name in RDFLIB_SLOW:
        sets = [sets[0], sets[-1]]
    counts = [assert_same_answer(case_store, case_dataset, query, values) for values in sets]
    assert bool(counts[0]) != (query.name in EMPTY_IN_CASE), f"{query.name}: {counts[0]} rows"


@pytest.mark.filterwarnings(RDFLIB_DEPRECATIONS)
@pytest.mark.parametrize("query", list_queries(), ids=lambda q: q.name)
def test_same_answer_as_rdflib_on_synthetic_data(synthetic, rdflib_sparql, query):
    store, dataset, values = synthetic
    counts = [assert_same_answer(store, dataset, query, given)
              for given in parameter_sets(query, values)]
    if query.name in SYNTHETIC_FINDS:
        assert max(counts) > 0, f"{query.name} finds nothing in the synthetic graph"


def test_the_comparison_sees_differences():
    sparql = """SELECT ?a ?b (GROUP_CONCAT(?c; separator=",") AS ?cs) WHERE {}
                GROUP BY ?a ?b ORDER BY DESC(?a) STR(?b)"""
    variables = ("a", "b", "cs")
    x, y, z = URIRef("urn:x"), URIRef("urn:y"), URIRef("urn:z")
    answer = [(x, Literal("1"), Literal("p,q")), (x, Literal("2"), None), (y, None, None)]

    def same(rows) -> bool:
        return comparable(sparql, variables, rows) == comparable(sparql, variables, answer)

    assert same(answer)
    assert same([(x, Literal("1"), Literal("q,p")), (x, Literal("2"), Literal("")),
                 (y, None, None)])  # concatenation order, unbound vs empty GROUP_CONCAT
    assert not same(answer[::-1])  # order by the keys
    assert not same(answer[:2])  # a row missing
    assert not same([*answer, answer[0]])  # a row twice
    assert not same([(x, Literal("1"), Literal("p")), *answer[1:]])  # a value missing
    assert not same([(z, *answer[0][1:]), *answer[1:]])  # a term changed
    # rows with equal sort keys may come in either order
    ties = "SELECT ?a ?b WHERE {} ORDER BY ?a"
    rows = [(x, Literal("1")), (x, Literal("2"))]
    assert comparable(ties, ("a", "b"), rows) == comparable(ties, ("a", "b"), rows[::-1])
    assert order_keys(sparql) == [("term", "a"), ("str", "b")]
    assert group_concat_columns(sparql) == {"cs": ","}


# =====================================================================================
# Injection: values are bound, never spliced into the query text
# =====================================================================================

HOSTILE_IRI = "https://x/> } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o"
HOSTILE_STRING = '" } UNION { ?s ?p ?o } #'


class RecordingStore(OxigraphStore):
    """The real Oxigraph store, noting every query text and bindings it is given."""

    def __init__(self) -> None:
        super().__init__(ox.Store())
        self.calls: list[tuple[str, dict]] = []

    def select(self, sparql, *, bindings=None):
        self.calls.append((sparql, dict(bindings or {})))
        return super().select(sparql, bindings=bindings)


@pytest.fixture(scope="module")
def recording_store() -> RecordingStore:
    store = RecordingStore()
    populate(store, [load_dataset(Path(str(folder))) for folder in builtin_datasets()])
    return store


@pytest.mark.parametrize("value", [HOSTILE_IRI, "tkid:x> } ; DROP ALL ; #", "<urn:a> <urn:b>",
                                   'urn:a"', "not an iri", "urn:a\nurn:b", ""])
def test_hostile_iri_is_rejected_and_nothing_runs(recording_store, value):
    query = load_query("region-ties")
    before_text, before_file = query.sparql, Path(query.path).read_bytes()
    counts = recording_store.graph_counts()
    calls = len(recording_store.calls)
    with pytest.raises(QueryError, match=r"'region' \(iri\): expected an absolute IRI"):
        run_query(recording_store, query, {"region": value})
    assert len(recording_store.calls) == calls  # rejected before reaching the store
    assert query.sparql == before_text
    assert Path(query.path).read_bytes() == before_file
    assert recording_store.graph_counts() == counts


@pytest.mark.parametrize("value", [HOSTILE_STRING, 'Shangyu") || true || ("',
                                   "x')) } UNION { ?thing ?p ?label } #"])
def test_hostile_string_is_bound_as_a_literal(recording_store, value):
    query = load_query("find-by-name")
    before_text, before_file = query.sparql, Path(query.path).read_bytes()
    counts = recording_store.graph_counts()
    result = run_query(recording_store, query, {"text": value})
    assert result.rows == []  # no name contains it: no rows, let alone extra ones
    sent, bindings = recording_store.calls[-1]
    assert sent == before_text == before_file.decode("utf-8")  # byte-identical text
    assert bindings == {"text": Literal(value)}
    assert query.sparql == before_text
    assert Path(query.path).read_bytes() == before_file
    assert recording_store.graph_counts() == counts


def test_a_bound_iri_reaches_the_store_as_a_term(recording_store):
    query = load_query("region-targeted-industries")
    run_query(recording_store, query, {"region": "tkid:region/cn-330604"})
    sent, bindings = recording_store.calls[-1]
    assert sent == query.sparql
    assert bindings == {"region": SHANGYU}


# =====================================================================================
# The runner: headers, loading, binding, forms
# =====================================================================================

def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


TYPED = """\
# title: Typed parameters
# description: One parameter of each type,
#   with a continued description.
# param: thing iri -- a required IRI
# param: label string = a "quoted" label -- a string with a default
# param: count integer = 3 -- a count
#   continued on the next line
# param: share decimal? -- optional decimal
# param: day date? -- optional date
# param: year year? -- optional year
# param: flag boolean? -- optional flag
# A free comment: ignored.
SELECT $thing $label $count $share $day $year $flag WHERE {}
"""


def test_header_grammar(tmp_path):
    query = load_query(str(write(tmp_path, "typed.rq", TYPED)))
    assert query.name == "typed"
    assert query.title == "Typed parameters"
    assert query.description == "One parameter of each type, with a continued description."
    assert [(p.name, p.type, p.default, p.optional) for p in query.params] == [
        ("thing", "iri", None, False), ("label", "string", 'a "quoted" label', False),
        ("count", "integer", "3", False), ("share", "decimal", None, True),
        ("day", "date", None, True), ("year", "year", None, True),
        ("flag", "boolean", None, True)]
    assert query.params[2].description == "a count continued on the next line"
    assert query.params[0].required and not query.params[1].required


def test_file_without_header_is_titled_by_its_file_name(tmp_path, case_store):
    path = write(tmp_path, "plain.rq", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n")
    query = load_query(str(path))
    assert (query.name, query.title, query.description, query.params) == (
        "plain", "plain.rq", "", ())
    assert int(run_query(case_store, query, {}).rows[0][0]) > 0
    with pytest.raises(QueryError, match="has no parameter 'x'"):
        bind(query, {"x": "1"})


@pytest.mark.parametrize(("header", "message"), [
    ("# param: x colour -- what", "unknown type 'colour'"),
    ("# param: x iri", "bad param line"),
    ("# param: x iri? = urn:a -- what", "cannot have a default"),
    ("# param: x integer = many -- what", "default of parameter 'x'"),
    ("# param: x iri -- a\n# param: x iri -- b", "declared twice"),
    ("# param: y iri -- not used", "never uses \\$y"),
    ("# title: a\n# title: b", "more than one '# title:'"),
])
def test_bad_headers_are_reported(tmp_path, header, message):
    path = write(tmp_path, "bad.rq", f"{header}\nSELECT $x WHERE {{}}\n")
    with pytest.raises(QueryError, match=message):
        load_query(str(path))


def test_unknown_names_suggest_close_matches(tmp_path):
    with pytest.raises(QueryError, match="did you mean region-targeted-industries"):
        load_query("region-targeted-industry")
    with pytest.raises(QueryError, match=r"known queries: .*region-ties"):
        load_query("zzzz")
    with pytest.raises(QueryError, match="no query file"):
        load_query(str(tmp_path / "missing.rq"))


def test_bind_converts_each_type(tmp_path):
    query = load_query(str(write(tmp_path, "typed.rq", TYPED)))
    bound = bind(query, {"thing": "tkid:region/cn-330604", "share": "31.6", "day": "2023-03-21",
                         "year": "2022", "flag": "TRUE", "count": "+07"})
    assert bound == {
        "thing": SHANGYU, "label": Literal('a "quoted" label'),
        "count": Literal("7", datatype=xsd("integer")),
        "share": Literal("31.6", datatype=xsd("decimal")),
        "day": Literal("2023-03-21", datatype=xsd("date")),
        "year": Literal("2022", datatype=xsd("gYear")),
        "flag": Literal("true", datatype=xsd("boolean"))}
    assert bind(query, {"thing": "<urn:isbn:123>"})["thing"] == URIRef("urn:isbn:123")
    assert bind(query, {"thing": str(SHANGYU)})["thing"] == SHANGYU
    assert set(bind(query, {"thing": "urn:a"})) == {"thing", "label", "count"}


@pytest.mark.parametrize(("values", "message"), [
    ({}, "needs parameter 'thing' \\(iri"),
    ({"thing": "urn:a", "colour": "red"}, "has no parameter 'colour'"),
    ({"thing": "urn:a", "count": "3.5"}, "'count' \\(integer\\): expected a whole number"),
    ({"thing": "urn:a", "share": "1e3"}, "'share' \\(decimal\\): expected a decimal"),
    ({"thing": "urn:a", "day": "2023-02-30"}, "'day' \\(date\\): expected a date"),
    ({"thing": "urn:a", "day": "21/03/2023"}, "'day' \\(date\\)"),
    ({"thing": "urn:a", "year": "22"}, "'year' \\(year\\): expected a four-digit year"),
    ({"thing": "urn:a", "flag": "yes"}, "'flag' \\(boolean\\): expected true or false"),
    ({"thing": "region/x"}, "'thing' \\(iri\\)"),
    ({"thing": "1a:region/x"}, "'thing' \\(iri\\)"),
    ({"thing": "https://x/a b"}, "'thing' \\(iri\\)"),
])
def test_bind_rejects_bad_values(tmp_path, values, message):
    query = load_query(str(write(tmp_path, "typed.rq", TYPED)))
    with pytest.raises(QueryError, match=message):
        bind(query, values)


@pytest.mark.parametrize("sparql", [
    "ASK { ?s ?p ?o }",
    "PREFIX select: <urn:x#>\nCONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "# SELECT\nDESCRIBE <urn:x>",
])
def test_only_select_queries_run(tmp_path, case_store, sparql):
    query = load_query(str(write(tmp_path, "other.rq", sparql)))
    with pytest.raises(QueryError, match="SELECT queries only"):
        run_query(case_store, query, {})


def test_parameter_outside_the_projection_is_a_query_error(tmp_path, case_store):
    path = write(tmp_path, "hidden.rq", "# param: x iri = urn:a -- x\n"
                                        "SELECT ?s WHERE { ?s ?p $x }\n")
    with pytest.raises(QueryError, match="cannot run"):
        run_query(case_store, load_query(str(path)), {})


# =====================================================================================
# Output formats
# =====================================================================================

SAMPLE_RESULT = SelectResult(
    ("iri", "text", "typed", "blank"),
    [
        (SHANGYU, Literal("上虞区", lang="zh"), Literal("217", datatype=xsd("decimal")),
         BNode("b0")),
        (None, Literal('say "hi",\nthen\tgo'), Literal("plain"), None),
    ],
)


def test_csv_follows_the_w3c_csv_results_format():
    assert format_result(SAMPLE_RESULT, "csv") == (
        "iri,text,typed,blank\r\n"
        "https://w3id.org/tieskg/id/region/cn-330604,上虞区,217,_:b0\r\n"
        ',"say ""hi"",\nthen\tgo",plain,\r\n')


def test_tsv_follows_the_w3c_tsv_results_format():
    assert format_result(SAMPLE_RESULT, "tsv") == (
        "?iri\t?text\t?typed\t?blank\n"
        "<https://w3id.org/tieskg/id/region/cn-330604>\t\"上虞区\"@zh\t"
        "\"217\"^^<http://www.w3.org/2001/XMLSchema#decimal>\t_:b0\n"
        "\t\"say \\\"hi\\\",\\nthen\\tgo\"\t\"plain\"\t\n")


def test_json_follows_the_w3c_json_results_format():
    document = json.loads(format_result(SAMPLE_RESULT, "json"))
    assert document == {
        "head": {"vars": ["iri", "text", "typed", "blank"]},
        "results": {"bindings": [
            {"iri": {"type": "uri", "value": str(SHANGYU)},
             "text": {"type": "literal", "value": "上虞区", "xml:lang": "zh"},
             "typed": {"type": "literal", "value": "217",
                       "datatype": "http://www.w3.org/2001/XMLSchema#decimal"},
             "blank": {"type": "bnode", "value": "b0"}},
            {"text": {"type": "literal", "value": 'say "hi",\nthen\tgo'},
             "typed": {"type": "literal", "value": "plain"}},
        ]},
    }


def test_formats_of_a_real_result(case_store):
    result = run_query(case_store, load_query("region-targeted-industries"), {})
    document = json.loads(format_result(result, "json"))
    assert document["head"]["vars"] == list(result.variables)
    assert len(document["results"]["bindings"]) == len(result.rows) == 3
    for binding in document["results"]["bindings"]:
        assert set(binding) <= set(result.variables)
        for value in binding.values():
            assert value["type"] in ("uri", "literal", "bnode")
            assert isinstance(value["value"], str)
            assert not ("xml:lang" in value and "datatype" in value)
            assert set(value) <= {"type", "value", "xml:lang", "datatype"}
    csv_lines = format_result(result, "csv").split("\r\n")
    assert csv_lines[0] == ",".join(result.variables)
    assert len(csv_lines) == 1 + 3 + 1  # header, rows, empty after the final CRLF
    tsv_lines = format_result(result, "tsv").splitlines()
    assert tsv_lines[0].split("\t") == [f"?{v}" for v in result.variables]
    assert '"新材料产业"@zh' in tsv_lines[2].split("\t")
    with pytest.raises(QueryError, match="unknown result format 'xml'"):
        format_result(result, "xml")


def test_term_text_is_short_and_readable():
    assert term_text(SHANGYU) == "tkid:region/cn-330604"
    assert term_text(TK.Region) == "tk:Region"
    assert term_text(URIRef("urn:x:y")) == "urn:x:y"
    assert term_text(Literal("上虞区", lang="zh")) == "上虞区@zh"
    assert term_text(Literal("2022", datatype=xsd("gYear"))) == "2022"
    assert term_text(BNode("b1")) == "_:b1"
    assert term_text(None) == ""
