"""Member development endpoints under /api/v1/recruitment: files, a file's timeline, recording a
step, the upper level's pending approvals. Same access as the pages: 404 outside the read scope,
403 for a write the user may not make, 422 with a Chinese message per field."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema
from ninja.responses import Status

from dangjian.accounts.access import Action, get_org_for_user, require_scope
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings.models import Meeting, Vote
from dangjian.members.access import visible_members
from dangjian.recruitment import queries, services
from dangjian.recruitment.models import Applicant
from dangjian.regulations.recruitment import STAGES

router = Router(tags=["发展党员"])
STAGE_LABELS = dict(STAGES)


class FileOut(Schema):
    id: int
    name: str
    id_number: str  # masked
    organization_code: str
    stage: str
    stage_label: str
    next_step: int
    closed_on: dt.date | None

    @staticmethod
    def resolve_id_number(obj: Applicant) -> str:
        return obj.id_number_masked

    @staticmethod
    def resolve_organization_code(obj: Applicant) -> str:
        return obj.organization.code

    @staticmethod
    def resolve_stage_label(obj: Applicant) -> str:
        return STAGE_LABELS[obj.stage]


class StepOut(Schema):
    number: int
    label: str
    stage: str
    level: str
    status: str
    done_on: dt.date | None
    due_on: dt.date | None
    earliest: dt.date | None
    decided_by: str = ""
    meeting_id: int | None = None


class TimelineOut(Schema):
    file: FileOut
    steps: list[StepOut]


class FileIn(Schema):
    organization: str
    name: str
    id_number: str
    received_on: dt.date
    leaves_on: dt.date | None = None


class StepIn(Schema):
    step: int
    done_on: dt.date
    decided_by: str
    meeting_id: int | None = None
    vote_id: int | None = None
    people: list[int] = []
    training_days: int | None = None
    training_hours: int | None = None
    publicity_from: dt.date | None = None
    note: str = ""
    warning_reason: str = ""


def _timeline(applicant: Applicant) -> dict:
    from dangjian.core.clock import today

    steps = [
        {
            **{k: getattr(row, k) for k in ("number", "label", "stage", "level", "status")},
            "done_on": row.done_on,
            "due_on": row.due_on,
            "earliest": row.earliest,
            "decided_by": row.record.decided_by if row.record else "",
            "meeting_id": row.record.meeting_id if row.record else None,
        }
        for row in queries.timeline(applicant, today())
    ]
    return {"file": applicant, "steps": steps}


@router.get("/files", response=list[FileOut], summary="发展档案（可按支部编码筛选）")
def recruitment_files(request, org: str = ""):
    require_scope(request.user, Action.READ, "您没有查看发展档案的权限")
    files = queries.files_for(request.user).select_related("organization")
    if org:
        found = get_org_for_user(request.user, org.strip().upper(), field_name="code")
        files = files.filter(organization__path__startswith=found.path)
    return list(files.order_by("organization__path", "pk")[:500])


@router.post("/files", response={201: FileOut}, summary="收到入党申请书，建立发展档案")
def open_recruitment_file(request, payload: FileIn):
    branch = get_org_for_user(
        request.user, payload.organization.strip().upper(), Action.WRITE, field_name="code"
    )
    applicant = services.open_file(
        Actor.from_request(request),
        branch,
        name=payload.name,
        id_number=payload.id_number,
        received_on=payload.received_on,
        leaves_on=payload.leaves_on,
    )
    return Status(201, applicant)


@router.get("/files/{file_id}", response=TimelineOut, summary="个人发展时间线")
def recruitment_timeline(request, file_id: int):
    return _timeline(queries.get_file_for_user(request.user, file_id))


def _branch_object(model, pk: int | None, applicant: Applicant, field: str):
    if pk is None:
        return None
    path = "meeting__organization" if model is Vote else "organization"
    found = model.objects.filter(pk=pk, **{path: applicant.organization}).first()
    if found is None:
        raise ServiceValidationError({field: "所选记录不属于本支部"})
    return found


@router.post("/files/{file_id}/steps", response={201: TimelineOut}, summary="记录一个步骤")
def record_recruitment_step(request, file_id: int, payload: StepIn):
    applicant = queries.get_file_for_user(request.user, file_id, Action.WRITE)
    # Only members the user may read can be named (least disclosure: no probing by id).
    people = list(
        visible_members(request.user).filter(pk__in=payload.people).select_related("organization")
    )
    if len(people) != len(set(payload.people)):
        raise ServiceValidationError({"people": "所选党员不存在"})
    data = services.StepInput(
        step=payload.step,
        done_on=payload.done_on,
        decided_by=payload.decided_by,
        meeting=_branch_object(Meeting, payload.meeting_id, applicant, "meeting"),
        vote=_branch_object(Vote, payload.vote_id, applicant, "vote"),
        people=people,
        training_days=payload.training_days,
        training_hours=payload.training_hours,
        publicity_from=payload.publicity_from,
        note=payload.note,
        warning_reason=payload.warning_reason,
    )
    services.record_step(Actor.from_request(request), applicant, data)
    applicant.refresh_from_db()
    return Status(201, _timeline(applicant))


@router.get("/pending", response=list[FileOut], summary="待上级党委办理的预审、审批和备案")
def recruitment_pending(request):
    require_scope(request.user, Action.WRITE, "您没有办理发展党员审批的权限")
    return list(queries.pending_approvals(request.user)[:500])


class ExtensionIn(Schema):
    months: int
    decided_on: dt.date
    vote_id: int
    reason: str


class ExtensionApproveIn(Schema):
    approved_on: dt.date


class ExtensionOut(Schema):
    id: int
    file_id: int
    months: int
    decided_on: dt.date
    vote_id: int
    approved_on: dt.date | None
    probation_ends_on: dt.date | None

    @staticmethod
    def resolve_file_id(obj) -> int:
        return obj.applicant_id

    @staticmethod
    def resolve_probation_ends_on(obj) -> dt.date | None:
        member = obj.applicant.member
        return member.probation_ends_on if member is not None else None


@router.post(
    "/files/{file_id}/extension",
    response={201: ExtensionOut},
    summary="记录支部大会延长预备期的决定（待上级党委审批）",
)
def propose_probation_extension(request, file_id: int, payload: ExtensionIn):
    applicant = queries.get_file_for_user(request.user, file_id, Action.WRITE)
    vote = _branch_object(Vote, payload.vote_id, applicant, "vote")
    extension = services.propose_extension(
        Actor.from_request(request),
        applicant,
        payload.months,
        payload.decided_on,
        vote,
        payload.reason,
    )
    return Status(201, extension)


@router.post(
    "/files/{file_id}/extension/approve",
    response=ExtensionOut,
    summary="上级党委批准延长预备期（预备期满日期顺延）",
)
def approve_probation_extension(request, file_id: int, payload: ExtensionApproveIn):
    from django.core.exceptions import PermissionDenied

    from dangjian.recruitment.models import ProbationExtension

    applicant = queries.get_file_for_user(request.user, file_id, Action.WRITE)
    if not services.is_committee_above(request.user, applicant.organization):
        raise PermissionDenied("延长预备期由上级党委审批")
    extension = ProbationExtension.objects.filter(applicant=applicant).first()
    if extension is None:
        raise ServiceValidationError({"extension": "没有待审批的延长预备期决定"})
    extension = services.approve_extension(
        Actor.from_request(request), extension, payload.approved_on
    )
    return ProbationExtension.objects.select_related("applicant__member").get(pk=extension.pk)
