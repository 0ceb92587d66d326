"""Pinyin search keys for names: full pinyin and initials, so `zs` finds 张三."""

from pypinyin import Style, lazy_pinyin


def pinyin_keys(name: str) -> tuple[str, str]:
    full = "".join(lazy_pinyin(name, errors="ignore")).lower()
    initials = "".join(
        p[:1] for p in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
    ).lower()
    return full, initials
