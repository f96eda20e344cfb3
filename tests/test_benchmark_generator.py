"""benchmarks/generate.py: synthetic benchmark data that follows the ontology and the shapes.

``benchmarks/`` is not a package, so the generator is loaded by file path. Each file is
generated once per module (about 20,000 triples, a fraction of a second) and validated as
``tieskg build --dataset FILE`` does: loaded with the ontology into a store, ties derived,
then checked by the SPARQL validator (``tieskg.graph.shacl_sparql``), in about a second;
that it gives pySHACL's results, synthetic graphs included, is what
``tests/test_shacl_sparql.py`` shows.
"""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pyoxigraph as ox
import pytest

from tieskg.graph.build import populate
from tieskg.graph.shacl_sparql import validate_store_sparql
from tieskg.graph.store import OxigraphStore
from tieskg.graph.validate import ValidationReport
from tieskg.namespaces import TKSYN

GENERATOR = Path(__file__).resolve().parent.parent / "benchmarks" / "generate.py"
TARGET = 20_000
SEED = 7
GRAPH = f"https://w3id.org/tieskg/graph/illustrative/benchmark-{SEED}"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tieskg_benchmark_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = _load_generator()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Four runs: a clean one, the same again, another seed, and one with violations."""
    folder = tmp_path_factory.mktemp("benchmark")
    log = io.StringIO()
    runs = {
        "clean": generator.generate(folder / "clean.nq", TARGET, SEED, log=None),
        "again": generator.generate(folder / "again.nq", TARGET, SEED, log=None),
        "other": generator.generate(folder / "other.nq", TARGET, SEED + 1, log=None),
        "broken": generator.generate(folder / "broken.nq", TARGET, SEED, 0.01, log=log),
    }
    return {**runs, "log": log.getvalue()}


def _validate(path: Path) -> ValidationReport:
    """Validate an N-Quads file as the build does: in a store with the ontology and the
    vocabularies, after derivation."""
    store = OxigraphStore.in_memory()
    populate(store, [], rdf_files=[path])
    return validate_store_sparql(store)


def test_triple_count_is_within_two_percent_of_the_target(files: dict[str, Any]) -> None:
    for name in ("clean", "other", "broken"):
        summary = files[name]
        assert abs(summary.triples - TARGET) <= 0.02 * TARGET, name
        with summary.path.open("rb") as lines:
            assert sum(1 for _ in lines) == summary.triples, name


def test_parses_with_pyoxigraph_in_one_graph_of_synthetic_subjects(
        files: dict[str, Any]) -> None:
    quads = list(ox.parse(path=files["clean"].path, format=ox.RdfFormat.N_QUADS))
    assert len(quads) == files["clean"].triples
    assert len(set(quads)) == len(quads), "a triple is written twice"
    assert {q.graph_name for q in quads} == {ox.NamedNode(GRAPH)}
    outside = {q.subject for q in quads
               if q.subject != ox.NamedNode(GRAPH) and not q.subject.value.startswith(TKSYN)}
    assert not outside
    assert not any(isinstance(term, ox.BlankNode) for q in quads for term in (q.subject, q.object))
    kinds = {q.object.value.rsplit("#", 1)[-1] for q in quads
             if q.predicate.value.endswith("#type")}
    assert {"SourceGraph", "ReferenceWork", "StatisticalDataset", "Country",
            "ProvinceLevelDivision", "PrefectureLevelDivision", "CountyLevelDivision",
            "IndustryClassification", "Industry", "IndustrialPark", "Company",
            "Headquarters", "SupplyTie", "Observation"} <= kinds


def test_conforms_to_the_shapes_without_violations(files: dict[str, Any]) -> None:
    report = _validate(files["clean"].path)
    assert report.conforms, "\n".join(report.to_text().splitlines()[:40])
    assert json.loads(files["clean"].path.with_name("clean.nq.violations.json").read_text()) == []


def test_validate_reports_exactly_the_planted_violations(files: dict[str, Any]) -> None:
    broken = files["broken"]
    sidecar = broken.path.with_name("broken.nq.violations.json")
    planted = json.loads(sidecar.read_text(encoding="utf-8"))
    assert planted == broken.violations
    assert len({entry["kind"] for entry in planted}) >= 4, "too few kinds to test much"
    report = _validate(broken.path)
    assert not report.conforms
    expected = {(e["focus"], e["shape"], e["component"], e["path"]) for e in planted}
    found = {(v.focus, v.shape, v.component, v.path) for v in report.violations}
    assert found - expected == set(), "reported but not planted"
    assert expected - found == set(), "planted but not reported"


def test_reports_planted_counts_per_kind(files: dict[str, Any]) -> None:
    counts = files["broken"].violation_counts
    log = files["log"]
    assert f"planted {sum(counts.values())} violations" in log
    for kind in generator.VIOLATION_KINDS:
        assert f"{kind} {counts[kind]}" in log


def test_same_seed_same_bytes_other_seed_other_bytes(files: dict[str, Any]) -> None:
    clean = files["clean"].path.read_bytes()
    assert clean == files["again"].path.read_bytes()
    assert clean != files["other"].path.read_bytes()


def test_violations_leave_the_other_records_alone(files: dict[str, Any]) -> None:
    """Violations come from their own random stream: a record not planted is written
    exactly as without --violations (up to where the runs stop)."""
    clean = files["clean"].path.read_text(encoding="utf-8").splitlines()
    broken = set(files["broken"].path.read_text(encoding="utf-8").splitlines())
    focus = {f"<{e['focus']}>" for e in files["broken"].violations}
    differing = [line for line in clean[: int(0.9 * len(clean))]
                 if line not in broken and line.split(" ", 1)[0] not in focus]
    # Only the self-description (checksum and description name the arguments) differs.
    assert all(line.startswith(f"<{GRAPH}>") for line in differing), differing[:5]


def test_rejects_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert generator.main(["--triples", "20000", "--seed", "1", "-o", str(tmp_path / "x.nt")]) == 2
    assert generator.main(["--triples", "10", "--seed", "1", "-o", str(tmp_path / "x.nq")]) == 2
    assert generator.main(["--triples", "20000", "--seed", "1", "--violations", "2",
                           "-o", str(tmp_path / "x.nq")]) == 2
    assert "error:" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


#: SHA-256 of the clean file (TARGET triples, SEED) without its tk:sourceChecksum line
#: (which hashes the script itself): the default output is the one the issue-3
#: benchmark figures were measured on, so a change of the generator must not alter it.
DEFAULT_OUTPUT_SHA256 = "0057560b0331668ff46697782f8104f15ec5c9f0b57a7021de1701ad201501c4"


def test_default_output_is_unchanged(files: dict[str, Any]) -> None:
    import hashlib

    lines = files["clean"].path.read_bytes().splitlines(keepends=True)
    kept = b"".join(line for line in lines if b"#sourceChecksum>" not in line)
    assert hashlib.sha256(kept).hexdigest() == DEFAULT_OUTPUT_SHA256


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The national mix at a small size: exact organizations, five ties each, no
    observations."""
    folder = tmp_path_factory.mktemp("national")
    return generator.generate(folder / "national.nq", None, SEED, log=None, organizations=800,
                              ties_per_organization=5, observations_per_organization=0)


def test_national_mix_gives_exact_organizations_and_ties(national: Any) -> None:
    assert national.records["organizations"] == 800
    assert national.records["supply ties"] == 4000
    assert national.records["observations"] == 0
    quads = list(ox.parse(path=national.path, format=ox.RdfFormat.N_QUADS))
    typed = [q.object.value.rsplit("#", 1)[-1] for q in quads
             if q.predicate.value.endswith("#type")]
    assert typed.count("SupplyTie") == 4000
    assert typed.count("Observation") == 0
    assert typed.count("CountyLevelDivision") > 2000, "the fixed part is at full size"


def test_national_mix_conforms_to_the_shapes(national: Any) -> None:
    report = _validate(national.path)
    assert report.conforms, "\n".join(report.to_text().splitlines()[:40])


def test_fractional_observations_per_organization(tmp_path: Path) -> None:
    summary = generator.generate(tmp_path / "o.nq", None, SEED, log=None, organizations=400,
                                 ties_per_organization=0.5, observations_per_organization=1.5)
    assert summary.records["supply ties"] == 200
    assert 500 <= summary.records["observations"] <= 700   # 600 expected


def test_rejects_bad_size_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "x.nq")
    assert generator.main(["--organizations", "0", "--seed", "1", "-o", out]) == 2
    assert generator.main(["--organizations", "10", "--seed", "1",
                           "--supply-ties-per-organization", "-1", "-o", out]) == 2
    with pytest.raises(SystemExit):   # argparse: --triples and --organizations exclude
        generator.main(["--triples", "20000", "--organizations", "10", "--seed", "1",
                        "-o", out])
    assert "error:" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
