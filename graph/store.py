"""The one store interface everything goes through, and its embedded Oxigraph implementation.

>>> store = OxigraphStore.in_memory()
>>> from rdflib import Literal, URIRef
>>> g = URIRef("https://w3id.org/tieskg/graph/example")
>>> store.replace_graph(g, [(URIRef("urn:x:s"), URIRef("urn:x:p"), Literal("o"), g)])
>>> store.graph_counts()
{'https://w3id.org/tieskg/graph/example': 1}
>>> store.select("SELECT ?o WHERE { ?s ?p ?o }").rows
[(rdflib.term.Literal('o'),)]
"""

from __future__ import annotations

import json
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pyoxigraph as ox
from oxrdflib import OxigraphStore as OxrdflibStore
from rdflib import Dataset, Literal, URIRef
from rdflib.term import Node

from tieskg.errors import QueryError, StoreError
from tieskg.graph.terms import to_oxigraph, to_rdflib
from tieskg.namespaces import PREFIXES

if TYPE_CHECKING:
    import networkx as nx

Quad = tuple[Node, Node, Node, URIRef]

#: File that marks a folder as a tieskg store and records how it was built.
MARKER = "tieskg-store.json"
#: The build's index of names (:mod:`tieskg.graph.name_index`), in the store's folder.
NAME_INDEX = "names.sqlite"
#: The build's projected networks (:mod:`tieskg.graph.saved_networks`), in the store's folder.
SAVED_NETWORKS = "networks.sqlite"
#: Files that describe the store as built, deleted when it is opened for writing.
AS_BUILT = (NAME_INDEX, SAVED_NETWORKS)


@dataclass(frozen=True)
class SelectResult:
    """Rows of a SELECT query: variable names and one tuple of terms (or None) per row."""

    variables: tuple[str, ...]
    rows: list[tuple[Node | None, ...]]


class Store(ABC):
    """What tieskg needs of a quad store. Queries see the union of all named graphs."""

    @abstractmethod
    def select(self, sparql: str, *, bindings: Mapping[str, Node] | None = None) -> SelectResult:
        """Run a SELECT query; ``bindings`` pre-bind variables (never spliced into text)."""

    def select_text(self, sparql: str, *, bindings: Mapping[str, Node] | None = None
                    ) -> SelectResult:
        """As :meth:`select`, with every term as its lexical form (a str) or None: for
        reading many rows fast (networks), where the kind of term is known."""
        result = self.select(sparql, bindings=bindings)
        return SelectResult(result.variables, [tuple(None if t is None else str(t) for t in row)
                                               for row in result.rows])

    def select_rows(self, sparql: str, *, bindings: Mapping[str, Node] | None = None
                    ) -> Iterator[tuple[str | None, ...]]:
        """As :meth:`select_text`, one row at a time: for results too big to hold twice
        (the organization supply network: a row per tie)."""
        yield from self.select_text(sparql, bindings=bindings).rows

    @abstractmethod
    def ask(self, sparql: str, *, bindings: Mapping[str, Node] | None = None) -> bool:
        """Run an ASK query."""

    @abstractmethod
    def construct(self, sparql: str, *, bindings: Mapping[str, Node] | None = None
                  ) -> list[tuple[Node, Node, Node]]:
        """Run a CONSTRUCT or DESCRIBE query."""

    @abstractmethod
    def insert_construct(self, sparql: str, *, graph: URIRef) -> int:
        """Add the triples a CONSTRUCT query yields to named graph ``graph``, inside the
        store (no per-triple Python objects); returns how many triples the query yielded."""

    @abstractmethod
    def replace_graph(self, graph: URIRef, quads: Iterable[Quad]) -> None:
        """Replace the whole named graph ``graph`` with ``quads`` (all in that graph)."""

    @abstractmethod
    def load(self, data: bytes, *, format: ox.RdfFormat, graph: URIRef) -> None:
        """Parse ``data`` into named graph ``graph`` (replacing it)."""

    @abstractmethod
    def graph_counts(self) -> dict[str, int]:
        """Triples per named graph, by graph IRI."""

    @abstractmethod
    def dump(self, output: IO[bytes], *, format: ox.RdfFormat, graph: URIRef | None = None
             ) -> None:
        """Serialize one graph, or (``graph=None``) every graph: as a dataset for
        formats that carry graphs, else as the deduplicated union of their triples."""

    def names_containing(self, text: str) -> list[Literal] | None:
        """Every name (a literal of a name property) that contains ``text``, ignoring
        case, if the store keeps a text index that can tell; else ``None`` (the default),
        and whoever asks reads every name."""
        return None

    def saved_network(self, name: str) -> nx.Graph | None:
        """Network ``name`` (of :data:`tieskg.graph.networks.NETWORKS`) as projected when
        the store was built, if the store keeps it; else ``None`` (the default), and
        whoever asks projects it by querying."""
        return None


class OxigraphStore(Store):
    """An embedded Oxigraph store, on disk (``open``) or in memory (``in_memory``)."""

    def __init__(self, store: ox.Store, path: Path | None = None):
        self._store = store
        self.path = path

    @classmethod
    def in_memory(cls) -> OxigraphStore:
        """A fresh store in memory (for tests and one-off work)."""
        return cls(ox.Store())

    @classmethod
    def create(cls, path: Path) -> OxigraphStore:
        """A new, empty store in folder ``path`` (which must not exist yet)."""
        if path.exists():
            raise StoreError(f"{path} already exists; a new store needs a fresh folder")
        try:
            return cls(ox.Store(str(path)), path)
        except OSError as exc:
            raise StoreError(f"cannot create a store in {path}: {exc}") from exc

    @classmethod
    def open(cls, path: Path, *, read_only: bool = True) -> OxigraphStore:
        """The store built in ``path``; run ``tieskg build`` first if there is none.
        Opening it for writing deletes its name index and saved networks, which
        describe the store as built (:data:`AS_BUILT`)."""
        if not (path / MARKER).is_file():
            raise StoreError(f"no tieskg store at {path}: run `tieskg build` first "
                             "(or pass --store PATH)")
        if not read_only:
            for name in AS_BUILT:
                (path / name).unlink(missing_ok=True)
        try:
            store = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        return cls(store, path)

    def rdflib_dataset(self) -> Dataset:
        """The same store as an rdflib ``Dataset`` (through oxrdflib), for code written
        against rdflib's API; its SPARQL queries still run on Oxigraph.

        >>> store = OxigraphStore.in_memory()
        >>> g = URIRef("https://w3id.org/tieskg/graph/example")
        >>> store.replace_graph(g, [(URIRef("urn:x:s"), URIRef("urn:x:p"), URIRef("urn:x:o"), g)])
        >>> len(store.rdflib_dataset().graph(g))
        1
        """
        return Dataset(store=OxrdflibStore(store=self._store))

    def metadata(self) -> dict:
        """What the build recorded in the store's marker file (empty in memory)."""
        if self.path is None:
            return {}
        return json.loads((self.path / MARKER).read_text(encoding="utf-8"))

    def names_containing(self, text: str) -> list[Literal] | None:
        """From the build's name index (:mod:`tieskg.graph.name_index`), if any."""
        if self.path is None:
            return None
        from tieskg.graph.name_index import names_containing

        return names_containing(self.path, text)

    def saved_network(self, name: str) -> nx.Graph | None:
        """From the build's saved networks (:mod:`tieskg.graph.saved_networks`), if any."""
        if self.path is None:
            return None
        from tieskg.graph.saved_networks import read_saved_network

        return read_saved_network(self.path, name)

    # -- queries -----------------------------------------------------------------
    def _query(self, sparql: str, bindings: Mapping[str, Node] | None, **dataset):
        substitutions = {ox.Variable(name): to_oxigraph(value)
                         for name, value in (bindings or {}).items()}
        union = not dataset.get("default_graph")
        try:
            return self._store.query(sparql, use_default_graph_as_union=union,
                                     prefixes=PREFIXES, substitutions=substitutions,
                                     **dataset)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"the store failed while querying: {exc}") from exc

    def stream(self, sparql: str, *, bindings: Mapping[str, Node] | None = None,
               default_graph: list[URIRef] | None = None,
               named_graphs: list[URIRef] | None = None
               ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run a query of any form; Oxigraph's own lazy result, for callers that read
        only part of it or serialize it themselves (the SPARQL endpoint). By default the
        default graph is the union of all named graphs; ``default_graph`` and
        ``named_graphs`` (graph IRIs) set the dataset as the SPARQL protocol's
        ``default-graph-uri`` and ``named-graph-uri`` do."""
        dataset: dict = {}
        if default_graph:
            dataset["default_graph"] = [ox.NamedNode(str(g)) for g in default_graph]
        if named_graphs:
            dataset["named_graphs"] = [ox.NamedNode(str(g)) for g in named_graphs]
        return self._query(sparql, bindings, **dataset)

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update (on a store opened with ``read_only=False``)."""
        try:
            self._store.update(sparql, prefixes=PREFIXES)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"the store failed while updating: {exc}") from exc

    def select(self, sparql: str, *, bindings: Mapping[str, Node] | None = None) -> SelectResult:
        result = self._query(sparql, bindings)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        variables = tuple(v.value for v in result.variables)
        rows = [tuple(to_rdflib(solution[v]) for v in variables) for solution in result]
        return SelectResult(variables, rows)

    def select_text(self, sparql: str, *, bindings: Mapping[str, Node] | None = None
                    ) -> SelectResult:
        result = self._query(sparql, bindings)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        variables = tuple(v.value for v in result.variables)
        rows = [tuple(None if term is None else term.value for term in solution)
                for solution in result]
        return SelectResult(variables, rows)

    def select_rows(self, sparql: str, *, bindings: Mapping[str, Node] | None = None
                    ) -> Iterator[tuple[str | None, ...]]:
        result = self._query(sparql, bindings)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        for solution in result:
            yield tuple(None if term is None else term.value for term in solution)

    def ask(self, sparql: str, *, bindings: Mapping[str, Node] | None = None) -> bool:
        result = self._query(sparql, bindings)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryError("expected an ASK query")
        return bool(result)

    def construct(self, sparql: str, *, bindings: Mapping[str, Node] | None = None
                  ) -> list[tuple[Node, Node, Node]]:
        result = self._query(sparql, bindings)
        if not isinstance(result, ox.QueryTriples):
            raise QueryError("expected a CONSTRUCT or DESCRIBE query")
        return [(to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))
                for t in result]

    # -- writes ------------------------------------------------------------------
    def insert_construct(self, sparql: str, *, graph: URIRef) -> int:
        """As :meth:`Store.insert_construct`, through an N-Triples file and the bulk loader
        (no transaction: for a store not yet in use, such as a build's staging store)."""
        result = self._query(sparql, None)
        if not isinstance(result, ox.QueryTriples):
            raise QueryError("expected a CONSTRUCT query")
        target = ox.NamedNode(str(graph))
        if not self._store.contains_named_graph(target):
            self._store.add_graph(target)
        with tempfile.TemporaryDirectory(prefix="tieskg-construct-") as tmp:
            triples = Path(tmp) / "triples.nt"
            ox.serialize(result, str(triples), format=ox.RdfFormat.N_TRIPLES)
            with triples.open("rb") as stream:
                count = sum(1 for _ in stream)
            self._store.bulk_load(path=str(triples), format=ox.RdfFormat.N_TRIPLES,
                                  to_graph=target)
        return count

    def replace_graph(self, graph: URIRef, quads: Iterable[Quad]) -> None:
        target = ox.NamedNode(str(graph))
        batch = []
        for s, p, o, g in quads:
            if g != graph:
                raise StoreError(f"quad for graph {g} passed to replace_graph({graph})")
            batch.append(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), target))
        self._store.remove_graph(target) if self._store.contains_named_graph(target) else None
        self._store.add_graph(target)
        self._store.extend(batch)

    def load(self, data: bytes, *, format: ox.RdfFormat, graph: URIRef) -> None:
        target = ox.NamedNode(str(graph))
        if self._store.contains_named_graph(target):
            self._store.remove_graph(target)
        self._store.load(data, format=format, to_graph=target)

    def flush(self) -> None:
        """Write everything to disk."""
        self._store.flush()

    # -- reads -------------------------------------------------------------------
    def graph_counts(self) -> dict[str, int]:
        counts = {g.value: 0 for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)}
        for row in self._query(_GRAPH_COUNTS, None):
            counts[row["g"].value] = int(row["n"].value)
        return dict(sorted(counts.items()))

    def quads(self, graph: URIRef | None = None) -> Iterator[ox.Quad]:
        """Every quad of ``graph`` or of all named graphs (pyoxigraph objects, streaming)."""
        target = ox.NamedNode(str(graph)) if graph is not None else None
        for quad in self._store.quads_for_pattern(None, None, None, target):
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                yield quad

    def dump(self, output: IO[bytes], *, format: ox.RdfFormat, graph: URIRef | None = None
             ) -> None:
        prefixes = prefixes_for(format)
        if graph is not None:
            target = ox.NamedNode(str(graph))
            if not self._store.contains_named_graph(target):
                raise StoreError(f"no graph {graph} in the store (see `tieskg info`)")
            self._store.dump(output, format=format, from_graph=target, prefixes=prefixes)
        elif format.supports_datasets:
            self._store.dump(output, format=format, prefixes=prefixes)
        else:
            self._dump_union(output, format=format, prefixes=prefixes)

    def _dump_union(self, output: IO[bytes], *, format: ox.RdfFormat,
                    prefixes: dict[str, str] | None) -> None:
        """Every named graph's triples, each once, one graph after the other (largest
        first). A graph none of whose triples an earlier graph holds is dumped by
        Oxigraph as it is (about 5 times faster than deduplicating all triples in a
        query); from the others, the triples already written are left out."""
        recorded = {row["g"]: int(row["n"].value) for row in self._store.query(
            _RECORDED_GRAPH_SIZES, use_default_graph_as_union=True)}
        graphs = sorted((g for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)),
                        key=lambda g: (-recorded.get(g, 0), g.value))
        for position, graph in enumerate(graphs):
            earlier = set(graphs[:position])
            written = {ox.Triple(row["s"], row["p"], row["o"]) for row in self._store.query(
                _REPEATED_TRIPLES, substitutions={ox.Variable("graph"): graph})
                if row["other"] in earlier} if earlier else set()
            if not written:
                self._store.dump(output, format=format, from_graph=graph, prefixes=prefixes)
                continue
            rest = (quad.triple for quad in self._store.quads_for_pattern(None, None, None, graph)
                    if quad.triple not in written)
            ox.serialize(rest, output, format=format, prefixes=prefixes)

    def bulk_load(self, path: Path, *, format: ox.RdfFormat, graph: URIRef | None = None
                  ) -> None:
        """Stream a (large) RDF file into the store, bypassing transactions.

        Triples go to ``graph``; quads keep their own graphs. Only for a store that is
        not yet in use (a build's staging store): a failure leaves it half-loaded.
        """
        target = ox.NamedNode(str(graph)) if graph is not None else None
        self._store.bulk_load(path=str(path), format=format, to_graph=target)

    def optimize(self) -> None:
        """Compact the on-disk indexes (after a bulk load: reads get about twice as fast)."""
        self._store.optimize()

    def default_graph_size(self) -> int:
        """Triples in the unnamed default graph (tieskg keeps every fact in a named graph)."""
        return sum(1 for _ in self._store.quads_for_pattern(None, None, None, ox.DefaultGraph()))


def prefixes_for(format: ox.RdfFormat) -> dict[str, str] | None:
    """tieskg's prefixes for a format that abbreviates IRIs with them (Turtle, TriG)."""
    return PREFIXES if format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None


def internal_query(name: str) -> str:
    """The text of ``graph/sparql/NAME.rq``, a query tieskg itself runs."""
    return (files("tieskg.graph") / "sparql" / f"{name}.rq").read_text(encoding="utf-8")


#: Triples per named graph, counted inside Oxigraph.
_GRAPH_COUNTS = internal_query("graph-counts")
#: The triples of a graph (``$graph``) that other graphs hold too.
_REPEATED_TRIPLES = internal_query("repeated-triples")
#: Graph sizes recorded by the build (an export writes the largest graph first).
_RECORDED_GRAPH_SIZES = internal_query("recorded-graph-sizes")
