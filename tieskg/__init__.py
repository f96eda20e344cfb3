"""tieskg: a knowledge graph of regional industrial ties.

The public surface: build the graph into a store, validate it, query it, export it.
"""

from tieskg.errors import InputError, QueryError, StoreError, TieskgError, ValidationFailed

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "QueryError",
    "StoreError",
    "TieskgError",
    "ValidationFailed",
    "__version__",
]
