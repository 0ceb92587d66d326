"""ID number parsing (GB 11643) and the age helpers, on the vectors in security.md §6."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from dangjian.regulations.identity import (
    PROVINCE_CODES,
    IdentityError,
    IdNumber,
    age_on,
    eighteenth_birthday,
    parse_id_number,
)

from .helpers import with_check

TODAY = date(2024, 6, 1)

VALID = [
    ("11010519491231002X", date(1949, 12, 31), "female"),
    ("360426199101010071", date(1991, 1, 1), "male"),
    ("120103198806018241", date(1988, 6, 1), "female"),
]


@pytest.mark.parametrize(("raw", "birth", "gender"), VALID)
def test_valid_vectors(raw: str, birth: date, gender: str) -> None:
    parsed = parse_id_number(raw, today=TODAY)
    assert parsed == IdNumber(value=raw, birth_date=birth, gender=gender, warnings=())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002x", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("110105 19491231 002X", "11010519491231002X"),
        ("  11010519491231002X\n", "11010519491231002X"),
        ("\t110105\u300019491231\u3000002X", "11010519491231002X"),
        ("\xa011010519491231002X\xa0", "11010519491231002X"),
        ("\u200b1101051949\u200c1231\u200d002X\ufeff", "11010519491231002X"),
        ("'360426199101010071", "360426199101010071"),
        (360426199101010071, "360426199101010071"),
    ],
)
def test_normalisation(raw: str, expected: str) -> None:
    assert parse_id_number(raw, today=TODAY).value == expected


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        ("", "empty", "请填写身份证号"),
        ("   ", "empty", "请填写身份证号"),
        ("\u3000\u200b", "empty", "请填写身份证号"),
        ("'", "empty", "请填写身份证号"),
        (None, "empty", "请填写身份证号"),
        ("360426199101010072", "checksum", "身份证号校验位不正确"),
        ("230307196304054513", "checksum", "身份证号校验位不正确"),
        ("11010519491231002Y", "format", "身份证号应为18位"),
        ("1101051949123100X2", "format", "身份证号应为18位"),
        ("12345", "format", "身份证号应为18位（当前为5位）"),
        ("1101051949123100", "format", "身份证号应为18位"),
        ("11010519491231002X1", "format", "身份证号应为18位"),
        ("110105-19491231-002X", "format", "身份证号应为18位"),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "format", "身份证号应为18位"),
        ("11010519491231002X" * 2, "format", "身份证号应为18位"),
    ],
)
def test_rejections(raw: str | None, code: str, message: str) -> None:
    with pytest.raises(IdentityError) as caught:
        parse_id_number(raw, today=TODAY)
    assert caught.value.code == code
    assert caught.value.message.startswith(message)
    assert str(caught.value) == caught.value.message
    assert isinstance(caught.value, ValueError)


CORRUPTED = "身份证号已损坏（可能被表格软件转为数字），请以文本格式重新填写"


@pytest.mark.parametrize(
    "raw",
    [
        "1.10105E+17",
        "1.10105e+17",
        "1.10105194912310E+17",
        "１．１０１０５Ｅ＋１７",
        "110105194912310000.0",
        "360426199101010000.",
        "110,105,194,912,310,000",
        "110105194912310000",
        1.10105194912310e17,
    ],
)
def test_spreadsheet_damage_is_named(raw: str | float) -> None:
    with pytest.raises(IdentityError) as caught:
        parse_id_number(raw, today=TODAY)
    assert caught.value.code == "corrupted"
    assert caught.value.message == CORRUPTED


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("110105491231002", "11010519491231002X"),
        ("360426910101007", "360426199101010071"),
        ("１２０１０３８８０６０１８２４", "120103198806018241"),
    ],
)
def test_fifteen_digit_numbers_are_converted(raw: str, expected: str) -> None:
    parsed = parse_id_number(raw, today=TODAY)
    assert parsed.value == expected
    assert len(parsed.warnings) == 1
    assert parsed.warnings[0].startswith("15位旧身份证号已转换为18位：")
    # The warning may be logged, so it carries the masked number only.
    assert expected not in parsed.warnings[0]
    assert parse_id_number(expected, today=TODAY).birth_date == parsed.birth_date


def test_fifteen_digit_number_with_bad_date() -> None:
    with pytest.raises(IdentityError) as caught:
        parse_id_number("110105491301002", today=TODAY)
    assert caught.value.code == "birth_date"


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        ("11010520000229002", True),  # 2000 is a leap year
        ("11010519960229002", True),
        ("11010519000229002", False),  # 1900 is not
        ("11010520240229002", True),  # leap year, and before TODAY
        ("11010520230229002", False),
        ("11010519490230002", False),
        ("11010519491301002", False),
        ("11010519490001002", False),
        ("11010519491200002", False),
        ("11010518991231002", False),  # before 1900
        ("11010519000101002", True),
    ],
)
def test_birth_date_validity(body: str, ok: bool) -> None:
    raw = with_check(body)
    if ok:
        assert parse_id_number(raw, today=TODAY).birth_date.strftime("%Y%m%d") == body[6:14]
    else:
        with pytest.raises(IdentityError) as caught:
            parse_id_number(raw, today=TODAY)
        assert caught.value.code == "birth_date"
        assert body[6:14] in caught.value.message


@pytest.mark.parametrize(
    ("birth", "accepted"),
    [
        ("20240531", True),  # the day before today
        ("20240601", True),  # born today
        ("20240602", False),  # tomorrow
        ("20991231", False),
    ],
)
def test_future_birth_date(birth: str, accepted: bool) -> None:
    raw = with_check(f"110105{birth}002")
    if accepted:
        assert parse_id_number(raw, today=TODAY).birth_date.strftime("%Y%m%d") == birth
    else:
        with pytest.raises(IdentityError) as caught:
            parse_id_number(raw, today=TODAY)
        assert caught.value.code == "future"
        assert "晚于今天" in caught.value.message


def test_today_defaults_to_the_real_date() -> None:
    far_future = with_check("11010530001231002")
    with pytest.raises(IdentityError):
        parse_id_number(far_future)


def test_today_defaults_to_the_date_in_china_not_the_servers() -> None:
    # 20:00 UTC on 25 November is 04:00 on the 26th in Beijing: a server on UTC is a day behind.
    with time_machine.travel(datetime(2026, 11, 25, 20, 0, tzinfo=UTC), tick=False):
        assert parse_id_number(with_check("11010520261126002")).birth_date == date(2026, 11, 26)
        with pytest.raises(IdentityError):
            parse_id_number(with_check("11010520261127002"))


REAL_PROVINCES = {
    *range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47),
    *range(50, 55), *range(61, 66), 71, 81, 82, 83,
}  # fmt: skip


@pytest.mark.parametrize("province", range(10, 100))
def test_province_codes(province: int) -> None:
    raw = with_check(f"{province}010519491231002")
    if province in REAL_PROVINCES:
        assert parse_id_number(raw, today=TODAY).province_code == str(province)
    else:
        with pytest.raises(IdentityError) as caught:
            parse_id_number(raw, today=TODAY)
        assert caught.value.code == "region"
        assert f"（{province}）" in caught.value.message


@pytest.mark.parametrize("province", ["00", "01", "09"])
def test_province_codes_with_leading_zero(province: str) -> None:
    with pytest.raises(IdentityError) as caught:
        parse_id_number(with_check(f"{province}010519491231002"), today=TODAY)
    assert caught.value.code == "region"


def test_province_table_matches_the_brief() -> None:
    assert {int(code) for code in PROVINCE_CODES} == REAL_PROVINCES


@pytest.mark.parametrize(
    ("sequence", "gender"), [("001", "male"), ("002", "female"), ("999", "male"), ("990", "female")]
)
def test_gender_from_seventeenth_digit(sequence: str, gender: str) -> None:
    raw = with_check(f"11010519491231{sequence}")
    assert parse_id_number(raw, today=TODAY).gender == gender


def test_repr_does_not_leak_the_number() -> None:
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    assert "11010519491231002X" not in repr(parsed)
    assert "**************002X" in repr(parsed)
    assert parsed.masked == "**************002X"
    assert parsed.region_code == "110105"


def test_non_text_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse_id_number(["11010519491231002X"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(1990, 6, 15), date(2008, 6, 14), 17),
        (date(1990, 6, 15), date(2008, 6, 15), 18),
        (date(1990, 6, 15), date(2008, 6, 16), 18),
        (date(1990, 6, 15), date(1990, 6, 15), 0),
        (date(2000, 2, 29), date(2018, 2, 28), 17),
        (date(2000, 2, 29), date(2018, 3, 1), 18),
        (date(2000, 2, 29), date(2019, 2, 28), 18),
        (date(2000, 2, 29), date(2020, 2, 28), 19),
        (date(2000, 2, 29), date(2020, 2, 29), 20),
        (date(2000, 3, 1), date(2018, 2, 28), 17),
        (date(2000, 3, 1), date(2018, 3, 1), 18),
        (date(1999, 12, 31), date(2017, 12, 31), 18),
        (date(1999, 12, 31), date(2018, 1, 1), 18),
    ],
)
def test_age_on(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


def test_age_on_before_birth() -> None:
    with pytest.raises(ValueError):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


@pytest.mark.parametrize(
    ("birth", "turns_18"),
    [
        (date(1990, 6, 15), date(2008, 6, 15)),
        (date(2000, 2, 29), date(2018, 3, 1)),
        (date(1996, 2, 29), date(2014, 3, 1)),
        (date(2002, 2, 28), date(2020, 2, 28)),
        (date(2002, 3, 1), date(2020, 3, 1)),
        (date(1999, 12, 31), date(2017, 12, 31)),
    ],
)
def test_eighteenth_birthday(birth: date, turns_18: date) -> None:
    assert eighteenth_birthday(birth) == turns_18
    assert age_on(birth, turns_18) == 18
    assert age_on(birth, date.fromordinal(turns_18.toordinal() - 1)) == 17
