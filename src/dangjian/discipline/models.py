"""Disciplinary review (审查/立案) and party discipline decisions (党纪处分) of a member.

Seen and written only by the 纪检 and the 机关党委 covering the member (`access`); the reason,
if any, is SM4-encrypted like the members' identity columns, and the audit log records only
whether there is one.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from dangjian.crypto import default_keyring


class RecordKind(models.TextChoices):
    REVIEW = "review", "审查/立案"
    WARNING = "warning", "警告"
    SERIOUS_WARNING = "serious_warning", "严重警告"
    REMOVAL_FROM_POST = "removal_from_post", "撤销党内职务"
    PROBATION = "probation", "留党察看"
    EXPULSION = "expulsion", "开除党籍"


DECISIONS = frozenset(RecordKind) - {RecordKind.REVIEW}


class DisciplineRecord(models.Model):
    """One review (from `started_on`, open until `ended_on`, both days under review) or one
    decision (on `started_on`; 留党察看 runs to `ended_on`, its last day, `months` long)."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="discipline_records"
    )
    kind = models.CharField("类别", max_length=24, choices=RecordKind.choices)
    started_on = models.DateField("开始（决定）日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    months = models.PositiveSmallIntegerField("察看期（月）", null=True, blank=True)
    reason_encrypted = models.TextField(blank=True, default="", editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "纪律审查与处分记录"
        verbose_name_plural = "纪律审查与处分记录"
        ordering = ["-started_on", "-pk"]
        indexes = [models.Index(fields=["member", "kind"])]

    def __str__(self) -> str:
        return f"纪律记录#{self.pk}"

    @property
    def reason(self) -> str:
        return default_keyring().decrypt(self.reason_encrypted) if self.reason_encrypted else ""

    def covers(self, day: dt.date) -> bool:
        """Whether `day` is inside the review or the 留党察看 (both ends included)."""
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)

    def audit_fields(self) -> dict:
        """The member's id, the kind and the dates; of the reason only whether there is one."""
        return {
            "member": self.member_id,
            "kind": self.kind,
            "started_on": self.started_on,
            "ended_on": self.ended_on,
            "months": self.months,
            "reason": "已填写" if self.reason_encrypted else "",
        }
