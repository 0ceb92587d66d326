"""Trainings sent down for nominations (推荐参训): a work item per branch of the planner's
subtree, answered by naming people on the training's page, which submits the branch's item."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.duties.models import WorkItem, WorkStatus
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, OrgKind
from dangjian.study import services_nominations as nominations
from dangjian.study import services_training as svc
from dangjian.study.models import Participant, Training
from tests.helpers import last_seq
from tests.study.test_training import data, organ

pytestmark = pytest.mark.django_db


def _planned(demo, **over) -> Training:
    fields = data(
        kind="concentrated",
        title="支部组织委员培训班",
        starts_on="2026-12-14",
        ends_on="2026-12-16",
        nomination_quota="2",
        nominations_due="2026-12-04",
        **over,
    )
    return svc.plan_training(organ(demo), demo.organ_committee, fields)


def _branch_items(training: Training):
    return WorkItem.objects.filter(root_id=training.nomination_item_id).exclude(
        pk=training.nomination_item_id
    )


def test_a_quota_sends_every_branch_of_the_subtree_a_work_item(demo):
    training = _planned(demo)
    branches = set(
        Organization.objects.filter(
            path__startswith=demo.organ_committee.path, kind=OrgKind.BRANCH
        ).values_list("pk", flat=True)
    )
    items = _branch_items(training)
    assert set(items.values_list("organization_id", flat=True)) == branches
    assert {i.deadline for i in items} == {dt.date(2026, 12, 4)}
    item = items.get(organization=demo.branch)
    assert item.status == WorkStatus.OPEN and "每个支部不超过2人" in item.description
    assert f"/study/trainings/{training.pk}/" in item.description
    assert not training.participants.exists()  # nobody by post or name: the branches nominate
    # Another department's branches are not asked.
    assert not items.filter(organization=demo.other_branch).exists()


def test_a_branch_nominates_within_its_quota_and_its_item_goes_for_acceptance(demo):
    training = _planned(demo)
    secretary = Actor(user=demo.users["secretary"])
    a, b, c = Member.objects.filter(organization=demo.branch).order_by("pk")[:3]
    seq = last_seq()
    assert nominations.nominate(secretary, training, demo.branch, [a.pk, b.pk]) == 2
    assert set(training.participants.values_list("member_id", flat=True)) == {a.pk, b.pk}
    item = _branch_items(training).get(organization=demo.branch)
    assert item.status == WorkStatus.SUBMITTED
    from dangjian.audit.models import AuditEvent

    events = AuditEvent.objects.filter(seq__gt=seq)
    assert {e.object_type for e in events} == {"study.participant", "duties.workitem"}
    # Counts, never names, in the work item's trail.
    assert a.name not in " ".join(e.message + str(e.changes) for e in events)
    # The quota holds, and a refusal writes nothing.
    with pytest.raises(ServiceValidationError, match="最多还可推荐0人"):
        nominations.nominate(secretary, training, demo.branch, [c.pk])
    assert training.participants.count() == 2


def test_refusals_leave_nothing(demo):
    training = _planned(demo)
    secretary = Actor(user=demo.users["secretary"])
    own = Member.objects.filter(organization=demo.branch).first()
    sibling = Member.objects.filter(organization=demo.sibling_branch).first()
    with pytest.raises(ServiceValidationError, match="本支部党员"):
        nominations.nominate(secretary, training, demo.branch, [own.pk, sibling.pk])
    with pytest.raises(PermissionDenied):
        nominations.nominate(secretary, training, demo.sibling_branch, [sibling.pk])
    with pytest.raises(ServiceValidationError, match="请勾选"):
        nominations.nominate(secretary, training, demo.branch, [])
    Training.objects.filter(pk=training.pk).update(nominations_due=dt.date(2026, 11, 24))
    training.refresh_from_db()
    with pytest.raises(ServiceValidationError, match="2026-11-24截止"):
        nominations.nominate(secretary, training, demo.branch, [own.pk])
    assert not Participant.objects.filter(training=training).exists()
    assert _branch_items(training).get(organization=demo.branch).status == WorkStatus.OPEN


def test_planning_refusals(demo):
    with pytest.raises(ServiceValidationError) as err:
        svc.plan_training(organ(demo), demo.organ_committee, data(starts_on="2026-12-14",
                          ends_on="2026-12-15"))  # fmt: skip
    assert "由支部推荐" in err.value.errors["members"]
    cases = [
        ("2026-12-14", "应早于培训班开始日期"),
        ("2026-11-20", "不能早于今天"),
        ("十二月", "请填写推荐截止日期"),
    ]
    for due, message in cases:
        fields = data(starts_on="2026-12-14", ends_on="2026-12-15", nomination_quota="2")
        with pytest.raises(ServiceValidationError) as err:
            svc.plan_training(organ(demo), demo.organ_committee, {**fields, "nominations_due": due})
        assert message in err.value.errors["nominations_due"]
    with pytest.raises(ServiceValidationError) as err:
        svc.plan_training(
            organ(demo), demo.organ_committee, data(nomination_quota="99", starts_on="2026-12-14",
                                                    ends_on="2026-12-15"))  # fmt: skip
    assert "1到50" in err.value.errors["nomination_quota"]
    assert not Training.objects.exists() and not WorkItem.objects.exists()


def test_the_branch_secretary_nominates_on_the_training_page(demo, client_for):
    training = _planned(demo)
    url = f"/study/trainings/{training.pk}/"
    secretary = client_for(demo.users["secretary"])
    page = secretary.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    own = list(Member.objects.filter(organization=demo.branch).order_by("pk")[:2])
    assert f'id="nominate-{demo.branch.pk}"' in html and own[0].name in html
    # Only the secretary's own branch is offered, never another's members.
    sibling = Member.objects.filter(organization=demo.sibling_branch).first()
    assert f'id="nominate-{demo.sibling_branch.pk}"' not in html and sibling.name not in html
    done = secretary.post(
        url, {"nominate_for": demo.branch.pk, "members": [m.pk for m in own]}, follow=True
    )
    assert "已推荐2人" in done.content.decode()
    assert set(training.participants.values_list("member_id", flat=True)) == {m.pk for m in own}
    forged = secretary.post(url, {"nominate_for": demo.sibling_branch.pk, "members": [sibling.pk]})
    assert forged.status_code == 403
    # An ordinary member who was not nominated does not see the training.
    assert client_for(demo.users["member"]).get(url).status_code == 404


def test_a_member_who_has_left_is_not_nominated(demo):
    """The form lists the branch's current members; a request naming one who has left (died,
    expelled, transferred out: the record keeps their last branch) is refused all the same."""
    from dangjian.members import services_lifecycle
    from dangjian.members.models import LeaveReason

    training = _planned(demo)
    secretary = Actor(user=demo.users["secretary"])
    gone = Member.objects.current().filter(organization=demo.branch).order_by("-pk").first()
    services_lifecycle.end_membership(
        Actor.system("test"), gone, dt.date(2026, 10, 1), LeaveReason.TRANSFERRED_OUT
    )
    with pytest.raises(ServiceValidationError, match="本支部党员"):
        nominations.nominate(secretary, training, demo.branch, [gone.pk])
    assert not Participant.objects.filter(training=training).exists()
