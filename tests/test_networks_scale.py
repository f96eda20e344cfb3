"""The organization supply projection against a plain-Python reading of the same quads,
on a synthetic graph of the national mix (benchmarks/generate.py), loaded twice into two
graphs so that every tie is repeated (the union of graphs must count it once)."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest
from rdflib import URIRef

from tieskg.graph import networks
from tieskg.graph.store import OxigraphStore
from tieskg.ontology import ontology_path

GENERATOR = Path(__file__).resolve().parent.parent / "benchmarks" / "generate.py"
TK = "https://w3id.org/tieskg/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    spec = importlib.util.spec_from_file_location("tieskg_benchmark_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    path = tmp_path_factory.mktemp("scale") / "national.nq"
    generator.generate(path, None, 11, log=None, organizations=300, ties_per_organization=4,
                       observations_per_organization=0)
    store = OxigraphStore.in_memory()
    store.load(ontology_path().read_bytes(), format=ox.RdfFormat.TURTLE,
               graph=URIRef("urn:g:ontology"))
    store.bulk_load(path, format=ox.RdfFormat.N_QUADS)
    # The same quads again in another graph: every triple twice in the union.
    copy = path.with_name("copy.nq")
    graph = "<https://w3id.org/tieskg/graph/illustrative/benchmark-11>"
    copy.write_text(path.read_text(encoding="utf-8").replace(graph, "<urn:g:copy>"),
                    encoding="utf-8")
    store.bulk_load(copy, format=ox.RdfFormat.N_QUADS)
    assert store.graph_counts()["urn:g:copy"] > 10_000
    return store


def reference(store: OxigraphStore) -> nx.DiGraph:
    """The supply network read straight from the quads, without SPARQL."""
    values: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    languages: dict[tuple[str, str], set[str]] = defaultdict(set)
    for quad in store.quads():
        subject, predicate, obj = quad.subject.value, quad.predicate.value, quad.object
        values[subject][predicate].add(obj.value)
        if predicate == SKOS + "prefLabel" and isinstance(obj, ox.Literal) and obj.language:
            languages[(subject, obj.language)].add(obj.value)
    graph = nx.DiGraph()
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for subject, properties in values.items():
        if TK + "SupplyTie" in properties.get(TYPE, ()):
            for supplier in properties.get(TK + "supplier", ()):
                for customer in properties.get(TK + "customer", ()):
                    pairs[(supplier, customer)].add(subject)
    for (supplier, customer), ties in pairs.items():
        graph.add_edge(supplier, customer, weight=len(ties), tie=min(ties))
    for node in graph:
        first = {name: min(values[node][TK + name]) for name in ("creditCode", "locatedIn",
                                                               "industry")
                 if values[node].get(TK + name)}
        en = min(languages[(node, "en")], default=None)
        zh = min(languages[(node, "zh")], default=None)
        graph.nodes[node].update(networks._node_attributes(
            node, "organization", en, zh, first.get("creditCode"),
            region=first.get("locatedIn"), industry=first.get("industry")))
    return graph


def test_org_supply_equals_the_reference(store: OxigraphStore) -> None:
    projected, expected = networks.org_supply(store), reference(store)
    assert projected.number_of_edges() == expected.number_of_edges() > 1000
    assert sum(w for *_, w in projected.edges(data="weight")) == 1200   # each tie once
    assert dict(projected.nodes(data=True)) == dict(expected.nodes(data=True))
    assert sorted(projected.edges(data=True)) == sorted(expected.edges(data=True))


def test_org_supply_without_example_ties_differs_only_by_them(store: OxigraphStore) -> None:
    full = networks.org_supply(store)
    pairs = networks.org_supply(store, example_ties=False)
    assert dict(pairs.nodes(data=True)) == dict(full.nodes(data=True))
    assert sorted(pairs.edges(data=True)) == sorted(
        (u, v, {k: x for k, x in data.items() if k != "tie"})
        for u, v, data in full.edges(data=True))
    assert not any("tie" in data for *_, data in pairs.edges(data=True))
