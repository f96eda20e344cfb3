#!/usr/bin/env python3
"""The networks the build saves beside the store: what saving costs, what reading saves.

    nice python benchmarks/saved_networks.py --data /tmp/netsave/national.nq \
        --store /tmp/netsave/national-store --queried org-supply

Fills an on-disk store from ``--data`` the way ``tieskg build`` stages a large input
(``populate``: bulk load, compaction, derivation, graph sizes; no validation), unless
``--store`` already holds one (then it is reused), and then times, in the same run:

- saving: :func:`tieskg.graph.saved_networks.write_saved_networks` into the store's
  folder, as the build does (there in a thread alongside the validation): each network
  projected by querying and written;
- reading: ``networks.project(store, name)`` for each network, from the saved file;
- baseline: ``networks.queried(store, name)`` for the networks named by ``--queried``
  (projection by querying, as without the saved file), and whether its graph is the
  saved one (a digest of every node, tie and attribute with its type, in order: one big
  graph in memory at a time).

Prints the ratio queried / saved for each baseline, and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
from analytics import timed as analytics_timed

from tieskg.graph import networks
from tieskg.graph.build import populate
from tieskg.graph.saved_networks import SavedNetwork, write_saved_networks
from tieskg.graph.store import SAVED_NETWORKS, OxigraphStore


def timed(results: dict[str, Any], name: str, work) -> Any:
    """``analytics.timed`` with this script's wider names."""
    return analytics_timed(results, name, work, width=48)


def digest(graph: nx.Graph) -> str:
    """SHA-256 of the graph: class, graph attributes, nodes and ties in order, every
    attribute with its type and in its order."""
    sha = hashlib.sha256(type(graph).__name__.encode())

    def add(value: Any) -> None:
        sha.update(repr([(k, type(v).__name__, v) for k, v in value.items()]
                        if isinstance(value, dict) else (type(value).__name__, value)).encode())

    add(graph.graph)
    for node, data in graph.nodes(data=True):
        add(node)
        add(data)
    ties = (graph.edges(keys=True, data=True) if graph.is_multigraph()
            else graph.edges(data=True))
    for *ends, data in ties:
        for end in ends:
            add(end)
        add(data)
    return sha.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="N-Quads to fill a new --store from")
    parser.add_argument("--store", type=Path, required=True,
                        help="on-disk store folder (filled from --data if absent)")
    parser.add_argument("--queried", nargs="*", choices=networks.NETWORKS,
                        default=["org-supply"], help="networks also projected by querying")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict[str, Any] = {"store": str(args.store)}
    if not args.store.exists():
        if args.data is None:
            parser.error("--store does not exist: give --data to fill it")
        store = OxigraphStore.create(args.store)
        timed(results, "populate (bulk load, compact, derive)",
              lambda: populate(store, [], rdf_files=[args.data]))
        store.flush()
        del store
    store = OxigraphStore(ox.Store.read_only(str(args.store)), args.store)
    (args.store / SAVED_NETWORKS).unlink(missing_ok=True)

    def done(network: SavedNetwork) -> None:
        results[f"save {network.name}"] = round(network.seconds, 3)
        results[f"{network.name} nodes"], results[f"{network.name} ties"] = (
            network.nodes, network.ties)
        print(f"  {network.name:<16} {network.nodes:>9,} nodes {network.ties:>10,} ties "
              f"{network.seconds:9.2f} s", flush=True)

    timed(results, "save: project by querying and write, all four",
          lambda: write_saved_networks(store, args.store / SAVED_NETWORKS, done=done))
    results["file MB"] = round((args.store / SAVED_NETWORKS).stat().st_size / 2**20, 1)
    print(f"  {SAVED_NETWORKS}: {results['file MB']:,} MB")
    digests = {}
    for name in networks.NETWORKS:
        graph = timed(results, f"read saved {name}", lambda name=name: networks.project(
            store, name))
        digests[name] = digest(graph)
        del graph
    for name in args.queried:
        graph = timed(results, f"baseline: queried {name}",
                      lambda name=name: networks.queried(store, name))
        same = digest(graph) == digests[name]
        del graph
        results[f"queried {name} is the saved one"] = same
        ratio = results[f"baseline: queried {name}"] / results[f"read saved {name}"]
        print(f"  queried / saved {name}: {ratio:.1f}; the same graph: {same}")
    results["peak RSS MB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(f"peak RSS {results['peak RSS MB']:,} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
