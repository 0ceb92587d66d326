"""Masking of ID numbers (last 4), phones (3+4) and names (surname only)."""

from __future__ import annotations

import pytest

from dangjian.regulations.identity import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("11010519491231002X", "**************002X"),
        ("360426199101010071", "**************0071"),
        ("110105491231002", "***********1002"),
        ("1234567890", "******7890"),
        ("1234", "**34"),
        ("12", "*2"),
        ("1", "*"),
        ("", ""),
    ],
)
def test_mask_id_number(value: str, masked: str) -> None:
    assert mask_id_number(value) == masked
    assert len(masked) == len(value)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("17012345678", "170****5678"),
        ("1381234567", "138****567"),
        ("12345678", "12****78"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("王小明明", "王***"),
        ("欧阳修", "欧阳*"),
        ("欧阳修文", "欧阳**"),
        ("司马相如", "司马**"),
        ("诸葛亮", "诸葛*"),
        ("欧阳", "欧*"),
        ("张", "*"),
        ("  李四 ", "李*"),
        ("阿依古丽·买买提", "阿***·***"),
        ("", ""),
        (None, ""),
        ("   ", ""),
    ],
)
def test_mask_name(value: str | None, masked: str) -> None:
    assert mask_name(value) == masked
