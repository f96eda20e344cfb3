"""Specialization of regions in industries: location quotients and revealed comparative
advantage, on plain records (no store, no pandas).

A record is ``(region, industry, value)``: any hashable keys and a number, such as a
region's industrial output in an industry in one year.

- **Location quotient** as the US Cluster Mapping Project computes it (there with
  employment): ``LQ = (x_ri / x_r) / (x_i / x)``, the industry's share of the region
  against its share of a reference economy (the nation). The region's total ``x_r`` is
  the region's *whole* economy when known (``totals``), not only the industries listed; the
  reference's industry totals and grand total may be given too (``reference``), else the
  sums over the records' regions stand in for them.
- **Revealed comparative advantage** as the Atlas of Economic Complexity computes it
  (Balassa's index, there with exports): ``RCA = (x_ri / Σ_i x_ri) / (Σ_r x_ri / Σ_ri
  x_ri)``, every sum over the matrix the records form, and a region is *specialized* in
  an industry when ``RCA >= 1`` (the Atlas' binary matrix M).

>>> records = [("A", "steel", 30), ("A", "drugs", 10), ("B", "steel", 10), ("B", "drugs", 50)]
>>> [(r.region, r.industry, round(r.index, 3)) for r in revealed_comparative_advantage(records)]
[('A', 'drugs', 0.417), ('A', 'steel', 1.875), ('B', 'drugs', 1.389), ('B', 'steel', 0.417)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

Record = tuple[Hashable, Hashable, float]


@dataclass(frozen=True)
class Specialization:
    """One region and industry: the value, the region's total, the industry's share of the
    region, the industry's share of the reference, and the index (LQ or RCA)."""

    region: Hashable
    industry: Hashable
    value: float
    region_total: float
    region_share: float
    reference_share: float
    index: float

    @property
    def specialized(self) -> bool:
        """Whether the index is 1 or more (the Atlas' M_cp = 1)."""
        return self.index >= 1


def _matrix(records: Iterable[Record]) -> dict[tuple[Hashable, Hashable], float]:
    """Sum the records into a region × industry matrix; negative values are an error."""
    matrix: dict[tuple[Hashable, Hashable], float] = defaultdict(float)
    for region, industry, value in records:
        if value < 0:
            raise ValueError(f"negative value {value} for {region} in {industry}: "
                             "specialization needs sizes (output, employment, exports)")
        matrix[region, industry] += float(value)
    return matrix


def location_quotients(records: Iterable[Record], *,
                       totals: Mapping[Hashable, float] | None = None,
                       reference: Mapping[Hashable, float] | None = None,
                       reference_total: float | None = None) -> list[Specialization]:
    """Location quotients ``(x_ri / x_r) / (x_i / x)`` for every record's region and industry.

    ``totals`` maps a region to its whole economy (e.g. all industrial output), used as
    ``x_r`` where given; ``reference`` maps an industry to the reference economy's value
    ``x_i`` and ``reference_total`` is ``x``. Missing ones are the sums over the records.
    A zero denominator gives no row for that cell. Rows are sorted by region, industry.

    >>> rows = location_quotients([("A", "steel", 30), ("A", "drugs", 10),
    ...                            ("B", "steel", 10), ("B", "drugs", 50)])
    >>> [(r.region, r.industry, round(r.index, 3)) for r in rows]
    [('A', 'drugs', 0.417), ('A', 'steel', 1.875), ('B', 'drugs', 1.389), ('B', 'steel', 0.417)]

    With A's whole economy 100 (the two industries are 40 of it) and a nation of 1,000 in
    which steel is 100: steel is 30 % of A against 10 % of the nation.

    >>> rows = location_quotients([("A", "steel", 30)], totals={"A": 100},
    ...                           reference={"steel": 100}, reference_total=1000)
    >>> round(rows[0].index, 6), rows[0].region_share, rows[0].reference_share
    (3.0, 0.3, 0.1)
    """
    matrix = _matrix(records)
    region_sums: dict[Hashable, float] = defaultdict(float)
    industry_sums: dict[Hashable, float] = defaultdict(float)
    for (region, industry), value in matrix.items():
        region_sums[region] += value
        industry_sums[industry] += value
    grand = reference_total if reference_total is not None else sum(matrix.values())
    rows = []
    for (region, industry), value in matrix.items():
        x_r = (totals or {}).get(region, region_sums[region])
        x_i = (reference or {}).get(industry, industry_sums[industry])
        if not x_r or not x_i or not grand:
            continue
        region_share, reference_share = value / x_r, x_i / grand
        rows.append(Specialization(region, industry, value, x_r, region_share,
                                   reference_share, region_share / reference_share))
    return sorted(rows, key=lambda r: (str(r.region), str(r.industry)))


def revealed_comparative_advantage(records: Iterable[Record]) -> list[Specialization]:
    """Balassa's RCA over the matrix the records form, as the Atlas of Economic Complexity
    computes it: every total is a sum over the matrix (no outside totals).

    >>> rows = revealed_comparative_advantage([("A", "x", 1), ("B", "y", 1)])
    >>> [(r.region, r.industry, r.index, r.specialized) for r in rows]
    [('A', 'x', 2.0, True), ('B', 'y', 2.0, True)]
    """
    return location_quotients(records)
