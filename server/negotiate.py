"""Content negotiation: the media type to answer in, from a request's Accept header.

>>> choose("text/csv;q=0.5, application/sparql-results+xml", RESULT_TYPES)
'application/sparql-results+xml'
>>> choose(None, GRAPH_TYPES)
'text/turtle'
>>> choose("image/png", GRAPH_TYPES) is None
True
"""

from __future__ import annotations

#: SELECT and ASK results: media type -> format name, preferred first.
RESULT_TYPES: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
}

#: CONSTRUCT and DESCRIBE results (and the service description): media type -> format.
GRAPH_TYPES: dict[str, str] = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


def _accepted(header: str) -> list[tuple[str, float]]:
    """(media range, q) pairs of an Accept header."""
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for field in fields[1:]:
            key, _, value = field.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((fields[0].lower(), q))
    return ranges


def _quality(media: str, ranges: list[tuple[str, float]]) -> float:
    """q of ``media`` under the most specific matching range (0 when none matches)."""
    best = (-1, 0.0)
    major = media.split("/")[0]
    for pattern, q in ranges:
        specificity = (2 if pattern == media else 1 if pattern == f"{major}/*"
                       else 0 if pattern == "*/*" else -1)
        if specificity > best[0]:
            best = (specificity, q)
    return best[1] if best[0] >= 0 else 0.0


def choose(header: str | None, offered: dict[str, str] | list[str]) -> str | None:
    """The offered media type the Accept ``header`` likes best (ties: the first
    offered); the first offered when there is no header; None when none is acceptable."""
    types = list(offered)
    if not header or not header.strip():
        return types[0]
    ranges = _accepted(header)
    scored = [(_quality(media, ranges), -i, media) for i, media in enumerate(types)]
    q, _, media = max(scored)
    return media if q > 0 else None
