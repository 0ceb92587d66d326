"""Statistics of organizations as of a day: by kind, and of them those with a committee set up,
from the organizations' history (founding, change of kind, dissolution) and the posts' dates; the
page and the reopened .xlsx show the past figures."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from django.urls import reverse

from dangjian.audit.services import Actor
from dangjian.desk import figures
from dangjian.orgs import history
from dangjian.orgs.models import Organization, OrgKind, PostKind
from dangjian.orgs.services import add_post, create_organization
from dangjian.structure.services import change_kind, dissolve_organization
from tests.conftest import TODAY

D = dt.date
ONE = dt.timedelta(days=1)
FOUNDED, CHANGED, DISSOLVED = D(2025, 3, 1), D(2025, 9, 1), D(2026, 2, 1)


def _org_kinds(root, day) -> dict[str, tuple[int, int | None]]:
    stats = figures.statistics(root, [day.year], as_of=day)
    return {label: (n, committees) for label, n, committees in stats.org_kinds}


def _sheet(client, root, day) -> dict[str, tuple]:
    response = client.get(reverse("desk:statistics_export"), {"org": root.code, "on": day})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["组织"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["组织类别", "数量", "其中设立委员会"]
    return {label: (n, committees) for label, n, committees in rows[1:]}


def _history(demo) -> tuple[Organization, Organization]:
    """Under the organ committee: a branch founded on FOUNDED that becomes a general branch on
    CHANGED, and a discipline-free branch founded on FOUNDED and dissolved on DISSOLVED."""
    actor = Actor(user=demo.users["organ"])
    root = demo.organ_committee
    growing = create_organization(
        actor, root, name="扩建党支部", kind=OrgKind.BRANCH, code="T-S1", founded_on=FOUNDED
    )
    closing = create_organization(
        actor, root, name="撤销党支部", kind=OrgKind.BRANCH, code="T-S2", founded_on=FOUNDED
    )
    change_kind(actor, growing, OrgKind.GENERAL_BRANCH, CHANGED)
    dissolve_organization(actor, closing, DISSOLVED)
    return growing, closing


def test_past_days_count_the_organizations_of_that_day(demo):
    root = demo.organ_committee
    branch, general = OrgKind.BRANCH.label, OrgKind.GENERAL_BRANCH.label
    days = [FOUNDED - ONE, FOUNDED, CHANGED - ONE, CHANGED, DISSOLVED - ONE, DISSOLVED, TODAY]
    before = {day: _org_kinds(root, day) for day in days}
    _history(demo)
    after = {day: _org_kinds(root, day) for day in days}

    def delta(day, label):
        return after[day][label][0] - before[day][label][0]

    # founded after the day: not counted
    assert after[FOUNDED - ONE] == before[FOUNDED - ONE]
    # both branches from their founding day; the growing one a branch up to the day before the
    # change, a general branch from it; the closing one up to the day before its dissolution
    assert (delta(FOUNDED, branch), delta(FOUNDED, general)) == (2, 0)
    assert (delta(CHANGED - ONE, branch), delta(CHANGED - ONE, general)) == (2, 0)
    assert (delta(CHANGED, branch), delta(CHANGED, general)) == (1, 1)
    assert (delta(DISSOLVED - ONE, branch), delta(DISSOLVED - ONE, general)) == (1, 1)
    assert (delta(DISSOLVED, branch), delta(DISSOLVED, general)) == (0, 1)
    assert (delta(TODAY, branch), delta(TODAY, general)) == (0, 1)


def test_today_the_statistics_count_the_tree(demo):
    root = demo.org["GW"]
    tree = Organization.objects.filter(path__startswith=root.path)
    expected = {
        OrgKind(kind).label: tree.filter(kind=kind).count()
        for kind in OrgKind.values
        if tree.filter(kind=kind).exists()
    }
    assert {label: n for label, (n, _) in _org_kinds(root, TODAY).items()} == expected


def test_a_committee_counts_on_the_days_its_seats_are_held(demo):
    """The demo branch's committee as of a day: set up when three or more members held seats."""
    branch = demo.branch
    seats_today = history.committee_sizes_on(branch, TODAY).get(branch.pk, 0)
    label = OrgKind.BRANCH.label
    with_today = _org_kinds(branch, TODAY)[label][1]
    assert with_today == (1 if seats_today >= 3 else 0)
    # Three new seats from a day in the past: counted from that day, not the day before.
    actor = Actor(user=demo.users["organ"])
    start = D(2010, 5, 1)
    assert history.committee_sizes_on(branch, start).get(branch.pk, 0) == 0
    people = list(branch.members.filter(left_on__isnull=True).order_by("pk")[:3])
    for person, kind in zip(
        people,
        (PostKind.COMMITTEE_MEMBER, PostKind.ORGANIZATION_OFFICER, PostKind.PUBLICITY_OFFICER),
        strict=True,
    ):
        post = add_post(actor, branch, person, kind, start)
        post.ended_on = D(2011, 4, 30)
        post.save()
    assert _org_kinds(branch, start - ONE)[label] == (1, 0)
    assert _org_kinds(branch, start)[label] == (1, 1)
    assert _org_kinds(branch, D(2011, 4, 30))[label] == (1, 1)
    assert _org_kinds(branch, D(2011, 5, 1))[label] == (1, 0)
    # Kinds not led by a committee show none.
    assert _org_kinds(demo.org["GW"], TODAY)[OrgKind.PARTY_GROUP.label][1] is None


def test_the_page_and_the_reopened_xlsx_show_the_past_counts(demo, client_for):
    root = demo.organ_committee
    client = client_for(demo.users["organ"])
    _history(demo)
    branch, general = OrgKind.BRANCH.label, OrgKind.GENERAL_BRANCH.label
    for day in (FOUNDED - ONE, CHANGED - ONE, CHANGED, DISSOLVED, TODAY):
        expected = _org_kinds(root, day)
        assert _sheet(client, root, day.isoformat()) == expected
        page = client.get(reverse("desk:statistics"), {"org": root.code, "on": day.isoformat()})
        table = page.content.decode().split('id="orgs-table"')[1].split("</table>")[0]
        assert f'<td>{branch}</td><td class="text-end">{expected[branch][0]}</td>' in table
    # The sheet's past figures differ from today's where the history says so.
    past, now = _sheet(client, root, (CHANGED - ONE).isoformat()), _sheet(client, root, TODAY)
    assert past[branch][0] == now[branch][0] + 2
    assert past.get(general, (0, 0))[0] == now[general][0] - 1
    assert "按当前组织设置统计" not in page.content.decode()
