#!/usr/bin/env python3
"""Time SELECT queries on an on-disk store, every row read as tieskg reads it.

    nice python benchmarks/profile_queries.py /tmp/national/store benchmarks/sparql/profiling/*.rq

Opens the store read-only, runs each ``.rq`` file with the union of the named graphs as
the default graph (as :class:`tieskg.graph.store.OxigraphStore` does) and turns every term
into its lexical form (as ``Store.select_rows`` does), then prints rows and wall seconds.
The variants in ``benchmarks/sparql/profiling/`` are those of the issue-7 scale profiling (see
benchmarks/README.md); a query that runs too long can be stopped from outside
(``timeout 200 ...``), the figures printed before it stay valid.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from tieskg.namespaces import PREFIXES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path, help="an on-disk store folder")
    parser.add_argument("queries", type=Path, nargs="+", help=".rq files, run in this order")
    args = parser.parse_args(argv)
    store = ox.Store.read_only(str(args.store))
    for path in args.queries:
        started = time.perf_counter()
        rows = 0
        for solution in store.query(path.read_text(encoding="utf-8"), prefixes=PREFIXES,
                                    use_default_graph_as_union=True):
            tuple(None if term is None else term.value for term in solution)
            rows += 1
        print(f"{path.stem:<24} {rows:>10,} rows {time.perf_counter() - started:9.2f} s",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
