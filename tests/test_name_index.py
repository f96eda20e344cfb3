"""The name index beside the embedded store: find-by-name gives the same rows with it as
by reading every name, and the index is dropped when the store is opened for writing."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDFS, SKOS, XSD
from serving import build_small_store, running_server

from tieskg.errors import QueryError
from tieskg.graph.build import build
from tieskg.graph.name_index import MAX_CANDIDATES, names_containing, write_name_index
from tieskg.graph.sparql_text import inject_values
from tieskg.graph.store import NAME_INDEX, OxigraphStore, internal_query
from tieskg.queries.runner import bind, load_query, parse_query, run_query

GRAPH = URIRef("https://w3id.org/tieskg/graph/names-test")
FIND = load_query("find-by-name")

#: Names that test the lowercase mapping and the SPARQL text of the VALUES block.
AWKWARD = [
    Literal("Shangyu District", lang="en"), Literal("上虞区", lang="zh"),
    Literal("ΟΔΟΣ ΣΟΦΙΑΣ", lang="el"), Literal("İstanbul Straße", lang="tr"),
    Literal("GROẞE Halle"), Literal('A "quoted" name \\ with a backslash'),
    Literal("two\nlines"), Literal("emoji 🏭 factory"), Literal("ǅungla Ǆ ǆ"),
    # U+1E5D0 (Ol Onal, Unicode 16): unknown to this Python's tables, so always a candidate
    Literal("new script \U0001e5d0\U0001e5d1 works"),
    Literal("Typed title", datatype=XSD.string), Literal("0042", datatype=XSD.token),
]
PROPERTIES = [SKOS.prefLabel, SKOS.altLabel, RDFS.label, DCTERMS.title]


def _store(folder: Path, names: list[Literal]) -> OxigraphStore:
    store = OxigraphStore.create(folder)
    store.replace_graph(GRAPH, [
        (URIRef(f"urn:x:thing{i}"), PROPERTIES[i % len(PROPERTIES)], name, GRAPH)
        for i, name in enumerate(names)])
    write_name_index(store, folder / NAME_INDEX)
    return store


def _scan(store: OxigraphStore, text: str):
    """find-by-name as written, reading every name."""
    return store.select(FIND.sparql, bindings=bind(FIND, {"text": text}))


@pytest.fixture(scope="module")
def awkward(tmp_path_factory) -> OxigraphStore:
    return _store(tmp_path_factory.mktemp("names") / "store", AWKWARD)


def test_the_index_holds_the_name_properties_of_find_by_name() -> None:
    names = internal_query("names")
    indexed = re.search(r"VALUES \?label_property \{([^}]*)\}", names).group(1).split()
    searched = re.findall(r"BIND \((\S+) AS \?label_property\)", FIND.sparql)
    assert sorted(indexed) == sorted(searched) and len(searched) == 4
    assert FIND.name_index == ("label", "text")


@pytest.mark.parametrize("text", [
    "shangyu", "SHANGYU DIS", "虞区", "οδος", "ΟΔΟΣ", "σοφιας", "i̇stanbul", "straße", "große",
    '"quoted"', "\\ with", "o\nli", "🏭 fac", "ǆungla", "ǅUNGLA", "ǆ ǆ", "\U0001e5d0\U0001e5d1",
    "script", "typed", "004", "nothing like it", "anything", "zzz", "虞", "yu", "Σ", "\"", "0"])
def test_indexed_find_by_name_gives_the_rows_of_a_full_scan(awkward, text) -> None:
    expected = _scan(awkward, text)
    got = run_query(awkward, FIND, {"text": text})
    assert got == expected
    if "\U0001e5d0" not in text:
        assert awkward.names_containing(text) is not None  # the index was used


def test_the_index_finds_names_and_leaves_out_the_rest(awkward) -> None:
    folder = awkward.path
    # a name with a character this Python does not know is a candidate for any text
    unknown = Literal("new script \U0001e5d0\U0001e5d1 works")
    assert names_containing(folder, "STRASSE") == [unknown]
    assert names_containing(folder, "straße") == [Literal("İstanbul Straße", lang="tr"), unknown]
    assert names_containing(folder, "虞区") == [Literal("上虞区", lang="zh"), unknown]
    assert names_containing(folder, "") is None               # every name matches
    assert names_containing(folder, "x\U0001e5d0y") is None   # unknown character


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8),
       pick=st.integers(min_value=0), start=st.integers(min_value=0),
       length=st.integers(min_value=1, max_value=6), upper=st.booleans())
def test_any_names_and_any_text_give_the_rows_of_a_full_scan(tmp_path_factory, names, pick,
                                                             start, length, upper) -> None:
    store = _store(tmp_path_factory.mktemp("random") / "store",
                   [Literal(n, lang="en") for n in names])
    name = names[pick % len(names)]
    text = name[start % len(name):][:length] or name
    text = text.upper() if upper else text
    assert run_query(store, FIND, {"text": text}) == _scan(store, text)


def test_too_many_matches_fall_back_to_reading_every_name(tmp_path) -> None:
    store = _store(tmp_path / "store", [Literal(f"Plant {i}") for i in range(MAX_CANDIDATES + 1)])
    assert store.names_containing("plant") is None
    assert len(store.names_containing("plant 12")) == 111  # 12, 120-129, 1200-1299
    assert run_query(store, FIND, {"text": "plant"}) == _scan(store, "plant")


def test_opening_the_store_for_writing_drops_the_index(tmp_path) -> None:
    folder = tmp_path / "store"
    build(folder)
    assert (folder / NAME_INDEX).is_file()
    assert OxigraphStore.open(folder).names_containing("shangyu")
    OxigraphStore.open(folder, read_only=False)
    assert not (folder / NAME_INDEX).exists()
    reopened = OxigraphStore.open(folder)
    assert reopened.names_containing("shangyu") is None
    assert run_query(reopened, FIND, {"text": "shangyu"}).rows  # still found, by reading


def test_a_restriction_by_several_values_and_by_none() -> None:
    text = "SELECT ?s WHERE { ?s ?p ?o }"
    assert "VALUES ?o { \"a\" \"b\" }" in inject_values(text, {"o": [Literal("a"), Literal("b")]})
    store = OxigraphStore.in_memory()
    store.replace_graph(GRAPH, [(URIRef("urn:x:s"), RDFS.label, Literal("a"), GRAPH)])
    assert store.select(inject_values(text, {"o": []})).rows == []
    assert len(store.select(inject_values(text, {"o": [Literal("a")]})).rows) == 1


@pytest.mark.parametrize(("line", "message"), [
    ("# name-index: label", "VARIABLE PARAM"),
    ("# name-index: nothing text", "never uses"),
    ("# name-index: label other", "not a declared string parameter"),
])
def test_bad_name_index_lines_are_refused(line, message) -> None:
    text = (files("tieskg.queries") / "find-by-name.rq").read_text(encoding="utf-8")
    text = text.replace("# name-index: label text", line)
    with pytest.raises(QueryError, match=message):
        parse_query(text, "find-by-name", Path("find-by-name.rq"))


def test_the_endpoint_runs_saved_queries_through_the_name_index(tmp_path) -> None:
    """A store whose index (deliberately) holds no names: the runner and the endpoint's
    saved query find nothing, which only the index can have told them."""
    folder = build_small_store(tmp_path / "store")
    store = OxigraphStore.open(folder)
    assert _scan(store, "Shangyu").rows
    write_name_index(OxigraphStore.in_memory(), folder / NAME_INDEX)
    assert run_query(store, FIND, {"text": "Shangyu"}).rows == []
    with running_server(folder, log=tmp_path / "serve.log") as url:
        response = httpx.get(f"{url}/queries/find-by-name", params={"text": "Shangyu"})
        assert response.status_code == 200, response.text
        assert response.json()["results"]["bindings"] == []
        free = httpx.get(f"{url}/sparql", params={"query": (  # one's own query: no index
            'SELECT ?l WHERE { ?t skos:prefLabel ?l FILTER (CONTAINS(?l, "Shangyu")) }')})
        assert free.json()["results"]["bindings"]
