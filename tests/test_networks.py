"""Projections of networks from a small hand-made store, and network files."""

from __future__ import annotations

import json

import networkx as nx
import pyoxigraph as ox
import pytest
from rdflib import URIRef

from tieskg.graph import networks
from tieskg.graph.network_files import write_network
from tieskg.graph.network_nodes import NodeNotFound, find_node
from tieskg.graph.store import OxigraphStore
from tieskg.ontology import ontology_path

X = "urn:x:"
DATA = """
@prefix tk: <https://w3id.org/tieskg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix x: <urn:x:> .

x:shangyu a tk:CountyLevelDivision ; skos:prefLabel "上虞区"@zh , "Shangyu District"@en ;
    tk:divisionCode "330604" .
x:shanghai a tk:ProvinceLevelDivision ; skos:prefLabel "上海市"@zh , "Shanghai"@en .
x:hangzhou a tk:PrefectureLevelDivision ; skos:prefLabel "Hangzhou"@en .

x:bio a tk:Industry ; skos:prefLabel "生物医药"@zh , "Biomedicine"@en ; skos:notation "4.1" .
x:pharma a tk:Industry ; skos:broader x:bio ; skos:prefLabel "Pharmaceuticals"@en .
x:chem a tk:Industry ; skos:prefLabel "Chemicals"@en .

x:a a tk:Company ; skos:prefLabel "甲药业"@zh , "A Pharma"@en ; tk:locatedIn x:shangyu ;
    tk:industry x:pharma .
x:b a tk:Company ; skos:prefLabel "B Chemicals"@en ; tk:locatedIn x:shanghai ;
    tk:industry x:chem .
x:c a tk:Company ; skos:prefLabel "C Chemicals"@en ; tk:locatedIn x:hangzhou ;
    tk:industry x:chem .
x:d a tk:Company ; skos:prefLabel "D Chemicals"@en ; tk:locatedIn x:shanghai ;
    tk:industry x:chem .

# b supplies a twice, c and d once each; a supplies c
x:t1 a tk:SupplyTie ; tk:supplier x:b ; tk:customer x:a ; tk:fromRegion x:shanghai ;
    tk:toRegion x:shangyu .
x:t2 a tk:SupplyTie ; tk:supplier x:b ; tk:customer x:a ; tk:fromRegion x:shanghai ;
    tk:toRegion x:shangyu .
x:t3 a tk:SupplyTie ; tk:supplier x:c ; tk:customer x:a ; tk:fromRegion x:hangzhou ;
    tk:toRegion x:shangyu .
x:t4 a tk:SupplyTie ; tk:supplier x:d ; tk:customer x:a ; tk:fromRegion x:shanghai ;
    tk:toRegion x:shangyu ; tk:productIndustry x:chem .
x:t5 a tk:SupplyTie ; tk:supplier x:a ; tk:customer x:c ; tk:fromRegion x:shangyu ;
    tk:toRegion x:hangzhou .

# a roll-up resting on t1, t2, t4: counted through them, not again
x:rolled a tk:SupplyTie ; tk:fromRegion x:shanghai ; tk:toRegion x:shangyu ;
    tk:evidenceCount 3 ; tk:evidence x:t1 , x:t2 , x:t4 .
# an R&D tie with evidence from two organizations, one without a count
x:rd a tk:RDManufacturingTie ; tk:fromRegion x:shanghai ; tk:toRegion x:shangyu ;
    tk:evidenceCount 2 ; tk:evidence x:b , x:d ; tk:industry x:bio .
x:inv a tk:InvestmentTie ; tk:fromRegion x:hangzhou ; tk:toRegion x:shangyu .
"""


@pytest.fixture(scope="module")
def store() -> OxigraphStore:
    store = OxigraphStore.in_memory()
    store.load(ontology_path().read_bytes(), format=ox.RdfFormat.TURTLE,
               graph=URIRef("urn:g:ontology"))
    store.load(DATA.encode(), format=ox.RdfFormat.TURTLE, graph=URIRef("urn:g:data"))
    return store


def test_org_supply_counts_ties_per_pair_and_carries_names(store):
    g = networks.org_supply(store)
    assert sorted(g.edges(data="weight")) == [
        (X + "a", X + "c", 1), (X + "b", X + "a", 2), (X + "c", X + "a", 1),
        (X + "d", X + "a", 1)]
    a = g.nodes[X + "a"]
    assert (a["label"], a["label_en"], a["region"], a["industry"], a["kind"]) == (
        "甲药业", "A Pharma", X + "shangyu", X + "pharma", "organization")
    assert g.nodes[X + "b"]["label"] == "B Chemicals"
    assert g.edges[X + "b", X + "a"]["tie"] in {X + "t1", X + "t2"}


def test_region_ties_count_each_tie_once_by_kind(store):
    g = networks.region_ties(store)
    supply = {(u, v): d["weight"] for u, v, k, d in g.edges(keys=True, data=True)
              if k == "supply"}
    # t1, t2, t4 from Shanghai; the roll-up resting on them is not counted again
    assert supply == {(X + "shanghai", X + "shangyu"): 3, (X + "hangzhou", X + "shangyu"): 1,
                      (X + "shangyu", X + "hangzhou"): 1}
    assert g.edges[X + "shanghai", X + "shangyu", "rd-manufacturing"]["weight"] == 2
    assert g.edges[X + "shanghai", X + "shangyu", "rd-manufacturing"]["ties"] == 1
    assert g.edges[X + "hangzhou", X + "shangyu", "investment"]["weight"] == 1
    shangyu = g.nodes[X + "shangyu"]
    assert (shangyu["label"], shangyu["code"], shangyu["kind"]) == ("上虞区", "330604", "region")
    assert g.nodes[X + "hangzhou"]["label"] == "Hangzhou"


def test_region_ties_of_an_industry_include_narrower_industries(store):
    g = networks.region_ties(store, industry=URIRef(X + "bio"))
    # supply ties touching a pharmaceuticals company (a), and the R&D tie of biomedicine;
    # t4's product is chemicals but its customer a is in pharmaceuticals
    edges = {(u, v, k): d["weight"] for u, v, k, d in g.edges(keys=True, data=True)}
    assert edges == {(X + "shanghai", X + "shangyu", "supply"): 3,
                     (X + "hangzhou", X + "shangyu", "supply"): 1,
                     (X + "shangyu", X + "hangzhou", "supply"): 1,
                     (X + "shanghai", X + "shangyu", "rd-manufacturing"): 2}
    chem = networks.region_ties(store, industry=URIRef(X + "chem"))
    assert (X + "shanghai", X + "shangyu", "rd-manufacturing") not in set(chem.edges(keys=True))


def test_industry_chain_is_computed_from_supply_ties_without_derived_ties(store):
    g = networks.industry_chain(store)
    assert g.graph["source"] == "computed from supply ties"
    # t1, t2, t3 (supplier industry chem), t4 (product chem): chem -> pharma 4 ties;
    # t5: pharma -> chem
    assert sorted(g.edges(data="weight")) == [(X + "chem", X + "pharma", 4),
                                              (X + "pharma", X + "chem", 1)]
    assert g.nodes[X + "pharma"]["label"] == "Pharmaceuticals"


def test_industry_chain_reads_derived_ties(store):
    derived = OxigraphStore.in_memory()
    derived.load(b"""@prefix tk: <https://w3id.org/tieskg/ontology#> .
        <urn:x:it> a tk:IndustrySupplyTie ; tk:fromIndustry <urn:x:chem> ;
            tk:toIndustry <urn:x:bio> ; tk:evidenceCount 7 .""", format=ox.RdfFormat.TURTLE,
                 graph=URIRef("urn:g:derived"))
    g = networks.industry_chain(derived)
    assert g.graph["source"] == "derived"
    assert list(g.edges(data="weight")) == [(X + "chem", X + "bio", 7)]


def test_region_industry_is_bipartite_with_organization_counts(store):
    g = networks.region_industry(store)
    assert {frozenset((u, v)): w for u, v, w in g.edges(data="weight")} == {
        frozenset((X + "shangyu", X + "pharma")): 1, frozenset((X + "shanghai", X + "chem")): 2,
        frozenset((X + "hangzhou", X + "chem")): 1}
    assert g.nodes[X + "shanghai"]["bipartite"] == 0
    assert g.nodes[X + "chem"]["bipartite"] == 1
    assert nx.is_bipartite(g)


def test_of_kind_keeps_nodes_and_one_kind(store):
    g = networks.of_kind(networks.region_ties(store), "investment")
    assert list(g.edges) == [(X + "hangzhou", X + "shangyu")]
    assert g.number_of_nodes() == 3


def test_find_node_by_iri_name_code_or_resolver(store):
    g = networks.region_ties(store)
    assert find_node(g, X + "shangyu") == X + "shangyu"
    assert find_node(g, "上虞区") == find_node(g, "SHANGYU  district") == X + "shangyu"
    assert find_node(g, "330604") == X + "shangyu"
    assert find_node(g, "hz", resolve=lambda text: X + "hangzhou") == X + "hangzhou"
    with pytest.raises(NodeNotFound, match="no node"):
        find_node(g, "Beijing")
    with pytest.raises(NodeNotFound, match="has no ties"):
        find_node(g, "bj", resolve=lambda text: X + "beijing")
    assert find_node(g, "bj", resolve=lambda text: X + "beijing", allow_absent=True) \
        == X + "beijing"
    twins = nx.DiGraph(network="t")
    twins.add_node("urn:1", label="same")
    twins.add_node("urn:2", label="same")
    with pytest.raises(NodeNotFound, match="names 2 nodes"):
        find_node(twins, "same")


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json"])
def test_network_files_read_back_with_labels_and_iris(store, tmp_path, fmt):
    g = networks.region_ties(store)
    path = tmp_path / f"ties.{fmt}"
    write_network(g, path, fmt)
    if fmt == "graphml":
        back = nx.read_graphml(path)
    elif fmt == "gexf":
        back = nx.read_gexf(path)
    else:
        back = nx.node_link_graph(json.loads(path.read_text(encoding="utf-8")), edges="links")
    assert back.number_of_nodes() == g.number_of_nodes()
    assert back.number_of_edges() == g.number_of_edges()
    node = back.nodes[X + "shangyu"]
    assert node.get("label") == "上虞区" and node.get("iri") == X + "shangyu"
    if fmt != "gexf":   # GEXF keeps a tie's attributes, but not our key
        assert back.edges[X + "shanghai", X + "shangyu", "rd-manufacturing"]["weight"] == 2


def test_region_ties_of_the_case(case_store):
    """The Shangyu–Shanghai case: R&D in Shanghai with manufacturing in Shangyu, Shangyu's
    cooperation with Shanghai, Shanghai's engineers; foreign investment names no region."""
    from tieskg.graph.analysis.dependence import dependence

    g = networks.region_ties(case_store)
    shangyu = "https://w3id.org/tieskg/id/region/cn-330604"
    shanghai = "https://w3id.org/tieskg/id/region/cn-310000"
    assert set(g.edges(keys=True)) == {(shanghai, shangyu, "rd-manufacturing"),
                                       (shangyu, shanghai, "cooperation"),
                                       (shanghai, shangyu, "talent-flow")}
    assert g.nodes[shangyu]["label"] == "上虞区" and g.nodes[shangyu]["label_en"] == \
        "Shangyu District"
    assert [(s.partner, s.share) for s in dependence(g, shangyu, kind="rd-manufacturing")] == [
        (shanghai, 1.0)]
    assert dependence(g, shangyu, kind="investment") == []
    biomedicine = URIRef("https://w3id.org/tieskg/id/industry/sei-2018/4.1")
    assert set(networks.region_ties(case_store, industry=biomedicine).edges(keys=True)) == {
        (shangyu, shanghai, "cooperation")}
