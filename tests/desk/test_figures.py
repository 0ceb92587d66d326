"""The dashboard and the statistics: figures equal the records and follow them when a record
changes; the export reopens with the same figures and is audited."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from django.urls import reverse

from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.desk import figures
from dangjian.meetings import services as meeting_services
from dangjian.meetings.models import Meeting, MeetingStatus
from dangjian.members.models import Member
from dangjian.regulations.periods import TZ
from tests.helpers import assert_audited, last_seq


def held_meeting(org, kind: str = "general_meeting"):
    """A meeting of `org` held yesterday, everyone present."""
    actor = Actor.system("test")
    day = clock.today() - dt.timedelta(days=1)
    meeting = meeting_services.plan_meeting(
        actor,
        org,
        {
            "kind": kind,
            "starts_at": dt.datetime.combine(day, dt.time(14, 30), tzinfo=TZ),
            "topic": "学习全会精神专题会",
        },
    )
    meeting_services.record_meeting(actor, meeting, attendance={})
    return meeting


def _row(board, code):
    return next(r for r in board.rows if r.code == code)


def test_dashboard_figures_equal_the_records_and_follow_them(demo):
    dept = demo.organ_committee
    year = clock.today().year
    board = figures.dashboard(dept, year)
    branch = _row(board, demo.branch.code)
    held = Meeting.objects.filter(
        organization__path__startswith=demo.branch.path,
        status=MeetingStatus.HELD,
        held_on__year=year,
    ).count()
    assert branch.meetings == held
    assert (
        branch.members
        == Member.objects.filter(organization__path__startswith=demo.branch.path).count()
    )
    assert (
        sum(board.by_month)
        == Meeting.objects.filter(
            organization__path__startswith=dept.path, status=MeetingStatus.HELD, held_on__year=year
        ).count()
    )

    held_meeting(demo.branch)

    after = figures.dashboard(dept, year)
    assert _row(after, demo.branch.code).meetings == held + 1
    assert (
        _row(after, demo.sibling_branch.code).meetings
        == _row(board, demo.sibling_branch.code).meetings
    )


def _held_by_month(org, year) -> list[int]:
    days = Meeting.objects.filter(
        organization__path__startswith=org.path, status=MeetingStatus.HELD, held_on__year=year
    ).values_list("held_on", flat=True)
    months = [0] * 12
    for day in days:
        months[day.month - 1] += 1
    return months


def test_meetings_by_month_equal_the_records_through_the_findings_cache(demo, settings):
    """The months come from the findings report's cache (kept up to date after a write); the
    count without a report (rule pack unreadable) gives the same figures."""
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 600
    dept = demo.organ_committee
    year = clock.today().year
    board = figures.dashboard(dept, year)
    assert board.by_month == _held_by_month(dept, year)
    assert sum(board.by_month) > 0

    meeting = held_meeting(demo.branch)
    meeting.refresh_from_db()

    after = figures.dashboard(dept, year)
    assert after.by_month == _held_by_month(dept, year)
    month = meeting.held_on.month - 1
    assert after.by_month[month] == board.by_month[month] + 1
    assert sum(after.by_month) == sum(board.by_month) + 1

    rows = figures._rows(dept)
    by_month = [0] * 12
    figures._count_meetings(dept, year, figures._folder(dept, rows), by_month)
    assert by_month == after.by_month
    assert {r.code: r.meetings for r in rows} == {r.code: r.meetings for r in after.rows} | {
        r.code: 0 for r in rows if r.code not in {a.code for a in after.rows}
    }


def test_the_dashboard_names_organizations_never_people(demo, client_for):
    html = client_for(demo.users["organ"]).get(reverse("desk:dashboard")).content.decode()
    html = html.split("<main", 1)[1]  # the navigation names the user themself
    assert "vendor/echarts/echarts.min.js" in html
    assert 'id="dashboard-table"' in html
    for member in Member.objects.filter(organization=demo.branch)[:20]:
        assert member.name not in html


def test_a_branch_secretary_cannot_pick_an_organization_outside_their_branch(demo, client_for):
    client = client_for(demo.users["secretary"])
    url = reverse("desk:dashboard")
    assert client.get(url, {"org": demo.sibling_branch.code}).status_code == 404
    assert client.get(url, {"org": demo.branch.code}).status_code == 200


def test_statistics_count_members_and_meetings_by_kind_and_year(demo):
    dept = demo.organ_committee
    year = clock.today().year
    stats = figures.statistics(dept, [year - 1, year])
    members = dict(stats.members)
    branch_name = demo.branch.name
    total = Member.objects.filter(organization__path__startswith=demo.branch.path).count()
    assert members[branch_name][0] == total
    # full + probationary and male + female each add up to the total
    assert members[branch_name][1] + members[branch_name][2] == total
    assert members[branch_name][3] + members[branch_name][4] == total
    before = {(n, y): c for n, y, c in stats.meetings}.get((branch_name, year), [0])[0]
    held_meeting(demo.branch, "committee_meeting")
    stats = figures.statistics(dept, [year - 1, year])
    assert {(n, y): c for n, y, c in stats.meetings}[(branch_name, year)][0] == before + 1


def test_a_branchs_statistics_count_its_own_and_its_groups_meetings(demo):
    # A branch's meetings are counted by its and its groups' ids (the index SQLite needs for a
    # branch of a large tree); the figures must equal those of the path prefix.
    year = clock.today().year
    held = Meeting.objects.filter(
        status=MeetingStatus.HELD,
        held_on__range=(dt.date(year, 1, 1), clock.today()),
        organization__path__startswith=demo.branch.path,
    )
    assert held.exclude(organization=demo.branch).exists()  # the groups' own meetings
    stats = figures.statistics(demo.branch, [year])
    assert sum(c[0] for _, y, c in stats.meetings if y == year) == held.count()
    group = held.exclude(organization=demo.branch).first().organization
    before = {n: c for n, y, c in stats.meetings if y == year}[group.name][0]
    held_meeting(group, "group_meeting")
    stats = figures.statistics(demo.branch, [year])
    assert {n: c for n, y, c in stats.meetings if y == year}[group.name][0] == before + 1


def test_the_statistics_export_reopens_with_the_page_figures_and_is_audited(demo, client_for):
    user = demo.users["organ"]
    client = client_for(user)
    seq = last_seq()
    response = client.get(reverse("desk:statistics_export"), {"org": demo.organ_committee.code})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["党员", "组织生活", "本年变动", "组织", "流动党员"]
    sheet = book["党员"]
    assert [c.value for c in sheet[1]][:2] == ["组织", "党员总数"]
    stats = figures.statistics(
        demo.organ_committee, [clock.today().year - 2, clock.today().year - 1, clock.today().year]
    )
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        [name, *counts] for name, counts in stats.members
    ]
    assert [row[1].value for row in book["流动党员"].iter_rows(min_row=2)] == list(stats.mobile)
    assert_audited(seq, "export", demo.organ_committee)


def test_the_desk_and_the_dashboard_take_the_same_queries_whatever_the_records(demo):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.accounts.models import User
    from dangjian.desk.queries import desk_for

    def counted(work) -> int:
        work()  # warm: rule packs, the findings cache
        with CaptureQueriesContext(connection) as queries:
            work()
        return len(queries)

    year = clock.today().year
    user_pk = demo.users["organ"].pk

    def desk():
        return desk_for(User.objects.get(pk=user_pk))

    def board():
        return figures.dashboard(demo.organ_committee, year)

    before = (counted(desk), counted(board))
    for org in (demo.branch, demo.sibling_branch, demo.branch):
        held_meeting(org)
    assert (counted(desk), counted(board)) == before


def test_the_member_structure_adds_up_to_the_roster_in_every_dimension(demo):
    total = Member.objects.filter(organization__path__startswith=demo.organ_committee.path).count()
    parts = figures.structure(demo.organ_committee, clock.today())
    assert [title for title, _ in parts] == ["性别", "民族", "学历", "年龄", "党龄", "人员类别"]
    for title, counts in parts:
        assert sum(n for _, n in counts) == total, title


def test_the_years_changes_come_from_the_membership_history(demo):
    from dangjian.members.models import MembershipSpell

    year = clock.today().year
    stats = figures.statistics(demo.organ_committee, [year])
    shown = sum(sum(counts) for _, counts in stats.changes)
    keys = [k for k, _ in figures.CHANGE_COLUMNS]
    spells = MembershipSpell.objects.filter(
        organization__path__startswith=demo.organ_committee.path
    )
    expected = (
        spells.filter(started_on__year=year, start_reason__in=figures.CHANGE_STARTS).count()
        + spells.filter(ended_on__year=year, end_reason__in=figures.CHANGE_ENDS).count()
    )
    assert shown == expected > 0
    assert len(keys) == 10


def test_the_findings_heat_map_counts_each_organization_by_rule_and_names_nobody(demo, client_for):
    """Organizations × finding columns: each cell equals the report's red and amber findings of
    that row's subtree in that column; the table on the page shows them; no member's name."""
    from dangjian.meetings import findings as compliance

    year = clock.today().year
    board = figures.dashboard(demo.organ_committee, year)
    assert board.heat_columns, "the demo has findings this year"
    report = compliance.compute(demo.organ_committee, year, today=clock.today())
    labels = dict(board.heat_columns)
    for row, counts in board.heat_rows():
        for (key, _), (violated, at_risk) in zip(board.heat_columns, counts, strict=True):
            expected = [0, 0]
            for info in report.orgs:
                if info.path.startswith(row.path) and (
                    row.org_id != demo.organ_committee.pk or info.path == row.path
                ):
                    cell = report.cell(info.id, key)
                    if cell is not None:
                        expected[0] += cell.tally[0]
                        expected[1] += cell.tally[1]
            assert (violated, at_risk) == tuple(expected), (row.name, labels[key])
        assert sum(v for v, _ in counts) == row.violated
        assert sum(a for _, a in counts) == row.at_risk

    page = client_for(demo.users["organ"]).get(
        reverse("desk:dashboard"), {"org": demo.organ_committee.code, "year": year}
    )
    text = page.content.decode()
    assert 'id="heat-table"' in text
    counts = next(c for r, c in board.heat_rows() if r.code == demo.branch.code)
    row = text.split('id="heat-table"', 1)[1].split(f'<tr data-org="{demo.branch.code}">', 1)[1]
    row = row.split("</tr>", 1)[0]
    cells = [f'data-violated="{v}" data-at-risk="{a}"' for v, a in counts]
    assert [c for c in cells if c in row] == cells and row.count("heat-cell") == len(cells)
    main = text.split("<main", 1)[1]  # the navigation names the user themself
    for member in Member.objects.filter(organization__path__startswith=demo.branch.path):
        assert member.name not in main
