"""Pinyin search keys for names: full pinyin and initials, so `zs` finds 张三."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

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


@lru_cache(maxsize=65536)
def pinyin_keys(name: str) -> tuple[str, str]:
    # One conversion gives both keys (imports convert tens of thousands of names; many repeat).
    head: list[str] = []
    rest = name
    for surname in (name[:2], name[:1]):
        if surname in SURNAME_READINGS:
            head, rest = SURNAME_READINGS[surname], name[len(surname) :]
            break
    syllables = head + [s for s in lazy_pinyin(rest, style=Style.NORMAL, errors="ignore") if s]
    return "".join(syllables).lower(), "".join(s[0] for s in syllables).lower()
