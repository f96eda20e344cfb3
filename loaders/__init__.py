"""Loaders: turn data files into quads, one named graph per source.

The built-in dataset is the Shangyu–Shanghai founding case in ``data/shangyu_shanghai``.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from tieskg.loaders.dataset import LoadedDataset, load_dataset

__all__ = ["LoadedDataset", "builtin_datasets", "load_dataset"]


def builtin_datasets() -> list[Traversable]:
    """The dataset folders shipped with tieskg, built by default."""
    return [files(__name__) / "data" / "shangyu_shanghai"]
