"""The RDF syntax of a file, from its extension.

Parsing goes through pyoxigraph, which never fetches anything (no remote ``owl:imports``,
no remote JSON-LD contexts) and reports the line of a syntax error.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from tieskg.errors import InputError


def rdf_format_of(path: Path) -> ox.RdfFormat:
    """The RDF syntax of ``path`` from its extension (.ttl, .trig, .nt, .nq, .jsonld, .rdf)."""
    extension = path.suffix.lstrip(".").lower()
    extension = {"owl": "rdf", "xml": "rdf", "json": "jsonld"}.get(extension, extension)
    found = ox.RdfFormat.from_extension(extension)
    if found is None:
        raise InputError("unknown RDF file extension (use .ttl, .trig, .nt, .nq, .jsonld "
                         "or .rdf)", path=path)
    return found
