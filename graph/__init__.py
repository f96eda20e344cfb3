"""The graph: store, build, validation, derivation and export."""
