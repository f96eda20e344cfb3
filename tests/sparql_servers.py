"""Real SPARQL servers for the tests, started on 127.0.0.1 on free ports and stopped after.

- Oxigraph's server (PyPI package ``oxigraph``, in the dev extra):
  ``oxigraph serve --location DIR --bind 127.0.0.1:PORT --union-default-graph``.
- Virtuoso Open-Source (Debian package ``virtuoso-opensource``; ``.ci/run`` installs it):
  ``virtuoso-t +foreground +configfile virtuoso.ini`` with a generated ini in a temporary
  folder; SPARQL_UPDATE is granted to the anonymous SPARQL user through ``isql-vt``, and
  ``/sparql-auth`` (digest, user dba) is the protected endpoint.

When a server cannot start, :func:`unavailable` fails the test under CI (``CI=true``)
with a loud message, and skips it with the reason elsewhere: it never passes silently.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tieskg.graph.remote_store import Endpoint

#: Rows Virtuoso returns at most for one query in these tests (its ResultSetMaxRows).
VIRTUOSO_MAX_ROWS = 5000


@dataclass(frozen=True)
class Server:
    """A running server: its name and the endpoint to reach it."""

    name: str
    endpoint: Endpoint
    base: str


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unavailable(reason: str) -> None:
    """Fail loudly under CI, skip (with ``reason``) elsewhere."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"SERVER NOT AVAILABLE IN CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _wait(url: str, process: subprocess.Popen, seconds: float, log: Path | None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"exited with status {process.returncode}: {tail}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"no answer from {url} within {seconds:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def oxigraph_server(folder: Path, *options: str) -> Iterator[Server]:
    """Oxigraph's SPARQL server on a store in ``folder`` (``options``: more of
    ``oxigraph serve``'s, such as ``--timeout-s 10``)."""
    program = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(program).exists():
        unavailable("the `oxigraph` server is not installed (pip install oxigraph; it is "
                    "in the dev extra)")
    port = free_port()
    log = folder / "oxigraph.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [program, "serve", "--location", str(folder / "data"), "--bind",
             f"127.0.0.1:{port}", "--union-default-graph", *options], stdout=out,
            stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            _wait(f"{base}/query?query=ASK%7B%7D", process, 30, log)
        except RuntimeError as exc:
            unavailable(f"the oxigraph server did not start: {exc}")
        yield Server("oxigraph", Endpoint(f"{base}/query", update=f"{base}/update",
                                          graph_store=f"{base}/store"), base)
    finally:
        _stop(process)


_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 60
DirsAllowed = ., {dir}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
ThreadsPerQuery = 1
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 4
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 30
MaxQueryCostEstimationTime = 0
"""


@contextmanager
def virtuoso_server(folder: Path) -> Iterator[Server]:
    """Virtuoso Open-Source with a fresh database in ``folder``; the anonymous /sparql
    endpoint may update, /sparql-auth needs digest authentication as dba/dba."""
    program, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt") or shutil.which("isql")
    if program is None or isql is None:
        unavailable("Virtuoso is not installed (Debian package virtuoso-opensource; "
                    ".ci/run installs it)")
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(_VIRTUOSO_INI.format(dir=folder, sql_port=sql_port, http_port=http_port,
                                        max_rows=VIRTUOSO_MAX_ROWS), encoding="utf-8")
    log = folder / "virtuoso.out"
    with log.open("wb") as out:
        process = subprocess.Popen([program, "+foreground", "+configfile", str(ini)],
                                   cwd=folder, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{http_port}"
    try:
        try:
            _wait(f"{base}/sparql?query=ASK%7B%7D", process, 120, folder / "virtuoso.log")
            grant = subprocess.run(
                [isql, f"127.0.0.1:{sql_port}", "dba", "dba",
                 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
                capture_output=True, text=True, timeout=60)
            if grant.returncode != 0:
                raise RuntimeError(f"isql failed: {grant.stdout} {grant.stderr}")
        except (RuntimeError, subprocess.SubprocessError) as exc:
            unavailable(f"Virtuoso did not start: {exc}")
        yield Server("virtuoso", Endpoint(f"{base}/sparql",
                                          graph_store=f"{base}/sparql-graph-crud"), base)
    finally:
        _stop(process)
