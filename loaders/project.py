"""The project file (``tieskg.yaml``): the user's data files that ``tieskg build`` loads.

::

    # tieskg project: loaded by `tieskg build` after the built-in datasets
    datasets: [my-dataset/, extra.nq]      # dataset folders or RDF files (optional)
    loads:
      - file: companies.csv
        as: organizations
        name: my-companies                 # the source: its graph is tkg:source/my-companies
        mapping: companies.mapping.yaml    # optional
        strict: false                      # optional
        illustrative: false                # optional: made-up data (tksyn:, says so)
    endpoint: https://example.org/sparql   # optional: a SPARQL server for every command
    # or: endpoint: {query: URL, update: URL, graph_store: URL, user: NAME,
    #                auth: basic|digest|bearer, page_size: 5000}
    # (passwords and tokens only from TIESKG_PASSWORD / TIESKG_TOKEN, never in the file)

Paths are relative to the project file. ``tieskg load`` adds or replaces an entry (by
name) after a successful build; the file is written to a temporary file and renamed.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tieskg.errors import InputError
from tieskg.loaders._yaml import Record, read_yaml
from tieskg.loaders.user_data import LoadRequest

#: The project file ``tieskg build`` and ``tieskg load`` use unless told otherwise.
DEFAULT_PROJECT = Path("tieskg.yaml")
_LOAD_KEYS = {"file", "as", "name", "mapping", "strict", "illustrative"}
_ENDPOINT_KEYS = {"query", "update", "graph_store", "user", "auth", "page_size"}


@dataclass
class Project:
    """A project file's datasets and loads, with paths resolved against its folder."""

    path: Path
    datasets: list[Path] = field(default_factory=list)
    loads: list[LoadRequest] = field(default_factory=list)
    #: The SPARQL server the project's commands use (keys of ``_ENDPOINT_KEYS``), if any.
    endpoint: dict[str, Any] | None = None

    def with_load(self, request: LoadRequest) -> Project:
        """This project with ``request`` added, replacing a load of the same name."""
        loads = [load for load in self.loads if load.name != request.name]
        return Project(self.path, list(self.datasets), [*loads, request], self.endpoint)

    def write(self) -> None:
        """Write the project file atomically (temporary file, then rename)."""
        base = self.path.parent.absolute()

        def relative(path: Path) -> str:
            try:
                return str(path.absolute().relative_to(base))
            except ValueError:
                return str(path.absolute())

        document: dict[str, Any] = {}
        if self.datasets:
            document["datasets"] = [relative(p) for p in self.datasets]
        document["loads"] = [
            {"file": relative(load.path), "as": load.kind, "name": load.name,
             **({"mapping": relative(load.mapping)} if load.mapping else {}),
             **({"strict": True} if load.strict else {}),
             **({"illustrative": True} if load.illustrative else {})}
            for load in self.loads]
        if self.endpoint:
            document["endpoint"] = dict(self.endpoint)
        text = ("# tieskg project: the data files `tieskg build` loads after the built-in "
                "datasets\n" + yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def read_project(path: Path) -> Project:
    """Read a project file; a missing file is an empty project."""
    path = Path(path)
    if not path.exists():
        return Project(path)
    document = read_yaml(path) or Record()
    if not isinstance(document, Record) or set(document) - {"datasets", "loads", "endpoint"}:
        raise InputError("a project file holds datasets: [...], loads: [...] and "
                         "endpoint: URL", path=path, line=1)
    base = path.parent
    datasets = document.get("datasets") or []
    if not isinstance(datasets, list) or not all(isinstance(d, str) for d in datasets):
        raise InputError("datasets: expected a list of paths", path=path,
                         line=document.line_of("datasets"))
    loads = []
    for entry in document.get("loads") or []:
        if not isinstance(entry, Record) or set(entry) - _LOAD_KEYS or not {
                "file", "as", "name"} <= set(entry):
            raise InputError("each load needs file, as and name (and may give mapping and "
                             "strict)", path=path, line=getattr(entry, "line", None))
        loads.append(LoadRequest(base / str(entry["file"]), str(entry["as"]),
                                 str(entry["name"]),
                                 base / str(entry["mapping"]) if entry.get("mapping") else None,
                                 entry.get("strict") is True,
                                 entry.get("illustrative") is True))
    names = [load.name for load in loads]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"loads: duplicate name(s) {', '.join(duplicates)}", path=path)
    return Project(path, [base / d for d in datasets], loads,
                   _endpoint(document.get("endpoint"), path, document.line_of("endpoint")))


def _endpoint(value: Any, path: Path, line: int | None) -> dict[str, Any] | None:
    """The ``endpoint:`` entry: a URL, or a mapping of ``_ENDPOINT_KEYS``."""
    if value is None:
        return None
    if isinstance(value, str):
        return {"query": value}
    if not isinstance(value, dict) or "query" not in value or set(value) - _ENDPOINT_KEYS:
        raise InputError("endpoint: give a query URL, or a mapping with query and optionally "
                         f"{', '.join(sorted(_ENDPOINT_KEYS - {'query'}))} (passwords and "
                         "tokens go in TIESKG_PASSWORD / TIESKG_TOKEN)", path=path, line=line)
    return {str(k): v for k, v in value.items()}
