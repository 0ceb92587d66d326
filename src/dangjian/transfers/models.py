"""One organization-relationship transfer (组织关系转接) per member move across branches, out of
the platform, or into it from outside.

The member stays in the sending branch (roster, dues, organizational life, the membership
history) until the receipt is recorded (党员教育管理工作条例 第二十五条); only `services.receive`
writes the history, through members' services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TransferKind(models.TextChoices):
    WITHIN = "within", "系统内转接"
    OUT = "out", "转出至系统外"
    IN = "in", "从系统外转入"


class TransferStatus(models.TextChoices):
    APPLIED = "applied", "已申请，待转出方审核"
    APPROVED = "approved", "已开具介绍信，待转入方接收"
    COMPLETED = "completed", "已完成"
    RETURNED = "returned", "已退回"
    CANCELLED = "cancelled", "已撤销"


OPEN_STATUSES = (TransferStatus.APPLIED, TransferStatus.APPROVED)

# The steps a transfer's page lists, in the order they happen.
STEP_LABELS = {
    "start": "转出方申请",
    "register": "登记系统外介绍信",
    "approve": "转出方审核，开具介绍信",
    "receive": "转入方接收",
    "receipt": "回执已收回",
    "return": "退回",
    "cancel": "撤销",
}


class Transfer(models.Model):
    """A transfer and its steps. `str()` is the record number: audit events, notices and logs
    never carry the member's name or identity data."""

    kind = models.CharField("转接类型", max_length=8, choices=TransferKind.choices)
    status = models.CharField(
        "状态", max_length=12, choices=TransferStatus.choices, default=TransferStatus.APPLIED
    )
    # Null for a transfer in from outside until the member is received (then the new record).
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="transfers"
    )
    # The name on the letter of a transfer in from outside (the member's record is created only
    # when they report in); for the other kinds the member's own name is shown.
    person_name = models.CharField("姓名", max_length=50, blank=True)
    from_organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers_out",
    )
    from_name = models.CharField("转出党组织（系统外）", max_length=200, blank=True)
    to_organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers_in",
    )
    to_name = models.CharField("转入党组织（系统外）", max_length=200, blank=True)
    # Who is responsible for the member until the receipt (第二十五条): the sending branch, or the
    # receiving branch for a letter from outside. The findings and their cache read it.
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="transfers_managed"
    )
    to_address = models.CharField("转入党组织地址", max_length=200, blank=True)
    reason = models.CharField("转接原因", max_length=200)
    applied_on = models.DateField("申请日期")
    approved_on = models.DateField("介绍信开具日期", null=True, blank=True)
    valid_until = models.DateField("介绍信有效期至", null=True, blank=True)
    letter_number = models.CharField("介绍信编号", max_length=40, blank=True, db_index=True)
    received_on = models.DateField("接收日期", null=True, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    return_reason = models.CharField("退回理由", max_length=500, blank=True)
    late_note = models.CharField("逾期报到证明", max_length=500, blank=True)
    # The last month of dues paid when the letter was issued (the first of that month).
    dues_paid_until = models.DateField("党费交至", null=True, blank=True)
    # The member's id while the transfer is open, NULL once closed: a unique column, so a second
    # open transfer for the same member is refused by the database too (NULLs never collide on
    # SQLite, PostgreSQL and MariaDB; a partial index would be ignored by MariaDB).
    open_key = models.PositiveIntegerField(null=True, blank=True, unique=True, editable=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "组织关系转接"
        verbose_name_plural = "组织关系转接"
        ordering = ["-applied_on", "-pk"]
        indexes = [
            models.Index(fields=["status", "valid_until"]),
        ]

    def __str__(self) -> str:
        return f"组织关系转接#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def name(self) -> str:
        return self.member.name if self.member_id and self.member else self.person_name

    @property
    def from_label(self) -> str:
        return self.from_organization.name if self.from_organization else self.from_name

    @property
    def to_label(self) -> str:
        return self.to_organization.name if self.to_organization else self.to_name

    def audit_fields(self) -> dict:
        """What the audit log keeps: ids, dates and states; never a name or an identity."""
        return {
            "kind": self.kind,
            "status": self.status,
            "member": self.member_id,
            "organization": self.organization_id,
            "from_organization": self.from_organization_id,
            "to_organization": self.to_organization_id,
            "to_name": self.to_name,
            "applied_on": self.applied_on,
            "approved_on": self.approved_on,
            "valid_until": self.valid_until,
            "letter_number": self.letter_number,
            "received_on": self.received_on,
            "closed_on": self.closed_on,
            "dues_paid_until": self.dues_paid_until,
        }


class TransferStep(models.Model):
    """One step of a transfer as it happened: who, when, what (the page shows them in order)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField("步骤", max_length=16)
    done_on = models.DateField("日期")
    note = models.CharField("说明", max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField("办理人", max_length=100, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "组织关系转接步骤"
        verbose_name_plural = "组织关系转接步骤"
        ordering = ["transfer", "pk"]

    def __str__(self) -> str:
        return f"{self.transfer} {self.action}"

    @property
    def label(self) -> str:
        return STEP_LABELS.get(self.action, self.action)


class MobileRecord(models.Model):
    """流动党员: a member working or living away who keeps their organization relationship in the
    branch (away less than six months, or without a fixed place) and takes part in the life of a
    party organization where they are (流动党员活动证). One open record per member (`open_key`,
    the member's id while open, NULL once they are back). The branch sees the records; the
    statistics see counts only."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="mobile_records"
    )
    place = models.CharField("外出地点（单位）", max_length=200)
    since = models.DateField("外出日期")
    fixed_place = models.BooleanField("在固定地点", default=False)
    contact_org = models.CharField("联系的流入地党组织", max_length=200, blank=True)
    certificate = models.CharField("流动党员活动证编号", max_length=40, blank=True)
    ended_on = models.DateField("返回日期", null=True, blank=True)
    open_key = models.PositiveIntegerField(null=True, blank=True, unique=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "流动党员记录"
        verbose_name_plural = "流动党员记录"

    def __str__(self) -> str:
        return f"流动党员记录#{self.pk}"

    def audit_fields(self) -> dict:
        """No place or contact text: the member's id, the dates and whether the place is fixed."""
        return {
            "member": self.member_id,
            "since": self.since,
            "fixed_place": self.fixed_place,
            "ended_on": self.ended_on,
        }


class AbsenceKind(models.TextChoices):
    LOST_CONTACT = "lost_contact", "失去联系"
    ABROAD = "abroad", "出国出境"


class AbsenceRecord(models.Model):
    """A member out of contact with the party organization (失去联系), or abroad (出国出境),
    since a day, with the branch's dated decisions: 停止党籍 (`suspended_on`) and, two years
    later still out of contact, 除名 (`removed_on`). One open record per member (`open_key`, the
    member's id until contact is regained, the member is back, or removed). No place or text is
    kept: the findings need the dates only (党员教育管理工作条例 第二十四条)."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="absence_records"
    )
    kind = models.CharField("类别", max_length=16, choices=AbsenceKind.choices)
    since = models.DateField("起始日期")
    ended_on = models.DateField("恢复联系（返回）日期", null=True, blank=True)
    suspended_on = models.DateField("停止党籍日期", null=True, blank=True)
    removed_on = models.DateField("除名日期", null=True, blank=True)
    open_key = models.PositiveIntegerField(null=True, blank=True, unique=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "失去联系与出国出境记录"
        verbose_name_plural = "失去联系与出国出境记录"

    def __str__(self) -> str:
        return f"失联出境记录#{self.pk}"

    def audit_fields(self) -> dict:
        return {
            "member": self.member_id,
            "kind": self.kind,
            "since": self.since,
            "ended_on": self.ended_on,
            "suspended_on": self.suspended_on,
            "removed_on": self.removed_on,
        }
