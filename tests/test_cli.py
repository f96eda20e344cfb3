"""The `tieskg` command line, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from tieskg.graph.store import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
SHINE_GRAPH = "https://w3id.org/tieskg/graph/source/shine-2023-03-21"


def tieskg(*args: str, store: Path | None = None, cwd: Path | None = None
           ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TIESKG_STORE"}
    env["COLUMNS"] = "200"
    prefix = ["--store", str(store)] if store else []
    return subprocess.run([sys.executable, "-m", "tieskg.cli", *prefix, *args],
                          capture_output=True, text=True, env=env, cwd=cwd or ROOT)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "store"
    run = tieskg("build", store=path)
    assert run.returncode == 0, run.stderr
    return path


def test_build_prints_graphs_counts_and_validation(store):
    run = tieskg("build", store=store)
    assert run.returncode == 0, run.stderr
    assert SHINE_GRAPH in run.stdout
    assert "total" in run.stdout
    assert "conforms, 0 violations" in run.stdout


def test_help_lists_every_command():
    run = tieskg("--help")
    assert run.returncode == 0
    for command in ("build", "validate", "query", "queries", "export", "info", "docs"):
        assert command in run.stdout


def test_bad_input_is_one_line_exit_2_and_keeps_the_store(store, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.yaml").write_text("regions:\n  - id: r1\n    type: country\n    name: {en: X}\n"
                                "    source: nowhere\n", encoding="utf-8")
    before = OxigraphStore.open(store).graph_counts()
    run = tieskg("build", "--dataset", str(bad), store=store)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert f"{bad / 'x.yaml'}:5:" in run.stderr
    assert "unknown source 'nowhere'" in run.stderr
    assert OxigraphStore.open(store).graph_counts() == before
    debug = tieskg("--debug", "build", "--dataset", str(bad), store=store)
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_validate_store_and_files_with_pyshacl_exit_codes(store, tmp_path):
    assert tieskg("validate", store=store).returncode == 0
    good = tmp_path / "good.ttl"
    tieskg("export", "-o", str(good), store=store)
    assert tieskg("validate", str(good)).returncode == 0
    bad = tmp_path / "bad.ttl"
    bad.write_text(good.read_text(encoding="utf-8") + """
        <https://w3id.org/tieskg/synthetic/obs/x> a tk:Observation ;
            tk:value "-3"^^xsd:decimal .
    """, encoding="utf-8")
    run = tieskg("validate", str(bad), "--format", "json")
    assert run.returncode == 1
    report = json.loads(run.stdout)
    assert report["conforms"] is False
    assert any(v["focus"].endswith("/obs/x") for v in report["violations"])
    turtle = tieskg("validate", str(bad), "--format", "turtle")
    assert turtle.returncode == 1
    assert len(rdflib.Graph().parse(data=turtle.stdout, format="turtle")) > 0
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> \"unterminated .\n", encoding="utf-8")
    run = tieskg("validate", str(broken))
    assert run.returncode == 2
    assert f"{broken}:" in run.stderr and "Traceback" not in run.stderr


def test_query_by_name_in_every_format(store):
    table = tieskg("query", "region-targeted-industries", store=store)
    assert table.returncode == 0, table.stderr
    assert "row(s)" in table.stdout
    data = json.loads(tieskg("query", "region-targeted-industries", "--format", "json",
                             store=store).stdout)
    assert data["head"]["vars"] and data["results"]["bindings"]
    csv = tieskg("query", "region-targeted-industries", "--format", "csv", store=store)
    assert csv.stdout.splitlines()[0] == ",".join(data["head"]["vars"])


def test_query_errors_are_clear(store):
    unknown = tieskg("query", "no-such-query", store=store)
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    bad_param = tieskg("query", "region-targeted-industries", "--param", "nonsense",
                       store=store)
    assert bad_param.returncode == 2 and "NAME=VALUE" in bad_param.stderr
    no_store = tieskg("query", "region-targeted-industries", store=Path("/nonexistent/store"))
    assert no_store.returncode == 2 and "tieskg build" in no_store.stderr


def test_queries_lists_the_library():
    run = tieskg("queries")
    assert run.returncode == 0
    assert "region-targeted-industries" in run.stdout


def test_export_formats_round_trip(store, tmp_path):
    distinct = OxigraphStore.open(store).select(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o { GRAPH ?g { ?s ?p ?o } } }"
    ).rows[0][0]
    turtle = tmp_path / "all.ttl"
    assert tieskg("export", "-o", str(turtle), store=store).returncode == 0
    assert len(rdflib.Graph().parse(turtle)) == int(distinct)
    trig = tmp_path / "all.trig"
    assert tieskg("export", "--format", "trig", "-o", str(trig), store=store).returncode == 0
    dataset = rdflib.Dataset()
    dataset.parse(trig, format="trig")
    assert SHINE_GRAPH in {str(g.identifier) for g in dataset.graphs()}
    for fmt in ("nt", "nq", "jsonld"):
        out = tmp_path / f"all.{fmt}"
        run = tieskg("export", "--format", fmt, "-o", str(out), store=store)
        assert run.returncode == 0, run.stderr
        assert out.stat().st_size > 0
    one = tieskg("export", "--graph", SHINE_GRAPH, store=store)
    graph = rdflib.Graph().parse(data=one.stdout, format="turtle")
    assert len(graph) == OxigraphStore.open(store).graph_counts()[SHINE_GRAPH]


def test_failed_export_keeps_the_previous_file(store, tmp_path):
    out = tmp_path / "keep.ttl"
    out.write_text("previous good output\n", encoding="utf-8")
    run = tieskg("export", "--graph", "https://example.org/no-such-graph", "-o", str(out),
                 store=store)
    assert run.returncode == 2
    assert out.read_text(encoding="utf-8") == "previous good output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.ttl"]


def test_info_shows_graph_counts(store):
    run = tieskg("info", store=store)
    assert run.returncode == 0
    assert SHINE_GRAPH in run.stdout and "built:" in run.stdout
