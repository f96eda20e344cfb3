"""The record kinds a tieskg dataset holds, and how each field maps to the ontology.

A kind is the top-level key of a dataset file (``regions:``, ``parks:``, ...); each of
its records is a mapping whose fields are listed here. This table is the one place
that says how a record becomes RDF; :mod:`tieskg.loaders.records` applies it.

Field value kinds:

- ``text``: a language map ``{en: ..., zh: ...}`` (a plain string is English);
  ``texts`` allows a list per language.
- ``string``, ``decimal``, ``integer``, ``url``, ``date`` (a date, date-time or year).
- ``ref:KIND``: the ``id`` of another record of that kind (regions also by code).
- ``vocab:CLASS``: the ``skos:notation`` of a controlled value of that tk: class.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from tieskg.namespaces import ORG, QB, SCHEMA, TIME, TK, WGS


@dataclass(frozen=True)
class Field:
    """One field of a record: its YAML key, the predicate it becomes and its value kind."""

    key: str
    predicate: URIRef
    kind: str
    required: bool = False
    many: bool = False


@dataclass(frozen=True)
class Kind:
    """A kind of record: where its IRIs live, which classes its ``type`` selects, its fields."""

    name: str
    iri_path: str
    types: dict[str, URIRef]
    fields: tuple[Field, ...]
    default_type: str | None = None
    #: Triples every record of this kind gets, as (predicate, object).
    constants: tuple[tuple[URIRef, URIRef], ...] = ()

    def field_named(self, key: str) -> Field | None:
        """The field for YAML key ``key``, if any."""
        return next((f for f in self.fields if f.key == key), None)


NAME = Field("name", SKOS.prefLabel, "text", required=True)
ALT_NAMES = Field("alt_names", SKOS.altLabel, "texts")
DESCRIPTION = Field("description", DCTERMS.description, "text")
LOCATED_IN = Field("located_in", TK.locatedIn, "ref:regions")
INDUSTRY = Field("industry", TK.industry, "ref:industries", many=True)
START = Field("start", SCHEMA.startDate, "date")
END = Field("end", SCHEMA.endDate, "date")

SOURCES = Kind(
    "sources",
    "source",
    {
        "news-article": TK.NewsArticle,
        "official-document": TK.OfficialDocument,
        "reference-work": TK.ReferenceWork,
        "data-file": TK.DataFile,
    },
    (
        Field("title", DCTERMS.title, "text", required=True),
        Field("url", SCHEMA.url, "url"),
        Field("publisher", DCTERMS.publisher, "ref:organizations"),
        Field("author", DCTERMS.creator, "ref:people", many=True),
        Field("issued", DCTERMS.issued, "date"),
        Field("modified", DCTERMS.modified, "date"),
        Field("rows_read", TK.rowsRead, "integer"),
        Field("rows_loaded", TK.rowsLoaded, "integer"),
        Field("rows_quarantined", TK.rowsQuarantined, "integer"),
        Field("identifier", DCTERMS.identifier, "string"),
        Field("language", DCTERMS.language, "string"),
        DESCRIPTION,
    ),
)

REGIONS = Kind(
    "regions",
    "region",
    {
        "country": TK.Country,
        "province-level": TK.ProvinceLevelDivision,
        "prefecture-level": TK.PrefectureLevelDivision,
        "county-level": TK.CountyLevelDivision,
        "township-level": TK.TownshipLevelDivision,
        "economic-area": TK.EconomicArea,
    },
    (
        NAME,
        # a label in Latin script (Hanyu Pinyin, say) from a source other than the name's
        Field("romanized_name", SKOS.prefLabel, "text"),
        ALT_NAMES,
        Field("code", TK.divisionCode, "string"),
        Field("division_type", TK.divisionType, "vocab:DivisionType"),
        Field("parent", TK.parentDivision, "ref:regions"),
        Field("members", TK.memberRegion, "ref:regions", many=True),
        Field("valid_from", SCHEMA.validFrom, "date"),
        Field("valid_through", SCHEMA.validThrough, "date"),
        Field("replaces", DCTERMS.replaces, "ref:regions", many=True),
        Field("lat", WGS.lat, "decimal"),
        Field("long", WGS.long, "decimal"),
        Field("targets", TK.targetsIndustry, "ref:industries", many=True),
        DESCRIPTION,
    ),
)

INDUSTRY_SCHEMES = Kind(
    "industry_schemes",
    "scheme",
    {"classification": TK.IndustryClassification},
    (NAME, Field("notation", SKOS.notation, "string"), DESCRIPTION),
    default_type="classification",
)

INDUSTRIES = Kind(
    "industries",
    "industry",
    {"industry": TK.Industry},
    (
        NAME,
        ALT_NAMES,
        Field("scheme", SKOS.inScheme, "ref:industry_schemes", required=True),
        Field("code", SKOS.notation, "string", required=True),
        Field("broader", SKOS.broader, "ref:industries"),
        Field("definition", SKOS.definition, "text"),
        # links to industries of other classifications (crosswalks), as SKOS mappings
        Field("close_match", SKOS.closeMatch, "ref:industries", many=True),
        Field("broad_match", SKOS.broadMatch, "ref:industries", many=True),
        Field("narrow_match", SKOS.narrowMatch, "ref:industries", many=True),
        Field("related_match", SKOS.relatedMatch, "ref:industries", many=True),
    ),
    default_type="industry",
)

PARKS = Kind(
    "parks",
    "park",
    {"park": TK.IndustrialPark},
    (
        NAME,
        ALT_NAMES,
        Field("level", TK.parkLevel, "vocab:ParkLevel"),
        Field("park_kind", TK.parkKind, "vocab:ParkKind", many=True),
        Field("located_in", TK.locatedIn, "ref:regions", required=True),
        Field("focus", TK.focusIndustry, "ref:industries", many=True),
        DESCRIPTION,
    ),
    default_type="park",
)

ORGANIZATIONS = Kind(
    "organizations",
    "org",
    {
        "company": TK.Company,
        "government-body": TK.GovernmentBody,
        "research-institute": TK.ResearchInstitute,
        "university": TK.University,
        "media": TK.MediaOrganization,
    },
    (
        NAME,
        ALT_NAMES,
        LOCATED_IN,
        Field("in_park", TK.inPark, "ref:parks"),
        Field("jurisdiction", TK.jurisdiction, "ref:regions"),
        Field("credit_code", TK.creditCode, "string"),
        INDUSTRY,
        DESCRIPTION,
    ),
)

PEOPLE = Kind(
    "people",
    "person",
    {"person": TK.Person},
    (
        NAME,
        Field("member_of", ORG.memberOf, "ref:organizations", many=True),
        Field("job_title", SCHEMA.jobTitle, "text"),
    ),
    default_type="person",
)

FACILITIES = Kind(
    "facilities",
    "facility",
    {
        "rd-centre": TK.RDCentre,
        "manufacturing-plant": TK.ManufacturingPlant,
        "headquarters": TK.Headquarters,
    },
    (
        NAME,
        Field("operated_by", TK.operatedBy, "ref:organizations", required=True),
        LOCATED_IN,
        Field("in_park", TK.inPark, "ref:parks"),
        INDUSTRY,
        DESCRIPTION,
    ),
)

TIES = Kind(
    "ties",
    "tie",
    {
        "rd-manufacturing": TK.RDManufacturingTie,
        "supply": TK.SupplyTie,
        "cooperation": TK.CooperationTie,
        "talent-flow": TK.TalentFlow,
        "investment": TK.InvestmentTie,
    },
    (
        NAME,
        Field("from", TK.fromRegion, "ref:regions"),
        Field("to", TK.toRegion, "ref:regions", required=True),
        Field("status", TK.tieStatus, "vocab:TieStatus", required=True),
        INDUSTRY,
        Field("promoted_by", TK.promotedBy, "ref:organizations", many=True),
        Field("evidence", TK.evidence, "ref:any", many=True),
        Field("supplier", TK.supplier, "ref:organizations"),
        Field("customer", TK.customer, "ref:organizations"),
        Field("product_industry", TK.productIndustry, "ref:industries", many=True),
        Field("investor", TK.investor, "ref:organizations", many=True),
        Field("investor_origin", TK.investorOrigin, "string"),
        Field("talent_category", TK.talentCategory, "string"),
        START,
        END,
        DESCRIPTION,
    ),
)

TRAVEL_TIMES = Kind(
    "travel_times",
    "travel-time",
    {"travel-time": TK.TravelTime},
    (
        NAME,
        Field("from", TK.fromRegion, "ref:regions", required=True),
        Field("to", TK.toRegion, "ref:regions", required=True),
        Field("mode", TK.travelMode, "vocab:TravelMode", required=True),
        Field("hours", TIME.numericDuration, "decimal", required=True),
        DESCRIPTION,
    ),
    default_type="travel-time",
    constants=((TIME.unitType, TIME.unitHour),),
)

POPULATIONS = Kind(
    "populations",
    "population",
    {"population": TK.StatisticalPopulation},
    (NAME, Field("criterion", TK.populationCriterion, "string", required=True)),
    default_type="population",
)

OBSERVATIONS = Kind(
    "observations",
    "obs",
    {"observation": TK.Observation},
    (
        Field("area", TK.refArea, "ref:regions", required=True),
        Field("period", TK.refPeriod, "date", required=True),
        Field("indicator", TK.indicator, "vocab:Indicator", required=True),
        Field("value", TK.value, "decimal", required=True),
        Field("unit", TK.unit, "vocab:Unit", required=True),
        Field("multiplier", TK.unitMultiplier, "integer", required=True),
        Field("qualifier", TK.valueQualifier, "vocab:ValueQualifier"),
        Field("population", TK.population, "ref:populations"),
        INDUSTRY,
        DESCRIPTION,
    ),
    default_type="observation",
)

EVENTS = Kind(
    "events",
    "event",
    {"event": TK.Event, "forum": TK.Forum, "delegation": TK.Delegation},
    (
        NAME,
        LOCATED_IN,
        START,
        END,
        Field("part_of", SCHEMA.superEvent, "ref:events"),
        Field("speakers", TK.speaker, "ref:people", many=True),
        Field("about", TK.aboutRegion, "ref:regions", many=True),
        DESCRIPTION,
    ),
)

QUOTATIONS = Kind(
    "quotations",
    "quote",
    {"quotation": TK.Quotation},
    (
        Field("text", SCHEMA.text, "text", required=True),
        Field("spoken_by", TK.spokenBy, "ref:people", required=True),
        Field("at_event", TK.atEvent, "ref:events"),
        Field("about", TK.aboutRegion, "ref:regions", many=True),
    ),
    default_type="quotation",
)

#: Every kind, in the order records are minted (references may point anywhere).
KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        SOURCES,
        REGIONS,
        INDUSTRY_SCHEMES,
        INDUSTRIES,
        PARKS,
        ORGANIZATIONS,
        PEOPLE,
        FACILITIES,
        TIES,
        TRAVEL_TIMES,
        POPULATIONS,
        OBSERVATIONS,
        EVENTS,
        QUOTATIONS,
    )
}

#: Keys every record may carry besides its kind's fields.
COMMON_KEYS = frozenset({"id", "type", "source", "note"})

#: The predicate linking a derived graph or dataset to what it came from.
DERIVED_FROM = PROV.wasDerivedFrom
DATASET = QB.dataSet
