#!/usr/bin/env python3
"""Network projections and analyses on a synthetic graph: wall seconds of each step.

    python benchmarks/analytics.py --triples 5000000 --data-dir /tmp/bench --json out.json
    python benchmarks/analytics.py --organizations 400000 --supply-ties-per-organization 5 \
        --observations-per-organization 0 --data-dir /tmp/bench --keep-store /tmp/bench/national

Generates the graph with ``generate.py`` (kept in ``--data-dir`` for reuse), bulk loads
it with the ontology into an on-disk store (``--keep-store PATH``: kept there, and reused
by a later run with the same path instead of loading again; not derived: the roll-up rules are not
measured here, so the industry chain is computed from the supply ties), then times each
projection and each analysis. Baselines, measured in the same run:

- projection of the supply network against reading the same supply ties straight from
  Oxigraph's quad index into a bare networkx graph (no names, no query);
- betweenness estimated from ``--sample`` sources against the exact value on a
  ``--exact-nodes`` node part of the supply network (a breadth-first ball around its
  busiest organization): the time ratio and the measured error (largest absolute error
  of the normalized scores, and how many of the exact top 10 the estimate finds).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox

from tieskg.graph import networks
from tieskg.graph.analysis import chokepoints, communities, dependence, reach
from tieskg.graph.store import OxigraphStore
from tieskg.ontology import ontology_path

HERE = Path(__file__).resolve().parent
TK = "https://w3id.org/tieskg/ontology#"


def timed(results: dict[str, Any], name: str, work: Callable[[], Any], *,
          width: int = 52) -> Any:
    """Run ``work``, print (``name`` padded to ``width``) and record its wall seconds
    under ``name``."""
    started = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - started
    results[name] = round(seconds, 3)
    print(f"{name:<{width}} {seconds:9.2f} s", flush=True)
    return value


def baseline_supply(store: OxigraphStore) -> nx.DiGraph:
    """The bare supply network read from Oxigraph's indexes: supplier -> customer."""
    raw = store._store   # the baseline deliberately bypasses tieskg's Store interface
    supplier, customer = ox.NamedNode(TK + "supplier"), ox.NamedNode(TK + "customer")
    customers = {q.subject: q.object for q in raw.quads_for_pattern(None, customer, None)}
    graph = nx.DiGraph()
    for q in raw.quads_for_pattern(None, supplier, None):
        if q.subject in customers:
            graph.add_edge(q.object.value, customers[q.subject].value)
    return graph


def ball(graph: nx.DiGraph, size: int) -> nx.DiGraph:
    """About ``size`` nodes around the busiest node (breadth first, ignoring direction)."""
    start = max(graph, key=graph.degree)
    undirected = graph.to_undirected(as_view=True)
    kept = [start]
    for _, node in nx.bfs_edges(undirected, start):
        kept.append(node)
        if len(kept) >= size:
            break
    return graph.subgraph(kept).copy()


def betweenness_error(graph: nx.DiGraph, k: int, results: dict[str, Any]) -> None:
    k = min(k, graph.number_of_nodes())  # a small graph has fewer nodes than the sample
    exact = timed(results, f"betweenness exact ({graph.number_of_nodes():,} nodes)",
                  lambda: nx.betweenness_centrality(graph))
    sampled = timed(results, f"betweenness sampled k={k} (same nodes)",
                    lambda: nx.betweenness_centrality(graph, k=k, seed=1))
    top = set(sorted(exact, key=exact.get, reverse=True)[:10])
    found = set(sorted(sampled, key=sampled.get, reverse=True)[:10])
    error = max(abs(exact[n] - sampled[n]) for n in exact)
    results["betweenness max abs error"] = round(error, 6)
    results["betweenness top exact score"] = round(max(exact.values()), 6)
    results["betweenness top-10 overlap"] = len(top & found)
    print(f"  largest absolute error {error:.5f} (top exact score {max(exact.values()):.5f}); "
          f"top-10 overlap {len(top & found)}/10")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--organizations", type=int, metavar="N",
                        help="generate exactly N organizations instead of --triples")
    parser.add_argument("--supply-ties-per-organization", type=float, metavar="X")
    parser.add_argument("--observations-per-organization", type=float, metavar="Y")
    parser.add_argument("--keep-store", type=Path, metavar="PATH",
                        help="load into this store folder and keep it (reused if it exists)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--sample", type=int, default=300,
                        help="sources sampled for betweenness on the whole network")
    parser.add_argument("--exact-nodes", type=int, default=3000,
                        help="size of the part on which sampled betweenness is checked")
    parser.add_argument("--memory", action="store_true",
                        help="use an in-memory store instead of one on disk")
    parser.add_argument("--projections-only", action="store_true",
                        help="time the projections, not the analyses")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    size = ["--triples", str(args.triples)]
    name = f"{args.triples}"
    if args.organizations is not None:
        size = ["--organizations", str(args.organizations)]
        name = f"o{args.organizations}"
    for option, value in (("--supply-ties-per-organization", args.supply_ties_per_organization),
                          ("--observations-per-organization",
                           args.observations_per_organization)):
        if value is not None:
            size += [option, str(value)]
            name += f"-{option[2]}{value:g}"
    data = args.data_dir / f"analytics-{name}-{args.seed}.nq"
    reuse = args.keep_store is not None and args.keep_store.exists() and not args.memory
    if not data.exists() and not reuse:
        subprocess.run([sys.executable, str(HERE / "generate.py"), *size,
                        "--seed", str(args.seed), "-o", str(data)], check=True)
    results: dict[str, Any] = {"data": " ".join(size),
                               "store": "memory" if args.memory else "disk"}
    with tempfile.TemporaryDirectory(prefix="tieskg-analytics-", dir=args.data_dir) as tmp:
        kept = args.keep_store is not None and not args.memory
        if kept and args.keep_store.exists():
            store = OxigraphStore(ox.Store(str(args.keep_store)), args.keep_store)
        else:
            store = (OxigraphStore.in_memory() if args.memory
                     else OxigraphStore.create(args.keep_store if kept else Path(tmp) / "s"))

            def load() -> None:
                store.load(ontology_path().read_bytes(), format=ox.RdfFormat.TURTLE,
                           graph=ox_graph("ontology"))
                store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
                if not args.memory:
                    store.optimize()

            timed(results, "bulk load + ontology + compaction (setup)", load)
        supply = timed(results, "projection org-supply", lambda: networks.org_supply(store))
        bare = timed(results, "baseline: supply ties from quad index",
                     lambda: baseline_supply(store))
        results["organizations"] = supply.number_of_nodes()
        results["supply pairs"] = supply.number_of_edges()
        results["supply ties"] = sum(w for *_, w in supply.edges(data="weight"))
        assert bare.number_of_edges() == supply.number_of_edges()
        ties = timed(results, "projection region-ties", lambda: networks.region_ties(store))
        timed(results, "projection industry-chain (computed from supply ties)",
              lambda: networks.industry_chain(store))
        timed(results, "projection region-industry", lambda: networks.region_industry(store))
        print(f"  {results['organizations']:,} organizations, {results['supply ties']:,} supply "
              f"ties ({results['supply pairs']:,} pairs); regions in ties "
              f"{ties.number_of_nodes():,}")

        if args.projections_only:
            return finish(args, results)
        hub = max(supply, key=supply.degree)
        timed(results, "upstream depth 3 (busiest organization)",
              lambda: reach.reach(supply, hub, depth=3, direction="upstream"))
        timed(results, "downstream depth 3 (busiest organization)",
              lambda: reach.reach(supply, hub, depth=3, direction="downstream"))
        timed(results, "articulation points", lambda: chokepoints.articulation_points(supply))
        timed(results, "bridges", lambda: chokepoints.bridges(supply))
        timed(results, "single suppliers", lambda: chokepoints.single_suppliers(supply))
        timed(results, f"betweenness sampled k={args.sample} (whole network)",
              lambda: chokepoints.high_betweenness(supply, k=args.sample, seed=1))
        supply_ties = networks.of_kind(ties, "supply")
        busiest = max(supply_ties, key=lambda n: supply_ties.in_degree(n, weight="weight"))
        timed(results, "dependence (busiest region, supply)",
              lambda: dependence.dependence(ties, busiest, kind="supply"))
        found = timed(results, "communities (Louvain)", lambda: communities.communities(supply))
        results["communities"] = len(found.groups)
        results["modularity"] = round(found.modularity, 4)
        betweenness_error(ball(supply, args.exact_nodes), args.sample, results)
    return finish(args, results)


def finish(args: argparse.Namespace, results: dict[str, Any]) -> int:
    """Print the ratio to the baseline; write the figures to --json."""
    projection = results["projection org-supply"]
    baseline = results["baseline: supply ties from quad index"]
    print(f"projection org-supply / baseline: {projection / baseline:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


def ox_graph(name: str):
    from rdflib import URIRef

    return URIRef(f"https://w3id.org/tieskg/graph/{name}")


if __name__ == "__main__":
    sys.exit(main())
