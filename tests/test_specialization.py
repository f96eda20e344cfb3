"""Location quotients and RCA: hand-computed answers, and observations read from a store."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from tieskg.graph.analysis.industries import IndustryTree
from tieskg.graph.analysis.observations import SpecializationError, read_observations
from tieskg.graph.analysis.specialization import location_quotients, revealed_comparative_advantage
from tieskg.graph.build import populate
from tieskg.graph.store import OxigraphStore
from tieskg.namespaces import TK, TKG, TKID, TKV

# Two regions, two industries (hand-computed below):
#            steel  drugs | region total
#   North      60     20  |   80
#   South      40    120  |  160
#   industry  100    140  |  240
RECORDS = [("North", "steel", 60), ("North", "drugs", 20),
           ("South", "steel", 40), ("South", "drugs", 120)]


def by_cell(rows):
    return {(r.region, r.industry): r for r in rows}


def test_rca_is_balassas_index_over_the_matrix():
    rows = by_cell(revealed_comparative_advantage(RECORDS))
    # North steel: (60/80) / (100/240) = 0.75 / 0.41667 = 1.8
    assert rows["North", "steel"].index == pytest.approx(1.8)
    # North drugs: (20/80) / (140/240) = 0.25 / 0.58333 = 0.428571...
    assert rows["North", "drugs"].index == pytest.approx(3 / 7)
    # South steel: (40/160) / (100/240) = 0.6; South drugs: (120/160) / (140/240) = 9/7
    assert rows["South", "steel"].index == pytest.approx(0.6)
    assert rows["South", "drugs"].index == pytest.approx(9 / 7)
    assert {k for k, r in rows.items() if r.specialized} == {("North", "steel"),
                                                             ("South", "drugs")}


def test_lq_uses_the_regions_whole_economies_and_the_nation():
    # North's whole economy is 200 (steel 60 of it: 30 %), South's 400; the nation's
    # economy is 2,000, of which steel is 200 (10 %) and drugs 100 (5 %).
    rows = by_cell(location_quotients(RECORDS, totals={"North": 200, "South": 400},
                                      reference={"steel": 200, "drugs": 100},
                                      reference_total=2000))
    assert rows["North", "steel"].region_share == pytest.approx(0.3)
    assert rows["North", "steel"].reference_share == pytest.approx(0.1)
    assert rows["North", "steel"].index == pytest.approx(3.0)
    # North drugs: (20/200) / (100/2000) = 0.1 / 0.05 = 2
    assert rows["North", "drugs"].index == pytest.approx(2.0)
    # South drugs: (120/400) / 0.05 = 6; South steel: (40/400) / 0.1 = 1
    assert rows["South", "drugs"].index == pytest.approx(6.0)
    assert rows["South", "steel"].index == pytest.approx(1.0)


def test_lq_without_outside_totals_equals_rca():
    lq = [(r.region, r.industry, r.index) for r in location_quotients(RECORDS)]
    rca = [(r.region, r.industry, r.index) for r in revealed_comparative_advantage(RECORDS)]
    assert lq == rca


def test_repeated_cells_are_summed_and_negative_values_refused():
    rows = by_cell(revealed_comparative_advantage(
        [("A", "x", 1), ("A", "x", 2), ("B", "y", 3)]))
    assert rows["A", "x"].value == 3
    with pytest.raises(ValueError, match="negative value"):
        revealed_comparative_advantage([("A", "x", -1)])


# -- observations read from a store -----------------------------------------------------

IND = "https://w3id.org/tieskg/id/industry/test/"
G = TKG["illustrative/test-observations"]


def _observation_quads(rows):
    """Observation quads: (id, area, industry or None, year, value, unit, multiplier)."""
    quads = []
    for key, area, industry, year, value, unit, multiplier in rows:
        obs = URIRef(f"urn:test:obs/{key}")
        quads += [(obs, RDF.type, TK.Observation, G),
                  (obs, TK.refArea, TKID[f"region/{area}"], G),
                  (obs, TK.refPeriod, Literal(year, datatype=XSD.gYear), G),
                  (obs, TK.indicator, TKV["indicator/industrial-output-value"], G),
                  (obs, TK.value, Literal(value, datatype=XSD.decimal), G),
                  (obs, TK.unit, TKV[f"unit/{unit}"], G),
                  (obs, TK.unitMultiplier, Literal(multiplier), G)]
        if industry:
            quads.append((obs, TK.industry, URIRef(IND + industry), G))
    return quads


def _industry_quads():
    quads = []
    for code, broader in (("1", None), ("1.1", "1"), ("1.2", "1"), ("2", None)):
        iri = URIRef(IND + code)
        quads += [(iri, RDF.type, TK.Industry, G), (iri, SKOS.notation, Literal(code), G)]
        if broader:
            quads.append((iri, SKOS.broader, URIRef(IND + broader), G))
    return quads


def store_with(rows) -> OxigraphStore:
    store = OxigraphStore.in_memory()
    populate(store, [])
    store.replace_graph(G, _industry_quads() + _observation_quads(rows))
    return store


def test_observations_become_records_scaled_by_their_multiplier():
    store = store_with([
        ("a", "r1", "1.1", "2021", "6", "CNY", 1),   # 60
        ("b", "r1", "2", "2021", "2", "CNY", 1),     # 20
        ("c", "r2", "1.1", "2021", "40", "CNY", 0),
        ("d", "r2", "2", "2021", "1.2", "CNY", 2),   # 120
        ("e", "r1", "2", "2020", "999", "CNY", 0),   # another year: not the latest
        ("f", "r1", None, "2021", "200", "CNY", 0),  # North's total
        ("g", "r2", None, "2021", "400", "CNY", 0),  # South's total
    ])
    matrix = read_observations(store)
    assert matrix.year == "2021"
    values = {(str(a).rsplit("/", 1)[-1], str(i).rsplit("/", 1)[-1]): v
              for a, i, v in matrix.records}
    assert values == {("r1", "1.1"): 60, ("r1", "2"): 20, ("r2", "1.1"): 40, ("r2", "2"): 120}
    assert {str(k).rsplit("/", 1)[-1]: v for k, v in matrix.totals.items()} == {
        "r1": 200, "r2": 400}
    assert read_observations(store, year="2020").records == [
        (TKID["region/r1"], URIRef(IND + "2"), 999)]


def test_rolling_up_to_a_level_sums_the_industries_below_it():
    store = store_with([("a", "r1", "1.1", "2021", "5", "CNY", 0),
                        ("b", "r1", "1.2", "2021", "7", "CNY", 0),
                        ("c", "r1", "2", "2021", "3", "CNY", 0)])
    matrix = read_observations(store, industry_level=1)
    assert sorted((str(i).rsplit("/", 1)[-1], v) for _, i, v in matrix.records) == [
        ("1", 12), ("2", 3)]
    assert read_observations(store, industry_level=2).left_out == {
        "industry above level 2": 1}


def test_an_industry_and_its_parent_together_would_count_twice():
    store = store_with([("a", "r1", "1.1", "2021", "5", "CNY", 0),
                        ("b", "r1", "1", "2021", "7", "CNY", 0)])
    with pytest.raises(SpecializationError, match="--industry-level"):
        read_observations(store)


def test_mixed_units_are_an_error():
    store = store_with([("a", "r1", "1.1", "2021", "5", "CNY", 0),
                        ("b", "r2", "2", "2021", "7", "USD", 0)])
    with pytest.raises(SpecializationError, match="several units"):
        read_observations(store)


def test_totals_are_used_only_when_every_region_has_one():
    store = store_with([("a", "r1", "1.1", "2021", "5", "CNY", 0),
                        ("b", "r2", "2", "2021", "7", "CNY", 0),
                        ("t", "r1", None, "2021", "50", "CNY", 0)])
    matrix = read_observations(store)
    assert matrix.totals == {}
    assert matrix.left_out["region totals (not every region has one)"] == 1


def test_no_observations_by_industry_says_what_to_do():
    with pytest.raises(SpecializationError, match="tieskg template observations"):
        read_observations(store_with([("t", "r1", None, "2021", "50", "CNY", 0)]))


def test_industry_tree_levels():
    tree = IndustryTree.from_store(store_with([]))
    assert tree.at_level(URIRef(IND + "1.1"), 1) == URIRef(IND + "1")
    assert tree.at_level(URIRef(IND + "1"), 2) is None
    assert tree.ancestors(URIRef(IND + "1.2")) == [URIRef(IND + "1.2"), URIRef(IND + "1")]
    assert tree.by_key["test:1.1"] == URIRef(IND + "1.1")


def test_the_case_has_no_observations_by_industry(case_store):
    """The built-in case has output figures for Shangyu but none by industry."""
    with pytest.raises(SpecializationError, match="by industry"):
        read_observations(case_store)


def test_an_area_with_several_names_is_counted_once():
    store = store_with([("a", "r1", "1.1", "2021", "5", "CNY", 0)])
    area = TKID["region/r1"]
    store.replace_graph(TKG["illustrative/names"], [
        (area, SKOS.prefLabel, Literal(name, lang="en"), TKG["illustrative/names"])
        for name in ("Shangyu", "Shangyu District")])
    assert [v for _, _, v in read_observations(store).records] == [5]
