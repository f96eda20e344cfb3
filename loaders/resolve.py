"""Entity resolution: what a reference in a user's data (a region name or code, an industry
code or label, an organization's name or unified social credit code) means in the graph.

A :class:`Resolver` reads every region, industry and organization once (queries
``graph/sparql/resolve-*.rq``) into Python indexes; each lookup then returns a
:class:`Resolution`: the one IRI meant, or no IRI, the candidates and a reason. Nothing
is guessed: a reference that is not exactly one thing is reported as unknown or
ambiguous. The rules:

- Matches come in kinds, and only the strongest kind that matches at all counts: for
  regions a code (or IRI), then a full name (any label), then a name without its generic
  part (上虞 for 上虞区); for industries an exact code, then a code with its section
  letter (C27), then a label. A weaker kind never fills in for a stronger one that a
  parent, date or scheme then rules out.
- Regions: ``parent`` keeps the matches below it (any ancestor, or inside an economic
  area); ``on`` keeps those valid on that date. Without ``on``, of several matches the
  only one valid today (no ``schema:validThrough``) wins; a former division that alone
  bears its name or code resolves too.
- Names are compared without regard to case, width (full-/half-width), white space and,
  for regions, tone marks and punctuation (:mod:`tieskg.loaders._resolve_keys`).

>>> import pyoxigraph as ox
>>> from tieskg.graph.store import OxigraphStore
>>> from tieskg.namespaces import TKG
>>> store = OxigraphStore.in_memory()
>>> store.load(_EXAMPLE, format=ox.RdfFormat.TURTLE, graph=TKG["illustrative/example"])
>>> resolver = Resolver.from_store(store)
>>> resolver.region("Shangyu Qu").iri
rdflib.term.URIRef('https://w3id.org/tieskg/id/region/cn-330604')
>>> resolver.region("上虞").iri        # the current division; 上虞市 ended in 2013
rdflib.term.URIRef('https://w3id.org/tieskg/id/region/cn-330604')
>>> resolver.region("上虞", on=datetime.date(2012, 6, 30)).iri
rdflib.term.URIRef('https://w3id.org/tieskg/id/region/cn-330682-1995')
>>> print(resolver.region("Shangyuu").reason)
unknown region 'Shangyuu'; near: 上虞区 Shàngyú Qū (330604) in 绍兴市; 上虞市 ...
>>> resolver.industry("isic-rev4:2100").iri
rdflib.term.URIRef('https://w3id.org/tieskg/id/industry/isic-rev4/2100')
>>> resolver.organization("ＴＫ示例材料有限公司").iri
rdflib.term.URIRef('https://w3id.org/tieskg/synthetic/org/example')
>>> print(resolver.organization("91330604MA2D000012").reason)
invalid unified social credit code '91330604MA2D000012': check character is '2', expected '1'
"""

from __future__ import annotations

import datetime
import gc
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rdflib import URIRef
from rdflib.namespace import RDF, SKOS
from rdflib.term import Node

from tieskg.graph.store import Store, internal_query
from tieskg.loaders._resolve_keys import (
    KeyIndex,
    code_key,
    loose_key,
    plain_key,
    proper_names,
    unique,
)
from tieskg.namespaces import SCHEMA, TK, TKID, TKSYN

#: The 31 characters of unified social credit codes (GB 32100-2015): no I, O, S, V, Z.
CREDIT_CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: The weights of the first 17 characters in the check character's sum.
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_VALUES = {c: i for i, c in enumerate(CREDIT_CODE_CHARACTERS)}

#: Most candidate labels a reason lists (all are in ``Resolution.candidates``).
_SHOWN = 5


def check_credit_code(code: str) -> str | None:
    """Why ``code`` is not a valid unified social credit code (GB 32100-2015), or None.

    The code has 18 characters from 0-9 and A-Z without I, O, S, V and Z, worth 0 to 30
    in that order (A is 10, Y is 30); the last is the check character: the one worth 31
    minus (the sum of the first 17 characters' values times the weights 1, 3, 9, 27, 19,
    26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28, mod 31), 31 being written 0. The code
    is checked as given (upper case, no spaces). For the example below the sum is 1301,
    1301 mod 31 is 30, and the check character is 31 - 30 = 1.

    >>> check_credit_code("91330604MA2D000011") is None
    True
    >>> check_credit_code("91330604MA2D000012")
    "check character is '2', expected '1'"
    >>> check_credit_code("91330604MA2D00001")
    'has 17 characters, not 18'
    >>> check_credit_code("91330604MA2DI00011")
    "has 'I' at position 13: the code's characters are 0-9 and A-Z without I, O, S, V, Z"
    """
    if len(code) != 18:
        return f"has {len(code)} characters, not 18"
    for position, character in enumerate(code, start=1):
        if character not in _CREDIT_VALUES:
            return (f"has {character!r} at position {position}: the code's characters are "
                    "0-9 and A-Z without I, O, S, V, Z")
    total = sum(_CREDIT_VALUES[c] * w for c, w in zip(code[:17], CREDIT_CODE_WEIGHTS, strict=True))
    expected = CREDIT_CODE_CHARACTERS[(31 - total % 31) % 31]
    if code[17] != expected:
        return f"check character is {code[17]!r}, expected {expected!r}"
    return None


@dataclass(frozen=True)
class Candidate:
    """One thing a reference could mean."""

    iri: URIRef
    #: A human-readable label, e.g. "上虞区 Shangyu District (330604) in 绍兴市".
    label: str
    #: What matched: "code", "name zh", "pinyin", "name en", "alt name", "proper name zh", ...
    why: str


@dataclass(frozen=True)
class Resolution:
    """The outcome of one lookup.

    Resolved: ``iri`` is set, ``candidates`` holds the one match (with what matched) and
    ``reason`` is None. Otherwise ``iri`` is None and ``reason`` says why, for the user:
    ambiguous (``candidates`` lists every match), unknown (``candidates`` is empty), or
    matches that a parent, date or scheme excluded (``candidates`` lists them).
    """

    text: str
    iri: URIRef | None
    candidates: tuple[Candidate, ...]
    reason: str | None

    @property
    def resolved(self) -> bool:
        """Whether the reference means exactly one thing."""
        return self.iri is not None


@dataclass
class _Region:
    iri: URIRef
    code: str | None = None
    parent: URIRef | None = None
    valid_from: str | None = None
    valid_through: str | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None
    area: bool = False
    names: dict[str, str] = field(default_factory=dict)

    def valid_on(self, day: datetime.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or self.end >= day)


@dataclass
class _Industry:
    iri: URIRef
    scheme: URIRef | None
    code: str | None = None
    broader: URIRef | None = None
    names: dict[str, str] = field(default_factory=dict)


@dataclass
class _Organization:
    iri: URIRef
    code: str | None = None
    names: dict[str, str] = field(default_factory=dict)


#: A match: the IRI and what matched.
Match = tuple[URIRef, str]
Labeller = Callable[[URIRef], str]


class Resolver:
    """Resolves references to regions, industries and organizations of one store.

    Build it with :meth:`from_store`; it reads the store once and does not see later
    changes. Lookups are remembered (up to :attr:`REMEMBERED` of them), so that the
    values a data file repeats are resolved once.
    """

    #: How many lookups a resolver remembers before it starts afresh.
    REMEMBERED = 100_000

    def __init__(self) -> None:
        self._regions: dict[URIRef, _Region] = {}
        self._region_codes: KeyIndex[Match] = KeyIndex()
        self._region_names: KeyIndex[Match] = KeyIndex()
        self._region_propers: KeyIndex[Match] = KeyIndex()
        self._members: dict[URIRef, set[URIRef]] = {}
        self._industries: dict[URIRef, _Industry] = {}
        self._industry_codes: KeyIndex[Match] = KeyIndex()
        self._industry_sectioned: KeyIndex[Match] = KeyIndex()
        self._industry_labels: KeyIndex[Match] = KeyIndex()
        self._schemes: dict[URIRef, str] = {}
        self._scheme_keys: dict[str, URIRef] = {}
        self._organizations: dict[URIRef, _Organization] = {}
        self._organization_codes: KeyIndex[Match] = KeyIndex()
        self._organization_names: KeyIndex[Match] = KeyIndex()
        self._candidates: dict[Match, Candidate] = {}
        self._remembered: dict[tuple, Resolution] = {}

    @classmethod
    def from_store(cls, store: Store) -> Resolver:
        """A resolver over everything ``store`` holds now (read once, through SPARQL)."""
        resolver = cls()
        # the indexes are hundreds of thousands of small objects that all stay alive:
        # collecting garbage while they are made only scans them again and again
        enabled = gc.isenabled()
        gc.disable()
        try:
            resolver._read_regions(store)
            resolver._read_industries(store)
            resolver._read_organizations(store)
        finally:
            if enabled:
                gc.enable()
        return resolver

    # -- reading the store -------------------------------------------------------
    def _read_regions(self, store: Store) -> None:
        # many divisions share names (城关镇, ...): each label's keys are made once
        keys: dict[tuple[str, str], tuple[str, list[str]]] = {}
        for iri, packed in store.select(_REGIONS).rows:
            facts = _Facts(packed)
            region = self._regions[iri] = _Region(
                iri, facts.first(_CODE), facts.first_iri(_PARENT), facts.first(_FROM),
                facts.last(_THROUGH), area=_ECONOMIC_AREA in facts.values(_TYPE))
            region.start = _day(region.valid_from, last=False)
            region.end = _day(region.valid_through, last=True)
            region.names, entries = facts.labels()
            for label, language, why in entries:
                found = keys.get((label, language))
                if found is None:
                    found = keys[label, language] = (
                        loose_key(label), [loose_key(p) for p in proper_names(label, language)])
                self._region_names.add(found[0], (iri, why))
                for proper in found[1]:
                    self._region_propers.add(proper, (iri, f"proper {why}"))
            if region.code:
                self._region_codes.add(region.code, (iri, "code"))
        for area, member in store.select(_AREA_MEMBERS).rows:
            self._members.setdefault(area, set()).add(member)

    def _read_industries(self, store: Store) -> None:
        for scheme, notation in sorted(store.select(_SCHEMES).rows, key=_row_key):
            local = str(scheme).rstrip("/").rsplit("/", 1)[-1]
            self._schemes.setdefault(scheme, local)
            for name in (local, str(scheme), _text(notation)):
                if name:
                    self._scheme_keys.setdefault(loose_key(name), scheme)
        labelled = []
        for iri, packed in store.select(_INDUSTRIES).rows:
            facts = _Facts(packed)
            industry = self._industries[iri] = _Industry(
                iri, facts.first_iri(_SCHEME), facts.first(_NOTATION), facts.first_iri(_BROADER))
            industry.names, entries = facts.labels()
            labelled.append((str(iri), iri, entries))
        for _, iri, entries in sorted(labelled):
            industry = self._industries[iri]
            if industry.code:
                self._industry_codes.add(code_key(industry.code), (iri, "code"))
                section = self._section(industry)
                if section:
                    self._industry_sectioned.add(code_key(section + industry.code),
                                                 (iri, "code with section letter"))
            for label, _language, why in entries:
                self._industry_labels.add(plain_key(label), (iri, why.replace("name", "label")))

    def _read_organizations(self, store: Store) -> None:
        for iri, packed in sorted(store.select(_ORGANIZATIONS).rows, key=_row_key):
            facts = _Facts(packed)
            organization = self._organizations[iri] = _Organization(iri, facts.first(_CREDIT))
            organization.names, entries = facts.labels()
            if organization.code:
                self._organization_codes.add(code_key(organization.code), (iri, "credit code"))
            for label, _language, why in entries:
                self._organization_names.add(plain_key(label), (iri, why))

    def _section(self, industry: _Industry) -> str | None:
        """The one-letter code of the top of ``industry``'s hierarchy (its section)."""
        seen: set[URIRef] = set()
        top = industry
        while top.broader is not None and top.broader in self._industries \
                and top.broader not in seen:
            seen.add(top.iri)
            top = self._industries[top.broader]
        code = top.code or ""
        return code if len(code) == 1 and code.isalpha() and top is not industry else None

    # -- regions -----------------------------------------------------------------
    def region(self, text: str, *, parent: str | None = None,
               on: datetime.date | None = None) -> Resolution:
        """The region ``text`` means: a division code (6 digits, 9 for townships, or 12
        with trailing zeros), a name in Chinese, Hanyu Pinyin (tone marks, spaces and
        case do not matter) or English, with or without its generic part (上虞 for
        上虞区), or an IRI.

        A full name beats a name without its generic part. ``parent`` (resolved the same
        way, any ancestor, or an economic area the region lies in) narrows the matches;
        ``on`` keeps only divisions valid on that date (validity years are inclusive).
        Without ``on``, of several matches the one still valid today (no
        ``schema:validThrough``) is taken when it is the only one.
        """
        if isinstance(on, datetime.datetime):
            on = on.date()
        return self._remember(("region", text, parent, on),
                              lambda: self._region(text, parent, on))

    def _region(self, text: str, parent: str | None, on: datetime.date | None) -> Resolution:
        matches, problem = self._region_matches(text)
        if problem is not None:
            return Resolution(text, None, (), problem)
        if not matches:
            return self._unknown_region(text)
        kept = matches
        if parent is not None:
            parents, problem = self._region_matches(parent)
            if problem is not None or not parents:
                why = problem or self._unknown_region(parent).reason
                return Resolution(text, None, self._region_candidates(matches),
                                  f"region {text!r}: parent {parent!r}: {why}")
            scope = {p for p, _ in parents}
            members = set().union(*(self._members.get(p, ()) for p in scope))
            kept = [m for m in kept if self._inside(m[0], scope, members)]
            if not kept:
                return self._excluded(text, matches, f"in {parent!r}", "elsewhere")
        if on is not None:
            dated = [m for m in kept if self._regions[m[0]].valid_on(on)]
            if not dated:
                return self._excluded(text, kept, f"valid on {on.isoformat()}",
                                      "valid at other times")
            kept = dated
        elif len(kept) > 1:
            current = [m for m in kept if self._regions[m[0]].end is None]
            if len(current) == 1:
                kept = current
        if len(kept) == 1:
            return self._resolved(text, kept[0], self._region_label)
        return self._ambiguous_region(text, kept, on)

    def _region_matches(self, text: str) -> tuple[list[Match], str | None]:
        """The strongest matches of a region reference (code, IRI, full name, proper
        name), or a reason the reference is malformed."""
        compact = "".join(unicodedata.normalize("NFKC", text).split())
        if not compact:
            return [], "empty region reference"
        if compact.isascii() and compact.isdigit():
            code = _division_code(compact)
            if code is None:
                return [], (f"not a division code: {compact!r} has {len(compact)} digits "
                            "(codes have 6, or 9 for townships)")
            found = self._region_codes.get(code)
            return found, (None if found else f"unknown region code {code!r}")
        iri = _iri(compact, "region/")
        if iri is not None:
            return ([(iri, "iri")] if iri in self._regions else []), None
        key = loose_key(text)
        return _one_per_iri(self._region_names.get(key) or self._region_propers.get(key)), None

    def _inside(self, iri: URIRef, scope: set[URIRef], members: set[URIRef]) -> bool:
        """Whether region ``iri`` lies below one of ``scope`` (at any depth), or is or
        lies below one of ``members`` (the members of the economic areas in ``scope``)."""
        node: URIRef | None = iri
        for depth in range(16):
            if node is None:
                break
            if (depth and node in scope) or node in members:
                return True
            region = self._regions.get(node)
            node = region.parent if region else None
        return False

    def _unknown_region(self, text: str) -> Resolution:
        key = loose_key(text)
        near = self._region_candidates([*self._region_names.near(key, limit=9),
                                        *self._region_propers.near(key, limit=9)])[:3]
        hint = f"; near: {'; '.join(c.label for c in near)}" if near else ""
        return Resolution(text, None, (), f"unknown region {text!r}{hint}")

    def _ambiguous_region(self, text: str, kept: list[Match],
                          on: datetime.date | None) -> Resolution:
        candidates = self._region_candidates(kept)
        regions = [self._regions[c.iri] for c in candidates]
        hints = []
        parents = unique(self._short_name(r.parent) for r in regions if r.parent is not None)
        if len(parents) > 1:
            hints.append(f"the parent ({_either(parents, most=_SHOWN)})")
        if len({r.code for r in regions}) == len(regions) and all(r.code for r in regions):
            hints.append("the code")
        if on is None and any(r.end is not None for r in regions):
            hints.append("a date")
        when = f" on {on.isoformat()}" if on is not None else ""
        reason = (f"ambiguous region {text!r}{when}: {len(candidates)} candidates: "
                  f"{_listing(candidates)}" + (f"; give {_either(hints)}" if hints else ""))
        return Resolution(text, None, candidates, reason)

    def _excluded(self, text: str, matches: list[Match], condition: str,
                  instead: str) -> Resolution:
        """No match meets ``condition``; the matches (``instead``) are the candidates."""
        candidates = self._region_candidates(matches)
        return Resolution(text, None, candidates,
                          f"no region {text!r} {condition}; {len(candidates)} "
                          f"{'match' if len(candidates) == 1 else 'matches'} {instead}: "
                          f"{_listing(candidates)}")

    def _region_candidates(self, matches: Iterable[Match]) -> tuple[Candidate, ...]:
        """Candidates for ``matches``, one per region: current ones first, then by code."""
        def order(iri: URIRef) -> tuple:
            region = self._regions[iri]
            return region.end is not None, region.code or "", str(iri)
        return self._candidates_of(matches, self._region_label, order)

    def _region_label(self, iri: URIRef) -> str:
        region = self._regions[iri]
        details = [d for d in (region.code, "economic area" if region.area else None) if d]
        if region.valid_through is not None:
            details.append(f"{region.valid_from or ''}–{region.valid_through}")
        label = _display_name(region.names, iri)
        label += f" ({', '.join(details)})" if details else ""
        if region.parent is not None:
            label += f" in {self._short_name(region.parent)}"
        return label

    def _short_name(self, iri: URIRef) -> str:
        region = self._regions.get(iri)
        names = region.names if region else {}
        return (names.get("zh") or names.get("en") or names.get("zh-latn-pinyin")
                or next(iter(names.values()), None) or str(iri))

    # -- industries --------------------------------------------------------------
    def industry(self, text: str, *, scheme: str | None = None) -> Resolution:
        """The industry ``text`` means: a code of any loaded classification ("2100",
        "21.20"; also with its section letter, "C27"), "scheme:code" ("isic-rev4:2100"),
        a label in any language (case-insensitive), or an IRI.

        ``scheme`` (a classification's id such as ``isic-rev4``, or its notation such as
        "ISIC Rev. 4") keeps only industries of that classification. Exact codes beat
        codes with a section letter, which beat labels.
        """
        return self._remember(("industry", text, scheme), lambda: self._industry(text, scheme))

    def _industry(self, text: str, scheme: str | None) -> Resolution:
        query = unicodedata.normalize("NFKC", text).strip()
        wanted: URIRef | None = None
        if scheme is not None:
            wanted = self._scheme_keys.get(loose_key(scheme))
            if wanted is None:
                known = ", ".join(sorted(self._schemes.values()))
                return Resolution(text, None, (),
                                  f"unknown industry scheme {scheme!r} (known: {known})")
        if ":" in query and _iri(query, "industry/") is None:
            head, _, rest = query.partition(":")
            named = self._scheme_keys.get(loose_key(head)) if head.strip() else None
            if named is not None and wanted is not None and named != wanted:
                return Resolution(text, None, (), f"industry {text!r} names scheme "
                                  f"{self._schemes[named]}, but the scheme given is {scheme!r}")
            if named is not None:
                wanted, query = named, rest.strip()
        if not query:
            return Resolution(text, None, (), "empty industry reference")
        iri = _iri(query, "industry/")
        if iri is not None:
            tiers = [[(iri, "iri")] if iri in self._industries else []]
        else:
            tiers = [_one_per_iri(self._industry_codes.get(code_key(query))),
                     _one_per_iri(self._industry_sectioned.get(code_key(query))),
                     _one_per_iri(self._industry_labels.get(plain_key(query)))]
        anywhere = next((t for t in tiers if t), [])
        if wanted is not None:
            tiers = [[m for m in t if self._industries[m[0]].scheme == wanted] for t in tiers]
        matches = next((t for t in tiers if t), [])
        if not matches and anywhere and wanted is not None:
            candidates = self._industry_candidates(anywhere)
            return Resolution(text, None, candidates,
                              f"no industry {query!r} in {self._schemes[wanted]}; "
                              f"{len(candidates)} in other schemes: {_listing(candidates)}")
        if not matches:
            near = unique(i for i, _ in self._industry_labels.near(plain_key(query)))
            hint = (f"; near: {'; '.join(self._industry_label(i) for i in near[:3])}"
                    if near else "")
            return Resolution(text, None, (), f"unknown industry {text!r}{hint}")
        if len(matches) == 1:
            return self._resolved(text, matches[0], self._industry_label)
        candidates = self._industry_candidates(matches)
        schemes = unique(self._schemes.get(self._industries[c.iri].scheme, "?")
                         for c in candidates)
        hint = ""
        if len(schemes) > 1:
            example = f"{schemes[0]}:{self._industries[candidates[0].iri].code}"
            hint = f"; give the scheme ({_either(schemes)}), e.g. {example!r}"
        return Resolution(text, None, candidates,
                          f"ambiguous industry {text!r}: {len(candidates)} candidates: "
                          f"{_listing(candidates)}{hint}")

    def _industry_candidates(self, matches: Iterable[Match]) -> tuple[Candidate, ...]:
        """Candidates for ``matches``, one per industry, by scheme and code."""
        def order(iri: URIRef) -> tuple:
            industry = self._industries[iri]
            return self._schemes.get(industry.scheme, ""), industry.code or "", str(iri)
        return self._candidates_of(matches, self._industry_label, order)

    def _industry_label(self, iri: URIRef) -> str:
        industry = self._industries[iri]
        scheme = self._schemes.get(industry.scheme, str(industry.scheme))
        return " ".join(p for p in (scheme, industry.code, _display_name(industry.names, iri))
                        if p)

    # -- organizations -----------------------------------------------------------
    def organization(self, text: str) -> Resolution:
        """The organization ``text`` means: its unified social credit code (18
        characters; the check character is verified first, and a code that fails is
        rejected, never looked up), its name (preferred or alternative, in any language;
        full-width and half-width forms, spaces and case do not matter), or an IRI."""
        return self._remember(("organization", text), lambda: self._organization(text))

    def _organization(self, text: str) -> Resolution:
        query = unicodedata.normalize("NFKC", text).strip()
        compact = "".join(query.split()).upper()
        if not compact:
            return Resolution(text, None, (), "empty organization reference")
        code_like = compact.isascii() and compact.isalnum() \
            and sum(c.isdigit() for c in compact) >= 6
        if code_like and len(compact) == 18:
            problem = check_credit_code(compact)
            if problem is not None:
                return Resolution(text, None, (),
                                  f"invalid unified social credit code {text!r}: {problem}")
            matches = self._organization_codes.get(compact)
            if not matches:
                return Resolution(text, None, (), f"no organization has the unified social "
                                                  f"credit code {compact}")
        else:
            iri = _iri(query, "org/")
            if iri is not None:
                matches = [(iri, "iri")] if iri in self._organizations else []
            else:
                matches = self._organization_names.get(plain_key(query))
            if not matches:
                if code_like:
                    return Resolution(text, None, (),
                                      f"unknown organization {text!r}: no organization has "
                                      "that name, and as a unified social credit code it "
                                      f"{check_credit_code(compact)}")
                near = unique(i for i, _ in self._organization_names.near(plain_key(query)))
                hint = (f"; near: {'; '.join(self._organization_label(i) for i in near[:3])}"
                        if near else "")
                return Resolution(text, None, (), f"unknown organization {text!r}{hint}")
        matches = _one_per_iri(matches)
        if len(matches) == 1:
            return self._resolved(text, matches[0], self._organization_label)
        candidates = self._candidates_of(matches, self._organization_label, str)
        hint = ("several organizations have this code" if matches[0][1] == "credit code"
                else "give the unified social credit code")
        return Resolution(text, None, candidates,
                          f"ambiguous organization {text!r}: {len(candidates)} candidates: "
                          f"{_listing(candidates)}; {hint}")

    def _organization_label(self, iri: URIRef) -> str:
        organization = self._organizations[iri]
        label = _display_name(organization.names, iri)
        return f"{label} ({organization.code})" if organization.code else label

    # -- shared ------------------------------------------------------------------
    def _remember(self, key: tuple, resolve: Callable[[], Resolution]) -> Resolution:
        """The resolution remembered for ``key``, else ``resolve()`` (remembered)."""
        found = self._remembered.get(key)
        if found is None:
            if len(self._remembered) >= self.REMEMBERED:
                self._remembered.clear()
            found = self._remembered[key] = resolve()
        return found

    def _candidates_of(self, matches: Iterable[Match], labeller: Labeller,
                       order: Callable[[URIRef], Any]) -> tuple[Candidate, ...]:
        """One candidate per IRI of ``matches`` (what matched first), sorted by ``order``."""
        found = dict(_one_per_iri(matches))
        return tuple(self._candidate((iri, found[iri]), labeller)
                     for iri in sorted(found, key=order))

    def _candidate(self, match: Match, labeller: Labeller) -> Candidate:
        candidate = self._candidates.get(match)
        if candidate is None:
            candidate = self._candidates[match] = Candidate(match[0], labeller(match[0]), match[1])
        return candidate

    def _resolved(self, text: str, match: Match, labeller: Labeller) -> Resolution:
        return Resolution(text, match[0], (self._candidate(match, labeller),), None)


#: SPARQL the resolver reads the store with (graph/sparql/resolve-*.rq).
_REGIONS = internal_query("resolve-regions")
_AREA_MEMBERS = internal_query("resolve-economic-area-members")
_INDUSTRIES = internal_query("resolve-industries")
_SCHEMES = internal_query("resolve-industry-schemes")
_ORGANIZATIONS = internal_query("resolve-organizations")

_YEAR = re.compile(r"(-?\d{4,})(?:Z|[+-]\d\d:\d\d)?")


def _one_per_iri(matches: Iterable[Match]) -> list[Match]:
    """``matches`` with one match per IRI, the first.

    >>> _one_per_iri([(URIRef("urn:x:a"), "pinyin"), (URIRef("urn:x:a"), "name en")])
    [(rdflib.term.URIRef('urn:x:a'), 'pinyin')]
    """
    first: dict[URIRef, str] = {}
    for iri, why in matches:
        first.setdefault(iri, why)
    return list(first.items())


def _row_key(row: Sequence[Node | None]) -> tuple[str, ...]:
    return tuple("" if term is None else str(term) for term in row)


def _text(term: Node | None) -> str | None:
    return str(term).strip() or None if term is not None else None


def _day(text: str | None, *, last: bool) -> datetime.date | None:
    """The first (or, with ``last``, the last) day a date or year covers.

    >>> _day("2013", last=True), _day("2013-05-01", last=False)
    (datetime.date(2013, 12, 31), datetime.date(2013, 5, 1))
    """
    if text is None:
        return None
    text = text.strip()
    year = _YEAR.fullmatch(text)
    try:
        if year:
            return datetime.date(int(year.group(1)), 12, 31) if last \
                else datetime.date(int(year.group(1)), 1, 1)
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _division_code(digits: str) -> str | None:
    """The 6- or 9-digit division code of a code of digits (12-digit statistical codes
    lose their trailing zeros), or None if it has another length.

    >>> _division_code("330604000000"), _division_code("330604001000"), _division_code("3306")
    ('330604', '330604001', None)
    """
    if len(digits) in (6, 9):
        return digits
    if len(digits) == 12 and digits.endswith("000"):
        return digits[:6] if digits.endswith("000000") else digits[:9]
    return None


def _iri(text: str, path: str) -> URIRef | None:
    """The IRI ``text`` gives (in full, as a ``tkid:`` or ``tksyn:`` CURIE, or, for a
    region, as its id such as ``cn-330604``), or None if it gives none.

    >>> str(_iri("tkid:region/cn-330604", "region/")), str(_iri("cn-330604", "region/"))
    ('https://w3id.org/tieskg/id/region/cn-330604', 'https://w3id.org/tieskg/id/region/cn-330604')
    >>> _iri("上虞区", "region/") is None
    True
    """
    if text.startswith(("http://", "https://")):
        return URIRef(text)
    for prefix, namespace in (("tkid:", TKID), ("tksyn:", TKSYN)):
        if text.startswith(prefix):
            return URIRef(str(namespace) + text[len(prefix):])
    if path == "region/" and re.fullmatch(r"cn(-\d{6,9}(-[a-z0-9-]+)?)?", text):
        return TKID[path + text]
    return None


#: Separators of the ``?facts`` string the resolve queries pack: between entries, and
#: between an entry's property, language tag and value.
_ENTRIES, _FIELDS = "\x1e", "\x1f"
_TYPE, _PREF, _ALT = str(RDF.type), str(SKOS.prefLabel), str(SKOS.altLabel)
_CODE, _PARENT = str(TK.divisionCode), str(TK.parentDivision)
_FROM, _THROUGH = str(SCHEMA.validFrom), str(SCHEMA.validThrough)
_NOTATION, _SCHEME, _BROADER = str(SKOS.notation), str(SKOS.inScheme), str(SKOS.broader)
_CREDIT, _ECONOMIC_AREA = str(TK.creditCode), str(TK.EconomicArea)


class _Facts:
    """The facts about one thing that a resolve query packs into its ``?facts`` string
    (entries separated by U+001E, each the property IRI, U+001F, the language tag,
    U+001F, the value), by property.

    >>> skos = "http://www.w3.org/2004/02/skos/core#"
    >>> facts = _Facts(_ENTRIES.join([
    ...     _FIELDS.join((skos + "altLabel", "en", "Shangyu")),
    ...     _FIELDS.join((skos + "prefLabel", "zh", "上虞区")),
    ...     _FIELDS.join((skos + "prefLabel", "en", "Shangyu District")),
    ...     _FIELDS.join((skos + "prefLabel", "zh", "上虞区"))]))  # stated in two graphs
    >>> names, entries = facts.labels()
    >>> names
    {'en': 'Shangyu District', 'zh': '上虞区'}
    >>> for entry in entries:
    ...     print(entry)
    ('Shangyu District', 'en', 'name en')
    ('上虞区', 'zh', 'name zh')
    ('Shangyu', 'en', 'alt name en')
    """

    __slots__ = ("_by_property",)

    def __init__(self, packed: Node | None):
        self._by_property: dict[str, list[tuple[str, str]]] = {}
        for entry in str(packed).split(_ENTRIES) if packed is not None else ():
            prop, language, value = [*entry.split(_FIELDS, 2), "", ""][:3]
            self._by_property.setdefault(prop, []).append((language, value.strip()))

    def values(self, prop: str) -> set[str]:
        """The values of ``prop`` (lexical forms or IRIs)."""
        return {value for _, value in self._by_property.get(prop, ()) if value}

    def first(self, prop: str) -> str | None:
        """The least value of ``prop`` (so that a repeated property gives the same value
        every time), or None."""
        return min(self.values(prop), default=None)

    def last(self, prop: str) -> str | None:
        """The greatest value of ``prop``, or None."""
        return max(self.values(prop), default=None)

    def first_iri(self, prop: str) -> URIRef | None:
        value = self.first(prop)
        return URIRef(value) if value else None

    def labels(self) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
        """The preferred label per language (the least if several), and (label,
        language, what kind of label) for every label: preferred ones first, each once."""
        names: dict[str, str] = {}
        entries = []
        for prop, preferred in ((_PREF, True), (_ALT, False)):
            for language, label in sorted(set(self._by_property.get(prop, ()))):
                if label:
                    language = language.lower()
                    if preferred:
                        names.setdefault(language, label)
                    entries.append((label, language, _why(language, preferred=preferred)))
        return names, entries


def _why(language: str, *, preferred: bool) -> str:
    if language.startswith("zh-latn"):
        return "pinyin"
    kind = "name" if preferred else "alt name"
    return f"{kind} {language}" if language else kind


def _display_name(names: dict[str, str], iri: URIRef) -> str:
    """Chinese name, then English (or pinyin) name; the IRI when there are none."""
    latin = names.get("en") or names.get("zh-latn-pinyin")
    shown = unique(n for n in (names.get("zh"), latin) if n) or list(names.values())[:1]
    return " ".join(shown) or str(iri)


def _listing(candidates: Sequence[Candidate]) -> str:
    shown = "; ".join(c.label for c in candidates[:_SHOWN])
    return shown + ("; …" if len(candidates) > _SHOWN else "")


def _either(items: Sequence[str], *, most: int | None = None) -> str:
    """The items joined for a sentence; only the first ``most`` of more.

    >>> _either(["a"]), _either(["a", "b"]), _either(["a", "b", "c"])
    ('a', 'a or b', 'a, b or c')
    >>> _either(["a", "b", "c"], most=2)
    'a, b, …'
    """
    items = list(items)
    if most is not None and len(items) > most:
        return ", ".join([*items[:most], "…"])
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


_EXAMPLE = """
@prefix tk: <https://w3id.org/tieskg/ontology#> .
@prefix region: <https://w3id.org/tieskg/id/region/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
tk:PrefectureLevelDivision rdfs:subClassOf tk:Region .
tk:CountyLevelDivision rdfs:subClassOf tk:Region .
tk:Company rdfs:subClassOf <http://www.w3.org/ns/org#Organization> .
region:cn-330600 a tk:PrefectureLevelDivision ; tk:divisionCode "330600" ;
    skos:prefLabel "绍兴市"@zh , "Shàoxīng Shì"@zh-Latn-pinyin .
region:cn-330604 a tk:CountyLevelDivision ; tk:divisionCode "330604" ;
    tk:parentDivision region:cn-330600 ; schema:validFrom "2013"^^xsd:gYear ;
    skos:prefLabel "上虞区"@zh , "Shàngyú Qū"@zh-Latn-pinyin .
region:cn-330682-1995 a tk:CountyLevelDivision ; tk:divisionCode "330682" ;
    tk:parentDivision region:cn-330600 ; schema:validFrom "1995"^^xsd:gYear ;
    schema:validThrough "2013"^^xsd:gYear ;
    skos:prefLabel "上虞市"@zh , "Shàngyú Shì"@zh-Latn-pinyin .
<https://w3id.org/tieskg/id/scheme/isic-rev4> a tk:IndustryClassification ;
    skos:notation "ISIC Rev. 4" .
<https://w3id.org/tieskg/id/industry/isic-rev4/2100> a tk:Industry ; skos:notation "2100" ;
    skos:inScheme <https://w3id.org/tieskg/id/scheme/isic-rev4> .
<https://w3id.org/tieskg/synthetic/org/example> a tk:Company ;
    skos:prefLabel "TK示例材料有限公司"@zh ; tk:creditCode "91330604MA2D000011" .
""".encode()
