"""Analyses on small networks whose answers were worked out by hand."""

from __future__ import annotations

import networkx as nx
import pytest

from tieskg.graph.analysis.chokepoints import (
    articulation_points,
    bridges,
    high_betweenness,
    single_suppliers,
)
from tieskg.graph.analysis.communities import communities, membership, weighted_undirected
from tieskg.graph.analysis.dependence import dependence
from tieskg.graph.analysis.reach import neighbourhood, reach


@pytest.fixture
def chain() -> nx.DiGraph:
    """A small supply chain:

        ore -> steel -> parts -> car -> dealer
        glass ---------------->  car
        steel -> tools          (tools supplies nothing)
        rubber -> tyres -> car
    """
    return nx.DiGraph([("ore", "steel"), ("steel", "parts"), ("parts", "car"), ("car", "dealer"),
                       ("glass", "car"), ("steel", "tools"), ("rubber", "tyres"),
                       ("tyres", "car")])


def test_upstream_lists_each_supplier_once_with_a_shortest_path(chain):
    found = reach(chain, "car", depth=3, direction="upstream")
    assert [(r.node, r.distance) for r in found] == [
        ("glass", 1), ("parts", 1), ("tyres", 1), ("rubber", 2), ("steel", 2), ("ore", 3)]
    paths = {r.node: r.path for r in found}
    assert paths["ore"] == ["ore", "steel", "parts", "car"]
    assert paths["rubber"] == ["rubber", "tyres", "car"]


def test_depth_limits_how_far_reach_goes(chain):
    assert [r.node for r in reach(chain, "car", depth=1, direction="upstream")] == [
        "glass", "parts", "tyres"]
    assert reach(chain, "ore", depth=4, direction="upstream") == []


def test_downstream_follows_ties_forwards(chain):
    found = reach(chain, "steel", depth=5, direction="downstream")
    assert [(r.node, r.distance) for r in found] == [
        ("parts", 1), ("tools", 1), ("car", 2), ("dealer", 3)]
    assert found[-1].path == ["steel", "parts", "car", "dealer"]


def test_reach_through_a_cycle_stops_at_the_start():
    ring = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a")])
    assert [r.node for r in reach(ring, "a", depth=10, direction="downstream")] == ["b", "c"]


def test_reach_from_an_unknown_node_fails(chain):
    with pytest.raises(KeyError):
        reach(chain, "moon", depth=1, direction="upstream")


def test_neighbourhood_puts_suppliers_left_and_customers_right(chain):
    sub = neighbourhood(chain, "parts", depth=1)
    assert dict(sub.nodes(data="layer")) == {"steel": -1, "parts": 0, "car": 1}
    assert set(sub.edges) == {("steel", "parts"), ("parts", "car")}


def test_articulation_points_of_the_chain(chain):
    # removing steel separates ore and tools; parts and car separate the two halves;
    # car also cuts off dealer, glass, and the tyres branch; tyres cuts off rubber
    assert articulation_points(chain) == ["car", "parts", "steel", "tyres"]


def test_bridges_of_the_chain(chain):
    # every tie is a bridge except none: the chain has no cycle in its undirected view
    assert len(bridges(chain)) == chain.number_of_edges()
    with_cycle = chain.copy()
    with_cycle.add_edge("glass", "tyres")   # glass-car-tyres-glass is now a cycle
    found = bridges(with_cycle)
    assert ("car", "glass") not in found and ("car", "tyres") not in found
    assert ("glass", "tyres") not in found
    assert ("rubber", "tyres") in found and ("car", "dealer") in found


def test_single_supplier_dependencies(chain):
    # car has three suppliers; everyone else with a supplier has exactly one
    assert single_suppliers(chain) == [
        ("dealer", "car"), ("parts", "steel"), ("steel", "ore"), ("tools", "steel"),
        ("tyres", "rubber")]


def test_single_supplier_ignores_self_supply():
    g = nx.DiGraph([("a", "a"), ("b", "c")])
    assert single_suppliers(g) == [("c", "b")]


def test_betweenness_of_a_star_and_a_path():
    # a path a->b->c: b lies on the only path between a and c, normalized by (n-1)(n-2)=2
    path = nx.DiGraph([("a", "b"), ("b", "c")])
    assert high_betweenness(path) == [("b", 0.5)]
    # every path between leaves of a directed star in and out of the hub crosses the hub
    star = nx.DiGraph([(f"in{i}", "hub") for i in range(3)] + [("hub", f"out{i}")
                                                               for i in range(3)])
    top = high_betweenness(star, top=1)
    assert top[0][0] == "hub" and top[0][1] == pytest.approx(9 / 30)


def test_sampled_betweenness_finds_the_hub():
    g = nx.barabasi_albert_graph(400, 2, seed=3)
    exact = high_betweenness(g, top=1)
    sampled = high_betweenness(g, top=1, k=100, seed=1)
    assert sampled[0][0] == exact[0][0]
    assert sampled[0][1] == pytest.approx(exact[0][1], rel=0.25)


def test_dependence_shares_of_one_kind():
    g = nx.MultiDiGraph()
    g.add_edge("shanghai", "shangyu", key="supply", weight=6, ties=4)
    g.add_edge("hangzhou", "shangyu", key="supply", weight=3, ties=3)
    g.add_edge("ningbo", "shangyu", key="supply", weight=1, ties=1)
    g.add_edge("shanghai", "shangyu", key="rd-manufacturing", weight=5)
    g.add_edge("shangyu", "shanghai", key="supply", weight=100)   # outgoing: not counted
    found = dependence(g, "shangyu", kind="supply")
    assert [(s.partner, s.weight, s.ties, s.share) for s in found] == [
        ("shanghai", 6, 4, 0.6), ("hangzhou", 3, 3, 0.3), ("ningbo", 1, 1, 0.1)]
    assert [(s.partner, s.share) for s in dependence(g, "shangyu", kind="rd-manufacturing")] \
        == [("shanghai", 1.0)]
    everything = dependence(g, "shangyu")
    assert everything[0].partner == "shanghai" and everything[0].share == pytest.approx(11 / 15)


def test_dependence_of_a_region_without_incoming_ties_is_empty():
    g = nx.MultiDiGraph()
    g.add_edge("a", "b", key="supply", weight=1)
    assert dependence(g, "a", kind="supply") == []
    with pytest.raises(KeyError):
        dependence(g, "z")


def test_communities_split_two_dense_groups_joined_by_one_tie():
    g = nx.DiGraph()
    for group in (["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"]):
        g.add_edges_from((u, v) for u in group for v in group if u < v)
    g.add_edge("a1", "b1")
    found = communities(g)
    assert [sorted(c) for c in found.groups] == [["a1", "a2", "a3", "a4"],
                                                  ["b1", "b2", "b3", "b4"]]
    # modularity by hand: m = 13 ties; each group holds 6, degree sums 13 and 13
    assert found.modularity == pytest.approx(2 * (6 / 13 - (13 / 26) ** 2))
    assert membership(found)["b3"] == 1


def test_weighted_undirected_sums_both_directions():
    g = nx.DiGraph()
    g.add_edge("a", "b", weight=2)
    g.add_edge("b", "a", weight=3)
    g.add_edge("a", "a", weight=9)
    simple = weighted_undirected(g)
    assert dict(simple.edges) == {("a", "b"): {"weight": 5}}


def test_communities_of_a_network_without_ties():
    g = nx.DiGraph()
    g.add_nodes_from(["b", "a"])
    found = communities(g)
    assert found.groups == [{"a"}, {"b"}] and found.modularity == 0.0
