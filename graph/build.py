"""Build the knowledge graph into an embedded store, all or nothing.

The build writes a complete new store beside the old one, validates it, and only then
swaps it into place, so a failure (bad input, violations, Ctrl-C) leaves the previous
store exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from importlib.resources.abc import Traversable
from pathlib import Path

import pyoxigraph as ox

from tieskg import __version__
from tieskg._progress import throttle
from tieskg.errors import InputError, StoreError, ValidationFailed
from tieskg.graph.derive import derive
from tieskg.graph.name_index import write_name_index
from tieskg.graph.networks import NETWORKS
from tieskg.graph.saved_networks import SavedNetwork, write_saved_networks
from tieskg.graph.statistics import record_graph_sizes
from tieskg.graph.store import MARKER, NAME_INDEX, SAVED_NETWORKS, OxigraphStore
from tieskg.graph.validate import ValidationReport, validate_store
from tieskg.loaders import LoadedDataset, builtin_datasets, load_dataset
from tieskg.loaders._records import UnusedRow
from tieskg.loaders.rdf_files import rdf_format_of
from tieskg.loaders.user_data import (
    LoadRequest,
    UserLoad,
    check_request,
    load_user_file,
    resolver_lookup,
)
from tieskg.namespaces import ONTOLOGY_GRAPH, VOCABULARIES_GRAPH, graph_iri
from tieskg.ontology import ontology_path, vocabularies_path

Progress = Callable[[str], None]


@dataclass
class BuildReport:
    """What a build produced."""

    store: Path
    graph_counts: dict[str, int]
    records: int
    derived: dict[str, int]
    validation: ValidationReport
    seconds: float
    steps: list[str] = field(default_factory=list)
    #: Source rows of packaged records not used as they stand: (source, position, reason).
    unused: list[UnusedRow] = field(default_factory=list)
    #: The users' files loaded, with their row accounting and quarantined rows.
    user_loads: list[UserLoad] = field(default_factory=list)

    @property
    def triples(self) -> int:
        """Triples over all named graphs."""
        return sum(self.graph_counts.values())


def default_store_path() -> Path:
    """``$TIESKG_STORE``, else ``$XDG_DATA_HOME/tieskg/store`` (``~/.local/share/...``)."""
    if env := os.environ.get("TIESKG_STORE"):
        return Path(env).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "tieskg" / "store"


def build(store_path: Path, *, datasets: Sequence[Path | Traversable] | None = None,
          user_loads: Sequence[LoadRequest] = (), progress: Progress | None = None
          ) -> BuildReport:
    """Load the ontology, vocabularies and every dataset, derive, validate, swap into place.

    Raises :class:`~tieskg.errors.InputError` for bad input and
    :class:`~tieskg.errors.ValidationFailed` (carrying the report) for violations; in
    both cases ``store_path`` is untouched.
    """
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    store_path = Path(store_path).expanduser().absolute()
    _recover(store_path)
    _check_replaceable(store_path)

    say("reading datasets")
    chosen = [Path(str(item)) for item in (datasets or builtin_datasets())]
    rdf_files = [path for path in chosen if path.is_file()]
    for path in rdf_files:
        rdf_format_of(path)  # an unknown extension fails before any work
    loaded = [load_dataset(path) for path in chosen if path not in rdf_files]

    store_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(store_path)
    staging = store_path.with_name(f"{_STAGING_PREFIX.format(store_path.name)}{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    background: list[_Background] = []
    networks_saved: list[SavedNetwork] = []
    try:
        in_memory = stages_in_memory(rdf_files)
        say(f"staging the new store {'in memory' if in_memory else 'on disk'}")
        store = OxigraphStore.in_memory() if in_memory else OxigraphStore.create(staging)
        populated = populate(store, loaded, rdf_files=rdf_files, user_loads=user_loads,
                             progress=say)
        counts = populated.graph_counts
        say("indexing names and saving the projected networks (alongside the validation)")
        background = [
            _Background(write_name_index, store, staging.with_name(f"{staging.name}.names"),
                        "name-index", brief=True),
            _Background(partial(write_saved_networks, done=lambda saved: networks_saved.append(
                saved)), store, staging.with_name(f"{staging.name}.networks"),
                        "saved-networks")]
        say("validating with SHACL")
        report = validate_store(store, progress=throttle(5.0, lambda done, total: say(
            f"validating with SHACL: {done} of {total} checks done"),
            always=lambda done, total: done == total))
        if not report.conforms:
            raise ValidationFailed(
                f"the built graph has {len(report.violations)} SHACL violation(s); "
                f"the previous store at {store_path} is unchanged", report=report)
        if in_memory:
            say("writing the new store to disk")
            store = _persist(store, staging)
        names, saving = background
        if saving.running():
            say(f"waiting for the projected networks ({len(networks_saved)} of "
                f"{len(NETWORKS)} saved)")
            reported = len(networks_saved)
            while saving.running():
                saving.finish(wait=1.0)
                for saved in networks_saved[reported:]:
                    say(f"saved the {saved.name} network")
                reported = len(networks_saved)
        for work, name in ((names, NAME_INDEX), (saving, SAVED_NETWORKS)):
            work.finish()
            os.replace(work.target, staging / name)
        say(f"indexed names in {names.seconds:.1f} s; saved the projected networks in "
            f"{saving.seconds:.1f} s: " + "; ".join(
                f"{saved.name} {saved.nodes:,} nodes, {saved.ties:,} ties ({saved.seconds:.1f} s)"
                for saved in networks_saved))
        records = sum(d.records for d in loaded)
        (staging / MARKER).write_text(json.dumps({
            "tieskg": __version__,
            "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "datasets": [str(path) for path in chosen],
            "records": records,
            "unused_source_rows": len([row for dataset in loaded for row in dataset.unused]),
            "graphs": counts,
        }, indent=2), encoding="utf-8")
        store.flush()
        del store
        gc.collect()
        say("swapping the new store into place")
        _swap(staging, store_path)
    finally:
        if not bulk_load_running():  # else it still writes there; the next build removes it
            shutil.rmtree(staging, ignore_errors=True)
        for work in background:
            if work.brief and not isinstance(sys.exc_info()[1], KeyboardInterrupt):
                work.finish(quietly=True)  # seconds; Ctrl-C does not wait
            if not work.running():
                work.target.unlink(missing_ok=True)
    return BuildReport(store_path, counts, records, populated.derived, report,
                       time.perf_counter() - started,
                       unused=[row for dataset in loaded for row in dataset.unused],
                       user_loads=populated.user_loads)


#: RDF files (N-Quads/N-Triples bytes; other syntaxes, being terser, count three times) up to
#: this size are staged in memory: loading, deriving and validating there is 3-6 times
#: faster than in the on-disk store, which the build then writes in one bulk load. Larger
#: builds are staged on disk, so that memory stays bounded (Oxigraph's in-memory store
#: needs about 400 bytes per triple).
IN_MEMORY_STAGING_MAX_BYTES = 512 * 2**20


def stages_in_memory(rdf_files: Sequence[Path]) -> bool:
    """Whether a build of ``rdf_files`` (besides the YAML datasets) is staged in memory."""
    size = sum(path.stat().st_size * (1 if path.suffix.lower() in (".nq", ".nt") else 3)
               for path in rdf_files)
    return size <= IN_MEMORY_STAGING_MAX_BYTES


def _persist(memory: OxigraphStore, folder: Path) -> OxigraphStore:
    """A new on-disk store in ``folder`` with every quad of the in-memory store ``memory``
    (through an N-Quads file beside it and Oxigraph's bulk loader)."""
    dump = folder.with_name(folder.name + ".nq")
    try:
        with dump.open("wb") as stream:
            memory.dump(stream, format=ox.RdfFormat.N_QUADS)
        store = OxigraphStore.create(folder)
        _interruptibly(partial(store.bulk_load, dump, format=ox.RdfFormat.N_QUADS))
    finally:
        if not bulk_load_running():
            dump.unlink(missing_ok=True)
    store.optimize()
    return store


@dataclass(frozen=True)
class Populated:
    """What :func:`populate` put in the store."""

    #: Triples each derivation rule produced, by rule name.
    derived: dict[str, int]
    #: Triples per named graph, as recorded in the statistics graph (itself included).
    graph_counts: dict[str, int]
    #: The users' files loaded, with their row accounting and quarantined rows.
    user_loads: list[UserLoad] = field(default_factory=list)


def populate(store: OxigraphStore, datasets: Sequence[LoadedDataset], *,
             rdf_files: Sequence[Path] = (), user_loads: Sequence[LoadRequest] = (),
             progress: Progress | None = None) -> Populated:
    """Fill ``store`` with the ontology, vocabularies, ``datasets`` and ``rdf_files``,
    derive, and record the size of every graph (:mod:`tieskg.graph.statistics`).

    An RDF file of triples (.ttl, .nt, .rdf) goes into graph ``tkg:file/<name>``; a file
    of quads (.nq, .trig) keeps its graphs and must put every quad in a named graph.
    """
    say = progress or (lambda _message: None)
    say("loading ontology and vocabularies")
    store.load(ontology_path().read_bytes(), format=ox.RdfFormat.TURTLE, graph=ONTOLOGY_GRAPH)
    store.load(vocabularies_path().read_bytes(), format=ox.RdfFormat.TURTLE,
               graph=VOCABULARIES_GRAPH)
    for dataset in datasets:
        for graph, quads in sorted(dataset.quads.items()):
            say(f"loading {graph}")
            store.replace_graph(graph, quads)
    for path in rdf_files:
        say(f"bulk loading {path}")
        fmt = rdf_format_of(path)
        graph = None if fmt.supports_datasets else graph_iri("file", path.name)
        before, started = sum(store.graph_counts().values()), time.perf_counter()
        try:
            _interruptibly(partial(store.bulk_load, path, format=fmt, graph=graph))
        except SyntaxError as exc:
            raise InputError(f"RDF syntax error: {exc}", path=path) from exc
        added, seconds = sum(store.graph_counts().values()) - before, time.perf_counter() - started
        say(f"bulk loaded {added:,} triples from {path.name} in {seconds:.1f} s "
            f"({added / max(seconds, 1e-9):,.0f} triples/s)")
        if store.default_graph_size():
            raise InputError("has quads outside any named graph; every fact needs the "
                             "named graph of its source", path=path)
    if rdf_files and store.path is not None:
        say("compacting the store's indexes")
        store.optimize()
    loads = _load_user_files(store, user_loads, say)
    say("deriving region-level ties")
    derived = derive(store, progress=say)
    say("counting the triples of every graph")
    return Populated(derived, record_graph_sizes(store), loads)


def _load_user_files(store: OxigraphStore, requests: Sequence[LoadRequest], say: Progress
                     ) -> list[UserLoad]:
    """Load users' files into ``store`` in order, resolving references against the store.

    The resolver reads the store once, and again only after a load of organizations
    (whose names and credit codes later files may refer to)."""
    from tieskg.loaders.resolve import Resolver

    loads: list[UserLoad] = []
    lookup = None
    for request in requests:
        check_request(request)
        if str(request.graph) in store.graph_counts():
            raise InputError(f"a source named {request.name!r} is already in the graph; "
                             "choose another name (--name)", path=request.path)
        say(f"loading {request.path.name} as {request.kind}")
        lookup = lookup or resolver_lookup(Resolver.from_store(store))
        load = load_user_file(request, lookup)
        for name, quads in sorted(load.dataset.quads.items()):
            store.replace_graph(name, quads)
        say(f"{request.path.name}: {load.rows_read:,} rows read = {load.rows_loaded:,} "
            f"loaded + {load.rows_read - load.rows_loaded:,} quarantined")
        if request.kind == "organizations":
            lookup = None
        loads.append(load)
    return loads


_STAGING_PREFIX = ".{}.building-"
#: Bulk loads running in a background thread (each one's "finished" event).
_RUNNING_LOADS: set[threading.Event] = set()


def bulk_load_running() -> bool:
    """Whether an interrupted bulk load still runs (Oxigraph cannot stop one midway)."""
    return any(not finished.is_set() for finished in _RUNNING_LOADS)


def _interruptibly(work: Callable[[], None]) -> None:
    """Run ``work`` (a long call into Oxigraph, which ignores Ctrl-C until it returns) in a
    daemon thread, so that Ctrl-C reaches the main thread at once."""
    failures: list[BaseException] = []
    finished = threading.Event()

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # handed to the main thread
            failures.append(exc)
        finally:
            finished.set()

    _RUNNING_LOADS.add(finished)
    threading.Thread(target=run, name="tieskg-bulk-load", daemon=True).start()
    while not finished.wait(0.1):
        pass
    _RUNNING_LOADS.discard(finished)
    if failures:
        raise failures[0]


class _Background:
    """``work`` (writing a file about ``store`` to ``target``: the name index, the saved
    networks) done in a daemon thread while the build goes on (validation and the
    writing to disk leave a core free part of the time; pyoxigraph lets go of the GIL
    while it queries; a daemon thread lets Ctrl-C end the build at once). ``target``
    is removed when the build ends; a build that fails waits for ``brief`` work only
    (the others go on until the process ends; their temporary files are removed by the
    next build, as abandoned staging)."""

    def __init__(self, work: Callable[[OxigraphStore, Path], object], store: OxigraphStore,
                 target: Path, name: str, *, brief: bool = False) -> None:
        self.target = target
        self.brief = brief
        self.seconds = 0.0
        self._failures: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(work, store, target),
                                        name=f"tieskg-{name}", daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[OxigraphStore, Path], object], store: OxigraphStore,
             target: Path) -> None:
        started = time.perf_counter()
        try:
            work(store, target)
        except BaseException as exc:  # handed to the main thread by finish()
            self._failures.append(exc)
        self.seconds = time.perf_counter() - started

    def running(self) -> bool:
        """Whether the work still goes on."""
        return self._thread.is_alive()

    def finish(self, *, quietly: bool = False, wait: float | None = None) -> None:
        """Wait for the work (at most ``wait`` seconds, if given); raise what it raised
        (unless ``quietly``)."""
        deadline = None if wait is None else time.perf_counter() + wait
        while self._thread.is_alive() and (deadline is None or time.perf_counter() < deadline):
            self._thread.join(0.1)
        if self._failures and not quietly:
            raise self._failures[0]


def _remove_abandoned_staging(store_path: Path) -> None:
    """Remove staging folders left by builds whose process is gone (killed, interrupted)."""
    for left in store_path.parent.glob(f"{_STAGING_PREFIX.format(store_path.name)}*"):
        pid = left.name.rsplit("-", 1)[-1].split(".")[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            if left.is_dir():
                shutil.rmtree(left, ignore_errors=True)
            else:
                left.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _backup_of(store_path: Path) -> Path:
    return store_path.with_name(f".{store_path.name}.previous")


def _check_replaceable(store_path: Path) -> None:
    if (store_path.exists() and not (store_path / MARKER).is_file()
            and (not store_path.is_dir() or any(store_path.iterdir()))):
        raise StoreError(f"{store_path} exists and is not a tieskg store; "
                         "choose another --store path or remove it")


def _swap(staging: Path, store_path: Path) -> None:
    """Put ``staging`` at ``store_path``; the old store survives until the new one is in."""
    backup = _backup_of(store_path)
    shutil.rmtree(backup, ignore_errors=True)
    if store_path.exists():
        os.rename(store_path, backup)
    os.rename(staging, store_path)
    shutil.rmtree(backup, ignore_errors=True)


def _recover(store_path: Path) -> None:
    """Undo a swap interrupted between its two renames."""
    backup = _backup_of(store_path)
    if backup.exists() and not store_path.exists():
        os.rename(backup, store_path)
