"""The dossier's organizational life: every meeting held in the period, its attendance counts and
its minutes' decisions."""

from __future__ import annotations

from django.db.models import Count, Q

from dangjian.core.dossier import Section, Table, register
from dangjian.meetings.models import (
    ATTENDED,
    Attachment,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
)


def meeting_tables(org, start, end) -> list[Table]:
    table = Table(
        "已召开的会议",
        ["组织", "日期", "类型", "主题", "应到", "实到", "请假", "缺席"],
    )
    meetings = (
        Meeting.objects.filter(
            organization__path__startswith=org.path,
            status=MeetingStatus.HELD,
            held_on__gte=start,
            held_on__lte=end,
        )
        .annotate(
            expected=Count("attendance"),
            present=Count("attendance", filter=Q(attendance__status__in=list(ATTENDED))),
            leave=Count("attendance", filter=Q(attendance__status=AttendanceStatus.ON_LEAVE)),
            absent=Count("attendance", filter=Q(attendance__status=AttendanceStatus.ABSENT)),
        )
        .order_by("organization__path", "held_on", "pk")
        .values_list(
            "organization__name",
            "held_on",
            "kind",
            "topic",
            "expected",
            "present",
            "leave",
            "absent",
        )
    )
    for name, held_on, kind, topic, *counts in meetings:
        table.rows.append([name, held_on, MeetingKind(kind).label, topic, *counts])
    return [table]


def meeting_attachments(org, start, end) -> list[tuple[str, object]]:
    """The held meetings' attachments, named by meeting date and id (the uploader's file name
    kept after them, so two files never collide)."""
    found = (
        Attachment.objects.filter(
            meeting__organization__path__startswith=org.path,
            meeting__status=MeetingStatus.HELD,
            meeting__held_on__gte=start,
            meeting__held_on__lte=end,
        )
        .select_related("meeting")
        .order_by("meeting__held_on", "meeting_id", "pk")
    )
    return [
        (f"{a.meeting.held_on:%Y%m%d}-{a.meeting_id}-{a.pk}-{a.original_name}", a.file)
        for a in found
    ]


register(Section("meetings", "组织生活", meeting_tables, order=30, attachments=meeting_attachments))
