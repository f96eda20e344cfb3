"""Upstream and downstream: what a node reaches along directed ties, with the paths.

Upstream follows ties backwards (suppliers, their suppliers, ...), downstream forwards
(customers, ...). Each reached node comes with its distance and one shortest path from
it to the start (upstream) or from the start to it (downstream), neighbours taken in
sorted order so that results repeat.

>>> import networkx as nx
>>> g = nx.DiGraph([("ore", "steel"), ("steel", "car"), ("glass", "car"), ("car", "dealer")])
>>> for r in reach(g, "car", depth=2, direction="upstream"):
...     print(r.node, r.distance, r.path)
glass 1 ['glass', 'car']
steel 1 ['steel', 'car']
ore 2 ['ore', 'steel', 'car']
>>> [r.node for r in reach(g, "ore", depth=1, direction="downstream")]
['steel']
"""

from __future__ import annotations

from collections import deque
from typing import Literal, NamedTuple

import networkx as nx

Direction = Literal["upstream", "downstream"]


class Reached(NamedTuple):
    """A node reached from the start: how many ties away, and one shortest path (in the
    direction of the ties, so a path always ends at the start when upstream)."""

    node: str
    distance: int
    path: list[str]


def reach(graph: nx.DiGraph, start: str, *, depth: int, direction: Direction) -> list[Reached]:
    """Every node within ``depth`` ties of ``start``, upstream or downstream, nearest
    first (ties of distance broken by node key). ``start`` itself is not listed."""
    if start not in graph:
        raise KeyError(start)
    if depth < 1:
        return []
    step = graph.predecessors if direction == "upstream" else graph.successors
    parent: dict[str, str | None] = {start: None}
    found: list[tuple[str, int]] = []
    queue: deque[tuple[str, int]] = deque([(start, 0)])
    while queue:
        node, distance = queue.popleft()
        if distance == depth:
            continue
        for neighbour in sorted(step(node)):
            if neighbour not in parent:
                parent[neighbour] = node
                found.append((neighbour, distance + 1))
                queue.append((neighbour, distance + 1))
    result = []
    for node, distance in sorted(found, key=lambda item: (item[1], item[0])):
        path = [node]
        while parent[path[-1]] is not None:
            path.append(parent[path[-1]])
        result.append(Reached(node, distance, path if direction == "upstream" else path[::-1]))
    return result


def neighbourhood(graph: nx.DiGraph, start: str, *, depth: int = 1) -> nx.DiGraph:
    """The subgraph of ``start`` and everything within ``depth`` ties upstream or
    downstream of it, with node attribute ``layer``: minus the distance upstream, plus
    the distance downstream (0 for ``start``; a node both ways gets the upstream side).

    >>> g = nx.DiGraph([("a", "b"), ("b", "c"), ("x", "y")])
    >>> sub = neighbourhood(g, "b")
    >>> sorted(sub.nodes(data="layer"))
    [('a', -1), ('b', 0), ('c', 1)]
    """
    layers = {start: 0}
    for r in reach(graph, start, depth=depth, direction="downstream"):
        layers[r.node] = r.distance
    for r in reach(graph, start, depth=depth, direction="upstream"):
        layers[r.node] = -r.distance
    sub = graph.subgraph(layers).copy()
    nx.set_node_attributes(sub, layers, "layer")
    return sub
