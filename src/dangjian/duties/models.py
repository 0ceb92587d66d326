"""Responsibility system (党建工作责任制): duty lists, work items sent down the tree, evidence.

A work item (WorkItem, never "task": that word is for background jobs) belongs to the
organization that must do it. An item sent down has a parent: the sender's item. A receiver may
split its item further down, so one plan item (年度党建工作要点) becomes a tree whose leaves are
the branches' items. Progress, evidence and review are recorded where they happen; every figure
above (completion, overdue, escalation) is derived from these rows.
"""

from django.conf import settings
from django.db import models

from dangjian.meetings.models import MeetingKind
from dangjian.orgs.models import OrgKind, PostKind


class Responsibility(models.TextChoices):
    FIRST_RESPONSIBLE = "first_responsible", "第一责任人"
    DUAL_DUTY = "dual_duty", "一岗双责"
    DIRECT = "direct", "直接责任"
    SPECIFIC = "specific", "具体责任"
    SUPERVISION = "supervision", "监督责任"


class DutyItem(models.Model):
    """A duty an organization adds for its subtree, or its edit of a shipped default.

    The shipped defaults live in `duties/defaults.toml` (not in the database). A row here with
    the key of a default replaces that default inside `owner`'s subtree; `active=False` retires
    it there. The deepest owner wins.
    """

    owner = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="制定组织"
    )
    key = models.CharField("编号", max_length=64)
    org_kind = models.CharField("适用组织", max_length=32, choices=OrgKind.choices)
    post_kind = models.CharField("职务", max_length=32, choices=PostKind.choices)
    responsibility = models.CharField(
        "责任类型", max_length=32, choices=Responsibility.choices, blank=True
    )
    title = models.CharField("职责", max_length=200)
    text = models.TextField("内容", blank=True)
    source = models.CharField("依据", max_length=200, blank=True)
    meeting_kinds = models.JSONField("关联会议类型", default=list, blank=True)
    order = models.PositiveSmallIntegerField("顺序", default=100)
    active = models.BooleanField("有效", default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "责任清单条目"
        verbose_name_plural = "责任清单条目"
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="unique_duty_key_per_owner")
        ]

    def __str__(self) -> str:
        return self.title

    def audit_fields(self) -> dict:
        return {
            "owner": self.owner_id,
            "key": self.key,
            "org_kind": self.org_kind,
            "post_kind": self.post_kind,
            "responsibility": self.responsibility,
            "title": self.title,
            "text": self.text,
            "source": self.source,
            "meeting_kinds": list(self.meeting_kinds or []),
            "order": self.order,
            "active": self.active,
        }


class EvidenceKind(models.TextChoices):
    NONE = "none", "无需佐证"
    MEETING = "meeting", "会议记录"
    DOCUMENT = "document", "文件材料"
    FIGURE = "figure", "数据"


class WorkStatus(models.TextChoices):
    OPEN = "open", "办理中"
    SUBMITTED = "submitted", "待验收"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已完成"
    WITHDRAWN = "withdrawn", "已撤回"


# Statuses in which the item is the receiver's to move (reminders, overdue).
PENDING = frozenset({WorkStatus.OPEN, WorkStatus.RETURNED})


class WorkItem(models.Model):
    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="work_items",
        verbose_name="承办组织",
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    # The top of the item's tree (itself for a plan item): the whole tree is one query.
    root = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField("事项", max_length=200)
    description = models.TextField("要求", blank=True)
    plan_year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    deadline = models.DateField("截止日期")
    responsible_post = models.CharField(
        "责任岗位", max_length=32, choices=PostKind.choices, blank=True
    )
    evidence_kind = models.CharField(
        "完成佐证", max_length=16, choices=EvidenceKind.choices, default=EvidenceKind.NONE
    )
    evidence_meeting_kind = models.CharField(
        "会议类型", max_length=32, choices=MeetingKind.choices, blank=True
    )
    evidence_note = models.CharField("佐证说明", max_length=200, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=WorkStatus.choices, default=WorkStatus.OPEN
    )
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    # The Asia/Shanghai date the work was accepted as done (on time: completed_on <= deadline
    # counts the submission date, see `services.accept`).
    completed_on = models.DateField("完成日期", null=True, blank=True)
    # Set by `dangjian tick` the first day the item is found past its deadline and not done.
    overdue_since = models.DateField("逾期起始", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "工作任务"
        verbose_name_plural = "工作任务"
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["organization", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def sender_id(self):
        return self.parent.organization_id if self.parent_id else None

    def audit_fields(self) -> dict:
        return {
            "organization": self.organization_id,
            "parent": self.parent_id,
            "title": self.title,
            "description": self.description,
            "plan_year": self.plan_year,
            "deadline": self.deadline,
            "responsible_post": self.responsible_post,
            "evidence_kind": self.evidence_kind,
            "evidence_meeting_kind": self.evidence_meeting_kind,
            "evidence_note": self.evidence_note,
            "status": self.status,
            "progress": self.progress,
            "completed_on": self.completed_on,
            "overdue_since": self.overdue_since,
        }


class EventKind(models.TextChoices):
    SENT = "sent", "下发"
    SPLIT = "split", "分解"
    PROGRESS = "progress", "进展"
    EVIDENCE = "evidence", "佐证"
    SUBMITTED = "submitted", "提交验收"
    ACCEPTED = "accepted", "验收通过"
    RETURNED = "returned", "退回"
    OVERDUE = "overdue", "逾期"
    WITHDRAWN = "withdrawn", "撤回"


class WorkEvent(models.Model):
    """The item's timeline as its people see it (the audit log keeps the full diff)."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    note = models.CharField("说明", max_length=500, blank=True)
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.note}"


class Evidence(models.Model):
    """What shows the work is done: a link to a record in the platform, a file, or a figure."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=16, choices=EvidenceKind.choices)
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="duties/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    figure = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"

    def __str__(self) -> str:
        if self.meeting_id:
            return str(self.meeting)
        return self.original_name or self.note or str(self.figure)

    def audit_fields(self) -> dict:
        return {
            "item": self.item_id,
            "kind": self.kind,
            "meeting": self.meeting_id,
            "name": self.original_name,
            "size": self.size,
            "figure": self.figure,
            "note": self.note,
        }
