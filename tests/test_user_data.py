"""Users' own tables: templates, reading every format, mapping, resolution, quarantine,
accounting, provenance per load, strict mode, identical reloads, derived ties.

The tables are made up in each test (illustrative companies with credit codes computed
here); what they should yield is worked out from the rows written, not from the output.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from tieskg.errors import InputError
from tieskg.graph.build import build, populate
from tieskg.graph.store import OxigraphStore
from tieskg.loaders import builtin_datasets, load_dataset
from tieskg.loaders.project import read_project
from tieskg.loaders.resolve import CREDIT_CODE_CHARACTERS, CREDIT_CODE_WEIGHTS, Resolver
from tieskg.loaders.tabular import read_table
from tieskg.loaders.templates import TEMPLATES, template_csv
from tieskg.loaders.user_data import LoadRequest, load_user_file, resolver_lookup
from tieskg.namespaces import DERIVED_GRAPH, TK, TKG, TKID


def credit_code(body: str) -> str:
    """``body`` (17 characters) with its GB 32100-2015 check character."""
    total = sum(CREDIT_CODE_CHARACTERS.index(c) * w for c, w in zip(body, CREDIT_CODE_WEIGHTS,
                                                                    strict=True))
    return body + CREDIT_CODE_CHARACTERS[(31 - total % 31) % 31]


ACME = credit_code("91330604MA2B00001")
BETA = credit_code("91310000MA1K00002")


def write_csv(path: Path, header: list[str], rows: list[list[str]], *,
              encoding: str = "utf-8") -> Path:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


@pytest.fixture(scope="module")
def base_store() -> OxigraphStore:
    store = OxigraphStore.in_memory()
    populate(store, [load_dataset(Path(str(f))) for f in builtin_datasets()])
    return store


_LOOKUPS: dict[int, object] = {}


def load(store: OxigraphStore, path: Path, kind: str, name: str, **options):
    """Load ``path`` resolving against ``store`` (its resolver is made once per store)."""
    if id(store) not in _LOOKUPS:
        _LOOKUPS[id(store)] = resolver_lookup(Resolver.from_store(store))
    return load_user_file(LoadRequest(path, kind, name, **options), _LOOKUPS[id(store)])


def organizations_csv(tmp_path: Path, encoding: str = "utf-8") -> Path:
    return write_csv(tmp_path / "orgs.csv", [
        "id", "name_zh", "name_en", "type", "credit_code", "located_in", "industry"], [
        ["", "上虞示例化工有限公司", "Acme Chemicals", "", ACME, "绍兴市/上虞区",
         "gbt-4754-2017:26"],
        ["", "上海示例研究院", "Beta Institute", "research-institute", BETA, "310000", ""],
        ["gamma", "", "Gamma Ltd", "", "", "Shangyu District", "sei-2018:3;sei-2018:4.1"],
        # bad rows: unknown region; bad check character; no name; unknown type
        ["delta", "丁公司", "", "", "", "火星市", ""],
        ["", "戊公司", "", "", ACME[:-1] + ("0" if ACME[-1] != "0" else "1"), "330604", ""],
        ["zeta", "", "", "", "", "330604", ""],
        ["eta", "己公司", "", "spaceship", "", "330604", ""],
    ], encoding=encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_rows_read_equal_rows_loaded_plus_quarantined(base_store, tmp_path, encoding):
    result = load(base_store, organizations_csv(tmp_path, encoding), "organizations", "orgs")
    assert (result.rows_read, result.rows_loaded) == (7, 3)
    bad = {(q.row, q.column) for q in result.quarantined}
    # header on line 1: the bad rows are lines 5-8
    assert {row for row, _ in bad} == {5, 6, 7, 8}
    assert (5, "located_in") in bad and (7, "name_zh") in bad
    reasons = " ".join(q.reason for q in result.quarantined)
    assert "火星市" in reasons or "unknown region" in reasons
    assert "check character" in reasons and "spaceship" in reasons
    quads = result.quads
    graph = TKG["source/orgs"]
    assert {q[3] for q in quads} == {graph}
    acme = TKID[f"org/uscc-{ACME.lower()}"]
    assert (acme, TK.locatedIn, TKID["region/cn-330604"], graph) in quads
    assert (acme, TK.creditCode, Literal(ACME), graph) in quads
    gamma = TKID["org/orgs.gamma"]
    assert {q[2] for q in quads if q[:2] == (gamma, TK.industry)} == {
        TKID["industry/sei-2018/3"], TKID["industry/sei-2018/4.1"]}
    source = TKID["source/orgs"]
    assert (source, RDF.type, TK.DataFile, graph) in quads
    counts = {p: o for s, p, o, _ in quads if s == source}
    assert (counts[TK.rowsRead], counts[TK.rowsLoaded], counts[TK.rowsQuarantined]) == (
        Literal(7, datatype=XSD.integer), Literal(3, datatype=XSD.integer),
        Literal(4, datatype=XSD.integer))


def test_strict_rejects_the_whole_file_at_the_first_bad_row(base_store, tmp_path):
    with pytest.raises(InputError) as error:
        load(base_store, organizations_csv(tmp_path), "organizations", "orgs", strict=True)
    assert "orgs.csv:5" in str(error.value) and "--strict" in str(error.value)


def test_every_template_is_a_loadable_empty_table(base_store, tmp_path):
    for name, template in TEMPLATES.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(template_csv(name), encoding="utf-8")
        table = read_table(path)
        assert table.columns == tuple(c.name for c in template.columns)
        assert load(base_store, path, name, name).rows_read == 0


def test_excel_json_and_yaml_read_like_csv(base_store, tmp_path):
    import openpyxl
    import yaml

    rows = [{"name_en": "Acme Chemicals", "credit_code": ACME, "located_in": "330604"},
            {"name_en": "Beta Institute", "credit_code": BETA, "located_in": "上海市"}]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "企业"
    sheet.append(["name_en", "credit_code", "located_in"])
    for row in rows:
        sheet.append([row["name_en"], row["credit_code"], int(row["located_in"])
                      if row["located_in"].isdigit() else row["located_in"]])
    book.save(tmp_path / "orgs.xlsx")
    (tmp_path / "orgs.json").write_text(json.dumps({"data": rows}, ensure_ascii=False),
                                        encoding="utf-8")
    (tmp_path / "orgs.yaml").write_text(yaml.safe_dump(rows, allow_unicode=True),
                                        encoding="utf-8")
    mapping = tmp_path / "json.mapping.yaml"
    mapping.write_text("records: data\n", encoding="utf-8")
    results = [load(base_store, tmp_path / "orgs.xlsx", "organizations", "x"),
               load(base_store, tmp_path / "orgs.json", "organizations", "x", mapping=mapping),
               load(base_store, tmp_path / "orgs.yaml", "organizations", "x")]
    triples = [{(s, p, o) for s, p, o, _ in r.quads if not str(s).endswith("/source/x")}
               for r in results]
    assert all(r.rows_loaded == 2 and not r.quarantined for r in results)
    assert triples[0] == triples[1] == triples[2]


def test_a_mapping_reads_chinese_column_names_and_sets_constants(base_store, tmp_path):
    path = write_csv(tmp_path / "企业名录.csv", ["企业名称", "统一社会信用代码", "所在地区"],
                     [["上虞示例化工有限公司", ACME, "上虞区"]], encoding="gb18030")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns:\n  name_zh: 企业名称\n  credit_code: 统一社会信用代码\n"
                       "  located_in: 所在地区\nvalues:\n  type: research-institute\n",
                       encoding="utf-8")
    result = load(base_store, path, "organizations", "m", mapping=mapping)
    acme = TKID[f"org/uscc-{ACME.lower()}"]
    assert (acme, RDF.type, TK.ResearchInstitute, TKG["source/m"]) in result.quads
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  nickname: 企业名称\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column 'nickname'"):
        load(base_store, path, "organizations", "m", mapping=bad)


def test_an_unknown_column_or_a_malformed_file_is_a_clear_error(base_store, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["name_en", "colour"], [["A", "red"]])
    with pytest.raises(InputError, match="colour"):
        load(base_store, path, "organizations", "x")
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.json"):
        load(base_store, broken, "organizations", "x")


def test_build_with_loads_derives_the_tie_and_reloading_gives_the_identical_store(tmp_path):
    orgs = write_csv(tmp_path / "orgs.csv", ["name_en", "credit_code", "located_in"], [
        ["Acme Chemicals", ACME, "330604"]])
    facilities = write_csv(tmp_path / "facilities.csv", [
        "id", "name_en", "type", "operated_by", "located_in"], [
        ["lab", "Acme Shanghai lab", "rd-centre", ACME, "310000"],
        ["plant", "Acme Shangyu plant", "manufacturing-plant", "Acme Chemicals", "330604"]])
    loads = [LoadRequest(orgs, "organizations", "orgs"),
             LoadRequest(facilities, "facilities", "facilities")]
    store_path = tmp_path / "store"
    report = build(store_path, user_loads=loads)
    assert [(x.rows_read, x.rows_loaded) for x in report.user_loads] == [(1, 1), (2, 2)]
    store = OxigraphStore.open(store_path)
    rows = store.select("""SELECT $g $from $to ?tie WHERE { GRAPH $g {
        ?tie a tk:RDManufacturingTie ; tk:fromRegion $from ; tk:toRegion $to } }""",
                        bindings={"g": DERIVED_GRAPH, "from": TKID["region/cn-310000"],
                                  "to": TKID["region/cn-330604"]}).rows
    assert rows, "no R&D/manufacturing tie derived from the company's lab and plant"
    first = sorted(store.quads(TKG["source/facilities"]), key=str)
    del store
    build(store_path, user_loads=loads)
    again = OxigraphStore.open(store_path)
    assert sorted(again.quads(TKG["source/facilities"]), key=str) == first


def tieskg(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the command line as a user does."""
    return subprocess.run([sys.executable, "-m", "tieskg.cli", *args], capture_output=True,
                          text=True, env={k: v for k, v in os.environ.items()
                                          if k != "TIESKG_STORE"})


def test_load_command_records_the_project_and_a_strict_failure_changes_nothing(tmp_path):
    orgs = organizations_csv(tmp_path)
    store, project = tmp_path / "store", tmp_path / "tieskg.yaml"
    ok = tieskg("--store", str(store), "load", str(orgs), "--as", "organizations",
                "--project", str(project))
    assert ok.returncode == 0, ok.stderr
    assert "quarantined" in ok.stderr and (tmp_path / "orgs.csv.quarantine.csv").exists()
    quarantine = list(csv.reader((tmp_path / "orgs.csv.quarantine.csv").open(
        encoding="utf-8")))
    assert quarantine[0] == ["file", "row", "column", "value", "reason"]
    assert len({row[1] for row in quarantine[1:]}) == 4
    assert [load.name for load in read_project(project).loads] == ["orgs"]
    before = sorted(str(q) for q in OxigraphStore.open(store).quads(TKG["source/orgs"]))
    failed = tieskg("--store", str(store), "load", str(orgs), "--as", "organizations",
                    "--project", str(project), "--strict", "--name", "strict-orgs")
    assert failed.returncode == 2, failed.stderr
    assert "orgs.csv:5" in failed.stderr and "Traceback" not in failed.stderr
    after = OxigraphStore.open(store)
    assert sorted(str(q) for q in after.quads(TKG["source/orgs"])) == before
    assert str(TKG["source/strict-orgs"]) not in after.graph_counts()
    assert [load.name for load in read_project(project).loads] == ["orgs"]
    # `tieskg build` reads the project file and loads the file again
    rebuilt = tieskg("--store", str(store), "build", "--project", str(project))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert sorted(str(q) for q in OxigraphStore.open(store).quads(TKG["source/orgs"])) == before


_CELL = st.one_of(st.text(max_size=12), st.sampled_from(
    ["330604", "上虞区", "绍兴市/上虞区", "nowhere", ACME, ACME[:-1] + "Z", "sei-2018:3",
     "gbt-4754-2017:99", "", " ", '"', "a;b", "\u3000", "9" * 18]))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_CELL, min_size=0, max_size=9), min_size=1, max_size=8))
def test_random_malformed_rows_never_crash_and_are_always_accounted_for(base_store, tmp_path,
                                                                         rows):
    header = ["id", "name_zh", "name_en", "type", "credit_code", "located_in", "industry"]
    path = tmp_path / "random.csv"
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(text.getvalue(), encoding="utf-8")
    try:
        result = load(base_store, path, "organizations", "random")
    except InputError:
        return  # a whole-file error (a malformed CSV) is reported, not a crash
    assert result.rows_read == len(read_table(path).rows)
    quarantined_rows = {q.row for q in result.quarantined}
    assert result.rows_loaded + len(quarantined_rows) == result.rows_read
    loaded_orgs = {s for s, p, o, _ in result.quads
                   if p == RDF.type and o not in (TK.DataFile, TK.SourceGraph)
                   and isinstance(s, URIRef)}
    assert len(loaded_orgs) <= result.rows_loaded


def test_the_tutorial_loads_every_kind_as_illustrative_data(tmp_path):
    from rdflib.namespace import DCTERMS

    from tieskg.loaders import tutorial_project
    from tieskg.namespaces import TKSYN

    project = read_project(Path(str(tutorial_project())))
    assert {load.kind for load in project.loads} == set(TEMPLATES)
    assert all(load.illustrative for load in project.loads)
    store = OxigraphStore.in_memory()
    populated = populate(store, [load_dataset(Path(str(f))) for f in builtin_datasets()],
                         user_loads=project.loads)
    for load in populated.user_loads:
        assert load.rows_read > 0 and load.rows_loaded == load.rows_read, load.quarantined
        graph = load.request.graph
        assert str(graph).startswith(str(TKG["illustrative/"]))
        quads = list(store.quads(graph))
        subjects = {str(q.subject.value) for q in quads}
        assert not any(s.startswith(str(TKID)) for s in subjects), "real IRIs in made-up data"
        notes = store.select("SELECT $g ?d WHERE { GRAPH $g { $g dct:description ?d } }",
                             bindings={"g": graph}).rows
        assert any("NOT REAL" in str(row[1]) for row in notes)
        assert any(s.startswith(str(TKSYN)) for s in subjects)
    assert DCTERMS.description  # the graphs describe themselves with dct:description
    # the made-up company's lab in Pudong and plant in Shangyu yield a derived tie
    rows = store.select("""SELECT $from $to ?tie WHERE { GRAPH ?g {
        ?tie a tk:RDManufacturingTie ; tk:fromRegion $from ; tk:toRegion $to } }""",
                        bindings={"from": TKID["region/cn-310115"],
                                  "to": TKID["region/cn-330604"]}).rows
    assert rows
