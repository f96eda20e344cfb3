"""The HTTP routes of ``tieskg serve`` (Starlette): the SPARQL 1.1 Protocol at ``/sparql``,
saved queries at ``/queries``, the service description and the query page at ``/``."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tieskg.errors import QueryError
from tieskg.queries.runner import LibraryQuery, bind, list_queries
from tieskg.server.description import service_description
from tieskg.server.negotiate import GRAPH_TYPES, RESULT_TYPES, choose
from tieskg.server.results import Job, Reply
from tieskg.server.safety import query_form_of
from tieskg.server.workers import QueryTimeout, WorkerPool, WorkersBusy

_STATIC = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
_PAGE_POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class ServeConfig:
    """The endpoint's limits and options (see ``tieskg serve --help``)."""

    store_path: Path
    timeout: float = 30.0
    max_rows: int = 10_000
    max_request_size: int = 1_000_000
    workers: int = 2
    update_token: str | None = None
    cors_origins: tuple[str, ...] = ()


class Problem(Exception):
    """An HTTP error answer: status and a message saying what to do."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = dict(headers or {})


def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return PlainTextResponse(f"{exc}\n", exc.status, headers=exc.headers)


def _query_error(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"{exc}\n", 400)


class Endpoint:
    """The request handlers, sharing the configuration, the workers and the library."""

    def __init__(self, config: ServeConfig, pool: WorkerPool):
        self.config = config
        self.pool = pool
        self.library: dict[str, LibraryQuery] = {q.name: q for q in list_queries()}

    # -- the SPARQL protocol -------------------------------------------------------
    async def sparql(self, request: Request) -> Response:
        """GET ?query=, POST form (query= or update=), POST sparql-query / sparql-update."""
        if request.method == "GET":
            self._check_url(request)
            params = request.query_params.multi_items()
            if not any(key in ("query", "update") for key, _ in params):
                return self.description(request)
            if any(key == "update" for key, _ in params):
                raise Problem(405, "updates go by POST (update=... as a form, or "
                                   "application/sparql-update)", {"Allow": "POST"})
            return await self._query(request, params)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await self._body(request)
        if media == _FORM:
            params = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            if any(key == "update" for key, _ in params):
                return await self._update(request, params)
            return await self._query(request, params)
        params = request.query_params.multi_items()
        text = body.decode("utf-8", "replace")
        if media == "application/sparql-query":
            return await self._query(request, [("query", text), *params])
        if media == "application/sparql-update":
            return await self._update(request, [("update", text), *params])
        raise Problem(415, f"unsupported Content-Type {media or '(none)'!r}: send "
                           f"{_FORM}, application/sparql-query or application/sparql-update")

    def _check_url(self, request: Request) -> None:
        if len(request.url.query) > self.config.max_request_size:
            raise Problem(414, f"the URL is over {self.config.max_request_size} bytes: "
                               "send the query by POST")

    async def _body(self, request: Request) -> bytes:
        limit = self.config.max_request_size
        message = (f"the request body is over the limit of {limit} bytes "
                   "(tieskg serve --max-request-size)")
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise Problem(413, message)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Problem(413, message)
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _single(params: list[tuple[str, str]], key: str) -> str:
        values = [value for name, value in params if name == key]
        if len(values) != 1:
            raise Problem(400, f"give exactly one {key!r} parameter (got {len(values)})")
        return values[0]

    async def _query(self, request: Request, params: list[tuple[str, str]]) -> Response:
        text = self._single(params, "query")
        form = query_form_of(text)
        return await self._run(request, Job(
            text, default_graph=tuple(v for k, v in params if k == "default-graph-uri"),
            named_graphs=tuple(v for k, v in params if k == "named-graph-uri"),
            max_rows=self.config.max_rows), form)

    async def _update(self, request: Request, params: list[tuple[str, str]]) -> Response:
        token = self.config.update_token
        if token is None:
            raise Problem(403, "this endpoint is read-only: updates are refused (start it "
                               "with --update-token to accept updates from token holders)")
        presented = request.headers.get("authorization", "")
        if not hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
            raise Problem(401, "updates need the update token: send the header "
                               "'Authorization: Bearer TOKEN'", {"WWW-Authenticate": "Bearer"})
        text = self._single(params, "update")
        return self._answer(await self._work(Job(text, update=True)))

    async def _run(self, request: Request, job: Job, form: str) -> Response:
        offered = RESULT_TYPES if form in ("SELECT", "ASK") else GRAPH_TYPES
        media = choose(request.headers.get("accept"), offered)
        if media is None:
            raise Problem(406, f"cannot answer a {form} query in "
                               f"{request.headers.get('accept')!r}; acceptable: "
                               f"{', '.join(offered)}")
        job = Job(job.sparql, media, offered[media], job.bindings, job.max_rows,
                  job.default_graph, job.named_graphs, check=job.check,
                  name_index=job.name_index)
        return self._answer(await self._work(job))

    async def _work(self, job: Job) -> Reply:
        try:
            return await self.pool.run(job)
        except WorkersBusy:
            raise Problem(503, f"every query worker stayed busy for {self.config.timeout:g} "
                               "s; try again later") from None
        except QueryTimeout:
            raise Problem(503, f"the query ran longer than the {self.config.timeout:g} s "
                               "limit and was stopped; narrow it (LIMIT, more specific "
                               "patterns) or ask for a longer --timeout") from None
        except (EOFError, OSError) as exc:
            raise Problem(500, f"the query worker died ({exc!r}); a new one is starting, "
                               "try again") from None

    @staticmethod
    def _answer(reply: Reply) -> Response:
        headers = {"Vary": "Accept"}
        if reply.truncated:
            headers["X-Tieskg-Truncated"] = "true"
        media = reply.media
        if "charset" not in media and (media.startswith("text/") or "json" in media):
            media += "; charset=utf-8"
        if reply.status == 204:
            return Response(status_code=204)
        return Response(reply.body, reply.status, headers=headers, media_type=media)

    # -- saved queries -------------------------------------------------------------
    async def queries(self, request: Request) -> Response:
        """The query library with parameters, as JSON."""
        base = str(request.base_url).rstrip("/")
        return JSONResponse([{
            "name": q.name, "title": q.title, "description": q.description, "form": q.form,
            "url": f"{base}/queries/{q.name}",
            "parameters": [{"name": p.name, "type": p.type, "default": p.default,
                            "required": p.required, "optional": p.optional,
                            "description": p.description} for p in q.params],
            "sparql": q.sparql} for q in self.library.values()])

    async def saved(self, request: Request) -> Response:
        """Run a library query, its parameters bound from the URL's query string."""
        self._check_url(request)
        query = self.library.get(request.path_params["name"])
        if query is None:
            raise Problem(404, f"no saved query {request.path_params['name']!r}; "
                               "GET /queries lists them")
        values: dict[str, str] = {}
        for name, value in request.query_params.multi_items():
            if name in values:
                raise Problem(400, f"parameter {name!r} given twice")
            values[name] = value
        bindings = bind(query, values)
        job = Job(query.sparql, bindings=bindings, max_rows=self.config.max_rows,
                  check=False, name_index=query.name_index)
        return await self._run(request, job, query.form)

    # -- description and page ------------------------------------------------------
    def description(self, request: Request) -> Response:
        media = choose(request.headers.get("accept"), GRAPH_TYPES) or "text/turtle"
        endpoint = str(request.url_for("sparql"))
        graph = service_description(endpoint, updates=self.config.update_token is not None,
                                    timeout=self.config.timeout, max_rows=self.config.max_rows)
        return Response(graph.serialize(format=GRAPH_TYPES[media]), media_type=media,
                        headers={"Vary": "Accept"})

    async def home(self, request: Request) -> Response:
        """The query page for browsers; the service description for RDF clients."""
        wanted = choose(request.headers.get("accept"), ["text/html", *GRAPH_TYPES])
        if wanted not in (None, "text/html"):
            return self.description(request)
        return self._asset("index.html", "text/html; charset=utf-8")

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC:
            raise Problem(404, f"no file {name!r}")
        return self._asset(name, _STATIC[name])

    @staticmethod
    def _asset(name: str, media: str) -> Response:
        body = (files("tieskg.server") / "static" / name).read_bytes()
        return Response(body, media_type=media,
                        headers={"Content-Security-Policy": _PAGE_POLICY,
                                 "X-Content-Type-Options": "nosniff"})


def create_app(config: ServeConfig, pool: WorkerPool) -> Starlette:
    """The application over a started ``pool``; closing the app kills the workers."""
    endpoint = Endpoint(config, pool)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        pool.close()

    middleware = []
    if config.cors_origins:
        middleware.append(Middleware(
            CORSMiddleware, allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST"], allow_headers=["Accept", "Content-Type",
                                                          "Authorization"],
            expose_headers=["X-Tieskg-Truncated"]))
    routes = [
        Route("/", endpoint.home, methods=["GET"]),
        Route("/sparql", endpoint.sparql, methods=["GET", "POST"], name="sparql"),
        Route("/service-description", endpoint.description, methods=["GET"]),
        Route("/queries", endpoint.queries, methods=["GET"]),
        Route("/queries/{name}", endpoint.saved, methods=["GET"]),
        Route("/static/{name}", endpoint.static, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                     exception_handlers={Problem: _problem, QueryError: _query_error})
