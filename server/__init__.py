"""``tieskg serve``: a read-only SPARQL 1.1 Protocol endpoint over the built store.

Modules, one job each: :mod:`~tieskg.server.safety` (what a request may ask),
:mod:`~tieskg.server.negotiate` (media types), :mod:`~tieskg.server.results`
(running a query in a worker and serializing it), :mod:`~tieskg.server.workers` (the
worker processes and the timeout that kills them), :mod:`~tieskg.server.description`
(the service description) and :mod:`~tieskg.server.app` (the HTTP routes).
"""
