"""Helpers for tests of ``tieskg serve``: a small on-disk store and a running server.

The server is started as a user starts it (``tieskg serve`` in a subprocess) on
127.0.0.1 with ``--port 0``; its first line says which port it got. It is stopped
(SIGTERM, then SIGKILL) when the ``with`` block ends.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tieskg.graph.build import populate
from tieskg.graph.store import MARKER, OxigraphStore
from tieskg.loaders import builtin_datasets, load_dataset

_SERVING = re.compile(r"serving .* at (http://127\.0\.0\.1:\d+)/")

#: The process id of each running server, by base URL.
PIDS: dict[str, int] = {}


def child_pids(pid: int) -> set[int]:
    """The ids of the live child processes of ``pid`` (from /proc)."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            children.add(int(stat.parent.name))
    return children


def build_small_store(path: Path) -> Path:
    """An on-disk store with the ontology, vocabularies and the founding case (about
    1,400 triples; no SHACL run, so it takes a second)."""
    store = OxigraphStore.create(path)
    case = next(Path(str(d)) for d in builtin_datasets() if Path(str(d)).name ==
                "shangyu_shanghai")
    populate(store, [load_dataset(case)])
    (path / MARKER).write_text(json.dumps({"tieskg": "tests", "built": "now"}),
                               encoding="utf-8")
    store.flush()
    del store
    return path


def copy_store(source: Path, target: Path) -> Path:
    """A copy of a store folder (for a server that writes)."""
    shutil.copytree(source, target)
    return target


def tieskg_command(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tieskg.cli", "--store", str(store), *args]


@contextmanager
def running_server(store: Path, *options: str, log: Path) -> Iterator[str]:
    """``tieskg serve --port 0 OPTIONS`` on ``store``; yields its base URL."""
    env = {k: v for k, v in os.environ.items() if k != "TIESKG_UPDATE_TOKEN"}
    env["COLUMNS"] = "300"
    with log.open("wb") as output:
        process = subprocess.Popen(tieskg_command(store, "serve", "--port", "0", *options),
                                   stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        base = _wait_ready(process, log)
        PIDS[base] = process.pid
        yield base
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _wait_ready(process: subprocess.Popen, log: Path, seconds: float = 90) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace")
        if process.poll() is not None:
            raise RuntimeError(f"tieskg serve exited with {process.returncode}: {text}")
        match = _SERVING.search(text)
        if match:
            base = match.group(1)
            try:
                if httpx.get(f"{base}/queries", timeout=5).status_code == 200:
                    return base
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    raise RuntimeError(f"tieskg serve was not ready within {seconds} s: "
                       f"{log.read_text(encoding='utf-8', errors='replace')}")
