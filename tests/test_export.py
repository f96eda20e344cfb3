"""Turtle export: other parsers (serdi, rapper) read exactly the triples of the store.

serdi (C) and rapper (Raptor, C) come from Debian's packages ``serdi`` and
``raptor2-utils``; ``.ci/run`` installs them. Without them these tests skip, except in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tieskg.graph.build import populate
from tieskg.graph.export import ExportFormat, export
from tieskg.graph.store import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: .ci/run installs it")
        pytest.skip(f"{name} is not installed")
    return found


def serdi_count(path: Path) -> int:
    """Triples serdi reads from the Turtle file ``path``."""
    out = subprocess.run([_tool("serdi"), "-i", "turtle", "-o", "ntriples", str(path)],
                         check=True, capture_output=True).stdout
    return sum(1 for line in out.splitlines() if line.strip())


def rapper_count(path: Path) -> int:
    """Triples rapper (Raptor) reads from the Turtle file ``path``."""
    done = subprocess.run([_tool("rapper"), "-i", "turtle", "-c", str(path)],
                          check=True, capture_output=True, text=True)
    found = re.search(r"returned (\d+) triples", done.stderr)
    assert found, done.stderr
    return int(found.group(1))


def union_size(store: OxigraphStore) -> int:
    """Distinct triples over all named graphs (counted in Python, not by the exporter)."""
    return len({(q.subject, q.predicate, q.object) for q in store.quads()})


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    """The ontology, vocabularies and a 20k-triple synthetic graph (with derived ties)."""
    folder = tmp_path_factory.mktemp("synthetic")
    data = folder / "synthetic.nq"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--triples",
                    "20000", "--seed", "5", "-o", str(data)], check=True, capture_output=True)
    store = OxigraphStore.in_memory()
    populate(store, [], rdf_files=[data])
    return store


@pytest.mark.parametrize("which", ["case", "synthetic"])
def test_serdi_and_rapper_read_every_exported_triple(which, case_store, synthetic_store,
                                                     tmp_path):
    store = case_store if which == "case" else synthetic_store
    out = tmp_path / "all.ttl"
    export(store, format=ExportFormat.TURTLE, output=out)
    expected = union_size(store)
    assert expected > 1000
    assert serdi_count(out) == expected
    assert rapper_count(out) == expected


def test_a_triple_several_graphs_state_is_written_once(tmp_path):
    """Graphs go out one after the other, largest first; what an earlier graph wrote is
    left out of later ones, and a blank node two graphs share stays one node."""
    from rdflib import BNode, Graph, Literal, URIRef

    from tieskg.graph.statistics import record_graph_sizes
    from tieskg.namespaces import TKSYN

    big, small, other = (URIRef(f"{TKSYN}graph/{n}") for n in ("big", "small", "other"))
    s, p, shared = URIRef(f"{TKSYN}s"), URIRef(f"{TKSYN}p"), BNode()
    repeated = (s, p, Literal("stated three times"))
    store = OxigraphStore.in_memory()
    store.replace_graph(big, [(s, p, Literal(n), big) for n in range(50)]
                        + [(*repeated, big), (s, p, shared, big)])
    store.replace_graph(small, [(*repeated, small), (shared, p, Literal("x"), small)])
    store.replace_graph(other, [(*repeated, other), (shared, p, Literal("x"), other),
                                (shared, p, Literal("y"), other)])
    record_graph_sizes(store)  # the export reads the sizes to write the largest graph first
    expected = {(q.subject, q.predicate, q.object) for q in store.quads()}
    for fmt in (ExportFormat.NTRIPLES, ExportFormat.TURTLE):
        out = tmp_path / f"all.{fmt.rdf_format.file_extension}"
        export(store, format=fmt, output=out)
        parsed = Graph().parse(out, format=fmt.value)
        assert len(parsed) == len(expected)
        # s, the shared blank node, and the statistics graph with the three graphs it sizes
        assert len(set(parsed.subjects())) == 6
        assert len({o for o in parsed.objects(None, p) if isinstance(o, BNode)}) == 1
    lines = (tmp_path / "all.nt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(expected)
    assert serdi_count(tmp_path / "all.ttl") == rapper_count(tmp_path / "all.ttl") == len(expected)


def test_progress_hears_of_every_byte_written(case_store, tmp_path):
    seen: list[int] = []
    out = tmp_path / "all.trig"
    export(case_store, format=ExportFormat.TRIG, output=out, progress=seen.append)
    assert seen == sorted(seen) and len(seen) > 1
    assert seen[-1] == out.stat().st_size


def test_written_files_get_the_usual_permissions(tmp_path) -> None:
    from tieskg.graph.export import write_atomically

    old = os.umask(0o027)
    try:
        fresh = tmp_path / "fresh.ttl"
        write_atomically(fresh, lambda stream: stream.write(b""))
        assert fresh.stat().st_mode & 0o777 == 0o640
        kept = tmp_path / "kept.ttl"
        kept.write_bytes(b"old")
        kept.chmod(0o604)
        write_atomically(kept, lambda stream: stream.write(b"new"))
        assert kept.stat().st_mode & 0o777 == 0o604 and kept.read_bytes() == b"new"
    finally:
        os.umask(old)
