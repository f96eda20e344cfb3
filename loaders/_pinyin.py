"""Hanyu Pinyin for Chinese place names, written the way Chinese place names are romanized.

The proper name is one word and the generic part (省, 市, 区, 县, 自治州, ...) another, each
capitalized (GB 17733 / GB/T 16159 style): 上虞区 -> "Shàngyú Qū". A one-syllable proper
name is written together with its generic (渠县 -> "Qúxiàn"). An apostrophe marks a syllable
that starts with a, o or e inside a word (西安市 -> "Xī'ān Shì"). The readings come from
pypinyin; for characters with several readings it can pick the wrong one in a place name
(单县 is Shàn Xiàn, not Dān Xiàn), so these labels are machine-made and say so.

>>> place_pinyin("上虞区")
'Shàngyú Qū'
>>> place_pinyin("内蒙古自治区")
'Nèiménggǔ Zìzhìqū'
>>> place_pinyin("西安市")
"Xī'ān Shì"
>>> ascii_pinyin("吕梁市")
'Luliang Shi'
"""

from __future__ import annotations

import unicodedata

from pypinyin import Style, pinyin

#: Generic parts of division names, longest first so that 自治县 wins over 县.
GENERICS = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "民族乡", "民族苏木",
            "区公所", "林区", "特区", "新区", "地区", "苏木", "街道", "省", "市", "区",
            "县", "旗", "盟", "镇", "乡")


def split_generic(name: str) -> tuple[str, str]:
    """The proper name and the generic part of a division name.

    >>> split_generic("宁波市")
    ('宁波', '市')
    >>> split_generic("长阳土家族自治县")
    ('长阳土家族', '自治县')
    """
    for generic in GENERICS:
        if name.endswith(generic) and len(name) > len(generic):
            return name[: -len(generic)], generic
    return name, ""


def _syllables(text: str) -> list[str]:
    return [readings[0] for readings in pinyin(text, style=Style.TONE, errors="default")]


def _word(text: str) -> str:
    out = ""
    for syllable in _syllables(text):
        bare = unicodedata.normalize("NFD", syllable)[:1].lower()
        if out and bare in "aoe":
            out += "'"
        out += syllable
    return out[:1].upper() + out[1:]


def place_pinyin(name: str) -> str:
    """The name in Hanyu Pinyin with tone marks, proper name and generic as separate words."""
    proper, generic = split_generic(name)
    if not generic or len(proper) == 1:
        return _word(name)
    return f"{_word(proper)} {_word(generic)}"


def ascii_pinyin(name: str) -> str:
    """:func:`place_pinyin` without tone marks or apostrophes (ü as u), for typing and search."""
    text = place_pinyin(name).replace("'", "")
    return "".join(c for c in unicodedata.normalize("NFD", text)
                   if unicodedata.category(c) != "Mn")
