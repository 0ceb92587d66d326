"""The yearly publication (每年公布1次) as a sheet per branch: masked names, no ID numbers, the
months paid and the amounts; for the branch's secretary and the 机关党委 (issue 16)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from dangjian.dues.models import Payment, Relief, ReliefStatus
from dangjian.members.models import Member
from tests.dues.helpers import this_month
from tests.helpers import actions_since, last_seq
from tests.matrix_helpers import persona_user

pytestmark = pytest.mark.django_db


def _pay(member, branch, month: int, amount: str) -> None:
    Payment.objects.create(
        member=member,
        organization=branch,
        month=this_month().replace(month=month),
        amount=Decimal(amount),
        paid_on=this_month().replace(month=month),
        method="cash",
    )


def _sheet(response):
    book = load_workbook(io.BytesIO(response.content))
    return [[c for c in row] for row in book.active.iter_rows(values_only=True)]


def test_the_sheet_lists_months_and_amounts_with_masked_names(demo, client_for):
    year = this_month().year
    first, second = list(Member.objects.current().filter(organization=demo.branch))[:2]
    _pay(first, demo.branch, 1, "15.00")
    _pay(first, demo.branch, 2, "15.00")
    _pay(second, demo.branch, 1, "42.50")
    Relief.objects.create(
        member=second,
        organization=demo.branch,
        kind="exempt",
        first_month=this_month().replace(month=3),
        last_month=this_month().replace(month=3),
        reason="困难",
        decided_on=this_month().replace(month=1),
        decided_by=demo.users["secretary"],
        status=ReliefStatus.APPROVED,
        approved_on=this_month().replace(month=2, day=1),
    )
    client = client_for(demo.users["secretary"])
    before = last_seq()
    response = client.get(f"/dues/branch/{demo.branch.pk}/publication/?year={year}")
    assert response.status_code == 200
    assert actions_since(before) == ["export"]
    rows = _sheet(response)
    assert "党费收缴情况公布" in rows[0][0]
    assert rows[3][:4] == ["序号", "姓名", "1月", "2月"] and rows[3][-2:] == [
        "已交月数",
        "合计（元）",
    ]
    body = rows[4:-1]
    assert len(body) == Member.objects.current().filter(organization=demo.branch).count()
    text = repr(rows)
    for member in Member.objects.current().filter(organization=demo.branch):
        assert member.name not in text  # masked (every demo name has two characters or more)
        assert member.id_number not in text and member.id_number[-6:] not in text
    by_index = {r[0]: r for r in body}
    names = [r[1] for r in body]
    assert first.name[0] + "*" * (len(first.name) - 1) in names
    paid = sorted((r[14], r[15]) for r in body if r[14])
    assert paid == [(1, 42.5), (2, 30.0)]
    assert any(r[4] == "免交" for r in by_index.values())
    assert rows[-1][1] == "合计" and rows[-1][2] == 57.5 and rows[-1][15] == 72.5


@pytest.mark.parametrize(
    ("persona", "status"),
    [("secretary", 200), ("committee", 200), ("organ", 200), ("inspector", 403), ("member", 404)],
)
def test_who_may_have_the_sheet(demo, client_for, persona, status):
    client = client_for(persona_user(demo, persona))
    before = last_seq()
    response = client.get(f"/dues/branch/{demo.branch.pk}/publication/")
    assert response.status_code == status
    assert ("export" in actions_since(before)) == (status == 200)


def test_a_bad_year_or_a_committee_is_not_a_sheet(demo, client_for):
    client = client_for(demo.users["organ"])
    assert client.get(f"/dues/branch/{demo.branch.pk}/publication/?year=abc").status_code == 404
    assert client.get(f"/dues/branch/{demo.branch.pk}/publication/?year=1999").status_code == 404
    url = f"/dues/branch/{demo.organ_committee.pk}/publication/"
    assert client.get(url).status_code == 404
