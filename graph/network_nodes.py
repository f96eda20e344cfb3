"""Finding the node of a network a user means: an IRI, a prefixed name, a name in any
language, a code, or what the store's resolver makes of it (pinyin, credit codes, ...).

>>> import networkx as nx
>>> g = nx.DiGraph()
>>> g.add_node("https://w3id.org/tieskg/id/region/cn-330604", label="上虞区",
...            label_en="Shangyu District", label_zh="上虞区", code="330604")
>>> find_node(g, "shangyu district"), find_node(g, "330604") == find_node(g, "上虞区")
('https://w3id.org/tieskg/id/region/cn-330604', True)
>>> find_node(g, "tkid:region/cn-330604")
'https://w3id.org/tieskg/id/region/cn-330604'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import networkx as nx

from tieskg.errors import QueryError
from tieskg.namespaces import PREFIXES


class NodeNotFound(QueryError):
    """A node reference matches nothing in the network, or several things."""


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _expand(text: str) -> str:
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return text


def find_node(graph: nx.Graph, text: str, *,
              resolve: Callable[[str], str | None] | None = None,
              allow_absent: bool = False) -> str:
    """The node of ``graph`` that ``text`` means: its IRI (full or prefixed), or an exact
    name, English or Chinese name, or code of exactly one node (case, spaces and
    full-width forms do not matter). Failing that, ``resolve(text)`` (an IRI or None),
    such as the store's resolver. ``allow_absent`` returns a resolved IRI even when the
    network has no such node (it has no ties). :class:`NodeNotFound` otherwise."""
    iri = _expand(text.strip())
    if iri in graph:
        return iri
    wanted = _key(text)
    matches = sorted({node for node, data in graph.nodes(data=True)
                      if any(_key(str(data[name])) == wanted
                             for name in ("label", "label_en", "label_zh", "code")
                             if name in data)})
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        listing = "; ".join(f"{graph.nodes[m].get('label', m)} <{m}>" for m in matches[:5])
        raise NodeNotFound(f"{text!r} names {len(matches)} nodes of the "
                           f"{graph.graph.get('network', '')} network: {listing}; give an IRI")
    resolved = resolve(text) if resolve is not None else None
    if resolved is not None and (resolved in graph or allow_absent):
        return resolved
    network = graph.graph.get("network", "this")
    if resolved is not None:
        raise NodeNotFound(f"{text!r} (<{resolved}>) has no ties in the {network} network")
    raise NodeNotFound(f"{text!r} is no node of the {network} network: give an IRI, a "
                       "name or a code (`tieskg query find-by-name -p name=...` finds IRIs)")
