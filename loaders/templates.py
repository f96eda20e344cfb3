"""The kinds of table users load, their columns, and the CSV templates that document them.

A template kind (``organizations``, ``supply-ties``, ...) says which record kind of
:mod:`tieskg.loaders.kinds` a row becomes, and for each column the record field it fills,
whether it is required, how its text is resolved to a node of the graph (a region by code
or name, an industry by code, an organization by credit code or name) and an example.
These columns are also the default mapping: a file whose columns have these names loads
without a mapping file.

>>> [c.name for c in TEMPLATES["facilities"].columns][:4]
['id', 'name_zh', 'name_en', 'type']
>>> print(template_csv("investments").splitlines()[-1])
id,name_en,name_zh,investor,investor_origin,from,to,status,industry,start,end,description_en
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of a template: the record field it fills and how its text is read.

    ``field`` is a record key, with ``.zh``/``.en`` for one language of a text field;
    ``resolve`` names what a reference is looked up as (``region``, ``industry``,
    ``organization``), else the text is taken as it is; ``many`` columns hold several
    values separated by ``;``.
    """

    name: str
    field: str
    help: str
    example: str = ""
    required: bool = False
    resolve: str | None = None
    many: bool = False


@dataclass(frozen=True)
class Template:
    """A kind of table: the record kind a row becomes, a fixed record type, its columns."""

    name: str
    record_kind: str
    description: str
    columns: tuple[Column, ...]
    record_type: str | None = None

    def column(self, name: str) -> Column | None:
        """The column called ``name``, if the template has one."""
        return next((c for c in self.columns if c.name == name), None)


_ID = Column("id", "id", "Your own stable identifier for the row (letters, digits, '.', '_', "
             "'-'); left empty, one is made from the row's content.", "acme-plant-1")
_NAME_ZH = Column("name_zh", "name.zh", "Name in Chinese (name_zh or name_en is required).",
                  "上虞示例化工有限公司")
_NAME_EN = Column("name_en", "name.en", "Name in English.", "Shangyu Example Chemicals Co.")
_REGION_HELP = ("Region: a division code (330604), or a name in Chinese, pinyin or English; "
                "write the parent first to tell namesakes apart (绍兴市/上虞区).")
_INDUSTRY_HELP = ("Industry codes separated by ';', each as scheme:code (gbt-4754-2017:27, "
                  "isic-rev4:2100, sei-2018:4.1) or a code or name that only one scheme has.")
_ORG_HELP = ("Organization: its 18-character unified social credit code, or its name as "
             "loaded before (from an organizations table).")
_STATUS = Column("status", "status", "active, promoted, sought or historical.", "active",
                 required=True)
_START = Column("start", "start", "Start: a year (2021) or date (2021-06-30).", "2021")
_END = Column("end", "end", "End: a year or date; empty if ongoing.", "")
_DESCRIPTION = Column("description_en", "description.en", "A description in English.", "")
_TIE_INDUSTRY = Column("industry", "industry", _INDUSTRY_HELP, "sei-2018:4.1",
                       resolve="industry", many=True)


def _tie(name: str, record_type: str, description: str, *extra: Column) -> Template:
    return Template(name, "ties", description, (
        _ID, Column("name_en", "name.en", "A short name for the tie.",
                    required=True, example="Acme R&D in Shanghai, production in Shangyu"),
        Column("name_zh", "name.zh", "A short name in Chinese."),
        *extra,
        Column("from", "from", _REGION_HELP, "310000", resolve="region"),
        Column("to", "to", _REGION_HELP, "绍兴市/上虞区", required=True, resolve="region"),
        _STATUS, _TIE_INDUSTRY, _START, _END, _DESCRIPTION), record_type)


#: Every template kind, by name.
TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("organizations", "organizations", "Companies, government bodies, research "
             "institutes and universities.", (
                 _ID, _NAME_ZH, _NAME_EN,
                 Column("type", "type", "company, government-body, research-institute or "
                        "university (default company).", "company"),
                 Column("credit_code", "credit_code", "Unified social credit code (18 "
                        "characters, check digit verified).", "91330604MA2BXXXXXX"),
                 Column("located_in", "located_in", _REGION_HELP, "330604", resolve="region"),
                 Column("industry", "industry", _INDUSTRY_HELP, "gbt-4754-2017:26",
                        resolve="industry", many=True),
                 _DESCRIPTION)),
    Template("facilities", "facilities", "R&D centres, manufacturing plants and "
             "headquarters, each operated by an organization.", (
                 _ID, _NAME_ZH, _NAME_EN,
                 Column("type", "type", "rd-centre, manufacturing-plant or headquarters.",
                        "manufacturing-plant", required=True),
                 Column("operated_by", "operated_by", _ORG_HELP, required=True,
                        resolve="organization", example="上虞示例化工有限公司"),
                 Column("located_in", "located_in", _REGION_HELP, "330604", resolve="region"),
                 Column("industry", "industry", _INDUSTRY_HELP, "gbt-4754-2017:26",
                        resolve="industry", many=True),
                 _DESCRIPTION)),
    Template("parks", "parks", "Industrial parks and development zones.", (
        _ID, _NAME_ZH, _NAME_EN,
        Column("level", "level", "national, provincial or municipal.", "provincial"),
        Column("park_kind", "park_kind", "etdz, high-tech-zone, economic-development-area or "
               "industrial-park; several separated by ';'.", "industrial-park", many=True),
        Column("located_in", "located_in", _REGION_HELP, "330604", required=True,
               resolve="region"),
        Column("focus", "focus", _INDUSTRY_HELP, "sei-2018:3", resolve="industry", many=True),
        _DESCRIPTION)),
    _tie("supply-ties", "supply", "Goods or services one organization supplies another.",
         Column("supplier", "supplier", _ORG_HELP, resolve="organization", required=True),
         Column("customer", "customer", _ORG_HELP, resolve="organization", required=True),
         Column("product_industry", "product_industry", _INDUSTRY_HELP, resolve="industry",
                many=True, example="gbt-4754-2017:26")),
    _tie("cooperation", "cooperation", "Cooperation agreements between regions."),
    _tie("talent-flows", "talent-flow", "People moving from one region to another.",
         Column("talent_category", "talent_category", "What kind of talent.", "engineers")),
    _tie("investments", "investment", "Investment from one region into another.",
         Column("investor", "investor", _ORG_HELP, resolve="organization", many=True),
         Column("investor_origin", "investor_origin", "Where the investor comes from, as "
                "the source says it.", "Shanghai")),
    Template("observations", "observations", "Statistics: one value of an indicator for a "
             "region (and optionally an industry) in a period.", (
                 _ID,
                 Column("area", "area", _REGION_HELP, "330604", required=True,
                        resolve="region"),
                 Column("period", "period", "A year (2022) or date.", "2022", required=True),
                 Column("indicator", "indicator", "An indicator of tieskg's vocabulary "
                        "(tieskg query sources / docs/ontology.md).",
                        "industrial-output-value", required=True),
                 Column("value", "value", "The number.", "1234.5", required=True),
                 Column("unit", "unit", "A unit of tieskg's vocabulary (CNY, USD, percent, "
                        "enterprise).", "CNY",
                        required=True),
                 Column("multiplier", "multiplier", "Power of ten the value is in (8 for "
                        "亿, 4 for 万).", "8", required=True),
                 Column("qualifier", "qualifier", "exact, more-than, approximate or "
                        "converted.", "exact"),
                 Column("industry", "industry", _INDUSTRY_HELP, resolve="industry",
                        many=True))),
)}


def template_csv(name: str) -> str:
    """A CSV template: ``#`` comment lines documenting each column, then the header row."""
    template = TEMPLATES[name]
    lines = [f"# tieskg template: {template.name} -- {template.description}",
             "# Fill in one row per item below the header; delete nothing above it.",
             "# Load with: tieskg load FILE --as " + template.name,
             "#"]
    for column in template.columns:
        need = "required" if column.required else "optional"
        example = f" Example: {column.example}" if column.example else ""
        lines.append(f"# {column.name} ({need}): {column.help}{example}")
    lines.append(",".join(c.name for c in template.columns))
    return "\n".join(lines) + "\n"
