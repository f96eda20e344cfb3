"""Packaging guards: the wheel carries its package data and `tieskg build` runs from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def package_map() -> dict[str, str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]["package-dir"]


def test_every_package_folder_is_in_the_package_map():
    mapped = {(ROOT / folder).resolve() for folder in package_map().values()}
    folders = {init.parent.resolve() for init in ROOT.rglob("__init__.py")
               if not {".venv", "tests", "build", ".git"} & set(init.relative_to(ROOT).parts)}
    assert folders == mapped, f"unmapped: {folders - mapped}, missing: {mapped - folders}"
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert sorted(config["tool"]["setuptools"]["packages"]) == sorted(package_map())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Build from a copy without build/: setuptools reuses build/lib, where files deleted
    # from the source tree linger and would end up in the wheel.
    source = tmp_path_factory.mktemp("source") / "tieskg"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"))
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                    "--outdir", str(out), str(source)], check=True, capture_output=True)
    (found,) = out.glob("tieskg-*.whl")
    return found


def test_wheel_contains_ontology_shapes_queries_rules_and_case_data(wheel):
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("tieskg/ontology/tieskg.ttl", "tieskg/ontology/shapes.ttl",
                   "tieskg/ontology/vocabularies.ttl",
                   "tieskg/graph/rules/rd-manufacturing-from-facilities.rq",
                   "tieskg/graph/sparql/network-org-supply.rq",
                   "tieskg/graph/assets/force-view.js", "tieskg/graph/assets/view.html",
                   "tieskg/loaders/data/shangyu_shanghai/sources.yaml",
                   "tieskg/loaders/data/china_divisions/history.json",
                   "tieskg/loaders/data/china_townships/sources.yaml",
                   "tieskg/loaders/data/chains/biomedicine.yaml",
                   "tieskg/graph/sparql/chain-evidence.rq",
                   "tieskg/server/static/index.html", "tieskg/server/static/app.js",
                   "tieskg/server/static/style.css", "tieskg/cli.py"):
        assert needed in names
    assert any(n.startswith("tieskg/queries/") and n.endswith(".rq") for n in names)


def test_tieskg_build_runs_from_the_installed_wheel(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)
    # Dependencies come from this environment (no network): expose its site-packages
    # after the fresh environment's own, which holds tieskg from the wheel.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "zz-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n",
                                                  encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TIESKG_STORE")}
    run = subprocess.run([str(env_dir / "bin" / "tieskg"), "--store", str(tmp_path / "store"),
                          "build"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr + run.stdout
    located = subprocess.run([str(python), "-c", "import tieskg.ontology as o;print(o.__file__)"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert located.stdout.startswith(site), "tieskg was not imported from the wheel"
    assert "shine-2023-03-21" in run.stdout
    assert "conforms" in run.stdout
