"""The dossier's organizational life: every meeting held in the period, its attendance counts and
its minutes' decisions."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from dangjian.core.dossier import Section, Table, register
from dangjian.meetings import findings as compliance
from dangjian.meetings.models import (
    ATTENDED,
    Attachment,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Vote,
)
from dangjian.orgs.models import Organization


def meeting_tables(org, start, end) -> list[Table]:
    table = Table(
        "已召开的会议",
        ["组织", "日期", "类型", "主题", "应到", "实到", "请假", "缺席", "补录"],
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
            "backfilled",
            "backfill_reason",
        )
    )
    for name, held_on, kind, topic, *counts, backfilled, reason in meetings:
        mark = f"补录：{reason}" if backfilled else ""
        table.rows.append([name, held_on, MeetingKind(kind).label, topic, *counts, mark])
    held = Meeting.objects.filter(
        organization__path__startswith=org.path,
        status=MeetingStatus.HELD,
        held_on__gte=start,
        held_on__lte=end,
    )
    minutes = Table("会议记录", ["组织", "日期", "类型", "议题", "内容", "决议"])
    for name, held_on, kind, agenda, content, decisions in held.order_by(
        "organization__path", "held_on", "pk"
    ).values_list("organization__name", "held_on", "kind", "agenda", "content", "decisions"):
        minutes.rows.append([name, held_on, MeetingKind(kind).label, agenda, content, decisions])
    votes = Table(
        "表决", ["组织", "日期", "表决事项", "应到有表决权", "实到有表决权", "赞成", "反对", "弃权"]
    )
    for row in (
        Vote.objects.filter(meeting__in=held)
        .order_by("meeting__organization__path", "meeting__held_on", "pk")
        .values_list(
            "meeting__organization__name",
            "meeting__held_on",
            "subject",
            "voting_members",
            "present_voting",
            "yes",
            "no",
            "abstain",
        )
    ):
        votes.rows.append(list(row))
    return [table, minutes, votes]


def finding_tables(org, start, end) -> list[Table]:
    """Findings that are not met or at risk, per year of the period, judged as of the period's
    end (so that the same period gives the same findings whenever it is generated), with the
    citation and the explanation a secretary gave."""
    table = Table("检查发现", ["组织", "规则", "期间", "状态", "说明", "依据", "情况说明"])
    names = dict(Organization.objects.filter(path__startswith=org.path).values_list("pk", "name"))
    for year in range(start.year, end.year + 1):
        as_of = min(end, dt.date(year, 12, 31))
        report = compliance.compute(org, year, today=as_of)
        for f in report.all_findings():
            if f.status not in (compliance.VIOLATED, compliance.AT_RISK):
                continue
            reason = f.explanation.reason if f.explanation else ""
            table.rows.append(
                [
                    names.get(f.org_id, ""),
                    f.rule_id,
                    f.period_label,
                    compliance.STATUS_LABELS[f.status],
                    f.message,
                    f.citation,
                    reason,
                ]
            )
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
register(Section("findings", "检查发现", finding_tables, order=35))
