"""Building the store: persistent, repeatable, validated, derived, and all-or-nothing."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from rdflib import URIRef

from tieskg.errors import InputError, StoreError, ValidationFailed
from tieskg.graph.build import build
from tieskg.graph.export import ExportFormat, export
from tieskg.graph.store import OxigraphStore
from tieskg.loaders import builtin_datasets
from tieskg.namespaces import DERIVED_GRAPH, TKSYN

#: The founding case, with the industry classifications whose SEI 2018 codes it refers to.
CASE = [Path(str(folder)) for folder in builtin_datasets()[:2]]

SYNTHETIC = textwrap.dedent("""\
    dataset: {illustrative: true}
    sources:
      - {id: syn, type: reference-work, title: {en: Synthetic test data}}
    regions:
      - {id: a, type: province-level, code: "910000", name: {en: Region A}, source: syn}
      - {id: b, type: province-level, code: "920000", name: {en: Region B}, source: syn}
    organizations:
      - {id: acme, type: company, name: {en: Acme}, located_in: a, source: syn}
      - {id: bolt, type: company, name: {en: Bolt}, located_in: b, source: syn}
      - {id: cog, type: company, name: {en: Cog}, located_in: b, source: syn}
    facilities:
      - {id: acme-lab, type: rd-centre, name: {en: Acme lab}, operated_by: acme,
         located_in: a, source: syn}
      - {id: acme-plant, type: manufacturing-plant, name: {en: Acme plant}, operated_by: acme,
         located_in: b, source: syn}
    ties:
      - {id: s1, type: supply, name: {en: Bolt supplies Acme}, supplier: bolt, customer: acme,
         from: b, to: a, status: active, source: syn}
      - {id: s2, type: supply, name: {en: Cog supplies Acme}, supplier: cog, customer: acme,
         from: b, to: a, status: active, source: syn}
""")


def dump_nquads(store_path: Path) -> list[str]:
    """Every quad of the store, blank nodes canonicalized (RDFC-1.0), as sorted N-Quads."""
    import io

    import pyoxigraph as ox

    buffer = io.BytesIO()
    export(OxigraphStore.open(store_path), format=ExportFormat.NQUADS, stdout=buffer)
    dataset = ox.Dataset(ox.parse(buffer.getvalue(), format=ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(quad) for quad in dataset)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("store") / "store"
    build(path)
    return path


def test_build_creates_a_persistent_store_with_one_graph_per_source(built):
    store = OxigraphStore.open(built)
    counts = store.graph_counts()
    assert "https://w3id.org/tieskg/graph/source/shine-2023-03-21" in counts
    assert "https://w3id.org/tieskg/graph/ontology" in counts
    assert "https://w3id.org/tieskg/graph/vocabularies" in counts
    assert all(count > 0 for count in counts.values())
    assert store.metadata()["graphs"] == counts


def test_building_twice_gives_the_same_store(built, tmp_path):
    other = tmp_path / "again"
    build(other)
    assert dump_nquads(other) == dump_nquads(built)


def test_rebuild_replaces_graphs_whole(tmp_path):
    path = tmp_path / "store"
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "data.yaml").write_text(SYNTHETIC, encoding="utf-8")
    graph = "https://w3id.org/tieskg/graph/illustrative/syn"
    build(path, datasets=[*CASE, extra])
    assert graph in OxigraphStore.open(path).graph_counts()
    build(path, datasets=CASE)
    assert graph not in OxigraphStore.open(path).graph_counts()


def test_rules_derive_region_ties_that_cite_their_evidence(tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "data.yaml").write_text(SYNTHETIC, encoding="utf-8")
    path = tmp_path / "store"
    report = build(path, datasets=[*CASE, extra])
    assert report.derived["rd-manufacturing-from-facilities"] > 0
    store = OxigraphStore.open(path)
    rows = store.select("""
        SELECT ?type ?from ?to ?n (GROUP_CONCAT(STR(?e); separator=" ") AS ?evidence)
        WHERE { GRAPH <https://w3id.org/tieskg/graph/derived> {
            ?tie a ?type ; tk:fromRegion ?from ; tk:toRegion ?to ; tk:evidenceCount ?n ;
                 tk:evidence ?e } }
        GROUP BY ?type ?from ?to ?n ORDER BY ?type""").rows
    assert len(rows) == 2
    rd, supply = rows
    assert rd[:4] == (URIRef("https://w3id.org/tieskg/ontology#RDManufacturingTie"),
                      TKSYN["region/a"], TKSYN["region/b"], rd[3])
    assert int(rd[3]) == 1
    assert set(str(rd[4]).split()) == {str(TKSYN["org/acme"]), str(TKSYN["facility/acme-lab"]),
                                       str(TKSYN["facility/acme-plant"])}
    assert supply[1:3] == (TKSYN["region/b"], TKSYN["region/a"])
    assert int(supply[3]) == 2
    assert set(str(supply[4]).split()) == {str(TKSYN["tie/s1"]), str(TKSYN["tie/s2"])}


def test_case_alone_derives_nothing_but_describes_the_derived_graph(built):
    store = OxigraphStore.open(built)
    assert not store.ask("ASK { GRAPH ?g { ?t tk:derivationRule ?r } }")
    assert store.graph_counts()[str(DERIVED_GRAPH)] == 2


@pytest.fixture
def previous(built, tmp_path) -> tuple[Path, list[str], Path]:
    """A copy of a good store, its content, and an empty folder for a bad dataset."""
    path = tmp_path / "store"
    shutil.copytree(built, path)
    bad = tmp_path / "bad"
    bad.mkdir()
    return path, dump_nquads(path), bad


def test_bad_input_leaves_the_previous_store_untouched(previous, tmp_path):
    path, before, bad = previous
    (bad / "x.yaml").write_text("regions:\n  - id: [\n", encoding="utf-8")
    with pytest.raises(InputError):
        build(path, datasets=[*CASE, bad])
    assert dump_nquads(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "store"]


def test_violations_fail_the_build_and_keep_the_previous_store(previous):
    path, before, bad = previous
    (bad / "x.yaml").write_text(textwrap.dedent("""\
        dataset: {illustrative: true}
        sources:
          - {id: syn, type: reference-work, title: {en: Synthetic}}
        regions:
          - {id: a, type: province-level, code: "910000", name: {en: Region A}, source: syn}
        observations:
          - {id: o, area: a, period: 2022, indicator: industrial-output-value,
             value: -5, unit: CNY, multiplier: 9, source: syn}
    """), encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        build(path, datasets=[*CASE, bad])
    report = caught.value.report
    assert not report.conforms
    assert any(v.focus == str(TKSYN["obs/o"]) for v in report.violations)
    assert dump_nquads(path) == before


def test_refuses_to_overwrite_a_folder_that_is_not_a_store(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "precious.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(StoreError, match="not a tieskg store"):
        build(folder)
    assert (folder / "precious.txt").read_text(encoding="utf-8") == "keep me"


def test_interrupted_swap_is_recovered(built, tmp_path):
    path = tmp_path / "store"
    backup = tmp_path / ".store.previous"
    shutil.copytree(built, backup)  # as if the process died between the two renames
    before = dump_nquads(backup)
    with pytest.raises(InputError):
        build(path, datasets=[tmp_path / "missing"])
    assert dump_nquads(path) == before


def test_rdf_files_are_bulk_loaded_as_datasets(tmp_path):
    quads = tmp_path / "extra.nq"
    quads.write_text(
        "<https://w3id.org/tieskg/synthetic/x> <http://www.w3.org/2004/02/skos/core#note> "
        "\"synthetic\" <https://w3id.org/tieskg/graph/illustrative/extra> .\n", encoding="utf-8")
    triples = tmp_path / "more.ttl"
    triples.write_text("<https://w3id.org/tieskg/synthetic/y> "
                       "<http://www.w3.org/2004/02/skos/core#note> \"also synthetic\" .\n",
                       encoding="utf-8")
    path = tmp_path / "store"
    build(path, datasets=[*CASE, quads, triples])
    counts = OxigraphStore.open(path).graph_counts()
    assert counts["https://w3id.org/tieskg/graph/illustrative/extra"] == 1
    assert counts["https://w3id.org/tieskg/graph/file/more.ttl"] == 1


def test_rdf_file_with_quads_outside_named_graphs_is_refused(previous):
    path, before, bad = previous
    loose = bad / "loose.nq"
    loose.write_text("<https://w3id.org/tieskg/synthetic/x> "
                     "<http://www.w3.org/2004/02/skos/core#note> \"no graph\" .\n",
                     encoding="utf-8")
    with pytest.raises(InputError, match="outside any named graph"):
        build(path, datasets=[*CASE, loose])
    broken = bad / "broken.nq"
    broken.write_text("<a> <b> .\n", encoding="utf-8")
    with pytest.raises(InputError, match="syntax"):
        build(path, datasets=[*CASE, broken])
    assert dump_nquads(path) == before


def test_ctrl_c_stops_a_bulk_load_at_once_and_keeps_the_previous_store(previous, tmp_path):
    """SIGINT during a long bulk load: exit 130 at once (not when the load ends), the
    previous store unchanged; the next build removes anything the interrupted one left."""
    import signal
    import subprocess
    import sys
    import time

    path, before, _bad = previous
    big = tmp_path / "big.nq"
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, str(root / "benchmarks" / "generate.py"), "--triples",
                    "2000000", "--seed", "3", "-o", str(big)], check=True, capture_output=True)
    build_cmd = [sys.executable, "-m", "tieskg", "--store", str(path), "build",
                 "--dataset", str(big)]
    # A job started in the background by a non-interactive shell (as CI may start this
    # suite) inherits SIGINT ignored, and Python then never raises KeyboardInterrupt; the
    # build must see Ctrl-C as a user at a terminal sends it.
    process = subprocess.Popen(build_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert process.stdout is not None
    for line in process.stdout:
        if "bulk loading" in line:
            break
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    interrupted = time.perf_counter()
    output = process.communicate(timeout=120)[0]
    # loading 2M triples takes several seconds even in memory on a fast machine
    assert time.perf_counter() - interrupted < 2, "waited for the bulk load to end"
    assert process.returncode == 130, output
    assert "interrupted; the previous store is unchanged" in output
    assert "bulk loaded" not in output
    assert dump_nquads(path) == before
    build(path, datasets=CASE)  # removes whatever the interrupted build left
    assert not [p.name for p in tmp_path.iterdir() if ".building-" in p.name]


def test_staging_on_disk_and_in_memory_build_the_same_store(tmp_path, monkeypatch):
    import tieskg.graph.build as build_module

    data = tmp_path / "extra.nq"
    data.write_text(
        "<https://w3id.org/tieskg/synthetic/x> <http://www.w3.org/2004/02/skos/core#note> "
        "_:b1 <https://w3id.org/tieskg/graph/illustrative/extra> .\n"
        "_:b1 <http://www.w3.org/2004/02/skos/core#note> \"blank\" "
        "<https://w3id.org/tieskg/graph/illustrative/extra> .\n", encoding="utf-8")
    steps: dict[str, list[str]] = {"memory": [], "disk": []}
    build(tmp_path / "memory", datasets=[*CASE, data], progress=steps["memory"].append)
    monkeypatch.setattr(build_module, "IN_MEMORY_STAGING_MAX_BYTES", -1)
    build(tmp_path / "disk", datasets=[*CASE, data], progress=steps["disk"].append)
    assert "staging the new store in memory" in steps["memory"]
    assert "staging the new store on disk" in steps["disk"]
    assert dump_nquads(tmp_path / "memory") == dump_nquads(tmp_path / "disk")


def test_build_removes_what_dead_builds_left_behind(built, tmp_path):
    path = tmp_path / "store"
    shutil.copytree(built, path)
    dead = 2**22 + 12345  # above Linux's default pid_max: no such process
    (tmp_path / f".store.building-{dead}").mkdir()
    (tmp_path / f".store.building-{dead}.nq").write_text("", encoding="utf-8")
    build(path, datasets=CASE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_derivation_reports_each_rule_with_its_count():
    from tieskg.graph.derive import derive, rules
    from tieskg.graph.store import OxigraphStore

    messages: list[str] = []
    derived = derive(OxigraphStore.in_memory(), progress=messages.append)
    names = [rule.name for rule in rules()]
    assert list(derived) == names and len(messages) == len(names)
    for number, (name, message) in enumerate(zip(names, messages, strict=True), start=1):
        assert message.startswith(f"derived {derived[name]:,} triples by rule {number} of "
                                  f"{len(names)}, {name}, in ")
