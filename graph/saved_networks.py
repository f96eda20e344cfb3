"""The projected networks kept beside the embedded store, so that analyses need not query.

Projecting the organization supply network from an on-disk store of national size takes
minutes (every IRI of a result is read back from the store's string table); reading it
from a file takes seconds. The build therefore projects the four networks of
:mod:`tieskg.graph.networks` (:func:`~tieskg.graph.networks.queried`, default arguments)
and writes them, into the store's folder, as one SQLite database (Python's own
``sqlite3``; no pickle, so the file is safe to read):

- ``meta``: the format, and the fingerprint of the code that projected (the sources of
  the projections and their queries): a store built by another version of that code
  has no saved networks as far as this one is concerned;
- ``networks``: per network its graph class, graph attributes (JSON), attribute names
  of nodes and of ties (JSON lists, in order) and the number of nodes and ties;
- per network a table of nodes (``nodes:NAME``: node, then one column per attribute)
  and one of ties (``ties:NAME``: source, target, key, then one column per attribute),
  in the order of the projected graph (rowid order). Columns have no declared type,
  so SQLite keeps each value as given (int, float or str); NULL is an absent attribute.

:func:`read_saved_network` rebuilds a graph equal to the projection in every node, tie,
key, attribute (value and type, and the order of each attribute dict) and graph
attribute, and in the order of nodes and of each node's neighbours (the projections
insert nodes and ties in sorted order, which adding them back in that order repeats).

A saved network that cannot be read (a truncated or otherwise corrupt file, counts that
disagree with the rows) is no saved network: :func:`read_saved_network` returns ``None``
and the caller projects by querying, which gives the same graph, only slower. The file
describes the store as built: opening the store for writing
(:meth:`~tieskg.graph.store.OxigraphStore.open` with ``read_only=False``) deletes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from itertools import pairwise
from pathlib import Path
from typing import Any

import networkx as nx

from tieskg.graph import networks
from tieskg.graph.store import SAVED_NETWORKS, Store

__all__ = ["SavedNetwork", "fingerprint", "read_saved_network", "write_saved_networks"]

#: Version of the file's layout (part of the fingerprint).
FORMAT = 1
_CLASSES: dict[str, type[nx.Graph]] = {
    cls.__name__: cls for cls in (nx.Graph, nx.DiGraph, nx.MultiGraph, nx.MultiDiGraph)}
_VALUE_TYPES = (int, float, str)
_BATCH = 20_000


@dataclass(frozen=True)
class SavedNetwork:
    """What :func:`write_saved_networks` wrote of one network."""

    name: str
    nodes: int
    ties: int
    #: Seconds to project it (querying) and to write it.
    seconds: float


@cache
def fingerprint() -> str:
    """SHA-256 of the code that projects the networks and of this file's layout: the
    sources of :mod:`tieskg.graph.networks` and of its ``network-*`` queries."""
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    digest.update(Path(networks.__file__).read_bytes())
    queries = files("tieskg.graph") / "sparql"
    for entry in sorted(queries.iterdir(), key=lambda e: e.name):
        if entry.name.startswith("network-") and entry.name.endswith(".rq"):
            digest.update(entry.name.encode() + b"\n" + entry.read_bytes())
    return digest.hexdigest()


def write_saved_networks(store: Store, target: Path, *,
                         done: Callable[[SavedNetwork], None] | None = None
                         ) -> list[SavedNetwork]:
    """Project every network of ``store`` (by querying) and write them to the file
    ``target`` (a store's is :data:`~tieskg.graph.store.SAVED_NETWORKS` in its folder),
    one network at a time; ``done`` is called after each. Written to a temporary file,
    then renamed."""
    target = Path(target)
    partial = target.with_name(f"{target.name}.partial")
    partial.unlink(missing_ok=True)
    saved: list[SavedNetwork] = []
    try:
        with sqlite3.connect(partial) as db:
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
            db.executemany("INSERT INTO meta VALUES (?, ?)",
                           [("format", str(FORMAT)), ("fingerprint", fingerprint())])
            db.execute("CREATE TABLE networks (name TEXT PRIMARY KEY, class TEXT, graph TEXT, "
                       "node_columns TEXT, tie_columns TEXT, nodes INTEGER, ties INTEGER)")
            for name in networks.NETWORKS:
                started = time.perf_counter()
                graph = networks.queried(store, name)
                _write(db, name, graph)
                db.commit()
                saved.append(SavedNetwork(name, graph.number_of_nodes(),
                                          graph.number_of_edges(),
                                          time.perf_counter() - started))
                del graph
                if done is not None:
                    done(saved[-1])
        db.close()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return saved


def _write(db: sqlite3.Connection, name: str, graph: nx.Graph) -> None:
    node_columns = _columns(data for _, data in graph.nodes(data=True))
    tie_columns = _columns(data for *_, data in graph.edges(data=True))
    db.execute("INSERT INTO networks VALUES (?, ?, ?, ?, ?, ?, ?)", (
        name, type(graph).__name__, json.dumps(_checked(graph.graph), ensure_ascii=False),
        json.dumps(node_columns), json.dumps(tie_columns), graph.number_of_nodes(),
        graph.number_of_edges()))
    nodes, ties = _tables(name)
    columns = ", ".join(f"c{i}" for i in range(len(node_columns)))
    db.execute(f"CREATE TABLE {nodes} (node{', ' if columns else ''}{columns})")
    db.executemany(f"INSERT INTO {nodes} VALUES ({', '.join('?' * (1 + len(node_columns)))})",
                   ((_key(node), *_row(data, node_columns))
                    for node, data in graph.nodes(data=True)))
    columns = ", ".join(f"c{i}" for i in range(len(tie_columns)))
    db.execute(f"CREATE TABLE {ties} (source, target, key{', ' if columns else ''}{columns})")
    edges = (graph.edges(keys=True, data=True) if graph.is_multigraph()
             else ((u, v, None, data) for u, v, data in graph.edges(data=True)))
    db.executemany(f"INSERT INTO {ties} VALUES ({', '.join('?' * (3 + len(tie_columns)))})",
                   ((_key(u), _key(v), None if key is None else _key(key),
                     *_row(data, tie_columns)) for u, v, key, data in edges))


def _tables(name: str) -> tuple[str, str]:
    """The quoted names of the node and tie tables of network ``name``."""
    return f'"nodes:{name}"', f'"ties:{name}"'


def _columns(dicts: Iterator[dict[str, Any]]) -> list[str]:
    """The attribute names of ``dicts`` in an order that keeps the order of every one of
    them (a node may have ``label_zh`` before ``code``, another only ``code``): a
    topological order of "comes before", names that first appear earlier first."""
    first: dict[str, int] = {}
    before = nx.DiGraph()
    for order in dict.fromkeys(tuple(data) for data in dicts):
        for name in order:
            first.setdefault(name, len(first))
        before.add_nodes_from(order)
        before.add_edges_from(pairwise(order))
    try:
        return list(nx.lexicographical_topological_sort(before, key=first.__getitem__))
    except nx.NetworkXUnfeasible as exc:
        raise ValueError("attributes come in contradictory orders") from exc


def _row(data: dict[str, Any], columns: list[str]) -> list[Any]:
    """The values of ``data`` by column (None for an absent one). Raises ``ValueError``
    for what the file could not give back as it is: a value that is not an int, a float
    or a str, or attributes in an order the columns do not keep."""
    if list(data) != [name for name in columns if name in data]:
        raise ValueError(f"attributes {list(data)} are not in the saved order {columns}")
    return [_checked_value(data[name]) if name in data else None for name in columns]


def _checked_value(value: Any) -> Any:
    if type(value) not in _VALUE_TYPES:
        raise ValueError(f"cannot save the attribute value {value!r}: only int, float, str")
    return value


def _checked(attributes: dict[str, Any]) -> dict[str, Any]:
    for value in attributes.values():
        _checked_value(value)
    return attributes


def _key(value: Any) -> Any:
    if type(value) not in (int, str):
        raise ValueError(f"cannot save the node or key {value!r}: only int, str")
    return value


def read_saved_network(folder: Path, name: str) -> nx.Graph | None:
    """Network ``name`` as saved in the store folder ``folder`` by the build; ``None``
    when there is none that this code can use: no file, another fingerprint, no such
    network, or a file that cannot be read (corrupt, truncated)."""
    path = Path(folder) / SAVED_NETWORKS
    if name not in networks.NETWORKS or not path.is_file():
        return None
    try:
        with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
            graph = _read(db, name)
        db.close()
    except (sqlite3.Error, ValueError, KeyError, TypeError):
        return None  # an unreadable file saves nothing: project by querying
    return graph


def _read(db: sqlite3.Connection, name: str) -> nx.Graph | None:
    meta = dict(db.execute("SELECT key, value FROM meta"))
    if meta.get("format") != str(FORMAT) or meta.get("fingerprint") != fingerprint():
        return None
    found = db.execute("SELECT class, graph, node_columns, tie_columns, nodes, ties "
                       "FROM networks WHERE name = ?", (name,)).fetchone()
    if found is None:
        return None
    cls, attributes, node_columns, tie_columns, node_count, tie_count = found
    graph = _CLASSES[cls](**json.loads(attributes))
    node_columns, tie_columns = json.loads(node_columns), json.loads(tie_columns)
    nodes, ties = _tables(name)
    graph.add_nodes_from((row[0], _attributes(node_columns, row[1:]))
                         for row in db.execute(f"SELECT * FROM {nodes} ORDER BY rowid"))
    rows = db.execute(f"SELECT * FROM {ties} ORDER BY rowid")
    if graph.is_multigraph():
        graph.add_edges_from((row[0], row[1], row[2], _attributes(tie_columns, row[3:]))
                             for row in rows)
    else:
        graph.add_edges_from((row[0], row[1], _attributes(tie_columns, row[3:]))
                             for row in rows)
    if (graph.number_of_nodes(), graph.number_of_edges()) != (node_count, tie_count):
        raise ValueError(f"the saved {name} network has lost nodes or ties")
    return graph


def _attributes(columns: list[str], values: tuple[Any, ...]) -> dict[str, Any]:
    return {column: value for column, value in zip(columns, values, strict=True)
            if value is not None}
