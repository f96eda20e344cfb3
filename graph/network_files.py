"""Networks to files: GraphML, GEXF (Gephi) and networkx node-link JSON, written
atomically. Node and tie attributes carry labels and IRIs, so that what Gephi shows
maps back to the graph.

>>> import networkx as nx, tempfile, pathlib
>>> g = nx.DiGraph(network="org-supply")
>>> g.add_edge("urn:a", "urn:b", weight=2)
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_network(g, folder / "n.json", "json")
>>> json.loads((folder / "n.json").read_text())["links"]
[{'weight': 2, 'source': 'urn:a', 'target': 'urn:b'}]
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

from tieskg.graph.export import write_atomically
from tieskg.graph.networks import ordered

__all__ = ["FORMATS", "ordered", "write_network"]

FORMATS = ("graphml", "gexf", "json")


def write_network(graph: nx.Graph, output: Path, fmt: str) -> None:
    """Write ``graph`` to ``output`` as ``fmt`` (one of :data:`FORMATS`), nodes and ties
    in sorted order."""
    graph = ordered(graph)
    if fmt == "graphml":
        write_atomically(output, lambda out: nx.write_graphml(graph, out))
    elif fmt == "gexf":
        write_atomically(output, lambda out: nx.write_gexf(graph, out))
    elif fmt == "json":
        data = nx.node_link_data(graph, edges="links")
        text = json.dumps(data, ensure_ascii=False).encode("utf-8")
        write_atomically(output, lambda out: out.write(text))
    else:
        raise ValueError(f"unknown network format {fmt!r}; one of {', '.join(FORMATS)}")
