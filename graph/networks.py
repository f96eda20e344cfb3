"""Networks projected from any store (through :meth:`Store.select`) for analysis.

Four projections, each a networkx graph whose node keys are IRIs (strings) and whose
nodes carry ``iri``, ``kind`` (organization, region, industry), ``label`` (Chinese name,
else English, else the IRI's last segment) and, where known, ``label_en``, ``label_zh``
and ``code``, so that results map back to the graph:

- :func:`org_supply`: organizations, supplier -> customer, ``weight`` = supply ties;
- :func:`region_ties`: regions, a multigraph with one edge per tie kind (the edge key:
  supply, rd-manufacturing, cooperation, talent-flow, investment), ``weight`` = summed
  evidence counts;
- :func:`industry_chain`: industries, supplying -> customer industry, ``weight`` =
  evidence count of the derived industry supply tie;
- :func:`region_industry`: a bipartite graph of regions and industries (``bipartite`` 0
  and 1), ``weight`` = organizations of the industry in the region.

No attribute is ever None (GraphML and GEXF cannot write it): unknown ones are left out.

:func:`project` is what commands call: the network the build saved beside the store
(:mod:`tieskg.graph.saved_networks`) when there is one, else :func:`queried`; both give
nodes and ties in sorted order (:func:`ordered`), so the two are the same graph.

>>> from tieskg.graph.store import OxigraphStore
>>> import pyoxigraph as ox
>>> store = OxigraphStore.in_memory()
>>> store.load('''@prefix tk: <https://w3id.org/tieskg/ontology#> .
... @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
... <urn:t1> a tk:SupplyTie ; tk:supplier <urn:a> ; tk:customer <urn:b> .
... <urn:a> skos:prefLabel "甲公司"@zh .'''.encode(), format=ox.RdfFormat.TURTLE,
...            graph=URIRef("urn:g"))
>>> g = org_supply(store)
>>> list(g.edges(data="weight")), g.nodes["urn:a"]["label"]
([('urn:a', 'urn:b', 1)], '甲公司')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import networkx as nx
from rdflib import URIRef

from tieskg.graph.store import Store, internal_query
from tieskg.namespaces import SKOS, TK

#: The tie classes of the region-ties network and the edge keys (kinds) they get.
TIE_KINDS: dict[str, str] = {
    str(TK.SupplyTie): "supply",
    str(TK.RDManufacturingTie): "rd-manufacturing",
    str(TK.CooperationTie): "cooperation",
    str(TK.TalentFlow): "talent-flow",
    str(TK.InvestmentTie): "investment",
}

#: Up to this many nodes are named one query each, more by one query over all of a kind.
FEW_NODES = 200

#: The networks a command can ask for, by name.
NETWORKS = ("org-supply", "region-ties", "industry-chain", "region-industry")


def org_supply(store: Store, *, example_ties: bool = True) -> nx.DiGraph:
    """The organization supply network: supplier -> customer, ``weight`` = number of
    supply ties between the two, ``tie`` = one of them (an IRI; left out with
    ``example_ties=False``, which saves reading every tie's IRI: at national size on
    disk, most of the time)."""
    graph = nx.DiGraph(network="org-supply")
    for node, found in _organizations(store).items():
        graph.add_node(node, **_node_attributes(
            node, "organization", found.get("en"), found.get("zh"), found.get("code"),
            region=found.get("region"), industry=found.get("industry")))
    if example_ties:
        graph.add_edges_from(
            (supplier, customer, {"weight": int(ties), "tie": example})
            for supplier, customer, ties, example in store.select_rows(
                internal_query("network-org-supply")))
    else:
        graph.add_edges_from(
            (supplier, customer, {"weight": int(ties)})
            for supplier, customer, ties in store.select_rows(
                internal_query("network-org-supply-pairs")))
    return graph


def region_ties(store: Store, *, industry: URIRef | None = None) -> nx.MultiDiGraph:
    """The region-to-region ties network: one edge per (from, to, kind of tie), keyed by
    the kind, with ``weight`` (summed evidence counts), ``ties`` and ``tie_type``.

    ``industry`` keeps only ties of that industry or a narrower one (by the tie's
    industry or product industry, or its supplier's or customer's industry).
    """
    graph = nx.MultiDiGraph(network="region-ties")
    if industry is None:
        rows = store.select_text(internal_query("network-region-ties")).rows
    else:
        rows = [row[1:] for row in store.select_text(
            internal_query("network-region-ties-industry"), bindings={"industry": industry}).rows]
    for source, target, tie_type, ties, weight in rows:
        kind = TIE_KINDS[tie_type]
        graph.add_edge(source, target, key=kind, kind=kind, tie_type=tie_type, ties=int(ties),
                       weight=_number(weight))
    if industry is not None:
        graph.graph["industry"] = str(industry)
    _label_nodes(store, graph, TK.Region, "region")
    return graph


def industry_chain(store: Store) -> nx.DiGraph:
    """The industry chain network: supplying industry -> customer industry, ``weight`` =
    the organization supply ties behind it. Read from the derived industry supply ties;
    a store without them (not built by ``tieskg build``) gets the same roll-up computed
    from its organization supply ties (graph attribute ``source`` says which)."""
    graph = nx.DiGraph(network="industry-chain", source="derived")
    rows = store.select_text(internal_query("network-industry-chain")).rows
    if not rows:
        graph.graph["source"] = "computed from supply ties"
        rows = store.select_text(internal_query("network-industry-chain-from-supply")).rows
    for source, target, ties, weight in rows:
        graph.add_edge(source, target, ties=int(ties), weight=_number(weight))
    _label_nodes(store, graph, TK.Industry, "industry")
    return graph


def region_industry(store: Store) -> nx.Graph:
    """The region-industry bipartite network: ``weight`` = organizations of the industry
    located in the region. Regions have ``bipartite`` 0, industries 1."""
    graph = nx.Graph(network="region-industry")
    regions: set[str] = set()
    industries: set[str] = set()
    for region, industry, organizations in store.select_text(
            internal_query("network-region-industry")).rows:
        regions.add(region)
        industries.add(industry)
        graph.add_edge(region, industry, weight=int(organizations))
    _label_nodes(store, graph, TK.Region, "region", only=regions)
    _label_nodes(store, graph, TK.Industry, "industry", only=industries)
    for node in regions:
        graph.nodes[node]["bipartite"] = 0
    for node in industries:
        graph.nodes[node]["bipartite"] = 1
    return graph


#: Each projection by network name.
PROJECTIONS: dict[str, Callable[[Store], nx.Graph]] = {
    "org-supply": org_supply,
    "region-ties": region_ties,
    "industry-chain": industry_chain,
    "region-industry": region_industry,
}


def project(store: Store, name: str, *, industry: URIRef | None = None) -> nx.Graph:
    """The network called ``name`` (one of :data:`NETWORKS`), nodes and ties in sorted
    order: the network the build saved beside the store (:meth:`Store.saved_network`:
    the same graph, read in seconds) if there is one, else projected by querying
    (:func:`queried`). ``industry`` narrows the region-ties network
    (:func:`region_ties`), always by querying."""
    if industry is None:
        saved = store.saved_network(name)
        if saved is not None:
            return saved
    return queried(store, name, industry=industry)


def queried(store: Store, name: str, *, industry: URIRef | None = None) -> nx.Graph:
    """The network called ``name`` projected by querying ``store``, nodes and ties in
    sorted order (:func:`ordered`): whatever order the store returns rows in, the same
    graph, down to the order of nodes and neighbours that some analyses depend on
    (Louvain communities, sampled betweenness)."""
    if industry is None:
        return ordered(PROJECTIONS[name](store))
    if name != "region-ties":
        raise ValueError(f"only the region-ties network can be narrowed to an industry, "
                         f"not {name}")
    return ordered(region_ties(store, industry=industry))


def ordered(graph: nx.Graph) -> nx.Graph:
    """The same network with nodes and ties in sorted order, so that neither a file nor
    an analysis depends on the order a store returned rows in. An undirected tie is
    added from its lesser end, so that every node's neighbours are in sorted order too.

    >>> g = nx.Graph()
    >>> g.add_edges_from([("b", "c"), ("c", "a")])
    >>> h = ordered(g)
    >>> list(h.nodes), list(h.edges), list(h.adj["c"])
    (['a', 'b', 'c'], [('a', 'c'), ('b', 'c')], ['a', 'b'])
    """
    ordered = graph.__class__(**graph.graph)
    ordered.add_nodes_from(sorted(graph.nodes(data=True), key=lambda item: str(item[0])))
    if graph.is_multigraph():
        ties = [(u, v, key, data) for u, v, key, data in graph.edges(keys=True, data=True)]
    else:
        ties = [(u, v, None, data) for u, v, data in graph.edges(data=True)]
    if not graph.is_directed():
        ties = [(v, u, key, data) if str(v) < str(u) else (u, v, key, data)
                for u, v, key, data in ties]
    ties.sort(key=lambda e: (str(e[0]), str(e[1]), str(e[2])))
    if graph.is_multigraph():
        ordered.add_edges_from(ties)
    else:
        ordered.add_edges_from((u, v, data) for u, v, _, data in ties)
    return ordered


def of_kind(graph: nx.MultiDiGraph, kind: str) -> nx.DiGraph:
    """The region-ties edges of one kind (``supply``, ...) as a simple directed graph,
    with every node (and its attributes) kept.

    >>> g = nx.MultiDiGraph()
    >>> g.add_edge("a", "b", key="supply", weight=2)
    'supply'
    >>> g.add_edge("a", "b", key="investment", weight=5)
    'investment'
    >>> list(of_kind(g, "supply").edges(data="weight"))
    [('a', 'b', 2)]
    """
    simple = nx.DiGraph(**graph.graph)
    simple.add_nodes_from(graph.nodes(data=True))
    simple.add_edges_from((u, v, data) for u, v, key, data in graph.edges(keys=True, data=True)
                          if key == kind)
    return simple


def display_label(iri: str, en: str | None = None, zh: str | None = None) -> str:
    """What a node is called in tables and pictures: the Chinese name, else the English
    one, else the last segment of its IRI.

    >>> display_label("https://w3id.org/tieskg/id/region/cn-330604", "Shangyu District")
    'Shangyu District'
    >>> display_label("https://w3id.org/tieskg/id/region/cn-330604")
    'cn-330604'
    """
    return zh or en or iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _node_attributes(iri: str, kind: str, en: str | None, zh: str | None,
                     code: str | None, **extra: str | None) -> dict[str, Any]:
    attributes: dict[str, Any] = {"iri": iri, "kind": kind,
                                  "label": display_label(iri, en, zh)}
    for name, value in (("label_en", en), ("label_zh", zh), ("code", code), *extra.items()):
        if value is not None:
            attributes[name] = value
    return attributes


#: Properties of an organization that its node shows, by the key they are kept under.
_ORGANIZATION_PROPERTIES = {str(TK.creditCode): "code", str(TK.locatedIn): "region",
                            str(TK.industry): "industry"}
_LABEL = str(SKOS.prefLabel)


def _organizations(store: Store) -> dict[str, dict[str, str]]:
    """Every organization in a supply tie, with the least of each of its names (``en``,
    ``zh``), credit code, region and industry."""
    found: dict[str, dict[str, str]] = {}
    for node, prop, value, lang in store.select_rows(internal_query("network-org-nodes")):
        values = found.setdefault(node, {})
        if prop is None or value is None:
            continue
        if prop == _LABEL:
            key = lang if lang in ("en", "zh") else None
        else:
            key = _ORGANIZATION_PROPERTIES.get(prop)
        if key is not None and (key not in values or value < values[key]):
            values[key] = value
    return found


def _label_nodes(store: Store, graph: nx.Graph, kind: URIRef, name: str,
                 only: Iterable[str] | None = None) -> None:
    """Give the nodes of ``graph`` (or only those in ``only``) their names and codes."""
    wanted = set(graph.nodes if only is None else only)
    if len(wanted) <= FEW_NODES:
        rows = [(kind, *row) for node in sorted(wanted) for row in store.select_text(
            internal_query("network-node-labels"), bindings={"node": URIRef(node)}).rows]
    else:
        rows = store.select_text(internal_query("network-labels"), bindings={"kind": kind}).rows
    for _kind, node, en, zh, code in rows:
        if node in wanted:
            graph.nodes[node].update(_node_attributes(node, name, en, zh, code))
            wanted.discard(node)
    for node in wanted:   # in ties, but not described as a region or industry
        graph.nodes[node].update(_node_attributes(node, name, None, None, None))


def _number(text: str | None) -> int | float:
    value = float(text) if text is not None else 0.0
    return int(value) if value.is_integer() else value
