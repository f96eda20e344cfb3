"""What a request may ask: the form of a query, and no SERVICE or LOAD.

A query or update is parsed with rdflib's SPARQL parser and its parse tree searched
for ``SERVICE`` patterns (which would make the server fetch from other hosts) and
``LOAD`` operations (which would make it download a document). When rdflib cannot
parse a text that Oxigraph might accept, the text is refused if either keyword
occurs in it outside strings, IRIs and comments (a conservative fallback).

:func:`query_form_of` is lexical and cheap (the HTTP layer uses it to negotiate);
:func:`refuse_remote` parses, and runs in the worker process, under the query timeout.

>>> query_form_of("SELECT * WHERE { ?s ?p ?o }")
'SELECT'
>>> refuse_remote("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
Traceback (most recent call last):
...
tieskg.server.safety.Refused: SERVICE is refused: ...
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from tieskg.errors import QueryError
from tieskg.graph.sparql_text import lex
from tieskg.queries.runner import query_form

FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")

_REFUSED = {
    "ServiceGraphPattern": ("SERVICE", "SERVICE is refused: this endpoint does not query "
                            "other endpoints; run the SERVICE part against that endpoint "
                            "yourself"),
    "Load": ("LOAD", "LOAD is refused: this endpoint does not fetch documents; load "
             "files with `tieskg build --dataset FILE` instead"),
}


class Refused(QueryError):
    """A request asks for something the endpoint never does (SERVICE, LOAD)."""


def _nodes(tree: object) -> Iterator[CompValue]:
    """Every CompValue in an rdflib parse tree."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            yield node
            stack.extend(node.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple) or hasattr(node, "asList"):
            stack.extend(list(node))


def _check_tree(tree: object) -> None:
    for node in _nodes(tree):
        if node.name in _REFUSED:
            raise Refused(_REFUSED[node.name][1])


def _check_words(text: str) -> None:
    """Fallback when rdflib cannot parse: refuse the keywords wherever they stand."""
    words = {token.text.upper() for token in lex(text) if token.kind == "word"}
    for keyword, message in _REFUSED.values():
        if keyword in words:
            raise Refused(message)


def query_form_of(text: str) -> str:
    """The form of query ``text`` (SELECT, ASK, CONSTRUCT, DESCRIBE); :class:`QueryError`
    if it is no query (an update sent as a query, say)."""
    form = query_form(text)
    if form not in FORMS:
        hint = " (send updates as update=..., by POST)" if form in _UPDATE_WORDS else ""
        raise QueryError(f"not a SPARQL query: it starts with {form or 'nothing'!r}; "
                         f"expected one of {', '.join(FORMS)}{hint}")
    return form


_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE",
                 "ADD", "WITH"}


def refuse_remote(text: str, *, update: bool = False) -> None:
    """:class:`Refused` if query (or, with ``update``, update) ``text`` uses SERVICE or
    LOAD. Texts that passed are remembered (parsing takes milliseconds)."""
    _passes(text, update)


@lru_cache(maxsize=512)
def _passes(text: str, update: bool) -> bool:
    try:
        _check_tree(parseUpdate(text) if update else parseQuery(text))
    except ParseException:
        _check_words(text)
    return True
