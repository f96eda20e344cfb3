"""The ``tieskg analyze`` command group: planners' analyses of the graph.

Each analysis registers its own commands on :data:`analyze` from a module of its own;
the imports at the end of this file collect them.
"""

from __future__ import annotations

import click


@click.group()
def analyze() -> None:
    """Analyse supply chains, regional ties, specialization and industry-chain gaps."""


# Command modules register themselves on `analyze` when imported (one line each).
from tieskg import _cli_chains, _cli_networks  # noqa: E402,F401
