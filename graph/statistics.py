"""Graph sizes recorded in the store (VoID), so that queries need not count triples.

Oxigraph keeps no count of a named graph's triples: counting one reads all of it (about
0.4 s per million triples on disk). The build therefore counts every graph once, after
loading and deriving, and records the figures as ``void:triples`` in the statistics graph
``tkg:statistics``, which says how the figures were made. Whatever replaces a graph
afterwards must record the sizes again.

>>> from rdflib import URIRef
>>> from tieskg.graph.store import OxigraphStore
>>> store = OxigraphStore.in_memory()
>>> g = URIRef("https://w3id.org/tieskg/graph/example")
>>> store.replace_graph(g, [(URIRef("urn:x:s"), URIRef("urn:x:p"), URIRef("urn:x:o"), g)])
>>> sizes = record_graph_sizes(store)
>>> sizes[str(g)], sizes[str(STATISTICS_GRAPH)]
(1, 3)
"""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from tieskg.graph.store import Store
from tieskg.namespaces import PROV, STATISTICS_GRAPH, VOID


def record_graph_sizes(store: Store) -> dict[str, int]:
    """Count the triples of every named graph and record the counts in the statistics
    graph (replacing what was there). Returns the counts, the statistics graph's own
    included, by graph IRI."""
    counts = {g: n for g, n in store.graph_counts().items() if g != str(STATISTICS_GRAPH)}
    quads = [
        (STATISTICS_GRAPH, RDF.type, PROV.Entity, STATISTICS_GRAPH),
        (STATISTICS_GRAPH, DCTERMS.description, Literal(
            "The number of triples in each named graph (void:triples), counted by tieskg "
            "when it built the store; this graph itself is not counted.", lang="en"),
         STATISTICS_GRAPH),
    ]
    quads += [(URIRef(g), VOID.triples, Literal(n, datatype=XSD.integer), STATISTICS_GRAPH)
              for g, n in counts.items()]
    store.replace_graph(STATISTICS_GRAPH, quads)
    counts[str(STATISTICS_GRAPH)] = len(quads)
    return dict(sorted(counts.items()))
