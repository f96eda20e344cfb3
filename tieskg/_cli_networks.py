"""``tieskg analyze`` commands on networks: reach, chokepoints, dependence, communities,
exports, pictures and HTML views. The analyses live in :mod:`tieskg.graph.analysis`,
the projections in :mod:`tieskg.graph.networks`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from tieskg._cli_analyze import analyze
from tieskg.cli import _Context, console
from tieskg.graph.networks import NETWORKS

if TYPE_CHECKING:
    from rdflib import URIRef

_FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
                       default="table", show_default=True, help="Output format.")
_OUTPUT = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                       help="Write the result to this file (default: print it).")
#: --kind values of regional ties and the edge keys of the region-ties network.
_KINDS = {"supply": "supply", "rd": "rd-manufacturing", "investment": "investment",
          "cooperation": "cooperation", "talent": "talent-flow"}


# -- shared helpers ---------------------------------------------------------------------
def _project(obj: _Context, name: str, *, industry: URIRef | None = None):
    """Network ``name`` of the store, with a spinner while it is read (the network the
    build saved, when there is one and no ``industry`` narrows it)."""
    from tieskg.graph import networks

    store = obj.open_store()
    with console.status(f"reading the {name} network", spinner="dots"):
        return store, networks.project(store, name, industry=industry)


#: One resolver per store folder, read once per process.
_RESOLVERS: dict[Any, Any] = {}


def _resolver(store, kind: str) -> Callable[[str], str | None]:
    """Look-ups through the store's resolver (read on first use): pinyin, credit codes,
    division codes, industry codes such as ``sei-2018:4.1``."""
    def resolve(text: str) -> str | None:
        from tieskg.loaders.resolve import Resolver

        if store.path not in _RESOLVERS:
            with console.status("reading names and codes", spinner="dots"):
                _RESOLVERS[store.path] = Resolver.from_store(store)
        found = getattr(_RESOLVERS[store.path], kind)(text)
        return str(found.iri) if found.resolved else None

    return resolve


_NODE_KINDS = {"org-supply": "organization", "region-ties": "region",
               "industry-chain": "industry", "region-industry": "region"}


def _label(graph, node: str) -> str:
    return graph.nodes[node].get("label", node) if node in graph else node


def _emit(rows: Sequence[dict[str, Any]], *, fmt: str, output: Path | None, title: str,
          columns: Sequence[str] | None = None, note: str = "") -> None:
    """Rows as a rich table, CSV (lists joined with " > ") or JSON (a list of objects)."""
    from tieskg.graph.export import write_atomically

    columns = list(columns or (rows[0].keys() if rows else []))
    if fmt == "json":
        text = json.dumps({"title": title, "note": note, "rows": list(rows)},
                          ensure_ascii=False, indent=1) + "\n"
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([" > ".join(map(str, v)) if isinstance(v, list) else v
                             for v in (row.get(c, "") for c in columns)])
        text = buffer.getvalue()
    else:
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold",
                             justify="right" if rows and isinstance(rows[0].get(column),
                                                                    int | float) else "left")
        for row in rows:
            table.add_row(*(_cell(row.get(c, ""), c) for c in columns))
        if output is None:
            console.print(table)
            console.print(f"{len(rows)} row(s)" + (f"; {note}" if note else ""))
            return
        capture = console.__class__(record=True, width=160, file=io.StringIO())
        capture.print(table)
        text = capture.export_text()
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(output, lambda out: out.write(text.encode("utf-8")))
        console.print(f"wrote {len(rows)} row(s) to {output}")


def _cell(value: Any, column: str = "") -> str:
    if isinstance(value, list):
        return (" → " if column == "path" else ", ").join(map(str, value))
    if column in ("node", "partner", "other") and value:
        from rdflib import URIRef

        from tieskg.queries.runner import term_text

        return term_text(URIRef(value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# -- upstream / downstream ----------------------------------------------------------------
def _reach_command(direction: str):
    @click.argument("node")
    @click.option("--depth", type=click.IntRange(min=1), default=2, show_default=True,
                  help="How many ties away to go.")
    @click.option("--network", type=click.Choice(["auto", "org-supply", "industry-chain",
                                                  "region-ties"]),
                  default="auto", show_default=True,
                  help="Network to walk; auto: the first of org-supply, industry-chain, "
                       "region-ties (supply ties) that has NODE.")
    @_FORMAT
    @_OUTPUT
    @click.pass_obj
    def command(obj: _Context, node: str, depth: int, network: str, fmt: str,
                output: Path | None) -> None:
        from tieskg.graph.analysis.reach import reach

        graph, start = _walkable(obj, node, network)
        found = reach(graph, start, depth=depth, direction=direction)
        rows = [{"node": r.node, "label": _label(graph, r.node), "distance": r.distance,
                 "path": [_label(graph, n) for n in r.path], "path_iris": r.path}
                for r in found]
        _emit(rows, fmt=fmt, output=output,
              columns=["distance", "label", "path", "node"] + (["path_iris"] if fmt != "table"
                                                                else []),
              title=f"{direction.capitalize()} of {_label(graph, start)} "
                    f"({graph.graph['network']} network, depth {depth})")

    command.__doc__ = (
        f"What lies {direction} of NODE (an organization, industry or region: IRI, name "
        f"or code) to --depth ties, each with one shortest path. "
        + ("Upstream: suppliers, their suppliers, ..." if direction == "upstream"
           else "Downstream: customers, their customers, ..."))
    return command


def _walkable(obj: _Context, text: str, network: str):
    """The directed network to walk and NODE's key in it: names and codes are tried in
    every candidate network first, then the store's resolver."""
    from tieskg.graph.network_nodes import NodeNotFound, find_node
    from tieskg.graph.networks import of_kind

    names = ["org-supply", "industry-chain", "region-ties"] if network == "auto" else [network]
    graphs = []
    for name in names:
        store, graph = _project(obj, name)
        if name == "region-ties":
            graph = of_kind(graph, "supply")
        try:
            return graph, find_node(graph, text)
        except NodeNotFound as exc:
            if "names" in str(exc):   # ambiguous: say so rather than look further
                raise
        graphs.append((name, store, graph))
    problem: NodeNotFound | None = None
    for name, store, graph in graphs:
        try:
            return graph, find_node(graph, text, resolve=_resolver(store, _NODE_KINDS[name]))
        except NodeNotFound as exc:
            problem = problem if problem is not None and "has no ties" in str(problem) else exc
    assert problem is not None
    if network == "auto" and "has no ties" not in str(problem):
        raise NodeNotFound(f"{text!r} is no node of the org-supply, industry-chain or "
                           "region-ties networks: give an IRI, a name or a code (`tieskg "
                           "query find-by-name -p name=...` finds IRIs)")
    raise problem


analyze.command("upstream")(_reach_command("upstream"))
analyze.command("downstream")(_reach_command("downstream"))


# -- chokepoints ------------------------------------------------------------------------------
@analyze.command()
@click.option("--network", type=click.Choice(["org-supply", "industry-chain", "region-ties"]),
              default="org-supply", show_default=True, help="Network to examine.")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Rows of each kind of finding (0: all).")
@click.option("--sample", type=click.IntRange(min=1), default=None,
              help="Estimate betweenness from this many sampled source nodes (default: "
                   "exact up to 2,000 nodes, else 100 samples; see benchmarks/README.md "
                   "for time and error).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sampling.")
@_FORMAT
@_OUTPUT
@click.pass_obj
def chokepoints(obj: _Context, network: str, limit: int, sample: int | None, seed: int,
                fmt: str, output: Path | None) -> None:
    """Chokepoints of a network: articulation points and bridges (whose loss cuts the
    network apart), the highest betweenness (what much of it runs through), and
    single-supplier dependencies (suppliers that are some customer's only supplier,
    with how many customers depend on them alone)."""
    from tieskg.graph.analysis import chokepoints as cp
    from tieskg.graph.networks import of_kind

    _, graph = _project(obj, network)
    if network == "region-ties":
        graph = of_kind(graph, "supply")
    size = graph.number_of_nodes()
    k = sample if sample is not None else (None if size <= 2000 else 100)
    top = limit or size
    rows: list[dict[str, Any]] = []
    with console.status("finding chokepoints", spinner="dots"):
        points = cp.articulation_points(graph)
        rows += sorted(({"finding": "articulation point", "node": n, "label": _label(graph, n),
                         "score": graph.degree(n), "detail": "ties (degree)"} for n in points),
                       key=lambda r: (-r["score"], r["node"]))[:top]
        found = cp.bridges(graph)
        rows += [{"finding": "bridge", "node": u, "label": _label(graph, u),
                  "score": 1, "detail": f"tie with {_label(graph, v)}", "other": v}
                 for u, v in found[:top]]
        for node, score in cp.high_betweenness(graph, top=top, k=k, seed=seed):
            rows.append({"finding": "high betweenness", "node": node,
                         "label": _label(graph, node), "score": round(score, 6),
                         "detail": "normalized" + (f", {k} samples" if k else ", exact")})
        sole: dict[str, list[str]] = {}
        for customer, supplier in cp.single_suppliers(graph):
            sole.setdefault(supplier, []).append(customer)
        ranked = sorted(sole.items(), key=lambda item: (-len(item[1]), item[0]))[:top]
        for supplier, customers in ranked:
            names = ", ".join(_label(graph, c) for c in customers[:3])
            more = f" and {len(customers) - 3} more" if len(customers) > 3 else ""
            rows.append({"finding": "single supplier", "node": supplier,
                         "label": _label(graph, supplier), "score": len(customers),
                         "detail": f"only supplier of {names}{more}"})
    note = (f"{len(points)} articulation points, {len(found)} bridges, "
            f"{sum(len(c) for c in sole.values())} customers with one supplier "
            f"({len(sole)} such suppliers) in {size:,} nodes")
    _emit(rows, fmt=fmt, output=output, note=note,
          columns=["finding", "label", "score", "detail", "node", "other"],
          title=f"Chokepoints of the {network} network")


# -- regional dependence ------------------------------------------------------------------
@analyze.command()
@click.argument("region")
@click.option("--industry", help="Only ties of this industry (or narrower): IRI, code such "
                                 "as sei-2018:4.1, or name.")
@click.option("--kind", type=click.Choice(list(_KINDS)), default="supply", show_default=True,
              help="Ties to weigh: supply (where the suppliers are), rd (where the R&D of "
                   "R&D-manufacturing ties is), investment (where investors are), "
                   "cooperation, talent.")
@_FORMAT
@_OUTPUT
@click.pass_obj
def dependence(obj: _Context, region: str, industry: str | None, kind: str, fmt: str,
               output: Path | None) -> None:
    """How much of REGION's incoming ties of one kind come from each other region,
    weighted by evidence counts: e.g. how far Shangyu's biomedicine chain leans on
    Shanghai (`dependence 上虞区 --industry 生物医药 --kind supply`)."""
    from rdflib import URIRef

    from tieskg.graph.analysis.dependence import dependence as shares
    from tieskg.graph.network_nodes import NodeNotFound, find_node

    industry_iri = None
    if industry is not None:
        store = obj.open_store()
        found = _resolver(store, "industry")(industry)
        if found is None:
            raise NodeNotFound(f"unknown industry {industry!r}: give an IRI, a code such as "
                               "sei-2018:4.1, or a name (`tieskg query industry-crosswalk`)")
        industry_iri = URIRef(found)
    store, graph = _project(obj, "region-ties", industry=industry_iri)
    start = find_node(graph, region, resolve=_resolver(store, "region"), allow_absent=True)
    if start not in graph:
        graph.add_node(start)
    result = shares(graph, start, kind=_KINDS[kind])
    rows = [{"partner": s.partner, "label": _label(graph, s.partner), "weight": s.weight,
             "ties": s.ties, "share": round(s.share, 4)} for s in result]
    what = f" in {industry}" if industry else ""
    _emit(rows, fmt=fmt, output=output, columns=["label", "share", "weight", "ties", "partner"],
          title=f"Where {_label(graph, start)}'s incoming {_KINDS[kind]} ties{what} come from",
          note="weight: summed evidence counts (1 per tie without one)")


# -- communities -----------------------------------------------------------------------------
@analyze.command()
@click.option("--network", type=click.Choice(["org-supply", "industry-chain", "region-ties",
                                              "region-industry"]),
              default="org-supply", show_default=True, help="Network to partition.")
@click.option("--members", is_flag=True, help="List every node with its community instead "
                                              "of one row per community.")
@click.option("--resolution", type=float, default=1.0, show_default=True,
              help="Louvain resolution: above 1 more, smaller communities.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed (results repeat).")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Communities listed (0: all; --members lists every node).")
@_FORMAT
@_OUTPUT
@click.pass_obj
def communities(obj: _Context, network: str, members: bool, resolution: float, seed: int,
                limit: int, fmt: str, output: Path | None) -> None:
    """Communities of a network (Louvain, on the undirected view with summed weights):
    groups of organizations, regions or industries tied more closely to each other than
    to the rest."""
    from tieskg.graph.analysis.communities import communities as find
    from tieskg.graph.analysis.communities import membership

    _, graph = _project(obj, network)
    with console.status("finding communities", spinner="dots"):
        found = find(graph, seed=seed, resolution=resolution)
    note = f"{len(found.groups)} communities, modularity {found.modularity:.3f}"
    if members:
        rows = [{"community": c, "node": n, "label": _label(graph, n)}
                for n, c in sorted(membership(found).items(), key=lambda i: (i[1], i[0]))]
        _emit(rows, fmt=fmt, output=output, columns=["community", "label", "node"], note=note,
              title=f"Communities of the {network} network: members")
        return
    rows = []
    for index, group in enumerate(found.groups[:limit or None]):
        central = sorted(group, key=lambda n: (-graph.degree(n, weight="weight"), n))[:5]
        rows.append({"community": index, "size": len(group),
                     "main members": [_label(graph, n) for n in central],
                     "main member IRIs": central})
    _emit(rows, fmt=fmt, output=output, note=note,
          columns=["community", "size", "main members"]
          + (["main member IRIs"] if fmt != "table" else []),
          title=f"Communities of the {network} network")


# -- exports, pictures and views ---------------------------------------------------------
@analyze.command("export-network")
@click.option("--network", type=click.Choice(NETWORKS), required=True, help="Network to write.")
@click.option("--format", "fmt", type=click.Choice(["graphml", "gexf", "json"]),
              default="graphml", show_default=True,
              help="graphml, gexf (opens in Gephi) or json (networkx node-link).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write.")
@click.pass_obj
def export_network(obj: _Context, network: str, fmt: str, output: Path) -> None:
    """Write a network with its node labels and IRIs, for Gephi, Cytoscape or networkx."""
    from tieskg.graph.network_files import write_network

    _, graph = _project(obj, network)
    write_network(graph, output, fmt)
    console.print(f"wrote the {network} network ({graph.number_of_nodes():,} nodes, "
                  f"{graph.number_of_edges():,} ties) to {output}")


@analyze.group()
def picture() -> None:
    """PNG pictures: a region's ties, an organization's supply neighbourhood."""


@analyze.group()
def view() -> None:
    """Interactive HTML views (one self-contained file, opens offline)."""


def _region_subject(obj: _Context, region: str):
    """The region-ties network around REGION and REGION's key."""
    from tieskg.graph.network_nodes import find_node

    store, graph = _project(obj, "region-ties")
    start = find_node(graph, region, resolve=_resolver(store, "region"))
    keep = {start, *graph.predecessors(start), *graph.successors(start)}
    return graph.subgraph(keep).copy(), start


def _supply_subject(obj: _Context, organization: str, depth: int):
    from tieskg.graph.analysis.reach import neighbourhood
    from tieskg.graph.network_nodes import find_node

    store, graph = _project(obj, "org-supply")
    start = find_node(graph, organization, resolve=_resolver(store, "organization"))
    return neighbourhood(graph, start, depth=depth), start


_PNG = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                    required=True, help="PNG file to write.")
_HTML = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                     required=True, help="HTML file to write.")
_DEPTH = click.option("--depth", type=click.IntRange(1, 3), default=1, show_default=True,
                      help="Ties upstream and downstream to show.")


@picture.command("region-ties")
@click.argument("region")
@_PNG
@click.pass_obj
def picture_region_ties(obj: _Context, region: str, output: Path) -> None:
    """REGION's ties to other regions, by kind, as wide as their weight."""
    from tieskg.graph.pictures import region_ties_picture

    sub, start = _region_subject(obj, region)
    region_ties_picture(sub, start, output)
    console.print(f"wrote {output}")


@picture.command("supply-neighbourhood")
@click.argument("organization")
@_DEPTH
@_PNG
@click.pass_obj
def picture_supply(obj: _Context, organization: str, depth: int, output: Path) -> None:
    """ORGANIZATION's suppliers (left) and customers (right), to --depth ties."""
    from tieskg.graph.pictures import supply_neighbourhood_picture

    sub, start = _supply_subject(obj, organization, depth)
    supply_neighbourhood_picture(sub, start, output)
    console.print(f"wrote {output}")


@view.command("region-ties")
@click.argument("region")
@_HTML
@click.pass_obj
def view_region_ties(obj: _Context, region: str, output: Path) -> None:
    """REGION's ties to other regions, interactive."""
    from tieskg.graph.htmlview import write_view

    sub, start = _region_subject(obj, region)
    write_view(sub, output, centre=start, title=f"Ties of {_label(sub, start)}")
    console.print(f"wrote {output}")


@view.command("supply-neighbourhood")
@click.argument("organization")
@_DEPTH
@_HTML
@click.pass_obj
def view_supply(obj: _Context, organization: str, depth: int, output: Path) -> None:
    """ORGANIZATION's supply neighbourhood, interactive."""
    from tieskg.graph.htmlview import write_view

    sub, start = _supply_subject(obj, organization, depth)
    write_view(sub, output, centre=start,
               title=f"Supply neighbourhood of {_label(sub, start)}")
    console.print(f"wrote {output}")
