"""Oxigraph's SPARQL server (PyPI ``oxigraph``) on a free port of 127.0.0.1, for the
benchmarks that push to or read from a server (push.py, remote_export.py)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    """``oxigraph serve`` on the store in ``folder``: the process and its base URL."""
    program = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    port = _port()
    process = subprocess.Popen([program, "serve", "--location", str(folder), "--bind",
                                f"127.0.0.1:{port}", "--union-default-graph"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/query?query=ASK%7B%7D", timeout=2)
            return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("oxigraph serve did not start")
