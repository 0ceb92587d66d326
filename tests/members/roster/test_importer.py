"""The roster importer against the real database: what it writes, what it refuses, and why.

Every file is generated here (or by `fixtures`); people are synthetic (regulations.synth). The
secretary runs FGW-B01 (办公室党支部), the organ officer the FGW-JGDW subtree (FGW-B01..B04);
branch names repeat across departments, so codes decide where a row goes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random

import openpyxl
import pytest

from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import Actor
from dangjian.crypto import default_keyring
from dangjian.members.exports import members_xlsx
from dangjian.members.models import Member
from dangjian.members.roster.importer import ImportReport, Mode, run_import, write_errors
from dangjian.members.roster.layout import ERROR_COLUMN, TEMPLATE_COLUMNS
from dangjian.members.roster.reader import RosterFileError
from dangjian.regulations.identity import mask_id_number, mask_phone
from dangjian.regulations.synth import make_id_number, make_name, make_phone
from tests.conftest import TODAY
from tests.helpers import events_since, last_seq

from .fixtures import (
    csv_bytes,
    encrypted_xls_bytes,
    encrypted_xlsx_bytes,
    plain_zip_bytes,
    xls_bytes,
    xlsx_bytes,
    zip_bomb_bytes,
)

FIELDS = [c.field for c in TEMPLATE_COLUMNS]
HEADERS = [c.header for c in TEMPLATE_COLUMNS]
LABELS = {c.field: c.label for c in TEMPLATE_COLUMNS}
ROSTER_EVENT = "members.roster_import"

pytestmark = pytest.mark.django_db


# --- people and files ----------------------------------------------------------------------------


def new_person(seed: int, *, gender: str = "female", birth: dt.date | None = None, **cells):
    """A synthetic person nobody has registered, as the cells a secretary would type."""
    rng = random.Random(f"roster-import-{seed}")
    birth = birth or dt.date(1970 + seed % 20, 1 + seed % 12, 1 + seed % 27)
    keyring = default_keyring()
    while True:
        id_number = make_id_number(rng, birth, gender)
        if not Member.objects.filter(id_number_index=keyring.blind_index(id_number)).exists():
            break
    values: dict[str, object] = {
        "name": make_name(rng, gender),
        "id_number": id_number,
        "gender": "女" if gender == "female" else "男",
        "ethnicity": "汉族",
        "education": "大学本科",
        "phone": make_phone(rng),
        "organization": "FGW-B01",
        "party_group": "",
        "status": "正式党员",
        "category": "在职",
        "admitted_on": f"{birth.year + 25}-07-01",
        "confirmed_on": f"{birth.year + 26}-07-03",
        "job_title": "科员",
    }
    values.update(cells)
    return values


def member_cells(member: Member, **overrides) -> dict[str, object]:
    """An existing member as a row of a roster (unmasked), e.g. to list them in another branch."""
    values: dict[str, object] = {
        "name": member.name,
        "id_number": member.id_number,
        "gender": member.get_gender_display(),
        "ethnicity": member.ethnicity,
        "education": member.get_education_display() if member.education else "",
        "phone": member.phone,
        "organization": member.organization.code,
        "party_group": member.party_group.name if member.party_group_id else "",
        "status": member.get_status_display(),
        "category": member.get_category_display(),
        "admitted_on": member.admitted_on_display,
        "confirmed_on": member.confirmed_on_display,
        "job_title": member.job_title,
    }
    values.update(overrides)
    return values


def table(people, fields=FIELDS, headers=None) -> list[list[object]]:
    """A header row and one row per person, in the order of `fields`."""
    headers = headers or [LABELS.get(f, f) for f in fields]
    return [list(headers), *([p.get(f, "") for f in fields] for p in people)]


def roster(people, **kwargs) -> bytes:
    """An .xlsx in the template layout (header in row 1)."""
    return xlsx_bytes([HEADERS, *([p.get(f, "") for f in FIELDS] for p in people)], **kwargs)


def counts() -> tuple[int, int]:
    return Member.objects.count(), AuditEvent.objects.count()


def by_id(id_number: str) -> Member:
    index = default_keyring().blind_index(id_number)
    return Member.objects.select_related("organization", "party_group").get(id_number_index=index)


def exists(id_number: str) -> bool:
    return Member.objects.filter(id_number_index=default_keyring().blind_index(id_number)).exists()


def run(actor: Actor, data, org, filename: str = "花名册.xlsx", **kwargs) -> ImportReport:
    kwargs.setdefault("today", TODAY)
    return run_import(actor, data, filename, org, **kwargs)


def problems(report: ImportReport) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in report.errors]


@pytest.fixture
def secretary(demo) -> Actor:
    return Actor(demo.users["secretary"], "127.0.0.1")


@pytest.fixture
def organ(demo) -> Actor:
    return Actor(demo.users["organ"], "127.0.0.1")


# --- writing, previewing, strict and partial ------------------------------------------------------


def test_a_valid_file_creates_members_with_one_audit_event_each_and_a_summary(demo, secretary):
    people = [new_person(1), new_person(2, gender="male"), new_person(3)]
    members_before, events_before = counts()
    seq = last_seq()

    report = run(secretary, roster(people), demo.branch)

    assert (report.created, report.updated, report.unchanged, report.rejected) == (3, 0, 0, 0)
    assert report.written and report.errors == []
    assert counts() == (members_before + 3, events_before + 4)
    keyring = default_keyring()
    events = events_since(seq)
    member_events = [e for e in events if e.object_type == "members.member"]
    summary = [e for e in events if e.object_type == ROSTER_EVENT]
    assert len(member_events) == 3 and len(summary) == 1
    for p in people:
        m = by_id(p["id_number"])
        assert m.name == p["name"]
        assert m.organization == demo.branch
        # Encrypted at rest: the database holds ciphertext and a blind index, never the plaintext.
        assert p["id_number"] not in m.id_number_encrypted
        assert p["phone"] not in m.phone_encrypted
        assert keyring.decrypt(m.id_number_encrypted) == p["id_number"]
        assert keyring.decrypt(m.phone_encrypted) == p["phone"]
        assert m.phone_index == keyring.blind_index(p["phone"])
        # Gender and birth date come from the ID number.
        number = p["id_number"]
        assert m.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        assert m.gender == ("male" if int(number[16]) % 2 else "female")
        assert m.admitted_on == dt.date.fromisoformat(p["admitted_on"])
        assert m.admitted_on_precision == "day"
        assert (m.status, m.category, m.education, m.job_title) == (
            "full",
            "employed",
            "university",
            "科员",
        )
        (event,) = [e for e in member_events if e.object_id == str(m.pk)]
        assert event.action == AuditAction.CREATE
        assert event.actor_username == "secretary"
        assert event.changes["id_number"] == [None, mask_id_number(p["id_number"])]
        assert event.changes["phone"] == [None, mask_phone(p["phone"])]
        text = json.dumps(event.changes, ensure_ascii=False)
        assert p["id_number"] not in text and p["phone"] not in text
    assert summary[0].action == AuditAction.CREATE
    assert summary[0].object_id == str(demo.branch.pk)
    assert "新增 3" in summary[0].message and "花名册.xlsx" in summary[0].message


def test_the_error_file_keeps_a_damaged_id_number_as_it_was_never_fixed(demo, secretary):
    p = new_person(19)
    p["id_number"] = 1.10105e17
    data = roster([p, new_person(69)])
    report = run(secretary, data, demo.branch, mode=Mode.PARTIAL)
    out = io.BytesIO()

    write_errors(data, "花名册.xlsx", report, out)

    sheet = _load(out.getvalue())
    assert sheet.max_row == 2
    assert sheet.cell(2, FIELDS.index("id_number") + 1).value == "1.10105E+17"
    assert sheet.cell(2, len(FIELDS) + 1).value == f"身份证号：{CORRUPTED}"


def test_an_imported_member_is_kept_by_the_branch_from_the_import_day(demo, secretary):
    person = new_person(41)
    run(secretary, roster([person]), demo.branch)
    member = by_id(str(person["id_number"]))
    assert member.admitted_on < TODAY
    assert member.org_since == TODAY


def test_a_dry_run_reports_what_would_change_and_writes_nothing(demo, secretary):
    people = [new_person(4), new_person(5)]
    before = counts()

    report = run(secretary, roster(people), demo.branch, dry_run=True)

    assert (report.created, report.rejected, report.written) == (2, 0, False)
    assert counts() == before
    assert not any(exists(p["id_number"]) for p in people)


def test_strict_mode_with_one_bad_row_writes_nothing_at_all(demo, secretary):
    people = [new_person(6), new_person(7, admitted_on="明年"), new_person(8)]
    before = counts()

    report = run(secretary, roster(people), demo.branch, mode=Mode.STRICT)

    assert report.rejected == 1 and not report.written
    ((row, column, message),) = problems(report)
    assert (row, column) == (3, "入党时间")
    assert "入党时间「明年」不是有效日期" in message
    assert counts() == before
    assert not any(exists(p["id_number"]) for p in people)


def many_people(count: int, seed: str) -> list[dict[str, object]]:
    """Many distinct synthetic people (checked against the database in one query)."""
    rng = random.Random(seed)
    people, seen = [], set()
    while len(people) < count:
        birth = dt.date(rng.randint(1960, 1995), rng.randint(1, 12), rng.randint(1, 28))
        number = make_id_number(rng, birth, "male")
        if number in seen:
            continue
        seen.add(number)
        people.append(
            {
                "name": make_name(rng, "male"),
                "id_number": number,
                "organization": "FGW-B01",
                "status": "正式党员",
                "admitted_on": f"{birth.year + 22}-03-01",
                "confirmed_on": f"{birth.year + 23}-03-02",
            }
        )
    keyring = default_keyring()
    indexes = [keyring.blind_index(n) for n in seen]
    assert not Member.objects.filter(id_number_index__in=indexes).exists()
    return people


def test_strict_mode_keeps_nothing_when_the_bad_row_comes_after_a_thousand_good_ones(
    demo, secretary
):
    people = many_people(1200, "strict-large")
    people[-1]["status"] = "不知道"
    before = counts()

    report = run(secretary, roster(people), demo.branch, mode=Mode.STRICT)

    assert (report.rows, report.rejected, report.written) == (1200, 1, False)
    assert problems(report)[0][:2] == (1201, "党员状态")
    assert counts() == before
    assert not exists(people[0]["id_number"])


def _load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]


def test_partial_mode_writes_the_valid_rows_and_returns_the_rejected_ones_to_fix(demo, secretary):
    good = [new_person(9), new_person(10)]
    bad_date = new_person(11, admitted_on="2006-13-01")
    bad_status = new_person(12, status="党员")
    data = roster([good[0], bad_date, good[1], bad_status])
    members_before, events_before = counts()

    report = run(secretary, data, demo.branch, mode=Mode.PARTIAL)

    assert (report.created, report.rejected, report.written) == (2, 2, True)
    assert report.rejected_rows == {3, 5}
    assert counts() == (members_before + 2, events_before + 3)
    assert all(exists(p["id_number"]) for p in good)
    assert not exists(bad_date["id_number"]) and not exists(bad_status["id_number"])

    out = io.BytesIO()
    assert write_errors(data, "花名册.xlsx", report, out) == 2
    sheet = _load(out.getvalue())
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [*HEADERS, ERROR_COLUMN]
    assert len(rows) == 3  # the header and exactly the two rejected rows
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {bad_date["name"], bad_status["name"]}
    assert by_name[bad_date["name"]][FIELDS.index("id_number")] == bad_date["id_number"]
    assert by_name[bad_date["name"]][-1].startswith("入党时间：")
    assert "2006-13-01" in by_name[bad_date["name"]][-1]
    assert by_name[bad_status["name"]][-1].startswith("党员状态：")

    # The secretary fixes both cells in the error file and imports it as it is.
    for r in range(2, sheet.max_row + 1):
        if sheet.cell(r, 1).value == bad_date["name"]:
            sheet.cell(r, FIELDS.index("admitted_on") + 1).value = "2006-12-01"
            sheet.cell(r, FIELDS.index("confirmed_on") + 1).value = "2007-12-01"
        else:
            sheet.cell(r, FIELDS.index("status") + 1).value = "正式党员"
    fixed = io.BytesIO()
    sheet.parent.save(fixed)
    again = run(secretary, fixed.getvalue(), demo.branch, mode=Mode.STRICT)
    assert (again.created, again.rejected, again.unknown_columns) == (2, 0, []), problems(again)
    assert by_id(bad_date["id_number"]).admitted_on == dt.date(2006, 12, 1)
    assert by_id(bad_status["id_number"]).status == "full"


def test_reimporting_the_same_file_changes_nothing_and_records_nothing(demo, secretary):
    data = roster([new_person(13), new_person(14), new_person(15, admitted_on="2010年7月")])
    run(secretary, data, demo.branch)
    stamps = dict(Member.objects.filter(organization=demo.branch).values_list("pk", "updated_at"))
    before = counts()

    report = run(secretary, data, demo.branch)

    assert (report.created, report.updated, report.unchanged, report.rejected) == (0, 0, 3, 0)
    assert not report.written
    assert counts() == before
    after = dict(Member.objects.filter(organization=demo.branch).values_list("pk", "updated_at"))
    assert after == stamps


def test_a_corrected_file_updates_only_the_changed_members_with_masked_before_and_after(
    demo, secretary
):
    people = [new_person(16), new_person(17), new_person(18)]
    run(secretary, roster(people), demo.branch)
    old_phone = people[1]["phone"]
    people[0]["job_title"] = "副处长"
    people[1]["phone"] = make_phone(random.Random("new phone"))
    seq = last_seq()
    members_before, events_before = counts()

    report = run(secretary, roster(people), demo.branch)

    assert (report.created, report.updated, report.unchanged, report.rejected) == (0, 2, 1, 0)
    assert counts() == (members_before, events_before + 3)
    events = events_since(seq)
    updates = {e.object_id: e for e in events if e.object_type == "members.member"}
    first, second = by_id(people[0]["id_number"]), by_id(people[1]["id_number"])
    assert set(updates) == {str(first.pk), str(second.pk)}
    assert first.job_title == "副处长"
    assert updates[str(first.pk)].action == AuditAction.UPDATE
    assert updates[str(first.pk)].changes == {"job_title": ["科员", "副处长"]}
    assert second.phone == people[1]["phone"]
    assert updates[str(second.pk)].changes == {
        "phone": [mask_phone(old_phone), mask_phone(people[1]["phone"])]
    }
    text = json.dumps([e.changes for e in events], ensure_ascii=False)
    assert old_phone not in text and people[1]["phone"] not in text
    assert [e.object_type for e in events].count(ROSTER_EVENT) == 1
    assert "更新 2" in events[-1].message


# --- what real files contain -------------------------------------------------------------------


def test_title_rows_blank_rows_and_summary_rows_are_skipped(demo, secretary):
    people = [new_person(20), new_person(21), new_person(22)]
    width = len(FIELDS)
    rows = [
        ["市发展和改革委员会办公室党支部党员花名册"],
        [
            "填报单位：办公室党支部",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "填报日期：2026年11月",
        ],
        HEADERS,
        [people[0][f] for f in FIELDS],
        [None] * width,
        [people[1][f] for f in FIELDS],
        ["", " ", "\u00a0"],
        [people[2][f] for f in FIELDS],
        ["合计", "3人"],
        ["制表人：某某", None, None, "审核人：某某"],
    ]
    report = run(secretary, xlsx_bytes(rows, merges=["A1:M1"]), demo.branch)

    assert report.header_row == 3
    assert (report.rows, report.created, report.rejected) == (3, 3, 0)
    assert all(exists(p["id_number"]) for p in people)


def test_a_two_row_header_with_merged_group_titles_is_read(demo, secretary):
    people = [new_person(23), new_person(24)]
    fields = ["name", "id_number", "gender", "phone", "organization", "status"]
    fields += ["admitted_on", "confirmed_on"]
    upper = ["姓名", "身份证号", "基本信息", None, "组织信息", None, "入党时间", "转正时间"]
    lower = [None, None, "性别", "手机号", "所在支部", "党员状态", None, None]
    rows = [upper, lower, *([p[f] for f in fields] for p in people)]
    merges = ["A1:A2", "B1:B2", "C1:D1", "E1:F1", "G1:G2", "H1:H2"]

    report = run(secretary, xlsx_bytes(rows, merges=merges), demo.branch)

    assert report.header_row == 1
    assert (report.created, report.rejected, report.unknown_columns) == (2, 0, [])
    assert by_id(people[1]["id_number"]).phone == people[1]["phone"]


def test_the_sheet_with_the_recognised_header_is_used_or_the_one_the_user_picks(demo, secretary):
    first, second = [new_person(25)], [new_person(26), new_person(27)]
    data = xlsx_bytes(
        {
            "填表说明": [["本表由各支部填报"], ["身份证号请以文本格式填写"]],
            "一支部": table(first),
            "二支部": table(second),
        }
    )

    report = run(secretary, data, demo.branch, dry_run=True)
    assert (report.sheet, report.created) == ("一支部", 1)
    assert report.sheets == ["填表说明", "一支部", "二支部"]

    report = run(secretary, data, demo.branch, sheet="二支部")
    assert (report.sheet, report.created) == ("二支部", 2)
    assert all(exists(p["id_number"]) for p in second)
    assert not exists(first[0]["id_number"])


COLUMN_NAME_VARIANTS = [
    ["名字", "身份证号码", "入党日期", "转正日期", "手机", "党支部", "党员状态"],
    ["姓名", "公民身份号码", "加入党组织日期", "转为正式党员日期", "联系电话", "所在支部", "党员类型"],
    ["党员姓名", "身份证", "入党时间", "转正时间", "手机号码", "所在党支部", "正式或预备"],
    ["姓名（必填）", "身份证号*", "入党年月", "转正年月", "移动电话", "支部名称", "人员状态"],
]  # fmt: skip


@pytest.mark.parametrize("headers", COLUMN_NAME_VARIANTS, ids=lambda h: "/".join(h[:2]))
def test_column_names_vary_and_columns_come_in_any_order(demo, secretary, headers):
    fields = ["name", "id_number", "admitted_on", "confirmed_on", "phone", "organization"]
    fields.append("status")
    order = list(reversed(range(len(fields))))  # any order: here the reverse of the usual
    people = [new_person(30), new_person(31, gender="male")]
    rows = [[headers[i] for i in order], *([p[fields[i]] for i in order] for p in people)]

    report = run(secretary, xlsx_bytes(rows), demo.branch)

    assert (report.created, report.rejected, report.unknown_columns) == (2, 0, [])
    for p in people:
        m = by_id(p["id_number"])
        assert (m.name, m.phone, m.organization) == (p["name"], p["phone"], demo.branch)
        assert m.admitted_on.isoformat() == p["admitted_on"]
        assert m.confirmed_on.isoformat() == p["confirmed_on"]


def test_unknown_columns_are_ignored_and_reported(demo, secretary):
    people = [new_person(32)]
    fields = [*FIELDS[:3], "籍贯", *FIELDS[3:], "家庭住址"]
    headers = [LABELS.get(f, f) for f in fields]
    people[0].update({"籍贯": "北京市", "家庭住址": "某区某路1号"})

    report = run(secretary, xlsx_bytes(table(people, fields, headers)), demo.branch)

    assert report.unknown_columns == ["籍贯", "家庭住址"]
    assert (report.created, report.rejected) == (1, 0)


def _with_x(seed: int) -> str:
    """An ID number whose check character is X."""
    rng = random.Random(f"with-x-{seed}")
    keyring = default_keyring()
    while True:
        number = make_id_number(rng, dt.date(1980, 3, 9), "male")
        if (
            number.endswith("X")
            and not Member.objects.filter(id_number_index=keyring.blind_index(number)).exists()
        ):
            return number


FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
CORRUPTED = "身份证号已损坏（可能被表格软件转为数字），请以文本格式重新填写"


@pytest.mark.parametrize(
    "case",
    ["float", "scientific number", "scientific text", "lost digits"],
)
def test_an_id_number_a_spreadsheet_turned_into_a_number_is_rejected_never_fixed(
    demo, secretary, case
):
    p = new_person(40)
    number = p["id_number"]
    cell = {
        "float": float(number[:17] + "0"),
        "scientific number": 1.10105e17,
        "scientific text": f"{number[0]}.{number[1:6]}E+17",
        "lost digits": number[:15] + "000",
    }[case]
    p["id_number"] = cell
    before = counts()

    report = run(secretary, roster([p]), demo.branch, mode=Mode.PARTIAL)

    assert report.rejected == 1 and report.created == 0
    assert problems(report) == [(2, "身份证号", CORRUPTED)]
    assert counts() == before
    assert not exists(number)


def test_a_15_digit_id_number_is_converted_to_18_digits_with_a_warning(demo, secretary):
    p = new_person(41, birth=dt.date(1968, 4, 12))
    number = p["id_number"]
    old = number[:6] + number[8:17]  # the first-generation number of the same person
    assert _eighteen(old) == number
    p["id_number"] = old

    report = run(secretary, roster([p]), demo.branch)

    assert (report.created, report.rejected) == (1, 0)
    converted = by_id(number)
    assert converted.birth_date == dt.date(1968, 4, 12)
    ((row, column, message),) = [(w.row, w.column, w.message) for w in report.warnings]
    assert (row, column) == (2, "身份证号")
    assert message.startswith("15位旧身份证号已转换为18位")
    assert message.endswith(f"{mask_id_number(number)}，请核对")  # shown masked


def test_a_15_digit_id_number_typed_as_a_number_is_exact_and_converted_with_a_warning(
    demo, secretary
):
    p = new_person(39, birth=dt.date(1969, 9, 21))
    number = p["id_number"]
    p["id_number"] = int(number[:6] + number[8:17])  # a numeric cell: exact below 10**15

    report = run(secretary, roster([p]), demo.branch, mode=Mode.PARTIAL)

    assert (report.created, report.rejected) == (1, 0), problems(report)
    assert by_id(number).birth_date == dt.date(1969, 9, 21)
    assert report.warnings[0].message.startswith("15位旧身份证号已转换为18位")


def _eighteen(old: str) -> str:
    from stdnum.cn import ric

    body = old[:6] + "19" + old[6:]
    return body + ric.calc_check_digit(body + "0")


@pytest.mark.parametrize(
    "spelling",
    [
        "lowercase x",
        "full-width digits",
        "spaces",
        "ideographic space",
        "nbsp",
        "zero-width",
        "surrounding spaces",
    ],
)
def test_id_numbers_as_people_type_them_are_normalised(demo, secretary, spelling):
    number = _with_x(1)
    cell = {
        "lowercase x": number.lower(),
        "full-width digits": number.translate(FULL_WIDTH),
        "spaces": f"{number[:6]} {number[6:14]} {number[14:]}",
        "ideographic space": f"{number[:6]}\u3000{number[6:]}",
        "nbsp": f"{number[:6]}\u00a0{number[6:14]}\u00a0{number[14:]}",
        "zero-width": f"{number[:9]}\u200b{number[9:]}\ufeff",
        "surrounding spaces": f"  {number}\u00a0 ",
    }[spelling]
    p = new_person(42, gender="male", birth=dt.date(1980, 3, 9), id_number=cell)

    report = run(secretary, roster([p]), demo.branch)

    assert (report.created, report.rejected) == (1, 0), problems(report)
    assert by_id(number).id_number == number


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        ("张\u3000三", "张三"),
        (" 张三\u00a0", "张三"),
        ("张\u200b三\u200d", "张三"),
        ("张 三 ", "张三"),
        ("ＬＩ　Ｍｉｎｇ", "LI Ming"),
    ],
)
def test_names_lose_invisible_characters_and_full_width_forms(demo, secretary, cell, stored):
    p = new_person(43, name=cell, phone="１３８ ００１３ ８０００")

    report = run(secretary, roster([p]), demo.branch)

    assert (report.created, report.rejected) == (1, 0), problems(report)
    m = by_id(p["id_number"])
    assert m.name == stored
    assert m.phone == "13800138000"


def _serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


DATE_CELLS = [
    ("excel serial", _serial(dt.date(1991, 5, 3)), dt.date(1991, 5, 3), "day"),
    ("date cell", dt.datetime(1991, 5, 3), dt.date(1991, 5, 3), "day"),
    ("iso", "1991-05-03", dt.date(1991, 5, 3), "day"),
    ("slashes", "1991/5/3", dt.date(1991, 5, 3), "day"),
    ("dots", "1991.05.03", dt.date(1991, 5, 3), "day"),
    ("chinese", "1991年5月3日", dt.date(1991, 5, 3), "day"),
    ("compact", "19910503", dt.date(1991, 5, 3), "day"),
    ("with time", "1991-05-03 00:00:00", dt.date(1991, 5, 3), "day"),
    ("full-width", "１９９１年５月３日", dt.date(1991, 5, 3), "day"),
    ("year.month", "1991.5", dt.date(1991, 5, 1), "month"),
    ("year.month number", 1991.05, dt.date(1991, 5, 1), "month"),
    ("year.october", "1991.10", dt.date(1991, 10, 1), "month"),
    ("chinese month", "1991年5月", dt.date(1991, 5, 1), "month"),
    ("iso month", "1991-05", dt.date(1991, 5, 1), "month"),
    ("compact month", "199105", dt.date(1991, 5, 1), "month"),
]


@pytest.mark.parametrize(
    ("case", "cell", "value", "precision"), DATE_CELLS, ids=[c[0] for c in DATE_CELLS]
)
def test_every_date_format_is_read_and_month_precision_stays_month_precision(
    demo, secretary, case, cell, value, precision
):
    p = new_person(44, birth=dt.date(1966, 2, 14), admitted_on=cell, confirmed_on="1993-01-01")

    report = run(secretary, roster([p]), demo.branch)

    assert (report.created, report.rejected) == (1, 0), problems(report)
    m = by_id(p["id_number"])
    assert (m.admitted_on, m.admitted_on_precision) == (value, precision)
    shown = value.strftime("%Y-%m") if precision == "month" else value.isoformat()
    assert m.admitted_on_display == shown


def test_month_precision_dates_are_kept_for_admission_and_confirmation(demo, secretary):
    p = new_person(45, birth=dt.date(1960, 8, 1), admitted_on="1988年5月", confirmed_on="1989.5")

    run(secretary, roster([p]), demo.branch)

    m = by_id(p["id_number"])
    assert (m.admitted_on, m.admitted_on_precision) == (dt.date(1988, 5, 1), "month")
    assert (m.confirmed_on, m.confirmed_on_precision) == (dt.date(1989, 5, 1), "month")
    assert (m.admitted_on_display, m.confirmed_on_display) == ("1988-05", "1989-05")


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("90-05-03", "入党时间「90-05-03」的年份应写四位数字（如 1990）"),
        ("1991-02-30", "入党时间「1991-02-30」不是实际存在的日期，请核对年月日"),
        ("2027-01-01", "入党时间「2027-01-01」晚于今天，请核对"),
        ("1991.1", None),
        (60, "是 Excel 中不存在的 1900-02-29，请核对"),
        ("五月", "入党时间「五月」不是有效日期"),
    ],
)
def test_dates_that_cannot_be_read_reject_the_row_with_the_reason(demo, secretary, cell, message):
    p = new_person(46, birth=dt.date(1966, 2, 14), admitted_on=cell, confirmed_on="1993-01-01")
    if cell == "1991.1":
        p["admitted_on"] = 1991.1  # a number: January or October cannot be told apart
        message = "无法区分1月和10月"

    report = run(secretary, roster([p]), demo.branch, mode=Mode.PARTIAL)

    assert report.created == 0
    ((row, column, text),) = problems(report)
    assert (row, column) == (2, "入党时间")
    assert message in text
    assert not exists(p["id_number"])


def test_the_same_person_twice_in_one_file_rejects_the_second_row_naming_the_first(demo, secretary):
    a, b = new_person(47), new_person(48)
    again = dict(a, job_title="处长", id_number=a["id_number"].lower())

    report = run(secretary, roster([a, b, again]), demo.branch, mode=Mode.PARTIAL)

    assert (report.created, report.rejected) == (2, 1)
    assert problems(report) == [(4, "身份证号", "与第 2 行是同一身份证号（同一人重复出现）")]
    assert by_id(a["id_number"]).job_title == "科员"


# --- where rows go: scope, branches and moves ------------------------------------------------


def test_a_person_already_in_another_branch_is_reported_as_a_move_and_not_moved(demo, organ):
    moving = demo.member_in_sibling
    cells = member_cells(moving, organization="FGW-B01", party_group="")
    fresh = new_person(50)
    before = counts()

    report = run(organ, roster([cells, fresh]), demo.organ_committee, mode=Mode.STRICT)

    assert not report.written and counts() == before
    ((move),) = report.moves
    assert (move.row, move.member_id, move.name) == (2, moving.pk, moving.name)
    assert (move.from_org, move.to_org) == (demo.sibling_branch.name, demo.branch.name)
    ((row, column, message),) = problems(report)
    assert (row, column) == (2, "所在支部")
    assert message == (
        f"{moving.name} 现在「{demo.sibling_branch.name}」，导入将调至「{demo.branch.name}」："
        "需确认调动后才能导入"
    )

    report = run(organ, roster([cells, fresh]), demo.organ_committee, mode=Mode.PARTIAL)

    assert (report.created, report.moved, report.rejected) == (1, 0, 1)
    assert Member.objects.get(pk=moving.pk).organization == demo.sibling_branch


def test_a_move_is_applied_with_a_move_audit_event_when_allowed(demo, organ):
    moving = demo.member_in_sibling
    cells = member_cells(moving, organization="FGW-B01", party_group="")
    seq = last_seq()

    report = run(organ, roster([cells]), demo.organ_committee, allow_moves=True)

    assert (report.moved, report.rejected, report.created, report.written) == (1, 0, 0, True)
    moved = Member.objects.get(pk=moving.pk)
    assert moved.organization == demo.branch
    assert moved.party_group is None
    (event,) = [e for e in events_since(seq) if e.object_type == "members.member"]
    assert (event.action, event.object_id) == (AuditAction.MOVE, str(moving.pk))
    assert event.changes["organization"] == [demo.sibling_branch.pk, demo.branch.pk]
    assert event.actor_username == "organ"
    # The branch keeps the member's organizational life from the move on (党章第九条's count).
    assert moved.org_since == TODAY


def test_a_person_registered_outside_the_actors_scope_is_rejected(demo, secretary):
    outsider = demo.member_in_sibling
    cells = member_cells(outsider, organization="FGW-B01", job_title="改过的岗位")
    before = counts()

    report = run(secretary, roster([cells]), demo.branch, mode=Mode.PARTIAL, allow_moves=True)

    assert (report.rejected, report.moved, report.updated) == (1, 0, 0)
    assert problems(report) == [
        (2, "身份证号", "该身份证号已在其他党组织登记，不在您的管理范围内；请办理组织关系转接")
    ]
    assert report.moves == []
    assert counts() == before
    unchanged = Member.objects.get(pk=outsider.pk)
    assert (unchanged.organization, unchanged.job_title) == (
        demo.sibling_branch,
        outsider.job_title,
    )


@pytest.mark.parametrize(
    ("actor_name", "root", "cell"),
    [
        ("secretary", "FGW-B01", "FGW-B02"),
        ("secretary", "FGW-B01", "综合规划处党支部"),
        ("secretary", "FGW-B01", "不存在的党支部"),
        ("organ", "FGW-JGDW", "CZJ-B01"),
        ("organ", "FGW-JGDW", "国库处党支部"),
        ("organ", "FGW-JGDW", "FGW-B01-G1"),  # a party group is not a branch
    ],
)
def test_an_organization_not_in_scope_is_rejected(demo, actor_name, root, cell):
    actor = Actor(demo.users[actor_name], "")
    p = new_person(51, organization=cell)
    before = counts()

    report = run(actor, roster([p]), demo.org[root], mode=Mode.PARTIAL)

    assert report.rejected == 1
    ((row, column, message),) = problems(report)
    assert (row, column) == (2, "所在支部")
    assert message == (f"党支部「{cell}」不存在，或不在「{demo.org[root].name}」及您的管理范围内")
    assert counts() == before


def test_a_branch_name_found_in_several_departments_asks_for_the_code(demo):
    system = Actor.system("test")
    root = demo.org["GW"]
    ambiguous = new_person(52, organization="办公室党支部")
    by_code = new_person(53, organization="CZJ-B01")
    unique = new_person(54, organization="预算处党支部")

    report = run(system, roster([ambiguous, by_code, unique]), root, mode=Mode.PARTIAL)

    assert (report.created, report.rejected) == (2, 1)
    assert problems(report) == [
        (2, "所在支部", "「办公室党支部」在所选范围内有 3 个同名支部，请改填组织编码")
    ]
    assert by_id(by_code["id_number"]).organization == demo.org["CZJ-B01"]
    assert by_id(unique["id_number"]).organization == demo.org["CZJ-B02"]


def test_a_branch_name_unique_within_the_chosen_organization_is_enough(demo, organ):
    p = new_person(55, organization="办公室党支部", party_group="第二党小组")
    q = new_person(56, organization="离退休干部党支部", category="离退休", job_title="")

    report = run(organ, roster([p, q]), demo.organ_committee)

    assert (report.created, report.rejected) == (2, 0), problems(report)
    m = by_id(p["id_number"])
    assert (m.organization, m.party_group) == (demo.branch, demo.org["FGW-B01-G2"])
    assert by_id(q["id_number"]).organization == demo.org["FGW-B04"]
    assert by_id(q["id_number"]).category == "retired"


def test_moving_a_member_between_party_groups_of_the_branch_is_an_update(demo, secretary):
    member = (
        Member.objects.filter(organization=demo.branch, party_group__code="FGW-B01-G1")
        .select_related("organization", "party_group")
        .first()
    )
    cells = member_cells(member, organization="fgw-b01", party_group="第二党小组")
    seq = last_seq()

    report = run(secretary, roster([cells]), demo.branch)

    assert (report.updated, report.moved, report.rejected) == (1, 0, 0), problems(report)
    assert Member.objects.get(pk=member.pk).party_group == demo.org["FGW-B01-G2"]
    (event,) = [e for e in events_since(seq) if e.object_type == "members.member"]
    assert event.action == AuditAction.UPDATE
    assert event.changes == {"party_group": [demo.org["FGW-B01-G1"].pk, demo.org["FGW-B01-G2"].pk]}


def test_a_file_without_the_optional_columns_leaves_their_stored_values_alone(demo, secretary):
    members = list(
        Member.objects.filter(organization=demo.branch).select_related(
            "organization", "party_group"
        )
    )
    kept = ["phone_index", "education", "ethnicity", "category", "party_group_id", "job_title"]
    before = {m.pk: [getattr(m, f) for f in kept] for m in members}
    fields = ["name", "id_number", "organization", "status", "admitted_on", "confirmed_on"]

    report = run(
        secretary, xlsx_bytes(table([member_cells(m) for m in members], fields)), demo.branch
    )

    assert (report.updated, report.unchanged) == (0, len(members))
    after = {
        m.pk: [getattr(m, f) for f in kept] for m in Member.objects.filter(organization=demo.branch)
    }
    assert after == before


def test_an_update_from_a_file_without_the_party_group_column_keeps_the_party_group(
    demo, secretary
):
    member = (
        Member.objects.filter(organization=demo.branch, party_group__isnull=False)
        .select_related("organization", "party_group")
        .first()
    )
    group = member.party_group
    fields = ["name", "id_number", "organization", "status", "admitted_on", "confirmed_on"]
    fields.append("job_title")
    cells = member_cells(member, job_title="二级调研员")
    seq = last_seq()

    report = run(secretary, xlsx_bytes(table([cells], fields)), demo.branch)

    assert (report.updated, report.rejected) == (1, 0), problems(report)
    updated = Member.objects.get(pk=member.pk)
    assert updated.job_title == "二级调研员"
    assert updated.party_group == group
    (event,) = [e for e in events_since(seq) if e.object_type == "members.member"]
    assert event.changes == {"job_title": [member.job_title, "二级调研员"]}


def test_a_branch_row_into_the_secretarys_branch_needs_no_branch_column(demo, secretary):
    p = new_person(57)
    fields = [f for f in FIELDS if f != "organization"]

    report = run(secretary, xlsx_bytes(table([p], fields)), demo.branch)

    assert report.created == 1
    assert by_id(p["id_number"]).organization == demo.branch


def test_importing_into_a_higher_organization_needs_the_branch_on_every_row(demo, organ):
    p = new_person(58, organization="")

    report = run(organ, roster([p]), demo.organ_committee, mode=Mode.PARTIAL)

    assert report.rejected == 1
    assert problems(report)[0][1:] == (
        "所在支部",
        "请填写所在支部（导入到上级组织时，每行都要写明支部名称或组织编码）",
    )


# --- identity columns that contradict the ID number -------------------------------------------


@pytest.mark.parametrize(
    ("gender", "birth", "error"),
    [
        ("女", "1982-06-15", None),
        ("女性", "1982年6月15日", None),
        ("", "1982-06", None),
        ("男", "1982-06-15", ("性别", "性别与身份证号不符（身份证号第17位奇数为男、偶数为女）")),
        ("女", "1982-06-16", ("出生日期", "出生日期与身份证号不符")),
        ("女", "1983-06", ("出生日期", "出生日期与身份证号不符")),
        ("未知", "", ("性别", "性别「未知」无法识别，可选：男、女")),
    ],
)
def test_gender_and_birth_date_columns_must_agree_with_the_id_number(
    demo, secretary, gender, birth, error
):
    p = new_person(60, birth=dt.date(1982, 6, 15), gender="female")
    p["gender"] = gender
    fields = [*FIELDS[:3], "birth_date", *FIELDS[3:]]
    headers = [*HEADERS[:3], "出生日期", *HEADERS[3:]]
    p["birth_date"] = birth

    report = run(secretary, xlsx_bytes(table([p], fields, headers)), demo.branch, mode="partial")

    if error is None:
        assert (report.created, report.rejected) == (1, 0), problems(report)
        assert by_id(p["id_number"]).gender == "female"
    else:
        assert report.created == 0
        assert problems(report) == [(2, *error)]
        assert not exists(p["id_number"])


def test_a_row_with_several_problems_reports_each_column(demo, secretary):
    p = new_person(61, status="", admitted_on="", confirmed_on="", phone="12345")

    report = run(secretary, roster([p]), demo.branch, mode=Mode.PARTIAL)

    assert report.rejected == 1
    found = {column: message for _row, column, message in problems(report)}
    assert found == {
        # No status and no dates to derive it from (issue 12): the message says so.
        "党员状态": "未填写党员状态，需根据入党时间和转正时间推定：请填写正确的入党时间，或填写党员状态",
        "入党时间": "请填写入党时间",
        "手机号": "手机号应为11位中国大陆手机号码，如 13812345678",
    }


# --- file formats ------------------------------------------------------------------------------


def _formats(people) -> dict[str, tuple[str, bytes]]:
    rows = table(people)
    return {
        "xlsx": ("花名册.xlsx", xlsx_bytes(rows)),
        "xls": ("花名册.xls", xls_bytes(rows)),
        "csv utf-8": ("花名册.csv", csv_bytes(rows)),
        "csv utf-8 bom": ("花名册.csv", csv_bytes(rows, bom=True)),
        "csv gbk": ("花名册.csv", csv_bytes(rows, encoding="gbk")),
        "csv gb18030 tabs": ("花名册.txt", csv_bytes(rows, encoding="gb18030", delimiter="\t")),
    }


@pytest.mark.parametrize(
    "fmt", ["xlsx", "xls", "csv utf-8", "csv utf-8 bom", "csv gbk", "csv gb18030 tabs"]
)
def test_xlsx_xls_and_csv_in_every_encoding_import_the_same(demo, secretary, fmt):
    people = [new_person(62), new_person(63, gender="male", name="欧阳·明"), new_person(64)]
    filename, data = _formats(people)[fmt]

    report = run(secretary, data, demo.branch, filename=filename)

    assert (report.created, report.rejected) == (3, 0), problems(report)
    for p in people:
        m = by_id(p["id_number"])
        assert (m.name, m.phone, m.job_title) == (p["name"], p["phone"], "科员")
        assert m.admitted_on.isoformat() == p["admitted_on"]


def _too_large(tmp_path) -> str:
    path = tmp_path / "huge.xlsx"
    with open(path, "wb") as fh:
        fh.truncate(51 * 1024 * 1024)  # sparse: the size is checked before anything is read
    return str(path)


BAD_FILES = {
    "empty": (lambda tmp: b"", "empty", "文件为空"),
    "pdf": (
        lambda tmp: b"%PDF-1.4\n" + bytes(range(256)) * 8,
        "unrecognized",
        "无法识别的文件格式，请上传 .xlsx、.xls 或 .csv 文件",
    ),
    "binary": (
        lambda tmp: random.Random(1).randbytes(4096),
        "unrecognized",
        "无法识别的文件格式，请上传 .xlsx、.xls 或 .csv 文件",
    ),
    "a zip that is not a workbook": (
        lambda tmp: plain_zip_bytes(),
        "unrecognized",
        "无法识别的文件格式，请上传 .xlsx、.xls 或 .csv 文件",
    ),
    "password-protected xlsx": (
        lambda tmp: encrypted_xlsx_bytes(),
        "encrypted",
        "文件已设置密码保护，请取消密码后再导入",
    ),
    "password-protected xls": (
        lambda tmp: encrypted_xls_bytes(),
        "encrypted",
        "文件已设置密码保护，请取消密码后再导入",
    ),
    "zip bomb": (
        lambda tmp: zip_bomb_bytes(20 * 1024 * 1024),
        "zip_bomb",
        "文件解压后过大，疑似异常文件",
    ),
    "too large": (_too_large, "too_large", "文件过大（51 MB），上限为 50 MB"),
    "no header": (
        lambda tmp: xlsx_bytes([["序号", "名称"], [1, "某某"]]),
        "no_header",
        "未找到表头：表格中应有「姓名」和「身份证号」列",
    ),
    "web page saved as xls": (
        lambda tmp: "<html><body><table><tr><td>姓名</td></tr></table></body></html>".encode(),
        "html",
        None,
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_file_that_cannot_be_used_raises_a_clear_error_and_writes_nothing(
    demo, secretary, tmp_path, case
):
    make, code, message = BAD_FILES[case]
    data = make(tmp_path)
    before = counts()

    with pytest.raises(RosterFileError) as raised:
        run(secretary, data, demo.branch, filename="花名册.xlsx", mode=Mode.PARTIAL)

    assert raised.value.code == code
    if message:
        assert raised.value.message == message
    assert counts() == before


def test_a_sheet_that_does_not_exist_is_reported_with_the_sheets_there_are(demo, secretary):
    data = xlsx_bytes({"一支部": table([new_person(65)])})

    with pytest.raises(RosterFileError) as raised:
        run(secretary, data, demo.branch, sheet="三支部")

    assert raised.value.message == "工作表「三支部」不存在，可选：一支部"


# --- round trip: export, import, edit, import ------------------------------------------------


def _export_as(client, org_code: str) -> bytes:
    response = client.post(
        f"/members/export.xlsx?org={org_code}&unmasked=1", {"reason": "核对后重新导入"}
    )
    assert response.status_code == 200
    return response.content


def test_an_unmasked_export_imports_back_unchanged(demo, organ, client_for):
    data = _export_as(client_for(demo.users["organ"]), "FGW-JGDW")
    subtree = Member.objects.filter(organization__path__startswith=demo.organ_committee.path)
    before = counts()

    report = run(organ, data, demo.organ_committee)

    assert problems(report) == []
    assert (report.created, report.updated, report.moved, report.rejected) == (0, 0, 0, 0)
    assert report.unchanged == subtree.count() > 40
    assert report.unknown_columns == [] and not report.written
    assert counts() == before


def test_editing_one_cell_of_an_export_updates_exactly_that_member(demo, organ):
    subtree = Member.objects.filter(
        organization__path__startswith=demo.organ_committee.path
    ).select_related("organization", "party_group")
    data, count = members_xlsx(subtree.order_by("pk"), unmasked=True)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    target_row = 5
    target = by_id(sheet.cell(target_row, FIELDS.index("id_number") + 1).value)
    sheet.cell(target_row, FIELDS.index("job_title") + 1).value = "二级巡视员"
    edited = io.BytesIO()
    book.save(edited)
    seq = last_seq()

    report = run(organ, edited.getvalue(), demo.organ_committee)

    assert (report.created, report.updated, report.rejected) == (0, 1, 0), problems(report)
    assert report.unchanged == count - 1
    assert by_id(target.id_number).job_title == "二级巡视员"
    events = events_since(seq)
    assert [(e.object_type, e.object_id) for e in events] == [
        ("members.member", str(target.pk)),
        (ROSTER_EVENT, str(demo.organ_committee.pk)),
    ]
    assert events[0].changes == {"job_title": [target.job_title, "二级巡视员"]}


def test_a_month_precision_member_survives_the_round_trip(demo, secretary):
    p = new_person(66, birth=dt.date(1962, 1, 20), admitted_on="1990年5月", confirmed_on="1991.5")
    run(secretary, roster([p]), demo.branch)
    data, _ = members_xlsx(
        Member.objects.filter(organization=demo.branch).select_related(
            "organization", "party_group"
        ),
        unmasked=True,
    )

    report = run(secretary, data, demo.branch)

    assert (report.updated, report.rejected, report.created) == (0, 0, 0), problems(report)
    m = by_id(p["id_number"])
    assert (m.admitted_on_precision, m.confirmed_on_precision) == ("month", "month")


def test_a_masked_export_cannot_be_imported_over_the_real_numbers(demo, secretary):
    data, count = members_xlsx(
        Member.objects.filter(organization=demo.branch).select_related(
            "organization", "party_group"
        )
    )
    before = counts()

    report = run(secretary, data, demo.branch, mode=Mode.PARTIAL)

    assert report.rejected == count and report.created == report.updated == 0
    assert {column for _row, column, _message in problems(report)} >= {"身份证号"}
    assert counts() == before


def test_a_dissolved_branch_takes_no_member_from_a_roster(demo, organ):
    """A branch dissolved (撤销) is still in the tree, with its name and code; a roster naming it
    must not put members back into it (the dissolution was refused while it had any)."""
    from dangjian.orgs.models import Organization, OrgKind
    from dangjian.orgs.services import create_organization
    from dangjian.structure.services import dissolve_organization

    gone = create_organization(
        Actor.system("test"),
        Organization.objects.get(code="FGW-JGDW"),
        name="已撤销党支部",
        kind=OrgKind.BRANCH,
        code="FGW-GONE",
        founded_on=dt.date(2020, 1, 1),
    )
    dissolve_organization(Actor.system("test"), gone, dt.date(2026, 6, 1))
    people = [new_person(71, organization="FGW-GONE"), new_person(72, organization="已撤销党支部")]
    members_before, _ = counts()

    report = run(organ, roster(people), Organization.objects.get(code="FGW-JGDW"))

    assert report.created == 0 and report.rejected == 2
    assert {message for _, _, message in problems(report)} == {
        "党支部「FGW-GONE」已撤销，不能再导入党员",
        "党支部「已撤销党支部」已撤销，不能再导入党员",
    }
    assert counts()[0] == members_before
    assert not Member.objects.filter(organization=gone).exists()
