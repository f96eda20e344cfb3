"""Industries read from the store once: scheme, code, broader industry, names; for the
specialization and chain-gap analyses to roll up, match and label industries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rdflib import URIRef

from tieskg.graph.store import Store, internal_query

#: Industry IRIs of tieskg's classifications: .../industry/<scheme id>/<code>.
_IRI_BASE = "https://w3id.org/tieskg/id/industry/"


@dataclass
class Industry:
    """One industry: IRI, scheme id (``gbt-4754-2017``), code, broader industries, names."""

    iri: URIRef
    scheme: str
    code: str
    broader: set[URIRef] = field(default_factory=set)
    name_en: str = ""
    name_zh: str = ""

    @property
    def key(self) -> str:
        """``scheme:code``, as data files and the CLI write an industry."""
        return f"{self.scheme}:{self.code}"

    @property
    def label(self) -> str:
        """``scheme:code name``, for tables."""
        return " ".join(p for p in (self.key, self.name_zh or self.name_en) if p)


class IndustryTree:
    """Every industry of a store, with ancestors and a ``scheme:code`` index."""

    def __init__(self, industries: dict[URIRef, Industry],
                 matches: dict[URIRef, set[URIRef]] | None = None):
        self.industries = industries
        self.by_key = {i.key: i.iri for i in industries.values()}
        #: industry -> equivalent or broader industries of other classifications
        self.matches = matches or {}

    @classmethod
    def from_store(cls, store: Store) -> IndustryTree:
        """Read every tk:Industry of ``store`` (one query)."""
        industries: dict[URIRef, Industry] = {}
        for iri, scheme, code, broader, name_en, name_zh in store.select(
                internal_query("industry-tree")).rows:
            item = industries.get(iri)
            if item is None:
                text = str(iri)
                scheme_id = (text[len(_IRI_BASE):].split("/", 1)[0]
                             if text.startswith(_IRI_BASE) else str(scheme or ""))
                item = industries[iri] = Industry(iri, scheme_id, str(code or ""),
                                                  name_en=str(name_en or ""),
                                                  name_zh=str(name_zh or ""))
            if broader is not None:
                item.broader.add(broader)
        matches: dict[URIRef, set[URIRef]] = {}
        for iri, counted_for in store.select(internal_query("industry-matches")).rows:
            matches.setdefault(iri, set()).add(counted_for)
        return cls(industries, matches)

    def ancestors(self, iri: URIRef) -> list[URIRef]:
        """``iri`` and every industry above it (nearest first; cycles are cut)."""
        return _upwards(iri, self._broader)

    def counted_for(self, iri: URIRef) -> list[URIRef]:
        """``iri`` and every industry it counts for: those above it, and across the
        classification crosswalks their equivalents and broader matches, and those above
        them (nearest first; cycles are cut). Within one classification this is
        :meth:`ancestors`."""
        return _upwards(iri, lambda item: self._broader(item) | self.matches.get(item, set()))

    def _broader(self, iri: URIRef) -> set[URIRef]:
        known = self.industries.get(iri)
        return known.broader if known else set()

    def depth(self, iri: URIRef) -> int:
        """1 for a top-level industry, 2 for one below it, ..."""
        depth, item = 1, self.industries.get(iri)
        while item is not None and item.broader and depth < 50:
            item = self.industries.get(min(item.broader))
            depth += 1
        return depth

    def at_level(self, iri: URIRef, level: int) -> URIRef | None:
        """The ancestor of ``iri`` at ``level`` (1 = top), or None if ``iri`` is above it."""
        chain = [iri]
        item = self.industries.get(iri)
        while item is not None and item.broader and len(chain) < 50:
            up = min(item.broader)
            chain.append(up)
            item = self.industries.get(up)
        chain.reverse()  # top first
        return chain[level - 1] if len(chain) >= level else None

    def label(self, iri: URIRef) -> str:
        """``scheme:code name``, or the IRI for an industry the store does not describe."""
        item = self.industries.get(iri)
        return item.label if item else str(iri)


def _upwards(iri: URIRef, up: Callable[[URIRef], set[URIRef]]) -> list[URIRef]:
    """``iri`` and everything ``up`` leads to from it, breadth first (cycles are cut)."""
    seen = [iri]
    frontier = [iri]
    while frontier:
        nxt = []
        for item in frontier:
            for above in sorted(up(item)):
                if above not in seen:
                    seen.append(above)
                    nxt.append(above)
        frontier = nxt
    return seen
