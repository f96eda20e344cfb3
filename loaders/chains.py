"""Industry-chain templates: ordered segments from raw materials to end products, each
with the industries (``scheme:code``) it consists of and where it comes from (``source:``
a citation, or ``judgement: project`` for tieskg's own judgement).

Templates are YAML files in ``loaders/data/chains/`` (one chain each) or files of the
user's. :func:`load_chain` checks the structure and, given the industries a store knows,
every code; a problem is an :class:`InputError` naming file, line, segment and reason.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from rdflib import URIRef

from tieskg.errors import InputError
from tieskg.loaders._yaml import Record, read_yaml

_ID_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


@dataclass(frozen=True)
class Segment:
    """One link of a chain: id, names, industries (``scheme:code``), provenance."""

    id: str
    name_zh: str
    name_en: str
    industries: tuple[str, ...]
    #: A citation, or None when the segment is the project's own judgement.
    source: str | None
    note: str = ""

    @property
    def provenance(self) -> str:
        return self.source or "project's own judgement"


@dataclass(frozen=True)
class ChainTemplate:
    """A chain: id, names, the file it came from, segments in order (upstream first)."""

    id: str
    name_zh: str
    name_en: str
    path: Path
    segments: tuple[Segment, ...]


def template_paths() -> dict[str, Path]:
    """The templates shipped with tieskg, by chain id (the file's stem)."""
    folder = files("tieskg.loaders") / "data" / "chains"
    return {Path(str(f)).stem: Path(str(f)) for f in sorted(folder.iterdir(), key=str)
            if str(f).endswith(".yaml")}


def find_template(name: str) -> Path:
    """A shipped template by chain id, or a path to a template file."""
    shipped = template_paths()
    if name in shipped:
        return shipped[name]
    path = Path(name)
    if path.is_file():
        return path
    raise InputError(f"no chain template {name!r}: give one of {', '.join(shipped)} "
                     "(see `tieskg analyze chains`) or a path to a template YAML file")


def load_chain(path: Path, industries: Mapping[str, URIRef] | None = None) -> ChainTemplate:
    """Read and check the template in ``path``.

    ``industries`` maps ``scheme:code`` to the industries a store knows; when given, a
    code it lacks is an error listing the nearest codes of that scheme.
    """
    data = read_yaml(path)
    chain = data.get("chain") if isinstance(data, Record) else None
    if not isinstance(chain, Record):
        raise InputError("a chain template has one top-level key, `chain:`, holding id, "
                         "name and segments", path=path, line=getattr(data, "line", None))
    chain_id = _identifier(chain, "id", path, "the chain")
    _known_keys(chain, {"id", "name", "segments", "description"}, path, "the chain")
    zh, en = _names(chain, path, "the chain")
    raw = chain.get("segments")
    if not isinstance(raw, list) or not raw:
        raise InputError("`segments:` must be a list of segments, upstream first",
                         path=path, line=chain.line_of("segments"))
    segments: list[Segment] = []
    seen: set[str] = set()
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, Record):
            raise InputError(f"segment {position} is not a mapping", path=path,
                             line=chain.line_of("segments"))
        segment = _segment(item, position, path, industries)
        if segment.id in seen:
            raise InputError(f"segment {segment.id!r}: the id is used twice", path=path,
                             line=item.line)
        seen.add(segment.id)
        segments.append(segment)
    return ChainTemplate(chain_id, zh, en, path, tuple(segments))


def _segment(item: Record, position: int, path: Path,
             industries: Mapping[str, URIRef] | None) -> Segment:
    seg_id = _identifier(item, "id", path, f"segment {position}")
    what = f"segment {seg_id!r}"
    _known_keys(item, {"id", "name", "industries", "source", "judgement", "note"}, path, what)
    zh, en = _names(item, path, what)
    codes = item.get("industries")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise InputError(f"{what}: `industries:` must be a non-empty list of scheme:code "
                         'strings, e.g. ["gbt-4754-2017:27"]', path=path,
                         line=item.line_of("industries"))
    for code in codes:
        if ":" not in code:
            raise InputError(f"{what}: industry {code!r} lacks its scheme; write "
                             "scheme:code, e.g. gbt-4754-2017:27", path=path,
                             line=item.line_of("industries"))
        if industries is not None and code not in industries:
            raise InputError(f"{what}: unknown industry code {code!r}"
                             f"{_candidates(code, industries)}", path=path,
                             line=item.line_of("industries"))
    source, judgement = item.get("source"), item.get("judgement")
    if (source is None) == (judgement is None):
        raise InputError(f"{what}: give either `source:` (a citation) or `judgement: "
                         "project` (the project's own judgement), not both or neither",
                         path=path, line=item.line)
    if judgement is not None and judgement != "project":
        raise InputError(f"{what}: `judgement:` can only be `project`", path=path,
                         line=item.line_of("judgement"))
    if source is not None and (not isinstance(source, str) or not source.strip()):
        raise InputError(f"{what}: `source:` must be a citation text", path=path,
                         line=item.line_of("source"))
    return Segment(seg_id, zh, en, tuple(codes), source, str(item.get("note") or ""))


def _candidates(code: str, industries: Mapping[str, URIRef]) -> str:
    scheme = code.partition(":")[0]
    same = [k for k in industries if k.partition(":")[0] == scheme]
    if not same:
        schemes = sorted({k.partition(":")[0] for k in industries})
        return f" (no scheme {scheme!r}; loaded schemes: {', '.join(schemes)})"
    near = difflib.get_close_matches(code, same, n=5, cutoff=0.6)
    return f"; candidates: {', '.join(near)}" if near else f" (not in {scheme})"


def _identifier(record: Record, key: str, path: Path, what: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value or not set(value) <= _ID_CHARACTERS:
        raise InputError(f"{what}: `{key}:` must be lower-case letters, digits and '-'",
                         path=path, line=record.line_of(key))
    return value


def _names(record: Record, path: Path, what: str) -> tuple[str, str]:
    name = record.get("name")
    if not isinstance(name, Record) or not (name.get("zh") or name.get("en")):
        raise InputError(f"{what}: `name:` needs zh and/or en, e.g. {{zh: 医疗器械, en: "
                         "Medical devices}", path=path, line=record.line_of("name"))
    _known_keys(name, {"zh", "en"}, path, f"{what}'s name",
                hint=" (quote a name that holds a comma)")
    return str(name.get("zh") or ""), str(name.get("en") or "")


def _known_keys(record: Record, known: set[str], path: Path, what: str, hint: str = "") -> None:
    unknown = sorted(str(k) for k in record if k not in known)
    if unknown:
        raise InputError(f"{what}: unknown key(s) {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(known))}{hint}", path=path,
                         line=record.line_of(unknown[0]))
