"""The networks the build saves beside the store: the same graphs as projecting by
querying, down to the type and order of every attribute; dropped when the store is
opened for writing; ignored (projected by querying) when unreadable."""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from tieskg.graph import networks
from tieskg.graph.build import build
from tieskg.graph.saved_networks import _read, _write, read_saved_network
from tieskg.graph.store import NAME_INDEX, SAVED_NETWORKS, OxigraphStore
from tieskg.loaders import builtin_datasets

GENERATOR = Path(__file__).resolve().parent.parent / "benchmarks" / "generate.py"
#: The founding case, with the industry classifications whose SEI 2018 codes it refers to.
CASE = [Path(str(folder)) for folder in builtin_datasets()[:2]]


def _synthetic(path: Path) -> Path:
    spec = importlib.util.spec_from_file_location("tieskg_benchmark_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generator.generate(path, None, 11, log=None, organizations=300, ties_per_organization=4,
                       observations_per_organization=0)
    return path


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from the founding case and a small synthetic national mix."""
    folder = tmp_path_factory.mktemp("saved")
    steps: list[str] = []
    build(folder / "store", datasets=[*CASE, _synthetic(folder / "national.nq")],
          progress=steps.append)
    assert any(step.startswith("indexed names in") and "saved the projected networks" in step
               and "org-supply" in step and "region-industry" in step for step in steps), steps
    return folder / "store"


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from the founding case alone."""
    folder = tmp_path_factory.mktemp("case") / "store"
    build(folder, datasets=CASE)
    return folder


def _typed(value: Any) -> Any:
    """``value`` with every dict as its list of items (order counts) and every scalar
    with its type (1 == 1.0 == True in Python)."""
    if isinstance(value, dict):
        return [(_typed(k), _typed(v)) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [_typed(item) for item in value]
    return (type(value).__name__, value)


def assert_identical(got: nx.Graph, expected: nx.Graph) -> None:
    """Same class, graph attributes, nodes, ties, keys and attributes (values, types and
    order), and the same order of nodes and of every node's neighbours."""
    assert type(got) is type(expected)
    assert _typed(got.graph) == _typed(expected.graph)
    assert _typed(list(got.nodes(data=True))) == _typed(list(expected.nodes(data=True)))
    ties = ((lambda g: list(g.edges(keys=True, data=True))) if got.is_multigraph()
            else (lambda g: list(g.edges(data=True))))
    assert _typed(ties(got)) == _typed(ties(expected))
    for node in expected:
        assert list(got.adj[node]) == list(expected.adj[node])
        if expected.is_directed():
            assert list(got.pred[node]) == list(expected.pred[node])


@pytest.mark.parametrize("name", networks.NETWORKS)
def test_saved_networks_are_the_queried_projections(synthetic: Path, name: str) -> None:
    store = OxigraphStore.open(synthetic)
    saved = store.saved_network(name)
    assert saved is not None
    queried = networks.queried(store, name)
    assert queried.number_of_edges() > 100
    assert_identical(saved, queried)
    assert_identical(networks.project(store, name), queried)


@pytest.mark.parametrize("name", networks.NETWORKS)
def test_saved_networks_of_the_founding_case(case: Path, name: str) -> None:
    store = OxigraphStore.open(case)
    saved = store.saved_network(name)
    assert saved is not None
    assert_identical(saved, networks.queried(store, name))


def test_projection_with_options_still_queries(synthetic: Path) -> None:
    store = OxigraphStore.open(synthetic)
    industry = next(data["industry"] for _, data in networks.project(
        store, "org-supply").nodes(data=True) if "industry" in data)
    from rdflib import URIRef

    narrowed = networks.project(store, "region-ties", industry=URIRef(industry))
    assert narrowed.graph["industry"] == industry
    assert_identical(narrowed, networks.queried(store, "region-ties",
                                                industry=URIRef(industry)))


def test_queried_projections_do_not_depend_on_the_store_s_row_order(synthetic: Path) -> None:
    """The staging store the build projects from (in memory) returns rows in another
    order than the built store on disk; the sorted projections agree all the same."""
    store = OxigraphStore.open(synthetic)
    memory = OxigraphStore.in_memory()
    for quad_batch in _batches(store.quads()):
        memory._store.extend(quad_batch)
    for name in networks.NETWORKS:
        assert_identical(networks.queried(memory, name), networks.queried(store, name))


def _batches(quads, size: int = 50_000):
    batch = []
    for quad in quads:
        batch.append(quad)
        if len(batch) == size:
            yield batch
            batch = []
    yield batch


def test_opening_the_store_for_writing_drops_the_saved_networks(synthetic: Path,
                                                                tmp_path: Path) -> None:
    folder = tmp_path / "store"
    shutil.copytree(synthetic, folder)
    assert (folder / SAVED_NETWORKS).is_file()
    OxigraphStore.open(folder, read_only=False)
    assert not (folder / SAVED_NETWORKS).exists() and not (folder / NAME_INDEX).exists()
    reopened = OxigraphStore.open(folder)
    assert reopened.saved_network("org-supply") is None
    assert_identical(networks.project(reopened, "org-supply"),
                     OxigraphStore.open(synthetic).saved_network("org-supply"))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other-code", "lost-rows"])
def test_an_unusable_file_is_no_saved_network(synthetic: Path, tmp_path: Path,
                                             damage: str) -> None:
    """A damaged file, or one written by other projection code, is ignored: the network
    is projected by querying (the same graph, slower)."""
    folder = tmp_path / "store"
    shutil.copytree(synthetic, folder)
    path = folder / SAVED_NETWORKS
    if damage == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a database" * 1000)
    else:
        with sqlite3.connect(path) as db:
            if damage == "other-code":
                db.execute("UPDATE meta SET value = 'other' WHERE key = 'fingerprint'")
            else:
                db.execute('DELETE FROM "ties:org-supply" WHERE rowid % 7 = 0')
        db.close()
    store = OxigraphStore.open(folder)
    assert store.saved_network("org-supply") is None
    assert_identical(networks.project(store, "org-supply"),
                     OxigraphStore.open(synthetic).saved_network("org-supply"))


def test_a_store_without_saved_networks(tmp_path: Path) -> None:
    assert read_saved_network(tmp_path, "org-supply") is None
    assert OxigraphStore.in_memory().saved_network("org-supply") is None


def _round_trip(graph: nx.Graph, tmp_path: Path) -> nx.Graph | None:
    from tieskg.graph.saved_networks import FORMAT, fingerprint

    with sqlite3.connect(tmp_path / "n.sqlite") as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.executemany("INSERT INTO meta VALUES (?, ?)",
                       [("format", str(FORMAT)), ("fingerprint", fingerprint())])
        db.execute("CREATE TABLE networks (name TEXT PRIMARY KEY, class TEXT, graph TEXT, "
                   "node_columns TEXT, tie_columns TEXT, nodes INTEGER, ties INTEGER)")
        _write(db, "region-ties", graph)
        got = _read(db, "region-ties")
    db.close()
    return got


@pytest.mark.parametrize("cls", [nx.Graph, nx.DiGraph, nx.MultiGraph, nx.MultiDiGraph])
def test_values_keep_their_types_and_order(cls: type[nx.Graph], tmp_path: Path) -> None:
    graph = networks.ordered(cls(network="x", size=3, share=0.5))
    graph.add_node("b", label="B", weight=2.0)
    graph.add_node("a", label="A", code="0", weight=1)
    graph.add_node("c")
    graph.add_edge("b", "a", weight=2.0, ties=1, kind="x y")
    graph.add_edge("a", "c", weight=3, ties=2)
    got = _round_trip(graph, tmp_path)
    assert got is not None
    assert_identical(got, graph)


def test_attributes_in_contradictory_orders_are_refused(tmp_path: Path) -> None:
    graph = nx.DiGraph()
    graph.add_node("a", label="A", weight=1)
    graph.add_node("b", weight=2, label="B")
    with pytest.raises(ValueError, match="contradictory orders"):
        _round_trip(graph, tmp_path)


@pytest.mark.parametrize("value", [None, True, [1], b"x"])
def test_values_the_file_cannot_keep_are_refused(value: Any, tmp_path: Path) -> None:
    graph = nx.DiGraph()
    graph.add_edge("a", "b", weight=value)
    with pytest.raises(ValueError, match="only int, float, str"):
        _round_trip(graph, tmp_path)
