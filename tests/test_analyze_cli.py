"""`tieskg analyze` network commands on the case and tutorial data, run as a user runs
them (a subprocess): outputs parse, pictures and pages are written."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
NEW_MATERIALS = "示例新材料有限公司"          # the tutorial's company in Shangyu
EQUIPMENT = "https://w3id.org/tieskg/synthetic/org/uscc-91310000ex00000030"
INSTITUTE = "https://w3id.org/tieskg/synthetic/org/uscc-91310115ex0000002r"
SHANGHAI = "https://w3id.org/tieskg/id/region/cn-310000"
PUDONG = "https://w3id.org/tieskg/id/region/cn-310115"


def tieskg(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TIESKG_STORE"}
    env["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "tieskg.cli", "--store", str(store), *args],
                          capture_output=True, text=True, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """The built-in case plus the tutorial project (made-up supply ties)."""
    path = tmp_path_factory.mktemp("analyze") / "store"
    run = tieskg(path, "build", "--project", "tutorial")
    assert run.returncode == 0, run.stderr
    return path


def rows_of(run: subprocess.CompletedProcess[str]) -> list[dict]:
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["rows"]


def test_upstream_and_downstream_with_paths(store):
    up = rows_of(tieskg(store, "analyze", "upstream", NEW_MATERIALS, "--depth", "3",
                        "--format", "json"))
    assert [(r["node"], r["distance"]) for r in up] == [(EQUIPMENT, 1)]
    down = rows_of(tieskg(store, "analyze", "downstream", "Example Equipment Co. (illustrative)",
                          "--format", "json"))
    assert [(r["node"], r["distance"]) for r in down][-1] == (INSTITUTE, 2)
    assert down[-1]["path"] == ["示例装备制造有限公司", NEW_MATERIALS, "示例生物医药研究院"]
    assert down[-1]["path_iris"][0] == EQUIPMENT


def test_upstream_of_a_region_and_of_an_industry(store):
    region = rows_of(tieskg(store, "analyze", "upstream", "上虞区", "--format", "json"))
    assert [r["node"] for r in region] == [SHANGHAI]
    industry = rows_of(tieskg(store, "analyze", "upstream", "sei-2018:4.1", "--format", "json"))
    assert [r["label"] for r in industry] == ["新材料产业", "高端装备制造产业"]


def test_csv_output_to_a_file(store, tmp_path):
    out = tmp_path / "down.csv"
    run = tieskg(store, "analyze", "downstream", EQUIPMENT, "--format", "csv", "-o", str(out))
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [row["distance"] for row in rows] == ["1", "2"]
    assert rows[1]["path"] == f"示例装备制造有限公司 > {NEW_MATERIALS} > 示例生物医药研究院"


def test_unknown_node_is_one_line_exit_2(store):
    run = tieskg(store, "analyze", "upstream", "no such company")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "is no node of the org-supply, industry-chain or region-ties networks" in run.stderr


def test_chokepoints_of_the_tutorial_supply_network(store):
    # tutorial supply ties: new materials <-> equipment, new materials -> institute
    rows = rows_of(tieskg(store, "analyze", "chokepoints", "--format", "json"))
    found = {(r["finding"], r["label"]) for r in rows}
    assert ("articulation point", NEW_MATERIALS) in found
    assert {r["label"] for r in rows if r["finding"] == "bridge"} == {
        "示例装备制造有限公司", "示例生物医药研究院"}
    sole = {r["label"]: r["score"] for r in rows if r["finding"] == "single supplier"}
    assert sole == {NEW_MATERIALS: 2, "示例装备制造有限公司": 1}
    table = tieskg(store, "analyze", "chokepoints")
    assert table.returncode == 0 and "articulation point" in table.stdout


def test_dependence_of_shangyu_by_kind_and_industry(store):
    rd = rows_of(tieskg(store, "analyze", "dependence", "上虞区", "--kind", "rd",
                        "--format", "json"))
    # the case's promoted tie from Shanghai and the tie derived from the tutorial's
    # R&D centre in Pudong and plant in Shangyu
    assert {(r["partner"], r["share"]) for r in rd} == {(SHANGHAI, 0.5), (PUDONG, 0.5)}
    # supply into Shangyu: one tutorial tie, of high-end equipment (sei-2018:2)
    supply = rows_of(tieskg(store, "analyze", "dependence", "330604", "--format", "json"))
    assert [(r["partner"], r["share"], r["ties"]) for r in supply] == [(SHANGHAI, 1.0, 1)]
    assert rows_of(tieskg(store, "analyze", "dependence", "330604", "--industry",
                          "sei-2018:4.1", "--format", "json")) == []
    # biomedicine cooperation: the tutorial's tie from Shanghai (the case's goes the
    # other way, from Shangyu)
    cooperation = rows_of(tieskg(store, "analyze", "dependence", "Shangyu", "--kind",
                                 "cooperation", "--industry", "sei-2018:4.1", "--format", "json"))
    assert [(r["partner"], r["share"]) for r in cooperation] == [(SHANGHAI, 1.0)]
    none = rows_of(tieskg(store, "analyze", "dependence", "上虞区", "--kind", "talent",
                          "--industry", "sei-2018:2", "--format", "json"))
    assert none == []


def test_communities_table_and_members(store):
    rows = rows_of(tieskg(store, "analyze", "communities", "--members", "--format", "json"))
    assert {r["node"] for r in rows} == {EQUIPMENT, INSTITUTE,
                                         "https://w3id.org/tieskg/synthetic/org/"
                                         "uscc-91330604ex0000001t"}
    run = tieskg(store, "analyze", "communities", "--network", "region-ties")
    assert run.returncode == 0 and "上虞区" in run.stdout and "modularity" in run.stdout


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json"])
def test_export_network_files_read_back(store, tmp_path, fmt):
    out = tmp_path / f"chain.{fmt}"
    run = tieskg(store, "analyze", "export-network", "--network", "industry-chain",
                 "--format", fmt, "-o", str(out))
    assert run.returncode == 0, run.stderr
    if fmt == "json":
        graph = nx.node_link_graph(json.loads(out.read_text(encoding="utf-8")), edges="links")
    else:
        graph = getattr(nx, f"read_{fmt}")(out)
    labels = {data.get("label") for _, data in graph.nodes(data=True)}
    assert labels == {"新材料产业", "高端装备制造产业", "生物医药产业"}
    assert graph.number_of_edges() == 3


def test_pictures_are_png_files(store, tmp_path):
    from PIL import Image

    for kind, subject in (("region-ties", "Shangyu"), ("supply-neighbourhood", NEW_MATERIALS)):
        out = tmp_path / f"{kind}.png"
        run = tieskg(store, "analyze", "picture", kind, subject, "-o", str(out))
        assert run.returncode == 0, run.stderr
        with Image.open(out) as image:
            assert image.format == "PNG" and image.width >= 800
            # not a blank page: a good part of the picture is drawn
            colours = image.convert("L").getcolors(maxcolors=1 << 16)
            assert colours is not None and len(colours) > 20


@pytest.mark.parametrize("kind,subject", [("region-ties", "上虞区"),
                                          ("supply-neighbourhood", NEW_MATERIALS)])
def test_views_are_self_contained_html(store, tmp_path, kind, subject):
    out = tmp_path / f"{kind}.html"
    run = tieskg(store, "analyze", "view", kind, subject, "-o", str(out))
    assert run.returncode == 0, run.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "@import" not in page
    # url(...) only for the page's own arrow markers (url(#arrowN)), never a file or site
    assert not re.search(r"url\(\s*['\"]?(?!#)", page)
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>',
                                page, re.S).group(1))
    assert any(node["centre"] and node["label"] in ("上虞区", NEW_MATERIALS)
               for node in data["nodes"])
    assert data["links"]


def test_pictures_without_the_cjk_font_fail_clearly(monkeypatch):
    from tieskg.graph import pictures

    monkeypatch.setattr(pictures, "CJK_FONT_PATHS", ())
    monkeypatch.setattr(pictures, "CJK_FONT_FILE", "no-such-font.ttc")
    with pytest.raises(pictures.FontMissing, match="apt-get install fonts-wqy-microhei"):
        pictures.cjk_font()
