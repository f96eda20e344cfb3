"""``tieskg analyze specialization``, ``chains`` and ``chain-gaps``: where a region is
specialized, and which segments of an industry chain it has, its partner has, or neither."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from tieskg._cli_analyze import analyze

_FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
                       default="table", show_default=True,
                       help="table (rich), csv or json (all the detail).")
_OUTPUT = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                       help="Write the result here (atomically) instead of printing it.")


def _emit(fmt: str, output: Path | None, table: Table, header: list[str],
          rows: list[list[object]], document: object) -> None:
    """Print or write the result as a rich table, CSV or JSON."""
    from tieskg.cli import _write_csv, console
    from tieskg.graph.export import write_atomically

    if fmt == "table":
        if output is None:
            console.print(table)
            return
        from rich.console import Console

        with output.open("w", encoding="utf-8") as stream:  # a plain-text rendering
            Console(file=stream, width=160).print(table)
        return
    if fmt == "csv":
        if output is not None:
            _write_csv(output, header, rows)
            return
        import csv
        import io

        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows(rows)
        click.echo(text.getvalue(), nl=False)
        return
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(output, lambda out: out.write(text.encode("utf-8")))


def _region(resolver, text: str, option: str):
    """A region's IRI and name from a code, name (绍兴市/上虞区) or IRI."""
    parent, _, name = text.rpartition("/") if "/" in text and ":" not in text else ("", "", text)
    found = resolver.region(name, parent=parent or None)
    if not found.resolved:
        raise click.BadParameter(found.reason or f"unknown region {text!r}", param_hint=option)
    # a candidate's label reads "上虞区 Shangyu District (330604) in 绍兴市"
    return found.iri, found.candidates[0].label.split(" (")[0]


@analyze.command()
@click.option("--measure", type=click.Choice(["lq", "rca"]), default="lq", show_default=True,
              help="lq: location quotient against the regions' whole economies where "
                   "observed (US Cluster Mapping); rca: Balassa's index over the "
                   "observed matrix only (Atlas of Economic Complexity).")
@click.option("--year", help="Year of the observations (default: the latest with data).")
@click.option("--industry-level", type=click.IntRange(min=1),
              help="Roll industries up to this level of their classification (1 = top).")
@click.option("--indicator", default="industrial-output-value", show_default=True,
              help="The indicator (its notation in tieskg's vocabulary).")
@click.option("--scheme", help="Keep one classification, e.g. gbt-4754-2017.")
@click.option("--min-index", type=float, default=0.0, show_default=True,
              help="Show only rows whose index is at least this (1: specialized).")
@_FORMAT
@_OUTPUT
@click.pass_obj
def specialization(obj, measure: str, year: str | None, industry_level: int | None,
                   indicator: str, scheme: str | None, min_index: float, fmt: str,
                   output: Path | None) -> None:
    """Which regions are specialized in which industries, from observations.

    \b
    LQ  = (x_ri / x_r) / (x_i / x): the industry's share of the region against its
          share of all regions observed; x_r is the region's total where an
          observation without industry gives it.
    RCA = the same ratio with every total summed over the region x industry matrix.
    An index of 1 or more means the region is specialized in the industry.
    """
    from tieskg.graph.analysis.industries import IndustryTree
    from tieskg.graph.analysis.observations import read_observations
    from tieskg.graph.analysis.specialization import (
        location_quotients,
        revealed_comparative_advantage,
    )
    from tieskg.namespaces import TKV

    store = obj.open_store()
    tree = IndustryTree.from_store(store)
    matrix = read_observations(store, indicator=TKV[f"indicator/{indicator}"], year=year,
                               industry_level=industry_level, scheme=scheme, tree=tree)
    if measure == "lq":
        grand = sum(matrix.totals.values()) if matrix.totals else None
        results = location_quotients(matrix.records, totals=matrix.totals,
                                     reference_total=grand)
    else:
        results = revealed_comparative_advantage(matrix.records)
    results = [r for r in results if r.index >= min_index]
    name = {"lq": "LQ", "rca": "RCA"}[measure]
    header = ["region", "region_name", "industry", "industry_name", "value", "region_total",
              "region_share", "reference_share", measure, "specialized"]
    rows = [[str(r.region), matrix.region_names.get(r.region, ""),
             tree.industries[r.industry].key if r.industry in tree.industries
             else str(r.industry), tree.label(r.industry), r.value, r.region_total,
             round(r.region_share, 6), round(r.reference_share, 6), round(r.index, 6),
             r.specialized] for r in results]
    table = Table(title=f"{name} of {indicator} in {matrix.year} ({len(rows)} rows)",
                  title_justify="left")
    for column in ("region", "industry", "name", "value", "share of region", "share of all",
                   name):
        table.add_column(column, justify="right" if column[0] in "vsLR" else "left",
                         no_wrap=column != "name", min_width=8 if column == "name" else None)
    for r, row in zip(results, rows, strict=True):
        style = "bold green" if r.specialized else ""
        label = tree.industries[r.industry].name_zh if r.industry in tree.industries else ""
        table.add_row(row[1], row[2], label, _compact(r.value), f"{r.region_share:.1%}",
                      f"{r.reference_share:.1%}", f"[{style}]{r.index:.2f}[/]" if style
                      else f"{r.index:.2f}")
    document = {"measure": measure, "indicator": indicator, "year": matrix.year,
                "unit": str(matrix.unit) if matrix.unit else None,
                "left_out": dict(matrix.left_out),
                "rows": [dict(zip(header, row, strict=True)) for row in rows]}
    _emit(fmt, output, table, header, rows, document)
    if matrix.left_out and fmt == "table":
        from tieskg.cli import console

        console.print("left out: " + ", ".join(f"{n} ({k})" for k, n in
                                               matrix.left_out.items()))


def _compact(value: float) -> str:
    """1234 -> 1.23k, 8.4e10 -> 84.0bn: values of any scale, readable in a table."""
    for power, suffix in ((12, "tn"), (9, "bn"), (6, "M"), (3, "k")):
        if abs(value) >= 10 ** power:
            return f"{value / 10 ** power:,.3g}{suffix}"
    return f"{value:,.3g}"


@analyze.command()
@_FORMAT
@_OUTPUT
def chains(fmt: str, output: Path | None) -> None:
    """List the industry-chain templates shipped with tieskg, with their segments."""
    from tieskg.loaders.chains import load_chain, template_paths

    templates = [load_chain(path) for path in template_paths().values()]
    header = ["chain", "name_zh", "name_en", "position", "segment", "segment_zh",
              "segment_en", "industries", "provenance"]
    rows = [[c.id, c.name_zh, c.name_en, i, s.id, s.name_zh, s.name_en,
             " ".join(s.industries), s.provenance]
            for c in templates for i, s in enumerate(c.segments, start=1)]
    table = Table(title="Industry-chain templates (tieskg analyze chain-gaps CHAIN REGION)",
                  title_justify="left", show_lines=True)
    for column in ("chain", "segments (upstream first)", "industries", "provenance"):
        table.add_column(column)
    for c in templates:
        table.add_row(f"[b]{c.id}[/b]\n{c.name_zh}\n{c.name_en}",
                      "\n".join(f"{i}. {s.name_zh} {s.name_en}"
                                for i, s in enumerate(c.segments, start=1)),
                      "\n".join(" ".join(s.industries) for s in c.segments),
                      "\n".join(s.provenance for s in c.segments))
    document = [{"id": c.id, "name": {"zh": c.name_zh, "en": c.name_en},
                 "segments": [{"id": s.id, "name": {"zh": s.name_zh, "en": s.name_en},
                               "industries": list(s.industries), "source": s.source,
                               "judgement": None if s.source else "project", "note": s.note}
                              for s in c.segments]} for c in templates]
    _emit(fmt, output, table, header, rows, document)


@analyze.command("chain-gaps")
@click.argument("chain")
@click.argument("region")
@click.option("--partner", help="A partner region (code, name such as 上海市, or IRI): "
                                "segments it has are not counted as missing.")
@click.option("--picture", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw the segment x region matrix as a PNG here.")
@_FORMAT
@_OUTPUT
@click.pass_obj
def chain_gaps(obj, chain: str, region: str, partner: str | None, picture: Path | None,
               fmt: str, output: Path | None) -> None:
    """Which segments of CHAIN REGION has, its partner has, or neither has.

    CHAIN is a template id (see `tieskg analyze chains`) or a template YAML file; REGION
    a division code (330604), a name (上虞区, 绍兴市/上虞区, Shangyu) or an IRI. Evidence is
    the organizations, facilities and parks with a segment's industry (or one below it)
    in the region or in its subdivisions. An industry of another classification counts
    through the crosswalks (exact, close and broad matches: an ISIC or SEI code for a
    GB/T segment); related matches do not. Missing segments are investment-attraction
    targets.
    """
    from tieskg.graph.analysis.chain_gaps import chain_gaps as run
    from tieskg.graph.analysis.chain_gaps import read_evidence
    from tieskg.graph.analysis.industries import IndustryTree
    from tieskg.loaders.chains import find_template, load_chain
    from tieskg.loaders.resolve import Resolver

    store = obj.open_store()
    tree = IndustryTree.from_store(store)
    template = load_chain(find_template(chain), tree.by_key)
    resolver = Resolver.from_store(store)
    region_iri, region_name = _region(resolver, region, "REGION")
    partner_iri, partner_name = (_region(resolver, partner, "--partner") if partner
                                 else (None, None))
    gaps = run(template, tree.by_key, read_evidence(store, region_iri),
               read_evidence(store, partner_iri) if partner_iri else [],
               ancestors=tree.counted_for)
    header = ["position", "segment", "segment_zh", "segment_en", "industries", "status",
              "local_evidence", "partner_evidence", "local_iris", "partner_iris", "provenance"]
    rows = [[g.position, g.segment.id, g.segment.name_zh, g.segment.name_en,
             " ".join(g.segment.industries), g.status, len(g.local), len(g.partner),
             " ".join(str(e.thing) for e in g.local), " ".join(str(e.thing) for e in g.partner),
             g.segment.provenance] for g in gaps]
    table = Table(title=f"{template.name_zh} {template.name_en}: {region_name}"
                        + (f" with partner {partner_name}" if partner_name else ""),
                  title_justify="left", show_lines=True)
    for column in ("#", "segment", "status", f"in {region_name}",
                   f"in {partner_name}" if partner_name else "partner"):
        table.add_column(column, overflow="fold", no_wrap=column == "status")
    colour = {"present-locally": "green", "present-in-partner": "yellow", "missing": "red"}
    for g in gaps:
        table.add_row(str(g.position), f"{g.segment.name_zh}\n{g.segment.name_en}",
                      f"[{colour[g.status]}]{g.status}[/]", _evidence_text(g.local),
                      _evidence_text(g.partner))
    document = {"chain": template.id, "region": str(region_iri), "region_name": region_name,
                "partner": str(partner_iri) if partner_iri else None,
                "partner_name": partner_name,
                "segments": [{"position": g.position, "id": g.segment.id,
                              "name": {"zh": g.segment.name_zh, "en": g.segment.name_en},
                              "industries": list(g.segment.industries), "status": g.status,
                              "provenance": g.segment.provenance,
                              "local": [_evidence_json(e, tree) for e in g.local],
                              "partner": [_evidence_json(e, tree) for e in g.partner]}
                             for g in gaps]}
    _emit(fmt, output, table, header, rows, document)
    if picture is not None:
        from tieskg.cli import errors
        from tieskg.graph.analysis.gap_picture import draw_gap_matrix

        draw_gap_matrix(template, gaps, region_name, partner_name, picture)
        errors.print(f"wrote {picture}")


def _evidence_text(evidence) -> str:
    shown = [f"{e.name} ({e.type})" for e in evidence[:5]]
    if len(evidence) > 5:
        shown.append(f"… {len(evidence) - 5} more")
    return "\n".join(shown) or "—"


def _evidence_json(e, tree) -> dict:
    return {"iri": str(e.thing), "kind": e.kind, "type": e.type, "name": e.name,
            "industry": tree.label(e.industry), "industry_iri": str(e.industry),
            "located_in": str(e.place), "graph": e.graph}
