"""The namespaces tieskg mints and the standard vocabularies it reuses.

Every IRI prefix used in Python lives here; SPARQL files declare their own
``PREFIX`` lines with the same values.

>>> str(TK.Region)
'https://w3id.org/tieskg/ontology#Region'
>>> str(graph_iri("source", "shine-2023-03-21"))
'https://w3id.org/tieskg/graph/source/shine-2023-03-21'
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

#: The tieskg ontology (classes and properties).
TK = Namespace("https://w3id.org/tieskg/ontology#")
#: tieskg's controlled vocabularies (division types, park levels, indicators, units, ...).
TKV = Namespace("https://w3id.org/tieskg/vocab/")
#: Real-world things described by tieskg data (regions, parks, organizations, ...).
TKID = Namespace("https://w3id.org/tieskg/id/")
#: Named graphs: one per source, plus ontology, vocabularies and derived graphs.
TKG = Namespace("https://w3id.org/tieskg/graph/")
#: Synthetic and illustrative data: never real, always in its own graph.
TKSYN = Namespace("https://w3id.org/tieskg/synthetic/")

ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
WGS = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
QB = Namespace("http://purl.org/linked-data/cube#")
SDMX_DIM = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SDMX_ATT = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
SDMX_MEAS = Namespace("http://purl.org/linked-data/sdmx/2009/measure#")
TIME = Namespace("http://www.w3.org/2006/time#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SH = Namespace("http://www.w3.org/ns/shacl#")
VOID = Namespace("http://rdfs.org/ns/void#")

#: Prefixes bound when serializing and offered to SPARQL users.
PREFIXES: dict[str, str] = {
    "tk": str(TK),
    "tkv": str(TKV),
    "tkid": str(TKID),
    "tkg": str(TKG),
    "tksyn": str(TKSYN),
    "org": str(ORG),
    "schema": str(SCHEMA),
    "geo": str(GEO),
    "wgs": str(WGS),
    "qb": str(QB),
    "sdmx-dimension": str(SDMX_DIM),
    "sdmx-attribute": str(SDMX_ATT),
    "sdmx-measure": str(SDMX_MEAS),
    "time": str(TIME),
    "foaf": str(FOAF),
    "prov": str(PROV),
    "skos": str(SKOS),
    "dct": str(DCTERMS),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "sh": str(SH),
    "void": str(VOID),
}

#: Graphs that hold schema rather than data.
ONTOLOGY_GRAPH = TKG["ontology"]
VOCABULARIES_GRAPH = TKG["vocabularies"]
#: Region-level ties derived from organization and facility evidence.
DERIVED_GRAPH = TKG["derived"]
#: The size of every other named graph (void:triples), recorded by the build.
STATISTICS_GRAPH = TKG["statistics"]


def graph_iri(kind: str, name: str) -> URIRef:
    """The IRI of a named graph of ``kind`` (``source``, ``load``, ...) called ``name``."""
    return URIRef(f"{TKG}{kind}/{name}")
