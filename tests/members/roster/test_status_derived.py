"""党员状态 derived from the dates when a roster has no status column (issue 12), boundary by
boundary: confirmation date → full; no confirmation date and within probation plus the longest
extension (one year + one year) → probationary; otherwise the row asks for the status."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.audit.services import Actor
from dangjian.crypto import default_keyring
from dangjian.members.models import Member
from dangjian.members.roster.importer import run_import
from dangjian.regulations.membership import inferred_status
from tests.conftest import TODAY

from .test_import_history import libreoffice_roster, someone
from .test_importer import new_person, xlsx_bytes

D = dt.date
ASK = "未填写党员状态，且无法从日期推定：入党已超过预备期（含最长延长期）仍无转正时间。"
NO_ADMISSION = "未填写党员状态，需根据入党时间和转正时间推定"


@pytest.mark.parametrize(
    ("admitted", "confirmed", "today", "expected"),
    [
        (D(2024, 11, 25), D(2025, 11, 26), D(2026, 11, 25), "full"),
        # A confirmation date decides, however old the admission.
        (D(1980, 7, 1), D(1981, 7, 1), D(2026, 11, 25), "full"),
        (D(2026, 3, 1), None, D(2026, 11, 25), "probationary"),  # within one year
        (D(2025, 3, 1), None, D(2026, 11, 25), "probationary"),  # within an extension
        (D(2024, 11, 25), None, D(2026, 11, 25), "probationary"),  # the last day
        (D(2024, 11, 24), None, D(2026, 11, 25), None),  # a day past: ask
        (D(2012, 7, 1), None, D(2026, 11, 25), None),
        # Admitted on 29 February: two years end on 28 February.
        (D(2024, 2, 29), None, D(2026, 2, 28), "probationary"),
        (D(2024, 2, 29), None, D(2026, 3, 1), None),
    ],
)
def test_inferred_status_boundaries(admitted, confirmed, today, expected) -> None:
    assert inferred_status(admitted, confirmed, today) == expected


@pytest.fixture
def secretary(demo) -> Actor:
    return Actor(demo.users["secretary"], "127.0.0.1")


def _status_of(id_number: str) -> str | None:
    index = default_keyring().blind_index(id_number)
    return Member.objects.filter(id_number_index=index).values_list("status", flat=True).first()


# (人员类别, 入党时间, 转正时间) → status, or the start of the message on the 党员状态 column.
LIBREOFFICE_CASES = [
    ("在职", dt.datetime(2024, 11, 25), None, "probationary"),  # the last day of extension
    ("在职", dt.datetime(2024, 11, 24), None, ASK),  # the day after
    ("退休", dt.datetime(1975, 7, 1), dt.datetime(1976, 7, 1), "full"),
    ("在职", dt.datetime(2026, 6, 1), None, "probationary"),
    ("退休", dt.datetime(1990, 7, 1), None, ASK),  # retired, no confirmation date: ask
    ("在职", None, dt.datetime(2015, 7, 1), None),  # no admission: only 入党时间 is reported
    ("在职", None, None, NO_ADMISSION),  # nothing to derive from: say so
]


def test_a_libreoffice_roster_without_a_status_column_row_by_row(demo, secretary):
    rows, ids = [], []
    for seed, (category, admitted, confirmed, _) in enumerate(LIBREOFFICE_CASES, start=1):
        name, gender, id_number, phone = someone(700 + seed, 1950 if category == "退休" else 1985)
        ids.append(id_number)
        rows.append([name, gender, id_number, category, admitted, confirmed, phone])

    report = run_import(
        secretary, libreoffice_roster(rows), "花名册.xlsx", demo.branch, mode="partial", today=TODAY
    )

    assert report.header_row == 3  # below the merged title and the 填报单位 line
    by_row: dict[int, dict[str, str]] = {}
    for problem in report.errors:
        by_row.setdefault(problem.row, {})[problem.column] = problem.message
    for n, (case, id_number) in enumerate(zip(LIBREOFFICE_CASES, ids, strict=True)):
        expected, row = case[3], 4 + n
        if expected in ("full", "probationary"):
            assert _status_of(id_number) == expected, case
            assert row not in by_row
            continue
        assert _status_of(id_number) is None, case
        if expected is None:
            assert set(by_row[row]) == {"入党时间"}, by_row[row]
        else:
            assert by_row[row]["党员状态"].startswith(expected)
            assert "请填写" in by_row[row]["党员状态"]
    assert (report.created, report.rejected) == (3, 4)


def test_the_official_column_names_and_month_dates_without_a_status_column(demo, secretary):
    # 转为正式党员日期 as the 党员档案 forms name it; dates given to the month get the benefit of
    # the doubt (the month's last day): admitted in November 2024 is still within the extension.
    fields = ["name", "id_number", "organization", "category", "admitted_on", "confirmed_on"]
    header = [
        "姓名",
        "公民身份号码",
        "所在党支部",
        "人员类别",
        "加入党组织日期",
        "转为正式党员日期",
    ]
    people = [
        new_person(801, admitted_on="2024-11", confirmed_on=""),
        new_person(802, admitted_on="2024-10", confirmed_on=""),
        new_person(803, admitted_on="2001-05", confirmed_on="2002-06"),
        new_person(
            804,
            birth=D(1950, 3, 1),
            category="退休",
            admitted_on="1988-07-01",
            confirmed_on="1989-07-01",
        ),
    ]
    rows = [header, *([p[f] for f in fields] for p in people)]

    report = run_import(
        secretary, xlsx_bytes(rows), "r.xlsx", demo.branch, mode="partial", today=TODAY
    )

    assert [_status_of(p["id_number"]) for p in people] == [
        "probationary",
        None,
        "full",
        "full",
    ]
    (problem,) = report.errors
    assert (problem.row, problem.column) == (3, "党员状态")
    assert problem.message.startswith(ASK) and "请填写党员状态" in problem.message
