"""Running one request's query or update on a SPARQL server (``tieskg serve --endpoint``).

The same safety as over the embedded store (:mod:`tieskg.server.results`): SERVICE and
LOAD refused before anything is sent; a SELECT query asked for ``max_rows`` + 1 rows
only (wrapped in a LIMIT), so that a huge result costs no more than the cap and a cut
one is marked; updates passed on only when the endpoint accepts them (checked by the
HTTP layer). The time limit is the worker's (the process is killed, which closes the
connection), the HTTP client's, and, on Virtuoso, the server's own (the ``timeout``
parameter): Virtuoso stops the query there.
"""

from __future__ import annotations

import pyoxigraph as ox

from tieskg.errors import QueryError, StoreError
from tieskg.graph.remote_store import Dataset, ServerTimeout, SparqlEndpointStore
from tieskg.graph.terms import to_oxigraph
from tieskg.server.results import (
    Job,
    Reply,
    boolean_reply,
    checked_update,
    select_reply,
    text_reply,
    triples_reply,
)
from tieskg.server.safety import query_form_of


def execute_remote(store: SparqlEndpointStore, job: Job) -> Reply:
    """Run ``job`` on the server behind ``store``; errors become 400 (the request's
    fault), 503 (the time limit) or 502 (the server failed)."""
    try:
        if (updated := checked_update(store, job)) is not None:
            return updated
        dataset = Dataset(job.default_graph, job.named_graphs)
        form = query_form_of(job.sparql)
        if form == "SELECT":
            result, more = store.select_first(job.sparql, rows=job.max_rows,
                                              bindings=job.bindings, dataset=dataset)
            return select_reply(result, more, job)
        if form == "ASK":
            return boolean_reply(store.ask(job.sparql, bindings=job.bindings,
                                           dataset=dataset), job)
        triples = store.construct(job.sparql, bindings=job.bindings, dataset=dataset)
        return triples_reply((ox.Triple(*(to_oxigraph(t) for t in triple))
                              for triple in triples), job)
    except QueryError as exc:
        return text_reply(400, str(exc))
    except ServerTimeout as exc:
        return text_reply(503, f"{exc}; narrow the query (LIMIT, more specific patterns)")
    except StoreError as exc:
        return text_reply(502, f"the SPARQL server failed: {exc}")

