"""Statistics as of a past date: the members' figures come from the membership history of that
day, so joins, moves and departures recorded afterwards leave them unchanged (and today's figures
follow them); the page and the audited export take the date and refuse a bad one."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from django.urls import reverse

from dangjian.audit.services import Actor
from dangjian.desk import figures
from dangjian.members import history, services, services_lifecycle
from dangjian.members.models import LeaveReason, Member
from tests.conftest import TODAY, member_payload
from tests.desk.test_figures import held_meeting
from tests.helpers import assert_audited, last_seq

PAST = TODAY - dt.timedelta(days=30)


def _organ(demo) -> Actor:
    return Actor(user=demo.users["organ"])


def _snapshot(demo, as_of):
    stats = figures.statistics(demo.organ_committee, [as_of.year - 1, as_of.year], as_of=as_of)
    return stats.members, stats.meetings, stats.changes


def _later_changes(demo) -> None:
    """Today (after PAST): a member admitted, one transferred in, one moved to the sibling
    branch, one died, and a meeting held."""
    actor = _organ(demo)
    services.create_member(
        actor,
        demo.branch,
        member_payload(
            seed=41, status="probationary", admitted_on=TODAY.isoformat(), confirmed_on=""
        ),
    )
    services.create_member(actor, demo.branch, member_payload(seed=42), transferred_in_on=TODAY)
    movers = list(Member.objects.current().filter(organization=demo.branch).order_by("pk")[:2])
    services.move_member(actor, movers[0], demo.sibling_branch, reason="工作调动")
    services_lifecycle.end_membership(actor, movers[1], TODAY, LeaveReason.DIED)
    held_meeting(demo.branch)


def test_a_past_dates_figures_are_unchanged_by_later_joins_moves_and_departures(demo):
    before_past = _snapshot(demo, PAST)
    before_today = _snapshot(demo, TODAY)
    members = dict(before_past[0])
    assert members[demo.branch.name][0] == history.members_on(demo.branch, PAST).count() > 0

    _later_changes(demo)

    assert _snapshot(demo, PAST) == before_past
    after_today = dict(_snapshot(demo, TODAY)[0])
    today_before = dict(before_today[0])
    # branch: +admitted +transferred in −moved −died; the sibling gains the moved member
    assert after_today[demo.branch.name][0] == today_before[demo.branch.name][0]
    assert after_today[demo.branch.name][0] == history.members_on(demo.branch, TODAY).count()
    assert after_today[demo.sibling_branch.name][0] == today_before[demo.sibling_branch.name][0] + 1
    changes = dict(_snapshot(demo, TODAY)[2])[demo.branch.name]
    keys = [k for k, _ in figures.CHANGE_COLUMNS]
    assert changes[keys.index("admitted")] >= 1
    assert changes[keys.index("transferred_in")] >= 1
    assert changes[keys.index("died")] >= 1


def test_the_page_and_the_export_take_a_date_and_refuse_a_bad_one(demo, client_for):
    client = client_for(demo.users["organ"])
    url = reverse("desk:statistics")
    org = demo.organ_committee.code
    page = client.get(url, {"org": org, "on": PAST.isoformat()})
    assert page.status_code == 200
    text = page.content.decode()
    assert f'value="{PAST.isoformat()}"' in text
    assert f"on={PAST.isoformat()}" in text  # the export link keeps the date

    for bad, message in (
        ("2025-13-40", "统计日期格式不正确"),
        ((TODAY + dt.timedelta(days=1)).isoformat(), "统计日期不能晚于今天"),
    ):
        response = client.get(url, {"org": org, "on": bad})
        assert response.status_code == 400
        assert message in response.content.decode()

    _later_changes(demo)
    seq = last_seq()
    response = client.get(reverse("desk:statistics_export"), {"org": org, "on": PAST.isoformat()})
    assert response.status_code == 200
    assert PAST.strftime("%Y%m%d") in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["党员"]
    stats = figures.statistics(
        demo.organ_committee, [PAST.year - 2, PAST.year - 1, PAST.year], as_of=PAST
    )
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        [name, *counts] for name, counts in stats.members
    ]
    assert_audited(seq, "export", demo.organ_committee)


def test_mobile_members_are_counted_as_of_the_day_without_names(demo, client_for):
    """流动党员 in the statistics: the records open on the day, with those at a fixed place for
    six months or more (who should transfer their relationship) counted apart."""
    from dangjian.transfers.mobile import end_mobile, record_mobile

    secretary = Actor(user=demo.users["secretary"])
    a, b = Member.objects.filter(organization=demo.branch, left_on__isnull=True)[:2]
    record_mobile(secretary, a, place="深圳某公司", since=dt.date(2026, 1, 5), fixed_place=True)
    away = record_mobile(secretary, b, place="援疆", since=PAST + dt.timedelta(days=5))
    root = demo.organ_committee
    assert figures.statistics(root, [2026]).mobile == (2, 1)
    assert figures.statistics(root, [2026], as_of=PAST).mobile == (1, 1)
    assert figures.statistics(root, [2026], as_of=dt.date(2026, 7, 4)).mobile == (1, 0)
    end_mobile(secretary, away, TODAY)
    assert figures.statistics(root, [2026]).mobile == (1, 1)
    page = (
        client_for(demo.users["organ"])
        .get(reverse("desk:statistics"), {"org": root.code})
        .content.decode()
    )
    assert "外出流动党员 1 人" in page and a.name not in page
