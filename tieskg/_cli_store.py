"""Where the CLI's commands find their store (embedded, or a SPARQL server), and
``tieskg push``.

The options for a server (``--endpoint`` and the rest) are accepted before the command
and after it; their values go into the click context's ``meta``. Without them, an
``endpoint:`` in the project file (``./tieskg.yaml``) names the server, unless ``--store``
(or ``TIESKG_STORE``) names an embedded store.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from tieskg.errors import StoreError

_META = "tieskg.remote"
console = Console(log_path=False)
errors = Console(stderr=True)


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is not None:
        ctx.meta.setdefault(_META, {})[param.name] = value


def _options() -> list[click.Option]:
    def option(*decls: str, env: str, help: str, **kwargs: Any) -> click.Option:
        return click.Option(list(decls), envvar=env, expose_value=False, callback=_remember,
                            show_envvar=True, help=help, **kwargs)

    return [
        option("--endpoint", env="TIESKG_ENDPOINT", metavar="URL",
               help="Use the SPARQL 1.1 server at this query endpoint instead of the "
                    "embedded store (it must query the union of its graphs by default: "
                    "Virtuoso does; Oxigraph with --union-default-graph)."),
        option("--update-endpoint", env="TIESKG_UPDATE_ENDPOINT", metavar="URL",
               help="SPARQL Update endpoint (default: the query endpoint)."),
        option("--graph-store", env="TIESKG_GRAPH_STORE", metavar="URL",
               help="Graph Store Protocol endpoint for uploads (Oxigraph: .../store; "
                    "Virtuoso: .../sparql-graph-crud); without it, INSERT DATA."),
        option("--user", env="TIESKG_USER", help="User for basic or digest authentication."),
        option("--password", env="TIESKG_PASSWORD",
               help="Password (prefer the environment variable to the command line)."),
        option("--token", env="TIESKG_TOKEN", help="Bearer token."),
        option("--auth", env="TIESKG_AUTH", type=click.Choice(["basic", "digest", "bearer"]),
               help="Authentication scheme (default: bearer with a token, basic with a user)."),
        option("--page-size", env="TIESKG_PAGE_SIZE", type=click.IntRange(1),
               help="Rows per page when reading SELECT results from a server (default "
                    "5000; at most the server's row cap, Virtuoso's ResultSetMaxRows)."),
    ]


def remote_settings() -> dict[str, Any]:
    """The server options given on the command line or in the environment."""
    ctx = click.get_current_context(silent=True)
    return dict(ctx.meta.get(_META, {})) if ctx is not None else {}


def configured_endpoint(obj) -> Any | None:
    """The :class:`~tieskg.graph.remote_store.Endpoint` the command should use, if any:
    from ``--endpoint`` and its options, else from the project file's ``endpoint:``
    (unless ``--store`` names an embedded store)."""
    from tieskg.graph.remote_store import DEFAULT_PAGE_SIZE, Endpoint
    from tieskg.loaders.project import DEFAULT_PROJECT, read_project

    given = remote_settings()
    settings: dict[str, Any] = {}
    if "endpoint" in given:
        settings = {"query": given["endpoint"]}
    elif getattr(obj, "_store", None) is None and DEFAULT_PROJECT.exists():
        settings = dict(read_project(DEFAULT_PROJECT).endpoint or {})
    if not settings:
        return None
    names = {"update_endpoint": "update", "graph_store": "graph_store", "user": "user",
             "password": "password", "token": "token", "auth": "auth",
             "page_size": "page_size"}
    for option, key in names.items():
        if option in given:
            settings[key] = given[option]
    settings["page_size"] = int(settings.get("page_size") or DEFAULT_PAGE_SIZE)
    return Endpoint(**settings)


def open_store(obj):
    """The store a command works on: the configured server, else the embedded store."""
    from tieskg.graph.store import OxigraphStore

    endpoint = configured_endpoint(obj)
    if endpoint is None:
        return OxigraphStore.open(obj.store_path)
    from tieskg.graph.remote_store import SparqlEndpointStore

    return SparqlEndpointStore(endpoint)


def push_after_build(obj) -> None:
    """After a build: push it to the configured server, if any, dropping stale graphs."""
    endpoint = configured_endpoint(obj)
    if endpoint is not None:
        _push_and_report(obj, endpoint, (), drop_stale=True, chunk=None)


def _push_and_report(obj, endpoint, graphs: tuple[str, ...], *, drop_stale: bool,
                     chunk: int | None) -> bool:
    """Push with a progress bar, print the per-graph comparison; True if counts match."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from tieskg.graph.push import push
    from tieskg.graph.remote_store import DEFAULT_CHUNK, SparqlEndpointStore
    from tieskg.graph.store import OxigraphStore

    source = OxigraphStore.open(obj.store_path)
    target = SparqlEndpointStore(endpoint)
    size = chunk or (DEFAULT_CHUNK if endpoint.graph_store else 2000)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("triples"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=errors, transient=True) as bar:
        task = bar.add_task("pushing", total=None)
        finished = 0

        def progress(graph: str, done: int, total: int) -> None:
            nonlocal finished
            short = graph.replace("https://w3id.org/tieskg/graph/", "tkg:")
            bar.update(task, description=f"pushing {short}", completed=finished + done)
            if done == total:
                finished += total

        counts = source.graph_counts()
        bar.update(task, total=sum(counts[g] for g in (graphs or counts) if g in counts))
        report = push(source, target, graphs=graphs or None, chunk=size,
                      drop_stale=drop_stale, progress=progress)
    table = Table(title=f"Pushed to {endpoint.query}", title_justify="left")
    for name in ("named graph", "local", "server", ""):
        table.add_column(name, justify="right" if name in ("local", "server") else "left")
    for graph, local in report.local.items():
        remote = report.remote.get(graph, 0)
        table.add_row(graph, f"{local:,}", f"{remote:,}",
                      "[green]same[/green]" if remote == local else "[red]differs[/red]")
    console.print(table)
    for graph in report.dropped:
        console.print(f"dropped stale graph {graph}")
    rate = report.sent / max(report.seconds, 1e-9)
    console.print(f"{report.sent:,} triples in {len(report.local)} graph(s), "
                  f"{report.seconds:.1f} s ({rate:,.0f} triples/s)")
    for graph, local, remote in report.differences:
        errors.print(f"differs: {graph}: {local:,} triples here, {remote:,} on the server",
                     style="red", highlight=False, markup=False)
    return not report.differences


@click.command()
@click.option("--graph", "graphs", multiple=True, metavar="IRI",
              help="Push only this named graph (repeatable; default: every graph).")
@click.option("--chunk", type=click.IntRange(1), metavar="N",
              help="Triples per request (default 20000 with --graph-store, else 2000).")
@click.pass_obj
def push(obj, graphs: tuple[str, ...], chunk: int | None) -> None:
    """Push the embedded store's named graphs to a SPARQL server (--endpoint URL).

    Each graph is replaced on the server, sent in chunks of N-Triples (Graph Store
    Protocol with --graph-store, else INSERT DATA); then the triples per graph on the
    server are counted. Exit status: 0 same counts, 1 some graph differs, 2 error.

    \b
    Example:
      tieskg push --endpoint http://127.0.0.1:7878/query \\
                  --update-endpoint http://127.0.0.1:7878/update \\
                  --graph-store http://127.0.0.1:7878/store
    """
    endpoint = configured_endpoint(obj)
    if endpoint is None:
        raise StoreError("tieskg push needs a server: pass --endpoint URL (or set "
                         "TIESKG_ENDPOINT, or endpoint: in tieskg.yaml)")
    if not _push_and_report(obj, endpoint, graphs, drop_stale=False, chunk=chunk):
        sys.exit(1)


def install(cli: click.Group) -> None:
    """Add the server options to ``cli`` and to every command that opens the store, and
    the ``push`` command."""
    cli.add_command(push)
    cli.params.extend(_options())
    for name in ("build", "load", "validate", "query", "info", "export", "push", "serve"):
        command = cli.commands.get(name)
        # once: commands of other modules (serve) are shared by a second import of the CLI
        if command is not None and not any(p.name == "endpoint" for p in command.params):
            command.params.extend(_options())


def store_location(store, fallback: Path) -> str:
    """Where ``store`` is, for `tieskg info`."""
    return str(getattr(store, "location", None) or getattr(store, "path", None) or fallback)
