"""The demo's work items (`dangjian demo` → `ensure_work_items`): every state a user meets, made
once, and every accepted item backed by its evidence."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from dangjian.audit.models import AuditEvent
from dangjian.core import clock
from dangjian.demo import DEPARTMENTS, ensure_work_items
from dangjian.duties.inbox import NoticeKind
from dangjian.duties.models import (
    PENDING,
    Evidence,
    EvidenceKind,
    WorkEvent,
    WorkItem,
    WorkStatus,
)
from dangjian.meetings.models import MeetingStatus
from dangjian.notices.models import Notice
from dangjian.orgs.models import Organization, OrgKind


@pytest.fixture
def files(settings, tmp_path):
    """Demo documents and the import clean-up `tick` runs stay in the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings.MEDIA_ROOT


def _make(today):
    said: list[str] = []
    made = ensure_work_items(today=today, out=said.append)
    return made, said


def _state(item: WorkItem, today) -> str:
    if item.status == WorkStatus.ACCEPTED:
        return "done" if item.completed_on <= item.deadline else "late"
    if item.status == WorkStatus.SUBMITTED:
        return "submitted"
    return "overdue" if item.deadline < today else "open"


def test_the_demo_has_work_items_in_every_state(demo, files):
    today = clock.today()
    assert not WorkItem.objects.exists()  # the test fixture's demo has none of its own

    made, said = _make(today)

    assert made is True
    assert said and "已生成演示工作任务" in said[0]
    committees = Organization.objects.filter(
        kind=OrgKind.ORGAN_COMMITTEE, code__in=[f"{prefix}-JGDW" for _, prefix, _ in DEPARTMENTS]
    )
    assert committees.count() == len(DEPARTMENTS)
    expected = sum(
        4 * (1 + Organization.objects.filter(path__startswith=c.path, kind="branch").count())
        for c in committees
    )
    assert WorkItem.objects.count() == expected
    assert f"{expected} 项" in said[0]

    received = list(WorkItem.objects.filter(parent__isnull=False).select_related("organization"))
    states = Counter(_state(item, today) for item in received)
    assert set(states) == {"done", "late", "overdue", "submitted", "open"}, states
    assert all(item.organization.kind == OrgKind.BRANCH for item in received)
    # Every committee sent its four plan items to every one of its branches.
    for committee in committees:
        plans = WorkItem.objects.filter(organization=committee, parent__isnull=True)
        assert plans.count() == 4
        branches = set(Organization.objects.filter(path__startswith=committee.path, kind="branch"))
        for plan in plans:
            assert plan.root_id == plan.pk
            assert {c.organization for c in plan.children.all()} == branches
            assert set(plan.children.values_list("root_id", flat=True)) == {plan.pk}

    # The secretary's branch has something to do, and the 机关党委 something to accept.
    secretary, organ = demo.users["secretary"], demo.users["organ"]
    own = [i for i in received if i.organization_id == demo.branch.pk]
    assert {_state(i, today) for i in own} & {"open", "overdue"}
    assert WorkItem.objects.filter(
        parent__organization=demo.organ_committee, status=WorkStatus.SUBMITTED
    ).exists()
    assert Notice.objects.filter(recipient=secretary, kind=NoticeKind.RECEIVED).exists()

    # `tick` marked the overdue items and told the level above and 纪检 (督办).
    overdue = [i for i in received if _state(i, today) == "overdue"]
    assert overdue
    for item in overdue:
        assert item.overdue_since == item.deadline + dt.timedelta(days=1), item
        assert WorkEvent.objects.filter(item=item, kind="overdue").exists()
    fgw_overdue = [i for i in overdue if i.organization.code.startswith("FGW-")]
    assert fgw_overdue
    # 纪检 is told (督办); so is the 机关党委, by escalation or, for a branch without accounts
    # of its own (the 机关党委 acts for it), by the overdue notice itself.
    told = {
        user: set(
            Notice.objects.filter(recipient=user, kind__in=kinds).values_list(
                "subject_id", flat=True
            )
        )
        for user, kinds in (
            (demo.users["inspector"], [NoticeKind.ESCALATION]),
            (organ, [NoticeKind.ESCALATION, NoticeKind.OVERDUE]),
        )
    }
    for user, items in told.items():
        assert {i.pk for i in fgw_overdue} <= items, user.username
    # Pending and open items were never accepted; accepted ones are complete.
    for item in received:
        if item.status in PENDING:
            assert (item.completed_on, item.submitted_at) == (None, None)
            assert item.progress < 100
        if item.status == WorkStatus.ACCEPTED:
            assert item.progress == 100
            assert item.submitted_at is not None
            assert item.completed_on <= today


def test_every_accepted_item_has_its_evidence(demo, files):
    today = clock.today()
    _make(today)

    accepted = list(
        WorkItem.objects.filter(status=WorkStatus.ACCEPTED).select_related("organization")
    )
    assert accepted
    for item in accepted:
        if item.parent_id is None:
            # A plan item is done when everything it sent is accepted.
            assert not item.children.exclude(status=WorkStatus.ACCEPTED).exists(), item
            continue
        evidence = list(Evidence.objects.filter(item=item).select_related("meeting"))
        assert evidence, f"{item.organization.code} {item.title}: accepted without evidence"
        assert {e.kind for e in evidence} == {item.evidence_kind}
        for e in evidence:
            if e.kind == EvidenceKind.MEETING:
                meeting = e.meeting
                assert meeting.organization_id == item.organization_id
                assert meeting.status == MeetingStatus.HELD
                assert meeting.kind == item.evidence_meeting_kind
                assert meeting.held_on <= today
            elif e.kind == EvidenceKind.DOCUMENT:
                assert e.file.name.endswith(".pdf")
                with e.file.open("rb") as fh:
                    assert fh.read().startswith(b"%PDF-")
                assert e.size == e.file.size
            else:
                assert e.figure is not None and e.note
        assert WorkEvent.objects.filter(item=item, kind="accepted").exists()
    # Submitted items wait with their evidence too.
    for item in WorkItem.objects.filter(status=WorkStatus.SUBMITTED):
        assert Evidence.objects.filter(item=item).exists()


def test_the_meeting_behind_an_accepted_item_was_held_by_its_completion(demo, files):
    _make(clock.today())
    late_records = [
        (e.item.organization.code, e.meeting.held_on, e.item.completed_on)
        for e in Evidence.objects.filter(
            kind=EvidenceKind.MEETING, item__status=WorkStatus.ACCEPTED
        ).select_related("item__organization", "meeting")
        if e.meeting.held_on > e.item.completed_on
    ]
    assert late_records == []


def test_the_demo_work_items_are_made_once(demo, files):
    today = clock.today()
    assert _make(today)[0] is True

    def counts():
        return (
            WorkItem.objects.count(),
            WorkEvent.objects.count(),
            Evidence.objects.count(),
            Notice.objects.count(),
            AuditEvent.objects.count(),
            sorted(files.rglob("*.pdf")),
        )

    before = counts()
    made, said = _make(today)
    assert made is False
    assert said == []
    assert counts() == before
