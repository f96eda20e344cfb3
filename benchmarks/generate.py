#!/usr/bin/env python3
"""Synthetic tieskg data for benchmarks: N-Quads that follow the ontology and the shapes.

    python benchmarks/generate.py --triples 1000000 --seed 1 -o /tmp/b1m.nq
    python benchmarks/generate.py --triples 20000 --seed 7 --violations 0.01 -o bad.nq
    python benchmarks/generate.py --organizations 400000 --supply-ties-per-organization 5 \
        --observations-per-organization 0 --seed 1 -o /tmp/national.nq

Writes about ``--triples`` triples (the last record may overshoot by a few dozen) in one
named graph, ``tkg:illustrative/benchmark-<seed>``, which describes itself as the
loader's source graphs do (``a tk:SourceGraph``, ``prov:wasDerivedFrom`` a
``tk:ReferenceWork`` that says it is not real, ``tk:sourceChecksum``, ``dct:description``).
Every subject except the graph itself is under
``https://w3id.org/tieskg/synthetic/benchmark-<seed>/`` (``tksyn:``), so graphs of
different seeds never share a node. No blank nodes.

Contents:

- fixed part (scaled down when ``--triples`` is small, so it stays near 30 % of the
  total): a country, about 34 province-level divisions (some municipalities and
  autonomous regions), about 330 prefecture-level cities and about 3,000 county-level
  divisions with GB/T 2260-style codes PPCCDD, an industry classification with about
  150 industries in two levels, and about 2,000 industrial parks;
- scalable part, repeated until the target is reached: an organization (mostly
  companies, some research institutes and universities) with one to three facilities,
  supply ties between companies in different counties, and Data Cube observations
  (area × industry × year × indicator, every key used once).

The national network (issue 7: 400k organizations, 2M supply ties) would take about 70M
triples with the default mix (about 1.3 supply ties and 2 observations per organization).
``--organizations N`` writes exactly N organizations instead of a triple count (the fixed
part at full size); ``--supply-ties-per-organization X`` makes the supply ties exactly
``round(X * organizations so far)`` after each organization (so ``round(X * N)`` in all)
and ``--observations-per-organization Y`` gives each organization ``int(Y)`` observations,
one more with probability ``Y - int(Y)``. Without these options the output is the same as
before they existed.

Province codes come from two-digit prefixes GB/T 2260 does not use (56-60, 66-70,
72-80, 83-99), so synthetic codes never look like a real division's.

``--violations p`` breaks about a fraction ``p`` of the records that can be broken
(organizations, facilities, ties, observations, and county-level divisions) in one
known way each, prints how many of each kind to stderr and lists them in
``FILE.violations.json`` (written every run, empty when ``p`` is 0): focus node,
kind, and the shape, constraint component and path ``tieskg validate`` reports (see
``VIOLATION_KINDS``). A duplicated observation key is reported for both observations,
so it has two entries, the earlier one with ``"role": "duplicated"``.
The violations are drawn from a random stream of their own, so the records they leave
alone are the same as without ``--violations``.

Output is byte-for-byte deterministic for the same arguments (and the same version of
this script, whose SHA-256 goes into ``tk:sourceChecksum``). Files are written to a
temporary file beside the target and renamed into place.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import IO, TextIO

# --- namespaces and terms, as N-Quads text -------------------------------------------

SYN = "https://w3id.org/tieskg/synthetic/"
GRAPH_BASE = "https://w3id.org/tieskg/graph/illustrative/"
TK = "https://w3id.org/tieskg/ontology#"
TKV = "https://w3id.org/tieskg/vocab/"
TKS = "https://w3id.org/tieskg/shapes#"
SH = "http://www.w3.org/ns/shacl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
QB = "http://purl.org/linked-data/cube#"
WGS = "http://www.w3.org/2003/01/geo/wgs84_pos#"
SCHEMA = "https://schema.org/"


def _tk(name: str) -> str:
    return f"<{TK}{name}>"


def _tkv(name: str) -> str:
    return f"<{TKV}{name}>"


A = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = f"<{SKOS}prefLabel>"
NOTATION = f"<{SKOS}notation>"
IN_SCHEME = f"<{SKOS}inScheme>"
BROADER = f"<{SKOS}broader>"
DESCRIPTION = f"<{DCT}description>"
TITLE = f"<{DCT}title>"
DERIVED_FROM = f"<{PROV}wasDerivedFrom>"
START_DATE = f"<{SCHEMA}startDate>"
DATASET = f"<{QB}dataSet>"
STRUCTURE = f"<{QB}structure>"
LAT = f"<{WGS}lat>"
LONG = f"<{WGS}long>"
(SOURCE_CHECKSUM, SOURCE_FILE, DIVISION_CODE, DIVISION_TYPE, PARENT, PARK_LEVEL, PARK_KIND,
 FOCUS, LOCATED_IN, IN_PARK, INDUSTRY, CREDIT_CODE, OPERATED_BY, FROM_REGION, TO_REGION,
 TIE_STATUS, SUPPLIER, CUSTOMER, PRODUCT_INDUSTRY, REF_AREA, REF_PERIOD, INDICATOR, VALUE,
 UNIT, MULTIPLIER, QUALIFIER) = (_tk(name) for name in (
    "sourceChecksum", "sourceFile", "divisionCode", "divisionType", "parentDivision",
    "parkLevel", "parkKind", "focusIndustry", "locatedIn", "inPark", "industry", "creditCode",
    "operatedBy", "fromRegion", "toRegion", "tieStatus", "supplier", "customer",
    "productIndustry", "refArea", "refPeriod", "indicator", "value", "unit", "unitMultiplier",
    "valueQualifier"))

DECIMAL = f"^^<{XSD}decimal>"
INTEGER = f"^^<{XSD}integer>"
GYEAR = f"^^<{XSD}gYear>"

SOURCE_GRAPH, REFERENCE_WORK, DATASET_CLASS, CLASSIFICATION, INDUSTRY_CLASS, PARK = (
    _tk(name) for name in ("SourceGraph", "ReferenceWork", "StatisticalDataset",
                           "IndustryClassification", "Industry", "IndustrialPark"))
COUNTRY, PROVINCE, PREFECTURE, COUNTY = (
    _tk(name) for name in ("Country", "ProvinceLevelDivision", "PrefectureLevelDivision",
                           "CountyLevelDivision"))
COMPANY, RESEARCH_INSTITUTE, UNIVERSITY = (
    _tk(name) for name in ("Company", "ResearchInstitute", "University"))
RD_CENTRE, PLANT, HEADQUARTERS, SUPPLY_TIE, OBSERVATION = (
    _tk(name) for name in ("RDCentre", "ManufacturingPlant", "Headquarters", "SupplyTie",
                           "Observation"))
STRUCTURE_DEFINITION = _tkv("regional-indicators-structure")

# --- synthetic names ----------------------------------------------------------------

#: Syllables of place and brand names, with a character for the Chinese label.
SYLLABLES = (
    ("an", "安"), ("bai", "白"), ("bei", "北"), ("chang", "长"), ("cheng", "城"),
    ("dong", "东"), ("feng", "丰"), ("fu", "富"), ("gang", "港"), ("guang", "广"),
    ("he", "河"), ("heng", "恒"), ("hu", "湖"), ("hua", "华"), ("jia", "嘉"),
    ("jiang", "江"), ("jin", "金"), ("kang", "康"), ("lan", "兰"), ("lin", "林"),
    ("ling", "陵"), ("long", "龙"), ("mei", "梅"), ("ming", "明"), ("nan", "南"),
    ("ning", "宁"), ("ping", "平"), ("qing", "青"), ("quan", "泉"), ("rui", "瑞"),
    ("shan", "山"), ("shui", "水"), ("tai", "泰"), ("tian", "田"), ("wu", "武"),
    ("xi", "西"), ("xin", "新"), ("xing", "兴"), ("yang", "阳"), ("yong", "永"),
    ("yu", "玉"), ("yuan", "源"), ("yun", "云"), ("zhang", "章"), ("zhu", "竹"),
    ("zhou", "州"),
)

#: Level-1 industries: English label, Chinese label, word used in organization names.
SECTORS = (
    ("Food processing", "食品加工", "Foods"),
    ("Textiles", "纺织", "Textiles"),
    ("Apparel", "服装", "Apparel"),
    ("Chemicals", "化学原料和化学制品", "Chemical"),
    ("Pharmaceuticals", "医药", "Pharmaceutical"),
    ("Rubber and plastics", "橡胶和塑料制品", "Polymer"),
    ("Non-metallic minerals", "非金属矿物制品", "Building Materials"),
    ("Ferrous metals", "黑色金属冶炼和压延加工", "Steel"),
    ("Non-ferrous metals", "有色金属冶炼和压延加工", "Nonferrous"),
    ("Metal products", "金属制品", "Metalworks"),
    ("General machinery", "通用设备", "Machinery"),
    ("Special machinery", "专用设备", "Equipment"),
    ("Automobiles", "汽车制造", "Automotive"),
    ("Transport equipment", "铁路、船舶、航空航天和其他运输设备", "Transport Equipment"),
    ("Electrical machinery", "电气机械和器材", "Electric"),
    ("Electronics", "计算机、通信和其他电子设备", "Electronics"),
    ("Instruments", "仪器仪表", "Instruments"),
    ("Software and IT services", "软件和信息技术服务", "Software"),
    ("New materials", "新材料", "Advanced Materials"),
    ("New energy", "新能源", "New Energy"),
)
SEGMENTS = ("components", "equipment", "materials", "systems", "devices", "processing",
            "services", "consumables", "precision parts", "assemblies")

#: (vocabulary notation, English name part, Chinese name part)
PARK_KINDS = (
    ("etdz", "Economic and Technological Development Area", "经济技术开发区"),
    ("high-tech-zone", "High-tech Industrial Development Zone", "高新技术产业开发区"),
    ("economic-development-area", "Economic Development Area", "经济开发区"),
    ("industrial-park", "Industrial Park", "工业园区"),
)

#: Two-digit province prefixes that GB/T 2260 does not use (it uses 11-15, 21-23, 31-37,
#: 41-46, 50-54, 61-65, 71, 81, 82).
PROVINCE_PREFIXES = tuple(p for p in range(56, 100) if p not in (61, 62, 63, 64, 65, 71, 81, 82))

#: Full-scale sizes of the fixed part.
FULL_PROVINCES = 34
FULL_TOP_INDUSTRIES = 20
FULL_PARKS = 2000
#: Triples of the full-size fixed part (measured; only used to choose the scale).
FULL_FIXED_TRIPLES = 44_500
#: Share of the target the fixed part may take when it has to be scaled down.
FIXED_SHARE = 0.3
MIN_TRIPLES = 5_000
YEARS = tuple(range(2000, 2025))
PROGRESS_EVERY = 1_000_000

# --- violations -------------------------------------------------------------------

#: kind -> (shape, constraint component, path) as ``tieskg validate`` reports them.
VIOLATION_KINDS: dict[str, tuple[str, str, str | None]] = {
    "division-code-pattern": (f"{TKS}AdministrativeDivision-divisionCode",
                              f"{SH}PatternConstraintComponent", f"{TK}divisionCode"),
    "credit-code-pattern": (f"{TKS}Organization-creditCode",
                            f"{SH}PatternConstraintComponent", f"{TK}creditCode"),
    "missing-operator": (f"{TKS}Facility-operatedBy",
                         f"{SH}MinCountConstraintComponent", f"{TK}operatedBy"),
    "tie-from-equals-to": (f"{TKS}RegionalTie-fromRegion",
                           f"{SH}DisjointConstraintComponent", f"{TK}fromRegion"),
    "value-below-minimum": (f"{TKS}Observation-valueInRange",
                            f"{SH}SPARQLConstraintComponent", f"{TK}value"),
    "growth-out-of-range": (f"{TKS}Observation-valueInRange",
                            f"{SH}SPARQLConstraintComponent", f"{TK}value"),
    # Both observations of a duplicated key are reported, so this kind lists two entries.
    "duplicate-observation": (f"{TKS}ObservationKeyShape",
                              f"{SH}SPARQLConstraintComponent", None),
}


class Summary:
    """What a run wrote: the file, its triple count, the time it took, records per kind and
    the planted violations (the entries of the sidecar file).

    A plain class, not a dataclass, so that the module also works when loaded by file path
    without being registered in ``sys.modules``.
    """

    def __init__(self, path: Path, triples: int, seconds: float, records: Counter[str],
                 violations: list[dict[str, str | None]]):
        self.path = path
        self.triples = triples
        self.seconds = seconds
        self.records = records
        self.violations = violations

    @property
    def violation_counts(self) -> Counter[str]:
        """Planted violations per kind (a duplicated observation key counts once)."""
        counts: Counter[str] = Counter()
        for entry in self.violations:
            if entry.get("role") != "duplicated":
                counts[str(entry["kind"])] += 1
        return counts


class _Generator:
    def __init__(self, out: IO[str], target: int, seed: int, violations: float,
                 log: TextIO | None, checksum: str, started: float, mix: Mix | None = None):
        self.out = out
        self.target = target
        self.mix = mix or Mix()
        self.seed = seed
        self.p = violations
        self.log = log
        self.checksum = checksum
        self.started = started
        self.rng = random.Random(seed)
        # Violations come from a stream of their own so that they change nothing else.
        self.vrng = random.Random(f"tieskg-benchmark-violations-{seed}")
        self.base = f"{SYN}benchmark-{seed}/"
        self.graph = f"<{GRAPH_BASE}benchmark-{seed}>"
        self.tail = f" {self.graph} .\n"
        self.buffer: list[str] = []
        self.n = 0
        self.next_report = PROGRESS_EVERY
        self.records: Counter[str] = Counter()
        self.violations: list[dict[str, str | None]] = []

    # -- output --------------------------------------------------------------------
    def emit(self, text: str) -> None:
        self.buffer.append(text)
        self.n += text.count("\n")
        if len(self.buffer) >= 2048:
            self.flush()

    def flush(self) -> None:
        self.out.write("".join(self.buffer))
        self.buffer.clear()
        if self.log is not None and self.n >= self.next_report:
            elapsed = time.perf_counter() - self.started
            print(f"{self.n:>12,} triples  {self.n / max(elapsed, 1e-9):>10,.0f} triples/s",
                  file=self.log, flush=True)
            while self.next_report <= self.n:
                self.next_report += PROGRESS_EVERY

    def iri(self, local: str) -> str:
        return f"<{self.base}{local}>"

    def plant(self, kind: str, focus: str, **extra: str) -> None:
        shape, component, path = VIOLATION_KINDS[kind]
        self.violations.append({"kind": kind, "focus": focus[1:-1], "shape": shape,
                                "component": component, "path": path, **extra})

    def broken(self) -> bool:
        return self.p > 0 and self.vrng.random() < self.p

    # -- the whole run -----------------------------------------------------------------
    def run(self) -> None:
        organizations = self.mix.organizations
        scale = (1.0 if organizations is not None
                 else min(1.0, FIXED_SHARE * self.target / FULL_FIXED_TRIPLES))
        self.describe_graph()
        self.regions(scale)
        self.industries(scale)
        self.parks(scale)
        self.prepare_observations()
        if organizations is not None:
            while self.organization_count < organizations:
                self.unit()
        else:
            while self.n < self.target:
                self.unit()
        self.flush()

    def describe_graph(self) -> None:
        g, t = self.graph, self.tail
        source, dataset = self.iri("source/benchmark"), self.iri("dataset/benchmark")
        self.source = source
        self.dataset = dataset
        self.emit(
            f"{g} {A} {SOURCE_GRAPH}{t}"
            f"{g} {DERIVED_FROM} {source}{t}"
            f'{g} {SOURCE_CHECKSUM} "{self.checksum}"{t}'
            f'{g} {SOURCE_FILE} "benchmarks/generate.py"{t}'
            f'{g} {DESCRIPTION} "Illustrative data: NOT REAL. Synthetic benchmark data made '
            f'by benchmarks/generate.py (seed {self.seed}, {self.size()})."@en{t}'
            f"{source} {A} {REFERENCE_WORK}{t}"
            f'{source} {TITLE} "Synthetic benchmark data: NOT REAL (seed {self.seed})"@en{t}'
            f'{source} {DESCRIPTION} "Synthetic benchmark data: NOT REAL. Every region, '
            f'industry, park, organization, tie and figure here is made up."@en{t}'
            f"{dataset} {A} {DATASET_CLASS}{t}"
            f"{dataset} {STRUCTURE} {STRUCTURE_DEFINITION}{t}"
            f"{dataset} {DERIVED_FROM} {source}{t}"
            f'{dataset} {LABEL} "Synthetic benchmark statistics (NOT REAL)"@en{t}')
        self.records["sources"] += 1

    def size(self) -> str:
        """The size asked for, as the graph's description states it."""
        mix = self.mix
        if mix.organizations is None and mix.ties is None and mix.observations is None:
            return f"about {self.target} triples"
        parts = [f"{mix.organizations} organizations" if mix.organizations is not None
                 else f"about {self.target} triples"]
        if mix.ties is not None:
            parts.append(f"{mix.ties} supply ties per organization")
        if mix.observations is not None:
            parts.append(f"{mix.observations} observations per organization")
        return ", ".join(parts)

    # -- fixed part: regions -------------------------------------------------------------
    def name(self) -> tuple[str, str]:
        r = self.rng.random
        n = len(SYLLABLES)
        (e1, z1), (e2, z2) = SYLLABLES[int(r() * n)], SYLLABLES[int(r() * n)]
        return e1.capitalize() + e2, z1 + z2

    def region(self, iri: str, cls: str, dtype: str, en: str, zh: str, code: str | None,
               parent: str | None, lat: float, long: float) -> None:
        t = self.tail
        text = (f"{iri} {A} {cls}{t}"
                f"{iri} {DIVISION_TYPE} {_tkv('division-type/' + dtype)}{t}"
                f'{iri} {LABEL} "{en}"@en{t}'
                f'{iri} {LABEL} "{zh}"@zh{t}'
                f'{iri} {LAT} "{lat:.4f}"{DECIMAL}{t}'
                f'{iri} {LONG} "{long:.4f}"{DECIMAL}{t}')
        if code is not None:
            text += f'{iri} {DIVISION_CODE} "{code}"{t}'
        if parent is not None:
            text += f"{iri} {PARENT} {parent}{t}"
        self.emit(text)
        self.records["regions"] += 1

    def county(self, code: str, parent: str, dtype: str, lat: float, long: float) -> None:
        en, zh = self.name()
        suffix = {"district": (" District", "区"), "county": (" County", "县"),
                  "county-level-city": (" City", "市")}[dtype]
        iri = self.iri(f"region/{code}")
        emitted = code
        if self.broken():
            emitted = code + "1"   # seven digits: breaks the pattern, still extends the parent
            self.plant("division-code-pattern", iri)
        self.region(iri, COUNTY, dtype, en + suffix[0], zh + suffix[1], emitted, parent,
                    lat, long)
        self.counties.append(iri)
        self.county_codes.append(code)
        self.county_names.append(en)
        self.county_zh.append(zh)
        self.areas.append(iri)

    def regions(self, scale: float) -> None:
        rng = self.rng
        u = rng.uniform
        self.counties: list[str] = []
        self.county_codes: list[str] = []
        self.county_names: list[str] = []
        self.county_zh: list[str] = []
        self.areas: list[str] = []
        country = self.iri("region/country")
        self.region(country, COUNTRY, "country", f"Synthetic Country (benchmark {self.seed})",
                    "合成国", None, None, 35.0, 105.0)
        provinces = max(2, round(FULL_PROVINCES * scale))
        municipalities = provinces // 8
        autonomous = provinces // 7
        for index, prefix in enumerate(PROVINCE_PREFIXES[:provinces]):
            en, zh = self.name()
            if index < municipalities:
                dtype, en, zh = "municipality", en, zh + "市"
            elif index < municipalities + autonomous:
                dtype, en, zh = "autonomous-region", en + " Autonomous Region", zh + "自治区"
            else:
                dtype, en, zh = "province", en + " Province", zh + "省"
            lat, long = u(22.0, 47.0), u(80.0, 128.0)
            province = self.iri(f"region/{prefix}0000")
            self.region(province, PROVINCE, dtype, en, zh, f"{prefix}0000", country, lat, long)
            self.areas.append(province)
            if dtype == "municipality":
                for d in range(1, rng.randint(12, 20) + 1):
                    self.county(f"{prefix}01{d:02d}", province, "district",
                                lat + u(-0.3, 0.3), long + u(-0.3, 0.3))
                continue
            for c in range(1, rng.randint(7, 15) + 1):
                pen, pzh = self.name()
                plat, plong = lat + u(-2.0, 2.0), long + u(-2.0, 2.0)
                prefecture = self.iri(f"region/{prefix}{c:02d}00")
                self.region(prefecture, PREFECTURE, "prefecture-level-city", pen, pzh + "市",
                            f"{prefix}{c:02d}00", province, plat, plong)
                self.areas.append(prefecture)
                kinds = (["district"] * rng.randint(1, 5) + ["county"] * rng.randint(2, 8)
                         + ["county-level-city"] * rng.randint(0, 2))
                first = {"district": 2, "county": 21, "county-level-city": 81}
                for dtype in kinds:
                    number = first[dtype]
                    first[dtype] += 1
                    self.county(f"{prefix}{c:02d}{number:02d}", prefecture, dtype,
                                plat + u(-0.5, 0.5), plong + u(-0.5, 0.5))

    # -- fixed part: industries and parks --------------------------------------------------
    def industries(self, scale: float) -> None:
        rng, t = self.rng, self.tail
        scheme = self.iri("industry-scheme/benchmark")
        self.emit(f"{scheme} {A} {CLASSIFICATION}{t}"
                  f'{scheme} {LABEL} "Synthetic industry classification (NOT REAL)"@en{t}'
                  f'{scheme} {NOTATION} "SYN-IND"{t}'
                  f'{scheme} {DESCRIPTION} "A made-up two-level classification for '
                  f'benchmarks, loosely after GB/T 4754."@en{t}')
        self.records["industry schemes"] += 1
        self.leaves: list[str] = []
        self.leaf_words: list[str] = []
        self.leaf_labels: list[str] = []
        for s in range(max(3, round(FULL_TOP_INDUSTRIES * scale))):
            en, zh, word = SECTORS[s]
            code = f"S{s + 1:02d}"
            top = self.iri(f"industry/benchmark/{code}")
            self.emit(f"{top} {A} {INDUSTRY_CLASS}{t}"
                      f'{top} {LABEL} "{en}"@en{t}'
                      f'{top} {LABEL} "{zh}"@zh{t}'
                      f'{top} {NOTATION} "{code}"{t}'
                      f"{top} {IN_SCHEME} {scheme}{t}")
            for k, segment in enumerate(rng.sample(SEGMENTS, rng.randint(5, 8)), start=1):
                child_code = f"{code}{k:02d}"
                child = self.iri(f"industry/benchmark/{child_code}")
                self.emit(f"{child} {A} {INDUSTRY_CLASS}{t}"
                          f'{child} {LABEL} "{en}: {segment}"@en{t}'
                          f'{child} {NOTATION} "{child_code}"{t}'
                          f"{child} {IN_SCHEME} {scheme}{t}"
                          f"{child} {BROADER} {top}{t}")
                self.leaves.append(child)
                self.leaf_words.append(word)
                self.leaf_labels.append(child_code)
            self.records["industries"] += 1
        self.records["industries"] += len(self.leaves)

    def brand(self) -> str:
        r = self.rng.random
        n = len(SYLLABLES)
        return SYLLABLES[int(r() * n)][0].capitalize() + SYLLABLES[int(r() * n)][0]

    def parks(self, scale: float) -> None:
        rng, t = self.rng, self.tail
        r = rng.random
        self.park_iris: list[str] = []
        self.park_counties: list[int] = []
        leaves = len(self.leaves)
        for i in range(max(4, round(FULL_PARKS * scale))):
            county = int(r() * len(self.counties))
            level = r()
            if level < 0.1:
                level_name, kinds = "national", [int(r() * 2)]
            else:
                level_name = "provincial" if level < 0.55 else "municipal"
                kinds = [int(r() * 4)]
                if r() < 0.1:
                    kinds.append((kinds[0] + 1 + int(r() * 3)) % 4)
            _, kind_en, kind_zh = PARK_KINDS[kinds[0]]
            brand = self.brand()
            park = self.iri(f"park/{i}")
            text = (f"{park} {A} {PARK}{t}"
                    f'{park} {LABEL} "{self.county_names[county]} {brand} {kind_en}"@en{t}'
                    f'{park} {LABEL} "{self.county_zh[county]}{kind_zh}"@zh{t}'
                    f"{park} {LOCATED_IN} {self.counties[county]}{t}"
                    f"{park} {PARK_LEVEL} {_tkv('park-level/' + level_name)}{t}")
            for kind in kinds:
                text += f"{park} {PARK_KIND} {_tkv('park-kind/' + PARK_KINDS[kind][0])}{t}"
            for leaf in sorted({int(r() * leaves) for _ in range(1 + int(r() * 3))}):
                text += f"{park} {FOCUS} {self.leaves[leaf]}{t}"
            self.emit(text)
            self.park_iris.append(park)
            self.park_counties.append(county)
        self.records["parks"] += len(self.park_iris)

    # -- scalable part -------------------------------------------------------------------
    def prepare_observations(self) -> None:
        """Observation ``i`` gets key ``(a * i + b) mod M`` of the M possible keys
        (area × industry × year × indicator): a permutation, so no key repeats."""
        self.dims = (3, len(YEARS), len(self.leaves), len(self.areas))
        self.keys = math.prod(self.dims)
        a = int(self.keys * 0.6180339887) | 1
        while math.gcd(a, self.keys) != 1:
            a += 2
        self.key_step, self.key_offset = a, self.rng.randrange(self.keys)
        self.observation_count = 0
        self.last_clean: tuple[int, int, int, int] | None = None
        self.last_clean_iri = ""
        self.companies: list[str] = []
        self.company_counties: list[int] = []
        self.organization_count = 0
        self.tie_count = 0

    def unit(self) -> None:
        """One organization with its facilities, its supply ties and some observations."""
        r = self.rng.random
        mix = self.mix
        self.organization()
        if mix.ties is None:
            ties = r()
            for _ in range(0 if ties < 0.25 else 1 if ties < 0.6 else 2 if ties < 0.85 else 3):
                self.supply_tie()
        else:
            wanted = round(mix.ties * self.organization_count)
            attempts = 2 * (wanted - self.tie_count) + 8
            while self.tie_count < wanted and attempts > 0:
                self.supply_tie()
                attempts -= 1
        if mix.observations is None:
            observations = int(r() * 5)
        else:
            whole = int(mix.observations)
            observations = whole + (r() < mix.observations - whole)
        for _ in range(observations):
            self.observation()

    def place(self) -> tuple[int, str | None]:
        """A county and, three times in ten, a park in it."""
        r = self.rng.random
        if r() < 0.3:
            park = int(r() * len(self.park_iris))
            return self.park_counties[park], self.park_iris[park]
        return int(r() * len(self.counties)), None

    def organization(self) -> None:
        r, t = self.rng.random, self.tail
        i = self.organization_count
        self.organization_count += 1
        org = self.iri(f"org/{i}")
        county, park = self.place()
        leaf = int(r() * len(self.leaves))
        place_name, word = self.county_names[county], self.leaf_words[leaf]
        kind = r()
        if kind < 0.85:
            cls, name, prefix = COMPANY, f"{place_name} {self.brand()} {word} Co., Ltd.", "91"
        elif kind < 0.95:
            cls, name, prefix = RESEARCH_INSTITUTE, f"{place_name} {word} Research Institute", "12"
        else:
            cls, name, prefix = UNIVERSITY, f"{place_name} University of Technology {i}", "12"
        # 18 characters: registration prefix, county code, a ten-digit number unique per org.
        credit = f"{prefix}{self.county_codes[county]}{(i * 2654435761 + self.seed) % 10**10:010d}"
        if self.broken():
            credit = credit[:-1] + "I"   # I is not in the GB 32100 alphabet
            self.plant("credit-code-pattern", org)
        text = (f"{org} {A} {cls}{t}"
                f'{org} {LABEL} "{name}"@en{t}'
                f"{org} {LOCATED_IN} {self.counties[county]}{t}"
                f"{org} {INDUSTRY} {self.leaves[leaf]}{t}"
                f'{org} {CREDIT_CODE} "{credit}"{t}')
        if park is not None:
            text += f"{org} {IN_PARK} {park}{t}"
        if r() < 0.3:
            second = int(r() * len(self.leaves))
            if second != leaf:
                text += f"{org} {INDUSTRY} {self.leaves[second]}{t}"
        self.emit(text)
        self.records["organizations"] += 1
        if cls == COMPANY:
            self.companies.append(org)
            self.company_counties.append(county)
            kinds = [HEADQUARTERS] + [RD_CENTRE if r() < 0.4 else PLANT
                                      for _ in range(int(r() * 3))]
        else:
            kinds = [RD_CENTRE] * (1 + int(r() * 2))
        for k, facility_class in enumerate(kinds):
            where = (county, park) if k == 0 else self.place()
            self.facility(f"{i}-{k}", facility_class, org, name, where, leaf)

    def facility(self, local: str, cls: str, org: str, org_name: str,
                 where: tuple[int, str | None], leaf: int) -> None:
        t = self.tail
        facility = self.iri(f"facility/{local}")
        county, park = where
        what = {HEADQUARTERS: "headquarters", RD_CENTRE: "R&D centre", PLANT: "plant"}[cls]
        text = (f"{facility} {A} {cls}{t}"
                f'{facility} {LABEL} "{org_name} {what} in {self.county_names[county]}"@en{t}'
                f"{facility} {LOCATED_IN} {self.counties[county]}{t}"
                f"{facility} {INDUSTRY} {self.leaves[leaf]}{t}")
        if self.broken():
            self.plant("missing-operator", facility)
        else:
            text += f"{facility} {OPERATED_BY} {org}{t}"
        if park is not None:
            text += f"{facility} {IN_PARK} {park}{t}"
        self.emit(text)
        self.records["facilities"] += 1

    def supply_tie(self) -> None:
        """A supply tie between two companies in different counties (the shapes make
        tk:fromRegion and tk:toRegion disjoint)."""
        r, t = self.rng.random, self.tail
        n = len(self.companies)
        if n < 2:
            return
        supplier = int(r() * n)
        for _ in range(8):
            customer = int(r() * n)
            if self.company_counties[customer] != self.company_counties[supplier]:
                break
        else:
            return
        i = self.tie_count
        self.tie_count += 1
        tie = self.iri(f"tie/{i}")
        leaf = int(r() * len(self.leaves))
        status = r()
        status = ("active" if status < 0.7 else "historical" if status < 0.85
                  else "sought" if status < 0.95 else "promoted")
        origin = self.counties[self.company_counties[supplier]]
        destination = self.counties[self.company_counties[customer]]
        if self.broken():
            destination = origin
            self.plant("tie-from-equals-to", tie)
        text = (f"{tie} {A} {SUPPLY_TIE}{t}"
                f'{tie} {LABEL} "Supply tie {i}: {self.leaf_labels[leaf]}"@en{t}'
                f"{tie} {SUPPLIER} {self.companies[supplier]}{t}"
                f"{tie} {CUSTOMER} {self.companies[customer]}{t}"
                f"{tie} {FROM_REGION} {origin}{t}"
                f"{tie} {TO_REGION} {destination}{t}"
                f"{tie} {TIE_STATUS} {_STATUSES[status]}{t}"
                f"{tie} {PRODUCT_INDUSTRY} {self.leaves[leaf]}{t}")
        if r() < 0.5:
            text += f'{tie} {START_DATE} "{2005 + int(r() * 20)}"{GYEAR}{t}'
        self.emit(text)
        self.records["supply ties"] += 1

    def observation(self) -> None:
        r, t = self.rng.random, self.tail
        i = self.observation_count
        if i >= self.keys:
            return
        key = (self.key_step * i + self.key_offset) % self.keys
        indicator, key = key % 3, key // 3
        year, key = key % len(YEARS), key // len(YEARS)
        leaf, area = key % len(self.leaves), key // len(self.leaves)
        self.observation_count += 1
        if indicator == 0:
            value = f"{10 ** (r() * 4 - 1):.2f}"
        elif indicator == 1:
            value = f"{r() * 100 - 40:.1f}"
        else:
            value = f"{int(10 ** (r() * 3.5))}"
        qualifier = r()
        dimensions = (area, year, indicator, leaf)
        if self.broken():
            if self.last_clean is not None and self.vrng.random() < 1 / 3:
                self.duplicate(self.last_clean)
                self.last_clean = None
            elif indicator == 1:
                high = self.vrng.random() < 0.5
                shift = 50 * self.vrng.random()
                value = f"{1000.5 + shift if high else -100.5 - shift:.1f}"
                self.plant("growth-out-of-range", self.iri(f"obs/{i}"))
                dimensions = None
            else:
                value = "-" + value
                self.plant("value-below-minimum", self.iri(f"obs/{i}"))
                dimensions = None
        text = self.observation_text(self.iri(f"obs/{i}"), area, year, indicator, leaf, value)
        if qualifier < 0.3:
            text += f"{self.iri(f'obs/{i}')} {QUALIFIER} {_QUALIFIERS[int(qualifier * 10)]}{t}"
        self.emit(text)
        self.records["observations"] += 1
        if dimensions is not None:
            self.last_clean = dimensions
            self.last_clean_iri = self.iri(f"obs/{i}")

    def observation_text(self, obs: str, area: int, year: int, indicator: int, leaf: int,
                         value: str) -> str:
        t = self.tail
        indicator_iri, unit, multiplier = _INDICATORS[indicator]
        return (f"{obs} {A} {OBSERVATION}{t}"
                f"{obs} {DATASET} {self.dataset}{t}"
                f"{obs} {REF_AREA} {self.areas[area]}{t}"
                f'{obs} {REF_PERIOD} "{YEARS[year]}"{GYEAR}{t}'
                f"{obs} {INDICATOR} {indicator_iri}{t}"
                f"{obs} {INDUSTRY} {self.leaves[leaf]}{t}"
                f'{obs} {VALUE} "{value}"{DECIMAL}{t}'
                f"{obs} {UNIT} {unit}{t}"
                f'{obs} {MULTIPLIER} "{multiplier}"{INTEGER}{t}')

    def duplicate(self, dimensions: tuple[int, int, int, int]) -> None:
        """Another observation with the key of an earlier one: both are reported."""
        area, year, indicator, leaf = dimensions
        i = self.observation_count
        self.observation_count += 1
        obs = self.iri(f"obs/{i}")
        self.emit(self.observation_text(obs, area, year, indicator, leaf,
                                        f"{1 + self.vrng.random() * 100:.1f}"))
        self.records["observations"] += 1
        self.plant("duplicate-observation", obs)
        self.plant("duplicate-observation", self.last_clean_iri, role="duplicated")


_STATUSES = {name: _tkv(f"tie-status/{name}")
             for name in ("active", "historical", "sought", "promoted")}
#: Indexed by int(10 * u) for u < 0.3: three in ten observations carry a qualifier.
_QUALIFIERS = (_tkv("value-qualifier/exact"), _tkv("value-qualifier/approximate"),
               _tkv("value-qualifier/more-than"))
#: indicator -> (indicator, unit, power of ten): output in 100 million yuan (亿元).
_INDICATORS = (
    (_tkv("indicator/industrial-output-value"), _tkv("unit/CNY"), 8),
    (_tkv("indicator/industrial-output-growth"), _tkv("unit/percent"), 0),
    (_tkv("indicator/enterprise-count"), _tkv("unit/enterprise"), 0),
)


class Mix:
    """What each organization brings, where it differs from the default mix: exactly
    ``organizations`` of them (instead of a triple count), ``ties`` supply ties and
    ``observations`` observations per organization on average (None: the default)."""

    def __init__(self, organizations: int | None = None, ties: float | None = None,
                 observations: float | None = None):
        self.organizations = organizations
        self.ties = ties
        self.observations = observations

    def arguments(self) -> str:
        """The options as they enter the checksum (empty for the default mix, so that
        default output stays the same)."""
        return "".join(f" {name}={value!r}" for name, value in (
            ("organizations", self.organizations), ("ties", self.ties),
            ("observations", self.observations)) if value is not None)


def _checksum(triples: int, seed: int, violations: float, mix: Mix | None = None) -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(f"\ntriples={triples} seed={seed} violations={violations!r}".encode())
    if mix is not None:
        digest.update(mix.arguments().encode())
    return digest.hexdigest()


def _atomic_write(path: Path, write: Callable[[IO[str]], object]) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
            write(out)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)   # mkstemp creates 0600; give what open() would
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def generate(path: Path, triples: int | None, seed: int, violations: float = 0.0, *,
             log: TextIO | None = sys.stderr, organizations: int | None = None,
             ties_per_organization: float | None = None,
             observations_per_organization: float | None = None) -> Summary:
    """Write about ``triples`` triples (or exactly ``organizations`` organizations) to
    ``path`` (``.nq``) and the planted violations to ``path.violations.json``; progress
    and a summary go to ``log`` (None: silent). ``ties_per_organization`` and
    ``observations_per_organization`` replace the default mix (see the module's text)."""
    path = Path(path)
    if path.suffix != ".nq":
        raise ValueError(f"{path}: the output must be an N-Quads file ending in .nq")
    if (triples is None) == (organizations is None):
        raise ValueError("give either --triples or --organizations")
    if triples is not None and triples < MIN_TRIPLES:
        raise ValueError(f"--triples must be at least {MIN_TRIPLES}")
    if organizations is not None and organizations < 1:
        raise ValueError("--organizations must be at least 1")
    for name, value in (("--supply-ties-per-organization", ties_per_organization),
                        ("--observations-per-organization", observations_per_organization)):
        if value is not None and value < 0:
            raise ValueError(f"{name} must not be negative")
    mix = Mix(organizations, ties_per_organization, observations_per_organization)
    target = triples if triples is not None else 0
    if not 0.0 <= violations <= 1.0:
        raise ValueError("--violations must lie in [0, 1]")
    started = time.perf_counter()
    state: dict[str, _Generator] = {}

    def write(out: IO[str]) -> None:
        generator = _Generator(out, target, seed, violations, log,
                               _checksum(target, seed, violations, mix), started, mix)
        generator.run()
        state["g"] = generator

    _atomic_write(path, write)
    generator = state["g"]
    sidecar = path.with_name(path.name + ".violations.json")
    _atomic_write(sidecar, lambda out: out.write(
        json.dumps(generator.violations, indent=1) + "\n"))
    summary = Summary(path, generator.n, time.perf_counter() - started, generator.records,
                      generator.violations)
    if log is not None:
        rate = summary.triples / max(summary.seconds, 1e-9)
        print(f"wrote {summary.triples:,} triples to {path} in {summary.seconds:.1f} s "
              f"({rate:,.0f} triples/s)", file=log)
        print("records: " + ", ".join(f"{k} {v:,}" for k, v in summary.records.items()),
              file=log)
        counts = summary.violation_counts
        if violations > 0:
            listed = ", ".join(f"{kind} {counts[kind]}" for kind in VIOLATION_KINDS)
            print(f"planted {sum(counts.values())} violations ({listed}); see {sidecar}",
                  file=log)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write synthetic tieskg benchmark data as N-Quads.")
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--triples", type=int, help="about how many triples")
    size.add_argument("--organizations", type=int, metavar="N",
                      help="exactly N organizations (instead of --triples)")
    parser.add_argument("--supply-ties-per-organization", type=float, metavar="X",
                        help="supply ties per organization (default: 0-3, about 1.3)")
    parser.add_argument("--observations-per-organization", type=float, metavar="Y",
                        help="observations per organization (default: 0-4, about 2)")
    parser.add_argument("--seed", type=int, required=True, help="random seed")
    parser.add_argument("--violations", type=float, default=0.0, metavar="P",
                        help="fraction of breakable records that violate a shape (default 0)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output file (.nq)")
    args = parser.parse_args(argv)
    try:
        generate(args.output, args.triples, args.seed, args.violations,
                 organizations=args.organizations,
                 ties_per_organization=args.supply_ties_per_organization,
                 observations_per_organization=args.observations_per_organization)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
