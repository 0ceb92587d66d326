"""What a dissolved organization still had open when it was dissolved: its work items to do are
withdrawn and their senders told; its recruitment files follow it into the branch it merges
into, and without one the dissolution is refused (orgs.signals.organization_dissolved)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from dangjian.audit.models import AuditEvent
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.duties import services as duty_services
from dangjian.duties.models import WorkItem, WorkStatus
from dangjian.notices.models import Notice
from dangjian.orgs.history import dissolved_since
from dangjian.orgs.models import Organization
from dangjian.recruitment import services as recruitment_services
from dangjian.recruitment.models import Applicant
from dangjian.regulations.synth import make_id_number
from dangjian.structure.services import dissolve_organization
from tests.conftest import TODAY
from tests.structure.test_dissolved_takes_nothing import founded

ACTOR = Actor.system("test")
ON = TODAY


@pytest.fixture
def branch(demo) -> Organization:
    return founded(demo.organ_committee, "测试将撤销党支部", "T-SOON", dissolved_on=None)


def _applicant(branch: Organization, seed: int) -> Applicant:
    return recruitment_services.open_file(
        ACTOR,
        branch,
        name="申请人丙",
        id_number=make_id_number(random.Random(seed), dt.date(2001, 4, 9), "female"),
        received_on=TODAY - dt.timedelta(days=30),
    )


def test_work_items_still_to_do_are_withdrawn_and_their_sender_told(demo, branch):
    actor = Actor(user=demo.users["organ"])
    data = {"title": "撤销前下发的任务", "deadline": TODAY + dt.timedelta(days=20)}
    sent = duty_services.send_down(actor, demo.organ_committee, data, targets=["T-SOON"])
    (item,) = sent.children
    assert item.organization_id == branch.pk and item.status == WorkStatus.OPEN

    dissolve_organization(ACTOR, branch, ON)

    item.refresh_from_db()
    assert item.status == WorkStatus.WITHDRAWN
    event = AuditEvent.objects.filter(object_type="duties.workitem", object_id=str(item.pk)).latest(
        "seq"
    )
    assert event.message.startswith("撤回：组织撤销") and event.changes["status"][1] == "withdrawn"
    told = Notice.objects.filter(recipient=demo.users["organ"], title=f"任务已撤回：{item.title}")
    assert told.exists() and "测试将撤销党支部已撤销" in told.get().body


def test_recruitment_files_follow_the_branch_it_merges_into(demo, branch):
    applicant = _applicant(branch, 821)

    dissolve_organization(ACTOR, branch, ON, merged_into=demo.branch)

    applicant.refresh_from_db()
    assert applicant.organization_id == demo.branch.pk
    event = AuditEvent.objects.filter(
        object_type="recruitment.applicant", object_id=str(applicant.pk)
    ).latest("seq")
    assert event.action == "move" and demo.branch.name in event.message
    assert "申请人丙" not in str(event.changes) + event.message + event.object_repr


def test_without_a_branch_to_merge_into_open_files_refuse_the_dissolution(demo, branch):
    applicant = _applicant(branch, 822)
    data = {"title": "不应撤回的任务", "deadline": TODAY + dt.timedelta(days=20)}
    sent = duty_services.send_down(
        Actor(user=demo.users["organ"]), demo.organ_committee, data, targets=["T-SOON"]
    )
    seq = AuditEvent.objects.latest("seq").seq

    with pytest.raises(ServiceValidationError) as refused:
        dissolve_organization(ACTOR, branch, ON)
    assert "1份未办结的发展档案" in refused.value.errors["recruitment"]

    # Nothing of the dissolution stays: the branch exists, the item is still to do, the file
    # is where it was, and the audit log has no new event.
    assert dissolved_since(branch) is None
    assert WorkItem.objects.get(pk=sent.children[0].pk).status == WorkStatus.OPEN
    applicant.refresh_from_db()
    assert applicant.organization_id == branch.pk
    assert AuditEvent.objects.latest("seq").seq == seq
