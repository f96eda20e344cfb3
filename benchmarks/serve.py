"""Requests per second and latency of library queries over HTTP (``tieskg serve``)
against the same queries run directly on the embedded store (the baseline).

The server runs as users run it (``tieskg serve`` in a subprocess, on 127.0.0.1, default
options); each query is asked for in SPARQL JSON. The baseline, in the same run and
process as the client, is ``run_query`` on the store opened read-only plus
``format_result(..., "json")``: the same work without HTTP, the worker hop and the
negotiation. Requests are sent one at a time (latency), then from as many client
threads as the server has workers (throughput). Ratios are HTTP/direct (above 1: HTTP
costs more). Loopback only; every loop is bounded by --requests.

    python benchmarks/serve.py [--store PATH] [--requests 200] [--json FILE]

Without --store, the default datasets are built into a temporary store first.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tieskg.graph.store import OxigraphStore
from tieskg.queries.runner import format_result, load_query, run_query

QUERIES = [("region-ties", {"region": "tkid:region/cn-330604"}),
           ("find-by-name", {"text": "Shangyu"}),
           ("region-targeted-industries", {})]
WORKERS = 2


def _summary(latencies: list[float], wall: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"requests_per_s": len(latencies) / wall,
            "p50_ms": 1000 * statistics.median(ordered),
            "p95_ms": 1000 * ordered[int(0.95 * (len(ordered) - 1))]}


def _direct(store: OxigraphStore, name: str, params: dict, n: int) -> dict[str, float]:
    query = load_query(name)
    latencies = []
    started = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        format_result(run_query(store, query, params), "json")
        latencies.append(time.perf_counter() - t)
    return _summary(latencies, time.perf_counter() - started)


def _http(base: str, name: str, params: dict, n: int, threads: int) -> dict[str, float]:
    url = f"{base}/queries/{name}"
    headers = {"Accept": "application/sparql-results+json"}
    clients = [httpx.Client(timeout=60) for _ in range(threads)]

    def one(i: int) -> float:
        t = time.perf_counter()
        response = clients[i % threads].get(url, params=params, headers=headers)
        response.raise_for_status()
        return time.perf_counter() - t

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        latencies = list(pool.map(one, range(n)))
    wall = time.perf_counter() - started
    for client in clients:
        client.close()
    return _summary(latencies, wall)


def _serve(store: Path, log: Path) -> tuple[subprocess.Popen, str]:
    output = log.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "tieskg.cli", "--store", str(store),
                                "serve", "--port", "0", "--workers", str(WORKERS)],
                               stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        match = re.search(r"at (http://127\.0\.0\.1:\d+)/", log.read_text())
        if match:
            return process, match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"tieskg serve did not start: {log.read_text()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="a built store (default: build one)")
    parser.add_argument("--requests", type=int, default=200, help="requests per measurement")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tieskg-bench-serve-") as tmp:
        store_path = args.store
        if store_path is None:
            from tieskg.graph.build import build

            store_path = Path(tmp) / "store"
            print("building the default datasets into a temporary store ...", flush=True)
            build(store_path)
        process, base = _serve(store_path, Path(tmp) / "serve.log")
        try:
            store = OxigraphStore.open(store_path)
            figures = {}
            for name, params in QUERIES:
                rows = len(run_query(store, load_query(name), params).rows)
                _direct(store, name, params, 5)  # warm up both sides
                _http(base, name, params, 5, 1)
                figures[name] = {
                    "rows": rows,
                    "direct": _direct(store, name, params, args.requests),
                    "http": _http(base, name, params, args.requests, 1),
                    f"http_{WORKERS}_clients": _http(base, name, params, args.requests,
                                                     WORKERS)}
        finally:
            process.terminate()
            process.wait(15)
    print(f"\n{'query':28} {'rows':>5} {'':18} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for name, result in figures.items():
        for kind in ("direct", "http", f"http_{WORKERS}_clients"):
            f = result[kind]
            print(f"{name:28} {result['rows']:>5} {kind:18} {f['requests_per_s']:>8.1f} "
                  f"{f['p50_ms']:>8.2f} {f['p95_ms']:>8.2f}")
        ratio = result["http"]["p50_ms"] / result["direct"]["p50_ms"]
        print(f"{'':28} {'':>5} {'p50 ratio http/direct':>27} {ratio:>17.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
