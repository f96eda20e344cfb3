"""Read RDF files of any common syntax into one rdflib graph, with clear errors.

Parsing goes through pyoxigraph, which never fetches anything (no remote ``owl:imports``,
no remote JSON-LD contexts) and reports the line of a syntax error.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from tieskg.errors import InputError
from tieskg.graph.terms import to_rdflib


def rdf_format_of(path: Path) -> ox.RdfFormat:
    """The RDF syntax of ``path`` from its extension (.ttl, .trig, .nt, .nq, .jsonld, .rdf)."""
    extension = path.suffix.lstrip(".").lower()
    extension = {"owl": "rdf", "xml": "rdf", "json": "jsonld"}.get(extension, extension)
    found = ox.RdfFormat.from_extension(extension)
    if found is None:
        raise InputError("unknown RDF file extension (use .ttl, .trig, .nt, .nq, .jsonld "
                         "or .rdf)", path=path)
    return found


def read_rdf_files(paths: Iterable[Path]) -> Graph:
    """Parse every file; triples of all their graphs go into one rdflib graph."""
    graph = Graph()
    for path in paths:
        path = Path(path)
        try:
            for quad in ox.parse(path=str(path), format=rdf_format_of(path)):
                graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate),
                           to_rdflib(quad.object)))
        except SyntaxError as exc:
            line = getattr(exc, "lineno", None)
            raise InputError(f"RDF syntax error: {exc.msg if hasattr(exc, 'msg') else exc}",
                             path=path, line=line) from exc
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    return graph
