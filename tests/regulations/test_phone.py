"""Mobile phone normalisation: the ^1[3-9]\\d{9}$ pattern decides, separators are dropped."""

from __future__ import annotations

import pytest

from dangjian.regulations.identity import IdentityError, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        ("(+86) 13812345678", "13812345678"),
        ("0086 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("86 13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("＋８６ １３８－１２３４－５６７８", "13812345678"),
        ("\u200b13812345678\u3000", "13812345678"),
        ("\xa0138 1234 5678\t", "13812345678"),
        ("'13812345678", "13812345678"),
        (13812345678, "13812345678"),
        # Prefixes phonenumbers' metadata may not know yet are still accepted.
        ("14012345678", "14012345678"),
        ("16212345678", "16212345678"),
        ("16512345678", "16512345678"),
        ("17012345678", "17012345678"),
        ("19212345678", "19212345678"),
        ("19912345678", "19912345678"),
        ("13000000000", "13000000000"),
    ],
)
def test_accepts(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


FORMAT = "手机号应为11位中国大陆手机号码，如 13812345678"


@pytest.mark.parametrize(
    "raw",
    [
        "12812345678",  # second digit 2
        "10812345678",
        "23812345678",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "013812345678",  # trunk prefix 0 is not part of a mobile number
        "+85212345678",
        "+1 415 555 2671",
        "86138123456",
        "8613812345",
        "861381234567",
        "+86138123456789",
        "abcdefghijk",
        "138123456７a",
        "١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits are not ASCII digits
        "138.1234.5678",
        "010-12345678",  # a landline belongs in its own field
    ],
)
def test_rejects_format(raw: str) -> None:
    with pytest.raises(IdentityError) as caught:
        normalize_phone(raw)
    assert caught.value.code == "format"
    assert caught.value.message == FORMAT
    assert str(caught.value) == FORMAT


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", "--", None])
def test_rejects_empty(raw: str | None) -> None:
    with pytest.raises(IdentityError) as caught:
        normalize_phone(raw)
    assert caught.value.message == "请填写手机号"


@pytest.mark.parametrize("raw", ["1.3812345678E+10", "1.38123E+10", "13812345678.0", 13812345.0])
def test_rejects_spreadsheet_damage(raw: str | float) -> None:
    with pytest.raises(IdentityError) as caught:
        normalize_phone(raw)
    assert caught.value.code == "corrupted"
    assert "表格软件" in caught.value.message


def test_a_phone_in_a_numeric_cell_is_exact_and_accepted() -> None:
    # Spreadsheets keep 15 significant digits: an 11-digit number survives a numeric cell.
    assert normalize_phone(13812345678.0) == "13812345678"
