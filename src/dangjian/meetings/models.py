"""Organizational life (组织生活): meetings, attendance, leave, votes, minutes, attachments."""

from django.conf import settings
from django.db import models

from dangjian.regulations.meetings import check_quorum, vote_passes


class MeetingKind(models.TextChoices):
    GENERAL_MEETING = "general_meeting", "支部党员大会"
    COMMITTEE_MEETING = "committee_meeting", "支部委员会会议"
    GROUP_MEETING = "group_meeting", "党小组会"
    PARTY_LECTURE = "party_lecture", "党课"
    THEME_DAY = "theme_day", "主题党日"
    ORG_LIFE_MEETING = "org_life_meeting", "组织生活会"
    MEMBER_APPRAISAL = "member_appraisal", "民主评议党员"
    DEMOCRATIC_LIFE_MEETING = "democratic_life_meeting", "民主生活会"
    CENTRAL_GROUP_STUDY = "central_group_study", "理论学习中心组学习"
    HEART_TO_HEART_TALK = "heart_to_heart_talk", "谈心谈话"


# 三会一课: the first four kinds together.
THREE_MEETINGS_ONE_LECTURE = frozenset(
    {
        MeetingKind.GENERAL_MEETING,
        MeetingKind.COMMITTEE_MEETING,
        MeetingKind.GROUP_MEETING,
        MeetingKind.PARTY_LECTURE,
    }
)
# Meetings that decide by vote (quorum and passing thresholds apply).
DECIDING_KINDS = frozenset({MeetingKind.GENERAL_MEETING, MeetingKind.COMMITTEE_MEETING})


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "计划"
    HELD = "held", "已召开"
    CANCELLED = "cancelled", "已取消"


class MeetingSeries(models.Model):
    """A recurring plan, e.g. 主题党日 on a fixed day each month."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="meeting_series"
    )
    kind = models.CharField("类型", max_length=32, choices=MeetingKind.choices)
    topic = models.CharField("主题", max_length=200, blank=True)
    day_of_month = models.PositiveSmallIntegerField("每月几日")
    start_time = models.TimeField("开始时间")
    place = models.CharField("地点", max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "固定会议计划"
        verbose_name_plural = "固定会议计划"

    def __str__(self) -> str:
        return f"{self.organization} {self.get_kind_display()} 每月{self.day_of_month}日"


class Meeting(models.Model):
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="meetings", verbose_name="组织"
    )
    kind = models.CharField("类型", max_length=32, choices=MeetingKind.choices)
    topic = models.CharField("主题", max_length=200)
    starts_at = models.DateTimeField("时间")
    place = models.CharField("地点", max_length=200, blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    # The Asia/Shanghai date the meeting was held (null unless held): every frequency figure is
    # an aggregate over this indexed column, identical on every database engine.
    held_on = models.DateField("召开日期", null=True, blank=True)
    host = models.ForeignKey(
        "members.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="主持人",
    )
    recorder = models.ForeignKey(
        "members.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="记录人",
    )
    invited = models.CharField("列席、邀请人员", max_length=500, blank=True)
    series = models.ForeignKey(
        MeetingSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    # Minutes (会议记录)
    agenda = models.TextField("议题", blank=True)
    content = models.TextField("内容", blank=True)
    decisions = models.TextField("决议", blank=True)
    # 应到 / 实到, kept with the record so a member who later leaves does not rewrite history.
    expected_count = models.PositiveIntegerField("应到", default=0)
    present_count = models.PositiveIntegerField("实到", default=0)
    # The quorum's figures, from the membership history on the meeting's day, kept with the
    # record (第十一条/第十二条): for a 党员大会 the full members of the branch (有表决权) and those
    # of them present; for a 支委会 the 委员 seated and those of them present. Guests and a
    # planner's narrowed list do not move them. None for other kinds.
    quorum_base = models.PositiveIntegerField("应到会有表决权人数", null=True, blank=True)
    quorum_present = models.PositiveIntegerField("实到有表决权人数", null=True, blank=True)
    # 补录 (issue 12): the day (China) the meeting was first recorded as held, and whether that
    # was more than the pack's `backfill_after_days` after the day it was held; a 补录 keeps
    # its reason. Meetings recorded before these fields existed have no `recorded_on`.
    recorded_on = models.DateField("首次记录日期", null=True, blank=True)
    backfilled = models.BooleanField("补录", default=False)
    backfill_reason = models.CharField("补录原因", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "会议"
        verbose_name_plural = "会议"
        indexes = [
            models.Index(fields=["organization", "held_on"]),
            models.Index(fields=["status", "held_on"]),
            models.Index(fields=["organization", "starts_at"]),
            # A year's meetings of the kinds that count as study, for a whole tree
            # (study.hours, the findings report's study column).
            models.Index(fields=["kind", "starts_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        """The heading: "支部党员大会：学习党章", or the topic alone when it already names the kind
        ("2026年12月主题党日")."""
        label = self.get_kind_display()
        return self.topic if label in self.topic else f"{label}：{self.topic}"

    def audit_fields(self) -> dict:
        return {
            "organization": self.organization_id,
            "kind": self.kind,
            "topic": self.topic,
            "starts_at": self.starts_at,
            "place": self.place,
            "status": self.status,
            "host": self.host_id,
            "recorder": self.recorder_id,
            "expected_count": self.expected_count,
            "present_count": self.present_count,
            "quorum_base": self.quorum_base,
            "quorum_present": self.quorum_present,
            "agenda": self.agenda,
            "decisions": self.decisions,
            "recorded_on": self.recorded_on,
            "backfilled": self.backfilled,
            "backfill_reason": self.backfill_reason,
        }


class ExpectedAttendee(models.Model):
    """A member the planner chose to expect at a meeting (应到人员).

    A meeting with no rows expects its default list (`queries.default_attendees`), so plans made
    before this table existed, and every plan left as it was proposed, follow the organization
    as it is on the day; rows are written only when the planner narrowed or widened that list.
    Once the meeting is held its attendance rows are the record and these are no longer read.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="expected_rows")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = "应到人员"
        verbose_name_plural = "应到人员"
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"], name="one_expected_row_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.member_id}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "出席"
    CHECKED_IN = "checked_in", "签到"
    ON_LEAVE = "on_leave", "请假"
    ABSENT = "absent", "缺席"


ATTENDED = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.CHECKED_IN})


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="attendance"
    )
    status = models.CharField(max_length=12, choices=AttendanceStatus.choices)
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "出勤"
        verbose_name_plural = "出勤"
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_per_member")
        ]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self) -> str:
        return f"{self.member} {self.get_status_display()}"


class LeaveStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "未批准"


class LeaveRequest(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="leave_requests")
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="leave_requests"
    )
    reason = models.CharField("请假事由", max_length=200)
    status = models.CharField(
        max_length=10, choices=LeaveStatus.choices, default=LeaveStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Approved, but the member checked in after all (issue 12): present, the leave not taken.
    not_taken = models.BooleanField("请假未使用（本人已签到）", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "请假"
        verbose_name_plural = "请假"
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"], name="one_leave_request_per_meeting"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_status_display()}"


class Vote(models.Model):
    """A decision taken by vote (接收预备党员、转正…), with the 第十一条 thresholds."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="votes")
    subject = models.CharField("表决事项", max_length=200)
    voting_members = models.PositiveIntegerField("应到会有表决权人数")
    present_voting = models.PositiveIntegerField("实到有表决权人数")
    yes = models.PositiveIntegerField("赞成")
    no = models.PositiveIntegerField("反对", default=0)
    abstain = models.PositiveIntegerField("弃权", default=0)

    class Meta:
        verbose_name = "表决"
        verbose_name_plural = "表决"

    def __str__(self) -> str:
        return self.subject

    @property
    def quorate(self) -> bool:
        return check_quorum(self.voting_members, self.present_voting)

    @property
    def passed(self) -> bool:
        return self.quorate and vote_passes(self.voting_members, self.yes)


class Attachment(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="meetings/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"

    def __str__(self) -> str:
        return self.original_name


class FindingExplanation(models.Model):
    """A secretary's recorded reason for a warning-level finding ("一般" rules)."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+"
    )
    rule_id = models.CharField(max_length=64)
    period_key = models.CharField(max_length=16)
    reason = models.CharField("说明", max_length=500)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    explained_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "情况说明"
        verbose_name_plural = "情况说明"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "rule_id", "period_key"], name="one_explanation_per_finding"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.period_key}"


class LoadedRulePack(models.Model):
    """The rule packs in force and their checksum, so a changed local pack is noticed and audited."""

    pack_id = models.CharField(max_length=64, unique=True)
    source = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.pack_id
