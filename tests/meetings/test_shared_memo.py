"""The verdicts a computation worked out are shared by the process's later computations of
the same year, day and rule set (`evaluation.shared_memo`): a recomputation judges only
figures it has not seen, and a write between two computations changes which verdicts are
looked up, never what a verdict says."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.audit.services import Actor
from dangjian.meetings import findings as compliance
from dangjian.meetings.findings import evaluation
from dangjian.members import services as member_services
from dangjian.orgs.models import Organization, OrgKind
from dangjian.orgs.services import create_organization
from tests.conftest import TODAY, member_payload

ACTOR = Actor.system("test")


@pytest.fixture(autouse=True)
def no_cache(settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    compliance.clear_cache()
    yield
    compliance.clear_cache()


def _fresh(root: Organization, year: int, today: dt.date) -> dict:
    """The report computed with no memo from an earlier computation."""
    evaluation.forget_memos()
    return compliance.report_json(compliance.compute(root, year, today=today))


def test_a_recomputation_shares_the_memo_and_finds_the_same(demo):
    root = Organization.objects.get(code="FGW-JGDW")
    first = compliance.compute(root, 2025, today=TODAY)
    second = compliance.compute(root, 2025, today=TODAY)
    assert second._memo is first._memo
    assert compliance.report_json(second) == compliance.report_json(first)
    # Another day or year is another memo.
    assert compliance.compute(root, 2024, today=TODAY)._memo is not first._memo
    later = TODAY + dt.timedelta(days=1)
    assert compliance.compute(root, 2025, today=later)._memo is not first._memo
    assert compliance.report_json(second) == _fresh(root, 2025, TODAY)


def test_a_write_between_computations_is_judged_afresh(demo):
    """A branch of 6 full members, judged; then a 7th confirmed in May: the next computation,
    with the memo of the first, needs a committee from May, as one with no memo does."""
    parent = Organization.objects.get(code="FGW-JGDW")
    branch = create_organization(
        ACTOR,
        parent,
        name="测试共享党支部",
        kind=OrgKind.BRANCH,
        code="T-MEMO",
        founded_on=dt.date(2020, 1, 1),
    )
    for i in range(6):
        member_services.create_member(ACTOR, branch, member_payload(name=f"测试{i}", seed=700 + i))
    before = compliance.compute(parent, 2025, today=TODAY)
    assert not [
        f
        for f in before.findings_for(branch.pk)
        if f.column == "committee" and f.status == compliance.VIOLATED
    ]
    member_services.create_member(
        ACTOR,
        branch,
        member_payload(
            name="测试七", seed=799, admitted_on="2024-03-01", confirmed_on="2025-05-10"
        ),
    )
    after = compliance.compute(parent, 2025, today=TODAY)
    assert after._memo is before._memo
    [threshold] = [
        f
        for f in after.findings_for(branch.pk)
        if f.column == "committee" and f.status == compliance.VIOLATED
    ]
    assert threshold.rule_id == "committee_threshold"
    assert threshold.facts["months"] == list(range(5, 13))
    assert compliance.report_json(after) == _fresh(parent, 2025, TODAY)
