"""Synthetic identities are deterministic and pass the platform's own validators."""

from __future__ import annotations

import random
from datetime import date

import pytest

from dangjian.regulations.identity import (
    COMPOUND_SURNAMES,
    age_on,
    mask_name,
    normalize_phone,
    parse_id_number,
)
from dangjian.regulations.synth import (
    FEMALE_GIVEN_CHARS,
    MALE_GIVEN_CHARS,
    PHONE_PREFIXES,
    REGIONS,
    SURNAMES,
    TWO_CHAR_SURNAMES,
    make_birth_date,
    make_id_number,
    make_name,
    make_phone,
)

TODAY = date(2024, 6, 1)


@pytest.mark.parametrize("seed", range(50))
def test_generated_identities_validate(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(20):
        gender = rng.choice(["male", "female"])
        birth = make_birth_date(rng, TODAY)
        id_number = make_id_number(rng, birth, gender)
        parsed = parse_id_number(id_number, today=TODAY)
        assert (parsed.value, parsed.birth_date, parsed.gender) == (id_number, birth, gender)
        assert parsed.warnings == ()
        assert id_number[:6] in REGIONS

        phone = make_phone(rng)
        assert normalize_phone(phone) == phone
        assert phone[:3] in PHONE_PREFIXES

        name = make_name(rng, gender)
        assert 2 <= len(name) <= 4
        assert all("\u4e00" <= ch <= "\u9fff" for ch in name)


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("gender", ["male", "female"])
def test_every_region_and_gender(region: str, gender: str) -> None:
    rng = random.Random(region)
    for birth in (date(1900, 1, 1), date(2000, 2, 29), TODAY):
        parsed = parse_id_number(make_id_number(rng, birth, gender, region), today=TODAY)
        assert parsed.region_code == region
        assert parsed.gender == gender
        assert parsed.birth_date == birth


def test_sequence_is_never_000() -> None:
    rng = random.Random(7)
    sequences = {make_id_number(rng, TODAY, g)[14:17] for g in ("male", "female") * 2000}
    assert "000" not in sequences


def test_deterministic() -> None:
    def run(seed: int) -> list[str]:
        rng = random.Random(seed)
        birth = make_birth_date(rng, TODAY)
        return [
            make_id_number(rng, birth, "female"),
            make_phone(rng),
            make_name(rng, "male"),
            birth.isoformat(),
        ]

    assert run(42) == run(42)
    assert run(42) != run(43)


@pytest.mark.parametrize(
    ("region", "gender", "birth"),
    [
        ("11010", "male", TODAY),
        ("1101050", "male", TODAY),
        ("11010a", "male", TODAY),
        ("990105", "male", TODAY),
        ("110105", "m", TODAY),
        ("110105", "male", date(1899, 12, 31)),
    ],
)
def test_make_id_number_rejects_bad_input(region: str, gender: str, birth: date) -> None:
    with pytest.raises(ValueError):
        make_id_number(random.Random(0), birth, gender, region)


def test_make_name_rejects_bad_gender() -> None:
    with pytest.raises(ValueError):
        make_name(random.Random(0), "x")


def test_name_lists() -> None:
    assert len(set(MALE_GIVEN_CHARS)) == len(MALE_GIVEN_CHARS) >= 60
    assert len(set(FEMALE_GIVEN_CHARS)) == len(FEMALE_GIVEN_CHARS) >= 60
    assert len(set(SURNAMES)) == len(SURNAMES)
    assert set(TWO_CHAR_SURNAMES) <= COMPOUND_SURNAMES


def test_two_char_surnames_are_generated_and_masked_whole() -> None:
    rng = random.Random(1)
    names = [make_name(rng, "female") for _ in range(2000)]
    compound = [n for n in names if n[:2] in TWO_CHAR_SURNAMES]
    assert compound
    for name in compound:
        assert mask_name(name) == name[:2] + "*" * (len(name) - 2)
    assert {len(n) for n in names} >= {2, 3}


@pytest.mark.parametrize(("min_age", "max_age"), [(18, 80), (18, 18), (0, 0), (60, 100)])
@pytest.mark.parametrize("on", [TODAY, date(2024, 2, 29), date(2023, 2, 28), date(2025, 3, 1)])
def test_make_birth_date_range(min_age: int, max_age: int, on: date) -> None:
    rng = random.Random(5)
    for _ in range(300):
        assert (
            min_age
            <= age_on(make_birth_date(rng, on, min_age=min_age, max_age=max_age), on)
            <= max_age
        )


def test_make_birth_date_rejects_bad_range() -> None:
    with pytest.raises(ValueError):
        make_birth_date(random.Random(0), TODAY, min_age=30, max_age=20)
