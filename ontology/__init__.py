"""The tieskg ontology, its controlled vocabularies and its SHACL shapes, as package data.

The Turtle files ship inside the package; read them through these helpers, which work
whether the package is installed from a wheel, a zip or an editable checkout.

>>> ontology_path().name
'tieskg.ttl'
>>> ontology_path().read_text(encoding="utf-8").startswith("@prefix")
True
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

__all__ = ["ontology_path", "shapes_path", "vocabularies_path"]


def ontology_path() -> Traversable:
    """The OWL 2 DL ontology (``tieskg.ttl``, Turtle)."""
    return files(__name__) / "tieskg.ttl"


def vocabularies_path() -> Traversable:
    """The controlled vocabularies and the Data Cube structure (``vocabularies.ttl``)."""
    return files(__name__) / "vocabularies.ttl"


def shapes_path() -> Traversable:
    """The SHACL shapes that data must conform to (``shapes.ttl``)."""
    return files(__name__) / "shapes.ttl"
