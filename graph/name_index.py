"""A text index of names beside the embedded store, for finding things by a part of a name.

Oxigraph has no text index, so ``find-by-name`` reads every name in the store (about
170,000 in a 1M-triple graph; 0.3 s on disk). The build therefore writes, into the store's
folder, a SQLite database (Python's own ``sqlite3``, FTS5 with the trigram tokenizer) of
every distinct name: each literal that is the object of a name property
(``graph/sparql/names.rq``), lowercased. :func:`names_containing` returns the names that
contain a text, ignoring case; the runner passes them to the query as a ``VALUES`` block
(see ``# name-index:`` in :mod:`tieskg.queries.runner`), so the query itself still decides
what matches: the index only has to be complete, never exact.

Completeness, case by case: a text of three characters or more is looked up through the
trigram index (a phrase of trigrams matches exactly the strings holding it as a
substring), a shorter one (上虞) by reading the index's names in SQLite (still some ten
times faster than reading them from the store), then tested in Python with ``in``.
Python's ``str.lower`` and Oxigraph's ``LCASE`` (Rust's ``to_lowercase``) apply the same
Unicode lowercase mapping; a name with a character Python does not know (Unicode
category ``Cn``: added to Unicode after this Python) is always a candidate, and a text
with such a character is not looked up at all (the query then reads every name, as
without index).

The index describes the store as it was built: opening the store for writing
(:meth:`~tieskg.graph.store.OxigraphStore.open` with ``read_only=False``) deletes it.

>>> import tempfile
>>> from pathlib import Path
>>> from rdflib import Literal, URIRef
>>> from tieskg.graph.store import NAME_INDEX, OxigraphStore
>>> store = OxigraphStore.in_memory()
>>> g = URIRef("https://w3id.org/tieskg/graph/example")
>>> label = URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
>>> store.replace_graph(g, [(URIRef("urn:x:a"), label, Literal("Shangyu District", lang="en"), g),
...                         (URIRef("urn:x:b"), label, Literal("上虞区", lang="zh"), g)])
>>> folder = Path(tempfile.mkdtemp())
>>> write_name_index(store, folder / NAME_INDEX)
2
>>> names_containing(folder, "YU DIS")
[rdflib.term.Literal('Shangyu District', lang='en')]
>>> names_containing(folder, "上虞")
[rdflib.term.Literal('上虞区', lang='zh')]
"""

from __future__ import annotations

import os
import sqlite3
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef

from tieskg.graph.store import NAME_INDEX, OxigraphStore, internal_query

__all__ = ["MAX_CANDIDATES", "names_containing", "write_name_index"]
#: Beyond this many matching names the index gives up (``None``): a ``VALUES`` block that
#: long costs more than reading every name.
MAX_CANDIDATES = 2000
#: Shortest text the trigram index can look up.
_SHORTEST = 3
_BATCH = 10_000
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

#: Every distinct name literal (the name properties of ``queries/find-by-name.rq``).
_NAMES = internal_query("names")


def _unknown_to_python(text: str) -> bool:
    """Whether ``text`` holds a character this Python's Unicode tables do not assign."""
    return not text.isascii() and any(unicodedata.category(c) == "Cn" for c in text)


def _rows(store: OxigraphStore) -> Iterator[tuple[str, str, str | None, str | None]]:
    for solution in store.stream(_NAMES):
        name = solution["name"]
        if not isinstance(name, ox.Literal):
            continue
        language = name.language
        datatype = None if language or name.datatype.value == _XSD_STRING else name.datatype.value
        yield name.value.lower(), name.value, language, datatype


def write_name_index(store: OxigraphStore, target: Path) -> int:
    """Write the name index of ``store`` to the file ``target`` (replacing it; a store's
    is ``NAME_INDEX`` in its folder); returns the number of distinct names indexed.
    Written to a temporary file, then renamed."""
    target = Path(target)
    partial = target.with_name(f"{target.name}.partial")
    partial.unlink(missing_ok=True)
    count = 0
    try:
        with sqlite3.connect(partial) as db:
            db.execute("CREATE VIRTUAL TABLE names USING fts5(lowered, value UNINDEXED, "
                       "language UNINDEXED, datatype UNINDEXED, "
                       "tokenize = 'trigram case_sensitive 1')")
            # Names this Python cannot lowercase for sure: candidates for every text.
            db.execute("CREATE TABLE unknown (lowered, value, language, datatype)")
            rows = _rows(store)
            while batch := [row for _, row in zip(range(_BATCH), rows, strict=False)]:
                unknown = [row for row in batch if _unknown_to_python(row[1])]
                known = [row for row in batch if not _unknown_to_python(row[1])] \
                    if unknown else batch
                db.executemany("INSERT INTO names VALUES (?, ?, ?, ?)", known)
                db.executemany("INSERT INTO unknown VALUES (?, ?, ?, ?)", unknown)
                count += len(batch)
            db.execute("INSERT INTO names(names) VALUES ('optimize')")
        db.close()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return count


def names_containing(folder: Path, text: str) -> list[Literal] | None:
    """The names in the index of the store in ``folder`` that contain ``text``, ignoring
    case, as rdflib literals; ``None`` when the index cannot answer (no index, an empty
    text or one with a character unknown to this Python, or more than
    :data:`MAX_CANDIDATES` names): then every name has to be read."""
    path = Path(folder) / NAME_INDEX
    wanted = text.lower()
    if not wanted or _unknown_to_python(text) or not path.is_file():
        return None
    if len(wanted) >= _SHORTEST:  # through the trigram index
        where, argument = "names MATCH ?", '"' + wanted.replace('"', '""') + '"'
    else:  # one or two characters (上虞): every name, read by SQLite
        where, argument = "instr(lowered, ?) > 0", wanted
    try:
        with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT lowered, value, language, datatype FROM names "
                              f"WHERE {where} LIMIT ?",
                              (argument, MAX_CANDIDATES + 1)).fetchall()
            rows += db.execute("SELECT lowered, value, language, datatype FROM unknown "
                               "LIMIT ?", (MAX_CANDIDATES + 1,)).fetchall()
        db.close()
    except sqlite3.Error:
        return None  # an unreadable index is no index: read every name
    if len(rows) > MAX_CANDIDATES:
        return None
    return [_literal(value, language, datatype)
            for lowered, value, language, datatype in rows
            if wanted in lowered or _unknown_to_python(value)]


def _literal(value: str, language: str | None, datatype: str | None) -> Literal:
    if language:
        return Literal(value, lang=language)
    return Literal(value, datatype=URIRef(datatype) if datatype else None, normalize=False)
