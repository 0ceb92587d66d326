"""The roster template layout, shared by the downloadable template, the export and the error file.

One header row, one member per row, ID numbers, phones and dates written as text (a number loses
the last digits of an ID, and 1990.10 typed as a number is 1990.1), drop-down lists for the
fields with fixed values, and a notes sheet. What write_roster() writes, open_roster() reads
back with every column recognised.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Iterable, Mapping
from typing import BinaryIO, Final, NamedTuple

import xlsxwriter

from dangjian.members.models import Education, Gender, MemberCategory, MemberStatus

from .cells import ETHNIC_GROUPS, PartialDate

__all__ = [
    "DATA_SHEET",
    "ERROR_COLUMN",
    "ETHNIC_GROUPS",
    "LISTS_SHEET",
    "NOTES_SHEET",
    "TEMPLATE_COLUMNS",
    "TemplateColumn",
    "template_bytes",
    "write_roster",
]


class TemplateColumn(NamedTuple):
    field: str
    header: str  # as written in row 1; required columns end with "*"
    width: int
    required: bool
    note: str

    @property
    def label(self) -> str:
        """The header without the required mark, for messages."""
        return self.header.rstrip("*")


TEMPLATE_COLUMNS: Final[list[TemplateColumn]] = [
    TemplateColumn(
        "name", "姓名*", 12, True,
        "与身份证上的姓名一致，如 张三；少数民族姓名中的间隔号写作「·」，如 阿依古丽·买买提。",
    ),
    TemplateColumn(
        "id_number", "身份证号*", 22, True,
        "18 位居民身份证号码，末位可为 X（大小写均可）。本列已设为文本格式，请勿改为数字格式，"
        "否则 Excel 会把末尾几位变成 0 而无法恢复。15 位的老身份证号会自动转换为 18 位并给出提示。"
        "同一身份证号已在系统中登记的，导入时按本表更新该党员的信息。",
    ),
    TemplateColumn(
        "gender", "性别", 8, False,
        "从下拉列表选择 男 或 女；可不填，系统按身份证号第 17 位确定，填写时须与身份证号一致。",
    ),
    TemplateColumn(
        "ethnicity", "民族", 12, False,
        "从下拉列表选择 56 个民族之一，写全称，如 汉族、回族；不填时默认为汉族。",
    ),
    TemplateColumn(
        "education", "学历", 12, False,
        "从下拉列表选择：研究生、大学本科、大学专科、中专/高中、初中及以下。",
    ),
    TemplateColumn(
        "phone", "手机号", 16, False,
        "11 位中国大陆手机号码，如 13812345678；本列为文本格式，请勿改为数字格式。",
    ),
    TemplateColumn(
        "organization", "所在支部*", 28, True,
        "党支部的全称或组织编码，须在导入所选的党组织之下、且在您的管理范围内。",
    ),
    TemplateColumn(
        "party_group", "党小组", 16, False,
        "所在支部下的党小组名称；没有党小组的不填。",
    ),
    TemplateColumn(
        "status", "党员状态*", 12, True,
        "从下拉列表选择 正式党员 或 预备党员。",
    ),
    TemplateColumn(
        "category", "人员类别", 10, False,
        "从下拉列表选择 在职、离退休 或 其他；不填时默认为在职。",
    ),
    TemplateColumn(
        "admitted_on", "入党时间*", 14, True,
        "写成 1990-05-03；只知道年月的写 1990-05（系统按月记录，不会编造日期）。"
        "也可写 1990/5/3、1990.05.03、1990年5月3日、19900503 或 1990年5月。",
    ),
    TemplateColumn(
        "confirmed_on", "转正时间", 14, False,
        "正式党员必填，格式同入党时间，如 1991-05-03 或 1991-05；预备党员不填。",
    ),
    TemplateColumn(
        "job_title", "工作岗位", 20, False,
        "现任职务或工作岗位，如 科员、副处长。",
    ),
]  # fmt: skip

ERROR_COLUMN: Final = "错误原因"
DATA_SHEET: Final = "党员花名册"
NOTES_SHEET: Final = "填写说明"
LISTS_SHEET: Final = "lists"
VALIDATION_ROWS: Final = 10000  # drop-downs on rows 2..10001 (more when more rows are written)

_TEXT_FIELDS: Final = frozenset({"id_number", "phone"})
_DATE_FIELDS: Final = frozenset({"admitted_on", "confirmed_on", "birth_date"})
_CHOICES: Final[dict[str, dict[str, str]]] = {
    "gender": dict(Gender.choices),
    "education": dict(Education.choices),
    "status": dict(MemberStatus.choices),
    "category": dict(MemberCategory.choices),
}
# Drop-down lists, one column each in the hidden lists sheet (a sheet range, unlike an inline
# list, has no 255-character limit, so all 56 ethnic groups fit).
_LISTS: Final[dict[str, tuple[str, ...]]] = {
    "gender": tuple(Gender.labels),
    "ethnicity": ETHNIC_GROUPS,
    "education": tuple(Education.labels),
    "status": tuple(MemberStatus.labels),
    "category": tuple(MemberCategory.labels),
}

_GENERAL_NOTES: Final = (
    "第 1 行是表头，请勿修改或删除列名；带 * 的列必须填写。",
    "从第 2 行开始，每行填写一名党员；不要合并单元格，也不要在表格中间插入空行或小计行。",
    "身份证号、手机号和日期列已设为文本格式：请直接输入，不要改为数字或日期格式。",
    "日期写成 1990-05-03；只知道年月时写 1990-05。",
    "导入时先预览：会列出将新增、更新和有问题的行（含行号和原因），确认后才写入。",
)


def _text(value: object, field: str) -> str | float | None:
    """The cell content for a value: text for IDs, phones and dates; None for nothing."""
    if value is None:
        return None
    if isinstance(value, PartialDate):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        if field in _TEXT_FIELDS:
            # An integral float is shown as Excel shows it; a damaged one keeps its exponent, so
            # the error file never invents the digits that were lost.
            if isinstance(value, float) and (
                not math.isfinite(value) or not value.is_integer() or abs(value) >= 1e15
            ):
                return repr(value).upper()
            return str(int(value))
        return float(value)
    text = str(value)
    choices = _CHOICES.get(field)
    if choices and text in choices:
        return choices[text]  # a code from the database → its label
    return text


def _sheet_title(title: str | None) -> str:
    if not title:
        return DATA_SHEET
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'")
    return (cleaned or DATA_SHEET)[:31]


def write_roster(
    rows: Iterable[Mapping[str, object]],
    out: BinaryIO | str,
    *,
    with_errors: bool = False,
    title: str | None = None,
) -> int:
    """Write rows (field → value) as an .xlsx roster in the template layout; returns the count.

    Values may be codes (as stored) or labels; dates may be date or PartialDate (month precision
    is written as 1990-05). With `with_errors`, each row's ERROR_COLUMN text goes in a last
    column 错误原因. `title` names the data sheet. Rows are streamed (XlsxWriter constant_memory).
    """
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    try:
        count = _write(book, rows, with_errors=with_errors, title=_sheet_title(title))
    finally:
        book.close()
    return count


def _write(book, rows: Iterable[Mapping[str, object]], *, with_errors: bool, title: str) -> int:
    if title:
        book.set_properties({"title": title})
    sheet = book.add_worksheet(title)
    notes = book.add_worksheet(NOTES_SHEET)
    lists = book.add_worksheet(LISTS_SHEET)

    head = book.add_format(
        {"bold": True, "bg_color": "#F2DCDB", "border": 1, "align": "center", "valign": "vcenter"}
    )
    head_required = book.add_format(
        {
            "bold": True,
            "bg_color": "#F2DCDB",
            "border": 1,
            "align": "center",
            "font_color": "#C00000",
        }
    )
    text_format = book.add_format({"num_format": "@"})
    error_format = book.add_format({"font_color": "#C00000", "text_wrap": True})

    for col, column in enumerate(TEMPLATE_COLUMNS):
        text_column = column.field in _TEXT_FIELDS or column.field in _DATE_FIELDS
        sheet.set_column(col, col, column.width, text_format if text_column else None)
        sheet.write_string(0, col, column.header, head_required if column.required else head)
    error_col = len(TEMPLATE_COLUMNS)
    if with_errors:
        sheet.set_column(error_col, error_col, 50)
        sheet.write_string(0, error_col, ERROR_COLUMN, head_required)
    sheet.freeze_panes(1, 0)

    count = 0
    for row, values in enumerate(rows, start=1):
        count += 1
        for col, column in enumerate(TEMPLATE_COLUMNS):
            content = _text(values.get(column.field), column.field)
            if content is None or content == "":
                continue
            if isinstance(content, str):
                sheet.write_string(row, col, content)
            else:
                sheet.write_number(row, col, content)
        if with_errors:
            reasons = values.get(ERROR_COLUMN) or values.get("errors") or ""
            if not isinstance(reasons, str):
                reasons = "；".join(str(r) for r in reasons)
            if reasons:
                sheet.write_string(row, error_col, reasons, error_format)

    _drop_down_lists(sheet, lists, max(VALIDATION_ROWS, count))
    _notes(book, notes)
    return count


def _drop_down_lists(sheet, lists, last_row: int) -> None:
    """The choice columns validated against lists on a hidden sheet."""
    # constant_memory flushes a row once a later one is written: fill the lists row by row.
    for i in range(max(len(options) for options in _LISTS.values())):
        for list_col, options in enumerate(_LISTS.values()):
            if i < len(options):
                lists.write_string(i, list_col, options[i])
    for list_col, (field, options) in enumerate(_LISTS.items()):
        col = next(i for i, c in enumerate(TEMPLATE_COLUMNS) if c.field == field)
        letter = xlsxwriter.utility.xl_col_to_name(list_col)
        sheet.data_validation(
            1,
            col,
            last_row,
            col,
            {
                "validate": "list",
                "source": f"={LISTS_SHEET}!${letter}$1:${letter}${len(options)}",
                "error_title": TEMPLATE_COLUMNS[col].label,
                "error_message": f"请从下拉列表中选择{TEMPLATE_COLUMNS[col].label}",
            },
        )
    lists.hide()


def _notes(book, notes) -> None:
    """The 填写说明 sheet: each column's requirement and example, then the general notes."""
    bold = book.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
    notes.set_column(0, 0, 14)
    notes.set_column(1, 1, 10)
    notes.set_column(2, 2, 90)
    for col, text in enumerate(("列名", "是否必填", "填写要求与示例")):
        notes.write_string(0, col, text, bold)
    for row, column in enumerate(TEMPLATE_COLUMNS, start=1):
        notes.write_string(row, 0, column.label, wrap)
        notes.write_string(row, 1, "必填" if column.required else "选填", wrap)
        notes.write_string(row, 2, column.note, wrap)
    row = len(TEMPLATE_COLUMNS) + 2
    notes.write_string(row, 0, "说明", bold)
    for offset, text in enumerate(_GENERAL_NOTES, start=1):
        notes.write_string(row + offset, 0, f"{offset}. {text}")


def template_bytes() -> bytes:
    """The empty template: header row, notes sheet and drop-down lists."""
    buffer = io.BytesIO()
    write_roster((), buffer)
    return buffer.getvalue()
