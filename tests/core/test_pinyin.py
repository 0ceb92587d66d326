"""Pinyin keys read character by character must be what pypinyin gives for the whole name."""

from __future__ import annotations

import random

from pypinyin import Style, lazy_pinyin

from dangjian.core import pinyin
from dangjian.regulations.synth import make_name


def _pypinyin(text: str) -> list[str]:
    return lazy_pinyin(text, style=Style.NORMAL, errors="ignore")


def test_synthetic_names_read_as_pypinyin_reads_them():
    rng = random.Random(19)
    names = [make_name(rng, rng.choice(["male", "female"])) for _ in range(5000)]
    assert [pinyin._syllables(n) for n in names] == [_pypinyin(n) for n in names]


def test_random_han_strings_read_as_pypinyin_reads_them():
    rng = random.Random(20)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 4000)]
    texts = ["".join(rng.choice(chars) for _ in range(rng.randint(1, 4))) for _ in range(5000)]
    assert [pinyin._syllables(t) for t in texts] == [_pypinyin(t) for t in texts]


def test_phrases_and_other_text_go_through_pypinyin():
    # 重庆 is a phrase (chong qing, not zhong qing); 行长 too; Latin letters are dropped.
    for text in ("重庆", "王行长", "银行", "长大", "Li Ming", "阿依古丽·买买提", "𠀀明"):
        assert pinyin._syllables(text) == _pypinyin(text)
    assert pinyin.pinyin_keys("单重庆") == ("shanchongqing", "scq")
