"""Chain-gap analysis: which segments of an industry chain a region has, which a partner
region has, which neither has (the targets for attracting investment).

:func:`chain_gaps` works on plain records (a template and evidence lists);
:func:`read_evidence` reads a region's evidence from a store through
``graph/sparql/chain-evidence.rq`` (things in the region's subdivisions count for it).

>>> from pathlib import Path
>>> from tieskg.loaders.chains import ChainTemplate, Segment
>>> chain = ChainTemplate("c", "", "C", Path("c.yaml"), (
...     Segment("up", "", "Up", ("s:1",), None), Segment("down", "", "Down", ("s:2",), None)))
>>> plant = Evidence(URIRef("urn:plant"), "facility", "ManufacturingPlant", URIRef("urn:s1"),
...                  URIRef("urn:here"), "A plant", "")
>>> rows = chain_gaps(chain, {"s:1": URIRef("urn:s1"), "s:2": URIRef("urn:s2")}, [plant], [])
>>> [(row.segment.id, row.status) for row in rows]
[('up', 'present-locally'), ('down', 'missing')]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from rdflib import URIRef

from tieskg.graph.store import Store, internal_query
from tieskg.loaders.chains import ChainTemplate, Segment

PRESENT_LOCALLY = "present-locally"
PRESENT_IN_PARTNER = "present-in-partner"
MISSING = "missing"
STATUSES = (PRESENT_LOCALLY, PRESENT_IN_PARTNER, MISSING)


@dataclass(frozen=True)
class Evidence:
    """A thing in a region with an industry: an organization, facility or park."""

    thing: URIRef
    #: organization, facility or park
    kind: str
    #: the thing's class, e.g. ManufacturingPlant, Company, IndustrialPark
    type: str
    industry: URIRef
    #: the division it is located in (the region or one below it)
    place: URIRef
    name: str
    #: the named graph that states where it is
    graph: str


@dataclass(frozen=True)
class SegmentGap:
    """One segment's status in a region, with the evidence found there and in the partner."""

    position: int
    segment: Segment
    status: str
    local: tuple[Evidence, ...]
    partner: tuple[Evidence, ...]


def _matches(evidence: Iterable[Evidence], wanted: set[URIRef],
             ancestors: Callable[[URIRef], Sequence[URIRef]]) -> tuple[Evidence, ...]:
    """The evidence whose industry is one of ``wanted`` or below one of them."""
    found = {}
    for item in evidence:
        if wanted.intersection(ancestors(item.industry)):
            found.setdefault(item.thing, item)
    return tuple(sorted(found.values(), key=lambda e: (e.kind, e.name, str(e.thing))))


def chain_gaps(chain: ChainTemplate, industries: Mapping[str, URIRef],
               local: Iterable[Evidence], partner: Iterable[Evidence] | None = None, *,
               ancestors: Callable[[URIRef], Sequence[URIRef]] | None = None
               ) -> list[SegmentGap]:
    """Per segment of ``chain`` (in order): present-locally when ``local`` evidence has one
    of its industries (or one below them: ``ancestors`` gives an industry and those above
    it), else present-in-partner when ``partner`` evidence does, else missing.

    ``industries`` maps the template's ``scheme:code`` to industry IRIs; a code it lacks
    matches nothing.
    """
    up = ancestors or (lambda iri: (iri,))
    local, partner = list(local), list(partner or ())
    rows = []
    for position, segment in enumerate(chain.segments, start=1):
        wanted = {industries[c] for c in segment.industries if c in industries}
        here, there = _matches(local, wanted, up), _matches(partner, wanted, up)
        status = PRESENT_LOCALLY if here else PRESENT_IN_PARTNER if there else MISSING
        rows.append(SegmentGap(position, segment, status, here, there))
    return rows


def read_evidence(store: Store, region: URIRef) -> list[Evidence]:
    """The organizations, facilities and parks with an industry in ``region`` or in a
    division below it."""
    rows = store.select(internal_query("chain-evidence"), bindings={"region": region}).rows
    evidence = []
    for _region, thing, kind, type_, industry, place, name_en, name_zh, graph in rows:
        type_name = str(type_).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        evidence.append(Evidence(thing, str(kind), type_name, industry, place,
                                 str(name_zh or name_en or thing), str(graph)))
    return evidence
