"""The template layout: what the downloadable template and the export write, and reading it back."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from dangjian.members.models import Education, Gender, MemberCategory, MemberStatus
from dangjian.members.roster.cells import (
    ETHNIC_GROUPS,
    PartialDate,
    clean_text,
    parse_choice,
    parse_date,
)
from dangjian.members.roster.layout import (
    ERROR_COLUMN,
    TEMPLATE_COLUMNS,
    template_bytes,
    write_roster,
)
from dangjian.members.roster.reader import open_roster

from .fixtures import person

HEADERS = [
    "姓名*", "身份证号*", "性别", "民族", "学历", "手机号", "所在支部*", "党小组", "党员状态*",
    "人员类别", "入党时间*", "转正时间", "工作岗位",
]  # fmt: skip


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def written(rows, **kwargs) -> bytes:
    buffer = io.BytesIO()
    write_roster(rows, buffer, **kwargs)
    return buffer.getvalue()


def member(seed: int, **overrides) -> dict[str, object]:
    """A member as the export passes it: codes as stored, dates as PartialDate."""
    p = person(seed)
    values: dict[str, object] = {
        "name": p["name"],
        "id_number": p["id_number"],
        "gender": "female",
        "ethnicity": "回族",
        "education": "university",
        "phone": p["phone"],
        "organization": "第一党支部",
        "party_group": "第一党小组",
        "status": "full",
        "category": "employed",
        "admitted_on": PartialDate(dt.date(2010, 7, 1), "day"),
        "confirmed_on": PartialDate(dt.date(2011, 7, 1), "month"),
        "job_title": "科员",
    }
    values.update(overrides)
    return values


def test_template_columns_are_the_template_layout():
    assert [c.header for c in TEMPLATE_COLUMNS] == HEADERS
    assert [c.field for c in TEMPLATE_COLUMNS if c.required] == [
        "name", "id_number", "organization", "status", "admitted_on",
    ]  # fmt: skip
    assert all(c.width > 0 and c.note for c in TEMPLATE_COLUMNS)
    assert TEMPLATE_COLUMNS[0].label == "姓名"


def test_the_template_has_one_header_row_frozen_and_no_data():
    book = load(template_bytes())
    assert book.sheetnames == ["党员花名册", "填写说明", "lists"]
    sheet = book["党员花名册"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.max_row == 1
    assert sheet.freeze_panes == "A2"


def test_the_template_keeps_ids_phones_and_dates_as_text_columns():
    sheet = load(template_bytes())["党员花名册"]
    text_columns = {"B", "F", "K", "L"}  # 身份证号, 手机号, 入党时间, 转正时间
    formats = {}
    for dimension in sheet.column_dimensions.values():  # adjacent alike columns share one entry
        for index in range(dimension.min, dimension.max + 1):
            formats[get_column_letter(index)] = dimension.number_format
    for letter in "ABCDEFGHIJKLM":
        expected = "@" if letter in text_columns else "General"
        assert formats[letter] == expected, letter


def test_the_template_offers_drop_down_lists_from_a_hidden_sheet():
    book = load(template_bytes())
    assert book["lists"].sheet_state == "hidden"
    sheet = book["党员花名册"]
    lists = book["lists"]
    by_column = {str(dv.sqref): dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert set(by_column) == {"C2:C10001", "D2:D10001", "E2:E10001", "I2:I10001", "J2:J10001"}

    def options(formula: str) -> list[str]:
        _, cells = formula.split("!")
        return [c.value for row in lists[cells.replace("$", "")] for c in row]

    assert options(by_column["C2:C10001"]) == ["男", "女"]
    assert options(by_column["D2:D10001"]) == list(ETHNIC_GROUPS)
    assert len(options(by_column["D2:D10001"])) == 56
    assert options(by_column["E2:E10001"]) == list(Education.labels)
    assert options(by_column["I2:I10001"]) == ["正式党员", "预备党员"]
    assert options(by_column["J2:J10001"]) == list(MemberCategory.labels)
    assert all(dv.type == "list" for dv in sheet.data_validations.dataValidation)


def test_the_notes_sheet_explains_every_column():
    notes = load(template_bytes())["填写说明"]
    rows = list(notes.iter_rows(values_only=True))
    assert rows[0] == ("列名", "是否必填", "填写要求与示例")
    described = {row[0]: (row[1], row[2]) for row in rows[1 : len(TEMPLATE_COLUMNS) + 1]}
    assert list(described) == [c.label for c in TEMPLATE_COLUMNS]
    assert described["姓名"][0] == "必填" and described["党小组"][0] == "选填"
    assert "1990-05-03" in described["入党时间"][1] and "1990-05" in described["入党时间"][1]
    assert "文本格式" in described["身份证号"][1] and "15 位" in described["身份证号"][1]


def test_the_empty_template_reads_back_with_every_column_recognised():
    with open_roster(template_bytes(), "模板.xlsx") as roster:
        assert roster.sheet_name == "党员花名册"
        assert roster.columns == {c.field: i for i, c in enumerate(TEMPLATE_COLUMNS)}
        assert roster.unknown_columns == []
        assert list(roster.iter_rows()) == []


def test_ids_phones_and_dates_are_written_as_text_and_codes_as_labels():
    sheet = load(written([member(1)]))["党员花名册"]
    row = {c.field: sheet.cell(row=2, column=i + 1) for i, c in enumerate(TEMPLATE_COLUMNS)}
    for field in ("id_number", "phone", "admitted_on", "confirmed_on"):
        assert row[field].data_type == "s", field
    assert row["id_number"].value == person(1)["id_number"]
    assert row["admitted_on"].value == "2010-07-01"
    assert row["confirmed_on"].value == "2011-07"  # month precision stays a month
    assert row["gender"].value == "女"
    assert row["education"].value == "大学本科"
    assert row["status"].value == "正式党员"
    assert row["category"].value == "在职"


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        ("phone", 13812345678.0, "13812345678"),
        ("phone", 13812345678, "13812345678"),
        ("id_number", 110105199005030.0, "110105199005030"),  # 15 digits are exact in a float
        ("id_number", 1.1010519900503e17, "1.1010519900503E+17"),  # lost digits are not invented
        ("admitted_on", dt.date(1990, 5, 3), "1990-05-03"),
        ("admitted_on", dt.datetime(1990, 5, 3, 8, 0), "1990-05-03"),
        ("admitted_on", "1990年5月", "1990年5月"),
        ("gender", "男", "男"),
        ("name", '=HYPERLINK("x")', '=HYPERLINK("x")'),  # text, never a formula
    ],
)
def test_raw_values_of_an_error_row_are_written_without_changing_them(field, value, text):
    sheet = load(written([{field: value}], with_errors=True))["党员花名册"]
    column = next(i for i, c in enumerate(TEMPLATE_COLUMNS) if c.field == field) + 1
    cell = sheet.cell(row=2, column=column)
    assert cell.data_type == "s"
    assert cell.value == text


def test_a_number_in_another_column_stays_a_number():
    sheet = load(written([{"admitted_on": 1990.1}], with_errors=True))["党员花名册"]
    assert sheet.cell(row=2, column=11).value == 1990.1


def test_the_error_file_has_a_last_column_with_the_reasons():
    rows = [
        {**member(1), ERROR_COLUMN: "身份证号：校验位不正确"},
        {**member(2), ERROR_COLUMN: ["入党时间：晚于今天", "手机号：格式不正确"]},
    ]
    sheet = load(written(rows, with_errors=True))["党员花名册"]
    assert sheet.cell(row=1, column=14).value == "错误原因"
    assert sheet.cell(row=2, column=14).value == "身份证号：校验位不正确"
    assert sheet.cell(row=3, column=14).value == "入党时间：晚于今天；手机号：格式不正确"


def test_without_errors_there_is_no_reasons_column():
    sheet = load(written([{**member(1), ERROR_COLUMN: "x"}]))["党员花名册"]
    assert sheet.max_column == len(TEMPLATE_COLUMNS)


def test_the_title_names_the_data_sheet():
    book = load(written([member(1)], title="第一党支部/2026"))
    assert book.sheetnames[0] == "第一党支部_2026"
    assert book.properties.title == "第一党支部_2026"


def test_write_roster_returns_the_count_and_accepts_a_path(tmp_path):
    path = tmp_path / "导出.xlsx"
    assert write_roster((member(s) for s in range(1, 4)), str(path)) == 3
    with open_roster(path, "导出.xlsx") as roster:
        assert [r.row_number for r in roster.iter_rows()] == [2, 3, 4]


def test_drop_downs_cover_every_written_row_beyond_ten_thousand():
    rows = ({"name": f"党员{i}"} for i in range(10_050))
    sheet = load(written(rows))["党员花名册"]
    ranges = {str(dv.sqref) for dv in sheet.data_validations.dataValidation}
    assert "C2:C10051" in ranges


CHOICE_MAPS = {
    "gender": dict(Gender.choices),
    "education": dict(Education.choices),
    "status": dict(MemberStatus.choices),
    "category": dict(MemberCategory.choices),
}


def test_export_then_read_gives_back_every_field_unchanged():
    originals = [
        member(1),
        member(
            2,
            gender="male",
            education="postgraduate",
            status="probationary",
            confirmed_on=None,
            category="retired",
            party_group="",
            job_title="",
            phone="",
        ),  # fmt: skip
        member(
            3,
            admitted_on=PartialDate(dt.date(1985, 10, 1), "month"),
            ethnicity="维吾尔族",
            name="阿依古丽·买买提",
            education="basic",
            category="other",
        ),  # fmt: skip
    ]
    with open_roster(written(originals), "导出.xlsx") as roster:
        assert roster.columns == {c.field: i for i, c in enumerate(TEMPLATE_COLUMNS)}
        assert roster.unknown_columns == []
        rows = list(roster.iter_rows())
    assert [r.row_number for r in rows] == [2, 3, 4]
    for original, row in zip(originals, rows, strict=True):
        back: dict[str, object] = {}
        for field, value in row.values.items():
            if field in CHOICE_MAPS:
                back[field] = parse_choice(value, CHOICE_MAPS[field], field_label=field)
            elif field in ("admitted_on", "confirmed_on"):
                back[field] = parse_date(value, field_label=field)
            else:
                back[field] = clean_text(value)
        expected = {k: (v if v is not None else "") for k, v in original.items()}
        expected["confirmed_on"] = original["confirmed_on"]
        assert back == expected


def test_an_error_file_read_again_ignores_its_reasons_column():
    data = written([{**member(1), ERROR_COLUMN: "身份证号：校验位不正确"}], with_errors=True)
    with open_roster(data, "错误.xlsx") as roster:
        assert roster.unknown_columns == []
        rows = list(roster.iter_rows())
    assert rows[0].values["id_number"] == person(1)["id_number"]
    assert ERROR_COLUMN not in rows[0].values
