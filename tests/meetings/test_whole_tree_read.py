"""A root's whole tree is read without a filter on the organization (`reading._everything`):
the records of another tree in the same database (its members, posts and meetings) must not
count for this one, and that tree's own findings count them."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.audit.services import Actor
from dangjian.meetings import findings as compliance
from dangjian.meetings import services
from dangjian.members import services as member_services
from dangjian.orgs.models import Organization, OrgKind, PostKind
from dangjian.orgs.services import add_post, create_organization
from tests.conftest import TODAY, member_payload
from tests.meetings import plan

ACTOR = Actor.system("test")


@pytest.fixture(autouse=True)
def no_cache(settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    compliance.clear_cache()
    yield
    compliance.clear_cache()


def test_another_tree_counts_for_itself_only(demo):
    [root] = Organization.objects.filter(depth=1)
    before = compliance.report_json(compliance.compute(root, TODAY.year, today=TODAY))

    other = create_organization(
        ACTOR, None, name="测试另一机关党委", kind=OrgKind.ORGAN_COMMITTEE, code="T-ROOT2"
    )
    branch = create_organization(
        ACTOR, other, name="测试另一党支部", kind=OrgKind.BRANCH, code="T-ROOT2-B1"
    )
    people = [
        member_services.create_member(ACTOR, branch, member_payload(name=f"测试{i}", seed=800 + i))[
            0
        ]
        for i in range(8)
    ]
    add_post(ACTOR, branch, people[0], PostKind.SECRETARY, dt.date(2024, 1, 1))
    meeting = plan(None, branch, "committee_meeting", days=-3)
    services.record_meeting(ACTOR, meeting, attendance={})

    after = compliance.report_json(compliance.compute(root, TODAY.year, today=TODAY))
    assert after == before

    theirs = compliance.compute(other, TODAY.year, today=TODAY)
    assert {o.code for o in theirs.orgs} == {"T-ROOT2", "T-ROOT2-B1"}
    info = theirs.by_id[branch.pk]
    assert (info.members, info.full_members, info.committee_size) == (8, 8, 1)
    assert sum(theirs.meetings_by_month()[branch.pk]) == 1
