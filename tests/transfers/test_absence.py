"""Members out of contact (失去联系) or abroad (出国出境): the findings proposing 停止党籍 and
除名 on their boundaries (the day before, of and after six months, month ends, 29 February),
the branch's decisions clearing them, and who may record them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from dangjian.audit.models import AuditEvent
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings.findings.contributors import Scope
from dangjian.meetings.packs import rules_in_force
from dangjian.members.models import Member
from dangjian.regulations import discipline as rules
from dangjian.transfers import absence, absence_findings
from dangjian.transfers.models import AbsenceKind, AbsenceRecord
from tests.transfers.helpers import as_

D = dt.date


def _scope(org, day: dt.date) -> Scope:
    return Scope(
        where=lambda field: Q(**{f"{field}path__startswith": org.path}),
        orgs=[],
        year=day.year,
        as_of=day,
        today=day,
        rules=rules_in_force(),
    )


def _proposals(demo, day: dt.date) -> list[str]:
    found = absence_findings.evaluate(_scope(demo.branch, day)).get(demo.branch.pk, [])
    return [r.facts["proposes"] for r in found]


def _member(demo, n: int = 0) -> Member:
    return list(
        Member.objects.filter(
            organization=demo.branch, user__isnull=True, left_on__isnull=True
        ).order_by("pk")
    )[n]


SINCE = D(2025, 8, 31)


def _record(demo, kind=AbsenceKind.LOST_CONTACT, since=SINCE, n=0) -> AbsenceRecord:
    return absence.record_absence(as_(demo.users["secretary"]), _member(demo, n), kind, since)


# Six months on is the trigger's anniversary; the finding shows from the day after (the
# digest: "失去联系6个月以上" fires the day after). Month ends clamp; 29 February counts.
@pytest.mark.parametrize(
    ("since", "first_day"),
    [
        (D(2025, 3, 10), D(2025, 9, 11)),
        (D(2025, 8, 31), D(2026, 3, 1)),  # 28 February 2026, then the day after
        (D(2023, 8, 31), D(2024, 3, 1)),  # 29 February 2024 in a leap year
        (D(2023, 8, 29), D(2024, 3, 1)),
        (D(2023, 12, 31), D(2024, 7, 1)),
    ],
)
def test_lost_contact_is_proposed_for_suspension_after_six_months(since, first_day) -> None:
    assert rules.lost_contact_due(since) == first_day
    row = AbsenceRecord(kind=AbsenceKind.LOST_CONTACT, since=since)
    before = first_day - dt.timedelta(days=1)
    assert absence.due_action(row, before - dt.timedelta(days=1)) is None
    assert absence.due_action(row, before) is None  # the anniversary itself
    assert absence.due_action(row, first_day) == "suspend"


@pytest.mark.parametrize(
    ("since", "first_day"),
    [(D(2020, 2, 29), D(2025, 3, 1)), (D(2019, 6, 30), D(2024, 7, 1))],
)
def test_abroad_more_than_five_years_is_proposed_for_suspension(since, first_day) -> None:
    assert rules.abroad_due(since) == first_day
    row = AbsenceRecord(kind=AbsenceKind.ABROAD, since=since)
    assert absence.due_action(row, first_day - dt.timedelta(days=1)) is None
    assert absence.due_action(row, first_day) == "suspend"


def test_removal_is_proposed_two_years_after_the_suspension() -> None:
    row = AbsenceRecord(
        kind=AbsenceKind.LOST_CONTACT, since=D(2023, 8, 1), suspended_on=D(2024, 2, 29)
    )
    assert rules.removal_due(D(2024, 2, 29)) == D(2026, 3, 1)
    assert absence.due_action(row, D(2026, 2, 28)) is None
    assert absence.due_action(row, D(2026, 3, 1)) == "remove"
    # Before the suspension's day it is still the suspension that is proposed.
    assert absence.due_action(row, D(2024, 2, 28)) == "suspend"


@pytest.mark.parametrize(
    ("decided_on", "ok"), [(D(2026, 2, 28), False), (D(2026, 3, 1), True), (D(2026, 3, 2), True)]
)
def test_the_branch_suspends_on_or_after_the_first_day(demo, decided_on, ok) -> None:
    row = _record(demo)
    member = row.member
    if not ok:
        with pytest.raises(ServiceValidationError, match="2026年3月1日起"):
            absence.suspend(as_(demo.users["secretary"]), row, decided_on)
        member.refresh_from_db()
        assert member.left_on is None
        return
    absence.suspend(as_(demo.users["secretary"]), row, decided_on)
    member.refresh_from_db()
    assert (member.left_on, member.left_reason) == (decided_on, "suspended")


def test_the_finding_clears_with_each_decision(demo) -> None:
    secretary = as_(demo.users["secretary"])
    row = _record(demo, since=D(2023, 8, 31))
    assert _proposals(demo, D(2024, 2, 29)) == []
    assert _proposals(demo, D(2024, 3, 1)) == ["suspend"]
    row = absence.suspend(secretary, row, D(2024, 3, 4))
    assert _proposals(demo, D(2024, 3, 4)) == []
    assert _proposals(demo, D(2026, 3, 4)) == []  # two years on: the anniversary itself
    assert _proposals(demo, D(2026, 3, 5)) == ["remove"]
    with pytest.raises(ServiceValidationError, match="2026年3月5日起"):
        absence.remove(secretary, row, D(2026, 3, 4))
    absence.remove(secretary, row, D(2026, 3, 5))
    assert _proposals(demo, D(2026, 3, 5)) == []
    member = Member.objects.get(pk=row.member_id)
    assert (member.left_on, member.left_reason) == (D(2024, 3, 4), "removed")
    # Every write audited, with the dates and no name.
    events = AuditEvent.objects.filter(object_type="transfers.absencerecord")
    assert [e.action for e in events.order_by("seq")] == ["create", "update", "update"]
    assert all(member.name not in f"{e.changes}{e.message}{e.object_repr}" for e in events)


def test_an_abroad_finding_clears_when_the_member_is_back(demo) -> None:
    row = _record(demo, AbsenceKind.ABROAD, since=D(2020, 2, 29))
    assert _proposals(demo, D(2025, 3, 1)) == ["suspend"]
    absence.end_absence(as_(demo.users["secretary"]), row, D(2025, 6, 1))
    assert _proposals(demo, D(2025, 6, 1)) == []
    assert _proposals(demo, D(2025, 5, 31)) == ["suspend"]  # as it stood then


def test_bad_input_and_others_write_nothing(demo) -> None:
    row = _record(demo)
    with pytest.raises(ServiceValidationError, match="未结束"):
        _record(demo)
    with pytest.raises(ServiceValidationError, match="失去联系并停止党籍"):
        absence.remove(as_(demo.users["secretary"]), row, D(2026, 3, 2))
    with pytest.raises(ServiceValidationError, match="不能早于起始日期"):
        absence.end_absence(as_(demo.users["secretary"]), row, D(2025, 8, 30))
    outsider = as_(demo.users["member"])
    with pytest.raises(PermissionDenied):
        absence.suspend(outsider, row, D(2026, 3, 2))
    assert AbsenceRecord.objects.count() == 1
    assert Member.objects.get(pk=row.member_id).left_on is None


def test_the_page_lists_and_records(demo, client_for) -> None:
    client = client_for(demo.users["secretary"])
    member = _member(demo, 1)
    url = f"/transfers/absence/?org={demo.branch.pk}"
    response = client.post(
        url, {"action": "add", "member": member.pk, "kind": "lost_contact", "since": "2025-08-31"}
    )
    assert response.status_code == 302
    row = AbsenceRecord.objects.get(member=member)
    page = client.get(url).content.decode()
    assert member.name in page and "建议停止党籍" in page
    response = client.post(url, {"action": "suspend", "record": row.pk, "on": "2026-03-01"})
    assert response.status_code == 302
    assert Member.objects.get(pk=member.pk).left_reason == "suspended"
