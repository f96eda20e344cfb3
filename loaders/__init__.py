"""Loaders: turn data files into quads, one named graph per source.

The built-in datasets are the Shangyu–Shanghai founding case in ``data/shangyu_shanghai``
and the international industry classifications in ``data/industry_classifications``.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from tieskg.loaders.dataset import LoadedDataset, load_dataset

__all__ = ["LoadedDataset", "builtin_datasets", "load_dataset"]


def builtin_datasets() -> list[Traversable]:
    """The dataset folders shipped with tieskg, built by default: the founding case and the
    international industry classifications (ISIC Rev. 4, NACE Rev. 2)."""
    return [files(__name__) / "data" / name
            for name in ("shangyu_shanghai", "industry_classifications")]
