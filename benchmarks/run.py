"""Measure tieskg's core steps on synthetic graphs, against baselines measured in the same run.

    python benchmarks/run.py --triples 100000 --triples 1000000 [--json results.json]

For each size it generates (or reuses) a synthetic graph with ``benchmarks/generate.py``,
then runs every step in a fresh subprocess, so that wall time and peak memory (maximum
resident set size) belong to that step alone:

- load: bulk load into the embedded Oxigraph store; baselines: rdflib's default store,
  and Oxigraph's own command-line loader (``oxigraph load``, Rust without Python: the
  ceiling of the store on this machine);
- build: ``tieskg build --dataset FILE`` end to end (load, derive, validate, persist);
- validate: SHACL validation of the built store; baseline: pySHACL (100k triples at most);
- queries: every library query five times on the built store (median and maximum);
  baseline: rdflib's SPARQL engine on the same quads (100k at most, 30 s cap per query);
- export: Turtle export of all graphs of the built store; baselines: rdflib's Turtle
  serializer on the same triples, and ``oxigraph dump`` of the store as N-Quads (the
  store's own, cheapest dump: the ceiling);
- memory: load, validation and export on Oxigraph's in-memory store instead, to show
  what the on-disk store (RocksDB) costs.

It prints a table with each figure and the ratio ours/baseline (below 1 is faster).
Nothing here is asserted: performance is measured, not tested.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE_QUERY_CAP_S = 30.0
#: Baselines that hold the graph as Python objects run up to these sizes.
RDFLIB_LOAD_MAX = 1_000_000
PYSHACL_MAX = 100_000
#: Steps that measure the store ``tieskg build`` made (in ``WORK/built``), and baselines
#: that read its quads (``WORK/BUILT_QUADS``), so that all compare the same data.
NEEDS_BUILT_STORE = {"validate", "queries", "export", "validate-pyshacl", "queries-rdflib",
                     "export-rdflib", "export-oxigraph"}
NEEDS_BUILT_QUADS = {"validate-pyshacl", "queries-rdflib", "export-rdflib"}
BUILT_QUADS = "built.nq"
RDFLIB_QUERY_MAX = 100_000


# -- steps (each runs in its own process) ---------------------------------------------
def step_load(data: Path, work: Path) -> dict:
    """Bulk load ``data`` into a new on-disk Oxigraph store, with ontology and vocabularies."""
    import pyoxigraph as ox

    from tieskg.graph.store import OxigraphStore
    from tieskg.namespaces import ONTOLOGY_GRAPH, VOCABULARIES_GRAPH
    from tieskg.ontology import ontology_path, vocabularies_path

    started = time.perf_counter()
    store = OxigraphStore.create(work / "store")
    store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    store.optimize()  # as the build does after bulk loads
    optimize_seconds = time.perf_counter() - started
    store.load(ontology_path().read_bytes(), format=ox.RdfFormat.TURTLE, graph=ONTOLOGY_GRAPH)
    store.load(vocabularies_path().read_bytes(), format=ox.RdfFormat.TURTLE,
               graph=VOCABULARIES_GRAPH)
    store.flush()
    (work / "store" / "tieskg-store.json").write_text("{}", encoding="utf-8")
    return {"seconds": seconds, "optimize_seconds": optimize_seconds,
            "triples": sum(store.graph_counts().values())}


def step_memory(data: Path, work: Path) -> dict:
    """For comparison: load, validate and export with Oxigraph's in-memory store (what
    the on-disk store costs; a store this size must fit in memory)."""
    import pyoxigraph as ox

    from tieskg.graph.build import populate
    from tieskg.graph.export import ExportFormat, export
    from tieskg.graph.store import OxigraphStore
    from tieskg.graph.validate import validate_store

    store = OxigraphStore.in_memory()
    started = time.perf_counter()
    store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
    load = time.perf_counter() - started
    populate(store, [])  # ontology, vocabularies, derived ties, as the build has them
    started = time.perf_counter()
    report = validate_store(store)
    validate = time.perf_counter() - started
    started = time.perf_counter()
    export(store, format=ExportFormat.TURTLE, output=work / "export-memory.ttl")
    return {"seconds": load, "validate_seconds": validate,
            "export_seconds": time.perf_counter() - started,
            "violations": len(report.violations),
            "triples": sum(store.graph_counts().values())}


def step_load_rdflib(data: Path, work: Path) -> dict:
    """Baseline: parse ``data`` into rdflib's default (in-memory) store."""
    import rdflib

    started = time.perf_counter()
    dataset = rdflib.Dataset()
    dataset.parse(str(data), format="nquads")
    return {"seconds": time.perf_counter() - started, "triples": len(dataset)}


def step_load_oxigraph(data: Path, work: Path) -> dict:
    """Ceiling: Oxigraph's command-line bulk loader (no Python) into a new on-disk store."""
    started = time.perf_counter()
    _oxigraph_cli("load", "--location", str(work / "store-cli"), "--file", str(data))
    return {"seconds": time.perf_counter() - started}


def step_export_oxigraph(data: Path, work: Path) -> dict:
    """Ceiling: ``oxigraph dump`` of the built store, every graph, as N-Quads."""
    started = time.perf_counter()
    _oxigraph_cli("dump", "--location", str(work / "built"), "--file",
                  str(work / "export-cli.nq"))
    seconds = time.perf_counter() - started
    with (work / "export-cli.nq").open("rb") as lines:
        quads = sum(1 for _ in lines)
    return {"seconds": seconds, "triples": quads}


def _oxigraph_cli(*arguments: str) -> None:
    """Run the ``oxigraph`` command installed beside this Python (the dev extra)."""
    command = Path(sys.executable).with_name("oxigraph")
    run = subprocess.run([str(command) if command.exists() else "oxigraph", *arguments],
                         capture_output=True, text=True)
    if run.returncode:
        raise SystemExit(f"oxigraph {arguments[0]} failed: {run.stderr[-500:]}")


def step_validate(data: Path, work: Path) -> dict:
    """SHACL validation of the loaded store, as `tieskg build` and `tieskg validate` do it."""
    from tieskg.graph.store import OxigraphStore
    from tieskg.graph.validate import validate_store

    store = OxigraphStore.open(work / "built")
    started = time.perf_counter()
    report = validate_store(store)
    return {"seconds": time.perf_counter() - started, "violations": len(report.violations)}


def step_validate_pyshacl(data: Path, work: Path) -> dict:
    """Baseline: pySHACL on the same data (through tieskg's pySHACL wrapper)."""
    import rdflib

    from tieskg.graph.validate import validate

    graph = rdflib.Graph()
    for s, p, o, _g in rdflib.Dataset().parse(str(work / BUILT_QUADS), format="nquads").quads():
        graph.add((s, p, o))
    started = time.perf_counter()
    report = validate(graph)
    return {"seconds": time.perf_counter() - started, "violations": len(report.violations)}


def step_queries(data: Path, work: Path) -> dict:
    """Every library query five times on the embedded store: median and maximum, in ms."""
    from tieskg.graph.store import OxigraphStore
    from tieskg.queries.runner import list_queries, run_query

    store = OxigraphStore.open(work / "built")
    values = _synthetic_parameters(store)

    def timed(query, given: dict[str, str], repeat: int) -> dict:
        runs, rows = [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            rows = len(run_query(store, query, given).rows)
            runs.append((time.perf_counter() - started) * 1000)
        return {"median_ms": statistics.median(runs), "max_ms": max(runs), "rows": rows}

    timings: dict[str, dict] = {}
    for query in list_queries():
        given = {p.name: values[p.name] for p in query.params if p.name in values}
        timings[query.name] = timed(query, given, 5)
        optional = {p.name for p in query.params if p.optional} & set(given)
        if optional:  # and the listing a query gives with its optional parameters unbound
            unbound = {name: value for name, value in given.items() if name not in optional}
            timings[query.name]["all_rows"] = timed(query, unbound, 3)
    return {"queries": timings}


def step_queries_rdflib(data: Path, work: Path) -> dict:
    """Baseline: the same queries, once each, with rdflib's SPARQL engine (capped)."""
    import multiprocessing

    from tieskg.queries.runner import list_queries

    timings: dict[str, dict] = {}
    for query in list_queries():
        with multiprocessing.get_context("fork").Pool(1) as pool:
            job = pool.apply_async(_rdflib_query, (str(data), query.name, work))
            try:
                timings[query.name] = {"ms": job.get(timeout=BASELINE_QUERY_CAP_S) * 1000}
            except multiprocessing.TimeoutError:
                timings[query.name] = {"ms": None, "capped_at_s": BASELINE_QUERY_CAP_S}
            except Exception as exc:  # rdflib's own bugs (e.g. RDFLib/rdflib#882)
                timings[query.name] = {"ms": None, "error": f"{type(exc).__name__}: {exc}"}
    return {"queries": timings}


def step_export(data: Path, work: Path) -> dict:
    """Turtle export of every graph (merged) to a file."""
    from tieskg.graph.export import ExportFormat, export
    from tieskg.graph.store import OxigraphStore

    store = OxigraphStore.open(work / "built")
    out = work / "export.ttl"
    started = time.perf_counter()
    export(store, format=ExportFormat.TURTLE, output=out)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "triples": sum(store.graph_counts().values()),
            "bytes": out.stat().st_size}


def step_export_rdflib(data: Path, work: Path) -> dict:
    """Baseline: rdflib's Turtle serializer on the same triples (parse time excluded)."""
    import rdflib

    graph = rdflib.Graph()
    for s, p, o, _g in rdflib.Dataset().parse(str(work / BUILT_QUADS), format="nquads").quads():
        graph.add((s, p, o))
    started = time.perf_counter()
    graph.serialize(str(work / "export-rdflib.ttl"), format="turtle")
    return {"seconds": time.perf_counter() - started, "triples": len(graph)}


def step_build(data: Path, work: Path) -> dict:
    """``tieskg build --dataset FILE`` end to end, as a user runs it."""
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "tieskg.cli", "--store", str(work / "built"),
                          "build", "--dataset", str(data)], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if run.returncode:
        raise SystemExit(f"tieskg build failed: {run.stderr[-500:]}")
    return {"seconds": seconds}


def dump_built_store(work: Path) -> None:
    """Write the built store's quads to ``work/BUILT_QUADS`` for the baselines (untimed)."""
    import pyoxigraph as ox

    from tieskg.graph.store import OxigraphStore

    with (work / BUILT_QUADS).open("wb") as stream:
        OxigraphStore.open(work / "built").dump(stream, format=ox.RdfFormat.N_QUADS)


STEPS = {
    "load": step_load, "load-rdflib": step_load_rdflib, "load-oxigraph": step_load_oxigraph,
    "validate": step_validate, "validate-pyshacl": step_validate_pyshacl,
    "queries": step_queries, "queries-rdflib": step_queries_rdflib,
    "export": step_export, "export-rdflib": step_export_rdflib,
    "export-oxigraph": step_export_oxigraph,
    "build": step_build, "memory": step_memory,
}


def _synthetic_parameters(store) -> dict[str, str]:
    """Parameter values that exist in the synthetic graph: the county with the most
    facilities, as ``region`` and ``manufacturing_region``, and the industry with the
    most industry ties, as ``industry`` (``sparql/sample-parameters.rq``)."""
    sparql = (HERE / "sparql" / "sample-parameters.rq").read_text(encoding="utf-8")
    rows = store.select(sparql).rows
    region, industry = rows[0] if rows else (None, None)
    values = {name: str(region) for name in ("region", "manufacturing_region") if region}
    return values | ({"industry": str(industry)} if industry else {})


def _rdflib_query(data: str, name: str, work: Path) -> float:
    import rdflib

    from tieskg.queries.runner import bind, load_query

    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(str(work / BUILT_QUADS), format="nquads")
    query = load_query(name)
    values = json.loads((work / "parameters.json").read_text(encoding="utf-8"))
    bindings = bind(query, {p.name: values[p.name] for p in query.params if p.name in values})
    started = time.perf_counter()
    list(dataset.query(query.sparql, initBindings=bindings))
    return time.perf_counter() - started


# -- driver -----------------------------------------------------------------------------
def run_step(name: str, data: Path, work: Path) -> dict:
    """Run one step in a child process; add its wall time and peak memory."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--step", name, "--data", str(data),
                              "--work", str(work)], stdout=subprocess.PIPE)
    output = child.stdout.read() if child.stdout else b""
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        return {"error": f"exit {child.returncode}"}
    result = json.loads(output.decode("utf-8").strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    result["peak_mib"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    return result


def ensure_data(triples: int, seed: int, folder: Path) -> Path:
    """The synthetic graph of ``triples`` triples, generated once and reused."""
    path = folder / f"synthetic-{triples}-seed{seed}.nq"
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--triples", str(triples),
                        "--seed", str(seed), "-o", str(path)], check=True)
    return path


def measure(triples: int, seed: int, data_dir: Path, *, baselines: bool,
            only: set[str] | None = None) -> dict:
    """Every step and baseline for one size."""
    data = ensure_data(triples, seed, data_dir)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="tieskg-bench-") as tmp:
        work = Path(tmp)
        plan = ["load", "build", "validate", "queries", "export", "memory"]
        if baselines:
            plan += [name for name, limit in (("load-rdflib", RDFLIB_LOAD_MAX),
                                              ("validate-pyshacl", PYSHACL_MAX),
                                              ("queries-rdflib", RDFLIB_QUERY_MAX),
                                              ("export-rdflib", RDFLIB_LOAD_MAX))
                     if triples <= limit]
            plan += ["load-oxigraph", "export-oxigraph"]
        chosen = [name for name in plan
                  if not only or name in only or name.split("-")[0] in only]
        if set(chosen) & NEEDS_BUILT_STORE and "build" not in chosen:
            chosen.insert(0, "build")  # what they measure is the store a build makes
        for name in chosen:
            print(f"  {triples:,} triples: {name} …", file=sys.stderr, flush=True)
            if name == "queries-rdflib":
                from tieskg.graph.store import OxigraphStore

                values = _synthetic_parameters(OxigraphStore.open(work / "built"))
                (work / "parameters.json").write_text(json.dumps(values), encoding="utf-8")
            results[name] = run_step(name, data, work)
            if name == "build" and set(chosen) & NEEDS_BUILT_QUADS:
                dump_built_store(work)
    return results


def ratio(ours: float | None, baseline: float | None) -> str:
    """``ours/baseline`` as text, or a dash."""
    if not ours or not baseline:
        return "—"
    return f"{ours / baseline:.3f}"


def report(triples: int, results: dict) -> str:
    """A plain-text table of one size's figures."""
    lines = [f"== {triples:,} triples"]

    def seconds(name: str) -> float | None:
        return results.get(name, {}).get("seconds")

    def row(label: str, name: str, base: str | None, per_s: bool = True) -> None:
        ours = seconds(name)
        if ours is None:
            lines.append(f"{label:<22} {results.get(name, {}).get('error', 'not run')}")
            return
        count = results[name].get("triples", triples)
        rate = f"{count / ours:>12,.0f} triples/s" if per_s else ""
        peak = results[name].get("peak_mib", 0)
        text = f"{label:<22} {ours:>9.2f} s {rate}  peak {peak:>7,.0f} MiB"
        if base and seconds(base) is not None:
            text += (f"   baseline {seconds(base):>9.2f} s  ratio {ratio(ours, seconds(base))}"
                     f"  baseline peak {results[base].get('peak_mib', 0):,.0f} MiB")
        lines.append(text)

    row("load", "load", "load-rdflib")
    row("  oxigraph load (CLI)", "load-oxigraph", None)
    if seconds("load") and seconds("load-oxigraph"):
        lines[-1] += f"   ours/CLI {ratio(seconds('load'), seconds('load-oxigraph'))}"
    row("SHACL validation", "validate", "validate-pyshacl", per_s=False)
    if "validate" in results:
        lines[-1] += f"  ({results['validate'].get('violations')} violations)"
    row("Turtle export", "export", "export-rdflib")
    row("  oxigraph dump (CLI)", "export-oxigraph", None)
    if seconds("export") and seconds("export-oxigraph"):
        lines[-1] += f"   ours/CLI {ratio(seconds('export'), seconds('export-oxigraph'))}"
    row("tieskg build", "build", None, per_s=False)
    if "optimize_seconds" in results.get("load", {}):
        lines.append(f"{'  index compaction':<22} {results['load']['optimize_seconds']:>9.2f} s "
                     "(after the bulk load, as the build does)")
    memory = results.get("memory", {})
    if "seconds" in memory:
        n = memory["triples"]
        lines.append(f"in-memory store: load {memory['seconds']:.2f} s "
                     f"({triples / memory['seconds']:,.0f} triples/s), validation "
                     f"{memory['validate_seconds']:.2f} s, Turtle export "
                     f"{memory['export_seconds']:.2f} s ({n / memory['export_seconds']:,.0f} "
                     f"triples/s), peak {memory.get('peak_mib', 0):,.0f} MiB")
    queries = results.get("queries", {}).get("queries", {})
    baseline_queries = results.get("queries-rdflib", {}).get("queries", {})
    if queries:
        medians = [q["median_ms"] for q in queries.values()]
        lines.append(f"queries: {len(queries)}, median of medians "
                     f"{statistics.median(medians):.1f} ms, worst max "
                     f"{max(q['max_ms'] for q in queries.values()):.1f} ms")
        for name, q in sorted(queries.items()):
            base = baseline_queries.get(name, {})
            base_ms = base.get("ms")
            if not base:
                base_text = ""
            elif base_ms is not None:
                base_text = f"  rdflib {base_ms:>9.1f} ms  ratio {ratio(q['median_ms'], base_ms)}"
            elif "error" in base:
                base_text = f"  rdflib fails: {base['error'][:60]}"
            else:
                base_text = f"  rdflib > {base.get('capped_at_s'):.0f} s (capped)"
            lines.append(f"  {name:<28} median {q['median_ms']:>8.1f} ms  max "
                         f"{q['max_ms']:>8.1f} ms  rows {q['rows']:>6}{base_text}")
            if "all_rows" in q:
                every = q["all_rows"]
                lines.append(f"  {'  all rows (unbound)':<28} median {every['median_ms']:>8.1f}"
                             f" ms  max {every['max_ms']:>8.1f} ms  rows {every['rows']:>6}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, action="append",
                        help="graph size (repeatable); default 100000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()),
                        help="where synthetic graphs are generated and reused")
    parser.add_argument("--no-baselines", action="store_true", help="skip the baselines")
    parser.add_argument("--json", type=Path, help="also write all figures here")
    parser.add_argument("--only", help="comma-separated steps to run (load, validate, "
                        "queries, export, build, memory; their baselines follow them)")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        print(json.dumps(STEPS[args.step](args.data, args.work)))
        return
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(),
               "machine": platform.machine(), "system": platform.platform()}
    everything = {"machine": machine, "sizes": {}}
    for triples in args.triples or [100_000]:
        only = set(args.only.split(",")) if args.only else None
        results = measure(triples, args.seed, args.data_dir, baselines=not args.no_baselines,
                          only=only)
        everything["sizes"][str(triples)] = results
        print(report(triples, results), flush=True)
    if args.json:
        args.json.write_text(json.dumps(everything, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
