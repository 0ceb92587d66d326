"""The roster import and the membership history: spells written in bulk, status derived from dates."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile

import openpyxl
import pytest
from openpyxl.styles import Alignment, Font

from dangjian.audit.services import Actor
from dangjian.crypto import default_keyring
from dangjian.members import history, services, services_lifecycle
from dangjian.members.models import LeaveReason, Member, MembershipSpell
from dangjian.members.roster.importer import run_import
from dangjian.regulations.synth import make_id_number, make_name, make_phone
from tests.conftest import TODAY, member_payload

from .test_importer import member_cells, roster

D = dt.date


@pytest.fixture
def secretary(demo) -> Actor:
    return Actor(demo.users["secretary"], "127.0.0.1")


@pytest.fixture
def organ(demo) -> Actor:
    return Actor(demo.users["organ"], "127.0.0.1")


def by_id(id_number: str) -> Member:
    return Member.objects.get(id_number_index=default_keyring().blind_index(id_number))


def spells_of(member) -> list[tuple]:
    return list(
        MembershipSpell.objects.filter(member=member)
        .order_by("started_on")
        .values_list("organization_id", "status", "started_on", "ended_on", "start_reason")
    )


def libreoffice_roster(rows: list[list[object]]) -> bytes:
    """A roster as a branch keeps it in LibreOffice Calc: a merged title row and a date line
    above the header, a 序号 column, a 人员类别 column meaning 在职/退休, dates as date cells,
    and no 党员状态 column. Saved with LibreOffice's application name in docProps/app.xml."""
    header = ["序号", "姓名", "性别", "身份证号", "人员类别", "入党时间", "转正时间", "联系电话"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "工作表1"
    sheet.append(["第一党支部党员花名册"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(["填报单位：第一党支部", None, None, None, None, "填报日期：2026年11月20日"])
    sheet.append(header)
    for n, row in enumerate(rows, start=1):
        sheet.append([n, *row])
        for column in (6, 7):
            sheet.cell(row=sheet.max_row, column=column).number_format = "YYYY-MM-DD"
    out = io.BytesIO()
    book.save(out)
    # Rewrite the producer as LibreOffice does.
    src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/app.xml":
                data = re.sub(
                    rb"<Application>.*?</Application>",
                    b"<Application>LibreOffice/7.4.7.2$Linux_X86_64 LibreOffice_project/40$Build-2"
                    b"</Application>",
                    data,
                )
            dst.writestr(item, data)
    return patched.getvalue()


def someone(seed: int, birth_year: int = 1985) -> tuple[str, str, str, str]:
    rng = random.Random(seed)
    gender = rng.choice(["male", "female"])
    id_number = make_id_number(rng, D(birth_year, 3, 1 + seed % 27), gender)
    return make_name(rng, gender), "男" if gender == "male" else "女", id_number, make_phone(rng)


def test_a_libreoffice_roster_without_a_status_column_derives_it_from_the_dates(demo, secretary):
    rows, ids = [], []
    cases = [
        # (人员类别, 入党时间, 转正时间)  → expected status, or a rejection
        ("在职", dt.datetime(2010, 7, 1), dt.datetime(2011, 7, 1)),  # confirmed: full
        ("退休", dt.datetime(1980, 7, 1), dt.datetime(1981, 7, 1)),  # full, retired
        ("在职", dt.datetime(2026, 3, 1), None),  # within probation: probationary
        ("在职", dt.datetime(2025, 3, 1), None),  # within a possible extension: probationary
        ("在职", dt.datetime(2012, 7, 1), None),  # long past: the status must be given
    ]
    for seed, (category, admitted, confirmed) in enumerate(cases, start=1):
        name, gender, id_number, phone = someone(300 + seed, 1950 if category == "退休" else 1985)
        ids.append(id_number)
        rows.append([name, gender, id_number, category, admitted, confirmed, phone])

    report = run_import(
        secretary,
        libreoffice_roster(rows),
        "花名册.xlsx",
        demo.branch,
        mode="partial",
        today=TODAY,
    )

    assert report.header_row == 3
    assert (report.created, report.rejected) == (4, 1)
    statuses = [(by_id(i).status, by_id(i).category) for i in ids[:4]]
    assert statuses == [
        ("full", "employed"),
        ("full", "retired"),
        ("probationary", "employed"),
        ("probationary", "employed"),
    ]
    (problem,) = report.errors
    assert problem.row == 8 and problem.column == "党员状态"
    assert "请填写党员状态" in problem.message
    assert not Member.objects.filter(id_number_index=default_keyring().blind_index(ids[4])).exists()


def test_an_import_writes_each_new_members_history_from_admission(demo, secretary):
    name, gender, id_number, phone = someone(401)
    people = [
        {
            "name": name,
            "id_number": id_number,
            "status": "正式党员",
            "admitted_on": "2012-05-04",
            "confirmed_on": "2013-05-06",
        }
    ]
    report = run_import(secretary, roster(people), "r.xlsx", demo.branch, today=TODAY)
    assert report.created == 1
    m = by_id(id_number)
    b = demo.branch.pk
    assert spells_of(m) == [
        (b, "probationary", D(2012, 5, 4), D(2013, 5, 5), "admitted"),
        (b, "full", D(2013, 5, 6), None, "confirmed"),
    ]
    assert m in history.members_on(demo.branch, TODAY, "full")
    assert m in history.members_on(demo.branch, D(2012, 12, 31), "probationary")


def test_an_import_confirmation_and_move_are_dated_in_the_history(demo, organ):
    moving = Member.objects.filter(organization=demo.sibling_branch, status="full").first()
    probationary, _ = services.create_member(
        organ,
        demo.branch,
        member_payload(seed=77, status="probationary", admitted_on="2025-06-01", confirmed_on=""),
    )
    rows = [
        member_cells(moving, organization="FGW-B01", party_group=""),
        member_cells(probationary, status="正式党员", confirmed_on="2026-06-05"),
    ]
    report = run_import(
        organ, roster(rows), "r.xlsx", demo.organ_committee, allow_moves=True, today=TODAY
    )
    assert (report.moved, report.updated, report.rejected) == (1, 1, 0)
    assert moving in history.members_on(demo.sibling_branch, TODAY - dt.timedelta(days=1))
    assert moving not in history.members_on(demo.sibling_branch, TODAY)
    assert moving in history.members_on(demo.branch, TODAY, "full")
    last = spells_of(moving)[-1]
    assert (last[0], last[2], last[3], last[4]) == (demo.branch.pk, TODAY, None, "moved")
    assert spells_of(probationary) == [
        (demo.branch.pk, "probationary", D(2025, 6, 1), D(2026, 6, 4), "admitted"),
        (demo.branch.pk, "full", D(2026, 6, 5), None, "confirmed"),
    ]


def test_a_member_who_left_is_not_brought_back_by_an_import(demo, secretary):
    m = Member.objects.filter(organization=demo.branch, user__isnull=True).last()
    services_lifecycle.end_membership(
        Actor(demo.users["organ"]), m, D(2026, 10, 1), LeaveReason.TRANSFERRED_OUT
    )
    m.refresh_from_db()
    report = run_import(
        secretary, roster([member_cells(m, party_group="")]), "r.xlsx", demo.branch, today=TODAY
    )
    (problem,) = report.errors
    assert "2026-10-01 离开（组织关系转出）" in problem.message
    assert Member.objects.get(pk=m.pk).left_on == D(2026, 10, 1)
