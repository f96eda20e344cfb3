"""A remote SPARQL 1.1 server as a :class:`~tieskg.graph.store.Store`: queries through the
SPARQL 1.1 Protocol, writes through SPARQL 1.1 Update or the Graph Store HTTP Protocol.

The server must answer queries on the union of its named graphs as the default graph, as
tieskg's embedded store does (Virtuoso does so by default; start Oxigraph's server with
``--union-default-graph``). Bindings go into the query as ``VALUES`` blocks
(:mod:`tieskg.graph.sparql_text`); SELECT results are read in pages ordered inside a
sub-SELECT, since servers such as Virtuoso silently cap the rows of one result. Whole
graphs are read with a Graph Store Protocol GET where the server has that endpoint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO

import httpx
import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from tieskg.errors import QueryError, StoreError
from tieskg.graph.sparql_text import inject_values, iri_text, paged_select, with_prefixes
from tieskg.graph.store import Quad, SelectResult, Store, prefixes_for
from tieskg.graph.terms import to_oxigraph, to_rdflib

#: Rows asked for in one page of a SELECT result (below Virtuoso's default cap of 10,000).
DEFAULT_PAGE_SIZE = 5000
#: Triples sent in one request when writing.
DEFAULT_CHUNK = 20000
_RESULTS_JSON = "application/sparql-results+json"
_N_TRIPLES = "application/n-triples"


@dataclass(frozen=True)
class Dataset:
    """The SPARQL protocol's ``default-graph-uri`` and ``named-graph-uri`` of a query."""

    default_graph: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    """Where a server is and how to talk to it.

    ``query`` is the SPARQL query endpoint; ``update`` the update endpoint (default: the
    query endpoint); ``graph_store`` the Graph Store Protocol endpoint (optional: without
    it, writes use INSERT DATA). ``auth`` is ``basic``, ``digest`` or ``bearer`` (the
    default: bearer with a token, else basic with a user).
    """

    query: str
    update: str | None = None
    graph_store: str | None = None
    user: str | None = None
    password: str | None = None
    token: str | None = None
    auth: str | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    timeout: float = 300.0
    #: seconds the server itself may spend on one query: sent as the ``timeout``
    #: parameter in milliseconds, which Virtuoso honours (it stops the query); Oxigraph's
    #: server ignores it (start it with ``--timeout-s``)
    server_timeout: float | None = None

    def client(self) -> httpx.Client:
        """An HTTP client that authenticates as configured."""
        kind = self.auth or ("bearer" if self.token else "basic" if self.user else None)
        headers = {"User-Agent": "tieskg"}
        auth: httpx.Auth | None = None
        if kind == "bearer":
            if not self.token:
                raise StoreError("--auth bearer needs a token: pass --token or set "
                                 "TIESKG_TOKEN")
            headers["Authorization"] = f"Bearer {self.token}"
        elif kind in ("basic", "digest"):
            if not self.user:
                raise StoreError(f"--auth {kind} needs a user: pass --user (and --password "
                                 "or TIESKG_PASSWORD)")
            auth = (httpx.BasicAuth if kind == "basic" else httpx.DigestAuth)(
                self.user, self.password or "")
        elif kind is not None:
            raise StoreError(f"unknown --auth {kind!r}: use basic, digest or bearer")
        return httpx.Client(auth=auth, headers=headers, timeout=self.timeout)


#: Virtuoso's errors for a query stopped at a time limit: S1T00 (timeout), HY008 (the
#: statement cancelled, "killed by SQLCancel", when the limit falls mid-evaluation).
_VIRTUOSO_STOPPED = re.compile(r"\b(S1T00|HY008)\b")


class ServerTimeout(StoreError):
    """The server did not answer within the time limit, or stopped the query at its own."""


class SparqlEndpointStore(Store):
    """A store on a SPARQL 1.1 server (see the module docstring)."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self._client = endpoint.client()

    def __repr__(self) -> str:
        return f"SparqlEndpointStore({self.endpoint.query!r})"

    @property
    def location(self) -> str:
        """Where the store is, for messages."""
        return self.endpoint.query

    def metadata(self) -> dict:
        """Build metadata lives with the embedded store; a server has none of it."""
        return {}

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    # -- HTTP ------------------------------------------------------------------------
    def _send(self, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise ServerTimeout(f"the SPARQL server at {url} did not answer in time "
                             f"({self.endpoint.timeout:.0f} s)") from exc
        except httpx.HTTPError as exc:
            raise StoreError(f"cannot reach the SPARQL server at {url}: {exc}; check the "
                             "URL and that the server runs") from exc
        if response.status_code in (401, 403):
            raise StoreError(f"the SPARQL server at {url} refused access (HTTP "
                             f"{response.status_code}); check --user/--password, --token "
                             "and --auth")
        if response.status_code >= 400:
            detail = " ".join(response.text.split())[:300]
            if _VIRTUOSO_STOPPED.search(detail):  # its own time limit, or cancelled at it
                raise ServerTimeout(f"the SPARQL server at {url} stopped the query at its "
                                    f"time limit: {detail[:120]}")
            error = QueryError if response.status_code == 400 else StoreError
            raise error(f"the SPARQL server at {url} answered HTTP {response.status_code}: "
                        f"{detail}")
        return response

    def _query(self, sparql: str, accept: str, *, capped_ok: bool = False,
               dataset: Dataset | None = None) -> httpx.Response:
        form: dict[str, str | list[str]] = {"query": sparql}
        if self.endpoint.server_timeout:
            form["timeout"] = str(max(1, round(self.endpoint.server_timeout * 1000)))
        if dataset is not None:
            form["default-graph-uri"] = list(dataset.default_graph)
            form["named-graph-uri"] = list(dataset.named_graphs)
        response = self._send("POST", self.endpoint.query, data=form,
                              headers={"Accept": accept})
        if response.headers.get("X-SQL-State") == "S1TAT":  # Virtuoso's "anytime" answer
            raise ServerTimeout(f"the SPARQL server at {self.endpoint.query} stopped the query "
                             "at its time limit and returned a partial result; raise the "
                             "server's limit (Virtuoso: MaxQueryExecutionTime)")
        if not capped_ok and _capped(response):
            raise self._cap_error(response)
        return response

    def _cap_error(self, response: httpx.Response) -> StoreError:
        cap = response.headers["X-SPARQL-MaxRows"]
        return StoreError(f"the SPARQL server at {self.endpoint.query} cut the result at "
                          f"{cap} rows (X-SPARQL-MaxRows); pass --page-size {cap} or less")

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update request on the update endpoint."""
        self._send("POST", self.endpoint.update or self.endpoint.query,
                   data={"update": sparql})

    # -- queries -----------------------------------------------------------------------
    def _text(self, sparql: str, bindings: Mapping[str, Node] | None) -> str:
        return with_prefixes(inject_values(sparql, bindings or {}))

    def select(self, sparql: str, *, bindings: Mapping[str, Node] | None = None
               ) -> SelectResult:
        """The query as it is first; when its result is as long as a page or the server
        says it cut it (Virtuoso's X-SPARQL-MaxRows), read again in ordered pages."""
        text = self._text(sparql, bindings)
        paged = paged_select(text)
        size = self.endpoint.page_size
        response = self._query(text, _RESULTS_JSON, capped_ok=paged is not None)
        first = _select_result(response)
        if paged is None or (len(first.rows) < size and not _capped(response)):
            return first
        rows: list[tuple[Node | None, ...]] = []
        variables = first.variables
        offset = 0
        while True:
            response = self._query(paged.page(size, offset), _RESULTS_JSON, capped_ok=True)
            if _capped(response) and int(response.headers["X-SPARQL-MaxRows"]) < size:
                raise self._cap_error(response)  # a page of ``size`` rows is cut
            page = _select_result(response)
            order = [page.variables.index(v) for v in variables]
            rows += [tuple(row[i] for i in order) for row in page.rows]
            if len(page.rows) < size:
                return SelectResult(variables, rows)
            offset += size

    def select_first(self, sparql: str, *, rows: int,
                     bindings: Mapping[str, Node] | None = None,
                     dataset: Dataset | None = None) -> tuple[SelectResult, bool]:
        """The first ``rows`` rows of a SELECT query, and whether it has more: one request
        for ``rows`` + 1 rows (the query wrapped in a LIMIT; as it is when it has a LIMIT
        of its own). For a capped answer, such as ``tieskg serve`` gives."""
        text = self._text(sparql, bindings)
        paged = paged_select(text)
        if paged is not None:
            text = paged.page(rows + 1, 0)
        response = self._query(text, _RESULTS_JSON, capped_ok=True, dataset=dataset)
        result = _select_result(response)
        more = len(result.rows) > rows or (_capped(response) and len(result.rows) >= int(
            response.headers["X-SPARQL-MaxRows"]))
        return SelectResult(result.variables, result.rows[:rows]), more

    def ask(self, sparql: str, *, bindings: Mapping[str, Node] | None = None,
            dataset: Dataset | None = None) -> bool:
        document = self._query(self._text(sparql, bindings), _RESULTS_JSON,
                               dataset=dataset).json()
        if "boolean" in document:
            return bool(document["boolean"])
        rows = document.get("results", {}).get("bindings", [])
        if document.get("head", {}).get("vars") == ["__ASK_RETVAL"] and len(rows) == 1:
            return rows[0]["__ASK_RETVAL"]["value"] not in ("0", "false")  # Virtuoso, as dba
        raise QueryError("expected an ASK query")

    def construct(self, sparql: str, *, bindings: Mapping[str, Node] | None = None,
                  dataset: Dataset | None = None) -> list[tuple[Node, Node, Node]]:
        response = self._query(self._text(sparql, bindings),
                               f"{_N_TRIPLES}, text/turtle;q=0.9", dataset=dataset)
        kind = response.headers.get("Content-Type", "").split(";")[0].strip()
        format = ox.RdfFormat.TURTLE if kind == "text/turtle" else ox.RdfFormat.N_TRIPLES
        try:
            return [(to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))
                    for t in ox.parse(response.content, format=format)]
        except SyntaxError as exc:
            raise StoreError(f"cannot read the server's {kind} answer: {exc}") from exc

    # -- writes ------------------------------------------------------------------------
    def insert_construct(self, sparql: str, *, graph: URIRef) -> int:
        raise StoreError("deriving ties runs in the embedded store only: build locally "
                         "(`tieskg build`), then `tieskg push` the result")

    def drop_graph(self, graph: URIRef | str) -> None:
        """Remove named graph ``graph`` (no error if there is none)."""
        self.update(f"DROP SILENT GRAPH {iri_text(str(graph))}")

    def add_ntriples(self, graph: URIRef | str, chunk: bytes) -> None:
        """Add N-Triples ``chunk`` to named graph ``graph`` (one request): a Graph Store
        Protocol POST when a graph store endpoint is configured, else INSERT DATA."""
        if self.endpoint.graph_store:
            self._send("POST", self.endpoint.graph_store, params={"graph": str(graph)},
                       content=chunk, headers={"Content-Type": _N_TRIPLES})
        else:
            self.update(f"INSERT DATA {{ GRAPH {iri_text(str(graph))} {{\n"
                        f"{chunk.decode('utf-8')}\n}} }}")

    def add_triples(self, graph: URIRef | str, triples: Iterable[ox.Triple], *,
                    chunk: int = DEFAULT_CHUNK) -> int:
        """Add ``triples`` to ``graph`` in requests of ``chunk`` triples; triples with blank
        nodes go together in one request (each request has its own blank nodes)."""
        sent = 0
        for part in ntriples_chunks(triples, chunk):
            self.add_ntriples(graph, part.data)
            sent += part.triples
        return sent

    def replace_graph(self, graph: URIRef, quads: Iterable[Quad]) -> None:
        def triples() -> Iterator[ox.Triple]:
            for s, p, o, g in quads:
                if g != graph:
                    raise StoreError(f"quad for graph {g} passed to replace_graph({graph})")
                yield ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))

        batch = list(triples())
        self.drop_graph(graph)
        self.add_triples(graph, batch)

    def load(self, data: bytes, *, format: ox.RdfFormat, graph: URIRef) -> None:
        try:
            triples = [quad.triple for quad in ox.parse(data, format=format)]
        except SyntaxError as exc:
            raise StoreError(f"cannot parse the data to load: {exc}") from exc
        self.drop_graph(graph)
        self.add_triples(graph, triples)

    # -- reads -------------------------------------------------------------------------
    def graph_counts(self) -> dict[str, int]:
        from tieskg.graph.store import internal_query

        result = self.select(internal_query("graph-counts"))
        return dict(sorted((str(g), int(n)) for g, n in result.rows if g is not None))

    def graph_count(self, graph: URIRef | str) -> int:
        """Triples in one named graph."""
        result = self.select("SELECT $g (COUNT(*) AS ?n) WHERE { GRAPH $g { ?s ?p ?o } } "
                             "GROUP BY $g", bindings={"g": URIRef(str(graph))})
        return int(result.rows[0][1]) if result.rows else 0

    def dump(self, output: IO[bytes], *, format: ox.RdfFormat, graph: URIRef | None = None
             ) -> None:
        """As :meth:`Store.dump`, graph by graph: each one read with a Graph Store Protocol
        GET when a graph store endpoint is configured (one request, the server's own
        serialization), else, or when the server's answer has fewer triples than it
        counts (a row cap), through paged SELECT queries."""
        prefixes = prefixes_for(format)
        counts = self.graph_counts()
        if graph is not None:
            if str(graph) not in counts:
                raise StoreError(f"no graph {graph} on the SPARQL server at "
                                 f"{self.endpoint.query} (see `tieskg info`)")
            ox.serialize(self.graph_triples(graph, counts[str(graph)]), output,
                         format=format, prefixes=prefixes)
        elif format.supports_datasets:
            quads = (ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(name))
                     for name, count in counts.items()
                     for t in self.graph_triples(URIRef(name), count))
            ox.serialize(quads, output, format=format, prefixes=prefixes)
        else:
            union: dict[ox.Triple, None] = {}
            for name, count in counts.items():
                union.update(dict.fromkeys(self.graph_triples(URIRef(name), count)))
            ox.serialize(union, output, format=format, prefixes=prefixes)

    def graph_triples(self, graph: URIRef, count: int | None = None) -> list[ox.Triple]:
        """Every triple of named graph ``graph`` (``count``: how many the server counts,
        if known)."""
        if count is None:
            count = self.graph_count(graph)
        if self.endpoint.graph_store:
            triples = self._graph_store_get(graph)
            if triples is not None and len(triples) == count:
                return triples
        result = self.select("SELECT ?s ?p ?o $g WHERE { GRAPH $g { ?s ?p ?o } }",
                             bindings={"g": graph})
        return [ox.Triple(*(to_oxigraph(t) for t in row[:3])) for row in result.rows]

    def _graph_store_get(self, graph: URIRef) -> list[ox.Triple] | None:
        """The triples of ``graph`` from the Graph Store endpoint; None when the server
        does not give them as N-Triples (the caller then pages through a query)."""
        try:
            response = self._send("GET", self.endpoint.graph_store or "",
                                  params={"graph": str(graph)},
                                  headers={"Accept": _N_TRIPLES})
        except ServerTimeout:
            raise
        except (QueryError, StoreError):  # no such endpoint, or not for this graph: page
            return None
        kind = response.headers.get("Content-Type", "").split(";")[0].strip()
        if kind != _N_TRIPLES:
            return None
        try:
            return list(dict.fromkeys(quad.triple for quad in ox.parse(
                response.content, format=ox.RdfFormat.N_TRIPLES)))
        except SyntaxError:
            return None


@dataclass(frozen=True)
class Chunk:
    """Serialized N-Triples and how many triples they hold."""

    data: bytes
    triples: int


def ntriples_chunks(triples: Iterable[ox.Triple], size: int) -> Iterator[Chunk]:
    """``triples`` as N-Triples in chunks of ``size``; those with a blank node come last,
    all in one chunk, so that a blank node keeps its identity on the server."""
    with_blank: list[ox.Triple] = []
    batch: list[ox.Triple] = []
    for triple in triples:
        if isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode):
            with_blank.append(triple)
            continue
        batch.append(triple)
        if len(batch) >= size:
            yield Chunk(ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES), len(batch))
            batch = []
    if batch:
        yield Chunk(ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES), len(batch))
    if with_blank:
        yield Chunk(ox.serialize(with_blank, format=ox.RdfFormat.N_TRIPLES), len(with_blank))


def _capped(response: httpx.Response) -> bool:
    """Whether the server says it cut the result short (Virtuoso does so)."""
    return "X-SPARQL-MaxRows" in response.headers


_BNODE_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def _term(value: dict) -> Node:
    kind = value.get("type")
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":  # Virtuoso labels them nodeID://b123: not a valid label elsewhere
        return BNode(_BNODE_UNSAFE.sub("_", value["value"].removeprefix("nodeID://")))
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in value:
            return Literal(value["value"], lang=value["xml:lang"])
        datatype = value.get("datatype")
        if datatype and datatype != "http://www.w3.org/2001/XMLSchema#string":
            return Literal(value["value"], datatype=URIRef(datatype))
        return Literal(value["value"])
    raise StoreError(f"unexpected term in the server's answer: {value!r}")


def _select_result(response: httpx.Response) -> SelectResult:
    try:
        document = response.json()
        variables = tuple(document["head"]["vars"])
        bindings = document["results"]["bindings"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise StoreError("the SPARQL server's answer is not a SPARQL JSON result "
                         f"({response.headers.get('Content-Type')}): is the URL a query "
                         "endpoint?") from exc
    return SelectResult(variables, [tuple(_term(b[v]) if v in b else None for v in variables)
                                    for b in bindings])
