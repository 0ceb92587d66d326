"""The other apps' columns (学习培训, 党费, any contributor's) follow the meetings' rule of
"organizations as they were" (docs/fidelity.md): a finding of the year binds an organization
only if it existed on the year's reading day (`as_was.year_kind`). So an organization dissolved
during the year has none, and its page for a year before its founding or after its dissolution
shows none; one founded during the year answers for it."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.audit.services import Actor
from dangjian.core.clock import today as local_today
from dangjian.meetings import findings as compliance
from dangjian.meetings.findings.contributors import (
    Column,
    Contributor,
    Result,
    register,
    unregister,
)
from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, OrgKind
from dangjian.orgs.services import create_organization
from dangjian.regulations.meetings import FindingStatus
from dangjian.structure.services import dissolve_organization
from tests.conftest import TODAY
from tests.dues.helpers import assessed, months_ago, settle, this_month

ACTOR = Actor.system("test")
STUDY, DUES, ANY = "study_hours", "dues_arrears", "test_everywhere"


def _everywhere(scope):
    """A contributor that reads its records by `scope.where`, as recruitment and transfers do:
    a finding for every organization read, whatever it was that year."""
    rows = Organization.objects.filter(scope.where("")).values_list("id", flat=True)
    ok = Result(ANY, ANY, FindingStatus.OK, None, "已检查", "《测试规定》第一条", {})
    return {org_id: [ok] for org_id in rows}


@pytest.fixture(autouse=True)
def contributed(settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    compliance.clear_cache()
    register(
        Contributor(
            key="test_everywhere",
            columns=lambda rules: [Column(ANY, "测试", (ANY,), "《测试规定》第一条")],
            evaluate=_everywhere,
        )
    )
    yield
    unregister("test_everywhere")
    compliance.clear_cache()


def branch(code: str, founded_on: dt.date) -> Organization:
    return create_organization(
        ACTOR,
        Organization.objects.get(code="FGW-JGDW"),
        name=f"测试{code}党支部",
        kind=OrgKind.BRANCH,
        code=code,
        founded_on=founded_on,
    )


def columns(root: Organization, org: Organization, year: int, today: dt.date = TODAY) -> set:
    """The columns of `org`'s findings in `year`, on the report of `root` (both the per-period
    findings and the cells the findings page shows)."""
    report = compliance.compute(root, year, today=today)
    if org.pk not in report.by_id:
        return set()
    found = {f.column for f in report.findings_for(org.pk)}
    assert found == set(report.cells_by_org().get(org.pk, {})) or not found
    return found


def test_a_branch_dissolved_during_the_year_has_no_year_columns(demo):
    org = branch("T-YD", dt.date(2020, 1, 1))
    dissolve_organization(ACTOR, org, dt.date(2025, 5, 1))
    parent = Organization.objects.get(code="FGW-JGDW")
    for root in (org, parent):
        found = columns(root, org, 2025)
        # The months it existed are judged; the year's columns are not.
        assert "theme_party_day" in found
        assert not found & {STUDY, DUES, ANY}
    # The year before, it existed at the end of it: every column.
    assert {STUDY, ANY} <= columns(org, org, 2024)
    # The year after: its own page shows nothing of any app.
    assert not columns(org, org, 2026) & {STUDY, DUES, ANY, "theme_party_day"}


def test_a_branch_founded_during_the_year_answers_for_it_and_not_for_the_year_before(demo):
    org = branch("T-YF", dt.date(2025, 9, 1))
    parent = Organization.objects.get(code="FGW-JGDW")
    for root in (org, parent):
        assert {STUDY, ANY} <= columns(root, org, 2025)
    assert not columns(org, org, 2024) & {STUDY, DUES, ANY}
    report = compliance.compute(parent, 2024, today=TODAY)
    assert org.pk not in report.cells_by_org()
    assert org.code not in {o["code"] for o in compliance.report_json(report)["organizations"]}


def test_a_member_in_arrears_does_not_show_on_the_page_of_a_year_before_the_branch(demo):
    """The dues column reads today's members: a member moved this month into a branch founded
    this month is in arrears on last year's last day, but the branch did not exist then."""
    member = Member.objects.current().filter(organization=demo.branch).first()
    settle(member, months_ago(30))
    assessed(demo, member, "3000", months_ago(24))  # and nothing paid since
    founded = this_month()
    org = branch("T-YDUES", founded)
    member_services.move_member(ACTOR, member, org, on=founded)
    today = local_today()
    assert DUES in columns(org, org, today.year, today)
    assert not columns(org, org, today.year - 1, today) & {DUES, STUDY, ANY}
