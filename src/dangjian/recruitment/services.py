"""Writes to development files: open a file, record a step. Each checks the rules, runs in one
transaction and leaves one audit event; admission and confirmation go through members' services.

Steps are recorded in order, each dated on or after the one before and not in the future. A
prerequisite the 细则 sets (age, a year of cultivation, two full-member sponsors, the training,
the branch vote) refuses the step with a Chinese message; a time limit that was missed (a late
talk, a late approval) is recorded as it happened and shows as late on the timeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dangjian.accounts.access import can_write_into
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import default_keyring
from dangjian.discipline.queries import on_party_probation
from dangjian.meetings.models import Meeting, MeetingKind, MeetingStatus, Vote
from dangjian.members import services as member_services
from dangjian.members import services_lifecycle
from dangjian.members.history import counts_on
from dangjian.members.models import Member, MemberStatus
from dangjian.orgs.history import refuse_dissolved
from dangjian.orgs.models import Organization, OrgKind
from dangjian.recruitment.models import Applicant, ProbationExtension, StepRecord
from dangjian.regulations import recruitment as rules
from dangjian.regulations.identity import IdentityError, parse_id_number
from dangjian.regulations.membership import MembershipError, probation_end
from dangjian.regulations.periods import cn_date

# Steps decided at a meeting of the branch: the 支委会 or the 党员大会 (with its vote).
COMMITTEE_STEPS = {3, 7, 12}
VOTE_STEPS = {15, 23}
PEOPLE_STEPS = {5: "cultivators", 9: "sponsors"}
PUBLICITY_STEPS = {12, 23}
LAST_STEP = 25


@dataclass
class StepInput:
    """What the form or the API hands in for one step."""

    step: int
    done_on: dt.date
    decided_by: str
    meeting: Meeting | None = None
    vote: Vote | None = None
    people: list[Member] = field(default_factory=list)
    training_days: int | None = None
    training_hours: int | None = None
    publicity_from: dt.date | None = None
    note: str = ""
    warning_reason: str = ""


def _require_branch(actor: Actor, org: Organization) -> None:
    if org.kind != OrgKind.BRANCH:
        raise ServiceValidationError({"organization": "发展档案只能建在党支部"})
    if actor.user is not None and not can_write_into(actor.user, org):
        raise PermissionDenied("您对该组织没有此操作权限")


@transaction.atomic
def open_file(
    actor: Actor,
    branch: Organization,
    *,
    name: str,
    id_number: str,
    received_on: dt.date,
    leaves_on: dt.date | None = None,
) -> Applicant:
    """Step 1: the branch receives an application (递交入党申请书); not a dissolved one."""
    _require_branch(actor, branch)
    refuse_dissolved(branch, "接收入党申请")
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise ServiceValidationError({"name": "请填写姓名（不超过50个字）"})
    try:
        ident = parse_id_number(id_number, today=clock.today())
    except IdentityError as exc:
        raise ServiceValidationError({"id_number": exc.message}) from exc
    if received_on > clock.today():
        raise ServiceValidationError({"received_on": "收到申请书的日期不能晚于今天"})
    too_young = rules.check_age(ident.birth_date, received_on)
    if too_young is not None:
        raise ServiceValidationError({"id_number": too_young.message})
    keyring = default_keyring()
    index = keyring.blind_index(ident.value)
    if Applicant.objects.filter(id_number_index=index, closed_on__isnull=True).exists():
        raise ServiceValidationError({"id_number": "该申请人已有未结束的发展档案"})
    if Member.objects.filter(id_number_index=index, left_on__isnull=True).exists():
        raise ServiceValidationError({"id_number": "该身份证号已是在册党员"})
    applicant = Applicant.objects.create(
        organization=branch,
        name=name,
        gender=ident.gender,
        birth_date=ident.birth_date,
        id_number_encrypted=keyring.encrypt(ident.value),
        id_number_index=index,
        stage="applicant",
        next_step=2,
        leaves_on=leaves_on,
    )
    StepRecord.objects.create(
        applicant=applicant,
        step=1,
        done_on=received_on,
        decided_by=branch.name,
        level=rules.BRANCH,
        recorded_by=actor.user,
    )
    record(actor, AuditAction.CREATE, applicant, changes=diff(None, applicant.audit_fields()))
    return applicant


def _require_level(actor: Actor, branch: Organization, level: str) -> None:
    """A step the 基层党委 (or the department above) files or approves is recorded by someone
    who writes for a 机关党委 above the branch; a 党总支 cannot approve (细则)."""
    if level == rules.BRANCH or actor.user is None:
        return
    step = Organization.steplen
    ancestors = [branch.path[:i] for i in range(step, len(branch.path), step)]
    committees = Organization.objects.filter(path__in=ancestors, kind=OrgKind.ORGAN_COMMITTEE)
    if not any(can_write_into(actor.user, org) for org in committees):
        raise PermissionDenied("该步骤应由上级党委办理")


def is_committee_above(user, branch: Organization) -> bool:
    """Whether the user writes for a 机关党委 above the branch (the level that approves)."""
    try:
        _require_level(Actor(user=user), branch, rules.COMMITTEE)
    except PermissionDenied:
        return False
    return True


def _dates(applicant: Applicant) -> dict[int, dt.date]:
    return dict(applicant.steps.values_list("step", "done_on"))


def _check_order(applicant: Applicant, data: StepInput, done: dict[int, dt.date]) -> None:
    if applicant.closed_on is not None:
        raise ServiceValidationError({"step": "该发展档案已结束"})
    if data.step != applicant.next_step:
        step = rules.STEPS[applicant.next_step - 1] if applicant.next_step <= LAST_STEP else None
        expected = f"第{step.number}步「{step.label}」" if step else "（已全部完成）"
        raise ServiceValidationError({"step": f"步骤须按顺序办理，下一步应为{expected}"})
    previous = max(done.values())
    if data.done_on < previous:
        raise ServiceValidationError(
            {"done_on": f"日期不能早于上一步骤的日期（{cn_date(previous)}）"}
        )
    if data.done_on > clock.today():
        raise ServiceValidationError({"done_on": "日期不能晚于今天"})
    if not data.decided_by.strip():
        raise ServiceValidationError({"decided_by": "请填写决定人或决定机构"})


def _check_meeting(applicant: Applicant, data: StepInput) -> None:
    branch = applicant.organization
    if data.step in VOTE_STEPS:
        if data.vote is None:
            raise ServiceValidationError({"vote": "请选择支部党员大会的表决记录"})
        data.meeting = data.vote.meeting
        kind = MeetingKind.GENERAL_MEETING
    elif data.step in COMMITTEE_STEPS:
        kind = MeetingKind.COMMITTEE_MEETING
    else:
        return
    meeting = data.meeting
    if meeting is None:
        raise ServiceValidationError({"meeting": "请选择作为依据的会议记录"})
    if meeting.organization_id != branch.pk or meeting.kind != kind:
        label = "支部党员大会" if kind == MeetingKind.GENERAL_MEETING else "支部委员会会议"
        raise ServiceValidationError({"meeting": f"依据应为本支部的{label}记录"})
    if meeting.status != MeetingStatus.HELD or meeting.held_on != data.done_on:
        raise ServiceValidationError({"meeting": "会议应已召开，且召开日期与本步骤日期一致"})


def _check_vote(data: StepInput) -> None:
    vote = data.vote
    if vote is None:
        return
    if (
        StepRecord.objects.filter(vote=vote).exists()
        or ProbationExtension.objects.filter(vote=vote).exists()
    ):
        raise ServiceValidationError(
            {"vote": "该表决已用于另一名发展对象；应对每个发展对象逐个表决"}
        )
    # The voting members who should attend come from the membership history on the day: the
    # full members of the branch (probationary members have no vote), not a typed number.
    org = vote.meeting.organization
    full = counts_on(org, data.done_on).get(org.pk)
    found = rules.admission_vote_violations(
        full.full if full else 0, vote.present_voting, vote.yes, 1
    )
    if found:
        raise ServiceValidationError({"vote": found[0].message})


def _status_on(member: Member, day: dt.date) -> str:
    """The member's status on `day`: probationary until confirmed (a member confirmed after
    `day` was probationary then)."""
    if member.confirmed_on is not None and member.confirmed_on > day:
        return MemberStatus.PROBATIONARY
    return member.status


def _check_people(applicant: Applicant, data: StepInput) -> None:
    if data.step not in PEOPLE_STEPS:
        return
    if any(p.left_on is not None for p in data.people):
        raise ServiceValidationError({"people": "所选党员应为在册党员"})
    statuses = [_status_on(p, data.done_on) for p in data.people]
    if data.step == 5:
        found = rules.check_cultivators(statuses)
    else:
        # Full members on the step's day, and not under 留党察看 that day (细则 第十四条).
        watched = on_party_probation([p.pk for p in data.people], data.done_on)
        found = rules.check_sponsors(statuses, [p.pk in watched for p in data.people])
    if found is not None:
        raise ServiceValidationError({"people": found.message})


def _publicity_days() -> int | None:
    from dangjian.meetings.packs import rules_in_force

    value = rules_in_force().params.get("publicity_working_days")
    return int(value) if value else None


def _check_step_rules(applicant: Applicant, data: StepInput, done: dict[int, dt.date]) -> None:
    if data.step == 7 and data.done_on < rules.candidate_earliest(done[3]):
        earliest = rules.candidate_earliest(done[3])
        raise ServiceValidationError(
            {"done_on": f"确定为入党积极分子满一年后（{cn_date(earliest)}起）方可列为发展对象"}
        )
    if data.step == 11:
        found = rules.check_training(data.training_days or 0, data.training_hours or 0)
        if found is not None:
            raise ServiceValidationError({"training_days": found.message})
    if data.step in PUBLICITY_STEPS:
        days = _publicity_days()
        if data.publicity_from is None:
            raise ServiceValidationError({"publicity_from": "请填写公示开始日期"})
        first = min(done.values())
        if not first <= data.publicity_from <= data.done_on:
            raise ServiceValidationError(
                {
                    "publicity_from": f"公示开始日期应在{cn_date(first)}至{cn_date(data.done_on)}之间"
                    "（收到入党申请书后、本步骤办理前）"
                }
            )
        if days is not None and data.done_on <= rules.publicity_end(data.publicity_from, days):
            end = rules.publicity_end(data.publicity_from, days)
            raise ServiceValidationError(
                {"publicity_from": f"公示期{days}个工作日，至{cn_date(end)}结束后方可办理"}
            )
    if data.step == 15:
        leaving = rules.leaving_soon(applicant.leaves_on, data.done_on)
        if leaving is not None and not data.warning_reason.strip():
            raise ServiceValidationError({"warning_reason": leaving.message})
    if (
        data.step == 23
        and ProbationExtension.objects.filter(
            applicant=applicant, approved_on__isnull=True
        ).exists()
    ):
        raise ServiceValidationError(
            {"step": "支部大会已决定延长预备期，待上级党委审批后按新的期满日期讨论转正"}
        )
    if data.step == 23 and applicant.member is not None:
        end = applicant.member.probation_ends_on or probation_end(done[15])
        if data.done_on < end:
            raise ServiceValidationError(
                {"done_on": f"预备期至{cn_date(end)}届满，届满后方可讨论转正"}
            )


def _admit(actor: Actor, applicant: Applicant, admitted_on: dt.date) -> None:
    """Step 17: the upper committee approves; the person is a 预备党员 of the branch from the
    branch-meeting date (党章 第七条), so roster, dues and statistics follow from then."""
    member, _ = member_services.create_member(
        actor,
        applicant.organization,
        {
            "name": applicant.name,
            "id_number": applicant.id_number,
            "status": MemberStatus.PROBATIONARY,
            "admitted_on": admitted_on,
        },
    )
    applicant.member = member


def _confirm(actor: Actor, applicant: Applicant) -> None:
    """Step 24: full member from the end of probation (党龄 counts from then)."""
    member = applicant.member
    if member is None:
        raise ServiceValidationError({"step": "该档案尚未接收为预备党员"})
    end = member.probation_ends_on or probation_end(member.admitted_on)
    services_lifecycle.confirm_member(actor, member, end)


@transaction.atomic
def record_step(actor: Actor, applicant: Applicant, data: StepInput) -> StepRecord:
    """Record one step of the 25 after checking its rules; nothing is written on refusal."""
    applicant = (
        Applicant.objects.select_for_update().select_related("organization").get(pk=applicant.pk)
    )
    _require_branch(actor, applicant.organization)
    if 1 <= data.step <= LAST_STEP:
        _require_level(actor, applicant.organization, rules.STEPS[data.step - 1].level)
    before = applicant.audit_fields()
    done = _dates(applicant)
    _check_order(applicant, data, done)
    _check_meeting(applicant, data)
    _check_vote(data)
    _check_people(applicant, data)
    _check_step_rules(applicant, data, done)
    step = rules.STEPS[data.step - 1]
    row = StepRecord.objects.create(
        applicant=applicant,
        step=data.step,
        done_on=data.done_on,
        decided_by=data.decided_by.strip()[:100],
        level=step.level,
        meeting=data.meeting,
        vote=data.vote,
        training_days=data.training_days,
        training_hours=data.training_hours,
        publicity_from=data.publicity_from,
        note=data.note.strip()[:500],
        warning_reason=data.warning_reason.strip()[:500],
        recorded_by=actor.user,
    )
    if data.people:
        row.people.set(data.people)
    if data.step == 17:
        _admit(actor, applicant, done[15])
    elif data.step == 24:
        _confirm(actor, applicant)
    applicant.stage = step.stage if data.step != 24 else "full"
    applicant.next_step = data.step + 1
    if data.step == LAST_STEP:
        applicant.closed_on = data.done_on
    applicant.save(update_fields=["stage", "next_step", "member", "closed_on"])
    record(
        actor,
        AuditAction.UPDATE,
        applicant,
        changes=diff(before, applicant.audit_fields()),
        message=f"发展党员第{step.number}步：{step.label}",
    )
    return row


def _extension_vote(applicant: Applicant, decided_on: dt.date, vote: Vote | None) -> None:
    """The 支部党员大会 vote that decides an extension: the branch's meeting held that day, the
    thresholds of the 细则 (as for step 23), one candidate per vote."""
    data = StepInput(23, decided_on, "支部党员大会", vote=vote)
    _check_meeting(applicant, data)
    _check_vote(data)


@transaction.atomic
def propose_extension(
    actor: Actor,
    applicant: Applicant,
    months: int,
    decided_on: dt.date,
    vote: Vote | None,
    reason: str,
) -> ProbationExtension:
    """延长预备期, the branch's decision: once, 6–12 months, by a 支部党员大会 vote taken during
    probation and before the 转正 discussion. Nothing moves until the 基层党委 approves it
    (`approve_extension`)."""
    # Lock the file alone: PostgreSQL refuses FOR UPDATE across the outer join to `member`.
    applicant = (
        Applicant.objects.select_for_update().select_related("organization").get(pk=applicant.pk)
    )
    _require_branch(actor, applicant.organization)
    member = applicant.member
    if member is None or applicant.next_step > 23 or member.status != MemberStatus.PROBATIONARY:
        raise ServiceValidationError({"months": "只能在讨论转正前为预备党员延长预备期"})
    if ProbationExtension.objects.filter(applicant=applicant).exists():
        raise ServiceValidationError({"months": "预备期只能延长一次"})
    if member.probation_ends_on not in (None, probation_end(member.admitted_on)):
        raise ServiceValidationError({"months": "预备期只能延长一次"})
    try:
        probation_end(member.admitted_on, months)
    except MembershipError as exc:
        raise ServiceValidationError({"months": exc.message}) from exc
    if decided_on > clock.today():
        raise ServiceValidationError({"decided_on": "决定日期不能晚于今天"})
    regular_end = probation_end(member.admitted_on)
    if not (member.admitted_on < decided_on <= regular_end):
        raise ServiceValidationError(
            {"decided_on": f"延长预备期应在预备期内（{cn_date(regular_end)}前）由支部大会决定"}
        )
    done = _dates(applicant)
    if decided_on < max(done.values()):
        raise ServiceValidationError(
            {"decided_on": f"决定日期不能早于上一步骤的日期（{cn_date(max(done.values()))}）"}
        )
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ServiceValidationError({"reason": "请填写延长预备期的理由（不超过500字）"})
    _extension_vote(applicant, decided_on, vote)
    assert vote is not None
    extension = ProbationExtension.objects.create(
        applicant=applicant,
        months=months,
        decided_on=decided_on,
        vote=vote,
        reason=reason,
        recorded_by=actor.user,
    )
    record(
        actor,
        AuditAction.CREATE,
        extension,
        changes=diff(None, extension.audit_fields()),
        message=f"支部大会决定延长预备期{months}个月，待上级党委审批",
    )
    return extension


@transaction.atomic
def approve_extension(
    actor: Actor, extension: ProbationExtension, approved_on: dt.date
) -> ProbationExtension:
    """The 基层党委 above the branch approves the extension: the probation's end moves (through
    members' service), and the timeline's 转正 steps wait for the later end."""
    # The row locked first, then read with its relations (no FOR UPDATE across outer joins).
    ProbationExtension.objects.select_for_update().filter(pk=extension.pk).values_list("pk").get()
    extension = ProbationExtension.objects.select_related(
        "applicant__organization", "applicant__member"
    ).get(pk=extension.pk)
    applicant = extension.applicant
    _require_branch(actor, applicant.organization)
    _require_level(actor, applicant.organization, rules.COMMITTEE)
    if extension.approved_on is not None:
        raise ServiceValidationError({"approved_on": "该延长预备期决定已审批"})
    if approved_on < extension.decided_on:
        raise ServiceValidationError(
            {"approved_on": f"审批日期不能早于支部大会决定日期（{cn_date(extension.decided_on)}）"}
        )
    if approved_on > clock.today():
        raise ServiceValidationError({"approved_on": "审批日期不能晚于今天"})
    assert applicant.member is not None
    before = extension.audit_fields()
    services_lifecycle.extend_probation(
        actor, applicant.member, extension.months, extension.decided_on
    )
    extension.approved_on = approved_on
    extension.approved_by = actor.user
    extension.save(update_fields=["approved_on", "approved_by"])
    record(
        actor,
        AuditAction.UPDATE,
        extension,
        changes=diff(before, extension.audit_fields()),
        message=f"上级党委批准延长预备期{extension.months}个月",
    )
    return extension
