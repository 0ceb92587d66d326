"""Hypothesis properties for the ID parser, the phone normaliser and masking."""

from __future__ import annotations

from datetime import date

from hypothesis import example, given
from hypothesis import strategies as st
from stdnum.cn import ric

from dangjian.regulations.identity import (
    PROVINCE_CODES,
    IdentityError,
    mask_id_number,
    mask_phone,
    normalize_phone,
    parse_id_number,
)

TODAY = date(2025, 1, 1)
DIGITS = "0123456789"
CHECK_CHARS = DIGITS + "X"

id_like = st.from_regex(r"\A[0-9０-９xXｘＸ \u3000\u200b.,+Ee'-]{0,24}\Z")
phone_like = st.from_regex(r"\A[+0-9０-９ ()\-.Ee]{0,20}\Z")


@given(st.one_of(st.text(), id_like))
@example("1.10105E+17")
@example("\x00")
@example("ß" * 9)
def test_parse_only_raises_identity_error(raw: str) -> None:
    try:
        parsed = parse_id_number(raw, today=TODAY)
    except IdentityError as error:
        assert error.message
        assert str(error) == error.message
    else:
        assert len(parsed.value) == 18
        assert parsed.value[-1] == ric.calc_check_digit(parsed.value)


@given(st.one_of(st.text(), phone_like))
def test_normalize_phone_only_raises_identity_error(raw: str) -> None:
    try:
        phone = normalize_phone(raw)
    except IdentityError as error:
        assert error.message
    else:
        assert len(phone) == 11
        assert phone.isascii()
        assert phone.isdigit()
        assert phone[0] == "1"
        assert phone[1] in "3456789"


@given(st.text(alphabet=DIGITS, min_size=17, max_size=17), st.sampled_from(CHECK_CHARS))
def test_wrong_check_character_is_never_accepted(body: str, check: str) -> None:
    raw = body + check
    if check == ric.calc_check_digit(body + "0"):
        return
    try:
        parse_id_number(raw, today=TODAY)
    except IdentityError as error:
        assert error.code in {"checksum", "corrupted"}
    else:
        raise AssertionError(f"accepted {raw} with a wrong check character")


regions = st.builds(
    lambda province, rest: province + rest,
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.text(alphabet=DIGITS, min_size=4, max_size=4),
)


@given(regions, st.dates(min_value=date(1900, 1, 1), max_value=TODAY), st.integers(0, 999))
def test_every_valid_number_round_trips(region: str, birth: date, sequence: int) -> None:
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    value = body + ric.calc_check_digit(body + "0")
    parsed = parse_id_number(value, today=TODAY)
    assert parsed.value == value
    assert parsed.birth_date == birth
    assert parsed.gender == ("male" if sequence % 2 else "female")
    assert parsed.warnings == ()
    assert parse_id_number(value.lower(), today=TODAY) == parsed
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) for ch in value)
    assert parse_id_number(f" {fullwidth}\u3000", today=TODAY) == parsed


@given(
    regions,
    st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
    st.integers(0, 999),
)
def test_fifteen_digit_numbers_convert(region: str, birth: date, sequence: int) -> None:
    old = f"{region}{birth:%y%m%d}{sequence:03d}"
    parsed = parse_id_number(old, today=TODAY)
    assert parsed.value[:17] == f"{region}{birth:%Y%m%d}{sequence:03d}"
    assert parsed.birth_date == birth
    assert len(parsed.warnings) == 1
    assert parse_id_number(parsed.value, today=TODAY).warnings == ()


def _replace_hidden(value: str, masked: str, filler: str) -> str:
    return "".join(
        filler if m == "*" and v != "*" else v for v, m in zip(value, masked, strict=True)
    )


@given(
    st.text(alphabet=CHECK_CHARS, min_size=18, max_size=18),
    st.text(alphabet=CHECK_CHARS, min_size=14, max_size=14),
)
def test_mask_id_number_shows_the_last_four_only(value: str, other_head: str) -> None:
    masked = mask_id_number(value)
    assert masked == "*" * 14 + value[-4:]
    # The output does not depend on the hidden digits (region and birth date) at all.
    assert mask_id_number(other_head + value[-4:]) == masked


@given(
    st.text(alphabet=DIGITS, min_size=11, max_size=11),
    st.text(alphabet=DIGITS, min_size=4, max_size=4),
)
def test_mask_phone_hides_the_middle(value: str, other_middle: str) -> None:
    masked = mask_phone(value)
    assert masked == value[:3] + "****" + value[-4:]
    assert mask_phone(value[:3] + other_middle + value[-4:]) == masked


@given(st.text(max_size=40), st.sampled_from("0123456789X"))
def test_masks_of_any_text_reveal_at_most_seven(value: str, filler: str) -> None:
    for mask in (mask_id_number, mask_phone):
        masked = mask(value)
        assert len(masked) == len(value)
        hidden = sum(1 for v, m in zip(value, masked, strict=True) if m == "*" and v != "*")
        visible = len(value) - masked.count("*")
        assert visible <= 7
        if value and "*" not in value:
            assert hidden >= 1
            assert mask(_replace_hidden(value, masked, filler)) == masked
