"""The committee rules of a period judged with the members and posts of each month's last day
(issue 12): a branch that grew past 7 full members, a 委员 who left the committee, a second
副书记 for a while, a 党组 that filled its seats; each gets the findings its months give, the
same whenever the year is computed."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.audit.services import Actor
from dangjian.meetings import findings as compliance
from dangjian.meetings.findings.committee_rules import month_label
from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, OrgKind, Post, PostKind
from dangjian.orgs.services import add_post, create_organization, end_post
from tests.conftest import TODAY, member_payload

ACTOR = Actor.system("test")
LATER = (dt.date(2026, 1, 5), TODAY, dt.date(2029, 6, 30))


@pytest.fixture(autouse=True)
def no_cache(settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    compliance.clear_cache()
    yield
    compliance.clear_cache()


def branch_with(code: str, full: int, seed: int = 500) -> tuple[Organization, list[Member]]:
    parent = Organization.objects.get(code="FGW-JGDW")
    branch = create_organization(
        ACTOR,
        parent,
        name=f"测试{code}党支部",
        kind=OrgKind.BRANCH,
        code=code,
        founded_on=dt.date(2020, 1, 1),
    )
    people = [
        member_services.create_member(
            ACTOR, branch, member_payload(name=f"测试{i}", seed=seed + i)
        )[0]
        for i in range(full)
    ]
    return branch, people


def committee_findings(org: Organization, year: int = 2025, today: dt.date = TODAY) -> dict:
    report = compliance.compute(org, year, today=today)
    return {
        f.rule_id: f
        for f in report.findings_for(org.pk)
        if f.column == "committee" and f.status == compliance.VIOLATED
    }


def same_whenever(org: Organization, year: int = 2025) -> None:
    reports = [compliance.report_json(compliance.compute(org, year, today=day)) for day in LATER]
    assert reports[0] == reports[1] == reports[2]


@pytest.mark.parametrize(
    ("months", "label"),
    [
        ([5], "5月"),
        ([1, 2, 3], "1月至3月"),
        ([1, 2, 5, 11, 12], "1月至2月、5月、11月至12月"),
    ],
)
def testmonth_label(months, label):
    assert month_label(months) == label


@pytest.mark.parametrize(
    ("confirmed_on", "months"),
    [
        ("2025-05-31", list(range(5, 13))),  # on May's last day: May counts
        ("2025-06-01", list(range(6, 13))),  # the day after: from June
        ("2025-12-31", [12]),  # the year's last day
    ],
)
def test_growing_past_seven_needs_a_committee_from_that_month(demo, confirmed_on, months):
    branch, _ = branch_with(f"T-G{confirmed_on[5:7]}{confirmed_on[-2:]}", 6)
    member_services.create_member(
        ACTOR,
        branch,
        member_payload(
            name="测试七", seed=599, admitted_on="2024-03-01", confirmed_on=confirmed_on
        ),
    )
    found = committee_findings(branch)
    threshold = found["committee_threshold"]
    assert threshold.facts["months"] == months
    assert threshold.severity == "error"
    if len(months) == 12 or months == list(range(months[0], 13)) and len(months) > 1:
        assert threshold.message.startswith(f"2025年{months[0]}月至12月各月末：")
    else:
        assert threshold.message.startswith("2025年12月末：")
    same_whenever(branch)


def test_the_year_before_growing_is_judged_without_a_committee(demo):
    """6 full members all 2025, the 7th confirmed in January 2026: 2025 needs no committee."""
    branch, _ = branch_with("T-JAN", 6)
    member_services.create_member(
        ACTOR,
        branch,
        member_payload(
            name="测试七", seed=598, admitted_on="2024-12-01", confirmed_on="2026-01-10"
        ),
    )
    assert committee_findings(branch, 2025) == {}
    # 7 on every month-end of 2026: the plain finding, no months to name.
    threshold = committee_findings(branch, 2026)["committee_threshold"]
    assert "months" not in threshold.facts
    assert threshold.message.startswith("正式党员7人以上的党支部应当设立支部委员会")


def _committee(branch: Organization, people: list[Member], on: dt.date) -> list[Post]:
    kinds = [PostKind.SECRETARY, PostKind.ORGANIZATION_OFFICER, PostKind.PUBLICITY_OFFICER]
    return [add_post(ACTOR, branch, p, k, on) for p, k in zip(people, kinds, strict=False)]


def test_a_member_leaving_the_committee_mid_year(demo):
    """7 full members; a committee of 3 until the 宣传委员's post ends on 15 July: two seats
    are no committee from July (read on 31 July) on."""
    branch, people = branch_with("T-SEAT", 7)
    posts = _committee(branch, people, dt.date(2024, 1, 1))
    end_post(ACTOR, posts[2], dt.date(2025, 7, 15))
    found = committee_findings(branch)
    assert set(found) == {"committee_threshold"}
    assert found["committee_threshold"].facts["months"] == list(range(7, 13))
    assert "支部委员2人" in found["committee_threshold"].message
    same_whenever(branch)


@pytest.mark.parametrize(
    ("ended_on", "months"),
    [
        (dt.date(2025, 3, 30), [2]),  # seated on 28 Feb, gone before 31 March
        (dt.date(2025, 3, 31), [2, 3]),  # seated on the month's last day: March counts
        (dt.date(2025, 4, 1), [2, 3]),
    ],
)
def test_a_second_deputy_for_a_while(demo, ended_on, months):
    branch, people = branch_with(f"T-DEP{ended_on.day}", 8, seed=520)
    _committee(branch, people, dt.date(2024, 1, 1))
    add_post(ACTOR, branch, people[3], PostKind.DEPUTY_SECRETARY, dt.date(2024, 1, 1))
    second = add_post(ACTOR, branch, people[4], PostKind.DEPUTY_SECRETARY, dt.date(2025, 2, 10))
    end_post(ACTOR, second, ended_on)
    found = committee_findings(branch)
    assert set(found) == {"committee_deputies"}
    assert found["committee_deputies"].facts["months"] == months
    same_whenever(branch)


def test_falling_below_seven_with_a_committee_left_seated(demo):
    """A committee of 3 is right with 7 full members; after one moves away on 10 September,
    the third seat breaks 第二十条's "设1名书记，必要时可以设1名副书记" from September."""
    branch, people = branch_with("T-FALL", 7, seed=540)
    _committee(branch, people, dt.date(2024, 1, 1))
    sibling = Organization.objects.get(code="FGW-B02")
    member_services.move_member(
        ACTOR, people[6], sibling, None, reason="调动", on=dt.date(2025, 9, 10)
    )
    found = committee_findings(branch)
    assert set(found) == {"no_committee"}
    assert found["no_committee"].facts["months"] == [9, 10, 11, 12]
    assert found["no_committee"].message.startswith("2025年9月至12月各月末：")
    same_whenever(branch)


def test_steady_figures_keep_the_plain_message(demo):
    branch, people = branch_with("T-STEADY", 7, seed=560)
    _committee(branch, people, dt.date(2024, 1, 1))
    report = compliance.compute(branch, 2025, today=TODAY)
    [ok] = [f for f in report.findings_for(branch.pk) if f.column == "committee"]
    assert ok.status == compliance.OK
    assert ok.message == "正式党员7人，支部委员3人，班子设置符合规定"


def test_a_leading_group_that_filled_its_seats_in_april(demo):
    """党组成员一般设3至7人: 2 seats until 1 April, 3 from then: January to March only."""
    group = Organization.objects.filter(kind=OrgKind.LEADING_GROUP).first()
    assert group is not None
    Post.objects.filter(organization=group).delete()
    people = list(Member.objects.order_by("pk")[:3])
    add_post(ACTOR, group, people[0], PostKind.SECRETARY, dt.date(2024, 1, 1))
    add_post(ACTOR, group, people[1], PostKind.COMMITTEE_MEMBER, dt.date(2024, 1, 1))
    add_post(ACTOR, group, people[2], PostKind.COMMITTEE_MEMBER, dt.date(2025, 4, 1))
    found = committee_findings(group)
    assert found["dangzu_size"].facts["months"] == [1, 2, 3]
    assert found["dangzu_size"].severity == "warning"
    same_whenever(group)
