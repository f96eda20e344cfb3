"""Regional dependence: how much of what reaches a region comes from each other region.

Works on the region-ties network (:func:`tieskg.graph.networks.region_ties`, a
multigraph keyed by the kind of tie, or a simple graph of one kind): the weights of the
ties into the region, summed by the region they come from, and each one's share of
the total. For supply ties the partners are where the suppliers are; for R&D ties
where the research is done; for investment where the investors are.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> _ = g.add_edge("shanghai", "shangyu", key="supply", weight=3)
>>> _ = g.add_edge("hangzhou", "shangyu", key="supply", weight=1)
>>> _ = g.add_edge("shanghai", "shangyu", key="investment", weight=5)
>>> [(s.partner, s.weight, s.share) for s in dependence(g, "shangyu", kind="supply")]
[('shanghai', 3, 0.75), ('hangzhou', 1, 0.25)]
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

import networkx as nx


class Share(NamedTuple):
    """One partner region's part of what reaches the region."""

    partner: str
    weight: float
    ties: int
    share: float


def dependence(graph: nx.DiGraph | nx.MultiDiGraph, region: str, *,
               kind: str | None = None) -> list[Share]:
    """Each region's share of the ties into ``region`` (of ``kind``, the edge key of a
    multigraph; every kind when None), weighted by ``weight`` (1 when missing), largest
    first. Ties from the region to itself are left out. Empty when nothing comes in."""
    if region not in graph:
        raise KeyError(region)
    weights: dict[str, float] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    if graph.is_multigraph():
        edges = ((u, data) for u, _, key, data in graph.in_edges(region, keys=True, data=True)
                 if kind is None or key == kind)
    else:
        edges = ((u, data) for u, _, data in graph.in_edges(region, data=True))
    for partner, data in edges:
        if partner == region:
            continue
        weights[partner] += data.get("weight", 1)
        counts[partner] += data.get("ties", 1)
    total = sum(weights.values())
    ranked = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
    return [Share(partner, weight, counts[partner], weight / total)
            for partner, weight in ranked]
