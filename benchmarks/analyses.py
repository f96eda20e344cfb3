#!/usr/bin/env python3
"""Time the planners' specialization and chain-gap analyses on a synthetic graph, against
a plain-Python pass over the same quads (the baseline), measured in the same run.

    python benchmarks/analyses.py --triples 100000 --triples 1000000 [--repeat 3]

For each size: ``generate.py`` writes the graph (seed 1), which is bulk-loaded with the
ontology into an in-memory Oxigraph store (no build: derivation rules and SHACL are not
what is measured here). Then, each the median of ``--repeat`` runs:

- specialization: ``read_observations`` (SPARQL through the Store interface, latest year,
  industrial output by industry) + ``location_quotients`` + ``revealed_comparative_advantage``;
- chain gaps: ``read_evidence`` for a province and a partner province (SPARQL, with the
  division hierarchy) + ``chain_gaps`` on a six-segment template of synthetic industries;
- the baselines: the same results computed by one Python pass over every quad of the store
  (dicts of observations, locations, parents, industries); the results are compared and
  must be equal.

Prints a table of seconds and the ratio ours/baseline (below 1: ours is faster).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from functools import partial
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

from tieskg.graph.analysis.chain_gaps import chain_gaps, read_evidence
from tieskg.graph.analysis.industries import IndustryTree
from tieskg.graph.analysis.observations import read_observations
from tieskg.graph.analysis.specialization import location_quotients, revealed_comparative_advantage
from tieskg.graph.store import OxigraphStore
from tieskg.loaders.chains import load_chain
from tieskg.namespaces import ONTOLOGY_GRAPH, VOCABULARIES_GRAPH
from tieskg.ontology import ontology_path, vocabularies_path

TK = "https://w3id.org/tieskg/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OUTPUT = "https://w3id.org/tieskg/vocab/indicator/industrial-output-value"


def timed(repeat: int, run):
    """Median seconds of ``repeat`` runs of ``run()``, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def build_store(path: Path) -> OxigraphStore:
    store = OxigraphStore.in_memory()
    store.load(ontology_path().read_bytes(), format=ox.RdfFormat.TURTLE, graph=ONTOLOGY_GRAPH)
    store.load(vocabularies_path().read_bytes(), format=ox.RdfFormat.TURTLE,
               graph=VOCABULARIES_GRAPH)
    store.bulk_load(path, format=ox.RdfFormat.N_QUADS)
    return store


# -- ours ------------------------------------------------------------------------------

def ours_specialization(store: OxigraphStore):
    matrix = read_observations(store)
    return (matrix.year, location_quotients(matrix.records, totals=matrix.totals or None),
            revealed_comparative_advantage(matrix.records))


def ours_chain_gaps(store: OxigraphStore, template: Path, region, partner):
    tree = IndustryTree.from_store(store)
    chain = load_chain(template, tree.by_key)
    return chain_gaps(chain, tree.by_key, read_evidence(store, region),
                      read_evidence(store, partner), ancestors=tree.ancestors)


# -- baseline: one plain-Python pass over the quads ---------------------------------------

def baseline_specialization(store: OxigraphStore):
    facts: dict[str, dict[str, str]] = defaultdict(dict)
    observations = set()
    wanted = {TK + p for p in ("refArea", "refPeriod", "indicator", "value", "industry",
                               "unitMultiplier")}
    for quad in store.quads():
        p = quad.predicate.value
        if p in wanted:
            facts[quad.subject.value][p] = quad.object.value
        elif p == RDF_TYPE and quad.object.value == TK + "Observation":
            observations.add(quad.subject.value)
    cells: dict[tuple[str, str], float] = defaultdict(float)
    by_year: dict[str, list] = defaultdict(list)
    for obs in observations:
        f = facts[obs]
        if f.get(TK + "indicator") != OUTPUT or TK + "industry" not in f:
            continue
        value = float(f[TK + "value"]) * 10 ** int(f.get(TK + "unitMultiplier", "0"))
        by_year[f[TK + "refPeriod"][:4]].append((f[TK + "refArea"], f[TK + "industry"], value))
    year = max(by_year)
    for area, industry, value in by_year[year]:
        cells[area, industry] += value
    records = list(cells.items())
    region, industry, total = defaultdict(float), defaultdict(float), 0.0
    for (r, i), v in records:
        region[r] += v
        industry[i] += v
        total += v
    rca = {(r, i): (v / region[r]) / (industry[i] / total) for (r, i), v in records}
    return year, rca


def baseline_chain_gaps(store: OxigraphStore, template_codes, region, partner):
    parent, located, in_park, industries, notation, broader = ({}, {}, {}, defaultdict(set),
                                                              {}, {})
    for quad in store.quads():
        s, p, o = quad.subject.value, quad.predicate.value, quad.object.value
        if p == TK + "parentDivision":
            parent[s] = o
        elif p == TK + "locatedIn":
            located[s] = o
        elif p == TK + "inPark":
            in_park[s] = o
        elif p in (TK + "industry", TK + "focusIndustry"):
            industries[s].add(o)
        elif p == SKOS + "notation":
            notation[s] = o
        elif p == SKOS + "broader":
            broader[s] = o

    def within(place, top):
        while place is not None:
            if place == top:
                return True
            place = parent.get(place)
        return False

    code_iri = {f"SYN-IND:{c}": i for i, c in notation.items()}

    def up(i):
        while i is not None:
            yield i
            i = broader.get(i)

    statuses = []
    for codes in template_codes:
        wanted = {code_iri[c] for c in codes}
        found = {}
        for top in (region, partner):
            found[top] = {t for t, inds in industries.items()
                          if (within(located.get(t), top)
                              or within(located.get(in_park.get(t)), top))
                          and any(wanted.intersection(up(i)) for i in inds)}
        statuses.append((len(found[region]), len(found[partner])))
    return statuses


def template_for(store: OxigraphStore, folder: Path) -> tuple[Path, list[list[str]]]:
    """Six segments, each one top-level synthetic industry (upstream first)."""
    tree = IndustryTree.from_store(store)
    tops = sorted(i.key for i in tree.industries.values() if not i.broader)[:6]
    segments = [[code] for code in tops]
    lines = ["chain:", "  id: synthetic", "  name: {en: Synthetic chain}", "  segments:"]
    for k, codes in enumerate(segments, start=1):
        lines += [f"    - id: s{k}", f"      name: {{en: Segment {k}}}",
                  f"      industries: [\"{codes[0]}\"]", "      judgement: project"]
    path = folder / "synthetic.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, segments


def provinces(store: OxigraphStore):
    rows = store.select("SELECT ?p WHERE { ?p a tk:ProvinceLevelDivision } ORDER BY ?p").rows
    return rows[0][0], rows[1][0]


def measure(size: int, repeat: int) -> None:
    """Generate, load and time both analyses and their baselines at one size."""
    with tempfile.TemporaryDirectory(prefix="tieskg-analyses-") as tmp:
        folder = Path(tmp)
        data = folder / f"b{size}.nq"
        generate.generate(data, size, 1, log=None)
        started = time.perf_counter()
        store = build_store(data)
        load_seconds = time.perf_counter() - started
        template, codes = template_for(store, folder)
        region, partner = provinces(store)

        ours_s, (year, _lq, rca) = timed(repeat, partial(ours_specialization, store))
        base_s, (base_year, base_rca) = timed(repeat, partial(baseline_specialization, store))
        assert year == base_year and len(rca) == len(base_rca)
        for row in rca:
            expected = base_rca[str(row.region), str(row.industry)]
            assert abs(row.index - expected) <= 1e-9 * max(1.0, expected), row
        print(f"| {size:,} | specialization: {len(rca):,} cells, year {year} | "
              f"{ours_s:.3f} | {base_s:.3f} | {ours_s / base_s:.2f} |")

        ours_c, gaps = timed(repeat, partial(ours_chain_gaps, store, template, region,
                                             partner))
        base_c, base_counts = timed(repeat, partial(baseline_chain_gaps, store, codes,
                                                    str(region), str(partner)))
        counts = [(len(g.local), len(g.partner)) for g in gaps]
        assert counts == base_counts, (counts, base_counts)
        evidence = sum(local + other for local, other in counts)
        print(f"| {size:,} | chain gaps: 6 segments, 2 provinces, {evidence:,} evidence "
              f"items | {ours_c:.3f} | {base_c:.3f} | {ours_c / base_c:.2f} |")
        sys.stdout.flush()
        print(f"(loading {size:,} triples into an in-memory store: {load_seconds:.1f} s)",
              file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, action="append",
                        help="Size of a synthetic graph (repeatable; default 100000).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per measurement.")
    args = parser.parse_args()
    print("| triples | step | ours (s) | baseline: Python pass over quads (s) | ratio |")
    print("|---|---|---|---|---|")
    for size in args.triples or [100_000]:
        measure(size, args.repeat)


if __name__ == "__main__":
    main()
