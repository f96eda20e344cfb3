"""The query library: ``*.rq`` files with a comment header, and the runner that binds and runs them.

A library query is a SPARQL 1.1 SELECT query in a ``.rq`` file in this package; its
name is the file stem (``region-targeted-industries``). :func:`load_query` also reads
any other ``.rq`` file by path.

Header grammar
--------------

The header is the run of lines at the top of the file that are comment lines (first
non-blank character ``#``) or blank lines; it ends at the first other line. Within it::

    field        = "#" [" "] KEY ":" [ " "* TEXT ]       KEY is title, description, param
                                                          or name-index
    continuation = "#" " "{2,} TEXT                       (two or more spaces after the "#")
    param TEXT   = NAME " "+ TYPE ["?"] [ " "* "=" " "* DEFAULT ] " "+ "--" " "+ DESCRIPTION

- A continuation line appends its text, after one space, to the field line above it (a
  long description, or the description of a parameter).
- ``title`` and ``description`` occur at most once each; a file without a title is
  titled by its file name (``name.rq``), one without a description has an empty one.
- ``param`` occurs once per parameter, in the order the parameters are shown.
  ``NAME`` is a SPARQL variable name (``[A-Za-z_][A-Za-z0-9_]*``); ``TYPE`` is one of
  ``iri``, ``string``, ``integer``, ``decimal``, ``date``, ``year``, ``boolean``
  (see :func:`bind` for what each accepts). ``DEFAULT`` (everything between ``=`` and
  `` -- ``) is written as a user would type the value and checked when the file is
  loaded. A ``?`` after the type marks an *optional* parameter: it has no default and,
  when not given, its variable stays unbound. A parameter without ``?`` and without a
  default must be given.
- ``name-index: VARIABLE PARAM`` (at most once) says that the query keeps only the rows
  whose ``?VARIABLE`` is a name containing the string parameter ``$PARAM``, ignoring
  case, as ``find-by-name`` does. On a store that keeps a name index (the embedded store
  as built, :mod:`tieskg.graph.name_index`), :func:`run_query` then passes the names
  the index finds as a ``VALUES`` block for ``?VARIABLE``, so that the query need not
  read every name; the query's own filter still decides, so the answer is the same.
- Any other comment line in the header (``# Example: ...``) is a free comment and is
  ignored. Lines of the form ``#KEY:`` with an unknown lower-case KEY are free comments
  too, so a misspelt key is not an error; the library's tests check every library query
  has a title and a description.

Example::

    # title: Industries a region targets
    # description: The industries a region's government says it develops as a priority,
    #   with the classification and code of each.
    # param: region iri = https://w3id.org/tieskg/id/region/cn-330604 -- the region
    PREFIX tk: <https://w3id.org/tieskg/ontology#>
    SELECT $region ?industry WHERE { $region tk:targetsIndustry ?industry }
    ORDER BY ?industry

Parameters in the query body
----------------------------

A parameter ``NAME`` is the SPARQL variable ``$NAME`` (``$x`` and ``?x`` are the same
variable; library queries write parameters with ``$`` and every other variable with
``?``, and a test holds them to it). Values are never spliced into the query text:
:func:`run_query` passes them as pre-bound variables through the store's
``bindings=`` (SEP-0007 substitutions in Oxigraph). Oxigraph's rules for these follow:

- the variable must be in the projection of the outermost ``SELECT`` (list it, or use
  ``SELECT *``), and, if the query groups, in its ``GROUP BY``;
- a substitution does not reach into a sub-``SELECT`` that does not project the
  variable, so parameters belong in the outer query;
- do not test an optional parameter with ``BOUND($x)``: Oxigraph decides ``BOUND`` on
  a variable no pattern binds before substituting. Write ``COALESCE(test, true)``
  instead: when ``$x`` is unbound the test is an error and ``COALESCE`` yields true.
  Where the variable sits in a triple pattern whose predicate is functional
  (``?obs tk:indicator $indicator``), leaving it unbound simply matches anything.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from tieskg.errors import QueryError
from tieskg.graph.sparql_text import inject_values, lex
from tieskg.graph.store import SelectResult, Store
from tieskg.namespaces import PREFIXES

__all__ = [
    "PARAM_TYPES",
    "LibraryQuery",
    "Param",
    "bind",
    "format_result",
    "list_queries",
    "load_query",
    "name_restricted",
    "parse_query",
    "query_form",
    "query_variables",
    "run_query",
    "term_text",
]

#: Parameter types and what a value of each looks like (used in error messages).
PARAM_TYPES: dict[str, str] = {
    "iri": "an absolute IRI without spaces or <>\"{}|^`\\ (https://w3id.org/tieskg/id/"
           "region/cn-330604) or a CURIE with a known prefix (tkid:region/cn-330604)",
    "string": "any text",
    "integer": "a whole number (such as 12 or -3)",
    "decimal": "a decimal number (such as 31.6)",
    "date": "a date YYYY-MM-DD (such as 2023-03-21)",
    "year": "a four-digit year (such as 2022)",
    "boolean": "true or false",
}

FORMATS = ("csv", "tsv", "json")


@dataclass(frozen=True)
class Param:
    """A declared parameter: its name (the variable ``$name``), type, default, description.

    ``optional`` parameters (``TYPE?`` in the header) have no default and stay unbound
    when not given.
    """

    name: str
    type: str
    default: str | None
    description: str
    optional: bool = False

    @property
    def required(self) -> bool:
        """Whether a value must be given (no default, not optional)."""
        return self.default is None and not self.optional


@dataclass(frozen=True)
class LibraryQuery:
    """A query of the library (or any ``.rq`` file): header fields and SPARQL text."""

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    sparql: str
    path: Path | Traversable
    #: ``(variable, parameter)`` of a ``# name-index:`` line, if any.
    name_index: tuple[str, str] | None = None

    @property
    def form(self) -> str:
        """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``."""
        return query_form(self.sparql)

    def param(self, name: str) -> Param | None:
        """The parameter called ``name``, if declared."""
        return next((p for p in self.params if p.name == name), None)


# -- header ----------------------------------------------------------------------

_FIELD = re.compile(r"^#\s?(title|description|param|name-index):\s*(.*)$")
_CONTINUATION = re.compile(r"^#[ \t]{2,}(\S.*)$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<type>[a-z]+)(?P<optional>\?)?"
    r"(?:\s*=\s*(?P<default>.*?))?\s+--\s+(?P<description>\S.*)$")


def _header_fields(text: str) -> list[tuple[str, str]]:
    """The (key, value) fields of the header, continuation lines joined."""
    fields: list[list[str]] = []
    previous_was_field = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            previous_was_field = False
            continue
        if not line.startswith("#"):
            break
        if (match := _FIELD.match(line)) is not None:
            fields.append([match.group(1), match.group(2).strip()])
            previous_was_field = True
        elif previous_was_field and (match := _CONTINUATION.match(raw.lstrip())):
            fields[-1][1] = f"{fields[-1][1]} {match.group(1).strip()}".strip()
        else:
            previous_was_field = False
    return [(key, value) for key, value in fields]


def _parse_param(text: str, where: str) -> Param:
    match = _PARAM.match(text)
    if match is None:
        raise QueryError(f"{where}: bad param line {text!r}; write "
                         "'# param: NAME TYPE [= DEFAULT] -- description' "
                         f"(TYPE one of {', '.join(PARAM_TYPES)})")
    name, kind = match.group("name"), match.group("type")
    if kind not in PARAM_TYPES:
        raise QueryError(f"{where}: parameter {name!r} has unknown type {kind!r} "
                         f"(one of {', '.join(PARAM_TYPES)})")
    default = match.group("default")
    optional = match.group("optional") is not None
    if default is not None and not default:
        raise QueryError(f"{where}: parameter {name!r} has an empty default; "
                         f"mark it optional with '{kind}?' instead")
    if default is not None and optional:
        raise QueryError(f"{where}: parameter {name!r} is optional ('{kind}?') and so "
                         "cannot have a default")
    param = Param(name, kind, default, match.group("description").strip(), optional)
    if default is not None:
        _convert(param, default, f"{where}: default of")
    return param


def parse_query(text: str, name: str, path: Path | Traversable) -> LibraryQuery:
    """Read the header of ``text`` (see the module docstring) into a :class:`LibraryQuery`.

    Raises :class:`QueryError` for a malformed header, duplicate fields or parameters,
    or a declared parameter the query never uses.
    """
    text = text.removeprefix("\ufeff")
    where = f"query {name} ({path})"
    title = description = name_index = None
    params: list[Param] = []
    for key, value in _header_fields(text):
        if key == "name-index":
            if name_index is not None:
                raise QueryError(f"{where}: more than one '# name-index:' line")
            name_index = tuple(value.split())
        elif key == "param":
            param = _parse_param(value, where)
            if any(p.name == param.name for p in params):
                raise QueryError(f"{where}: parameter {param.name!r} is declared twice")
            params.append(param)
        elif key == "title":
            if title is not None:
                raise QueryError(f"{where}: more than one '# title:' line")
            title = value
        else:
            if description is not None:
                raise QueryError(f"{where}: more than one '# description:' line")
            description = value
    used = query_variables(text)
    for param in params:
        if param.name not in used:
            raise QueryError(f"{where}: declares parameter {param.name!r} but the query "
                             f"never uses ${param.name}")
    if name_index is not None:
        _check_name_index(name_index, params, used, where)
    title = title or getattr(path, "name", None) or f"{name}.rq"
    return LibraryQuery(name, title, description or "", tuple(params), text, path,
                        name_index)


def _check_name_index(fields: tuple[str, ...], params: list[Param], used: set[str],
                      where: str) -> None:
    if len(fields) != 2:
        raise QueryError(f"{where}: write '# name-index: VARIABLE PARAM' (the variable "
                         "holding the names, the string parameter they must contain)")
    variable, name = fields
    if variable not in used:
        raise QueryError(f"{where}: name-index names ?{variable}, which the query never uses")
    if not any(p.name == name and p.type == "string" for p in params):
        raise QueryError(f"{where}: name-index names {name!r}, which is not a declared "
                         "string parameter")


# -- lexical scanning of SPARQL (the lexer is tieskg.graph.sparql_text.lex) -------

def query_variables(sparql: str, *, sigil: str | None = None) -> set[str]:
    """Names of the variables in ``sparql`` (outside strings, IRIs and comments).

    With ``sigil="$"`` only those written ``$name``, with ``"?"`` only ``?name``.

    >>> sorted(query_variables('SELECT $a ?b WHERE { ?b <urn:x> "?c" } # ?d'))
    ['a', 'b']
    >>> query_variables("SELECT $a ?b WHERE {}", sigil="$")
    {'a'}
    """
    return {token.text[1:] for token in lex(sparql)
            if token.kind == "var" and (sigil is None or token.text[0] == sigil)}


def query_form(sparql: str) -> str:
    """The form of ``sparql``: SELECT, ASK, CONSTRUCT or DESCRIBE (else the first keyword).

    >>> query_form("PREFIX ask: <urn:x#> # CONSTRUCT\\nSELECT * WHERE {}")
    'SELECT'
    """
    in_declaration = False
    for token in lex(sparql):
        if in_declaration:
            in_declaration = token.kind != "iri"
        elif token.kind == "word":
            upper = token.text.upper()
            if upper not in ("PREFIX", "BASE"):
                return upper
            in_declaration = True
    return ""


# -- loading -----------------------------------------------------------------------

def _library() -> Traversable:
    return files("tieskg.queries")


def _library_files() -> dict[str, Traversable]:
    return {entry.name.removesuffix(".rq"): entry for entry in _library().iterdir()
            if entry.name.endswith(".rq") and entry.is_file()}


def list_queries() -> list[LibraryQuery]:
    """Every library query, sorted by name."""
    return [_read(name, entry) for name, entry in sorted(_library_files().items())]


def _read(name: str, entry: Path | Traversable) -> LibraryQuery:
    try:
        text = entry.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"cannot read query file {entry}: {exc}") from exc
    return parse_query(text, name, entry)


def load_query(name_or_path: str) -> LibraryQuery:
    """A library query by name, or the ``.rq`` file at a path.

    A value containing a path separator or ending in ``.rq`` is a path; anything else
    is a library name. Unknown names raise :class:`QueryError` naming close matches.
    """
    text = str(name_or_path)
    if text.endswith(".rq") or "/" in text or "\\" in text:
        path = Path(text).expanduser()
        if not path.is_file():
            raise QueryError(f"no query file {path}")
        return _read(path.stem, path)
    library = _library_files()
    if text in library:
        return _read(text, library[text])
    close = difflib.get_close_matches(text, list(library), n=3, cutoff=0.5)
    hint = (f"did you mean {', '.join(close)}?" if close
            else f"known queries: {', '.join(sorted(library))}")
    raise QueryError(f"unknown query {text!r}; {hint}")


# -- binding -----------------------------------------------------------------------

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\\x00-\x1f\x7f]+$")
_CURIE = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9_.-]*):(?P<local>.*)$", re.DOTALL)
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEAR = re.compile(r"^[0-9]{4}$")


def _iri(text: str) -> URIRef | None:
    """``text`` as an IRI, expanding a CURIE with a known prefix; None if it is neither."""
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    match = _CURIE.match(text)
    if match and match.group("prefix") in PREFIXES:
        text = PREFIXES[match.group("prefix")] + match.group("local")
    return URIRef(text) if _IRI.match(text) else None


def _convert(param: Param, text: str, context: str = "") -> Node:
    """The typed term for ``text`` as a value of ``param``; QueryError if it is not one."""
    term: Node | None = None
    kind = param.type
    if not isinstance(text, str):
        term = None
    elif kind == "iri":
        term = _iri(text.strip())
    elif kind == "string":
        term = Literal(text)
    elif kind == "integer" and _INTEGER.match(text.strip()):
        term = Literal(str(int(text.strip())), datatype=XSD.integer)
    elif kind == "decimal" and _DECIMAL.match(text.strip()):
        term = Literal(text.strip().lstrip("+"), datatype=XSD.decimal)
    elif kind == "date" and _DATE.match(text.strip()):
        try:
            term = Literal(dt.date.fromisoformat(text.strip()).isoformat(), datatype=XSD.date)
        except ValueError:
            term = None
    elif kind == "year" and _YEAR.match(text.strip()):
        term = Literal(text.strip(), datatype=XSD.gYear)
    elif kind == "boolean" and text.strip().lower() in ("true", "false", "1", "0"):
        value = text.strip().lower() in ("true", "1")
        term = Literal("true" if value else "false", datatype=XSD.boolean)
    if term is None:
        prefix = f"{context} " if context else ""
        raise QueryError(f"{prefix}parameter {param.name!r} ({param.type}): expected "
                         f"{PARAM_TYPES[kind]}, got {text!r}")
    return term


def bind(query: LibraryQuery, values: Mapping[str, str] | None = None) -> dict[str, Node]:
    """The typed terms for ``values`` (text as a user types it), defaults applied.

    Type by type: ``iri`` an absolute IRI (``scheme:...`` without whitespace or
    ``<>"{}|^`\\``; angle brackets around it are dropped) or a CURIE whose prefix is
    in :data:`tieskg.namespaces.PREFIXES` (expanded; a known prefix wins over a URI
    scheme of the same name); ``string`` a plain literal of the text, as is;
    ``integer``, ``decimal`` their XSD lexical forms; ``date`` ``YYYY-MM-DD`` (a real
    date); ``year`` ``YYYY`` (an ``xsd:gYear``); ``boolean`` true/false/1/0.

    Raises :class:`QueryError` for unknown names, missing required parameters and
    values of the wrong type, naming the parameter and the expected type.
    """
    values = dict(values or {})
    unknown = sorted(set(values) - {p.name for p in query.params})
    if unknown:
        declared = ", ".join(p.name for p in query.params) or "none"
        raise QueryError(f"query {query.name} has no parameter {unknown[0]!r} "
                         f"(its parameters: {declared})")
    bound: dict[str, Node] = {}
    for param in query.params:
        text = values.get(param.name, param.default)
        if text is None:
            if param.optional:
                continue
            raise QueryError(f"query {query.name} needs parameter {param.name!r} "
                             f"({param.type}: {param.description})")
        bound[param.name] = _convert(param, text, f"query {query.name}:")
    return bound


def name_restricted(store: Store, sparql: str, name_index: tuple[str, str] | None,
                    bindings: Mapping[str, Node]) -> str:
    """``sparql`` with ``?VARIABLE`` limited to the names that contain ``$PARAM``, for a
    query with a ``# name-index: VARIABLE PARAM`` line (``name_index``) on a store whose
    name index can tell (see the module docstring); otherwise ``sparql`` unchanged."""
    if name_index is None or name_index[1] not in bindings:
        return sparql
    variable, param = name_index
    names = store.names_containing(str(bindings[param]))
    return sparql if names is None else inject_values(sparql, {variable: names})


def run_query(store: Store, query: LibraryQuery, values: Mapping[str, str] | None = None
              ) -> SelectResult:
    """Bind ``values`` and run ``query`` (a SELECT query) on ``store``.

    The values go in as pre-bound variables through ``bindings=``. The query text is
    passed to the store unchanged, except for a query with a ``# name-index:`` line on a
    store with a name index: the names that contain the text are added as a ``VALUES``
    block (see the module docstring).
    """
    form = query.form
    if form != "SELECT":
        kind = f"an {form}" if form == "ASK" else f"a {form}" if form else "not a"
        raise QueryError(f"query {query.name} is {kind} query; the runner runs SELECT "
                         "queries only")
    bindings = bind(query, values)
    sparql = name_restricted(store, query.sparql, query.name_index, bindings)
    try:
        return store.select(sparql, bindings=bindings)
    except RuntimeError as exc:  # Oxigraph: e.g. a bound variable not in the projection
        raise QueryError(f"query {query.name} cannot run: {exc}") from exc


# -- output --------------------------------------------------------------------------

def _curie(iri: str) -> str | None:
    best: tuple[int, str] | None = None
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace) and (
                best is None or len(namespace) > best[0]):
            best = (len(namespace), f"{prefix}:{iri[len(namespace):]}")
    return best[1] if best else None


def term_text(term: Node | None) -> str:
    """A short human-readable rendering of ``term`` for tables.

    IRIs as CURIEs where a prefix of :data:`~tieskg.namespaces.PREFIXES` fits (else
    the full IRI), literals as their text with ``@lang`` when tagged, blank nodes as
    ``_:id``, unbound as the empty string.

    >>> term_text(URIRef("https://w3id.org/tieskg/id/region/cn-330604"))
    'tkid:region/cn-330604'
    >>> term_text(Literal("上虞区", lang="zh")), term_text(Literal("217", datatype=XSD.decimal))
    ('上虞区@zh', '217')
    """
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return _curie(str(term)) or str(term)
    if isinstance(term, Literal):
        return f"{term}@{term.language}" if term.language else str(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _csv_field(term: Node | None) -> str:
    text = "" if term is None else (f"_:{term}" if isinstance(term, BNode) else str(term))
    if any(c in text for c in '",\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _nt_term(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = "".join(_ESCAPES.get(c, c) for c in str(term))
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype and term.datatype != XSD.string:
            return f'"{text}"^^<{term.datatype}>'
        return f'"{text}"'
    raise TypeError(f"not an RDF term: {term!r}")


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype and term.datatype != XSD.string:
            out["datatype"] = str(term.datatype)
        return out
    raise TypeError(f"not an RDF term: {term!r}")


def format_result(result: SelectResult, fmt: str) -> str:
    """``result`` in a W3C SPARQL 1.1 results format: ``csv``, ``tsv`` or ``json``.

    CSV (SPARQL 1.1 Query Results CSV Format): header of variable names, then plain
    values (IRIs and literals as their text, blank nodes ``_:id``, unbound empty),
    quoted when they hold ``"``, ``,``, CR or LF; lines end in CRLF. TSV: a header of
    ``?name`` fields, then terms in N-Triples syntax (``<iri>``, ``"text"@lang``,
    ``"2022"^^<...#gYear>``), unbound empty; lines end in LF. JSON (SPARQL 1.1 Query
    Results JSON Format): ``head.vars`` and ``results.bindings``, unbound variables
    left out of their binding.
    """
    if fmt == "csv":
        lines = [",".join(result.variables)]
        lines += [",".join(_csv_field(term) for term in row) for row in result.rows]
        return "".join(f"{line}\r\n" for line in lines)
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in result.variables)]
        lines += ["\t".join(_nt_term(term) for term in row) for row in result.rows]
        return "".join(f"{line}\n" for line in lines)
    if fmt == "json":
        bindings = [{v: _json_term(term) for v, term in zip(result.variables, row, strict=True)
                     if term is not None} for row in result.rows]
        document = {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    raise QueryError(f"unknown result format {fmt!r} (one of: {', '.join(FORMATS)})")
