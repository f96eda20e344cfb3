"""Records that generators read from installed packages, and what they could not use."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tieskg.loaders._yaml import Record


@dataclass(frozen=True)
class UnusedRow:
    """A source row a generator could not use as it stands: where it is and why.

    ``reason`` is one of a few general reasons (rows are counted by it); ``detail`` says
    what in this row.
    """

    source: Path
    position: int
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class PackagedRecords:
    """Records from a package: (kind name, record) pairs, and where they came from.

    ``unused`` lists the source rows that did not become records (or became them only in
    part), each with the reason, so that nothing is dropped silently; ``sources`` names
    data files besides the package that the records were read from.
    """

    origin: Path
    records: list[tuple[str, Record]]
    unused: list[UnusedRow] = field(default_factory=list)
    sources: tuple[Path, ...] = ()

    def digest_bytes(self) -> bytes:
        """A canonical form of the records, for the dataset's checksum."""
        return json.dumps([[kind, dict(r)] for kind, r in self.records], sort_keys=True,
                          ensure_ascii=False, default=str).encode("utf-8")


def packaged_record(position: int, fields: dict[str, Any]) -> Record:
    """A record made in code, whose "line" in error messages is ``position`` (its place in
    a package's list, or a row of a user's table)."""
    record = Record(fields)
    record.line = position
    record.key_lines = {}
    return record
