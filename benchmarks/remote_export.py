#!/usr/bin/env python3
"""Whole-store export from a SPARQL server: Graph Store Protocol GET per graph against
paging through every quad with SELECT queries, and the embedded store as the baseline.

    python benchmarks/remote_export.py [--store PATH] [--page-size 5000] [--json FILE]

Takes a built store (``--store``; default: builds the built-in datasets into a temporary
folder with ``tieskg build``), pushes it into ``oxigraph serve`` (PyPI package
``oxigraph``) on 127.0.0.1, and times ``SparqlEndpointStore.dump`` in TriG (graphs kept)
and Turtle (the union of the graphs):

- paging: no graph store endpoint, every graph read with ordered SELECT pages (the way
  before this change);
- Graph Store Protocol: one GET per named graph (N-Triples), checked against the
  server's triple count of the graph;
- baseline: the embedded store's own ``dump`` of the same store.

Each export is checked to hold as many triples (TriG: quads) as the embedded one.
Ratios are to the embedded baseline (above 1: slower).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
from oxigraph_server import start_server

from tieskg.graph.push import push
from tieskg.graph.remote_store import Endpoint, SparqlEndpointStore
from tieskg.graph.store import OxigraphStore


def _size(data: bytes, format: ox.RdfFormat) -> int:
    return sum(1 for _ in ox.parse(data, format=format))


def _timed(store, format: ox.RdfFormat) -> tuple[float, bytes]:
    out = io.BytesIO()
    started = time.perf_counter()
    store.dump(out, format=format)
    return time.perf_counter() - started, out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a built store (default: build one)")
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tieskg-export-bench-") as tmp:
        folder = Path(tmp)
        path = args.store
        if path is None:
            path = folder / "store"
            subprocess.run([sys.executable, "-m", "tieskg.cli", "--store", str(path),
                            "build"], check=True, stdout=subprocess.DEVNULL)
        local = OxigraphStore.open(path)
        counts = local.graph_counts()
        process, base = start_server(folder / "server")
        figures: dict[str, float] = {}
        try:
            endpoint = Endpoint(f"{base}/query", update=f"{base}/update",
                                graph_store=f"{base}/store", page_size=args.page_size,
                                timeout=600)
            push(local, SparqlEndpointStore(endpoint), chunk=20000)
            paging = SparqlEndpointStore(Endpoint(endpoint.query, page_size=args.page_size,
                                                  timeout=600))
            gsp = SparqlEndpointStore(endpoint)
            for label, format in (("TriG", ox.RdfFormat.TRIG), ("Turtle", ox.RdfFormat.TURTLE)):
                seconds, data = _timed(local, format)
                expected = _size(data, format)
                figures[f"{label}: baseline, embedded dump"] = seconds
                for name, store in (("paging", paging), ("Graph Store Protocol", gsp)):
                    seconds, data = _timed(store, format)
                    got = _size(data, format)
                    assert got == expected, f"{label} {name}: {got} statements, not {expected}"
                    figures[f"{label}: {name}"] = seconds
        finally:
            process.terminate()
            process.wait()
    triples = sum(counts.values())
    print(f"{triples:,} triples in {len(counts)} named graphs; page size {args.page_size}")
    print(f"{'export':40} {'seconds':>8} {'/ embedded':>10} {'/ paging':>9}")
    for name, seconds in figures.items():
        label = name.split(":")[0]
        embedded = figures[f"{label}: baseline, embedded dump"]
        paged = figures[f"{label}: paging"]
        print(f"{name:40} {seconds:8.2f} {seconds / embedded:10.1f} {seconds / paged:9.2f}")
    if args.json:
        args.json.write_text(json.dumps({"triples": triples, "graphs": len(counts),
                                         "seconds": figures}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
