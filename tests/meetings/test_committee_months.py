"""Month-by-month applicability (issue 12): a branch crossing 7 full members mid-year needs the
monthly 支委会 only for the months it had 7 (read on each month's last day, from the membership
history); a past year's findings are the same whenever they are computed."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.audit.services import Actor
from dangjian.meetings import findings as compliance
from dangjian.meetings.findings.reading import month_ends
from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, OrgKind
from dangjian.orgs.services import create_organization
from tests.conftest import TODAY, member_payload

ACTOR = Actor.system("test")
RULE = "committee_meeting_freq"


@pytest.fixture(autouse=True)
def no_cache(settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    compliance.clear_cache()
    yield
    compliance.clear_cache()


def branch_of_six(code: str) -> Organization:
    parent = Organization.objects.get(code="FGW-JGDW")
    branch = create_organization(
        ACTOR,
        parent,
        name=f"测试{code}党支部",
        kind=OrgKind.BRANCH,
        code=code,
        founded_on=dt.date(2020, 1, 1),
    )
    for i in range(6):
        member_services.create_member(ACTOR, branch, member_payload(name=f"测试{i}", seed=300 + i))
    return branch


def seventh(branch: Organization, confirmed_on: str, admitted_on: str = "2024-03-01") -> Member:
    member, _ = member_services.create_member(
        ACTOR,
        branch,
        member_payload(name="测试七", seed=399, admitted_on=admitted_on, confirmed_on=confirmed_on),
    )
    return member


def committee_periods(branch: Organization, year: int, today: dt.date) -> list[str]:
    report = compliance.compute(branch, year, today=today)
    return [f.period_key for f in report.findings_for(branch.pk) if f.rule_id == RULE]


@pytest.mark.parametrize(
    ("confirmed_on", "first_month"),
    [
        ("2025-05-30", 5),  # confirmed before May's last day: May counts
        ("2025-05-31", 5),  # on the last day itself
        ("2025-06-01", 6),  # the day after: June is the first month
    ],
)
def test_a_branch_reaching_seven_mid_year_needs_the_committee_from_that_month(
    demo, confirmed_on, first_month
):
    branch = branch_of_six(f"T-M{first_month}{confirmed_on[-2:]}")
    seventh(branch, confirmed_on)
    periods = committee_periods(branch, 2025, TODAY)
    assert periods == [f"2025-{m:02d}" for m in range(first_month, 13)]


def test_a_branch_falling_below_seven_mid_year_needs_it_until_then(demo):
    branch = branch_of_six("T-DOWN")
    member = seventh(branch, "2024-03-05", admitted_on="2023-03-01")
    member_services.move_member(
        ACTOR, member, demo.sibling_branch, reason="调动", on=dt.date(2025, 9, 10)
    )
    # 7 full members on the last day of January … August; 6 from September on.
    periods = committee_periods(branch, 2025, TODAY)
    assert periods == [f"2025-{m:02d}" for m in range(1, 9)]
    # The committee rules read the same month-ends: 7 full members and no committee from
    # January to August is a missing committee for those months, not "no committee needed".
    found = {
        f.rule_id: f for f in compliance.compute(branch, 2025, today=TODAY).findings_for(branch.pk)
    }
    assert "no_committee" not in found
    assert found["committee_threshold"].facts["months"] == list(range(1, 9))
    assert found["committee_threshold"].message.startswith("2025年1月至8月各月末：")


def test_a_past_year_gives_the_same_findings_computed_now_as_then(demo):
    branch = branch_of_six("T-SAME")
    seventh(branch, "2025-07-15")
    then = compliance.report_json(compliance.compute(branch, 2025, today=dt.date(2026, 1, 5)))
    now = compliance.report_json(compliance.compute(branch, 2025, today=TODAY))
    later = compliance.report_json(compliance.compute(branch, 2025, today=dt.date(2028, 3, 1)))
    assert then == now == later


def test_the_current_year_reads_the_months_ahead_on_today(demo):
    assert month_ends(2026, TODAY)[10:] == [TODAY, TODAY]
    assert month_ends(2025, TODAY)[1] == dt.date(2025, 2, 28)
    branch = branch_of_six("T-NOW")
    seventh(branch, "2026-03-15")
    periods = committee_periods(branch, 2026, TODAY)
    assert periods == [f"2026-{m:02d}" for m in range(3, 13)]
