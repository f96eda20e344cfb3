"""The graph sizes the build records in the statistics graph (void:triples)."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from tieskg.graph.statistics import record_graph_sizes
from tieskg.graph.store import OxigraphStore
from tieskg.namespaces import STATISTICS_GRAPH, TKSYN


def recorded(store: OxigraphStore) -> dict[str, int]:
    rows = store.select("""
        PREFIX void: <http://rdfs.org/ns/void#>
        SELECT ?stats ?g ?n WHERE { GRAPH ?stats { ?g void:triples ?n } }""",
                        bindings={"stats": STATISTICS_GRAPH}).rows
    return {str(g): int(n) for _stats, g, n in rows}


def test_recorded_sizes_are_the_counted_ones(case_store):
    counts = case_store.graph_counts()
    assert recorded(case_store) == {g: n for g, n in counts.items()
                                    if g != str(STATISTICS_GRAPH)}
    # every graph once, plus the statistics graph's type and description
    assert counts[str(STATISTICS_GRAPH)] == len(counts) - 1 + 2


def test_recording_again_replaces_the_old_figures():
    store = OxigraphStore.in_memory()
    graph = URIRef(f"{TKSYN}graph/a")
    triple = (URIRef(f"{TKSYN}s"), URIRef(f"{TKSYN}p"))
    store.replace_graph(graph, [(*triple, Literal(1), graph)])
    assert record_graph_sizes(store) == {str(graph): 1, str(STATISTICS_GRAPH): 3}
    store.replace_graph(graph, [(*triple, Literal(n), graph) for n in range(5)])
    sizes = record_graph_sizes(store)
    assert sizes == {str(graph): 5, str(STATISTICS_GRAPH): 3}
    assert recorded(store) == {str(graph): 5}
    assert sizes == store.graph_counts()
    value = store.select("SELECT ?n WHERE { ?g <http://rdfs.org/ns/void#triples> ?n }").rows
    assert value == [(Literal(5, datatype=XSD.integer),)]
