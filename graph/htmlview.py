"""A self-contained interactive HTML view of a small network: the data and a small
force-layout script (graph/assets/force-view.js, written for tieskg) inlined into one
file, so that it opens offline and fetches nothing.

>>> import networkx as nx
>>> g = nx.DiGraph()
>>> g.add_node("urn:a", label="甲", label_en="A")
>>> g.add_edge("urn:a", "urn:b", weight=2)
>>> page = view_html(g, centre="urn:a", title="A </script> test")
>>> "<script src" in page, "A &lt;/script&gt; test" in page, '"weight": 2' in page
(False, True, True)
"""

from __future__ import annotations

import html
import json
from importlib.resources import files
from pathlib import Path

import networkx as nx

from tieskg.graph.network_files import ordered
from tieskg.graph.pictures import KIND_COLOURS


def _asset(name: str) -> str:
    return (files("tieskg.graph") / "assets" / name).read_text(encoding="utf-8")


def view_data(graph: nx.Graph, *, centre: str | None = None) -> dict:
    """The nodes and links the page draws: labels (Chinese over English), IRIs, kinds
    and colours of ties, weights, and the ``layer`` of a supply neighbourhood; nodes and
    links in sorted order, whatever order the store gave them in."""
    graph = ordered(graph)
    nodes = []
    for node, data in graph.nodes(data=True):
        zh, en = data.get("label_zh"), data.get("label_en")
        item = {"id": node, "iri": data.get("iri", node),
                "label": zh or en or data.get("label", node), "sub": en if zh and en else "",
                "centre": node == centre}
        if "layer" in data:
            item["layer"] = data["layer"]
        nodes.append(item)
    links, kinds = [], {}
    edges = (graph.edges(keys=True, data=True) if graph.is_multigraph()
             else ((u, v, None, d) for u, v, d in graph.edges(data=True)))
    for u, v, key, data in edges:
        kind = data.get("kind", key) or ""
        colour = KIND_COLOURS.get(kind, "#0072B2")
        if kind:
            kinds[kind] = colour
        links.append({"source": u, "target": v, "weight": data.get("weight", 1),
                      "kind": kind, "colour": colour, "tie": data.get("tie", "")})
    return {"nodes": nodes, "links": links, "kinds": kinds}


def view_html(graph: nx.Graph, *, centre: str | None = None, title: str) -> str:
    """The whole page as text."""
    data = json.dumps(view_data(graph, centre=centre), ensure_ascii=False)
    # inside <script>, "</" would end the element: JSON allows "<\/" for it
    data = data.replace("</", "<\\/")
    return (_asset("view.html").replace("__TITLE__", html.escape(title))
            .replace("__SCRIPT__", _asset("force-view.js")).replace("__DATA__", data))


def write_view(graph: nx.Graph, output: Path, *, centre: str | None = None,
               title: str) -> None:
    """Write the page to ``output`` (atomically)."""
    from tieskg.graph.export import write_atomically

    page = view_html(graph, centre=centre, title=title).encode("utf-8")
    write_atomically(output, lambda out: out.write(page))
