"""Derivation rules: SPARQL CONSTRUCT files in ``rules/`` whose results form the derived graph.

Each rule reads the union of all source graphs and writes region-level ties that cite
their evidence (``tk:evidence``, ``tk:evidenceCount``, ``tk:derivationRule``). The derived
graph is rebuilt whole from the rules on every build, so it never goes stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

from rdflib import Literal
from rdflib.namespace import DCTERMS, RDF

from tieskg.graph.store import Quad, Store
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


def derive(store: Store) -> dict[str, int]:
    """Run every rule over ``store`` and replace the derived graph; triples per rule."""
    quads: set[Quad] = set()
    produced: dict[str, int] = {}
    for rule in rules():
        triples = store.construct(rule.sparql)
        produced[rule.name] = len(triples)
        quads.update((s, p, o, DERIVED_GRAPH) for s, p, o in triples)
    quads.add((DERIVED_GRAPH, RDF.type, PROV.Entity, DERIVED_GRAPH))
    quads.add((DERIVED_GRAPH, DCTERMS.description, Literal(
        "Region-level ties derived by tieskg's rules from organization and facility "
        "evidence in the source graphs; every tie cites its evidence.", lang="en"),
        DERIVED_GRAPH))
    store.replace_graph(DERIVED_GRAPH, sorted(quads))
    return produced
