"""The ``tieskg serve`` command: a SPARQL endpoint and query page over the store."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket

import click

from tieskg.errors import ServeError


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port``; ServeError when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                         "pass another --port (or --host)") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Only this machine can connect by default; "
                   "another address exposes the endpoint to the network.")
@click.option("--port", default=7878, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a query may run; then its worker process is killed and "
                   "the client gets 503.")
@click.option("--max-rows", default=10_000, show_default=True, type=click.IntRange(min=1),
              help="Rows (or triples) returned at most; a cut result carries the header "
                   "X-Tieskg-Truncated: true.")
@click.option("--max-request-size", default=1_000_000, show_default=True,
              type=click.IntRange(min=1024), help="Largest request body in bytes (else 413).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Query worker processes (queries run in parallel up to this many).")
@click.option("--update-token", envvar="TIESKG_UPDATE_TOKEN", metavar="TOKEN",
              help="Accept SPARQL updates from clients sending 'Authorization: Bearer "
                   "TOKEN' (default: $TIESKG_UPDATE_TOKEN; without it the endpoint is "
                   "read-only). The store is then opened for writing by one worker; the "
                   "next `tieskg build` replaces what updates wrote.")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Allow browser pages from ORIGIN (https://example.org; repeatable) to "
                   "call the endpoint. Default: no CORS headers.")
@click.pass_obj
def serve(obj, host: str, port: int, timeout: float, max_rows: int, max_request_size: int,
          workers: int, update_token: str | None, cors_origins: tuple[str, ...]) -> None:
    """Serve the store as a SPARQL 1.1 endpoint, with the query library and a query page.

    \b
    http://HOST:PORT/            query page (browser) or service description (RDF)
    http://HOST:PORT/sparql      SPARQL 1.1 Protocol: GET ?query=, POST form or body
    http://HOST:PORT/queries     the query library (JSON); /queries/NAME?param=value

    Read-only unless --update-token is given; SERVICE and LOAD are always refused.
    Stop with Ctrl-C.

    With --endpoint URL (or endpoint: in tieskg.yaml) it serves that SPARQL server
    instead of the embedded store, with the same limits: SELECT results are asked for
    --max-rows + 1 rows only, updates go to the server only with the update token,
    and --timeout bounds the HTTP request and is passed to the server (Virtuoso stops
    the query then; start Oxigraph's server with --timeout-s for the same effect).
    """
    import uvicorn
    from rich.console import Console

    from tieskg._cli_store import configured_endpoint
    from tieskg.graph.store import MARKER
    from tieskg.server.app import ServeConfig, create_app
    from tieskg.server.workers import WorkerPool

    store_path = obj.store_path
    endpoint = configured_endpoint(obj)
    if endpoint is not None:  # the server's own limit too, where it takes one (Virtuoso):
        # a little shorter, so that the server stops the query before the worker is killed
        endpoint = dataclasses.replace(endpoint, timeout=timeout,
                                       server_timeout=timeout * 0.8)
    elif not (store_path / MARKER).is_file():
        raise ServeError(f"no tieskg store at {store_path}: run `tieskg build` first "
                         "(or pass --store PATH, or --endpoint URL to serve a SPARQL server)")
    if update_token is not None and len(update_token) < 16:
        raise ServeError("--update-token is too short: use at least 16 random characters "
                         "(python -c 'import secrets; print(secrets.token_urlsafe())')")
    sock = _listen(host, port)
    config = ServeConfig(store_path, timeout, max_rows, max_request_size, workers,
                         update_token, cors_origins)
    pool = WorkerPool(endpoint or store_path, size=workers, timeout=timeout,
                      writable=update_token is not None)
    served = endpoint.query if endpoint is not None else store_path
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        pool.start()
        bound_port = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        mode = "accepts updates with the token" if update_token else "read-only"
        console.print(f"serving {served} at http://{shown}:{bound_port}/ ({mode}; "
                      f"timeout {timeout:g} s, at most {max_rows:,} rows); Ctrl-C stops")
        if not _loopback(host):
            console.print(f"[yellow]warning: listening on {host}: other machines can "
                          "reach this endpoint[/yellow]")
        server = uvicorn.Server(uvicorn.Config(create_app(config, pool), log_level="warning",
                                               access_log=False))
        server.run(sockets=[sock])
    finally:
        pool.close()
        sock.close()
