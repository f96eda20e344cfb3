"""The SPARQL query library (``*.rq`` files) and the runner that binds and executes them."""
