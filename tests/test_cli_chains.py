"""`tieskg analyze specialization | chains | chain-gaps` on the founding case plus the
tutorial's illustrative tables (Shangyu, with Shanghai as partner), run as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SHANGYU = "https://w3id.org/tieskg/id/region/cn-330604"
PHARMA_PLANT = "https://w3id.org/tieskg/synthetic/facility/tutorial-facilities.pharma-plant"


def tieskg(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TIESKG_STORE"}
    env["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "tieskg.cli", "--store", str(store), *args],
                          capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("chains") / "store"
    run = tieskg("build", "--project", "tutorial", store=path)
    assert run.returncode == 0, run.stderr
    return path


def test_chains_lists_the_shipped_templates(store):
    run = tieskg("analyze", "chains", "--format", "json", store=store)
    assert run.returncode == 0, run.stderr
    chains = {c["id"]: c for c in json.loads(run.stdout)}
    assert {"biomedicine", "new-materials", "high-end-equipment"} <= set(chains)
    assert chains["biomedicine"]["segments"][0]["industries"] == ["gbt-4754-2017:26"]
    table = tieskg("analyze", "chains", store=store)
    assert "生物医药产业链" in table.stdout


def test_chain_gaps_shangyu_with_shanghai_as_partner(store, tmp_path):
    run = tieskg("analyze", "chain-gaps", "biomedicine", "绍兴市/上虞区", "--partner", "上海市",
                 "--format", "csv", store=store)
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert [(r["segment"], r["status"]) for r in rows] == [
        ("chemical-raw-materials", "present-locally"), ("research", "present-in-partner"),
        ("medicines", "present-locally"), ("medical-devices", "present-in-partner"),
        ("distribution", "missing")]
    assert PHARMA_PLANT in rows[2]["local_iris"].split()

    output = tmp_path / "gaps.json"
    picture = tmp_path / "gaps.png"
    run = tieskg("analyze", "chain-gaps", "biomedicine", "330604", "--partner", "Shanghai",
                 "--format", "json", "-o", str(output), "--picture", str(picture), store=store)
    assert run.returncode == 0, run.stderr
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["region"] == SHANGYU
    devices = document["segments"][3]
    assert devices["status"] == "present-in-partner"
    assert {e["type"] for e in devices["partner"]} == {"Company", "RDCentre"}
    assert all(e["iri"].startswith("https://w3id.org/tieskg/synthetic/")
               for s in document["segments"] for e in s["local"] + s["partner"])

    from matplotlib import image

    pixels = image.imread(str(picture))
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pixels.shape[0] > 400 and pixels.shape[1] > 800


def test_a_city_counts_what_its_districts_have(store):
    run = tieskg("analyze", "chain-gaps", "biomedicine", "绍兴市", "--format", "json",
                 store=store)
    assert run.returncode == 0, run.stderr
    statuses = [s["status"] for s in json.loads(run.stdout)["segments"]]
    assert statuses == ["present-locally", "missing", "present-locally", "missing", "missing"]


def test_an_unknown_region_or_chain_is_one_line_and_exit_2(store):
    run = tieskg("analyze", "chain-gaps", "biomedicine", "不存在的地方", store=store)
    assert run.returncode == 2
    assert "unknown region" in run.stderr and "Traceback" not in run.stderr
    run = tieskg("analyze", "chain-gaps", "no-such-chain", "330604", store=store)
    assert run.returncode == 2
    assert "no chain template 'no-such-chain'" in run.stderr


def test_specialization_lq_and_rca_on_the_tutorial_observations(store, tmp_path):
    output = tmp_path / "lq.csv"
    run = tieskg("analyze", "specialization", "--format", "csv", "-o", str(output),
                 store=store)
    assert run.returncode == 0, run.stderr
    rows = {(r["region"], r["industry"]): r
            for r in csv.DictReader(output.open(encoding="utf-8"))}
    assert len(rows) == 20
    # Shangyu's medicines (GB/T 27), 2022, in 亿元: 260 of Shangyu's whole 2,170 (the
    # case's real total); industry 27 is 1,420 of the four regions' 17,470.
    lq = float(rows[SHANGYU, "gbt-4754-2017:27"]["lq"])
    assert lq == pytest.approx((260 / 2170) / (1420 / 17470), rel=1e-5)
    run = tieskg("analyze", "specialization", "--measure", "rca", "--format", "json",
                 store=store)
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["year"] == "2022"
    rca = {(r["region"], r["industry"]): r for r in document["rows"]}
    # RCA counts only the observed industries: Shangyu 1,030 of 7,430 in all.
    shangyu = rca[SHANGYU, "gbt-4754-2017:27"]
    assert shangyu["rca"] == pytest.approx((260 / 1030) / (1420 / 7430), rel=1e-5)
    assert shangyu["specialized"] is True
    table = tieskg("analyze", "specialization", "--min-index", "1", store=store)
    assert table.returncode == 0 and "上虞区" in table.stdout


def test_specialization_for_a_year_without_data_says_which_years_have_some(store):
    run = tieskg("analyze", "specialization", "--year", "1999", store=store)
    assert run.returncode == 2
    assert "years with some: 2022" in run.stderr
