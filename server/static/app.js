// The tieskg query page: pick an example from the query library or write a query, run it,
// see the rows. Plain JavaScript, no external assets.
"use strict";

const RESULTS = "application/sparql-results+json";
const ACCEPT = RESULTS + ", text/turtle;q=0.9";
let library = [];
let chosen = null;

const $ = (id) => document.getElementById(id);

function status(text, kind) {
  const element = $("status");
  element.textContent = text;
  element.className = kind || "";
}

function termText(term) {
  if (!term) return "";
  if (term.type === "literal" && term["xml:lang"]) return term.value + "@" + term["xml:lang"];
  if (term.type === "bnode") return "_:" + term.value;
  return term.value;
}

function showTable(document_) {
  const table = $("results");
  const head = table.tHead;
  const body = table.tBodies[0];
  head.replaceChildren();
  body.replaceChildren();
  $("graph").hidden = true;
  const header = head.insertRow();
  if ("boolean" in document_) {
    header.appendChild(Object.assign(window.document.createElement("th"), { textContent: "result" }));
    body.insertRow().insertCell().textContent = String(document_.boolean);
    return 1;
  }
  const variables = document_.head.vars;
  for (const name of variables) {
    header.appendChild(Object.assign(window.document.createElement("th"), { textContent: name }));
  }
  for (const binding of document_.results.bindings) {
    const row = body.insertRow();
    for (const name of variables) {
      const cell = row.insertCell();
      const term = binding[name];
      cell.textContent = termText(term);
      if (term && term.type === "uri") cell.title = term.value;
    }
  }
  return document_.results.bindings.length;
}

function showGraph(text) {
  $("results").tHead.replaceChildren();
  $("results").tBodies[0].replaceChildren();
  const pre = $("graph");
  pre.textContent = text;
  pre.hidden = false;
}

function request() {
  const text = $("query").value;
  if (chosen && text === chosen.sparql) {
    const params = new URLSearchParams();
    for (const input of $("params").querySelectorAll("input")) {
      if (input.value !== "") params.append(input.name, input.value);
    }
    const query = params.toString();
    return fetch("/queries/" + encodeURIComponent(chosen.name) + (query ? "?" + query : ""),
                 { headers: { Accept: ACCEPT } });
  }
  return fetch("/sparql", {
    method: "POST",
    headers: { Accept: ACCEPT, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ query: text }),
  });
}

async function run() {
  status("running …");
  const started = performance.now();
  let response;
  try {
    response = await request();
  } catch (error) {
    status("the endpoint cannot be reached: " + error, "error");
    return;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok) {
    status(response.status + " " + (await response.text()), "error");
    return;
  }
  const truncated = response.headers.get("X-Tieskg-Truncated") === "true";
  if (type.startsWith(RESULTS)) {
    const count = showTable(await response.json());
    const note = truncated ? " — result cut at the row limit; add LIMIT or narrow the query" : "";
    status(count + " row(s) in " + seconds + " s" + note, truncated ? "warning" : "");
  } else {
    showGraph(await response.text());
    status("graph in " + seconds + " s" + (truncated ? " — cut at the row limit" : ""),
           truncated ? "warning" : "");
  }
}

function choose(name) {
  chosen = library.find((query) => query.name === name) || null;
  const params = $("params");
  params.replaceChildren();
  $("example-description").textContent = chosen ? chosen.title + ". " + chosen.description : "";
  if (!chosen) return;
  $("query").value = chosen.sparql;
  for (const param of chosen.parameters) {
    const label = window.document.createElement("label");
    label.textContent = param.name + " (" + param.type + (param.required ? ", required" : "") + ")";
    const input = window.document.createElement("input");
    input.name = param.name;
    input.value = param.default || "";
    input.title = param.description;
    label.appendChild(input);
    params.appendChild(label);
  }
}

async function loadLibrary() {
  const response = await fetch("/queries", { headers: { Accept: "application/json" } });
  library = await response.json();
  const select = $("examples");
  for (const query of library) {
    select.appendChild(new Option(query.name + " — " + query.title, query.name));
  }
}

window.addEventListener("DOMContentLoaded", () => {
  $("run").addEventListener("click", run);
  $("examples").addEventListener("change", (event) => choose(event.target.value));
  $("query").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  loadLibrary().catch((error) => status("cannot load the query library: " + error, "error"));
});
