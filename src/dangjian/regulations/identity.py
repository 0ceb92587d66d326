"""Resident ID number (GB 11643) and mobile phone validation, masking and age arithmetic."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import phonenumbers
from stdnum.cn import ric

from dangjian.regulations.periods import cn_date

from .periods import TZ

__all__ = [
    "COMPOUND_SURNAMES",
    "PROVINCE_CODES",
    "IdNumber",
    "IdentityError",
    "age_on",
    "eighteenth_birthday",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "normalize_employee_number",
    "normalize_phone",
    "parse_id_number",
]

# GB/T 2260 province-level codes; 71 台湾, 81 香港, 82 澳门 and 83 (台湾居民居住证) are
# included because residence-permit numbers share the ID number layout.
PROVINCE_CODES: Final[frozenset[str]] = frozenset(
    str(code)
    for code in (
        *range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47),
        *range(50, 55), *range(61, 66), 71, 81, 82, 83,
    )
)  # fmt: skip

# Two-character surnames: masking must keep the whole surname ("欧阳**", not "欧***").
COMPOUND_SURNAMES: Final[frozenset[str]] = frozenset(
    {
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
        "宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离", "闻人", "端木", "南宫", "西门",
        "独孤", "万俟", "澹台", "申屠", "太史", "呼延", "赫连", "司空", "百里", "东郭",
    }
)  # fmt: skip

# Names joined with these (e.g. 阿依古丽·买买提) keep the separator visible when masked.
_NAME_SEPARATORS: Final = frozenset("·•・. ")

# Full-width ASCII (U+FF01–U+FF5E) typed through a Chinese IME maps onto plain ASCII.
_FULLWIDTH: Final = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}

_ID18: Final = re.compile(r"[0-9]{17}[0-9X]")
_ID15: Final = re.compile(r"[0-9]{15}")
# What a spreadsheet makes of a long number typed into a numeric cell.
_SCIENTIFIC: Final = re.compile(r"[0-9]+(?:\.[0-9]*)?E[+-]?[0-9]+")
_DECIMAL: Final = re.compile(r"[0-9]{15,18}\.[0-9]*")
_THOUSANDS: Final = re.compile(r"[0-9]{1,3}(?:,[0-9]{3}){4,5}(?:\.[0-9]*)?")

_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}")
_PHONE_SEPARATORS: Final = frozenset("-‐‑‒–—―()（）")

_MIN_BIRTH_YEAR: Final = 1900
# The last 4 digits only: with the region code (digits 1–6) hidden as well, an ID number cannot
# be narrowed from what else a page shows (birth year, gender); see docs/privacy.md.
_ID_HEAD, _ID_TAIL = 0, 4
_PHONE_HEAD, _PHONE_TAIL = 3, 4

MSG_ID_EMPTY: Final = "请填写身份证号"
MSG_ID_CORRUPTED: Final = "身份证号已损坏（可能被表格软件转为数字），请以文本格式重新填写"
MSG_ID_CHECKSUM: Final = "身份证号校验位不正确，请核对号码是否有误"
MSG_PHONE_EMPTY: Final = "请填写手机号"
MSG_PHONE_FORMAT: Final = "手机号应为11位中国大陆手机号码，如 13812345678"
MSG_PHONE_CORRUPTED: Final = "手机号已损坏（可能被表格软件转为数字），请以文本格式重新填写"


class IdentityError(ValueError):
    """Invalid ID number or phone; `message` is the Chinese text to show the user.

    `code` is a stable machine-readable reason ("empty", "format", "corrupted",
    "checksum", "birth_date", "future", "region") for callers that branch on it.
    """

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, repr=False)
class IdNumber:
    """A validated 18-character ID number with the facts encoded in it."""

    value: str
    birth_date: date
    gender: str
    warnings: tuple[str, ...] = ()

    @property
    def masked(self) -> str:
        """The value as it may be shown without the unmask permission."""
        return mask_id_number(self.value)

    @property
    def province_code(self) -> str:
        return self.value[:2]

    @property
    def region_code(self) -> str:
        return self.value[:6]

    def __repr__(self) -> str:
        # Keep the full number out of logs, tracebacks and debug pages.
        return (
            f"IdNumber(value={self.masked!r}, birth_date={self.birth_date!r}, "
            f"gender={self.gender!r}, warnings={self.warnings!r})"
        )


def _clean(raw: str) -> str:
    """Fold full-width ASCII and drop whitespace (incl. U+3000, NBSP) and invisible chars."""
    text = raw.translate(_FULLWIDTH)
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")


def _coerce_text(
    raw: str | int | float | None, *, empty: str, corrupted: str, exact_digits: int
) -> str:
    # Spreadsheet readers hand over numbers, not strings; a float has already lost digits.
    if raw is None:
        raise IdentityError(empty, code="empty")
    if isinstance(raw, bool):
        raise IdentityError(corrupted, code="corrupted")
    if isinstance(raw, float):
        # Excel keeps 15 significant digits: an 11-digit phone or an old 15-digit ID number
        # survives as a number, an 18-digit ID number never does.
        if raw.is_integer() and 10 ** (exact_digits - 1) <= raw < 10**exact_digits:
            return str(int(raw))
        raise IdentityError(corrupted, code="corrupted")
    if isinstance(raw, int):
        return str(raw)
    if not isinstance(raw, str):
        raise TypeError(f"expected str, got {type(raw).__name__}")
    return raw


def _looks_like_spreadsheet_number(text: str) -> bool:
    return bool(
        _SCIENTIFIC.fullmatch(text) or _DECIMAL.fullmatch(text) or _THOUSANDS.fullmatch(text)
    )


def _normalised_id_text(raw: str | int | float | None) -> str:
    """The cell as ID-number text: coerced, cleaned, without a leading apostrophe, upper-case."""
    text = _clean(
        _coerce_text(raw, empty=MSG_ID_EMPTY, corrupted=MSG_ID_CORRUPTED, exact_digits=15)
    )
    # An apostrophe is the usual way to force a spreadsheet cell to text; it is not data.
    if text.startswith("'"):
        text = text[1:]
    text = text.upper()
    if not text:
        raise IdentityError(MSG_ID_EMPTY, code="empty")
    if _looks_like_spreadsheet_number(text):
        raise IdentityError(MSG_ID_CORRUPTED, code="corrupted")
    return text


def parse_id_number(raw: str | int | float | None, *, today: date | None = None) -> IdNumber:
    """Validate and normalise a resident ID number; raise IdentityError with a Chinese message.

    A 15-digit first-generation number is converted to 18 digits (century 19, computed
    check character) and the result carries a warning saying so.
    """
    today = today or datetime.now(TZ).date()  # the calendar in China, not the server's
    warnings: list[str] = []
    # A cell already clean (17 digits and a digit or X: nothing to fold, strip or upper-case),
    # as nearly every cell of a bulk import is, goes straight to the checks below.
    text = raw if isinstance(raw, str) and _ID18.fullmatch(raw) else _normalised_id_text(raw)
    if _ID15.fullmatch(text):
        body = f"{text[:6]}19{text[6:]}"
        text = body + ric.calc_check_digit(body + "0")
        warnings.append(f"15位旧身份证号已转换为18位：{mask_id_number(text)}，请核对")
    elif not _ID18.fullmatch(text):
        if len(text) != 18:
            message = (
                f"身份证号应为18位（当前为{len(text)}位），由17位数字和1位校验码（数字或X）组成"
            )
        else:
            message = "身份证号应为18位，前17位只能是数字，末位只能是数字或X"
        raise IdentityError(message, code="format")
    elif text[-1] != ric.calc_check_digit(text):
        # Excel keeps 15 significant digits, so a number that went through a numeric
        # cell ends in zeros and (almost always) fails the check.
        if text.endswith("000"):
            raise IdentityError(MSG_ID_CORRUPTED, code="corrupted")
        raise IdentityError(MSG_ID_CHECKSUM, code="checksum")

    try:  # ric.get_birth_date without its compaction: the text is compact here
        birth: date | None = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        birth = None
    if birth is None or birth.year < _MIN_BIRTH_YEAR:
        raise IdentityError(
            f"身份证号中的出生日期（{text[6:14]}）不是有效日期，请核对", code="birth_date"
        )
    if birth > today:
        raise IdentityError(
            f"身份证号中的出生日期（{cn_date(birth)}）晚于今天，请核对", code="future"
        )
    if text[:2] not in PROVINCE_CODES:
        raise IdentityError(
            f"身份证号前两位（{text[:2]}）不是有效的省级行政区划代码，请核对", code="region"
        )

    gender = "male" if int(text[16]) % 2 == 1 else "female"
    return IdNumber(value=text, birth_date=birth, gender=gender, warnings=tuple(warnings))


def normalize_phone(raw: str | int | float | None) -> str:
    """Return an 11-digit mainland mobile number or raise IdentityError (Chinese message).

    The pattern ^1[3-9]\\d{9}$ decides: 工信部 keeps opening prefixes faster than the
    phonenumbers metadata is updated, so its opinion on validity is not a reason to reject.
    """
    if isinstance(raw, str) and _MOBILE.fullmatch(raw):
        return raw  # already a plain mobile number: the common case of bulk imports
    text = _clean(
        _coerce_text(raw, empty=MSG_PHONE_EMPTY, corrupted=MSG_PHONE_CORRUPTED, exact_digits=11)
    )
    text = "".join(ch for ch in text if ch not in _PHONE_SEPARATORS)
    if text.startswith("'"):
        text = text[1:]
    if not text:
        raise IdentityError(MSG_PHONE_EMPTY, code="empty")
    if _SCIENTIFIC.fullmatch(text.upper()) or re.fullmatch(r"[0-9]{11}\.[0-9]*", text):
        raise IdentityError(MSG_PHONE_CORRUPTED, code="corrupted")

    national = text
    for prefix in ("+86", "0086", "86"):
        rest = text.removeprefix(prefix)
        if rest != text and len(rest) == 11:
            national = rest
            break
    if not _MOBILE.fullmatch(national):
        raise IdentityError(MSG_PHONE_FORMAT, code="format")

    try:
        parsed = phonenumbers.parse(f"+86{national}", None)
    except phonenumbers.NumberParseException:
        return national
    normalised = phonenumbers.national_significant_number(parsed)
    # Defensive: only trust phonenumbers' rewrite if it kept the number we validated.
    return normalised if _MOBILE.fullmatch(normalised) else national


EMPLOYEE_NUMBER_MAX = 30
_EMPLOYEE_NUMBER = re.compile(r"[0-9A-Z][0-9A-Z_-]*")


def normalize_employee_number(raw: str | int | float | None) -> str:
    """An employee number (工号) as the payroll office writes it, or "" for none.

    Letters, digits, "-" and "_", case-folded to upper case, spaces removed; at most 30
    characters. A whole-number spreadsheet cell (10023.0) reads as "10023"; leading zeros it lost
    cannot be recovered, so the payroll import says so when such a cell matches nobody.
    """
    if raw is None:
        return ""
    if isinstance(raw, bool):
        raise IdentityError("工号只能包含字母、数字、“-”和“_”", code="format")
    if isinstance(raw, float):
        if not raw.is_integer() or raw < 0:
            raise IdentityError("工号只能包含字母、数字、“-”和“_”", code="format")
        raw = int(raw)
    text = "".join(unicodedata.normalize("NFKC", str(raw)).split()).upper()
    if text.startswith("'"):
        text = text[1:]
    if not text:
        return ""
    if len(text) > EMPLOYEE_NUMBER_MAX:
        raise IdentityError(f"工号最长{EMPLOYEE_NUMBER_MAX}个字符", code="length")
    if not _EMPLOYEE_NUMBER.fullmatch(text):
        raise IdentityError("工号只能包含字母、数字、“-”和“_”", code="format")
    return text


def _mask_middle(value: str, head: int, tail: int, min_hidden: int) -> str:
    """Keep at most `head` + `tail` characters visible and hide at least `min_hidden`."""
    n = len(value)
    min_hidden = min(n, max(min_hidden, 1)) if n else 0
    while head + tail > n - min_hidden:
        if tail > head:
            tail -= 1
        else:
            head -= 1
    hidden = n - head - tail
    return value[:head] + "*" * hidden + value[n - tail :]


def mask_id_number(v: str) -> str:
    """Mask an ID number as 14 stars + its last 4 ("**************123X")."""
    if not v:
        return ""
    n = len(v)
    # Short or malformed values hide at least half, so a fragment never gives away more.
    return _mask_middle(v, _ID_HEAD, _ID_TAIL, max(n - _ID_HEAD - _ID_TAIL, (n + 1) // 2))


def mask_phone(v: str) -> str:
    """Mask a phone number as 3 + 4 stars + 4 ("138****1234")."""
    if not v:
        return ""
    n = len(v)
    return _mask_middle(v, _PHONE_HEAD, _PHONE_TAIL, max(n - _PHONE_HEAD - _PHONE_TAIL, 4))


def mask_name(v: str | None) -> str:
    """Mask a person's name, keeping only the surname ("张*", "欧阳**")."""
    if not v:
        return ""
    name = v.strip()
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    keep = 2 if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:keep] + "".join(ch if ch in _NAME_SEPARATORS else "*" for ch in name[keep:])


def age_on(birth: date, on: date) -> int:
    """Age in full years (周岁) on a date; a 29 February birthday counts from 1 March."""
    if on < birth:
        raise ValueError("on must not be before birth")
    # Tuple comparison makes a Feb-29 birthday "not yet reached" on Feb 28 of a
    # common year and reached on Mar 1, which is the rule we want.
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def eighteenth_birthday(birth: date) -> date:
    """The day someone turns 18 (年满18周岁); 29 February maps to 1 March."""
    year = birth.year + 18
    try:
        return birth.replace(year=year)
    except ValueError:
        return date(year, 3, 1)
