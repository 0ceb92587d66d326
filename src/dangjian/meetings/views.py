"""Meeting pages: thin; every object fetched for this user through the access helpers."""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dangjian.accounts.access import Action, get_org_for_user, scope_for, visible_orgs
from dangjian.audit.services import Actor
from dangjian.core import clock, uploads
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import backfill, services
from dangjian.meetings.forms import (
    VOTE_ROWS,
    MinutesForm,
    PlanForm,
    SeriesForm,
    add_service_errors,
    minutes_template,
    parse_attendance,
    parse_vote_rows,
)
from dangjian.meetings.models import (
    DECIDING_KINDS,
    Attachment,
    Attendance,
    AttendanceStatus,
    LeaveRequest,
    LeaveStatus,
    MeetingKind,
    MeetingSeries,
    MeetingStatus,
)
from dangjian.meetings.queries import (
    MEETING_ORG_KINDS,
    SEATED_ORG_KINDS,
    MeetingFilter,
    attendance_sheet,
    attendee_candidates,
    can_manage,
    can_read_records,
    default_attendee_ids,
    default_attendees,
    default_org,
    get_meeting_for_user,
    is_expected,
    mark_voters,
    meeting_list,
    own_member,
)
from dangjian.orgs.models import Organization, OrgKind, Post, PostKind
from dangjian.regulations.meetings import quorum_minimum
from dangjian.regulations.periods import TZ, local_date

WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]


def _org_from_query(request, action: Action = Action.READ) -> Organization:
    code = (request.GET.get("org") or request.POST.get("org") or "").strip().upper()
    if not code:
        raise Http404("请指定组织")
    return get_org_for_user(request.user, code, action, field_name="code")


def _kind_choices(org: Organization) -> list[tuple[str, str]]:
    return [(k, MeetingKind(k).label) for k in MEETING_ORG_KINDS.get(org.kind, ())]


def _member_choices(members) -> list[tuple[int, str]]:
    return [(m.pk, m.name) for m in members]


def _month(request, today: dt.date) -> tuple[int, int]:
    raw = (request.GET.get("month") or "").strip()
    try:
        year, month = (int(part) for part in raw.split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return today.year, today.month


def _shift(year: int, month: int, by: int) -> str:
    total = year * 12 + month - 1 + by
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


@login_required
@require_GET
def calendar_view(request):
    if request.GET.get("org"):
        org = _org_from_query(request)
    else:
        org = default_org(request.user)
        if org is None:
            if scope_for(request.user).own_member_id:
                return redirect("meetings:mine")
            raise PermissionDenied("您没有查看组织生活的权限")
    today = clock.today()
    year, month = _month(request, today)
    meetings = list(meeting_list(request.user, MeetingFilter(org=org, year=year, month=month)))
    by_day: dict[dt.date, list] = {}
    for meeting in meetings:
        meeting.local_start = timezone.localtime(meeting.starts_at, TZ)
        meeting.overdue = (
            meeting.status == MeetingStatus.PLANNED and meeting.local_start.date() < today
        )
        by_day.setdefault(meeting.local_start.date(), []).append(meeting)
    weeks = [
        [
            {"date": day, "in_month": day.month == month, "meetings": by_day.get(day, [])}
            for day in week
        ]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    ]
    writable = visible_orgs(request.user, Action.WRITE)
    plan_orgs = list(
        writable.filter(path__startswith=org.path, kind__in=list(MEETING_ORG_KINDS)).order_by(
            "path"
        )[: settings.PAGE_SIZE]
    )
    series = list(
        MeetingSeries.objects.filter(organization__in=plan_orgs, active=True).select_related(
            "organization"
        )
    )
    return render(
        request,
        "meetings/calendar.html",
        {
            "org": org,
            "year": year,
            "month": month,
            "weeks": weeks,
            "weekdays": WEEKDAYS,
            "days": sorted(by_day.items()),
            "meetings": meetings,
            "today": today,
            "prev_month": _shift(year, month, -1),
            "next_month": _shift(year, month, 1),
            "plan_orgs": plan_orgs,
            "series": series,
        },
    )


# Beyond this many members (a 机关党委's whole subtree) the plan form offers no checkboxes: the
# default list applies, and the API takes a list.
MAX_ATTENDEE_CHOICES = 500


def _attendee_rows(form: PlanForm, candidates, defaults: dict[str, set[int]], kind: str) -> dict:
    """The 调整应到人员 checkboxes: as posted, or ticked for the default list of `kind`."""
    posted = form.is_bound and "attendees_kind" in form.data
    if posted:
        kind = form.data.get("attendees_kind", "")
        ticked = {int(v) for v in form.data.getlist("attendees") if v.isdigit()}
    else:
        ticked = defaults.get(kind, set())
    rows = [
        {
            "pk": m.pk,
            "name": m.name,
            "note": m.party_group.name if m.party_group_id else "",
            "kinds": " ".join(k for k, ids in defaults.items() if m.pk in ids),
            "checked": m.pk in ticked,
        }
        for m in candidates
    ]
    return {
        "attendee_rows": rows,
        "attendees_kind": kind,
        "attendee_count": sum(1 for row in rows if row["checked"]),
        "attendees_open": bool(form.errors.get("attendees"))
        or (posted and ticked != defaults.get(kind, set())),
    }


@login_required
def meeting_create(request):
    org = _org_from_query(request, Action.WRITE)
    if org.kind not in MEETING_ORG_KINDS:
        raise Http404("该组织不组织会议")
    hosts = default_attendees(
        org,
        MeetingKind.COMMITTEE_MEETING
        if org.kind in SEATED_ORG_KINDS
        else MeetingKind.GENERAL_MEETING,
    ).order_by("name_pinyin")
    kinds = _kind_choices(org)
    kind = request.GET.get("kind", "")
    shown_kind = kind if kind in dict(kinds) else kinds[0][0]
    candidates = list(attendee_candidates(request.user, org)[: MAX_ATTENDEE_CHOICES + 1])
    if len(candidates) > MAX_ATTENDEE_CHOICES:
        candidates = []
    defaults = default_attendee_ids(org) if candidates else {}
    today = clock.today()
    form = PlanForm(
        request.POST or None,
        kind_choices=kinds,
        host_choices=_member_choices(hosts),
        attendee_choices=_member_choices(candidates) if candidates else None,
        attendee_defaults=defaults,
        initial={"date": today, "time": dt.time(14, 30), "kind": kind},
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.plan_meeting(Actor.from_request(request), org, form.service_data())
        except ServiceValidationError as exc:
            if "confirm_duplicate" in exc.errors:
                form.ask_duplicate()
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"已安排会议：{meeting}")
            return redirect("meetings:detail", pk=meeting.pk)
    context = {"form": form, "org": org, "title": f"安排会议 · {org.name}"}
    if candidates:
        context.update(_attendee_rows(form, candidates, defaults, shown_kind))
    return render(request, "meetings/plan.html", context)


@login_required
def series_create(request):
    org = _org_from_query(request, Action.WRITE)
    if org.kind not in MEETING_ORG_KINDS:
        raise Http404("该组织不组织会议")
    form = SeriesForm(
        request.POST or None,
        kind_choices=_kind_choices(org),
        initial={"kind": MeetingKind.THEME_DAY, "start_time": dt.time(14, 30)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            series, created = services.plan_series(
                Actor.from_request(request), org, form.cleaned_data
            )
        except ServiceValidationError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(
                request,
                f"已建立固定计划（每月{series.day_of_month}日），安排会议 {len(created)} 次",
            )
            return redirect(f"{reverse('meetings:calendar')}?org={org.code}")
    return render(
        request,
        "meetings/plan.html",
        {"form": form, "org": org, "title": f"固定计划（每月一次） · {org.name}"},
    )


@login_required
@require_POST
def series_extend(request, pk: int):
    series = MeetingSeries.objects.filter(pk=pk).first()
    if series is None:
        raise Http404("固定计划不存在")
    org = get_org_for_user(request.user, series.organization_id, Action.WRITE)
    try:
        created = services.extend_series(Actor.from_request(request), series)
    except ServiceValidationError as exc:
        messages.error(request, "；".join(exc.errors.values()))
    else:
        messages.success(
            request, f"已续排 {len(created)} 次会议" if created else "未来12个月已安排"
        )
    return redirect(f"{reverse('meetings:calendar')}?org={org.code}")


def _vote_rows(meeting, post=None) -> list[dict]:
    """The vote lines of the record form: as posted, or the saved votes plus blank lines."""
    if post is not None:
        rows = parse_vote_rows(post)
    else:
        rows = [
            {"subject": v.subject, "yes": v.yes, "no": v.no, "abstain": v.abstain}
            for v in meeting.votes.order_by("pk")
        ]
        blank = {"subject": "", "yes": "", "no": "", "abstain": ""}
        rows += [dict(blank) for _ in range(max(1, VOTE_ROWS - len(rows)))]
    return [{"index": i, **row} for i, row in enumerate(rows, start=1)]


def _secretary_of(org: Organization) -> int | None:
    kinds = [PostKind.GROUP_LEADER] if org.kind == OrgKind.PARTY_GROUP else [PostKind.SECRETARY]
    return (
        Post.objects.filter(organization=org, kind__in=kinds, ended_on__isnull=True)
        .values_list("member_id", flat=True)
        .first()
    )


@login_required
def meeting_detail(request, pk: int):
    meeting = get_meeting_for_user(request.user, pk)
    manage = can_manage(request.user, meeting)
    records = can_read_records(request.user, meeting)
    member = own_member(request.user)
    context = {
        "meeting": meeting,
        "local_start": timezone.localtime(meeting.starts_at, TZ),
        "can_manage": manage,
        "can_read_records": records,
        "template": minutes_template(meeting.kind),
        "deciding": meeting.kind in DECIDING_KINDS,
        "can_record": manage and backfill.recordable(meeting),
        "record_not_yet": manage and not backfill.recordable(meeting) and _not_yet(meeting),
    }
    if records:
        rows = list(
            Attendance.objects.filter(meeting=meeting)
            .select_related("member")
            .order_by("member__name_pinyin")
        )
        context.update(
            attendance=rows,
            on_leave=[a for a in rows if a.status == AttendanceStatus.ON_LEAVE],
            absent=[a for a in rows if a.status == AttendanceStatus.ABSENT],
            checked_in=sum(1 for a in rows if a.status == AttendanceStatus.CHECKED_IN),
            leave_requests=list(
                meeting.leave_requests.select_related("member").order_by("status", "pk")
            ),
            votes=[
                {"vote": v, "quorate": v.quorate, "passed": v.passed}
                for v in meeting.votes.order_by("pk")
            ],
            attachments=list(meeting.attachments.order_by("pk")),
        )
        if meeting.status == MeetingStatus.PLANNED:
            # A planned meeting's 应到人员: the planner's own list when they adjusted it.
            context["chosen_attendees"] = [
                row.member
                for row in meeting.expected_rows.select_related("member").order_by(
                    "member__name_pinyin"
                )
            ]
    if member is not None:
        context["own_attendance"] = Attendance.objects.filter(
            meeting=meeting, member=member
        ).first()
        context["own_leave"] = LeaveRequest.objects.filter(meeting=meeting, member=member).first()
        context["may_ask_leave"] = (
            meeting.status == MeetingStatus.PLANNED
            and local_date(meeting.starts_at) >= clock.today()
            and is_expected(meeting, member)
            # One request at a time: a pending one is withdrawn, not silently replaced; a
            # rejected one may be asked again.
            and not (context["own_leave"] and context["own_leave"].status != LeaveStatus.REJECTED)
        )
    return render(request, "meetings/detail.html", context)


def _not_yet(meeting) -> str:
    return (
        backfill.not_yet_message(meeting.starts_at)
        if meeting.status == MeetingStatus.PLANNED
        else ""
    )


def _backfill_due(meeting) -> bool:
    """Whether the record form asks for a 补录 reason: the meeting is a 补录, or recording it
    today would make it one."""
    if meeting.backfilled or meeting.status != MeetingStatus.PLANNED:
        return meeting.backfilled
    return backfill.is_backfill(
        local_date(meeting.starts_at), clock.today(), after=backfill.after_days()
    )


def _minutes_form(request, meeting, members) -> MinutesForm:
    """The minutes form: members of the sheet (and the host and recorder) to choose from, the
    secretary as host and the user as recorder by default."""
    choices = _member_choices(members)
    extra = [
        m for m in (meeting.host, meeting.recorder) if m and m.pk not in {c[0] for c in choices}
    ]
    choices += _member_choices(extra)
    local_start = timezone.localtime(meeting.starts_at, TZ)
    own = own_member(request.user)
    initial = {
        "date": local_start.date(),
        "time": local_start.time().replace(second=0, microsecond=0),
        "host": meeting.host_id or _secretary_of(meeting.organization) or "",
        "recorder": meeting.recorder_id
        or (own.pk if own and own.pk in {m.pk for m in members} else ""),
        "agenda": meeting.agenda or meeting.topic,
        "content": meeting.content,
        "decisions": meeting.decisions,
        "backfill_reason": meeting.backfill_reason,
    }
    return MinutesForm(
        request.POST or None, kind=meeting.kind, member_choices=choices, initial=initial
    )


def _record_context(request, meeting, form, rows, errors: dict[str, str]) -> dict:
    """The record page: the sheet with its counts, the votes, the quorum, the errors."""
    voting_members = mark_voters(meeting, rows)
    attended = [row for row in rows if row.choice == AttendanceStatus.PRESENT]
    notes = [
        f"{row.member.name}（{'请假' if row.status == AttendanceStatus.ON_LEAVE else '缺席'}"
        f"{'：' + row.reason if row.reason else ''}）"
        for row in rows
        if row.status in (AttendanceStatus.ON_LEAVE, AttendanceStatus.ABSENT)
    ]
    counts = {
        "present": len(attended),
        "on_leave": sum(1 for row in rows if row.status == AttendanceStatus.ON_LEAVE),
        "absent": sum(1 for row in rows if row.status == AttendanceStatus.ABSENT),
        "voting_present": sum(1 for row in attended if row.voting),
        "summary": "；".join(notes),
    }
    return {
        "meeting": meeting,
        "form": form,
        "rows": rows,
        "errors": [v for k, v in errors.items() if k not in form.fields],
        "row_errors": {
            int(k.split(".", 1)[1]): v
            for k, v in errors.items()
            if k.startswith("attendance.") and k.split(".", 1)[1].isdigit()
        },
        "deciding": meeting.kind in DECIDING_KINDS,
        "vote_rows": _vote_rows(meeting, request.POST if request.method == "POST" else None),
        "voting_members": voting_members,
        "quorum_needed": quorum_minimum(voting_members),
        "template": minutes_template(meeting.kind),
        "statuses": [
            (AttendanceStatus.PRESENT, "出席"),
            (AttendanceStatus.ON_LEAVE, "请假"),
            (AttendanceStatus.ABSENT, "缺席"),
        ],
        "max_mb": services.max_attachment_bytes() // 1024 // 1024,
        "counts": counts,
        "show_backfill": _backfill_due(meeting) or "backfill_reason" in errors,
        "backfill_after_days": backfill.after_days(),
    }


@login_required
def meeting_record(request, pk: int):
    meeting = get_meeting_for_user(request.user, pk, Action.WRITE)
    if meeting.status == MeetingStatus.CANCELLED:
        messages.error(request, "会议已取消，不能记录")
        return redirect("meetings:detail", pk=meeting.pk)
    if not backfill.recordable(meeting):
        messages.error(request, _not_yet(meeting))
        return redirect("meetings:detail", pk=meeting.pk)
    rows = attendance_sheet(meeting)
    members = [row.member for row in rows]
    form = _minutes_form(request, meeting, members)
    errors: dict[str, str] = {}
    if request.method == "POST":
        marks = parse_attendance(request.POST, [m.pk for m in members])
        if form.is_valid():
            try:
                result = services.record_meeting(
                    Actor.from_request(request),
                    meeting,
                    attendance=marks,
                    minutes=form.service_data(),
                    votes=parse_vote_rows(request.POST) if meeting.kind in DECIDING_KINDS else None,
                    files=request.FILES.getlist("attachments"),
                )
            except ServiceValidationError as exc:
                errors = exc.errors
                add_service_errors(form, {k: v for k, v in exc.errors.items() if k in form.fields})
            else:
                messages.success(
                    request,
                    f"已保存会议记录：应到{result.expected}人，实到{result.present}人，"
                    f"请假{result.on_leave}人，缺席{result.absent}人",
                )
                return redirect("meetings:detail", pk=meeting.pk)
        # Show the sheet as the secretary left it.
        for row in rows:
            if row.member.pk in marks:
                row.status, row.reason = marks[row.member.pk]
                if row.checked_in and row.status == AttendanceStatus.PRESENT:
                    row.status = AttendanceStatus.CHECKED_IN
    return render(
        request, "meetings/record.html", _record_context(request, meeting, form, rows, errors)
    )


@login_required
@require_POST
def meeting_cancel(request, pk: int):
    meeting = get_meeting_for_user(request.user, pk, Action.WRITE)
    try:
        services.cancel_meeting(
            Actor.from_request(request), meeting, request.POST.get("reason", "")[:200]
        )
    except ServiceValidationError as exc:
        messages.error(request, "；".join(exc.errors.values()))
    else:
        messages.success(request, "会议已取消")
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
@require_POST
def attachment_upload(request, pk: int):
    meeting = get_meeting_for_user(request.user, pk, Action.WRITE)
    try:
        count = services.add_attachments(
            Actor.from_request(request), meeting, request.FILES.getlist("files")
        )
    except ServiceValidationError as exc:
        messages.error(request, "；".join(exc.errors.values()))
    else:
        messages.success(request, f"已上传 {count} 个附件")
    return redirect("meetings:detail", pk=meeting.pk)


def _attachment_for(request, pk: int, action: Action) -> Attachment:
    attachment = Attachment.objects.filter(pk=pk).first()
    if attachment is None:
        raise Http404("附件不存在")
    meeting = get_meeting_for_user(request.user, attachment.meeting_id, action)
    if not can_read_records(request.user, meeting):
        raise Http404("附件不存在")
    attachment.meeting = meeting
    return attachment


@login_required
@require_GET
def attachment_download(request, pk: int):
    """Attachments are served only here, after the access check; never from a public URL."""
    attachment = _attachment_for(request, pk, Action.READ)
    return uploads.file_response(
        lambda: attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
        missing="附件文件不存在",
        inline=attachment.content_type in uploads.INLINE_TYPES,
    )


@login_required
@require_POST
def attachment_delete(request, pk: int):
    attachment = _attachment_for(request, pk, Action.WRITE)
    services.remove_attachment(Actor.from_request(request), attachment)
    messages.success(request, f"已删除附件 {attachment.original_name}")
    return redirect("meetings:detail", pk=attachment.meeting_id)
