"""What the database remembers about the master key: never the key, only a value that recognises
it, the progress of a rotation, and the audit-chain keys that rotations retired (wrapped under
the current key)."""

from django.db import models


class KeyState(models.Model):
    """One row (pk=1)."""

    check_value = models.CharField("主密钥校验值", max_length=64, blank=True)
    set_at = models.DateTimeField("设置时间", null=True, blank=True)
    # A rotation under way: the new key's check value and, per table, the last primary key done.
    rotating_to = models.CharField("轮换目标校验值", max_length=64, blank=True)
    rotation_progress = models.JSONField("轮换进度", default=dict, blank=True)

    class Meta:
        verbose_name = "主密钥状态"
        verbose_name_plural = "主密钥状态"

    def __str__(self) -> str:
        return f"key {self.check_value[:8]}"


class RetiredAuditKey(models.Model):
    """The audit-chain key of events up to `last_seq`, encrypted under the current master key."""

    last_seq = models.PositiveBigIntegerField(unique=True)
    wrapped_key = models.TextField()
    retired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_seq"]
        verbose_name = "已轮换的审计链密钥"
        verbose_name_plural = "已轮换的审计链密钥"

    def __str__(self) -> str:
        return f"audit key up to #{self.last_seq}"


class DatedSpell(models.Model):
    """A stretch of time with both ends inside it (`ended_on` null while it lasts): the shape of
    the membership history (members.MembershipSpell) and the organization history
    (orgs.OrganizationSpell), which add what the stretch is of and why it started and ended."""

    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        abstract = True

    def covers(self, day) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)
