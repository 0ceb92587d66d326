"""Recording a meeting as held: minutes, attendance, votes, in one audited write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from dangjian.accounts.access import require_write
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import inputs
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import backfill
from dangjian.meetings.models import (
    ATTENDED,
    DECIDING_KINDS,
    Attendance,
    AttendanceStatus,
    LeaveRequest,
    LeaveStatus,
    Meeting,
    MeetingStatus,
    Vote,
)
from dangjian.meetings.queries import (
    QUORUM_KINDS,
    entitled_voters,
    expected_attendees,
)
from dangjian.meetings.services.attachments import check_attachments, store_files, with_file_cleanup
from dangjian.meetings.services.common import (
    _aware,
    _long,
    _member,
)
from dangjian.orgs.history import dissolved_since
from dangjian.regulations.meetings import check_quorum, quorum_minimum, quorum_violation
from dangjian.regulations.periods import cn_date, local_date

MARKABLE = {
    AttendanceStatus.PRESENT: "出席",
    AttendanceStatus.ON_LEAVE: "请假",
    AttendanceStatus.ABSENT: "缺席",
}


@dataclass(frozen=True)
class VoteInput:
    subject: str
    yes: int
    no: int = 0
    abstain: int = 0


@dataclass(frozen=True)
class RecordResult:
    meeting: Meeting
    expected: int
    present: int
    on_leave: int
    absent: int
    changed: bool


def _meeting_fields(meeting: Meeting) -> dict[str, Any]:
    # The time in UTC: the database hands it back in UTC, a form in Asia/Shanghai, and the
    # same instant must compare equal (or every save would look like a change).
    return {
        **meeting.audit_fields(),
        "starts_at": meeting.starts_at.astimezone(dt.UTC),
        "held_on": meeting.held_on,
        "content": meeting.content,
    }


def _state(meeting: Meeting) -> dict[str, Any]:
    """What an audit event of a record shows before and after (counts included)."""
    rows = list(Attendance.objects.filter(meeting=meeting).values_list("member_id", "status"))
    votes = [
        [v.subject, v.voting_members, v.present_voting, v.yes, v.no, v.abstain]
        for v in Vote.objects.filter(meeting=meeting).order_by("pk")
    ]
    return {
        **_meeting_fields(meeting),
        "on_leave": sorted(m for m, s in rows if s == AttendanceStatus.ON_LEAVE),
        "absent": sorted(m for m, s in rows if s == AttendanceStatus.ABSENT),
        "checked_in": sorted(m for m, s in rows if s == AttendanceStatus.CHECKED_IN),
        "votes": votes,
    }


def _int(value: Any, field: str, label: str, errors: dict[str, str]) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = f"{label}应为整数"
        return 0
    if number < 0:
        errors[field] = f"{label}不能为负数"
    return number


def parse_votes(items: Iterable[Mapping[str, Any] | VoteInput]) -> list[VoteInput]:
    """Votes from form rows or API objects; rows without a subject and without numbers are
    blank lines of the form and are skipped."""
    errors: dict[str, str] = {}
    votes: list[VoteInput] = []
    for index, item in enumerate(items, start=1):
        if isinstance(item, VoteInput):
            votes.append(item)
            continue
        subject = " ".join(inputs.text(item.get("subject")).split())
        numbers = [item.get(k) for k in ("yes", "no", "abstain")]
        if not subject and all(n in (None, "") for n in numbers):
            continue
        field = f"votes.{index}"
        if not subject:
            errors[f"{field}.subject"] = f"第{index}项表决：请填写表决事项"
        elif len(subject) > 200:
            errors[f"{field}.subject"] = f"第{index}项表决：表决事项不能超过200个字"
        yes = _int(item.get("yes"), f"{field}.yes", f"第{index}项表决的赞成票数", errors)
        no = _int(item.get("no"), f"{field}.no", f"第{index}项表决的反对票数", errors)
        abstain = _int(
            item.get("abstain"), f"{field}.abstain", f"第{index}项表决的弃权票数", errors
        )
        votes.append(VoteInput(subject, yes, no, abstain))
    if errors:
        raise ServiceValidationError(errors)
    return votes


def record_meeting(
    actor: Actor,
    meeting: Meeting,
    *,
    attendance: Mapping[int, tuple[str, str]] | None = None,
    minutes: Mapping[str, Any] | None = None,
    votes: Sequence[Mapping[str, Any] | VoteInput] | None = None,
    files: Sequence[Any] = (),
) -> RecordResult:
    """Record a meeting as held, in one transaction with one audit event for the meeting.

    `attendance` maps member ids to (status, reason) for the rows the caller states; everyone
    else expected is 出席 (签到 if they checked in by QR code, 请假 if their leave was approved,
    or as already recorded). None keeps the saved attendance (the meeting must be recorded).
    `minutes` may give starts_at, host, recorder, agenda, content and decisions; missing keys
    keep their values. `votes` replaces the meeting's votes (None keeps and rechecks them).
    Saving the same record again changes nothing and writes no event.
    """
    require_write(actor, meeting.organization)
    checked_files = check_attachments(files) if files else []

    def work(stored: list[str]) -> RecordResult:
        result = _record(actor, meeting, attendance, minutes, votes)
        if checked_files:
            store_files(actor, result.meeting, checked_files, stored)
        return result

    return with_file_cleanup(work)


@dataclass
class _Minutes:
    """The minutes as the record will hold them."""

    starts_at: dt.datetime
    host: Any
    recorder: Any
    texts: dict[str, str]
    # 补录: the day of the first record, whether the record is a 补录, and its reason.
    recorded_on: dt.date | None = None
    backfilled: bool = False
    backfill_reason: str = ""


@dataclass
class _Attendance:
    """Who is expected, each one's status and reason as the record will hold them, and who
    of them may vote and is there."""

    members: dict[int, Any]
    saved: dict[int, Attendance]
    desired: dict[int, tuple[str, str]]
    attended: set[int]
    voting: list[int]
    present_voting: int


def _record(
    actor: Actor,
    meeting: Meeting,
    attendance: Mapping[int, tuple[str, str]] | None,
    minutes: Mapping[str, Any] | None,
    votes: Sequence[Mapping[str, Any] | VoteInput] | None,
) -> RecordResult:
    """Read the form, work out attendance, check the votes (every error at once), then write."""
    meeting = Meeting.objects.select_for_update().select_related("organization").get(pk=meeting.pk)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ServiceValidationError({"status": "会议已取消，不能记录"})
    if attendance is None and meeting.status != MeetingStatus.HELD:
        raise ServiceValidationError(
            {"attendance": "请先记录出勤情况（应到人员的出席、请假、缺席）"}
        )
    if meeting.status == MeetingStatus.PLANNED and not backfill.record_opens(
        meeting.starts_at, timezone.now()
    ):
        raise ServiceValidationError({"status": backfill.not_yet_message(meeting.starts_at)})
    before = _state(meeting)
    errors: dict[str, str] = {}
    read = _read_minutes(actor, meeting, minutes or {}, errors)
    people = _work_out_attendance(meeting, attendance, errors, local_date(read.starts_at))
    vote_inputs = _check_votes(meeting, votes, people, errors)
    if errors:
        raise ServiceValidationError(errors)
    return _write(actor, meeting, before, read, people, vote_inputs)


def _read_minutes(
    actor: Actor, meeting: Meeting, minutes: Mapping[str, Any], errors: dict[str, str]
) -> _Minutes:
    starts_at = meeting.starts_at
    if minutes.get("starts_at") not in (None, ""):
        starts_at = _aware(minutes["starts_at"], "starts_at", errors) or starts_at
    if "starts_at" not in errors and local_date(starts_at) > today():
        errors["starts_at"] = "会议日期在今天之后，尚未召开，不能记录"
    elif "starts_at" not in errors and starts_at > timezone.now():
        errors["starts_at"] = "会议时间在现在之后，尚未召开，不能记录"
    gone = dissolved_since(meeting.organization)
    if "starts_at" not in errors and gone is not None and local_date(starts_at) >= gone:
        org = meeting.organization.name
        errors["starts_at"] = f"{org}已于{cn_date(gone)}撤销，此后的会议不能记录为已召开"
    host = meeting.host
    if "host" in minutes:
        host = _member(actor, minutes["host"], "host", "主持人", errors)
    recorder = meeting.recorder
    if "recorder" in minutes:
        recorder = _member(actor, minutes["recorder"], "recorder", "记录人", errors)
    texts = {
        key: _long(minutes[key], key, label, errors) if key in minutes else getattr(meeting, key)
        for key, label in (("agenda", "议题"), ("content", "内容"), ("decisions", "决议"))
    }
    read = _Minutes(starts_at, host, recorder, texts)
    _read_backfill(meeting, read, minutes, errors)
    return read


def _read_backfill(
    meeting: Meeting, read: _Minutes, minutes: Mapping[str, Any], errors: dict[str, str]
) -> None:
    """Whether the record is a 补录 (first recorded more than `backfill_after_days` after the
    meeting's day) and its reason, required then and dropped otherwise."""
    read.recorded_on = meeting.recorded_on if meeting.status == MeetingStatus.HELD else today()
    held_on = local_date(read.starts_at)
    after = backfill.after_days()
    read.backfilled = backfill.is_backfill(held_on, read.recorded_on, after=after)
    reason = meeting.backfill_reason
    if "backfill_reason" in minutes:
        reason = " ".join(inputs.text(minutes["backfill_reason"]).split())
    if not read.backfilled or read.recorded_on is None:
        read.backfill_reason = ""
        return
    read.backfill_reason = reason
    if not reason:
        errors["backfill_reason"] = (
            f"会议于{cn_date(held_on)}召开，{cn_date(read.recorded_on)}记录，"
            f"晚于会后{after}天，属于补录：请填写补录原因"
        )
    elif len(reason) > 500:
        errors["backfill_reason"] = "补录原因不能超过500个字"


def _work_out_attendance(
    meeting: Meeting,
    attendance: Mapping[int, tuple[str, str]] | None,
    errors: dict[str, str],
    day: dt.date,
) -> _Attendance:
    """The expected list, and for each member the status the record will hold: as given,
    else as recorded (or checked in by QR code), else 请假 with an approved leave, else 出席.

    Who votes is not the expected list's business: the quorum counts the people the
    regulations name on the meeting's day (`entitled_voters`), present only if they are on
    the sheet and attended; guests never count."""
    members = {m.pk: m for m in expected_attendees(meeting)}
    saved = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting)}
    approved = dict(
        LeaveRequest.objects.filter(meeting=meeting, status=LeaveStatus.APPROVED).values_list(
            "member_id", "reason"
        )
    )
    desired: dict[int, tuple[str, str]] = {}
    given = dict(attendance or {})
    for key in given:
        if not isinstance(key, int) or key not in members:
            errors[f"attendance.{key}"] = f"编号为 {key} 的党员不在本次会议的应到人员中"
    for pk, member in members.items():
        row = saved.get(pk)
        if pk in given:
            stated = _stated(member, row, *given[pk], errors)
            if stated is not None:
                desired[pk] = stated
        elif row is not None and (
            meeting.status == MeetingStatus.HELD or row.status == AttendanceStatus.CHECKED_IN
        ):
            desired[pk] = (row.status, row.reason)
        elif pk in approved:
            desired[pk] = (AttendanceStatus.ON_LEAVE, approved[pk])
        else:
            desired[pk] = (AttendanceStatus.PRESENT, "")
    attended = {pk for pk, (status, _) in desired.items() if status in ATTENDED}
    voting = (
        sorted(entitled_voters(meeting, day).values_list("pk", flat=True))
        if meeting.kind in QUORUM_KINDS
        else []
    )
    present_voting = sum(1 for pk in voting if pk in attended)
    return _Attendance(members, saved, desired, attended, voting, present_voting)


def _stated(
    member: Any, row: Attendance | None, status: Any, reason: Any, errors: dict[str, str]
) -> tuple[str, str] | None:
    """One member's attendance as the caller gave it, checked; None when it is not valid."""
    status = inputs.text(status)
    reason = " ".join(inputs.text(reason).split())
    key = f"attendance.{member.pk}"
    if status not in MARKABLE:
        errors[key] = f"{member.name}的出勤状态不正确，可选：{'、'.join(MARKABLE.values())}"
        return None
    if len(reason) > 200:
        errors[key] = f"{member.name}的原因不能超过200个字"
    if status == AttendanceStatus.ON_LEAVE and not reason:
        errors[key] = f"{member.name}请假，请填写请假事由"
    if status == AttendanceStatus.PRESENT:
        reason = ""
        if row is not None and row.status == AttendanceStatus.CHECKED_IN:
            status = AttendanceStatus.CHECKED_IN
    return (status, reason)


def _check_votes(
    meeting: Meeting,
    votes: Sequence[Mapping[str, Any] | VoteInput] | None,
    people: _Attendance,
    errors: dict[str, str],
) -> list[VoteInput]:
    """The votes the record will hold (None keeps the saved ones), checked against the kind of
    meeting, the quorum and the number of voting members present."""
    vote_inputs: list[VoteInput] = []
    if votes is None:
        vote_inputs = [
            VoteInput(v.subject, v.yes, v.no, v.abstain)
            for v in Vote.objects.filter(meeting=meeting).order_by("pk")
        ]
    else:
        try:
            vote_inputs = parse_votes(votes)
        except ServiceValidationError as exc:
            errors.update(exc.errors)
    voting, present_voting = len(people.voting), people.present_voting
    if vote_inputs and meeting.kind not in DECIDING_KINDS:
        errors["votes"] = "只有支部党员大会和支部委员会会议进行表决"
    elif vote_inputs and not check_quorum(voting, present_voting):
        violation = quorum_violation(meeting.kind, voting, present_voting)
        assert violation is not None
        who = "委员" if meeting.kind == "committee_meeting" else "有表决权党员"
        errors["votes"] = (
            f"{violation.message}（须过半数{who}到会，至少{quorum_minimum(voting)}人）"
        )
    else:
        for index, vote in enumerate(vote_inputs, start=1):
            cast = vote.yes + vote.no + vote.abstain
            if cast > present_voting:
                errors[f"votes.{index}"] = (
                    f"第{index}项表决（{vote.subject}）：赞成、反对、弃权合计{cast}票，"
                    f"超过实到有表决权的党员{present_voting}人"
                )
    return vote_inputs


def _write(
    actor: Actor,
    meeting: Meeting,
    before: dict[str, Any],
    read: _Minutes,
    people: _Attendance,
    vote_inputs: list[VoteInput],
) -> RecordResult:
    """Everything is valid: write the meeting, the attendance rows that changed, the votes if
    they changed, and one audit event (none when nothing changed)."""
    desired = people.desired
    meeting.starts_at = read.starts_at
    meeting.held_on = local_date(read.starts_at)
    meeting.status = MeetingStatus.HELD
    meeting.host, meeting.recorder = read.host, read.recorder
    for key, value in read.texts.items():
        setattr(meeting, key, value)
    meeting.recorded_on = read.recorded_on
    meeting.backfilled, meeting.backfill_reason = read.backfilled, read.backfill_reason
    meeting.expected_count = len(people.members)
    meeting.present_count = len(people.attended)
    if meeting.kind in QUORUM_KINDS:
        meeting.quorum_base, meeting.quorum_present = len(people.voting), people.present_voting
    _write_attendance(meeting, people)
    new_votes = _write_votes(meeting, before["votes"], people, vote_inputs)
    after = {**_state_without_rows(meeting, desired), "votes": new_votes}
    changes = diff(before, after)
    if changes:
        meeting.save()
        record(
            actor,
            AuditAction.UPDATE,
            meeting,
            changes=changes,
            message=(
                f"{_record_label(meeting)}：应到{meeting.expected_count}人，"
                f"实到{meeting.present_count}人，"
                f"请假{len(after['on_leave'])}人，缺席{len(after['absent'])}人"
            ),
        )
    counts = {s: sum(1 for st, _ in desired.values() if st == s) for s in AttendanceStatus.values}
    return RecordResult(
        meeting=meeting,
        expected=meeting.expected_count,
        present=meeting.present_count,
        on_leave=counts[AttendanceStatus.ON_LEAVE],
        absent=counts[AttendanceStatus.ABSENT],
        changed=bool(changes),
    )


def _record_label(meeting: Meeting) -> str:
    """ "记录会议", or "补录会议（召开于…，…记录）" for a 补录 (the reason is in the changes)."""
    if not meeting.backfilled or meeting.recorded_on is None or meeting.held_on is None:
        return "记录会议"
    late = backfill.days_late(meeting.held_on, meeting.recorded_on)
    return f"补录会议（{cn_date(meeting.held_on)}召开，会后第{late}天记录）"


def _write_attendance(meeting: Meeting, people: _Attendance) -> None:
    new_rows, changed_rows = [], []
    for pk, (status, reason) in people.desired.items():
        row = people.saved.get(pk)
        if row is None:
            new_rows.append(Attendance(meeting=meeting, member_id=pk, status=status, reason=reason))
        elif (row.status, row.reason) != (status, reason):
            row.status, row.reason = status, reason
            changed_rows.append(row)
    Attendance.objects.bulk_create(new_rows, batch_size=500)
    Attendance.objects.bulk_update(changed_rows, ["status", "reason"], batch_size=500)


def _write_votes(
    meeting: Meeting, old_votes: list, people: _Attendance, vote_inputs: list[VoteInput]
) -> list[list]:
    """Replace the votes when they changed; the votes as the audit event shows them."""
    voting, present_voting = len(people.voting), people.present_voting
    new_votes = [[v.subject, voting, present_voting, v.yes, v.no, v.abstain] for v in vote_inputs]
    if new_votes != old_votes:
        Vote.objects.filter(meeting=meeting).delete()
        Vote.objects.bulk_create(
            Vote(
                meeting=meeting,
                subject=subject,
                voting_members=voting_members,
                present_voting=present,
                yes=yes,
                no=no,
                abstain=abstain,
            )
            for subject, voting_members, present, yes, no, abstain in new_votes
        )
    return new_votes


def _state_without_rows(meeting: Meeting, desired: Mapping[int, tuple[str, str]]) -> dict:
    """`_state` computed from the values about to be saved (no query)."""
    return {
        **_meeting_fields(meeting),
        "on_leave": sorted(m for m, (s, _) in desired.items() if s == AttendanceStatus.ON_LEAVE),
        "absent": sorted(m for m, (s, _) in desired.items() if s == AttendanceStatus.ABSENT),
        "checked_in": sorted(
            m for m, (s, _) in desired.items() if s == AttendanceStatus.CHECKED_IN
        ),
    }
