"""Dues assessments (核定, base encrypted at rest) and monthly payments (收缴登记)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models

from dangjian.regulations.dues import KIND_LABELS, DuesKind


class PayMethod(models.TextChoices):
    CASH = "cash", "现金"
    TRANSFER = "transfer", "转账"
    PAYROLL = "payroll", "工资代扣（本人授权）"


class Assessment(models.Model):
    """A member's monthly amount from `effective_from` (the first of a month) on.

    Set once a year (年初核定); a new row within the year re-bases from the month the new pay
    was first received (第十条). The base is SM4-encrypted: only the branch's dues managers and
    the member see it, every reveal audited; the amount is stored plainly (it is what is paid).
    """

    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="dues_assessments"
    )
    effective_from = models.DateField("起始月份")
    kind = models.CharField(
        "交纳类别", max_length=16, choices=[(k.value, v) for k, v in KIND_LABELS.items()]
    )
    base_encrypted = models.TextField(blank=True, editable=False)
    amount = models.DecimalField("月交纳额", max_digits=10, decimal_places=2)
    rate = models.DecimalField("比例", max_digits=6, decimal_places=4, null=True, blank=True)
    bracket = models.CharField("档次", max_length=60)
    rule_id = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "党费核定"
        verbose_name_plural = "党费核定"
        constraints = [
            models.UniqueConstraint(
                fields=["member", "effective_from"], name="dues_one_assessment_per_month"
            )
        ]
        ordering = ["member", "effective_from"]

    def __str__(self) -> str:
        return f"党费核定#{self.pk}"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[DuesKind(self.kind)]


class Payment(models.Model):
    """One month paid by one member, recorded by the branch where membership is held."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="dues")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="dues_payments"
    )
    month = models.DateField("所属月份")  # the first of the month
    amount = models.DecimalField("金额", max_digits=10, decimal_places=2)
    paid_on = models.DateField("交纳日期")
    method = models.CharField("方式", max_length=16, choices=PayMethod.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "党费交纳"
        verbose_name_plural = "党费交纳"
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="dues_one_payment_per_month")
        ]
        indexes = [models.Index(fields=["organization", "month"])]

    def __str__(self) -> str:
        return f"党费交纳#{self.pk}"


class ExtraPayment(models.Model):
    """A voluntary one-off payment beyond the monthly dues (第十一条). One of 1,000 元 or more
    goes to the centre in full (`to_centre`, from the pack's `voluntary_threshold`)."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="dues_extra"
    )
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="dues_extra"
    )
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2)
    paid_on = models.DateField("交纳日期")
    to_centre = models.BooleanField("全额上缴中央", default=False)
    # The branch's hand-over that carried it up (null until then): the first one of a month
    # not before the month it was paid.
    handover = models.ForeignKey(
        "Handover", on_delete=models.PROTECT, null=True, blank=True, related_name="carried_extras"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "自愿多交党费"
        verbose_name_plural = "自愿多交党费"

    def __str__(self) -> str:
        return f"自愿多交党费#{self.pk}"


class Handover(models.Model):
    """Dues of one month handed from an organization to the level above (上缴). The amount is
    the organization's ledger for the month (a branch) or the sum of what its branches handed
    over (a 机关党委), so the two always balance."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="dues_handovers"
    )
    to_organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="dues_received"
    )
    month = models.DateField("所属月份")
    amount = models.DecimalField("金额", max_digits=14, decimal_places=2)
    payments = models.PositiveIntegerField("笔数")
    # Voluntary payments (第十一条) carried with it: below the threshold they go up with the
    # dues; 1,000 元 or more go up in full to the centre, kept apart at every level.
    extra_amount = models.DecimalField(
        "随党费上缴的自愿多交党费", max_digits=14, decimal_places=2, default=0
    )
    to_centre_amount = models.DecimalField(
        "全额上缴中央的自愿多交党费", max_digits=14, decimal_places=2, default=0
    )
    extra_payments = models.PositiveIntegerField("自愿多交笔数", default=0)
    handed_on = models.DateField("上缴日期")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "党费上缴"
        verbose_name_plural = "党费上缴"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "month"], name="dues_one_handover_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"党费上缴#{self.pk}"

    @property
    def total(self):
        return self.amount + self.extra_amount + self.to_centre_amount


class ReliefKind(models.TextChoices):
    REDUCE = "reduce", "少交"
    EXEMPT = "exempt", "免交"


class ReliefStatus(models.TextChoices):
    PENDING = "pending", "待上级党委批准"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "未批准"


class Relief(models.Model):
    """Hardship reduction or exemption (减免): the branch's decision (支部研究), then the upper
    党委's approval (报上一级党委批准). Only an approved relief changes what is owed, and only
    from the month of the approval (`effective_from`) to `last_month`. The reason may tell of
    illness or hardship: it is shown to the member, the branch and the approver, never audited.
    """

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="dues_reliefs"
    )
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="dues_reliefs"
    )
    kind = models.CharField("减免方式", max_length=8, choices=ReliefKind.choices)
    amount = models.DecimalField(
        "减免后月交纳额", max_digits=10, decimal_places=2, null=True, blank=True
    )
    first_month = models.DateField("起始月份")
    last_month = models.DateField("截止月份")
    reason = models.TextField("困难情况")
    decided_on = models.DateField("支部研究日期")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "状态", max_length=10, choices=ReliefStatus.choices, default=ReliefStatus.PENDING
    )
    approver_organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="dues_reliefs_approved",
        null=True,
        blank=True,
    )
    approved_on = models.DateField("上级党委批复日期", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approval_note = models.CharField("批复意见", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "党费减免"
        verbose_name_plural = "党费减免"
        indexes = [models.Index(fields=["member", "status"])]
        ordering = ["member", "first_month"]

    def __str__(self) -> str:
        return f"党费减免#{self.pk}"

    @property
    def effective_from(self) -> dt.date | None:
        """The first month the relief changes what is owed (approved ones only)."""
        if self.status != ReliefStatus.APPROVED or self.approved_on is None:
            return None
        return max(self.first_month, self.approved_on.replace(day=1))

    def covers(self, month: dt.date) -> bool:
        start = self.effective_from
        return start is not None and start <= month <= self.last_month

    def owed(self, assessed: Decimal) -> Decimal:
        """What the member owes for a covered month instead of `assessed`."""
        if self.kind == ReliefKind.EXEMPT:
            return Decimal("0.00")
        return min(self.amount or Decimal("0.00"), assessed)


class QuarterlyApproval(models.Model):
    """The branch's consent that a member pay by the quarter (第十二条: 经党支部同意，可以
    按季度交纳). Without it a payment covering a quarter is refused."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.PROTECT, related_name="dues_quarterly"
    )
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="dues_quarterly"
    )
    decided_on = models.DateField("支部同意日期")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The branch may withdraw its consent from a month on: quarters reaching into that month or
    # later are refused; payments already recorded stay. A new consent clears the withdrawal.
    withdrawn_from = models.DateField("撤销起始月份", null=True, blank=True)
    withdrawn_on = models.DateField("撤销登记日期", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "按季度交纳党费"
        verbose_name_plural = "按季度交纳党费"

    def __str__(self) -> str:
        return f"按季度交纳#{self.pk}"

    def covers(self, first_month) -> bool:
        """Whether the consent holds for the quarter starting with `first_month` (its three
        months all before the month the consent was withdrawn from)."""
        if self.withdrawn_from is None:
            return True
        return (first_month.year, first_month.month + 2) < (
            self.withdrawn_from.year,
            self.withdrawn_from.month,
        )
