"""``tieskg serve`` over real HTTP: the SPARQL 1.1 Protocol with raw httpx, SPARQLWrapper
and rdflib's SPARQLStore; every safe default; saved queries and injection attempts."""

from __future__ import annotations

import io
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import Namespace
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from rdflib.query import Result
from serving import (
    PIDS,
    build_small_store,
    child_pids,
    copy_store,
    running_server,
    tieskg_command,
)
from SPARQLWrapper import JSON, POST, TURTLE, XML, SPARQLWrapper

from tieskg.graph.store import OxigraphStore
from tieskg.queries.runner import list_queries, load_query, run_query

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
TIMEOUT = 3
MAX_ROWS = 50
MAX_REQUEST = 4096
TOKEN = "test-token-0123456789abcdef"
SELECT = "SELECT ?s ?label WHERE { ?s skos:prefLabel ?label } ORDER BY ?s ?label LIMIT 7"
CONSTRUCT = ("CONSTRUCT { ?s skos:prefLabel ?label } WHERE { ?s skos:prefLabel ?label } "
             "ORDER BY ?s LIMIT 9")
CROSS_PRODUCT = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . "
                 "?j ?k ?l }")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return build_small_store(tmp_path_factory.mktemp("serve") / "store")


@pytest.fixture(scope="module")
def url(store, tmp_path_factory):
    """A read-only server with the defaults but a short timeout, a small row cap and a
    small request limit."""
    log = tmp_path_factory.mktemp("serve-log") / "serve.log"
    with running_server(store, "--timeout", str(TIMEOUT), "--max-rows", str(MAX_ROWS),
                        "--max-request-size", str(MAX_REQUEST), log=log) as base:
        yield base


@pytest.fixture(scope="module")
def writable_url(store, tmp_path_factory):
    """A server on a copy of the store that accepts updates with a token, and CORS for
    one origin."""
    folder = tmp_path_factory.mktemp("serve-writable")
    copy = copy_store(store, folder / "store")
    with running_server(copy, "--update-token", TOKEN, "--cors-origin",
                        "https://allowed.example", log=folder / "serve.log") as base:
        yield base


def _json_rows(response: httpx.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


# -- the protocol ----------------------------------------------------------------

def test_query_by_get_post_form_and_post_body_give_the_same_rows(url):
    by_get = _json_rows(httpx.get(f"{url}/sparql", params={"query": SELECT}))
    by_form = _json_rows(httpx.post(f"{url}/sparql", data={"query": SELECT}))
    by_body = _json_rows(httpx.post(f"{url}/sparql", content=SELECT.encode(),
                                    headers={"Content-Type": "application/sparql-query"}))
    assert len(by_get) == 7
    assert by_get == by_form == by_body


def test_unsupported_content_type_is_415(url):
    response = httpx.post(f"{url}/sparql", content=SELECT.encode(),
                          headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "application/sparql-query" in response.text


@pytest.mark.parametrize(("accept", "fmt", "media"), [
    ("application/sparql-results+json", "json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "xml", "application/sparql-results+xml"),
    ("text/csv", "csv", "text/csv"),
    ("text/tab-separated-values", "tsv", "text/tab-separated-values"),
    ("text/csv;q=0.2, application/sparql-results+xml;q=0.9", "xml",
     "application/sparql-results+xml"),
    ("*/*", "json", "application/sparql-results+json"),
])
def test_select_in_each_results_format(url, accept, fmt, media):
    response = httpx.get(f"{url}/sparql", params={"query": SELECT}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media)
    result = Result.parse(io.BytesIO(response.content), format=fmt)
    rows = [tuple(str(term) for term in row) for row in result]
    expected = [(b["s"]["value"], b["label"]["value"])
                for b in _json_rows(httpx.get(f"{url}/sparql", params={"query": SELECT}))]
    assert rows == expected


@pytest.mark.parametrize("accept", ["application/sparql-results+json",
                                    "application/sparql-results+xml"])
def test_ask_in_json_and_xml(url, accept):
    for query, expected in (("ASK { ?s a tk:Person }", True), ("ASK { ?s a <urn:x:none> }",
                                                                 False)):
        response = httpx.get(f"{url}/sparql", params={"query": query},
                             headers={"Accept": accept})
        fmt = "json" if "json" in accept else "xml"
        assert Result.parse(io.BytesIO(response.content), format=fmt).askAnswer is expected


@pytest.mark.parametrize(("accept", "fmt"), [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"),
    ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")])
def test_construct_in_each_rdf_format(url, accept, fmt):
    response = httpx.post(f"{url}/sparql", data={"query": CONSTRUCT}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(accept)
    graph = Graph().parse(data=response.content, format=fmt)
    assert len(graph) == 9


def test_describe_answers_a_graph(url):
    response = httpx.get(f"{url}/sparql", params={
        "query": "DESCRIBE <https://w3id.org/tieskg/id/region/cn-330604>"})
    assert response.status_code == 200, response.text
    graph = Graph().parse(data=response.content, format="turtle")
    assert (URIRef("https://w3id.org/tieskg/id/region/cn-330604"), None, None) in graph


def test_unacceptable_format_is_406(url):
    response = httpx.get(f"{url}/sparql", params={"query": SELECT}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text


def test_syntax_error_is_400_with_the_reason(url):
    response = httpx.get(f"{url}/sparql", params={"query": "SELECT * WHERE { ?s ?p "})
    assert response.status_code == 400
    assert "syntax" in response.text.lower() or "expected" in response.text.lower()


def test_default_graph_uri_limits_the_dataset(url):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    union = _json_rows(httpx.get(f"{url}/sparql", params={"query": query}))
    one = _json_rows(httpx.get(f"{url}/sparql", params={
        "query": query, "default-graph-uri": "https://w3id.org/tieskg/graph/vocabularies"}))
    assert 0 < int(one[0]["n"]["value"]) < int(union[0]["n"]["value"])


@pytest.mark.parametrize("path", ["/", "/service-description", "/sparql"])
def test_service_description(url, path):
    response = httpx.get(f"{url}{path}", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    service = graph.value(predicate=SD.endpoint, object=URIRef(f"{url}/sparql"))
    assert service is not None
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph


# -- safe defaults ---------------------------------------------------------------

def test_listens_on_loopback_only_by_default(url):
    port = int(url.rsplit(":", 1)[1])
    listening = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            listening.append(local.split(":")[0])
    assert listening == ["0100007F"]  # 127.0.0.1, little-endian hex


@pytest.mark.parametrize("how", ["form", "body", "get"])
def test_updates_are_refused_403_when_read_only(url, how):
    update = "DROP ALL"
    if how == "form":
        response = httpx.post(f"{url}/sparql", data={"update": update})
    elif how == "body":
        response = httpx.post(f"{url}/sparql", content=update.encode(),
                              headers={"Content-Type": "application/sparql-update",
                                       "Authorization": f"Bearer {TOKEN}"})
    else:
        response = httpx.get(f"{url}/sparql", params={"update": update})
    assert response.status_code == (405 if how == "get" else 403)
    ask = httpx.get(f"{url}/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert ask.json()["boolean"] is True


def test_timeout_kills_the_query_and_the_server_answers_the_next(url):
    workers_before = child_pids(PIDS[url])
    assert len(workers_before) >= 2
    started = time.monotonic()
    response = httpx.post(f"{url}/sparql", data={"query": CROSS_PRODUCT}, timeout=60)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert f"{TIMEOUT} s limit" in response.text
    assert elapsed < TIMEOUT + 5
    # more than the pool size of queries: the killed worker must have been replaced
    for _ in range(4):
        assert len(_json_rows(httpx.get(f"{url}/sparql", params={"query": SELECT},
                                        timeout=60))) == 7
    # the worker that ran it is gone (the work really stopped), and one took its place
    workers_after = child_pids(PIDS[url])
    killed = workers_before - workers_after
    assert len(killed) == 1
    assert not any(Path(f"/proc/{pid}").exists() for pid in killed)
    assert len(workers_after) == len(workers_before)


@pytest.mark.parametrize(("query", "reason"), [
    ("DROP ALL", "send updates as update="), ("", "not a SPARQL query"),
    ("PREFIX x: <urn:x#> INSERT DATA { x:a x:b x:c }", "send updates as update=")])
def test_an_update_or_nothing_sent_as_a_query_is_400(url, query, reason):
    response = httpx.get(f"{url}/sparql", params={"query": query})
    assert response.status_code == 400
    assert reason in response.text


def test_row_cap_truncates_and_says_so(url):
    query = "SELECT * WHERE { ?s ?p ?o }"
    response = httpx.get(f"{url}/sparql", params={"query": query})
    assert response.headers.get("x-tieskg-truncated") == "true"
    document = response.json()
    assert len(document["results"]["bindings"]) == MAX_ROWS
    assert document["tieskg"] == {"truncated": True, "maxRows": MAX_ROWS}
    csv = httpx.get(f"{url}/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert csv.headers.get("x-tieskg-truncated") == "true"
    assert len(csv.text.strip().splitlines()) == MAX_ROWS + 1
    triples = httpx.get(f"{url}/sparql", params={
        "query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/n-triples"})
    assert triples.headers.get("x-tieskg-truncated") == "true"
    assert len(Graph().parse(data=triples.text, format="nt")) == MAX_ROWS


def test_keep_alive_requests_are_not_held_back(url):
    """Without TCP_NODELAY each answer on a kept-alive connection waited about 40 ms
    (Nagle's algorithm against the client's delayed ACK)."""
    with httpx.Client() as client:
        client.get(f"{url}/static/style.css")
        times = []
        for _ in range(21):
            started = time.perf_counter()
            client.get(f"{url}/static/style.css").raise_for_status()
            times.append(time.perf_counter() - started)
    assert sorted(times)[10] < 0.025


def test_a_result_under_the_cap_is_not_marked(url):
    response = httpx.get(f"{url}/sparql", params={"query": SELECT})
    assert "x-tieskg-truncated" not in response.headers
    assert "tieskg" not in response.json()


def test_request_over_the_size_limit_is_413(url):
    padding = "#" + "x" * MAX_REQUEST + "\n"
    response = httpx.post(f"{url}/sparql", content=(padding + SELECT).encode(),
                          headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413
    assert "--max-request-size" in response.text
    form = httpx.post(f"{url}/sparql", data={"query": padding + SELECT})
    assert form.status_code == 413


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?x a tk:Person OPTIONAL { SERVICE SILENT <http://127.0.0.1:9/> "
    "{ ?x ?p ?o } } }",
    "SELECT * WHERE { { SELECT ?s WHERE { service <http://127.0.0.1:9/> { ?s ?p ?o } } } }",
])
def test_service_is_refused(url, query):
    response = httpx.post(f"{url}/sparql", data={"query": query})
    assert response.status_code == 400
    assert "SERVICE is refused" in response.text


def test_service_as_a_name_is_not_refused(url):
    query = ("SELECT ?service WHERE { ?service a schema:Service } LIMIT 1")
    response = httpx.post(f"{url}/sparql", data={"query": query})
    assert response.status_code == 200, response.text


def test_no_cors_headers_unless_configured(url):
    response = httpx.get(f"{url}/sparql", params={"query": SELECT},
                         headers={"Origin": "https://elsewhere.example"})
    assert response.status_code == 200
    assert not any(h.lower().startswith("access-control-") for h in response.headers)
    preflight = httpx.options(f"{url}/sparql", headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers


# -- saved queries ---------------------------------------------------------------

def test_queries_lists_the_library_with_parameters(url):
    listed = httpx.get(f"{url}/queries").json()
    library = list_queries()
    assert [q["name"] for q in listed] == [q.name for q in library]
    by_name = {q["name"]: q for q in listed}
    region_ties = by_name["region-ties"]
    assert region_ties["parameters"][0]["name"] == "region"
    assert region_ties["parameters"][0]["type"] == "iri"
    assert region_ties["url"] == f"{url}/queries/region-ties"
    assert "SELECT" in region_ties["sparql"]


def test_saved_query_runs_with_bound_parameters_as_the_runner_does(url, store):
    response = httpx.get(f"{url}/queries/find-by-name", params={"text": "Shangyu"})
    rows = _json_rows(response)
    direct = run_query(OxigraphStore.open(store), load_query("find-by-name"),
                       {"text": "Shangyu"})
    assert len(rows) == len(direct.rows) > 0
    assert {r["thing"]["value"] for r in rows} == {str(row[1]) for row in direct.rows}
    csv = httpx.get(f"{url}/queries/region-ties", params={"region": "tkid:region/cn-330604"},
                    headers={"Accept": "text/csv"})
    assert csv.status_code == 200
    assert csv.text.startswith("region,tie,")


def test_saved_query_defaults_apply(url):
    with_default = _json_rows(httpx.get(f"{url}/queries/find-by-name"))
    explicit = _json_rows(httpx.get(f"{url}/queries/find-by-name", params={"text": "Shangyu"}))
    assert with_default == explicit


@pytest.mark.parametrize("value", [
    '"> } ; DROP ALL #',
    '") || true || CONTAINS("',
    "Shangyu\" ) } UNION { ?thing ?label_property ?label } #",
    "x' . ?thing ?p ?o . FILTER('1",
])
def test_injection_in_a_string_parameter_stays_a_literal(url, value):
    response = httpx.get(f"{url}/queries/find-by-name", params={"text": value})
    rows = _json_rows(response)
    assert rows == []  # spliced into the text, each of these would match every name
    ask = httpx.get(f"{url}/sparql", params={"query": "ASK { ?s a tk:Person }"})
    assert ask.json()["boolean"] is True


@pytest.mark.parametrize("value", [
    "tkid:region/cn-330604> } ; DROP ALL #",
    "https://x.example/a> ?p ?o } #",
    '"> } ; DROP ALL #',
    "<https://x.example/a>}",
])
def test_injection_in_an_iri_parameter_is_400(url, value):
    response = httpx.get(f"{url}/queries/region-ties", params={"region": value})
    assert response.status_code == 400
    assert "parameter 'region' (iri)" in response.text


def test_saved_query_errors(url):
    unknown = httpx.get(f"{url}/queries/region-ties", params={"regoin": "tkid:x"})
    assert unknown.status_code == 400 and "no parameter 'regoin'" in unknown.text
    twice = httpx.get(f"{url}/queries/find-by-name?text=a&text=b")
    assert twice.status_code == 400 and "given twice" in twice.text
    assert httpx.get(f"{url}/queries/no-such-query").status_code == 404
    for path in ("..%2Fqueries%2Ffind-by-name.rq", "find-by-name.rq",
                 "%2Fetc%2Fpasswd"):
        assert httpx.get(f"{url}/queries/{path}").status_code == 404


# -- the page's assets -----------------------------------------------------------

def test_browser_gets_the_page_with_assets_shipped_in_the_package(url):
    page = httpx.get(f"{url}/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<textarea" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "//" not in "".join(part.split('"')[0] for part in page.text.split("src=")[1:])
    for asset in ("app.js", "style.css"):
        response = httpx.get(f"{url}/static/{asset}")
        assert response.status_code == 200 and len(response.content) > 100
        assert "http://" not in response.text and "https://" not in response.text
    assert httpx.get(f"{url}/static/..%2F__init__.py").status_code == 404


# -- real clients ----------------------------------------------------------------

def test_sparqlwrapper_select_ask_construct_get_and_post(url):
    client = SPARQLWrapper(f"{url}/sparql")
    client.setQuery("PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n" + SELECT)
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]
    assert len(rows) == 7
    client.setReturnFormat(XML)
    document = client.queryAndConvert()
    assert len(document.getElementsByTagName("result")) == 7
    client.setMethod(POST)
    client.setReturnFormat(JSON)
    client.setQuery("ASK { ?s a <https://w3id.org/tieskg/ontology#Person> }")
    assert client.queryAndConvert()["boolean"] is True
    client.setQuery(CONSTRUCT.replace("skos:", "<http://www.w3.org/2004/02/skos/core#")
                    .replace("#prefLabel", "#prefLabel>"))
    client.setReturnFormat(TURTLE)
    data = client.queryAndConvert()
    assert len(Graph().parse(data=data, format="turtle")) == 9


def test_rdflib_sparqlstore_select_and_construct(url):
    graph = Graph(store=SPARQLStore(f"{url}/sparql"))
    rows = list(graph.query(SELECT.replace("skos:prefLabel",
                                           "<http://www.w3.org/2004/02/skos/core#prefLabel>")))
    assert len(rows) == 7
    assert all(isinstance(row[1], Literal) for row in rows)
    constructed = graph.query(CONSTRUCT.replace(
        "skos:prefLabel", "<http://www.w3.org/2004/02/skos/core#prefLabel>"))
    assert len(constructed.graph) == 9


def test_rdflib_sparqlupdatestore_is_refused_on_a_read_only_endpoint(url):
    store = SPARQLUpdateStore(f"{url}/sparql", f"{url}/sparql")
    with pytest.raises(Exception, match="403"):
        store.update("INSERT DATA { <urn:x:s> <urn:x:p> <urn:x:o> }")


# -- an endpoint that accepts updates, with CORS ----------------------------------

def test_updates_need_the_token(writable_url):
    update = "INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> \"written\" } }"
    ask = {"query": "ASK { <urn:x:s> <urn:x:p> \"written\" }"}
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"},
                    {"Authorization": TOKEN}):
        response = httpx.post(f"{writable_url}/sparql", data={"update": update},
                              headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{writable_url}/sparql", params=ask).json()["boolean"] is False
    response = httpx.post(f"{writable_url}/sparql", data={"update": update},
                          headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 204, response.text
    assert httpx.get(f"{writable_url}/sparql", params=ask).json()["boolean"] is True
    description = Graph().parse(data=httpx.get(
        f"{writable_url}/service-description").text, format="turtle")
    assert (None, SD.supportedLanguage, SD.SPARQL11Update) in description


def test_rdflib_sparqlupdatestore_with_the_token(writable_url):
    store = SPARQLUpdateStore(f"{writable_url}/sparql", f"{writable_url}/sparql",
                              headers={"Authorization": f"Bearer {TOKEN}"})
    store.update("INSERT DATA { GRAPH <urn:x:g2> { <urn:x:s2> <urn:x:p> 1 } }")
    ask = httpx.get(f"{writable_url}/sparql", params={"query": "ASK { <urn:x:s2> ?p 1 }"})
    assert ask.json()["boolean"] is True


@pytest.mark.parametrize("update", [
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "LOAD SILENT <http://127.0.0.1:9/data.ttl> INTO GRAPH <urn:x:g>",
    "INSERT { GRAPH <urn:x:g> { ?s ?p ?o } } WHERE { SERVICE <http://127.0.0.1:9/> "
    "{ ?s ?p ?o } }",
])
def test_load_and_service_are_refused_even_with_the_token(writable_url, update):
    response = httpx.post(f"{writable_url}/sparql", data={"update": update},
                          headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400
    assert "is refused" in response.text


def test_cors_only_for_the_configured_origin(writable_url):
    allowed = httpx.get(f"{writable_url}/sparql", params={"query": SELECT},
                        headers={"Origin": "https://allowed.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://allowed.example"
    other = httpx.get(f"{writable_url}/sparql", params={"query": SELECT},
                      headers={"Origin": "https://other.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = httpx.options(f"{writable_url}/sparql", headers={
        "Origin": "https://allowed.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://allowed.example"


# -- the command -----------------------------------------------------------------

def test_serve_without_a_store_is_one_line_exit_2(tmp_path):
    run = subprocess.run(tieskg_command(tmp_path / "none", "serve", "--port", "0"),
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "no tieskg store" in run.stderr and "Traceback" not in run.stderr


def test_serve_on_a_taken_port_is_one_line_exit_2(url, store):
    port = url.rsplit(":", 1)[1]
    run = subprocess.run(tieskg_command(store, "serve", "--port", port),
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_short_update_token_is_refused(store):
    run = subprocess.run(tieskg_command(store, "serve", "--port", "0", "--update-token",
                                        "secret"), capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "--update-token is too short" in run.stderr


def test_serve_help_names_the_safe_defaults():
    run = subprocess.run(tieskg_command(Path("."), "serve", "--help"), capture_output=True,
                         text=True, timeout=60)
    for option in ("--host", "--timeout", "--max-rows", "--update-token", "--cors-origin",
                   "--max-request-size"):
        assert option in run.stdout


def test_a_new_build_is_served_without_a_restart(tmp_path):
    """A build swaps a new store folder into place; the workers open it before their next
    query (the old folder's files lived on only for their open handles)."""
    from tieskg.graph.build import _swap

    folder = build_small_store(tmp_path / "store")
    ask = {"query": "ASK { <urn:x:rebuilt> a tk:Person }"}
    with running_server(folder, log=tmp_path / "serve.log") as base:
        assert httpx.get(f"{base}/sparql", params=ask).json()["boolean"] is False
        staging = build_small_store(tmp_path / "staging")
        added = OxigraphStore.open(staging, read_only=False)
        added.update("INSERT DATA { GRAPH <urn:x:g> { <urn:x:rebuilt> a tk:Person } }")
        added.flush()
        del added
        time.sleep(0.05)  # a marker of a later time, as a real build's is
        (staging / "tieskg-store.json").touch()
        _swap(staging, folder)
        answers = {httpx.get(f"{base}/sparql", params=ask).json()["boolean"]
                   for _ in range(6)}  # whichever worker answers
        assert answers == {True}
