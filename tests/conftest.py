"""Shared pytest fixtures. Keep each fixture small and documented; add new ones below."""

from __future__ import annotations

from pathlib import Path

import pytest

from tieskg.graph.build import populate
from tieskg.graph.store import OxigraphStore
from tieskg.loaders import builtin_datasets, load_dataset


@pytest.fixture(scope="session")
def case_store() -> OxigraphStore:
    """An in-memory store holding the ontology, vocabularies and the built-in founding
    case (Shangyu–Shanghai), with derived ties. Shared by the whole session: do not write
    to it (build your own store for tests that change data)."""
    store = OxigraphStore.in_memory()
    populate(store, [load_dataset(Path(str(folder))) for folder in builtin_datasets()])
    return store
