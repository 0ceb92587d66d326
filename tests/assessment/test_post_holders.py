"""述职评议 of branch secretaries: a scheme whose targets are the holders of a post, each seen by
that person and the assessing organization only, graded and never ranked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.assessment import services, services_results
from dangjian.assessment.models import Scheme
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.orgs.models import Organization, OrgKind, Post, PostKind
from tests.assessment.helpers import GRADES, organ

pytestmark = pytest.mark.django_db


def _secretaries_scheme(demo) -> Scheme:
    scheme = services.create_scheme(
        organ(demo),
        demo.organ_committee,
        year=2026,
        title="党支部书记抓党建述职评议",
        target_kind="branch",
        target_post="secretary",
        party_weight=100,
        business_weight=0,
        grades=GRADES,
    )
    services.add_indicator(
        organ(demo), scheme, title="述职评议", part="party", weight=100, source_kind="votes"
    )
    return scheme


def test_the_targets_are_todays_secretaries_of_the_branches(demo):
    scheme = _secretaries_scheme(demo)
    holders = dict(
        Post.objects.filter(
            organization__path__startswith=demo.organ_committee.path,
            organization__kind=OrgKind.BRANCH,
            kind=PostKind.SECRETARY,
            ended_on__isnull=True,
        ).values_list("organization_id", "member_id")
    )
    assert holders and dict(scheme.targets.values_list("organization_id", "member_id")) == holders
    mine = scheme.targets.get(organization=demo.branch)
    assert mine.member_id == demo.users["secretary"].member_id
    assert mine.label == f"{demo.branch.name}书记{demo.users['secretary'].member.name}"
    assert scheme.targets_label == "党支部书记"
    with pytest.raises(ServiceValidationError) as err:
        services.create_scheme(
            organ(demo), demo.organ_committee, year=2026, title="委员评议", target_kind="branch",
            target_post="committee_member", party_weight=100, business_weight=0, grades=GRADES,
        )  # fmt: skip
    assert "只能选择书记" in err.value.errors["target_post"]


def test_only_the_person_and_the_assessing_organization_see_a_secretarys_target(demo, client_for):
    scheme = _secretaries_scheme(demo)
    services.publish(organ(demo), scheme)
    mine = scheme.targets.get(organization=demo.branch)
    url = f"/assessment/targets/{mine.pk}/"
    assert client_for(demo.users["secretary"]).get(url).status_code == 200
    assert client_for(demo.users["organ"]).get(url).status_code == 200
    # A member of the same branch reads the branch, not its secretary's assessment.
    assert client_for(demo.users["member"]).get(url).status_code == 404
    # Another branch's secretary's target is not the secretary's either.
    other = scheme.targets.exclude(organization=demo.branch).first()
    assert (
        client_for(demo.users["secretary"]).get(f"/assessment/targets/{other.pk}/").status_code
        == 404
    )


def test_people_are_graded_never_ranked(demo, client_for):
    scheme = _secretaries_scheme(demo)
    ranking = client_for(demo.users["organ"]).get(f"/assessment/{scheme.pk}/ranking/")
    assert ranking.status_code == 403
    detail = client_for(demo.users["organ"]).get(f"/assessment/{scheme.pk}/").content.decode()
    assert "按得分排序" not in detail


def test_the_secretary_is_told_in_person_and_appeals_in_person(demo):
    from dangjian.notices.models import Notice

    scheme = _secretaries_scheme(demo)
    services.publish(organ(demo), scheme)
    mine = scheme.targets.get(organization=demo.branch)
    told = Notice.objects.filter(kind="assess_pub", subject_id=mine.pk)
    assert list(told.values_list("recipient__username", flat=True)) == ["secretary"]
    services.freeze(organ(demo), scheme)
    services_results.publish_results(organ(demo), scheme)
    with pytest.raises(PermissionDenied):
        services_results.file_appeal(Actor(user=demo.users["member"]), mine, reason="代为申诉")
    appeal = services_results.file_appeal(
        Actor(user=demo.users["secretary"]), mine, reason="计票有误"
    )
    assert appeal.target_id == mine.pk
    # The dossier names the post, not the person.
    from dangjian.assessment.dossier import assessment_tables

    (table,) = assessment_tables(demo.branch, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert [row[3] for row in table.rows] == [f"{demo.branch.name}书记"]
    assert Organization.objects.filter(pk=demo.branch.pk).exists()
