"""Worker processes that run queries, and the timeout that stops them.

Each worker opens the on-disk store itself (read-only, or read-write for the one worker
of an endpoint that accepts updates), or a client of the SPARQL server the endpoint
serves (``tieskg serve --endpoint``), and runs one job at a time. A job that outlives the
timeout is stopped the only way that surely stops Oxigraph mid-evaluation: the worker
process is killed, and a fresh one takes its place in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import sys
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path

from tieskg.errors import ServeError
from tieskg.graph.remote_store import Endpoint
from tieskg.graph.store import MARKER, Store
from tieskg.server.results import Job, Reply, execute

_CONTEXT = mp.get_context("spawn")  # no fork of a process that runs an event loop


class QueryTimeout(Exception):
    """A job ran longer than the timeout; its worker was killed."""


class WorkersBusy(Exception):
    """No worker became free within the timeout."""


#: Where workers find the store: an embedded store's folder, or a SPARQL server.
Source = Path | Endpoint


def _open(source: Source, writable: bool) -> Store:
    if isinstance(source, Endpoint):
        from tieskg.graph.remote_store import SparqlEndpointStore

        store = SparqlEndpointStore(source)
        store.ask("ASK { }")  # reachable, and access granted
        return store
    from tieskg.graph.store import OxigraphStore

    return OxigraphStore.open(Path(source), read_only=not writable)


def _built(source: Source) -> tuple[int, int] | None:
    """Which build of an embedded store is in place (its marker file's inode and time),
    or None (a server, or no store there at this instant)."""
    if isinstance(source, Endpoint):
        return None
    try:
        marker = (Path(source) / MARKER).stat()
    except OSError:
        return None
    return marker.st_ino, marker.st_mtime_ns


def _main(connection: Connection, source: Source, writable: bool) -> None:
    """A worker's loop: open the store, then answer jobs until the pipe closes. When a
    build has put a new store in place since, the worker opens the new one before the
    next job (a build swaps folders; the old one's files live on only for open handles)."""
    from tieskg.errors import TieskgError

    try:
        built, store = _built(source), _open(source, writable)
    except TieskgError as exc:
        connection.send(("error", str(exc)))
        return
    connection.send(("ready", None))
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        now = _built(source)
        if now is not None and now != built:
            # mid-swap or unreadable: answer from the store already open
            with contextlib.suppress(TieskgError):
                built, store = now, _open(source, writable)
        connection.send(execute(store, job))


class Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, source: Source, writable: bool):
        self.connection, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_main, args=(child, source, writable),
                                        daemon=True, name="tieskg-serve-worker")
        self.process.start()
        child.close()
        kind, message = self.connection.recv() if self.connection.poll(120) else (
            "error", "the worker did not start within 120 s")
        if kind != "ready":
            self.kill()
            raise ServeError(f"a query worker cannot open the store: {message}")

    def call(self, job: Job, timeout: float) -> Reply:
        """Send ``job`` and wait for the reply; :class:`QueryTimeout` after ``timeout`` s."""
        self.connection.send(job)
        if not self.connection.poll(timeout):
            raise QueryTimeout
        return self.connection.recv()

    def kill(self) -> None:
        """Stop the process at once (SIGKILL) and wait for it."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(10)
        self.connection.close()


class WorkerPool:
    """``size`` workers; :meth:`run` hands a job to an idle one, with the timeout."""

    def __init__(self, source: Source, *, size: int, timeout: float, writable: bool = False):
        self.source = source
        # one writer on the embedded store; a server takes concurrent updates itself
        self.size = 1 if writable and not isinstance(source, Endpoint) else size
        self.timeout = timeout
        self.writable = writable
        self._workers: list[Worker] = []
        self._idle: asyncio.Queue[Worker] | None = None
        self._threads = ThreadPoolExecutor(max_workers=self.size + 2,
                                           thread_name_prefix="tieskg-serve")
        self._pending: set[asyncio.Task] = set()

    def start(self) -> None:
        """Start every worker (before serving: a store that cannot open fails here)."""
        for _ in range(self.size):
            self._workers.append(Worker(self.source, self.writable))

    async def run(self, job: Job) -> Reply:
        """Run ``job`` on an idle worker; :class:`QueryTimeout` when it takes too long."""
        if self._idle is None:  # created in the event loop that serves
            self._idle = asyncio.Queue()
            for worker in self._workers:
                self._idle.put_nowait(worker)
        loop = asyncio.get_running_loop()
        try:
            worker = await asyncio.wait_for(self._idle.get(), self.timeout)
        except TimeoutError:
            raise WorkersBusy from None
        try:
            reply = await loop.run_in_executor(self._threads, worker.call, job, self.timeout)
        except BaseException:  # timeout, a dead worker, or cancelled while it works
            self._replace(worker)
            raise
        self._idle.put_nowait(worker)
        return reply

    def _replace(self, worker: Worker) -> None:
        """Kill ``worker`` and start another in the background."""
        worker.kill()
        self._workers.remove(worker)
        loop = asyncio.get_running_loop()

        async def respawn() -> None:
            delay = 1.0
            while True:
                try:
                    fresh = await loop.run_in_executor(
                        self._threads, Worker, self.source, self.writable)
                    break
                except Exception as exc:  # e.g. the store was removed: say so, try again
                    print(f"tieskg serve: cannot start a query worker ({exc}); "
                          f"trying again in {delay:g} s", file=sys.stderr, flush=True)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 60)
            self._workers.append(fresh)
            assert self._idle is not None
            self._idle.put_nowait(fresh)

        task = loop.create_task(respawn())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def close(self) -> None:
        """Kill every worker."""
        for worker in self._workers:
            worker.kill()
        self._workers.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)
