"""Communities of a network: groups of nodes tied more to each other than to the rest.

Louvain modularity optimisation on the undirected view, weights summed over both
directions (and over parallel ties), with a fixed seed so that results repeat.

>>> import networkx as nx
>>> g = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("x", "y"), ("y", "z"), ("z", "x"),
...                 ("c", "x")])
>>> found = communities(g)
>>> [sorted(c) for c in found.groups], round(found.modularity, 3)
([['a', 'b', 'c'], ['x', 'y', 'z']], 0.357)
"""

from __future__ import annotations

from typing import NamedTuple

import networkx as nx


class Communities(NamedTuple):
    """The communities, largest first (ties of size broken by smallest member), and the
    modularity of the partition."""

    groups: list[set[str]]
    modularity: float


def weighted_undirected(graph: nx.Graph) -> nx.Graph:
    """One undirected edge per tied pair, ``weight`` summed over directions and
    parallel ties (1 for a tie without weight); self-loops left out."""
    simple = nx.Graph()
    simple.add_nodes_from(graph)
    for u, v, weight in graph.edges(data="weight", default=1):
        if u == v:
            continue
        if simple.has_edge(u, v):
            simple[u][v]["weight"] += weight
        else:
            simple.add_edge(u, v, weight=weight)
    return simple


def communities(graph: nx.Graph, *, seed: int = 0, resolution: float = 1.0) -> Communities:
    """Louvain communities of ``graph`` (isolated nodes are communities of their own)."""
    simple = weighted_undirected(graph)
    if simple.number_of_edges() == 0:
        groups = [{node} for node in simple]
        return Communities(sorted(groups, key=lambda g: min(g)), 0.0)
    found = nx.community.louvain_communities(simple, weight="weight", seed=seed,
                                             resolution=resolution)
    groups = sorted(found, key=lambda g: (-len(g), min(g)))
    score = nx.community.modularity(simple, groups, weight="weight", resolution=resolution)
    return Communities(groups, score)


def membership(found: Communities) -> dict[str, int]:
    """Community number (0 = largest) of every node."""
    return {node: index for index, group in enumerate(found.groups) for node in group}
