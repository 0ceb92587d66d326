"""Pinyin search keys for names: full pinyin and initials, so `zs` finds 张三."""

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT

# Surnames read differently from the character's common reading (单 shan, 曾 zeng, 解 xie …):
# people search for 单田芳 as "stf", not "dtf".
SURNAME_READINGS = {
    "万俟": ["mo", "qi"],
    "尉迟": ["yu", "chi"],
    "单": ["shan"],
    "曾": ["zeng"],
    "解": ["xie"],
    "区": ["ou"],
    "仇": ["qiu"],
    "朴": ["piao"],
    "查": ["zha"],
    "乐": ["yue"],
    "覃": ["qin"],
    "盖": ["ge"],
    "缪": ["miao"],
    "翟": ["zhai"],
    "秘": ["bi"],
    "褚": ["chu"],
    "员": ["yun"],
    "长孙": ["zhang", "sun"],
    "召": ["shao"],
    "繁": ["po"],
    "种": ["chong"],
    "折": ["she"],
}


# Enough for a province's organization names (the pickers convert them on each keystroke). A
# roster's names are mostly distinct and cost about 5 microseconds each to convert (the
# characters are cached): caching 65,536 of them held 17 MB in the importing process, for one
# conversion in seven saved (bench/README.md, branch import20).
@lru_cache(maxsize=8192)
def pinyin_keys(name: str) -> tuple[str, str]:
    # One conversion gives both keys.
    head: list[str] = []
    rest = name
    for surname in (name[:2], name[:1]):
        if surname in SURNAME_READINGS:
            head, rest = SURNAME_READINGS[surname], name[len(surname) :]
            break
    syllables = head + [s for s in _syllables(rest) if s]
    return "".join(syllables).lower(), "".join(s[0] for s in syllables).lower()


_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]+")


def _syllables(text: str) -> list[str]:
    """`lazy_pinyin(text)`: character by character (each cached) when no two or more of its
    characters in a row form one of pypinyin's phrases, which is then what pypinyin does too (its
    segmenter only joins characters into phrases of its dictionary; others are read one by one);
    through pypinyin otherwise. Names are mostly distinct, their characters few."""
    if _HAN.fullmatch(text) and not any(
        text[i:j] in PHRASES_DICT for i in range(len(text) - 1) for j in range(i + 2, len(text) + 1)
    ):
        return [s for ch in text for s in _char(ch)]
    return lazy_pinyin(text, style=Style.NORMAL, errors="ignore")


@lru_cache(maxsize=16384)
def _char(ch: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(ch, style=Style.NORMAL, errors="ignore"))
