"""Derivation rules: SPARQL CONSTRUCT files in ``rules/`` whose results form the derived graph.

Each rule reads the union of all source graphs and writes region-level or industry-level
ties (tk:RegionalTie, tk:IndustryTie) that cite their evidence (``tk:evidence``,
``tk:evidenceCount``, ``tk:derivationRule``). The derived graph is rebuilt whole from the
rules on every build, so it never goes stale.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files

from rdflib import Literal
from rdflib.namespace import DCTERMS, RDF

from tieskg.graph.store import Store
from tieskg.namespaces import DERIVED_GRAPH, PROV


@dataclass(frozen=True)
class Rule:
    """A derivation rule: its name (the file stem) and its CONSTRUCT query."""

    name: str
    sparql: str


def rules() -> list[Rule]:
    """Every rule shipped in ``graph/rules``, sorted by name."""
    folder = files("tieskg.graph") / "rules"
    found = [Rule(p.name.removesuffix(".rq"), p.read_text(encoding="utf-8"))
             for p in folder.iterdir() if p.name.endswith(".rq")]
    return sorted(found, key=lambda rule: rule.name)


def derive(store: Store, *, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Rebuild the derived graph from every rule; returns the triples each rule yielded.

    ``progress`` hears, after each rule, how many triples it derived and how fast.
    """
    store.replace_graph(DERIVED_GRAPH, [
        (DERIVED_GRAPH, RDF.type, PROV.Entity, DERIVED_GRAPH),
        (DERIVED_GRAPH, DCTERMS.description, Literal(
            "Region-level and industry-level ties derived by tieskg's rules from "
            "organization and facility evidence in the source graphs; every tie cites "
            "its evidence.", lang="en"),
         DERIVED_GRAPH),
    ])
    derived: dict[str, int] = {}
    chosen = rules()
    for number, rule in enumerate(chosen, start=1):
        started = time.perf_counter()
        derived[rule.name] = store.insert_construct(rule.sparql, graph=DERIVED_GRAPH)
        if progress is not None:
            seconds = time.perf_counter() - started
            progress(f"derived {derived[rule.name]:,} triples by rule {number} of "
                     f"{len(chosen)}, {rule.name}, in {seconds:.1f} s "
                     f"({derived[rule.name] / max(seconds, 1e-9):,.0f} triples/s)")
    return derived
