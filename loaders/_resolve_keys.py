"""Lookup keys for entity resolution: how a reference and a label are normalized so that
they meet in a dictionary, and an index of keys that also finds near misses.

Region names are compared as *loose* keys: compatibility forms folded (full-width to
half-width), tone marks and other diacritics dropped, case folded, ``v`` read as ``ü``
(as pinyin input methods type it), and everything but letters and digits (spaces,
apostrophes, hyphens) left out, so that "Shàngyú Qū", "Shangyu Qu" and "shangyuqu" are one
key. Organization names and industry labels are compared as *plain* keys: full-width to
half-width, case folded, white space left out, punctuation kept.

>>> loose_key("Shàngyú Qū") == loose_key("shangyu qu") == loose_key("SHANGYUQU")
True
>>> loose_key("Lǚliáng Shì") == loose_key("Lvliang Shi")
True
>>> plain_key("浙江  上虞ＡＢＣ材料有限公司（上虞）")
'浙江上虞abc材料有限公司(上虞)'
>>> proper_names("上虞区", "zh")
['上虞']
>>> proper_names("Shàngyú Qū", "zh-latn-pinyin")
['Shàngyú']
>>> proper_names("Ningxia Hui Autonomous Region", "en")
['Ningxia Hui']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

from tieskg.loaders._pinyin import split_generic

T = TypeVar("T", bound=Hashable)

#: Runs of characters that are not letters or digits (combining marks included).
_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")

#: Generic parts of English division names, longest first (after the proper name).
ENGLISH_GENERICS = tuple(sorted((
    "special administrative region", "autonomous region", "autonomous prefecture",
    "autonomous county", "autonomous banner", "province", "municipality", "prefecture",
    "city", "district", "county", "banner", "league", "new area", "forestry district",
    "special district", "subdistrict", "township", "town", "area",
), key=len, reverse=True))


def loose_key(text: str) -> str:
    """A name as compared loosely: letters and digits only, no diacritics, case folded.

    >>> loose_key("Xī'ān Shì")
    'xianshi'
    >>> loose_key("上虞 区")
    '上虞区'
    """
    # NFKD splits off diacritics as combining marks, which are not alphanumeric
    return _NOT_ALPHANUMERIC.sub("", unicodedata.normalize("NFKD", text).casefold()
                                 ).replace("v", "u")


def plain_key(text: str) -> str:
    """A name as compared exactly, up to width (full-/half-width), case and white space.

    >>> plain_key("Manufacture of  Medicines") == plain_key("manufacture of medicines")
    True
    """
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def code_key(text: str) -> str:
    """A code as compared: half-width, upper case, no white space.

    >>> code_key(" c２７ ")
    'C27'
    """
    return "".join(unicodedata.normalize("NFKC", text).upper().split())


def proper_names(label: str, language: str) -> list[str]:
    """The label without its generic part (区, 市, District, Qū, ...), if it has one.

    Chinese names lose a generic suffix (:func:`~tieskg.loaders._pinyin.split_generic`);
    pinyin names, whose proper name and generic are separate words, their last word;
    English names a trailing generic word such as "District".

    >>> proper_names("绍兴市", "zh"), proper_names("Shaoxing", "en")
    (['绍兴'], [])
    """
    language = language.lower()
    if language == "zh":
        proper, generic = split_generic(label)
        return [proper] if generic else []
    words = label.split()
    if language.startswith("zh-latn") and len(words) >= 2:
        return [" ".join(words[:-1])]
    lowered = label.casefold()
    for generic in ENGLISH_GENERICS:
        if lowered.endswith(" " + generic):
            return [label[: -len(generic) - 1].rstrip()]
    return []


class KeyIndex(Generic[T]):
    """Keys to values (several values per key, in insertion order), with near misses.

    >>> index = KeyIndex()
    >>> index.add("shangyuqu", "cn-330604")
    >>> index.get("shangyuqu")
    ['cn-330604']
    >>> index.near("shangyuuqu"), index.near("shangyqu"), index.near("shangyoqu")
    (['cn-330604'], ['cn-330604'], ['cn-330604'])
    """

    def __init__(self) -> None:
        self._values: dict[str, dict[T, None]] = {}
        self._deletions: dict[str, list[str]] | None = None

    def add(self, key: str, value: T) -> None:
        """Index ``value`` under ``key`` (an empty key is ignored)."""
        if key:
            self._values.setdefault(key, {})[value] = None
            self._deletions = None

    def get(self, key: str) -> list[T]:
        """The values under ``key``, in the order they were added."""
        return list(self._values.get(key, ()))

    def __contains__(self, key: str) -> bool:
        return key in self._values

    def near(self, key: str, *, limit: int = 3) -> list[T]:
        """Values under keys one edit away from ``key`` (a character added, dropped or
        changed), for "did you mean" hints; keys of 3 characters or more only.

        A lookup costs a few dozen dictionary lookups; the index behind it (every key
        with one character dropped) is built on the first call: 0.2 s and 10 MB for
        China's 7,700 divisions, 2.5 s and 60 MB with its 38,700 townships.
        """
        if len(key) < 3:
            return []
        if self._deletions is None:
            self._deletions = {}
            for indexed in self._values:
                if len(indexed) >= 3:
                    for variant in _deletions(indexed):
                        self._deletions.setdefault(variant, []).append(indexed)
        near: set[str] = set()
        for variant in (key, *_deletions(key)):
            near.update(k for k in self._deletions.get(variant, ()) if _one_edit(key, k))
            if variant != key and variant in self._values:
                near.add(variant)
        found: dict[T, None] = {}
        for indexed in sorted(near):
            found.update(dict.fromkeys(self._values[indexed]))
        return list(found)[:limit]


def _deletions(key: str) -> set[str]:
    """``key`` with one character dropped, each way.

    >>> sorted(_deletions("abca"))
    ['aba', 'abc', 'aca', 'bca']
    """
    return {key[:i] + key[i + 1:] for i in range(len(key))}


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one added, dropped or changed character.

    >>> _one_edit("shangyu", "shangyuu"), _one_edit("shangyu", "shangyo"), _one_edit("ab", "ba")
    (True, True, False)
    """
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def unique(values: Iterable[T]) -> list[T]:
    """``values`` without repeats, in first-seen order.

    >>> unique([3, 1, 3, 2, 1])
    [3, 1, 2]
    """
    return list(dict.fromkeys(values))
