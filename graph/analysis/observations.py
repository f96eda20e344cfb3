"""Observations read from the store for the specialization measures: one indicator, one
year, industries at one level of one classification, as plain records."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import Literal, URIRef

from tieskg.errors import TieskgError
from tieskg.graph.analysis.industries import IndustryTree
from tieskg.graph.analysis.specialization import Record
from tieskg.graph.store import Store, internal_query
from tieskg.namespaces import TKV

#: The indicator measured unless another is asked for.
DEFAULT_INDICATOR = TKV["indicator/industrial-output-value"]


class SpecializationError(TieskgError):
    """The observations cannot be turned into one region × industry matrix."""


@dataclass
class ObservationMatrix:
    """What :func:`read_observations` found: records ``(region, industry, value)`` (values
    times 10 ** multiplier), regions' totals over all industries where observed, labels,
    the year and unit used, and how many observations were left out and why."""

    records: list[Record]
    totals: dict[URIRef, float]
    year: str | None
    unit: URIRef | None
    region_names: dict[URIRef, str] = field(default_factory=dict)
    left_out: Counter[str] = field(default_factory=Counter)


def read_observations(store: Store, *, indicator: URIRef = DEFAULT_INDICATOR,
                      year: str | None = None, industry_level: int | None = None,
                      scheme: str | None = None,
                      tree: IndustryTree | None = None) -> ObservationMatrix:
    """The observations of ``indicator`` in ``year`` (default: the latest year with
    observations by industry), through ``graph/sparql/specialization-observations.rq``.

    With ``industry_level`` (1 = top level) each industry is rolled up to its ancestor at
    that level; observations above it are left out. ``scheme`` keeps one classification
    (an id such as ``gbt-4754-2017``). Mixed units, classifications or levels (an industry
    and one of its ancestors both observed for a region) would count twice and are an
    error saying which option fixes it.
    """
    tree = tree or IndustryTree.from_store(store)
    years = sorted(str(row[1]) for row in store.select(
        internal_query("specialization-years"), bindings={"indicator": indicator}).rows)
    if not years:
        raise SpecializationError(f"no observations of {indicator} by industry in the store: "
                                  "load some (`tieskg template observations`) or choose "
                                  "another --indicator")
    chosen = year or years[-1]
    if chosen not in years:
        raise SpecializationError(f"no observations of {indicator} by industry in {chosen}; "
                                  f"years with some: {', '.join(years)}")
    rows = store.select(internal_query("specialization-observations"),
                        bindings={"indicator": indicator, "year": Literal(chosen)}).rows
    rows = [row[2:] for row in rows]  # the first columns are the parameters bound
    cells: dict[tuple[URIRef, URIRef], float] = defaultdict(float)
    candidates: dict[URIRef, list[tuple[float, URIRef]]] = defaultdict(list)
    names: dict[URIRef, str] = {}
    units: Counter[URIRef] = Counter()
    left_out: Counter[str] = Counter()
    seen: set[URIRef] = set()
    for obs, area, industry, _period, value, unit, multiplier, name_en, name_zh in rows:
        if obs in seen:
            continue  # an area with several names in a language gives several rows
        seen.add(obs)
        names.setdefault(area, str(name_zh or name_en or area))
        amount = float(Decimal(str(value)).scaleb(int(str(multiplier or 0))))
        if industry is None:
            candidates[area].append((amount, unit))
            continue
        if scheme is not None and tree.industries.get(industry) is not None \
                and tree.industries[industry].scheme != scheme:
            left_out[f"not in {scheme}"] += 1
            continue
        if industry_level is not None:
            rolled = tree.at_level(industry, industry_level)
            if rolled is None:
                left_out[f"industry above level {industry_level}"] += 1
                continue
            industry = rolled
        units[unit] += 1
        cells[area, industry] += amount
    if len(units) > 1:
        listed = ", ".join(f"{u} ({n})" for u, n in units.most_common())
        raise SpecializationError(f"observations of {indicator} in {chosen} come in several "
                                  f"units ({listed}); load them in one unit")
    unit = next(iter(units), None)
    totals = _region_totals(cells, candidates, unit, left_out)
    _check_one_scheme(cells, tree, scheme)
    if industry_level is None:
        _check_one_level(cells, tree)
    records = [(area, industry, value) for (area, industry), value in sorted(cells.items())]
    return ObservationMatrix(records, totals, chosen, unit, names, left_out)


def _region_totals(cells, candidates: dict[URIRef, list[tuple[float, URIRef]]],
                   unit: URIRef | None, left_out: Counter[str]) -> dict[URIRef, float]:
    """Each region's total over all industries, from its observations without industry
    in ``unit``: the largest where there are several (sources differ), none that is
    below the sum of the region's industries. Used only when every region has one (else
    the shares of regions with and without totals would not compare)."""
    sums: dict[URIRef, float] = defaultdict(float)
    for (area, _), value in cells.items():
        sums[area] += value
    totals = {}
    for area in sums:
        values = [v for v, u in candidates.get(area, ()) if u == unit]
        if values and max(values) >= sums[area]:
            totals[area] = max(values)
        elif values:
            left_out["region total below the sum of its industries"] += 1
    if totals and len(totals) < len(sums):
        left_out["region totals (not every region has one)"] += len(totals)
        return {}
    return totals


def _check_one_scheme(cells, tree: IndustryTree, scheme: str | None) -> None:
    schemes = Counter(tree.industries[i].scheme if i in tree.industries else "?"
                      for _, i in cells)
    if len(schemes) > 1:
        raise SpecializationError(
            f"the observations use several classifications ({', '.join(sorted(schemes))}); "
            f"choose one with --scheme")


def _check_one_level(cells, tree: IndustryTree) -> None:
    by_region: dict[URIRef, set[URIRef]] = defaultdict(set)
    for area, industry in cells:
        by_region[area].add(industry)
    for area, industries in sorted(by_region.items()):
        for industry in sorted(industries):
            above = set(tree.ancestors(industry)[1:]) & industries
            if above:
                raise SpecializationError(
                    f"{area} has observations of both {tree.label(industry)} and "
                    f"{tree.label(min(above))}, which contains it: choose one level with "
                    "--industry-level N (1 = top)")
