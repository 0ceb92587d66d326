"""Cell normalisation for rosters: clean text, dates (day or month precision) and choice labels.

Pure functions, no database. Each parser takes the raw cell value as the spreadsheet library gave
it (str, int, float, date, datetime or None) and raises CellError with a Chinese message that
names the field when the value cannot be used. Nothing is guessed silently: a value that could
mean two different things is rejected with the reason.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal

from dangjian.regulations.periods import TZ

__all__ = [
    "ETHNIC_GROUPS",
    "CellError",
    "PartialDate",
    "clean_text",
    "parse_choice",
    "parse_date",
    "parse_ethnicity",
]


class CellError(ValueError):
    """A cell value that cannot be used; `message` is the Chinese text shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- text ---------------------------------------------------------------------------------------

# Characters that render as nothing (or reorder text) but break equality: Unicode category Cf
# (zero-width space/joiners U+200B–U+200D, BOM U+FEFF, word joiner U+2060, soft hyphen, bidi
# controls), control characters that are not whitespace, and lone surrogates.
_INVISIBLE: Final = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)

# Han ideographs, CJK punctuation and the middle dot of transliterated names (阿依古丽·买买提):
# a space between two of these is a typing accident ("张 三"), not a word boundary.
_CJK: Final = (
    "\u3000-\u303f"  # CJK symbols and punctuation
    "\u3400-\u4dbf"  # extension A
    "\u4e00-\u9fff"  # unified ideographs
    "\uf900-\ufaff"  # compatibility ideographs (NFKC maps most of them)
    "\uff00-\uffef"  # half/full-width forms left after NFKC
    "\u00b7\u30fb"  # middle dots
    "\U00020000-\U0003134f"  # extensions B–H
)
_CJK_SPACE: Final = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")


@functools.lru_cache(
    maxsize=16384
)  # cells repeat (branches, statuses, dates): an import cleans each once
def _clean_once(text: str) -> str:
    # Invisible characters go before NFKC so that what they separated normalises together;
    # str.split() then takes every kind of whitespace (NBSP, U+3000, line breaks in a cell).
    text = _INVISIBLE.sub("", text)
    if not text.isascii():
        text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = " ".join(text.split())
    return text if text.isascii() else _CJK_SPACE.sub("", text)


def clean_text(value: object) -> str:
    """The text of a cell as a person reads it: half-width, no invisible characters, one space.

    Full-width letters, digits and punctuation become half-width (Chinese characters stay);
    NBSP and the ideographic space become spaces; runs of whitespace collapse to one space and
    spaces between two Chinese characters go ("张 三" → "张三"), while "Li Ming" keeps its space.

    Typed values are not reinterpreted: a number is rendered with str() (13812345678.0 stays
    "13812345678.0"), so the field parsers, not this function, decide what a float means.
    """
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    cleaned = _clean_once(text)
    return cleaned


# --- dates --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartialDate:
    """A date known to the day, or only to the month (old rosters often say "1990年5月").

    For month precision `value` is the first of the month and means "some day in that month".
    """

    value: date
    precision: Literal["day", "month"] = "day"

    def __post_init__(self) -> None:
        if self.precision not in ("day", "month"):
            raise ValueError(f"precision must be 'day' or 'month', got {self.precision!r}")
        if self.precision == "month" and self.value.day != 1:
            raise ValueError("a month-precision date is stored as the first of the month")

    def __str__(self) -> str:
        if self.precision == "month":
            return f"{self.value.year:04d}-{self.value.month:02d}"
        return self.value.isoformat()


_MIN_YEAR: Final = 1900
# Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 is the 1900-02-29 that Lotus
# 1-2-3 invented; from serial 61 on, the count runs from 1899-12-30.
_EXCEL_EPOCH: Final = date(1899, 12, 30)
_EXCEL_FAKE_LEAP_DAY: Final = 60

_SEP_DAY: Final = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")
_ISO_DAY: Final = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_SEP_MONTH: Final = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})")
_CN_DAY: Final = re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})[日号]?")
_CN_MONTH: Final = re.compile(r"([0-9]{4})年([0-9]{1,2})月?份?")
_COMPACT_DAY: Final = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_COMPACT_MONTH: Final = re.compile(r"([0-9]{4})([0-9]{2})")
# A time of day after the date, as database exports write it ("1990-05-03 00:00:00").
_TIME_SUFFIX: Final = re.compile(r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)$")
_TWO_DIGIT_YEAR: Final = re.compile(r"[0-9]{2}(?:[-/.年][0-9]{1,2}|[0-9]{4}$)")

_FORMAT_HINT: Final = "请写成 1990-05-03 或 1990-05（只知道年月时）"


def _shown(value: object) -> str:
    text = clean_text(value)
    return text if len(text) <= 30 else text[:30] + "…"


def _make(
    year: int, month: int, day: int | None, *, raw: object, label: str, today: date
) -> PartialDate:
    if year < _MIN_YEAR:
        raise CellError(f"{label}「{_shown(raw)}」早于1900年，请核对年份")
    try:
        value = date(year, month, day or 1)
    except ValueError:
        raise CellError(f"{label}「{_shown(raw)}」不是实际存在的日期，请核对年月日") from None
    if day is None:
        if (year, month) > (today.year, today.month):
            raise CellError(f"{label}「{_shown(raw)}」晚于今天，请核对")
        return PartialDate(value, "month")
    if value > today:
        raise CellError(f"{label}「{_shown(raw)}」晚于今天，请核对")
    return PartialDate(value, "day")


def _from_serial(serial: float, *, raw: object, label: str, today: date) -> PartialDate:
    whole = math.floor(serial)
    if whole == _EXCEL_FAKE_LEAP_DAY:
        raise CellError(f"{label}「{_shown(raw)}」是 Excel 中不存在的 1900-02-29，请核对")
    if whole < _EXCEL_FAKE_LEAP_DAY:
        value = date(1899, 12, 31) + timedelta(days=whole)
    else:
        value = _EXCEL_EPOCH + timedelta(days=whole)
    return _make(value.year, value.month, value.day, raw=raw, label=label, today=today)


def _from_number(value: float, *, raw: object, label: str, today: date) -> PartialDate:
    """A number in a date column: an Excel serial, or a date typed into a numeric cell."""
    shown = _shown(raw)
    if not math.isfinite(value) or value < 1:
        raise CellError(f"{label}「{shown}」不是有效日期，{_FORMAT_HINT}")
    integral = float(value).is_integer()
    if 1000 <= value < 10000:
        # "1990.05" typed into a General cell is stored as the number 1990.05, which as a serial
        # would be a day in 1905. Its decimals are the month, when they can be read back.
        if integral:
            raise CellError(f"{label}「{shown}」只有年份，请补充月份，{_FORMAT_HINT}")
        year_part, _, month_part = repr(float(value)).partition(".")
        if "e" in month_part or not month_part.isdigit() or len(month_part) > 2:
            raise CellError(f"{label}「{shown}」不是有效日期，{_FORMAT_HINT}")
        if month_part == "1":
            raise CellError(
                f"{label}「{shown}」是数字格式，无法区分1月和10月（数字 1990.10 与 1990.1 相同），"
                "请写成 1990-01 或 1990-10"
            )
        return _make(int(year_part), int(month_part), None, raw=raw, label=label, today=today)
    if integral and 100000 <= value < 1000000:
        number = int(value)  # yyyymm typed as a number; as a serial it would be centuries ahead
        return _make(number // 100, number % 100, None, raw=raw, label=label, today=today)
    if integral and 10000000 <= value < 100000000:
        number = int(value)  # yyyymmdd typed as a number
        return _make(
            number // 10000, number // 100 % 100, number % 100, raw=raw, label=label, today=today
        )
    if value < 100000:
        return _from_serial(value, raw=raw, label=label, today=today)
    raise CellError(f"{label}「{shown}」不是有效日期，{_FORMAT_HINT}")


def _from_text(text: str, *, raw: object, label: str, today: date) -> PartialDate:
    match = _ISO_DAY.fullmatch(text)
    if match:  # 1990-05-03 as most rosters write it: what the full path below finds too
        return _make(int(match[1]), int(match[2]), int(match[3]), raw=raw, label=label, today=today)
    compact = re.sub(r"\s+", "", _TIME_SUFFIX.sub("", text))

    def make(year: str, month: str, day: str | None) -> PartialDate:
        return _make(
            int(year), int(month), int(day) if day else None, raw=raw, label=label, today=today
        )

    match = _SEP_DAY.fullmatch(compact)
    if match:
        return make(match.group(1), match.group(3), match.group(4))
    match = _CN_DAY.fullmatch(compact)
    if match:
        return make(*match.groups())
    for pattern in (_SEP_MONTH, _CN_MONTH):
        match = pattern.fullmatch(compact)
        if match:
            # "1990.10" is October and "1990.1" January: the text keeps the digits as typed.
            return make(match.group(1), match.group(2), None)
    match = _COMPACT_DAY.fullmatch(compact)
    if match:
        return make(*match.groups())
    match = _COMPACT_MONTH.fullmatch(compact)
    if match:
        return make(*match.groups(), None)
    if _TWO_DIGIT_YEAR.match(compact):
        raise CellError(f"{label}「{_shown(raw)}」的年份应写四位数字（如 1990），{_FORMAT_HINT}")
    raise CellError(f"{label}「{_shown(raw)}」不是有效日期，{_FORMAT_HINT}")


def parse_date(value: object, *, field_label: str, today: date | None = None) -> PartialDate | None:
    """A cell as a date with its precision; None for an empty cell.

    Accepts date/datetime cells, Excel serial numbers (1900 date system; serial 60, Lotus's
    1900-02-29, is rejected), and text such as 1990-05-03, 1990/5/3, 1990.05.03, 1990年5月3日,
    19900503 (day precision) or 1990-05, 1990.5, 1990.10, 1990年5月, 199005 (month precision).
    Dates before 1900 or after `today`, impossible days and two-digit years raise CellError.

    A number between 1000 and 9999 in a numeric cell is read as year.month ("1990.05" typed
    into a General cell), not as a serial day in 1902–1927; 1990.1 as a number is rejected,
    since Excel stores 1990.10 (October) as the same number.
    """
    today = today or datetime.now(TZ).date()  # the calendar in China, not the server's
    label = field_label
    if value is None:
        return None
    if isinstance(value, datetime):
        return _make(value.year, value.month, value.day, raw=value.date(), label=label, today=today)
    if isinstance(value, date):
        return _make(value.year, value.month, value.day, raw=value, label=label, today=today)
    if isinstance(value, bool):
        raise CellError(f"{label}「{_shown(value)}」不是有效日期，{_FORMAT_HINT}")
    if isinstance(value, int | float):
        return _from_number(float(value), raw=value, label=label, today=today)
    if not isinstance(value, str):
        raise CellError(f"{label}「{_shown(value)}」不是有效日期，{_FORMAT_HINT}")
    text = clean_text(value)
    if not text:
        return None
    return _from_text(text, raw=value, label=label, today=today)


# --- choices ------------------------------------------------------------------------------------

# Words people write instead of the labels of our choices, keyed by the label they mean. A synonym
# only applies when its label is among the choices passed in.
CHOICE_SYNONYMS: Final[Mapping[str, tuple[str, ...]]] = {
    "男": ("男性", "男士"),
    "女": ("女性", "女士"),
    "正式党员": ("正式", "中共党员"),
    "预备党员": ("预备", "中共预备党员"),
    "在职": ("在岗", "在职人员"),
    "离退休": ("退休", "离休", "已退休", "离退休人员", "退休人员"),
    "研究生": ("硕士", "博士", "硕士研究生", "博士研究生", "研究生及以上", "博士研究生及以上"),
    "大学本科": ("本科", "大学", "大本"),
    "大学专科": ("大专", "专科"),
    "中专/高中": ("中专", "高中", "中专及高中", "中专、高中", "高中/中专", "中专或高中", "中技", "技校", "职高"),
    "初中及以下": ("初中", "小学", "初中以下", "小学及以下"),
}  # fmt: skip


def _choice_key(value: str) -> str:
    return clean_text(value).replace(" ", "").casefold()


@functools.lru_cache(maxsize=64)
def _choice_table(items: tuple[tuple[str, str], ...]) -> tuple[dict[str, str], str]:
    """(lookup key → code, the labels to list) for a choices mapping, in either direction.

    code → label is Django's shape (dict(Gender.choices)). A mapping in which every value is
    also a key is read as alias → code (codes mapping to themselves, labels and other aliases
    to their code), the shape a caller builds to accept both.
    """
    mapping = dict(items)
    values = set(mapping.values())
    labels: dict[str, str] = {}
    aliases: list[tuple[str, str]] = []
    if values and values <= set(mapping):
        for alias, code in mapping.items():
            if alias != code:
                labels.setdefault(code, alias)
                aliases.append((alias, code))
        labels = {code: labels.get(code, code) for code in dict.fromkeys(mapping.values())}
    else:
        labels = mapping
    lookup: dict[str, str] = {}
    for code, label in labels.items():
        lookup.setdefault(_choice_key(code), code)
        lookup.setdefault(_choice_key(label), code)
    for alias, code in aliases:
        lookup.setdefault(_choice_key(alias), code)
    for code, label in labels.items():
        for synonym in CHOICE_SYNONYMS.get(clean_text(label), ()):
            lookup.setdefault(_choice_key(synonym), code)
    return lookup, "、".join(clean_text(label) for label in labels.values())


def parse_choice(value: object, choices: Mapping[str, str] | type, *, field_label: str) -> str:
    """The code for a cell written as a code, a label or a common synonym; "" for an empty cell.

    `choices` is a Django choices class (Gender), a code → label mapping (dict(Gender.choices))
    or an alias → code mapping in which each code also maps to itself. Anything else raises
    CellError listing the labels allowed.
    """
    text = clean_text(value)
    if not text:
        return ""
    pairs = choices.choices if hasattr(choices, "choices") else choices.items()  # type: ignore[union-attr]
    lookup, allowed = _choice_table(tuple((str(k), str(v)) for k, v in pairs))
    code = lookup.get(_choice_key(text))
    if code is not None:
        return code
    raise CellError(f"{field_label}「{_shown(value)}」无法识别，可选：{allowed}")


# The 56 ethnic groups in the order of GB 3304 (codes 01–56).
ETHNIC_GROUPS: Final[tuple[str, ...]] = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族",
    "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族",
    "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
)  # fmt: skip


def parse_ethnicity(value: object, *, field_label: str = "民族") -> str:
    """One of the 56 ethnic groups, accepting the short form ("汉" → "汉族"); "" when empty."""
    text = clean_text(value).replace(" ", "")
    if not text:
        return ""
    for candidate in (text, text + "族"):
        if candidate in ETHNIC_GROUPS:
            return candidate
    raise CellError(f"{field_label}「{_shown(value)}」不是56个民族之一，请写全称，如 汉族、回族")
