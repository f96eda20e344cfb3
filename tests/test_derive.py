"""Derivation rules on small hand-made graphs whose answers are counted by hand.

Four synthetic companies in three counties and three industries; five supply ties:

========  ==========  ==========  ================  =======================
tie       supplier    customer    product industry  counties
========  ==========  ==========  ================  =======================
t1        a (ind-a)   b (ind-b)   -                 county-a -> county-b
t2        c (ind-a)   b (ind-b)   -                 county-c -> county-b
t3        a (ind-a)   d (ind-c)   ind-b             county-a -> county-c
t4        b (ind-b)   d (ind-c)   -                 county-b -> county-c
t5        c (ind-a)   a (ind-a)   -                 county-c -> county-a
========  ==========  ==========  ================  =======================

Industry roll-up: ind-a -> ind-b from t1 and t2 (2); ind-b -> ind-c from t3 (the
product industry wins over the supplier's ind-a) and t4 (2); t5 is within ind-a (left out).
Region roll-up: one tie per county pair, each with count 1 (five pairs). Company a does
R&D in county-a and manufactures in county-b: one R&D-manufacturing tie.
"""

from __future__ import annotations

from importlib.resources import files

import pyoxigraph as ox
import pytest

from tieskg.graph.derive import derive
from tieskg.graph.store import OxigraphStore
from tieskg.namespaces import DERIVED_GRAPH, ONTOLOGY_GRAPH, TKSYN
from tieskg.queries.runner import load_query, run_query

SUPPLY = """
@prefix tk: <https://w3id.org/tieskg/ontology#> .
@prefix tksyn: <https://w3id.org/tieskg/synthetic/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

tksyn:ind-a a tk:Industry ; skos:prefLabel "Industry A"@en , "甲产业"@zh .
tksyn:ind-b a tk:Industry ; skos:prefLabel "Industry B"@en , "乙产业"@zh .
tksyn:ind-c a tk:Industry ; skos:prefLabel "Industry C"@en .
tksyn:county-a skos:prefLabel "County A"@en , "甲县"@zh .
tksyn:county-b skos:prefLabel "County B"@en , "乙县"@zh .
tksyn:county-c skos:prefLabel "County C"@en .
tksyn:rd-a a tk:RDCentre ; tk:operatedBy tksyn:a ; tk:locatedIn tksyn:county-a .
tksyn:plant-a a tk:ManufacturingPlant ; tk:operatedBy tksyn:a ; tk:locatedIn tksyn:county-b .

tksyn:a a tk:Company ; tk:industry tksyn:ind-a ; tk:locatedIn tksyn:county-a .
tksyn:b a tk:Company ; tk:industry tksyn:ind-b ; tk:locatedIn tksyn:county-b .
tksyn:c a tk:Company ; tk:industry tksyn:ind-a ; tk:locatedIn tksyn:county-c .
tksyn:d a tk:Company ; tk:industry tksyn:ind-c ; tk:locatedIn tksyn:county-c .

tksyn:t1 a tk:SupplyTie ; tk:supplier tksyn:a ; tk:customer tksyn:b ;
    tk:fromRegion tksyn:county-a ; tk:toRegion tksyn:county-b .
tksyn:t2 a tk:SupplyTie ; tk:supplier tksyn:c ; tk:customer tksyn:b ;
    tk:fromRegion tksyn:county-c ; tk:toRegion tksyn:county-b .
tksyn:t3 a tk:SupplyTie ; tk:supplier tksyn:a ; tk:customer tksyn:d ;
    tk:productIndustry tksyn:ind-b ;
    tk:fromRegion tksyn:county-a ; tk:toRegion tksyn:county-c .
tksyn:t4 a tk:SupplyTie ; tk:supplier tksyn:b ; tk:customer tksyn:d ;
    tk:fromRegion tksyn:county-b ; tk:toRegion tksyn:county-c .
tksyn:t5 a tk:SupplyTie ; tk:supplier tksyn:c ; tk:customer tksyn:a ;
    tk:fromRegion tksyn:county-c ; tk:toRegion tksyn:county-a .
"""


@pytest.fixture(scope="module")
def derived_store() -> OxigraphStore:
    store = OxigraphStore.in_memory()
    store.load(SUPPLY.encode(), format=ox.RdfFormat.TURTLE, graph=TKSYN["graph/test"])
    ontology = (files("tieskg.ontology") / "tieskg.ttl").read_bytes()
    store.load(ontology, format=ox.RdfFormat.TURTLE, graph=ONTOLOGY_GRAPH)
    derive(store)
    return store


def _ties(store: OxigraphStore, kind: str, source: str, target: str) -> dict:
    rows = store.select(f"""
        SELECT ?tie ?from ?to ?n ?rule ?g WHERE {{ GRAPH ?g {{
          ?tie a tk:{kind} ; tk:{source} ?from ; tk:{target} ?to ; tk:evidenceCount ?n ;
               tk:derivationRule ?rule ; tk:tieStatus tkv:tie-status\\/derived }} }}""").rows
    return {(str(f).rsplit("/", 1)[1], str(t).rsplit("/", 1)[1]): (tie, int(n), str(r), g)
            for tie, f, t, n, r, g in rows}


def _evidence(store: OxigraphStore, tie) -> set[str]:
    rows = store.select("SELECT $tie ?e WHERE { $tie tk:evidence ?e }", bindings={"tie": tie}).rows
    return {str(e).rsplit("/", 1)[1] for (_tie, e) in rows}


def test_supply_ties_roll_up_to_industry_pairs_with_counts_and_evidence(derived_store):
    ties = _ties(derived_store, "IndustrySupplyTie", "fromIndustry", "toIndustry")
    assert {pair: value[1] for pair, value in ties.items()} == {
        ("ind-a", "ind-b"): 2, ("ind-b", "ind-c"): 2}
    assert _evidence(derived_store, ties["ind-a", "ind-b"][0]) == {"t1", "t2"}
    assert _evidence(derived_store, ties["ind-b", "ind-c"][0]) == {"t3", "t4"}
    assert {value[2] for value in ties.values()} == {"supply-industry-rollup"}
    assert {value[3] for value in ties.values()} == {DERIVED_GRAPH}


def test_industry_ties_are_labelled_in_english_and_where_both_names_exist_in_chinese(
        derived_store):
    ties = _ties(derived_store, "IndustrySupplyTie", "fromIndustry", "toIndustry")
    labels = {}
    for pair, (tie, *_rest) in ties.items():
        rows = derived_store.select("SELECT $tie ?l WHERE { $tie skos:prefLabel ?l }",
                                    bindings={"tie": tie}).rows
        labels[pair] = {(label.language, str(label)) for (_tie, label) in rows}
    assert labels["ind-a", "ind-b"] == {
        ("en", "Supply from Industry A to Industry B (derived)"),
        ("zh", "甲产业向乙产业供应（推导）")}
    assert labels["ind-b", "ind-c"] == {("en", "Supply from Industry B to Industry C (derived)")}


def test_supply_ties_roll_up_to_region_pairs(derived_store):
    ties = _ties(derived_store, "SupplyTie", "fromRegion", "toRegion")
    assert {pair: value[1] for pair, value in ties.items()} == {
        ("county-a", "county-b"): 1, ("county-c", "county-b"): 1, ("county-a", "county-c"): 1,
        ("county-b", "county-c"): 1, ("county-c", "county-a"): 1}


def test_region_ties_are_labelled_in_english_and_where_both_names_exist_in_chinese(
        derived_store):
    ties = _ties(derived_store, "SupplyTie", "fromRegion", "toRegion")

    def labels(pair: tuple[str, str]) -> set[tuple[str | None, str]]:
        rows = derived_store.select("SELECT $tie ?l WHERE { $tie skos:prefLabel ?l }",
                                    bindings={"tie": ties[pair][0]}).rows
        return {(label.language, str(label)) for (_tie, label) in rows}

    assert labels(("county-a", "county-b")) == {
        ("en", "Supply from County A to County B (derived)"), ("zh", "甲县向乙县供应（推导）")}
    assert labels(("county-a", "county-c")) == {
        ("en", "Supply from County A to County C (derived)")}
    rd = _ties(derived_store, "RDManufacturingTie", "fromRegion", "toRegion")
    assert set(rd) == {("county-a", "county-b")}
    rows = derived_store.select("SELECT $tie ?l WHERE { $tie skos:prefLabel ?l }",
                                bindings={"tie": rd["county-a", "county-b"][0]}).rows
    assert {(label.language, str(label)) for (_tie, label) in rows} == {
        ("en", "R&D in County A, manufacturing in County B (derived)"),
        ("zh", "甲县研发、乙县制造（推导）")}


def test_derivation_is_repeatable(derived_store):
    before = derived_store.graph_counts()
    derive(derived_store)
    assert derived_store.graph_counts() == before


def test_the_industry_chain_ties_query_lists_them_and_filters_by_industry(derived_store):
    def pairs(**values: str) -> list[tuple[str, str, int]]:
        result = run_query(derived_store, load_query("industry-chain-ties"), values)
        found = [dict(zip(result.variables, row, strict=True)) for row in result.rows]
        assert {str(r["tie_type_en"]) for r in found} <= {"Industry supply tie"}
        return [(str(r["from_en"]), str(r["to_en"]), int(r["evidence_count"])) for r in found]

    assert sorted(pairs()) == [("Industry A", "Industry B", 2), ("Industry B", "Industry C", 2)]
    assert pairs(industry=str(TKSYN["ind-c"])) == [("Industry B", "Industry C", 2)]
    assert pairs(industry=str(TKSYN["nothing"])) == []
