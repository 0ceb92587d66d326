"""Small helpers every service uses to read its input (the write-scope check is
`accounts.access.require_write`).

Services collect one Chinese message per field in an `errors` dict and raise
`ServiceValidationError(errors)` once everything was read, so nothing is half-written.

Text is refused, not silently cleaned, when it holds characters a reader cannot see but a
machine acts on: control characters and NUL (PostgreSQL cannot store NUL), bidirectional
overrides (they make "gpj.exe" display as "exe.jpg" and reorder names), zero-width characters
(two names that look identical compare different) and lone surrogates (not text at all; no
database can store them). Line breaks and tabs are allowed only in multi-line text.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

# Controls (C0 without tab/newline/return, DEL, C1), bidi embeddings/overrides/isolates and
# marks, zero-width characters and the BOM, line/paragraph separators, interlinear annotation
# and lone surrogates.
_INVISIBLE = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u200b-\u200d\u2060-\u2064\ufeff\u180e"
    "\u2028\u2029\ufff9-\ufffb"
    "\ud800-\udfff"
)
_BAD_MULTILINE = re.compile(f"[{_INVISIBLE}]")
_BAD_LINE = re.compile(f"[{_INVISIBLE}\t\n\r]")


def _describe(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return f"含有无效的字符编码（U+{code:04X}），请重新输入"
    if char in "\t\n\r":
        return "不能换行或含有制表符"
    if code in (0x200E, 0x200F, 0x061C) or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        kind = "文字方向控制字符"
    elif unicodedata.category(char) == "Cc":
        kind = "控制字符"
    else:
        kind = "不可见字符"
    return f"含有{kind}（U+{code:04X}），请删除后重新输入"


def bad_character(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be stored as typed (a sentence to follow the field's label), or None."""
    match = (_BAD_MULTILINE if multiline else _BAD_LINE).search(value)
    return _describe(match.group()) if match else None


def printable(value: str, limit: int = 40) -> str:
    """`value` safe to quote in a message: the invisible characters spelled out as U+XXXX."""
    out = _BAD_MULTILINE.sub(lambda m: f"U+{ord(m.group()):04X}", value)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def short_text(value: Any, field: str, label: str, limit: int, errors: dict[str, str]) -> str:
    """One line of at most `limit` characters, inner whitespace collapsed; invisible and control
    characters refused."""
    raw = text(value)
    problem = bad_character(raw.replace("\t", " ").replace("\n", " ").replace("\r", " "))
    if problem:
        errors[field] = f"{label}{problem}"
        return ""
    value = " ".join(raw.split())
    if len(value) > limit:
        errors[field] = f"{label}不能超过{limit}个字"
    return value


def long_text(value: Any, field: str, label: str, limit: int, errors: dict[str, str]) -> str:
    """Free text over several lines (minutes, descriptions): line breaks kept (as \\n), invisible
    and control characters refused."""
    value = text(value).replace("\r\n", "\n").replace("\r", "\n")
    problem = bad_character(value, multiline=True)
    if problem:
        errors[field] = f"{label}{problem}"
        return ""
    if len(value) > limit:
        errors[field] = f"{label}不能超过{limit}个字"
    return value


# ---- dates -------------------------------------------------------------------------------------
# Bounds by meaning: a record of party life is not older than the founding of the People's
# Republic (the earliest organ committees) and a plan does not reach decades ahead. Outside them
# a date is a typing error (9999, year 1), and some would overflow the database's time zone
# arithmetic.
EARLIEST_RECORD = dt.date(1949, 10, 1)
PLAN_YEARS_AHEAD = 5


def form_day(
    raw: str | None,
    field: str,
    errors: dict[str, str],
    *,
    required: bool = False,
    invalid: str = "日期格式应为 YYYY-MM-DD",
) -> dt.date | None:
    """A day typed in a form (YYYY-MM-DD, as the date inputs send it), or None with `invalid`
    in `errors[field]` (also when it is empty and `required`)."""
    raw = (raw or "").strip()
    if not raw:
        if required:
            errors[field] = invalid
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[field] = invalid
        return None


def years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def date_within(
    value: dt.date | dt.datetime | None,
    field: str,
    label: str,
    errors: dict[str, str],
    *,
    earliest: dt.date,
    latest: dt.date,
) -> bool:
    """Whether `value` lies in [earliest, latest]; if not, one message naming the bounds."""
    if value is None:
        return True
    day = value.date() if isinstance(value, dt.datetime) else value
    if earliest <= day <= latest:
        return True
    errors[field] = (
        f"{label}应在{earliest.year}年{earliest.month}月{earliest.day}日至"
        f"{latest.year}年{latest.month}月{latest.day}日之间"
    )
    return False
