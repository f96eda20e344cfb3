"""Generate the reference documentation of the tieskg ontology (``docs/ontology.md``).

The Markdown is built from ``tieskg.ttl`` and ``vocabularies.ttl`` alone and is
deterministic: the same graphs always give the same bytes, so a test can tell whether
the committed file is current.

Usage::

    python -m tieskg.ontology.docs -o docs/ontology.md        # (re)write the file
    python -m tieskg.ontology.docs --check docs/ontology.md   # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from tieskg.namespaces import PREFIXES, QB, TK, TKV

__all__ = [
    "CLASS_SECTIONS",
    "check_docs",
    "generate_markdown",
    "main",
    "render_markdown",
    "unsectioned_classes",
    "write_docs",
]

VANN = Namespace("http://purl.org/vocab/vann/")

#: The sections classes are documented in, in order, with the local names of their
#: classes in reading order (general before specific). Every ``tk:`` class must appear
#: exactly once (a test checks this).
CLASS_SECTIONS: dict[str, tuple[str, ...]] = {
    "Regions": (
        "Region",
        "AdministrativeDivision",
        "Country",
        "ProvinceLevelDivision",
        "PrefectureLevelDivision",
        "CountyLevelDivision",
        "TownshipLevelDivision",
        "EconomicArea",
        "DivisionType",
    ),
    "Industries": ("Industry", "IndustryClassification"),
    "Parks": ("IndustrialPark", "ParkLevel", "ParkKind"),
    "Organizations and facilities": (
        "Organization",
        "Company",
        "GovernmentBody",
        "ResearchInstitute",
        "University",
        "MediaOrganization",
        "Person",
        "Facility",
        "RDCentre",
        "ManufacturingPlant",
        "Headquarters",
    ),
    "Ties": (
        "Tie",
        "RegionPairRelation",
        "RegionalTie",
        "RDManufacturingTie",
        "SupplyTie",
        "CooperationTie",
        "TalentFlow",
        "InvestmentTie",
        "IndustryTie",
        "IndustrySupplyTie",
        "TravelTime",
        "TieStatus",
        "TravelMode",
    ),
    "Statistics": (
        "Observation",
        "StatisticalDataset",
        "Indicator",
        "Unit",
        "StatisticalPopulation",
        "ValueQualifier",
    ),
    "Events and sources": (
        "Event",
        "Forum",
        "Delegation",
        "Quotation",
        "Source",
        "NewsArticle",
        "OfficialDocument",
        "ReferenceWork",
        "DataFile",
        "SourceGraph",
    ),
}

#: Section for ``tk:`` classes missing from :data:`CLASS_SECTIONS` (the test fails on them).
UNSECTIONED = "Other classes"

_CHARACTERISTICS: tuple[tuple[URIRef, str], ...] = (
    (OWL.FunctionalProperty, "functional"),
    (OWL.InverseFunctionalProperty, "inverse functional"),
    (OWL.TransitiveProperty, "transitive"),
    (OWL.SymmetricProperty, "symmetric"),
    (OWL.AsymmetricProperty, "asymmetric"),
    (OWL.ReflexiveProperty, "reflexive"),
    (OWL.IrreflexiveProperty, "irreflexive"),
)

_NAMESPACES: tuple[tuple[str, str], ...] = tuple(
    sorted({**PREFIXES, "vann": str(VANN)}.items(), key=lambda item: (-len(item[1]), item[0]))
)

_TK_MENTION = re.compile(r"\btk:([A-Za-z][A-Za-z0-9_]*)")


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _curie(iri: Node) -> str:
    """The CURIE of ``iri`` with tieskg's prefixes, or ``<iri>`` if none applies.

    >>> _curie(TK.Region)
    'tk:Region'
    >>> _curie(URIRef("https://example.org/x"))
    '<https://example.org/x>'
    """
    text = str(iri)
    for prefix, namespace in _NAMESPACES:
        if text.startswith(namespace) and len(text) > len(namespace):
            return f"{prefix}:{text[len(namespace) :]}"
    return f"<{text}>"


def _local(iri: Node) -> str:
    """The local name of a ``tk:`` IRI."""
    return str(iri)[len(str(TK)) :]


def _is_tk(node: Node) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(str(TK)) and node != URIRef(str(TK))


def _text(value: Node | str) -> str:
    """One line of Markdown text: whitespace collapsed, table pipes escaped.

    >>> _text("a  |\\n b")
    'a \\\\| b'
    """
    return " ".join(str(value).split()).replace("|", "\\|")


def _literal(graph: Graph, subject: Node, predicate: URIRef, lang: str | None = None) -> str:
    """The first (sorted) literal value of ``predicate`` in language ``lang``, or ``""``."""
    values = sorted(
        str(o)
        for o in graph.objects(subject, predicate)
        if isinstance(o, Literal) and (lang is None or o.language == lang)
    )
    return values[0] if values else ""


def _labels(graph: Graph, iri: Node, predicate: URIRef, *, bold: bool = False) -> str:
    """``english · 中文`` from the ``@en`` and ``@zh`` values of ``predicate``."""
    en = _text(_literal(graph, iri, predicate, "en"))
    zh = _text(_literal(graph, iri, predicate, "zh"))
    if en and bold:
        en = f"**{en}**"
    return " · ".join(part for part in (en, zh) if part)


def _sorted_iris(nodes: Iterable[Node]) -> list[URIRef]:
    """The IRIs among ``nodes``, deduplicated and sorted by CURIE."""
    return sorted({n for n in nodes if isinstance(n, URIRef)}, key=lambda n: (_curie(n), str(n)))


def _class_anchor(iri: Node) -> str:
    return f"class-{_local(iri)}"


def _property_anchor(iri: Node) -> str:
    return f"property-{_local(iri)}"


class _Terms:
    """Index of the ontology's ``tk:`` classes and properties, for linking."""

    def __init__(self, ontology: Graph) -> None:
        self.graph = ontology
        self.classes = _sorted_iris(s for s in ontology.subjects(RDF.type, OWL.Class) if _is_tk(s))
        self.object_properties = _sorted_iris(
            s for s in ontology.subjects(RDF.type, OWL.ObjectProperty) if _is_tk(s)
        )
        self.datatype_properties = _sorted_iris(
            s for s in ontology.subjects(RDF.type, OWL.DatatypeProperty) if _is_tk(s)
        )
        self.properties = _sorted_iris([*self.object_properties, *self.datatype_properties])
        self._class_set = set(self.classes)
        self._property_set = set(self.properties)

    def link(self, iri: Node) -> str:
        """A Markdown link to a documented term, or the term as code."""
        if iri in self._class_set:
            return f"[`{_curie(iri)}`](#{_class_anchor(iri)})"
        if iri in self._property_set:
            return f"[`{_curie(iri)}`](#{_property_anchor(iri)})"
        return f"`{_curie(iri)}`"

    def links(self, iris: Iterable[Node], empty: str = "—") -> str:
        items = [self.link(i) for i in _sorted_iris(iris)]
        return ", ".join(items) if items else empty

    def linkify(self, text: str) -> str:
        """``text`` with mentions of documented ``tk:`` terms turned into links."""

        def replace(match: re.Match[str]) -> str:
            iri = TK[match.group(1)]
            if iri in self._class_set or iri in self._property_set:
                return self.link(iri)
            return match.group(0)

        return _TK_MENTION.sub(replace, text)

    def labels(self, iri: Node) -> str:
        """The ``rdfs:label`` of a term, English in bold, then Chinese."""
        return _labels(self.graph, iri, RDFS.label, bold=True)

    def definition(self, iri: Node) -> str:
        return self.linkify(_text(_literal(self.graph, iri, SKOS.definition, "en")))


# --------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------


def unsectioned_classes(ontology: Graph) -> list[URIRef]:
    """``tk:`` classes of ``ontology`` that :data:`CLASS_SECTIONS` does not place."""
    placed = {TK[name] for names in CLASS_SECTIONS.values() for name in names}
    return [c for c in _Terms(ontology).classes if c not in placed]


def _class_groups(terms: _Terms) -> list[tuple[str, list[URIRef]]]:
    present = set(terms.classes)
    groups = [
        (title, [TK[name] for name in names if TK[name] in present])
        for title, names in CLASS_SECTIONS.items()
    ]
    other = unsectioned_classes(terms.graph)
    if other:
        groups.append((UNSECTIONED, other))
    return [(title, members) for title, members in groups if members]


def _section_anchor(title: str) -> str:
    """``Organizations and facilities`` -> ``section-organizations-and-facilities``."""
    return "section-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _disjoint_classes(graph: Graph, cls: URIRef) -> list[URIRef]:
    found: set[Node] = set(graph.objects(cls, OWL.disjointWith))
    found |= set(graph.subjects(OWL.disjointWith, cls))
    for axiom in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        for members_list in graph.objects(axiom, OWL.members):
            members = list(Collection(graph, members_list))
            if cls in members:
                found |= set(members)
    found.discard(cls)
    return _sorted_iris(found)


def _render_header(ontology: Graph, vocabularies: Graph, terms: _Terms) -> list[str]:
    onto = next(iter(sorted(ontology.subjects(RDF.type, OWL.Ontology))), None)
    title = _literal(ontology, onto, DCTERMS.title, "en") if onto else ""
    title_zh = _literal(ontology, onto, DCTERMS.title, "zh") if onto else ""
    namespace = _literal(ontology, onto, VANN.preferredNamespaceUri) if onto else ""
    prefix = _literal(ontology, onto, VANN.preferredNamespacePrefix) if onto else ""
    version = _literal(ontology, onto, OWL.versionInfo) if onto else ""
    version_iri = next(iter(sorted(ontology.objects(onto, OWL.versionIRI))), None) if onto else None
    licenses = sorted(str(o) for o in ontology.objects(onto, DCTERMS.license)) if onto else []
    description = _literal(ontology, onto, DCTERMS.description, "en") if onto else ""
    schemes = sorted(vocabularies.subjects(RDF.type, SKOS.ConceptScheme))

    lines = [
        "<!-- Generated by `python -m tieskg.ontology.docs -o docs/ontology.md` from",
        "     ontology/tieskg.ttl and ontology/vocabularies.ttl. Do not edit by hand. -->",
        "",
        f"# {_text(title) or 'tieskg ontology'}",
        "",
    ]
    if title_zh:
        lines += [_text(title_zh), ""]
    lines += ["| | |", "|---|---|"]
    if onto is not None:
        lines.append(f"| Ontology IRI | `{onto}` |")
    if namespace:
        lines.append(f"| Namespace | `{namespace}` (prefix `{prefix or 'tk'}:`) |")
    if version:
        suffix = f" (`{version_iri}`)" if version_iri is not None else ""
        lines.append(f"| Version | {_text(version)}{suffix} |")
    for license_iri in licenses:
        lines.append(f"| License | <{license_iri}> |")
    lines.append(
        f"| Terms | {len(terms.classes)} classes, {len(terms.object_properties)} object "
        f"properties, {len(terms.datatype_properties)} datatype properties, "
        f"{len(schemes)} controlled vocabularies |"
    )
    lines.append("")
    if description:
        lines += [terms.linkify(_text(description)), ""]
    return lines


def _render_toc(terms: _Terms, vocabularies: Graph) -> list[str]:
    lines = ["## Contents", "", "- [Classes](#classes)"]
    for title, members in _class_groups(terms):
        links = ", ".join(f"[{_local(c)}](#{_class_anchor(c)})" for c in members)
        lines.append(f"  - [{title}](#{_section_anchor(title)}): {links}")
    lines.append("- [Object properties](#object-properties)")
    lines.append("- [Datatype properties](#datatype-properties)")
    lines.append("- [Controlled vocabularies](#controlled-vocabularies)")
    for scheme in _schemes(vocabularies):
        label = _text(_literal(vocabularies, scheme, SKOS.prefLabel, "en")) or _curie(scheme)
        lines.append(f"  - [{label}](#{_scheme_anchor(scheme)})")
    if _structures(vocabularies):
        lines.append("- [Data Cube structures](#data-cube-structures)")
    lines.append("- [Reused terms](#reused-terms)")
    lines.append("")
    return lines


def _render_classes(terms: _Terms) -> list[str]:
    graph = terms.graph
    lines = ["## Classes", ""]
    for title, members in _class_groups(terms):
        lines += [f'### <a id="{_section_anchor(title)}"></a>{title}', ""]
        for cls in members:
            subclasses = [s for s in graph.subjects(RDFS.subClassOf, cls) if _is_tk(s)]
            domain_of = [p for p in terms.properties if cls in set(graph.objects(p, RDFS.domain))]
            range_of = [p for p in terms.properties if cls in set(graph.objects(p, RDFS.range))]
            lines += [f'#### <a id="{_class_anchor(cls)}"></a>{_curie(cls)}', ""]
            lines += [terms.labels(cls), ""]
            definition = terms.definition(cls)
            if definition:
                lines += [definition, ""]
            lines += [
                f"- IRI: `{cls}`",
                f"- Superclasses: {terms.links(graph.objects(cls, RDFS.subClassOf))}",
                f"- Subclasses: {terms.links(subclasses)}",
                f"- Disjoint with: {terms.links(_disjoint_classes(graph, cls))}",
                f"- Properties (domain): {terms.links(domain_of)}",
                f"- Used as range of: {terms.links(range_of)}",
                "",
            ]
    return lines


def _render_properties(terms: _Terms, kind: str, properties: Sequence[URIRef]) -> list[str]:
    graph = terms.graph
    anchor = kind.lower().replace(" ", "-")
    lines = [f'## <a id="{anchor}"></a>{kind}', ""]
    for prop in properties:
        types = set(graph.objects(prop, RDF.type))
        characteristics = [name for iri, name in _CHARACTERISTICS if iri in types]
        inverses = {*graph.objects(prop, OWL.inverseOf), *graph.subjects(OWL.inverseOf, prop)}
        subproperties = [s for s in graph.subjects(RDFS.subPropertyOf, prop) if _is_tk(s)]
        lines += [f'### <a id="{_property_anchor(prop)}"></a>{_curie(prop)}', ""]
        lines += [terms.labels(prop), ""]
        definition = terms.definition(prop)
        if definition:
            lines += [definition, ""]
        lines += [
            f"- IRI: `{prop}`",
            f"- Domain: {terms.links(graph.objects(prop, RDFS.domain), 'not restricted')}",
            f"- Range: {terms.links(graph.objects(prop, RDFS.range), 'not restricted')}",
            f"- Characteristics: {', '.join(characteristics) or '—'}",
            f"- Super-properties: {terms.links(graph.objects(prop, RDFS.subPropertyOf))}",
            f"- Sub-properties: {terms.links(subproperties)}",
        ]
        if inverses:
            lines.append(f"- Inverse of: {terms.links(inverses)}")
        lines.append("")
    return lines


# --------------------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------------------


def _schemes(vocabularies: Graph) -> list[URIRef]:
    return _sorted_iris(vocabularies.subjects(RDF.type, SKOS.ConceptScheme))


def _structures(vocabularies: Graph) -> list[URIRef]:
    return _sorted_iris(vocabularies.subjects(RDF.type, QB.DataStructureDefinition))


def _scheme_anchor(scheme: Node) -> str:
    text = str(scheme)
    local = text[len(str(TKV)) :] if text.startswith(str(TKV)) else _curie(scheme)
    return "vocab-" + re.sub(r"[^A-Za-z0-9]+", "-", local).strip("-")


def _notation(graph: Graph, concept: Node) -> str:
    return _literal(graph, concept, SKOS.notation)


def _render_vocabularies(terms: _Terms, vocabularies: Graph) -> list[str]:
    lines = ["## Controlled vocabularies", ""]
    for header in _sorted_iris(vocabularies.subjects(DCTERMS.title, None)):
        if (header, RDF.type, SKOS.ConceptScheme) in vocabularies:
            continue
        names = _labels(vocabularies, header, DCTERMS.title, bold=True)
        description = _text(_literal(vocabularies, header, DCTERMS.description, "en"))
        lines.append(f"{names} (`{_curie(header)}`)")
        if description:
            lines += ["", description]
        lines.append("")

    for scheme in _schemes(vocabularies):
        concepts = sorted(
            set(vocabularies.subjects(SKOS.inScheme, scheme)),
            key=lambda c: (_notation(vocabularies, c).casefold(), str(c)),
        )
        classes = _sorted_iris(
            t for c in concepts for t in vocabularies.objects(c, RDF.type) if t != SKOS.Concept
        )
        used_by = [
            p
            for p in terms.object_properties
            if set(classes) & set(terms.graph.objects(p, RDFS.range))
        ]
        extra = sorted(
            {p for c in concepts for p in vocabularies.predicates(c, None) if _is_tk(p)},
            key=_curie,
        )
        has_notes = any((c, SKOS.note, None) in vocabularies for c in concepts)

        label = _labels(vocabularies, scheme, SKOS.prefLabel) or _curie(scheme)
        lines += [f'### <a id="{_scheme_anchor(scheme)}"></a>{label}', ""]
        lines.append(f"- IRI: `{scheme}` (`{_curie(scheme)}`)")
        lines.append(f"- Concepts are instances of: {terms.links(classes)}")
        lines.append(f"- Values of: {terms.links(used_by)}")
        lines.append("")
        header = ["Notation", "Concept", "English", "中文", "Definition"]
        header += [f"`{_curie(p)}`" for p in extra]
        if has_notes:
            header.append("Note")
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for concept in concepts:
            row = [
                f"`{_text(_notation(vocabularies, concept))}`",
                f"`{_curie(concept)}`",
                _text(_literal(vocabularies, concept, SKOS.prefLabel, "en")),
                _text(_literal(vocabularies, concept, SKOS.prefLabel, "zh")),
                terms.linkify(_text(_literal(vocabularies, concept, SKOS.definition, "en"))),
            ]
            row += [
                ", ".join(sorted(_text(o) for o in vocabularies.objects(concept, p))) for p in extra
            ]
            if has_notes:
                row.append(_text(_literal(vocabularies, concept, SKOS.note, "en")))
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return lines


_COMPONENT_KINDS: tuple[tuple[URIRef, str], ...] = (
    (QB.dimension, "dimension"),
    (QB.measure, "measure"),
    (QB.attribute, "attribute"),
)


def _render_structures(terms: _Terms, vocabularies: Graph) -> list[str]:
    structures = _structures(vocabularies)
    if not structures:
        return []
    lines = ["## Data Cube structures", ""]
    for dsd in structures:
        label = _labels(vocabularies, dsd, RDFS.label) or _curie(dsd)
        lines += [f"### {label}", "", f"- IRI: `{dsd}` (`{_curie(dsd)}`)", ""]
        rows = []
        for component in set(vocabularies.objects(dsd, QB.component)):
            for rank, (predicate, kind) in enumerate(_COMPONENT_KINDS):
                for prop in vocabularies.objects(component, predicate):
                    order = _literal(vocabularies, component, QB.order)
                    required = _literal(vocabularies, component, QB.componentRequired)
                    rows.append(
                        (
                            rank,
                            int(order) if order.lstrip("-").isdigit() else 1 << 30,
                            _curie(prop),
                            [kind, order or "—", terms.link(prop), required or "—"],
                        )
                    )
        lines += ["| Kind | Order | Property | Required |", "|---|---|---|---|"]
        for *_, row in sorted(rows, key=lambda r: r[:3]):
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return lines


def _render_reused(ontology: Graph) -> list[str]:
    kinds = (
        (OWL.Class, "class"),
        (OWL.ObjectProperty, "object property"),
        (OWL.DatatypeProperty, "datatype property"),
        (OWL.AnnotationProperty, "annotation property"),
    )
    lines = [
        "## Reused terms",
        "",
        "Terms of standard vocabularies that tieskg subclasses, subproperties or uses. "
        "They are declared in the ontology, not imported.",
        "",
        "| Term | Kind | Label |",
        "|---|---|---|",
    ]
    rows = []
    for type_, kind in kinds:
        for term in ontology.subjects(RDF.type, type_):
            if isinstance(term, URIRef) and not _is_tk(term):
                label = _text(_literal(ontology, term, RDFS.label, "en"))
                rows.append((_curie(term), kind, label))
    for curie, kind, label in sorted(set(rows)):
        lines.append(f"| `{curie}` | {kind} | {label} |")
    lines.append("")
    return lines


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def render_markdown(ontology: Graph, vocabularies: Graph) -> str:
    """Reference documentation of ``ontology`` and its ``vocabularies`` as Markdown."""
    terms = _Terms(ontology)
    lines: list[str] = []
    lines += _render_header(ontology, vocabularies, terms)
    lines += _render_toc(terms, vocabularies)
    lines += _render_classes(terms)
    lines += _render_properties(terms, "Object properties", terms.object_properties)
    lines += _render_properties(terms, "Datatype properties", terms.datatype_properties)
    lines += _render_vocabularies(terms, vocabularies)
    lines += _render_structures(terms, vocabularies)
    lines += _render_reused(ontology)
    text = "\n".join(line.rstrip() for line in lines)
    return text.rstrip("\n") + "\n"


def _load(resource: Traversable) -> Graph:
    graph = Graph()
    graph.parse(data=resource.read_text(encoding="utf-8"), format="turtle")
    return graph


def generate_markdown() -> str:
    """The documentation of the ontology and vocabularies shipped with this package."""
    from tieskg.ontology import ontology_path, vocabularies_path

    return render_markdown(_load(ontology_path()), _load(vocabularies_path()))


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_docs(path: Path) -> None:
    """Write the generated documentation to ``path`` (atomically)."""
    _write_atomically(Path(path), generate_markdown())


def check_docs(path: Path) -> bool:
    """Whether ``path`` exists and holds exactly what :func:`write_docs` would write."""
    path = Path(path)
    if not path.is_file():
        return False
    current = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    return current == generate_markdown()


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``-o FILE`` writes the documentation, ``--check FILE`` verifies it."""
    parser = argparse.ArgumentParser(
        prog="python -m tieskg.ontology.docs",
        description="Generate the Markdown reference documentation of the tieskg ontology.",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("-o", "--output", type=Path, metavar="FILE", help="write it to FILE")
    action.add_argument(
        "--check", type=Path, metavar="FILE", help="exit 1 if FILE is not what -o would write"
    )
    args = parser.parse_args(argv)
    if args.output is not None:
        write_docs(args.output)
        print(f"wrote {args.output}")
        return 0
    if not check_docs(args.check):
        state = "is out of date" if args.check.is_file() else "does not exist"
        print(
            f"{args.check} {state}: run `python -m tieskg.ontology.docs -o {args.check}`",
            file=sys.stderr,
        )
        return 1
    print(f"{args.check} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
