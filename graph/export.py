"""Export the store as RDF files, written atomically (temp file, then rename)."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from rdflib import URIRef

from tieskg.graph.store import Store


class ExportFormat(Enum):
    """The RDF formats ``tieskg export`` writes.

    >>> ExportFormat("turtle").rdf_format.file_extension
    'ttl'
    >>> ExportFormat.NQUADS.carries_graphs
    True
    """

    TURTLE = "turtle"
    TRIG = "trig"
    NTRIPLES = "nt"
    NQUADS = "nq"
    JSONLD = "jsonld"

    @property
    def rdf_format(self) -> ox.RdfFormat:
        """The pyoxigraph format object."""
        return {
            ExportFormat.TURTLE: ox.RdfFormat.TURTLE,
            ExportFormat.TRIG: ox.RdfFormat.TRIG,
            ExportFormat.NTRIPLES: ox.RdfFormat.N_TRIPLES,
            ExportFormat.NQUADS: ox.RdfFormat.N_QUADS,
            ExportFormat.JSONLD: ox.RdfFormat.JSON_LD,
        }[self]

    @property
    def carries_graphs(self) -> bool:
        """Whether named graphs survive in this format (else graphs are merged)."""
        return self.rdf_format.supports_datasets


def export(store: Store, *, format: ExportFormat, graph: URIRef | None = None,
           output: Path | None = None, stdout: IO[bytes] | None = None,
           progress: Callable[[int], None] | None = None) -> None:
    """Serialize ``graph`` (or all graphs) to ``output`` atomically, or to ``stdout``.

    ``progress(bytes_written)`` is called as the serializer writes (many times a second).
    """
    def write(stream: IO[bytes]) -> None:
        target = stream if progress is None else _CountingWriter(stream, progress)
        store.dump(target, format=format.rdf_format, graph=graph)

    if output is None:
        if stdout is None:
            raise ValueError("give output or stdout")
        write(stdout)
    else:
        write_atomically(output, write)


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write`` on a temp file beside ``path``, then rename it over ``path``.

    If ``write`` fails, ``path`` keeps its previous content and no temp file remains. The
    file gets the permissions of the file it replaces, or those a new file gets (0666 less
    the umask), not the temp file's 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fchmod(stream.fileno(), _new_file_mode(path))
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _new_file_mode(path: Path) -> int:
    """The mode of ``path`` if it exists, else that of a new file under the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


class _CountingWriter:
    """A binary stream that passes writes on to ``stream`` and reports the bytes so far.

    >>> import io
    >>> seen = []
    >>> writer = _CountingWriter(io.BytesIO(), seen.append)
    >>> writer.write(b"<a> <b> <c> .\\n"), writer.write(b"")
    (14, 0)
    >>> seen
    [14, 14]
    """

    def __init__(self, stream: IO[bytes], progress: Callable[[int], None]) -> None:
        self._stream = stream
        self._progress = progress
        self.written = 0

    def write(self, data: bytes) -> int:
        count = self._stream.write(data)
        self.written += len(data)
        self._progress(self.written)
        return count if count is not None else len(data)

    def flush(self) -> None:
        self._stream.flush()
