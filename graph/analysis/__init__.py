"""Planners' analyses: one function per analysis, each taking a plain networkx graph
(or plain records), never a store. Projections from the store live in
:mod:`tieskg.graph.networks`."""
