#!/usr/bin/env python3
"""networkx backends against plain networkx on the organization supply network.

    nice python benchmarks/backends.py --store /tmp/national/store --sample 20

Projects the supply network from an on-disk store (``tieskg build``, or a bulk-loaded
store as ``analytics.py --keep-store`` leaves), then times, each on the same graph and
in the same run:

- betweenness from ``--sample`` sampled sources (the ``chokepoints`` analysis): plain
  networkx, then nx-parallel (``backend="parallel"``, ``--jobs`` processes);
- PageRank and the organizations downstream of the busiest one (``descendants``):
  plain networkx, then graphblas-algorithms (``backend="graphblas"``, conversion of
  the graph included, as a caller would pay it).

Louvain communities, articulation points and bridges have no implementation in either
backend (checked from their ``networkx.backend_info``), so they are not compared.
A backend that is not installed is reported and skipped. Results of the two sides are
compared (the same sampled sources, so betweenness must agree to rounding).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
from analytics import timed as analytics_timed

from tieskg.graph import networks
from tieskg.graph.store import OxigraphStore


def timed(results: dict[str, Any], name: str, work: Callable[[], Any]) -> Any:
    """``analytics.timed`` with this script's wider names."""
    return analytics_timed(results, name, work, width=60)


def installed() -> dict[str, set[str]]:
    """Installed networkx backends and the functions each implements."""
    found = {}
    for entry in entry_points(group="networkx.backend_info"):
        found[entry.name] = set(entry.load()().get("functions", {}))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="an on-disk store")
    parser.add_argument("--sample", type=int, default=20,
                        help="sources sampled for betweenness (default 20)")
    parser.add_argument("--jobs", type=int, default=-1,
                        help="nx-parallel's processes (joblib's n_jobs; default -1: all cores)")
    parser.add_argument("--example-ties", action="store_true",
                        help="project with an example tie per edge (the default projection; "
                        "without: org_supply(example_ties=False), as analyses need it)")
    parser.add_argument("--projection-only", action="store_true")
    parser.add_argument("--cache", type=Path, metavar="FILE",
                        help="keep the projected network in this pickle and reuse it "
                        "(to compare backends in other environments without projecting again)")
    parser.add_argument("--only", choices=("betweenness", "graphblas"),
                        help="run only the betweenness or only the graphblas comparisons")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    backends = installed()
    print("backends: " + (", ".join(f"{name} ({len(functions)} functions)"
                                    for name, functions in backends.items()) or "none"))
    results: dict[str, Any] = {"sample": args.sample}
    if args.cache is not None and args.cache.exists():
        supply = pickle.loads(args.cache.read_bytes())
        print(f"network read from {args.cache}")
    else:
        store = OxigraphStore(ox.Store.read_only(str(args.store)), args.store)
        supply = timed(results, "projection org-supply" + (
            "" if args.example_ties else " (example_ties=False)"),
            lambda: networks.org_supply(store, example_ties=args.example_ties))
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps(supply, protocol=pickle.HIGHEST_PROTOCOL))
    results["nodes"], results["edges"] = supply.number_of_nodes(), supply.number_of_edges()
    results["ties"] = sum(w for *_, w in supply.edges(data="weight"))
    print(f"  {results['nodes']:,} nodes, {results['edges']:,} edges, {results['ties']:,} ties")
    if args.projection_only:
        return finish(args, results)

    def betweenness(backend: str | None) -> dict[str, float]:
        if backend is None:
            return nx.betweenness_centrality(supply, k=args.sample, seed=1)
        from joblib import parallel_config  # nx-parallel's jobs come from joblib's config

        with parallel_config(n_jobs=args.jobs):
            return nx.betweenness_centrality(supply, k=args.sample, seed=1, backend=backend)

    if args.only != "graphblas":
        plain = timed(results, f"betweenness k={args.sample}: networkx",
                      lambda: betweenness(None))
        if "betweenness_centrality" in backends.get("parallel", set()):
            try:
                parallel = timed(results, f"betweenness k={args.sample}: nx-parallel",
                                 lambda: betweenness("parallel"))
            except ImportError as error:   # nx-parallel 0.3 with networkx 3.6
                results["nx-parallel failed"] = str(error)
                print(f"  nx-parallel failed: {error}")
            else:
                results["betweenness max abs difference"] = max(
                    abs(plain[n] - parallel[n]) for n in plain)
                print(f"  largest difference {results['betweenness max abs difference']:.2e}")
    if args.only == "betweenness":
        return finish(args, results)

    hub = max(supply, key=supply.out_degree)
    # networkx's own pagerank needs SciPy (not a tieskg dependency): its pure-Python
    # version is the baseline when SciPy is missing.
    try:
        import scipy  # noqa: F401

        plain_pagerank, label = nx.pagerank, "pagerank: networkx (SciPy)"
    except ImportError:
        from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python

        plain_pagerank, label = _pagerank_python, "pagerank: networkx (pure Python)"
    rank = timed(results, label, lambda: plain_pagerank(supply))
    below = timed(results, "descendants of the busiest supplier: networkx",
                  lambda: nx.descendants(supply, hub))
    if "graphblas" in backends:
        rank_gb = timed(results, "pagerank: graphblas-algorithms",
                        lambda: nx.pagerank(supply, backend="graphblas"))
        results["pagerank max abs difference"] = max(abs(rank[n] - rank_gb[n]) for n in rank)
        below_gb = timed(results, "descendants of the busiest supplier: graphblas-algorithms",
                         lambda: nx.descendants(supply, hub, backend="graphblas"))
        results["descendants agree"] = set(below) == set(below_gb)
        print(f"  pagerank largest difference {results['pagerank max abs difference']:.2e}; "
              f"descendants agree: {results['descendants agree']}")
    for name in ("parallel", "graphblas"):
        if name not in backends:
            print(f"backend {name} not installed: skipped")
    return finish(args, results)


def finish(args: argparse.Namespace, results: dict[str, Any]) -> int:
    """Write the figures to --json."""
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
