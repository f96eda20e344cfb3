"""Chokepoints of a network: nodes and ties whose loss cuts it apart or that much of it
runs through, and customers that depend on one supplier.

Articulation points and bridges are taken on the undirected view (a tie either way
connects); betweenness on the directed graph, exact or estimated from ``k`` sampled
sources (see benchmarks/README.md for the measured error).

>>> import networkx as nx
>>> g = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("e", "d")])
>>> articulation_points(g)
['c', 'd']
>>> bridges(g)
[('c', 'd'), ('d', 'e')]
>>> single_suppliers(g)
[('a', 'c'), ('b', 'a'), ('c', 'b')]
>>> [(n, round(s, 3)) for n, s in high_betweenness(g, top=2)]
[('c', 0.25), ('b', 0.167)]
"""

from __future__ import annotations

import networkx as nx


def _undirected(graph: nx.Graph) -> nx.Graph:
    """A simple undirected graph with the same nodes, joined wherever a tie exists."""
    simple = nx.Graph()
    simple.add_nodes_from(graph)
    simple.add_edges_from((u, v) for u, v in graph.edges() if u != v)
    return simple


def articulation_points(graph: nx.Graph) -> list[str]:
    """Nodes whose removal disconnects their part of the network, sorted."""
    return sorted(nx.articulation_points(_undirected(graph)))


def bridges(graph: nx.Graph) -> list[tuple[str, str]]:
    """Ties (as node pairs, each pair sorted) whose removal disconnects their part of
    the network, sorted."""
    return sorted(tuple(sorted(edge)) for edge in nx.bridges(_undirected(graph)))


def single_suppliers(graph: nx.DiGraph) -> list[tuple[str, str]]:
    """(customer, its one supplier) for every node with exactly one predecessor, sorted."""
    return sorted((node, next(iter(graph.predecessors(node))))
                  for node in graph if graph.in_degree(node) == 1
                  and next(iter(graph.predecessors(node))) != node)


def high_betweenness(graph: nx.Graph, *, top: int = 10, k: int | None = None,
                     seed: int = 0) -> list[tuple[str, float]]:
    """The ``top`` nodes by normalized betweenness centrality (unweighted shortest
    paths), highest first; ``k`` sampled source nodes estimate it on large graphs
    (``None`` or ``k`` >= the node count: exact)."""
    if k is not None and k >= graph.number_of_nodes():
        k = None
    scores = nx.betweenness_centrality(graph, k=k, seed=seed if k else None)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [(node, score) for node, score in ranked[:top] if score > 0]
