"""SPARQL text for remote servers, which have no pre-bound variables: bindings written as
``VALUES`` blocks, a prologue of tieskg's prefixes, and the paged form of a SELECT query.

Values are never spliced into the query as raw text: each is written as a SPARQL term
(:func:`term_text`) after checking that it is a well-formed IRI or literal, and goes into
a ``VALUES`` block, the SPARQL 1.1 way of passing data into a query.

>>> from rdflib import Literal, URIRef
>>> print(inject_values("SELECT $r ?n WHERE { $r <urn:x:name> ?n }",
...                     {"r": URIRef("urn:x:a")}))
SELECT $r ?n WHERE { VALUES ?r { <urn:x:a> } $r <urn:x:name> ?n }
>>> term_text(Literal('say "hi"', lang="en"))
'"say \\\\"hi\\\\""@en'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from tieskg.errors import QueryError
from tieskg.namespaces import PREFIXES

#: The one SPARQL lexer of tieskg (the query runner and the endpoint's checks use it too):
#: strings, IRIs, comments, variables, prefixed names, keywords and the punctuation
#: that shapes groups. Anything else (numbers, operators, ``.``, ``;``) is skipped.
_TOKEN = re.compile(
    r'(?P<long>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\')'
    r'|(?P<short>"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\')'
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r"|(?P<comment>#[^\n\r]*)"
    r"|(?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)"
    r"|(?P<pname>(?:[A-Za-z_][\w.-]*)?:(?:[\w\-:%/]|\\.)*(?:\.(?:[\w\-:%/]|\\.)+)*)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<punct>[{}()*])",
    re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    """One token: its kind (``long``, ``short``, ``iri``, ``var``, ``pname``, ``word``,
    ``punct``), its text and where it stands in the query."""

    kind: str
    text: str
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def lex(sparql: str) -> list[Token]:
    """The tokens of ``sparql``, comments left out.

    >>> [(t.kind, t.text) for t in lex('SELECT ?a WHERE { ?a tk:p "#x" } # ?b')]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('word', 'SELECT'), ('var', '?a'), ('word', 'WHERE'), ('punct', '{'), ('var', '?a'),
     ('pname', 'tk:p'), ('short', '"#x"'), ('punct', '}')]
    """
    return [Token(m.lastgroup or "", m.group(), m.start(), m.end())
            for m in _TOKEN.finditer(sparql) if m.lastgroup != "comment"]


# -- terms -------------------------------------------------------------------------

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\\x00-\x1f\x7f]*$")
_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def iri_text(iri: str) -> str:
    """``<iri>``, after checking it is an absolute IRI SPARQL can carry as it is."""
    if not _IRI.match(iri):
        raise QueryError(f"{iri!r} is not an absolute IRI (no spaces or <>\"{{}}|^`\\)")
    return f"<{iri}>"


def term_text(term: Node) -> str:
    """``term`` in SPARQL syntax (IRI or literal); blank nodes cannot be passed to a
    remote server and raise :class:`QueryError`."""
    if isinstance(term, URIRef):
        return iri_text(str(term))
    if isinstance(term, Literal):
        text = '"' + "".join(_ESCAPES.get(c, c) for c in str(term)) + '"'
        if term.language:
            if not _LANGUAGE.match(term.language):
                raise QueryError(f"{term.language!r} is not a language tag")
            return f"{text}@{term.language}"
        if term.datatype and term.datatype != XSD.string:
            return f"{text}^^{iri_text(str(term.datatype))}"
        return text
    if isinstance(term, BNode):
        raise QueryError("a blank node cannot be bound in a query to a remote server; "
                         "bind an IRI or a literal")
    raise QueryError(f"cannot bind {term!r}: not an IRI or a literal")


# -- prologue ----------------------------------------------------------------------

def _prologue_end(tokens: list[Token]) -> int:
    """Index of the first token after the PREFIX/BASE declarations."""
    i = 0
    while i < len(tokens) and tokens[i].is_word("PREFIX", "BASE"):
        i += 3 if tokens[i].is_word("PREFIX") else 2
    return min(i, len(tokens))


def with_prefixes(sparql: str) -> str:
    """``sparql`` preceded by a declaration of each tieskg prefix it does not declare
    (embedded Oxigraph adds them itself; a server knows none or others)."""
    tokens = lex(sparql)
    declared = {tokens[i + 1].text.rstrip(":") for i in range(_prologue_end(tokens))
                if tokens[i].is_word("PREFIX") and i + 1 < len(tokens)}
    lines = [f"PREFIX {name}: <{iri}>" for name, iri in PREFIXES.items()
             if name not in declared]
    return "\n".join([*lines, sparql])


# -- VALUES injection ----------------------------------------------------------------

def _matching_brace(tokens: list[Token], i: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``i``."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].text == "{" and tokens[j].kind == "punct":
            depth += 1
        elif tokens[j].text == "}" and tokens[j].kind == "punct":
            depth -= 1
            if depth == 0:
                return j
    raise QueryError("unbalanced braces in the query")


def _projection(tokens: list[Token], i: int) -> set[str] | None:
    """Variables a SELECT at ``i`` projects (None for ``*``), up to its WHERE group."""
    names: set[str] = set()
    parens = 0
    for j in range(i + 1, len(tokens)):
        token = tokens[j]
        if parens == 0 and (token.is_word("WHERE", "FROM") or token.text == "{"):
            break
        if token.text == "(":
            parens += 1
        elif token.text == ")":
            parens -= 1
        elif token.text == "*" and parens == 0:
            return None
        elif token.kind == "var" and (parens == 0 or tokens[j - 1].is_word("AS")):
            names.add(token.text[1:])
    return names


def inject_values(sparql: str, bindings: Mapping[str, Node | Sequence[Node]]) -> str:
    """``sparql`` with each bound variable constrained by a ``VALUES`` block: in the
    outermost group (so that it is bound in the results) and in every nested group that
    mentions it directly, as a pre-bound variable would be. Sub-SELECTs that do not
    project a variable keep their own (it is another variable there), as Oxigraph's
    substitutions do. A sequence of terms restricts the variable to those terms (none:
    no solutions)."""
    if not bindings:
        return sparql
    values = {name: term_text(terms) if isinstance(terms, Node)
              else " ".join(term_text(term) for term in terms)
              for name, terms in bindings.items()}
    tokens = lex(sparql)
    inserts: list[tuple[int, set[str]]] = []   # position after "{", variables to bind
    stack: list[dict] = []                      # open groups: allowed names, mentions, insert
    pending_projection: set[str] | bool | None = False  # a sub-SELECT's, until its "{"
    outermost_done = False
    i = _prologue_end(tokens)
    while i < len(tokens):
        token = tokens[i]
        if token.is_word("VALUES") or (token.is_word("CONSTRUCT") and i + 1 < len(tokens)
                                         and tokens[i + 1].text == "{"):
            j = i + 1
            while j < len(tokens) and tokens[j].text != "{":
                j += 1
            i = _matching_brace(tokens, j) + 1 if j < len(tokens) else j
            continue
        if token.is_word("SELECT") and stack:
            pending_projection = _projection(tokens, i)
        elif token.kind == "punct" and token.text == "{":
            allowed = set(values) if not stack else set(stack[-1]["allowed"])
            if pending_projection is not False:
                allowed &= set(values) if pending_projection is None else pending_projection
                pending_projection = False
            wraps_select = i + 1 < len(tokens) and tokens[i + 1].is_word("SELECT")
            group = {"allowed": allowed, "mentions": set(), "at": None}
            if not wraps_select:
                group["at"] = len(inserts)
                inserts.append((token.end, set(allowed) if not outermost_done else set()))
                outermost_done = True
            stack.append(group)
        elif token.kind == "punct" and token.text == "}":
            if stack:
                group = stack.pop()
                if group["at"] is not None:
                    position, names = inserts[group["at"]]
                    inserts[group["at"]] = (position, names | (group["mentions"]
                                                               & group["allowed"]))
        elif token.kind == "var" and stack:
            stack[-1]["mentions"].add(token.text[1:])
        i += 1
    if stack:
        raise QueryError("unbalanced braces in the query")
    out = sparql
    for position, names in sorted(inserts, reverse=True):
        if names:
            block = " ".join(f"VALUES ?{name} {{ {values[name]} }}" for name in sorted(names))
            out = f"{out[:position]} {block}{out[position:]}"
    return out


# -- paging ------------------------------------------------------------------------

@dataclass(frozen=True)
class PagedSelect:
    """A SELECT query split for paging: ``page(limit, offset)`` is one page of it."""

    prologue: str
    inner: str
    variables: tuple[str, ...] | None

    def page(self, limit: int, offset: int) -> str:
        projection = " ".join(f"?{v}" for v in self.variables) if self.variables else "*"
        return (f"{self.prologue}\nSELECT {projection} WHERE {{\n{{ {self.inner}\n}}\n}}\n"
                f"LIMIT {int(limit)} OFFSET {int(offset)}")


def paged_select(sparql: str) -> PagedSelect | None:
    """``sparql`` (a SELECT query) as a :class:`PagedSelect`, or None when it cannot be
    paged that way (it has a LIMIT or OFFSET of its own, or is not a SELECT query).

    Pages are slices of a sub-SELECT ordered by the query's own ORDER BY, then by every
    projected variable (by the GROUP BY variables alone when it groups by variables: they
    identify a row, and long aggregates are too long for Virtuoso to sort), so that they
    neither overlap nor leave rows out (servers such as Virtuoso otherwise return rows in
    any order, and cap the rows of one result).

    >>> q = paged_select("PREFIX x: <urn:x:> SELECT ?a (COUNT(*) AS ?n) "
    ...                  "WHERE { ?a x:p ?b } GROUP BY ?a ORDER BY DESC(?n)")
    >>> print(q.page(10, 20))
    PREFIX x: <urn:x:>
    SELECT ?a ?n WHERE {
    { SELECT ?a (COUNT(*) AS ?n) WHERE { ?a x:p ?b } GROUP BY ?a ORDER BY DESC(?n) ?a
    }
    }
    LIMIT 10 OFFSET 20
    """
    tokens = lex(sparql)
    start = _prologue_end(tokens)
    if start >= len(tokens) or not tokens[start].is_word("SELECT"):
        return None
    projected = _projection(tokens, start)
    where = next((j for j in range(start, len(tokens)) if tokens[j].text == "{"
                  and tokens[j].kind == "punct"), None)
    if where is None:
        return None
    tail = tokens[_matching_brace(tokens, where) + 1:]
    depth = 0
    order_end: int | None = None
    has_order = False
    group: list[str] | None = None  # the GROUP BY variables, while reading them
    grouped: list[str] = []
    for position, token in enumerate(tail):
        depth += (token.text in "({") - (token.text in ")}") if token.kind == "punct" else 0
        if group is not None and not (token.kind == "var" and not depth) and not (
                token.is_word("BY") and group == []):
            # a GROUP BY of variables only: they identify a row, and order pages alone
            grouped = group if token.is_word("HAVING", "ORDER", "VALUES") else []
            group = None
        if depth:
            continue
        if token.is_word("LIMIT", "OFFSET"):
            return None
        if token.is_word("GROUP") and position + 1 < len(tail) and tail[position + 1].is_word(
                "BY"):
            group = []
        elif group is not None:
            if token.kind == "var":
                group.append(token.text[1:])
        elif token.is_word("ORDER"):
            has_order = True
        elif token.is_word("VALUES") and order_end is None:
            order_end = token.start
    if group is not None:  # the query ends with its GROUP BY
        grouped = group
    body_start = tokens[start].start
    body_end = order_end if order_end is not None else len(sparql)
    body = sparql[body_start:body_end].rstrip()
    names = sorted(projected) if projected is not None else sorted(
        {t.text[1:] for t in tokens[start:] if t.kind == "var"})
    ordered = [t.text[1:] for t in tokens[start:] if t.kind == "var"
               and t.text[1:] in (projected or ())]
    keys = list(dict.fromkeys(ordered)) if projected is not None else names
    if grouped:  # (projected values, such as long GROUP_CONCATs, can be too long to sort)
        keys = list(dict.fromkeys(grouped))
    tiebreak = " ".join(f"?{name}" for name in keys)
    inner = f"{body} {tiebreak}" if has_order else f"{body}\nORDER BY {tiebreak}"
    if order_end is not None:
        inner += "\n" + sparql[order_end:]
    variables = tuple(dict.fromkeys(ordered)) if projected is not None else None
    return PagedSelect(sparql[:body_start].rstrip(), inner, variables)
