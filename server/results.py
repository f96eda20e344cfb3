"""Running one request's query or update on a store and serializing what it returns.

This runs inside a worker process (:mod:`tieskg.server.workers`): it reads at most
``max_rows`` + 1 solutions (or triples) from Oxigraph's lazy result, so that a huge
result costs no more than the cap, and says whether it cut the result.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from tieskg.errors import QueryError, TieskgError
from tieskg.graph.store import OxigraphStore, SelectResult, Store
from tieskg.graph.terms import to_rdflib
from tieskg.namespaces import PREFIXES
from tieskg.queries.runner import format_result, name_restricted
from tieskg.server.safety import refuse_remote

if TYPE_CHECKING:
    from tieskg.graph.remote_store import SparqlEndpointStore

_RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
                "json-ld": ox.RdfFormat.JSON_LD, "xml": ox.RdfFormat.RDF_XML}


@dataclass(frozen=True)
class Job:
    """One query (or, with ``update``, one update) for a worker to run."""

    sparql: str
    media: str = ""
    fmt: str = ""
    bindings: dict[str, Node] = field(default_factory=dict)
    max_rows: int = 10_000
    default_graph: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    update: bool = False
    #: parse first and refuse SERVICE and LOAD (not needed for library queries)
    check: bool = True
    #: a library query's ``# name-index:`` (variable, parameter), for the store's index
    name_index: tuple[str, str] | None = None


@dataclass(frozen=True)
class Reply:
    """What a worker answers: HTTP status, media type, body, whether rows were cut."""

    status: int
    media: str
    body: bytes
    truncated: bool = False


def text_reply(status: int, message: str) -> Reply:
    """A plain-text answer (an error message)."""
    return Reply(status, "text/plain; charset=utf-8", (message + "\n").encode("utf-8"))


def checked_update(store: OxigraphStore | SparqlEndpointStore, job: Job) -> Reply | None:
    """Refuse what the endpoint does not run (when ``job`` asks for the check), and run
    ``job`` if it is an update (its reply); ``None`` for a query, still to run."""
    if job.check:
        refuse_remote(job.sparql, update=job.update)
    if job.update:
        store.update(job.sparql)
        return Reply(204, "text/plain", b"")
    return None


def execute(store: Store, job: Job) -> Reply:
    """Run ``job`` on ``store``; errors become 400 (the request's fault) or 500."""
    if not isinstance(store, OxigraphStore):
        from tieskg.server.remote import execute_remote

        return execute_remote(store, job)
    try:
        if (updated := checked_update(store, job)) is not None:
            return updated
        sparql = name_restricted(store, job.sparql, job.name_index, job.bindings)
        result = store.stream(sparql, bindings=job.bindings,
                              default_graph=[URIRef(g) for g in job.default_graph],
                              named_graphs=[URIRef(g) for g in job.named_graphs])
        if isinstance(result, ox.QueryBoolean):
            return boolean_reply(bool(result), job)
        if isinstance(result, ox.QuerySolutions):
            return _solutions(result, job)
        return triples_reply(result, job)
    except QueryError as exc:
        return text_reply(400, str(exc))
    except (RuntimeError, ValueError) as exc:  # Oxigraph: evaluation errors
        return text_reply(400, f"the query cannot run: {exc}")
    except (TieskgError, OSError) as exc:
        return text_reply(500, f"the store failed: {exc}")


def _solutions(result: ox.QuerySolutions, job: Job) -> Reply:
    variables = tuple(v.value for v in result.variables)
    read = list(itertools.islice(result, job.max_rows + 1))
    truncated = len(read) > job.max_rows
    rows = [tuple(to_rdflib(solution[v]) for v in variables) for solution in read[:job.max_rows]]
    return select_reply(SelectResult(variables, rows), truncated, job)


def select_reply(selected: SelectResult, truncated: bool, job: Job) -> Reply:
    """The answer to a SELECT query: ``selected`` (at most ``job.max_rows`` rows) in the
    job's format, marked as cut when ``truncated``."""
    if job.fmt == "xml":
        body = _xml(selected, truncated, job.max_rows)
    else:
        text = format_result(selected, job.fmt)
        if truncated and job.fmt == "json":
            document = json.loads(text)
            document["tieskg"] = {"truncated": True, "maxRows": job.max_rows}
            text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        body = text.encode("utf-8")
    return Reply(200, job.media, body, truncated)


def triples_reply(result: Iterable[ox.Triple], job: Job) -> Reply:
    """The answer to a CONSTRUCT or DESCRIBE query: at most ``job.max_rows`` triples."""
    read = list(itertools.islice(result, job.max_rows + 1))
    truncated = len(read) > job.max_rows
    output = io.BytesIO()
    rdf_format = _RDF_FORMATS[job.fmt]
    prefixes = PREFIXES if rdf_format == ox.RdfFormat.TURTLE else None
    ox.serialize(read[:job.max_rows], output, format=rdf_format, prefixes=prefixes)
    return Reply(200, job.media, output.getvalue(), truncated)


def boolean_reply(value: bool, job: Job) -> Reply:
    """The answer to an ASK query."""
    return Reply(200, job.media, _boolean(value, job.fmt))


def _boolean(value: bool, fmt: str) -> bytes:
    word = "true" if value else "false"
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8") + b"\n"
    if fmt == "xml":
        return (f'<?xml version="1.0"?>\n<sparql xmlns="{_NS}">\n  <head/>\n'
                f"  <boolean>{word}</boolean>\n</sparql>\n").encode()
    return f"_askResult\r\n{word}\r\n".encode() if fmt == "csv" else (
        f"?_askResult\n{word}\n".encode())


_NS = "http://www.w3.org/2005/sparql-results#"


def _xml_term(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<uri>{escape(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{escape(str(term))}</bnode>"
    assert isinstance(term, Literal)
    attributes = ""
    if term.language:
        attributes = f" xml:lang={quoteattr(term.language)}"
    elif term.datatype and term.datatype != XSD.string:
        attributes = f" datatype={quoteattr(str(term.datatype))}"
    return f"<literal{attributes}>{escape(str(term))}</literal>"


def _xml(result: SelectResult, truncated: bool, max_rows: int) -> bytes:
    """SPARQL Query Results XML Format."""
    lines = ['<?xml version="1.0"?>', f'<sparql xmlns="{_NS}">', "  <head>"]
    lines += [f"    <variable name={quoteattr(v)}/>" for v in result.variables]
    lines.append("  </head>")
    if truncated:
        lines.append(f"  <!-- tieskg: truncated to the first {max_rows} rows -->")
    lines.append("  <results>")
    for row in result.rows:
        lines.append("    <result>")
        lines += [f"      <binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                  for v, t in zip(result.variables, row, strict=True) if t is not None]
        lines.append("    </result>")
    lines += ["  </results>", "</sparql>", ""]
    return "\n".join(lines).encode("utf-8")
