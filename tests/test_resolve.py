"""Entity resolution (tieskg.loaders.resolve) on the built-in reference data and on a small
made-up set of organizations: every rule of issue 5's entity resolution, and that nothing
that is not exactly one match is ever resolved."""

from __future__ import annotations

import datetime
import textwrap
import time
from pathlib import Path

import pytest

from tieskg.graph.build import populate
from tieskg.graph.store import OxigraphStore
from tieskg.loaders import load_dataset
from tieskg.loaders.resolve import Candidate, Resolution, Resolver, check_credit_code
from tieskg.namespaces import TKID, TKSYN

SHANGYU = TKID["region/cn-330604"]
SHANGYU_CITY = TKID["region/cn-330682-1995"]
SHANGYU_CITY_1992 = TKID["region/cn-339015-1992"]
CHAOYANG_BEIJING = TKID["region/cn-110105"]
CHAOYANG_CHANGCHUN = TKID["region/cn-220104"]
GB_27 = TKID["industry/gbt-4754-2017/27"]
ISIC_27 = TKID["industry/isic-rev4/27"]
NACE_27 = TKID["industry/nace-rev2/27"]
D = datetime.date


@pytest.fixture(scope="module")
def resolver(case_store) -> Resolver:
    return Resolver.from_store(case_store)


def resolved(resolution: Resolution) -> object:
    """The IRI, after checking that a resolved lookup is consistent."""
    if resolution.iri is not None:
        assert resolution.reason is None
        assert [c.iri for c in resolution.candidates] == [resolution.iri]
    else:
        assert resolution.reason
    return resolution.iri


# -- regions ---------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "why"), [
    ("上虞区", "name zh"),
    ("上虞", "proper name zh"),             # the generic part (区) left out
    ("Shangyu District", "name en"),
    ("shangyu district", "name en"),
    ("Shangyu", "alt name en"),
    ("Shàngyú Qū", "pinyin"),
    ("Shangyu Qu", "pinyin"),
    ("shangyu qu", "pinyin"),
    ("shangyuqu", "pinyin"),
    ("SHANGYU-QU", "pinyin"),
    ("  上虞 区 ", "name zh"),
    ("330604", "code"),
    ("３３０６０４", "code"),                # full-width digits
    ("330604000000", "code"),              # a 12-digit statistical code
    ("tkid:region/cn-330604", "iri"),
    ("cn-330604", "iri"),
    (str(SHANGYU), "iri"),
])
def test_shangyu_by_code_and_by_name_in_chinese_pinyin_and_english(resolver, text, why):
    resolution = resolver.region(text)
    assert resolved(resolution) == SHANGYU, resolution.reason
    assert resolution.candidates[0].why == why
    assert resolution.candidates[0].label == "上虞区 Shangyu District (330604) in 绍兴市"


def test_a_proper_name_alone_prefers_todays_division_when_that_is_the_only_one(resolver):
    # 上虞 also names 上虞市 (two of them) and 上虞县 (three): all ended, only 上虞区 is valid
    resolution = resolver.region("上虞")
    assert resolved(resolution) == SHANGYU
    assert resolver.region("Shangyu Shi").iri is None  # 上虞市: only former divisions


def test_a_full_name_beats_a_name_without_its_generic_part(resolver):
    # In 2000 绍兴市 and 绍兴县 (a county of it until 2013) both existed. "Shaoxing" is the
    # English name of 绍兴市 and only the proper name of 绍兴县, so it means 绍兴市 ...
    assert resolved(resolver.region("Shaoxing", on=D(2000, 1, 1))) == TKID["region/cn-330600"]
    # ... while "绍兴" is the proper name of both: ambiguous
    both = resolver.region("绍兴", on=D(2000, 1, 1))
    assert resolved(both) is None
    assert {c.iri for c in both.candidates} == {TKID["region/cn-330600"],
                                                TKID["region/cn-330621-1983"]}
    assert all(c.why == "proper name zh" for c in both.candidates)


def test_a_former_division_on_a_date(resolver):
    for text in ("上虞市", "上虞", "Shangyu City", "330682"):
        assert resolved(resolver.region(text, on=D(2012, 6, 30))) == SHANGYU_CITY, text
    assert resolved(resolver.region("上虞市", on=D(1993, 1, 1))) == SHANGYU_CITY_1992
    assert resolved(resolver.region("上虞", on=D(2020, 1, 1))) == SHANGYU
    noon = datetime.datetime(2012, 6, 30, 12, 0)
    assert resolved(resolver.region("上虞市", on=noon)) == SHANGYU_CITY


def test_a_former_name_without_a_date_resolves_only_if_unique_among_all_divisions(resolver):
    # 上虞市 was two divisions: 339015 (1992-1995, under Zhejiang) and 330682 (1995-2013);
    # neither is valid today, so nothing prefers one: ambiguous, and the reason says how
    # to choose
    resolution = resolver.region("上虞市")
    assert resolved(resolution) is None
    assert [c.iri for c in resolution.candidates] == [SHANGYU_CITY, SHANGYU_CITY_1992]
    assert resolution.reason.startswith("ambiguous region '上虞市': 2 candidates")
    assert "330682, 1995–2013" in resolution.reason and "a date" in resolution.reason
    # a former division that is the only one with its name or code resolves without a date
    assert resolved(resolver.region("330682")) == SHANGYU_CITY


def test_validity_years_are_inclusive_so_the_year_of_a_change_is_ambiguous(resolver):
    resolution = resolver.region("上虞", on=D(2013, 6, 30))
    assert resolved(resolution) is None
    assert {c.iri for c in resolution.candidates} == {SHANGYU, SHANGYU_CITY}
    assert "on 2013-06-30" in resolution.reason
    assert resolved(resolver.region("上虞", parent="绍兴市", on=D(2013, 6, 30))) is None
    assert resolved(resolver.region("330604", on=D(2013, 6, 30))) == SHANGYU


def test_a_division_that_did_not_exist_on_the_date_is_not_replaced_by_another(resolver):
    resolution = resolver.region("上虞区", on=D(2010, 1, 1))
    assert resolved(resolution) is None
    assert [c.iri for c in resolution.candidates] == [SHANGYU]
    assert resolution.reason.startswith(
        "no region '上虞区' valid on 2010-01-01; 1 match valid at other times: 上虞区")


def test_chaoyang_district_is_ambiguous_and_its_candidates_name_their_parents(resolver):
    resolution = resolver.region("朝阳区")
    assert resolved(resolution) is None
    assert [c.iri for c in resolution.candidates] == [CHAOYANG_BEIJING, CHAOYANG_CHANGCHUN]
    assert "北京市" in resolution.candidates[0].label
    assert "长春市" in resolution.candidates[1].label
    assert "give the parent (北京市 or 长春市) or the code" in resolution.reason


@pytest.mark.parametrize(("parent", "expected"), [
    ("北京市", CHAOYANG_BEIJING),
    ("Beijing", CHAOYANG_BEIJING),
    ("北京", CHAOYANG_BEIJING),
    ("110000", CHAOYANG_BEIJING),
    ("长春", CHAOYANG_CHANGCHUN),
    ("吉林省", CHAOYANG_CHANGCHUN),         # any ancestor counts
    ("吉林", CHAOYANG_CHANGCHUN),           # 吉林省 or 吉林市: only one holds a 朝阳区
])
def test_a_parent_narrows_an_ambiguous_name(resolver, parent, expected):
    assert resolved(resolver.region("朝阳区", parent=parent)) == expected


def test_a_parent_that_holds_no_match_or_is_unknown_is_reported(resolver):
    elsewhere = resolver.region("朝阳区", parent="上海")
    assert resolved(elsewhere) is None
    assert elsewhere.reason.startswith("no region '朝阳区' in '上海'; 2 matches elsewhere: ")
    assert len(elsewhere.candidates) == 2
    unknown = resolver.region("朝阳区", parent="Atlantis")
    assert resolved(unknown) is None
    assert "parent 'Atlantis': unknown region 'Atlantis'" in unknown.reason


def test_economic_areas_are_regions_and_can_be_parents(resolver):
    delta = TKID["region/yangtze-river-delta"]
    assert resolved(resolver.region("Yangtze River Delta")) == delta
    assert resolved(resolver.region("长江三角洲")) == delta
    assert "economic area" in resolver.region("Yangtze River Delta").candidates[0].label
    # 西湖区 is in Hangzhou and in Nanchang; only Hangzhou lies in the Delta
    assert resolved(resolver.region("西湖区")) is None
    assert resolved(resolver.region("西湖区", parent="Yangtze River Delta")) == \
        TKID["region/cn-330106"]
    assert resolved(resolver.region("Shanghai", parent="长江三角洲")) == TKID["region/cn-310000"]


def test_unknown_regions_and_malformed_codes(resolver):
    typo = resolver.region("Shangyuu")
    assert resolved(typo) is None and typo.candidates == ()
    assert typo.reason.startswith("unknown region 'Shangyuu'; near: 上虞区 Shangyu District")
    nowhere = resolver.region("Atlantis")
    assert (nowhere.iri, nowhere.candidates, nowhere.reason) == (
        None, (), "unknown region 'Atlantis'")
    assert resolver.region("330699").reason == "unknown region code '330699'"
    assert resolver.region("3306").reason.startswith("not a division code: '3306' has 4 digits")
    assert resolver.region("   ").reason == "empty region reference"
    assert resolved(resolver.region("tkid:region/cn-999999")) is None


# -- industries ------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "scheme", "expected"), [
    ("2100", None, TKID["industry/isic-rev4/2100"]),
    ("21.20", None, TKID["industry/nace-rev2/21.20"]),
    ("4.1", None, TKID["industry/sei-2018/4.1"]),
    ("27", "gbt-4754-2017", GB_27),
    ("27", "GB/T 4754-2017", GB_27),        # the scheme's notation
    ("C27", "gbt-4754-2017", GB_27),        # with the section letter
    ("c27", "gbt-4754-2017", GB_27),
    ("27", "isic-rev4", ISIC_27),
    ("27", "NACE Rev. 2", NACE_27),
    ("isic-rev4:2100", None, TKID["industry/isic-rev4/2100"]),
    ("gbt-4754-2017:C27", None, GB_27),
    ("nace-rev2: 21.20", None, TKID["industry/nace-rev2/21.20"]),
    ("Manufacture of medicines", None, GB_27),
    ("MANUFACTURE OF MEDICINES", None, GB_27),
    ("医药制造业", None, GB_27),
    ("Manufacturing", "isic-rev4", TKID["industry/isic-rev4/C"]),
    ("tkid:industry/sei-2018/4.1", None, TKID["industry/sei-2018/4.1"]),
])
def test_industries_by_code_in_any_scheme_or_by_label(resolver, text, scheme, expected):
    resolution = resolver.industry(text, scheme=scheme)
    assert resolved(resolution) == expected, resolution.reason


@pytest.mark.parametrize("text", ["27", "C27", "Manufacturing"])
def test_a_code_or_label_of_several_schemes_is_ambiguous(resolver, text):
    resolution = resolver.industry(text)
    assert resolved(resolution) is None
    schemes = {str(c.iri).split("/")[-2] for c in resolution.candidates}
    assert schemes == {"gbt-4754-2017", "isic-rev4", "nace-rev2"}
    assert resolution.reason.startswith(f"ambiguous industry {text!r}: 3 candidates")
    assert "give the scheme (gbt-4754-2017, isic-rev4 or nace-rev2)" in resolution.reason


def test_industry_labels_show_scheme_code_and_names(resolver):
    candidate = resolver.industry("27", scheme="gbt-4754-2017").candidates[0]
    assert candidate == Candidate(GB_27, "gbt-4754-2017 27 医药制造业 Manufacture of medicines",
                                  "code")


def test_industry_references_that_match_nothing(resolver):
    other = resolver.industry("4.1", scheme="nace-rev2")
    assert resolved(other) is None
    assert [c.iri for c in other.candidates] == [TKID["industry/sei-2018/4.1"]]
    assert other.reason.startswith("no industry '4.1' in nace-rev2; 1 in other schemes")
    assert resolver.industry("27", scheme="sic-1987").reason.startswith(
        "unknown industry scheme 'sic-1987' (known: gbt-4754-2017, isic-rev4, nace-rev2")
    typo = resolver.industry("Manufacture of medicine")
    assert resolved(typo) is None and typo.candidates == ()
    assert "near: gbt-4754-2017 27 医药制造业" in typo.reason
    assert resolved(resolver.industry("99.99")) is None
    assert resolved(resolver.industry("unknown-scheme:27")) is None
    conflict = resolver.industry("isic-rev4:2100", scheme="nace-rev2")
    assert resolved(conflict) is None
    assert conflict.reason == ("industry 'isic-rev4:2100' names scheme isic-rev4, but the "
                               "scheme given is 'nace-rev2'")
    assert resolved(resolver.industry("isic-rev4:2100", scheme="ISIC Rev. 4")) == \
        TKID["industry/isic-rev4/2100"]


# -- credit codes ----------------------------------------------------------------------
VALID_CODES = [
    "91330604MA2TK0001M",   # made up for these tests (see SYNTHETIC below)
    "91330604MA2D000011",   # the example in check_credit_code's docstring
    # published codes of two large companies (Huawei Technologies Co., Ltd. and Shenzhen
    # Tencent Computer Systems Co., Ltd.): check vectors not made with this implementation
    "914403001922038216",
    "9144030071526726XG",
]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_credit_codes(code):
    assert check_credit_code(code) is None


@pytest.mark.parametrize(("code", "reason"), [
    ("91330604MA2TK0001N", "check character is 'N', expected 'M'"),
    ("914403001922038217", "check character is '7', expected '6'"),
    ("9144030071526726X0", "check character is '0', expected 'G'"),
    ("91330604MA2TK0001", "has 17 characters, not 18"),
    ("91330604MA2TK0001M0", "has 19 characters, not 18"),
    ("", "has 0 characters, not 18"),
    ("91330604MA2TI0001M", "has 'I' at position 13"),
    ("91330604MA2TO0001M", "has 'O' at position 13"),
    ("91330604MA2TZ0001M", "has 'Z' at position 13"),
    ("91330604MA2TS0001M", "has 'S' at position 13"),
    ("91330604MA2TV0001M", "has 'V' at position 13"),
    ("91330604ma2tk0001m", "has 'm' at position 9"),   # the standard's letters are capitals
    ("91330604MA2TK0001-", "has '-' at position 18"),
])
def test_invalid_credit_codes(code, reason):
    assert check_credit_code(code).startswith(reason)


def test_every_single_character_change_breaks_the_check():
    code = VALID_CODES[0]
    for position in range(18):
        for character in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            if character != code[position]:
                changed = code[:position] + character + code[position + 1:]
                assert check_credit_code(changed) is not None, changed


# -- organizations ---------------------------------------------------------------------
SYNTHETIC = textwrap.dedent("""\
    dataset:
      illustrative: true
      description: Made-up organizations for the entity-resolution tests. Not real.
    sources:
      - id: resolve-tests
        type: reference-work
        title: {en: Made-up organizations for the entity-resolution tests (not real)}
    organizations:
      - id: materials
        type: company
        name: {zh: 虚构新材料（上虞）有限公司, en: "Fictitious New Materials (Shangyu) Co., Ltd."}
        alt_names: {zh: [虚构集团]}
        credit_code: 91330604MA2TK0001M
        source: resolve-tests
      - id: machinery
        type: company
        name: {zh: 虚构机械有限公司, en: "Fictitious Machinery Co., Ltd."}
        alt_names: {zh: [虚构集团]}
        credit_code: 91330604MA2TK0002Q
        source: resolve-tests
      # a code with a wrong check character (U is right): never looked up
      - id: bad-code
        type: company
        name: {en: "Fictitious Bad Code Ltd."}
        credit_code: 91330604MA2TK0003X
        source: resolve-tests
""")
MATERIALS = TKSYN["org/materials"]
MACHINERY = TKSYN["org/machinery"]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Resolver:
    folder: Path = tmp_path_factory.mktemp("resolve-synthetic")
    (folder / "organizations.yaml").write_text(SYNTHETIC, encoding="utf-8")
    store = OxigraphStore.in_memory()
    populate(store, [load_dataset(folder)])
    return Resolver.from_store(store)


@pytest.mark.parametrize(("text", "why"), [
    ("91330604MA2TK0001M", "credit code"),
    ("  91330604 MA2TK0001M ", "credit code"),
    ("91330604ma2tk0001m", "credit code"),
    ("９１３３０６０４ＭＡ２ＴＫ０００１Ｍ", "credit code"),   # full-width
    ("虚构新材料（上虞）有限公司", "name zh"),
    ("虚构新材料(上虞)有限公司", "name zh"),                 # half-width brackets
    ("虚构新材料 （上虞） 有限公司", "name zh"),
    ("Fictitious New Materials (Shangyu) Co., Ltd.", "name en"),
    ("fictitious new materials (shangyu) co., ltd.", "name en"),
    ("Fictitious  New Materials（Shangyu）Co., Ltd.", "name en"),
    (str(MATERIALS), "iri"),
    ("tksyn:org/materials", "iri"),
])
def test_organizations_by_credit_code_or_name(synthetic, text, why):
    resolution = synthetic.organization(text)
    assert resolved(resolution) == MATERIALS, resolution.reason
    assert resolution.candidates[0].why == why
    assert resolution.candidates[0].label == (
        "虚构新材料（上虞）有限公司 Fictitious New Materials (Shangyu) Co., Ltd. "
        "(91330604MA2TK0001M)")


def test_a_name_several_organizations_share_is_ambiguous(synthetic):
    resolution = synthetic.organization("虚构集团")
    assert resolved(resolution) is None
    assert [c.iri for c in resolution.candidates] == [MACHINERY, MATERIALS]
    assert all(c.why == "alt name zh" for c in resolution.candidates)
    assert resolution.reason.endswith("give the unified social credit code")


def test_a_credit_code_with_a_bad_check_character_is_rejected_not_looked_up(synthetic):
    # the graph holds an organization with exactly this (bad) code
    resolution = synthetic.organization("91330604MA2TK0003X")
    assert resolved(resolution) is None and resolution.candidates == ()
    assert resolution.reason == ("invalid unified social credit code '91330604MA2TK0003X': "
                                 "check character is 'X', expected 'U'")
    assert resolved(synthetic.organization("Fictitious Bad Code Ltd.")) == TKSYN["org/bad-code"]


def test_unknown_organizations(synthetic):
    valid_elsewhere = synthetic.organization("914403001922038216")
    assert resolved(valid_elsewhere) is None
    assert valid_elsewhere.reason == ("no organization has the unified social credit code "
                                      "914403001922038216")
    short = synthetic.organization("91330604MA2TK0001")
    assert resolved(short) is None
    assert "as a unified social credit code it has 17 characters, not 18" in short.reason
    forbidden = synthetic.organization("91330604MA2TI0001M")
    assert resolved(forbidden) is None and "has 'I' at position 13" in forbidden.reason
    typo = synthetic.organization("虚构机械有限公")
    assert resolved(typo) is None
    assert typo.reason.startswith("unknown organization '虚构机械有限公'; near: 虚构机械有限公司")
    assert synthetic.organization("").reason == "empty organization reference"


def test_the_synthetic_store_has_no_real_regions(synthetic):
    assert resolved(synthetic.region("上虞区")) is None


# -- speed -----------------------------------------------------------------------------
def test_lookups_are_remembered_per_reference_and_options(resolver):
    assert resolver.region("朝阳区") is resolver.region("朝阳区")
    assert resolved(resolver.region("朝阳区")) is None
    assert resolved(resolver.region("朝阳区", parent="北京市")) == CHAOYANG_BEIJING
    assert resolved(resolver.region("上虞市", on=D(2012, 6, 30))) == SHANGYU_CITY
    assert resolved(resolver.region("上虞市", on=D(1993, 6, 30))) == SHANGYU_CITY_1992
    assert resolved(resolver.industry("27", scheme="isic-rev4")) == ISIC_27
    assert resolved(resolver.industry("27", scheme="nace-rev2")) == NACE_27


def test_lookups_are_dictionary_fast(resolver, case_store):
    """Catches order-of-magnitude regressions, not a benchmark: a lookup takes about 20
    microseconds and building about 1 s on this machine (see the module's report)."""
    started = time.perf_counter()
    Resolver.from_store(case_store)
    assert time.perf_counter() - started < 10
    fresh = Resolver.from_store(case_store)
    references = ["上虞", "Shangyu District", "330604", "朝阳区", "Shangyuu", "C27",
                  "isic-rev4:2100", "Manufacturing"]
    started = time.perf_counter()
    for n in range(10_000):
        # distinct texts (white space does not change what they mean): nothing remembered
        text = references[n % 8] + " " * (n // 8 % 50) + "\t" * (n // 400)
        fresh.region(text) if n % 2 else fresh.industry(text)
    assert len(fresh._remembered) == 10_000
    assert time.perf_counter() - started < 5
