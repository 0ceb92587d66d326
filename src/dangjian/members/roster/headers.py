"""Reading a roster's header: which column holds which field, by the texts people write above
them (`COLUMN_ALIASES`), over one row or two; and what a row that is no member looks like
(blank, a summary or footer, the header repeated)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from .cells import clean_text

HEADER_SCAN_ROWS: Final = 30

# Canonical field → the header texts that name it (compared after header_key()).
COLUMN_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "name": ("姓名", "名字", "党员姓名"),
    "id_number": (
        "身份证号", "身份证号码", "公民身份号码", "身份证", "公民身份证号", "公民身份证号码",
        "身份证件号码",
    ),
    "gender": ("性别",),
    "ethnicity": ("民族",),
    "education": ("学历", "文化程度", "最高学历"),
    "phone": ("手机", "手机号", "手机号码", "联系电话", "联系方式", "移动电话"),
    "organization": (
        "所在支部", "党支部", "所在党支部", "支部名称", "所属支部", "组织名称", "所在党组织",
        "所属党支部", "所属党组织", "党组织名称",
    ),
    "party_group": ("党小组", "所在党小组", "所属党小组"),
    "status": ("党员状态", "党员类型", "人员状态", "正式或预备"),
    "category": ("人员类别", "人员类型", "在职情况"),
    "admitted_on": ("入党时间", "入党日期", "加入党组织日期", "入党年月", "加入党组织时间"),
    "confirmed_on": ("转正时间", "转正日期", "转为正式党员日期", "转正年月", "转为正式党员时间"),
    "job_title": ("工作岗位", "职务", "岗位", "工作单位及职务"),
    "birth_date": ("出生日期", "出生年月", "出生年月日"),
}  # fmt: skip

# Columns that carry no member data and are not worth reporting as unknown: a running number,
# and the reasons column of our own error file when it is fixed and imported again.
IGNORED_HEADERS: Final = ("序号", "错误原因")
_IGNORED: Final = "_ignored"

# A row whose first filled cell starts with one of these is a footer, not a member.
SUMMARY_PREFIXES: Final = (
    "合计", "总计", "小计", "共计", "制表", "填表", "填报", "审核", "备注", "说明", "注:", "联系人",
    "负责人",
)  # fmt: skip

_OPEN_BRACKETS: Final = "([【〔「『<《"
_CLOSE_BRACKETS: Final = ")]】〕」』>》"
_BRACKET_GROUP: Final = re.compile(
    f"[{re.escape(_OPEN_BRACKETS)}][^{re.escape(_CLOSE_BRACKETS)}]*[{re.escape(_CLOSE_BRACKETS)}]"
)
_BRACKET_CHAR: Final = re.compile(f"[{re.escape(_OPEN_BRACKETS + _CLOSE_BRACKETS)}]")
_DECORATION: Final = "*※:★ "


def _header_keys(text: str) -> list[str]:
    """Ways to read a header cell: as written, without "(必填)"-like groups, without brackets."""
    key = "".join(clean_text(text).split()).casefold().strip(_DECORATION)
    keys = [key]
    for variant in (_BRACKET_GROUP.sub("", key), _BRACKET_CHAR.sub("", key)):
        variant = variant.strip(_DECORATION)
        if variant and variant not in keys:
            keys.append(variant)
    return keys


_ALIAS_INDEX: Final[dict[str, str]] = {}
for _field, _aliases in COLUMN_ALIASES.items():
    for _alias in _aliases:
        _key = _header_keys(_alias)[0]
        assert _key not in _ALIAS_INDEX, f"header alias {_alias} names two fields"  # noqa: S101
        _ALIAS_INDEX[_key] = _field
for _alias in IGNORED_HEADERS:
    _ALIAS_INDEX[_header_keys(_alias)[0]] = _IGNORED


def header_field(text: object) -> str | None:
    """The canonical field a header cell names, or None."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if not isinstance(text, str) or len(text) > 60:
        return None
    for key in _header_keys(text):
        found = _ALIAS_INDEX.get(key)
        if found is not None:
            return None if found == _IGNORED else found
    return None


def _is_ignored_header(text: str) -> bool:
    return any(_ALIAS_INDEX.get(key) == _IGNORED for key in _header_keys(text))


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return True
        if stripped.isprintable():
            return False
        return not clean_text(value)
    return False


@dataclass
class Header:
    index: int  # 0-based row of the (first) header row
    height: int  # 1, or 2 for a two-row header
    fields: dict[str, int]  # field → 0-based column within the row lists
    titles: dict[str, str]
    unknown: list[str]
    duplicates: list[str]

    @property
    def score(self) -> int:
        return len(self.fields)

    @property
    def usable(self) -> bool:
        return "name" in self.fields and "id_number" in self.fields


def header_from(cells: list[tuple[object, object]]) -> Header:
    """Columns named by a header; `cells` holds (text from the lower row, from the upper row)."""
    fields: dict[str, int] = {}
    titles: dict[str, str] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    for col, (lower, upper) in enumerate(cells):
        found = None
        title = ""
        for text in (lower, upper):
            if is_blank(text):
                continue
            found = header_field(text)
            if found:
                title = clean_text(text)
                break
        if found is None:
            shown = next((clean_text(t) for t in (lower, upper) if not is_blank(t)), "")
            if shown and not _is_ignored_header(shown):
                unknown.append(shown)
            continue
        if found in fields:
            duplicates.append(title)
            continue
        fields[found] = col
        titles[found] = title
    return Header(0, 1, fields, titles, unknown, duplicates)


def detect_header(rows: list[list[object]]) -> Header | None:
    """The header among the first rows: the one naming most fields, with 姓名 and 身份证号.

    A two-row header (a group title merged across columns above its sub-headers, or a field
    merged down over both rows) is read column by column, the lower row first; it is taken only
    when it names more fields than either of its rows alone.
    """
    singles: list[Header] = []
    for index, row in enumerate(rows):
        header = header_from([(cell, None) for cell in row])
        header.index = index
        singles.append(header)
    best: Header | None = None
    for header in singles:
        if header.usable and (best is None or header.score > best.score):
            best = header
    for index in range(len(rows) - 1):
        upper, lower = rows[index], rows[index + 1]
        width = max(len(upper), len(lower))
        pair = header_from(
            [
                (lower[c] if c < len(lower) else None, upper[c] if c < len(upper) else None)
                for c in range(width)
            ]
        )
        pair.index, pair.height = index, 2
        if not pair.usable or pair.score <= max(singles[index].score, singles[index + 1].score):
            continue
        if best is None or pair.score > best.score:
            best = pair
    return best


_SUMMARY_STARTS: Final = frozenset(prefix[0] for prefix in SUMMARY_PREFIXES)
_NAME_HEADER_STARTS: Final = frozenset(
    {key[0] for key, f in _ALIAS_INDEX.items() if f == "name"}
    | set(_DECORATION + _OPEN_BRACKETS)
    | {"（", "【"}
)


def _starts_with_one_of(value: object, starts: frozenset[str]) -> bool:
    """A cheap first-character filter before the full comparison (run on every row)."""
    if not isinstance(value, str):
        return False
    first = value.lstrip()[:1]
    if first in starts:
        return True
    # ASCII and unified ideographs are left alone by clean_text: no need to look further.
    stable = (first.isascii() and first.isprintable()) or "\u4e00" <= first <= "\u9fff"
    return not stable


def is_summary(cells: list[object], name_value: object) -> bool:
    first = None
    for cell in cells:
        if not is_blank(cell):
            first = cell
            break
    # The first filled cell is the name itself in most rosters: look at it once.
    for value in (first,) if first is name_value else (first, name_value):
        if _starts_with_one_of(value, _SUMMARY_STARTS):
            text = clean_text(value).replace(" ", "")
            if text.startswith(SUMMARY_PREFIXES):
                return True
    return False


def is_repeated_header(values: dict[str, object]) -> bool:
    name = values["name"]
    return (
        _starts_with_one_of(name, _NAME_HEADER_STARTS)
        and header_field(name) == "name"
        and header_field(values["id_number"]) == "id_number"
    )
