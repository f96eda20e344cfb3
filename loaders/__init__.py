"""Loaders: turn data files into quads, one named graph per source.

The built-in datasets are the Shangyu–Shanghai founding case in ``data/shangyu_shanghai``,
the industry classifications in ``data/industry_classifications`` and China's
administrative divisions in ``data/china_divisions``.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from tieskg.loaders.dataset import LoadedDataset, load_dataset

__all__ = ["LoadedDataset", "builtin_datasets", "load_dataset", "optional_datasets",
           "tutorial_project"]


def builtin_datasets() -> list[Traversable]:
    """The dataset folders shipped with tieskg, built by default: the founding case, the
    industry classifications and China's divisions (county level and above)."""
    return [files(__name__) / "data" / name
            for name in ("shangyu_shanghai", "industry_classifications", "china_divisions")]


def optional_datasets() -> dict[str, Traversable]:
    """Dataset folders shipped with tieskg but built only when asked for, by name
    (``tieskg build --dataset china-townships``): China's township-level divisions."""
    return {name.replace("_", "-"): files(__name__) / "data" / name
            for name in ("china_townships",)}


def tutorial_project() -> Traversable:
    """The tutorial's project file (``tieskg build --project tutorial``): made-up tables of
    every kind, loaded as illustrative data (not real, and marked so)."""
    return files(__name__) / "data" / "tutorial" / "tieskg.yaml"
