#!/usr/bin/env python3
"""Push throughput: `tieskg push` into Oxigraph's SPARQL server, against baselines.

    python benchmarks/push.py --triples 200000 [--seed 1] [--json FILE]

Generates a synthetic graph (benchmarks/generate.py), bulk-loads it into an embedded
store, starts ``oxigraph serve`` (PyPI package ``oxigraph``) on 127.0.0.1, and times:

- push with the Graph Store Protocol (POST of 20,000-triple N-Triples chunks);
- push with SPARQL INSERT DATA (2,000-triple chunks);
- baseline, server: the same graph POSTed to the server's Graph Store endpoint in a
  single request (the server's own ingest rate: the ceiling for a chunked push);
- baseline, embedded: the same N-Triples loaded into a fresh embedded store in one
  transaction (``Store.load``).

Each push is followed by the per-graph count check (included in its time, as in the
CLI). Ratios are ours / baseline (above 1: slower than the baseline).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
from oxigraph_server import start_server
from rdflib import URIRef

from tieskg.graph.push import push
from tieskg.graph.remote_store import Endpoint, SparqlEndpointStore
from tieskg.graph.store import OxigraphStore

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tieskg-push-bench-") as tmp:
        folder = Path(tmp)
        data = folder / "data.nq"
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--triples",
                        str(args.triples), "--seed", str(args.seed), "-o", str(data)],
                       check=True)
        source = OxigraphStore.create(folder / "source")
        source.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        counts = source.graph_counts()
        graph = next(iter(counts))
        triples = counts[graph]
        ntriples = folder / "data.nt"
        with ntriples.open("wb") as out:
            source.dump(out, format=ox.RdfFormat.N_TRIPLES, graph=URIRef(graph))
        process, base = start_server(folder / "server")
        figures: dict[str, float] = {}
        try:
            endpoint = Endpoint(f"{base}/query", update=f"{base}/update",
                                graph_store=f"{base}/store")
            for name, chosen, chunk in (("push, Graph Store Protocol", endpoint, 20000),
                                        ("push, INSERT DATA", Endpoint(
                                            endpoint.query, update=endpoint.update), 2000)):
                target = SparqlEndpointStore(chosen)
                started = time.perf_counter()
                report = push(source, target, chunk=chunk)
                figures[name] = time.perf_counter() - started
                assert not report.differences, report.differences
            client = httpx.Client(timeout=600)
            client.post(f"{base}/update", data={"update": f"DROP GRAPH <{graph}>"})
            started = time.perf_counter()
            client.post(f"{base}/store", params={"graph": graph}, content=ntriples.read_bytes(),
                        headers={"Content-Type": "application/n-triples"}).raise_for_status()
            figures["baseline: one POST of the whole graph"] = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait()
        embedded = OxigraphStore.create(folder / "embedded")
        started = time.perf_counter()
        embedded.load(ntriples.read_bytes(), format=ox.RdfFormat.N_TRIPLES, graph=URIRef(graph))
        embedded.flush()
        figures["baseline: embedded Store.load"] = time.perf_counter() - started
    print(f"{triples:,} triples in one graph (synthetic, seed {args.seed})")
    server_baseline = figures["baseline: one POST of the whole graph"]
    embedded_baseline = figures["baseline: embedded Store.load"]
    print(f"{'step':42} {'seconds':>8} {'triples/s':>10} {'/ POST':>7} {'/ embedded':>10}")
    for name, seconds in figures.items():
        print(f"{name:42} {seconds:8.2f} {triples / seconds:10,.0f} "
              f"{seconds / server_baseline:7.2f} {seconds / embedded_baseline:10.2f}")
    if args.json:
        args.json.write_text(json.dumps({"triples": triples, "seconds": figures}, indent=2),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
