"""Deterministic synthetic identities (ID number, phone, name) for demo data and tests."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Final

from stdnum.cn import ric

from .dates import add_months
from .identity import PROVINCE_CODES

__all__ = [
    "FEMALE_GIVEN_CHARS",
    "MALE_GIVEN_CHARS",
    "PHONE_PREFIXES",
    "REGIONS",
    "SURNAMES",
    "TWO_CHAR_SURNAMES",
    "make_birth_date",
    "make_id_number",
    "make_name",
    "make_phone",
]

# Real county-level codes (朝阳区, 徐汇区, 天河区, 武侯区, 西湖区, 武昌区) so generated
# numbers also pass stricter address-code lookups than ours.
REGIONS: Final = ("110105", "310104", "440106", "510107", "330106", "420106")

# Virtual-operator ranges: unlikely to ring a real subscriber if a demo ever sends an SMS.
PHONE_PREFIXES: Final = ("170", "171", "162", "165", "167")

# Tuples, not sets: iteration order must be fixed for the output to be reproducible.
SURNAMES: Final = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严武戴莫孔向汤"
)
# Each must be in identity.COMPOUND_SURNAMES so masking keeps the whole surname.
TWO_CHAR_SURNAMES: Final = ("欧阳", "司马", "上官", "诸葛", "司徒", "东方")
MALE_GIVEN_CHARS: Final = tuple(
    "伟强磊军勇杰涛斌超明刚平辉鹏飞鑫波健亮俊峰浩宇志国建文东海林洋凯晨博昊然轩睿哲航旭泽阳毅"
    "锋坤彬帅龙江川山松柏栋岩振兴成忠义德庆福贵卫兵武"
)
FEMALE_GIVEN_CHARS: Final = tuple(
    "芳娜敏静丽艳娟霞秀玲燕婷雪琳慧莹倩颖洁晶欣怡佳悦琪萱雯蕾薇璐瑶妍婧菲梅兰琴红英云凤月萍丹"
    "茜露彤嘉馨蓉姗曼晓珊媛娅楠妮岚虹翠淑惠婉雅清巧春晴"
)

_TWO_CHAR_SURNAME_SHARE: Final = 0.03
_TWO_CHAR_GIVEN_SHARE: Final = 0.7
_MIN_BIRTH_YEAR: Final = 1900


def _check_gender(gender: str) -> None:
    if gender not in ("male", "female"):
        raise ValueError(f"gender must be 'male' or 'female', got {gender!r}")


def make_id_number(rng: random.Random, birth: date, gender: str, region: str | None = None) -> str:
    """A checksum-valid 18-digit ID number for `birth` and `gender` (odd sequence = male)."""
    _check_gender(gender)
    if region is None:
        region = rng.choice(REGIONS)
    if len(region) != 6 or not region.isascii() or not region.isdigit():
        raise ValueError(f"region must be a 6-digit address code, got {region!r}")
    if region[:2] not in PROVINCE_CODES:
        raise ValueError(f"region {region!r} has an unknown province code")
    if birth.year < _MIN_BIRTH_YEAR:
        raise ValueError("birth dates before 1900 are not valid in an ID number")
    # Sequence 000 is never issued, so male runs 001–999 (odd) and female 002–998 (even).
    sequence = 2 * rng.randrange(0, 500) + 1 if gender == "male" else 2 * rng.randrange(1, 500)
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_phone(rng: random.Random) -> str:
    """An 11-digit mobile number in a virtual-operator range."""
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def make_name(rng: random.Random, gender: str) -> str:
    """A plausible Chinese name: a common surname (sometimes two-character) + 1–2 chars."""
    _check_gender(gender)
    if rng.random() < _TWO_CHAR_SURNAME_SHARE:
        surname = rng.choice(TWO_CHAR_SURNAMES)
    else:
        surname = rng.choice(SURNAMES)
    chars = MALE_GIVEN_CHARS if gender == "male" else FEMALE_GIVEN_CHARS
    length = 2 if rng.random() < _TWO_CHAR_GIVEN_SHARE else 1
    return surname + "".join(rng.choice(chars) for _ in range(length))


def make_birth_date(rng: random.Random, on: date, *, min_age: int = 18, max_age: int = 80) -> date:
    """A birth date giving an age (周岁) between min_age and max_age inclusive on `on`."""
    if not 0 <= min_age <= max_age:
        raise ValueError("need 0 <= min_age <= max_age")
    latest = add_months(on, -12 * min_age)
    earliest = add_months(on, -12 * (max_age + 1)) + timedelta(days=1)
    return date.fromordinal(rng.randint(earliest.toordinal(), latest.toordinal()))
