"""The ``tieskg`` command line: build, validate, query, export and inspect the graph."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from tieskg._progress import throttle
from tieskg.errors import TieskgError, ValidationFailed
from tieskg.loaders.templates import TEMPLATES

console = Console(log_path=False)
errors = Console(stderr=True)


class _Context:
    """Options shared by every command."""

    def __init__(self, store: Path | None, debug: bool):
        self.debug = debug
        self._store = store

    @property
    def store_path(self) -> Path:
        from tieskg.graph.build import default_store_path

        return self._store or default_store_path()

    def open_store(self):
        """The embedded store, or the SPARQL server of --endpoint or the project file."""
        from tieskg._cli_store import open_store

        return open_store(self)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", type=click.Path(path_type=Path), envvar="TIESKG_STORE",
              help="Store folder. Default: $TIESKG_STORE, else ~/.local/share/tieskg/store.")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.version_option(package_name="tieskg")
@click.pass_context
def cli(ctx: click.Context, store: Path | None, debug: bool) -> None:
    """tieskg: a knowledge graph of regional industrial ties.

    \b
    Typical session:
      tieskg build                      build the graph into the embedded store
      tieskg queries                    list the query library
      tieskg query region-targeted-industries
      tieskg validate                   check the store against the SHACL shapes
      tieskg export -o tieskg.ttl       write Turtle
    """
    ctx.obj = _Context(store, debug)


class _DatasetParam(click.ParamType):
    """A dataset path, or the name of an optional dataset shipped with tieskg."""

    name = "PATH|NAME"

    def convert(self, value, param, ctx) -> Path:
        from tieskg.loaders import optional_datasets

        shipped = optional_datasets()
        if value in shipped:
            return Path(str(shipped[value]))
        path = Path(value)
        if not path.exists():
            self.fail(f"{value!r} is neither an existing file or folder nor the name of an "
                      f"optional dataset ({', '.join(sorted(shipped))})", param, ctx)
        return path


@cli.command()
@click.option("--dataset", "datasets", multiple=True, type=_DatasetParam(),
              help="Extra dataset (repeatable): a folder of YAML records, an RDF file "
                   "(.nq/.trig keep their graphs; .ttl/.nt go to graph tkg:file/NAME), or "
                   "the name of an optional dataset shipped with tieskg: china-townships "
                   "(China's 38,723 township-level divisions). The built-in datasets (the "
                   "Shangyu-Shanghai case, industry classifications, China's divisions "
                   "down to county level) are always included.")
@click.option("--unused-rows", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every source row the built-in reference data could not use as it "
                   "stands (source, position, reason, detail) to this CSV file.")
@click.option("--project", type=click.Path(dir_okay=False, path_type=Path),
              help="Project file listing your data files to load (default: ./tieskg.yaml "
                   "if it exists; `tieskg load` writes it), or `tutorial` for the made-up "
                   "tutorial tables of every kind (illustrative, not real).")
@click.pass_obj
def build(obj: _Context, datasets: tuple[Path, ...], unused_rows: Path | None,
          project: Path | None) -> None:
    """Build the graph into the store: load, derive, validate, then swap in atomically.

    On bad input or SHACL violations the previous store stays as it was. Source rows of
    the reference data that could not be used as they stand are counted by reason.
    """
    from tieskg.loaders import tutorial_project
    from tieskg.loaders.project import DEFAULT_PROJECT, read_project

    if project == Path("tutorial") and not project.exists():
        project = Path(str(tutorial_project()))
    if project is not None and not project.exists():
        raise click.BadParameter(f"{project} does not exist", param_hint="--project")
    chosen = read_project(project or DEFAULT_PROJECT)
    _build_and_report(obj, chosen, datasets, unused_rows)


def _build_and_report(obj: _Context, project, datasets: tuple[Path, ...],
                      unused_rows: Path | None, quarantine: Path | None = None):
    """Build with the built-in datasets, ``datasets`` and the project's; print the report."""
    from tieskg.graph.build import build as run_build
    from tieskg.loaders import builtin_datasets

    chosen = [*builtin_datasets(), *datasets, *project.datasets]
    started = time.perf_counter()
    with console.status("building", spinner="dots") as status:

        def progress(message: str) -> None:
            status.update(f"{message} …")
            console.log(f"{message}", highlight=False)

        try:
            report = run_build(obj.store_path, datasets=chosen, user_loads=project.loads,
                               progress=progress)
        except ValidationFailed as failure:
            if failure.report is not None:
                errors.print(failure.report.to_text(), highlight=False, markup=False)
            raise
    table = Table(title=f"Built {obj.store_path}")
    table.add_column("named graph")
    table.add_column("triples", justify="right")
    for graph, count in report.graph_counts.items():
        table.add_row(graph, f"{count:,}")
    table.add_row("[b]total[/b]", f"[b]{report.triples:,}[/b]")
    console.print(table)
    from tieskg._cli_store import push_after_build

    push_after_build(obj)
    derived = ", ".join(f"{name}: {n}" for name, n in report.derived.items())
    console.print(f"records read: {report.records}   derived triples: {derived}")
    _print_unused(report.unused, unused_rows)
    _print_loads(report.user_loads, quarantine)
    console.print(f"SHACL: [green]conforms[/green], 0 violations   "
                  f"time: {time.perf_counter() - started:.1f} s")
    return report


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    """Write a CSV report atomically (temporary file, then rename)."""
    import csv
    import io

    from tieskg.graph.export import write_atomically

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    write_atomically(path, lambda out: out.write(text.getvalue().encode("utf-8")))


def _print_loads(loads, quarantine: Path | None) -> None:
    """Rows read = loaded + quarantined per user file; quarantined rows to a CSV file."""
    if not loads:
        return
    table = Table(title="Your data files")
    for name in ("file", "as", "graph", "rows read", "loaded", "quarantined"):
        table.add_column(name, justify="right" if name[0] in "rlq" else "left")
    for load in loads:
        request = load.request
        graph = str(request.graph).replace("https://w3id.org/tieskg/graph/", "tkg:")
        table.add_row(request.path.name, request.kind, graph,
                      f"{load.rows_read:,}", f"{load.rows_loaded:,}",
                      f"{load.rows_read - load.rows_loaded:,}")
    console.print(table)
    rows = [q for load in loads for q in load.quarantined]
    if not rows:
        return
    for q in rows[:10]:
        where = f" column {q.column}" if q.column else ""
        errors.print(f"quarantined: {q.file}:{q.row}{where}: {q.reason}"
                     + (f" (value {q.value!r})" if q.value else ""), highlight=False,
                     markup=False)
    if len(rows) > 10:
        errors.print(f"... and {len(rows) - 10:,} more", highlight=False)
    if quarantine is not None:
        _write_csv(quarantine, ["file", "row", "column", "value", "reason"],
                   [[str(q.file), q.row, q.column, q.value, q.reason] for q in rows])
        console.print(f"{len(rows):,} quarantined rows listed in {quarantine}")


@cli.command()
@click.argument("kind", type=click.Choice(sorted(TEMPLATES)))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the template here (default: print it).")
def template(kind: str, output: Path | None) -> None:
    """Write a CSV template for KIND: the columns, each documented in a # comment line.

    Fill it in (or map your own columns with a mapping file) and load it with
    `tieskg load FILE --as KIND`.
    """
    from tieskg.loaders.templates import template_csv

    text = template_csv(kind)
    if output is None:
        click.echo(text, nl=False)
        return
    from tieskg.graph.export import write_atomically

    write_atomically(output, lambda out: out.write(text.encode("utf-8")))
    console.print(f"wrote {output}")


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "kind", required=True, type=click.Choice(sorted(TEMPLATES)),
              help="What the rows are (see `tieskg template KIND`).")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML mapping of the template's columns to your file's columns.")
@click.option("--name", help="The source name: the graph is tkg:source/NAME (default: the "
                              "file name). Loading the same name again replaces it.")
@click.option("--strict", is_flag=True, help="Reject the whole file at the first bad row.")
@click.option("--quarantine", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the quarantined rows (file, row, column, value, reason) here "
                   "(default: FILE.quarantine.csv when there are any).")
@click.option("--project", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("tieskg.yaml"), show_default=True,
              help="The project file to record the load in.")
@click.pass_obj
def load(obj: _Context, file: Path, kind: str, mapping: Path | None, name: str | None,
         strict: bool, quarantine: Path | None, project: Path) -> None:
    """Load FILE (CSV, TSV, Excel, JSON or YAML) as KIND rows into the store.

    References are resolved against the graph (regions by code or name, industries by
    code, organizations by credit code or name); a row that cannot be read or resolved is
    quarantined with its reason, never dropped silently. The load is recorded in the
    project file and the store rebuilt: it is validated and swapped in only when
    complete, so a failed load (or --strict on a bad row) leaves the store unchanged.
    """
    import re

    from tieskg.loaders.project import read_project
    from tieskg.loaders.user_data import LoadRequest

    source = name or re.sub(r"[^a-z0-9._-]+", "-", file.stem.lower()).strip("-.") or "data"
    request = LoadRequest(file.absolute(), kind, source,
                          mapping.absolute() if mapping else None, strict)
    updated = read_project(project).with_load(request)
    report = _build_and_report(obj, updated, (), None,
                               quarantine or file.with_name(file.name + ".quarantine.csv"))
    updated.write()
    console.print(f"recorded in {project}; `tieskg build` loads it again")
    return report


def _print_unused(rows, path: Path | None) -> None:
    """Count unused source rows by source and reason; write them all to ``path``."""
    if not rows:
        return
    from collections import Counter

    counts = Counter((row.source.name, row.reason) for row in rows)
    table = Table(title="Source rows not used as they stand (see --unused-rows)")
    table.add_column("source")
    table.add_column("reason")
    table.add_column("rows", justify="right")
    for (source, reason), count in sorted(counts.items()):
        table.add_row(source, reason, f"{count:,}")
    console.print(table)
    if path is not None:
        _write_csv(path, ["source", "position", "reason", "detail"],
                   [[str(r.source), r.position, r.reason, r.detail] for r in rows])
        console.print(f"{len(rows):,} unused source rows written to {path}")


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "turtle", "json"]), default="text",
              show_default=True, help="Report format.")
@click.pass_obj
def validate(obj: _Context, files: tuple[Path, ...], fmt: str) -> None:
    """Validate RDF FILES (or, with none, the store) against the SHACL shapes.

    Exit status: 0 conforms, 1 violations, 2 could not run.
    """
    from tieskg._cli_store import remote_settings
    from tieskg.errors import StoreError
    from tieskg.graph.build import populate
    from tieskg.graph.store import OxigraphStore
    from tieskg.graph.validate import validate_store

    if files and "endpoint" in remote_settings():
        raise StoreError("validate FILES checks the files, not a store: drop --endpoint "
                         "(or drop the FILES to validate the server's data)")
    started = time.perf_counter()
    with errors.status("validating", spinner="dots") as status:
        if files:  # as a build would hold them: with ontology, vocabularies and derived ties
            store = OxigraphStore.in_memory()
            populate(store, [], rdf_files=files,
                     progress=lambda message: status.update(f"{message} …"))
        else:
            store = obj.open_store()

        def progress(done: int, total: int) -> None:
            status.update(f"validating with SHACL: {done} of {total} checks done "
                          f"({time.perf_counter() - started:.0f} s)")

        report = validate_store(store, progress=progress)
    text = {"text": report.to_text, "turtle": report.to_turtle, "json": report.to_json}[fmt]()
    click.echo(text)
    if not report.conforms:
        sys.exit(ValidationFailed.exit_code)


@cli.command()
@click.argument("query")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="Query parameter (repeatable); see `tieskg queries` for each query's.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]),
              default="table", show_default=True, help="Output format.")
@click.pass_obj
def query(obj: _Context, query: str, params: tuple[str, ...], fmt: str) -> None:
    """Run QUERY: a library query name (see `tieskg queries`) or a path to a .rq file."""
    from tieskg.errors import QueryError
    from tieskg.queries.runner import format_result, load_query, run_query, term_text

    values: dict[str, str] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise QueryError(f"--param {item!r}: write NAME=VALUE")
        values[name] = value
    library_query = load_query(query)
    result = run_query(obj.open_store(), library_query, values)
    if fmt != "table":
        click.echo(format_result(result, fmt), nl=False)
        return
    shown = [i for i, _ in enumerate(result.variables)
             if any(row[i] is not None for row in result.rows)] or list(
                 range(len(result.variables)))
    table = Table(title=library_query.title, title_justify="left")
    for i in shown:
        table.add_column(result.variables[i], overflow="fold")
    for row in result.rows:
        table.add_row(*(term_text(row[i]) if row[i] is not None else "" for i in shown))
    console.print(table)
    hidden = [v for i, v in enumerate(result.variables) if i not in shown]
    note = f"; empty columns not shown: {', '.join(hidden)}" if hidden else ""
    console.print(f"{len(result.rows)} row(s){note}")


@cli.command()
@click.pass_obj
def queries(obj: _Context) -> None:
    """List the query library with descriptions and parameters."""
    from tieskg.queries.runner import list_queries

    table = Table(title="Query library (run with: tieskg query NAME -p PARAM=VALUE)",
                  title_justify="left", show_lines=True)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("question")
    table.add_column("parameters")
    for item in list_queries():
        params = "\n".join(_param_text(p) for p in item.params)
        table.add_row(item.name, f"{item.title}\n[dim]{item.description}[/dim]", params)
    console.print(table)


def _param_text(param) -> str:
    """One parameter of a library query, as `tieskg queries` shows it."""
    if param.default:
        given = f" = {param.default}"
    elif param.optional:
        given = ", optional"
    else:
        given = ", required"
    return f"{param.name} ({param.type}{given}): {param.description}"


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["turtle", "trig", "nt", "nq", "jsonld"]),
              default="turtle", show_default=True,
              help="RDF format; turtle and nt merge all graphs unless --graph is given.")
@click.option("--graph", help="Export only this named graph (IRI; see `tieskg info`).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file (written atomically). Default: standard output.")
@click.pass_obj
def export(obj: _Context, fmt: str, graph: str | None, output: Path | None) -> None:
    """Export the store as RDF."""
    from rdflib import URIRef

    from tieskg.graph.export import ExportFormat
    from tieskg.graph.export import export as run_export

    store = obj.open_store()
    started = time.perf_counter()
    with errors.status("exporting", spinner="dots") as status:

        def progress(written: int) -> None:
            seconds = time.perf_counter() - started
            status.update(f"exporting: {written / 2**20:,.1f} MiB written "
                          f"({written / 2**20 / max(seconds, 1e-9):,.1f} MiB/s)")

        run_export(store, format=ExportFormat(fmt), graph=URIRef(graph) if graph else None,
                   output=output, stdout=None if output else sys.stdout.buffer,
                   progress=throttle(0.25, progress))
    if output:
        errors.print(f"wrote {output} ({output.stat().st_size / 2**20:,.1f} MiB in "
                     f"{time.perf_counter() - started:.1f} s)")


@cli.command()
@click.pass_obj
def info(obj: _Context) -> None:
    """Show the store: where it is, when it was built, triples per named graph."""
    store = obj.open_store()
    meta = store.metadata()
    console.print(f"store: {store_location(store, obj.store_path)}")
    console.print(f"built: {meta.get('built', '?')} by tieskg {meta.get('tieskg', '?')}")
    table = Table()
    table.add_column("named graph")
    table.add_column("triples", justify="right")
    counts = store.graph_counts()
    for graph, count in counts.items():
        table.add_row(graph, f"{count:,}")
    table.add_row("[b]total[/b]", f"[b]{sum(counts.values()):,}[/b]")
    console.print(table)


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("docs/ontology.md"), show_default=True, help="Markdown file.")
@click.option("--check", is_flag=True, help="Only check that OUTPUT is current (exit 1 if not).")
def docs(output: Path, check: bool) -> None:
    """Generate the ontology reference documentation from the ontology."""
    from tieskg.ontology.docs import check_docs, write_docs

    if check:
        if not check_docs(output):
            errors.print(f"{output} is out of date: run `tieskg docs -o {output}`")
            sys.exit(1)
        console.print(f"{output} is current")
        return
    write_docs(output)
    console.print(f"wrote {output}")


from tieskg._cli_analyze import analyze  # noqa: E402
from tieskg._cli_serve import serve  # noqa: E402
from tieskg._cli_store import install, store_location  # noqa: E402

cli.add_command(analyze)
cli.add_command(serve)
install(cli)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; user errors print one line, tracebacks only with --debug."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="tieskg", standalone_mode=False)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            _interrupted()
        errors.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code == 2 else exc.exit_code)
    except TieskgError as exc:
        if debug:
            raise
        errors.print(f"error: {exc}", style="red", markup=False, highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _interrupted()


def _interrupted() -> None:
    """Ctrl-C: say so and exit 130 (a build leaves the previous store unchanged)."""
    from tieskg.graph.build import bulk_load_running

    errors.print("interrupted; the previous store is unchanged")
    if bulk_load_running():  # Oxigraph cannot stop it midway; end without waiting for it
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(130)


if __name__ == "__main__":
    main()
