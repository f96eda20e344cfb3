"""The tieskg exception tree: one base class, a few kinds, messages that say how to fix it.

Every error a user can cause derives from :class:`TieskgError`; the CLI prints its
message on one line and exits with :attr:`TieskgError.exit_code` (2: the command
could not run). Anything else is a bug and shows a traceback.
"""

from __future__ import annotations

from pathlib import Path


class TieskgError(Exception):
    """Base class of every error tieskg reports to users."""

    exit_code = 2


class InputError(TieskgError):
    """A data file is malformed or inconsistent: names the file, the line and the reason.

    >>> str(InputError("bad code", path=Path("regions.yaml"), line=12))
    'regions.yaml:12: bad code'
    """

    def __init__(self, reason: str, *, path: Path | str | None = None, line: int | None = None):
        self.reason = reason
        self.path = Path(path) if path is not None else None
        self.line = line
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line is not None else f"{self.path}: "
        super().__init__(f"{where}{reason}")


class StoreError(TieskgError):
    """The store cannot be opened, read or replaced."""


class QueryError(TieskgError):
    """A query cannot be found, parsed, bound or run."""


class ServeError(TieskgError):
    """The SPARQL endpoint cannot start (port in use, no store, bad option)."""


class ValidationFailed(TieskgError):
    """The graph does not conform to the shapes (exit code 1, as pySHACL's CLI).

    ``report`` holds the validation report, for the caller to show.
    """

    exit_code = 1

    def __init__(self, message: str, *, report: object | None = None):
        super().__init__(message)
        self.report = report
