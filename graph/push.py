"""Push named graphs from the embedded store to a SPARQL server, then check the counts.

Each graph is dropped on the server and sent again as N-Triples in chunks (Graph Store
Protocol POST, or INSERT DATA), so a push is repeatable; afterwards the triples per
graph on the server are counted and compared with the local counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rdflib import URIRef

from tieskg.errors import StoreError
from tieskg.graph.remote_store import DEFAULT_CHUNK, SparqlEndpointStore, ntriples_chunks
from tieskg.graph.store import OxigraphStore
from tieskg.namespaces import TKG

#: ``progress(graph, triples sent in this graph, triples in it)``, after every chunk.
Progress = Callable[[str, int, int], None]


@dataclass
class PushReport:
    """What a push sent and how the server's counts compare with the local ones."""

    local: dict[str, int]
    remote: dict[str, int]
    sent: int
    seconds: float
    dropped: list[str] = field(default_factory=list)

    @property
    def differences(self) -> list[tuple[str, int, int]]:
        """(graph, local count, server count) for every graph whose counts differ."""
        return [(g, n, self.remote.get(g, 0)) for g, n in self.local.items()
                if self.remote.get(g, 0) != n]


def push(source: OxigraphStore, target: SparqlEndpointStore, *,
         graphs: Sequence[str] | None = None, chunk: int = DEFAULT_CHUNK,
         drop_stale: bool = False, progress: Progress | None = None) -> PushReport:
    """Send ``graphs`` (default: every named graph) of ``source`` to ``target``.

    With ``drop_stale``, tieskg graphs (``tkg:...``) on the server that ``source`` no
    longer has are dropped, so that the server holds what a build produced.
    """
    started = time.perf_counter()
    counts = source.graph_counts()
    chosen = list(graphs) if graphs else list(counts)
    missing = [g for g in chosen if g not in counts]
    if missing:
        raise StoreError(f"no graph {missing[0]} in the local store (see `tieskg info`)")
    local = {g: counts[g] for g in chosen}
    sent = 0
    for graph in chosen:
        target.drop_graph(graph)
        done = 0
        if progress:
            progress(graph, 0, local[graph])
        triples = (quad.triple for quad in source.quads(URIRef(graph)))
        for part in ntriples_chunks(triples, chunk):
            target.add_ntriples(graph, part.data)
            done += part.triples
            if progress:
                progress(graph, done, local[graph])
        sent += done
    dropped: list[str] = []
    if drop_stale and not graphs:
        on_server = target.graph_counts()
        dropped = [g for g in on_server if g.startswith(str(TKG)) and g not in local]
        for graph in dropped:
            target.drop_graph(graph)
    remote = {g: target.graph_count(g) for g in chosen}
    return PushReport(local, remote, sent, time.perf_counter() - started, dropped)
