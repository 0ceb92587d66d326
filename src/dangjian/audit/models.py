"""The append-only audit log, each event chained to the previous one by HMAC-SM3."""

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    MOVE = "move", "调动"
    REVEAL = "reveal", "查看明文"
    EXPORT = "export", "导出"
    LOGIN = "login", "登录"
    LOGOUT = "logout", "退出"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOCKOUT = "lockout", "账号锁定"
    UNLOCK = "unlock", "解除锁定"
    TOKEN = "token", "API 令牌"
    DENIED = "denied", "拒绝访问"


# Events that record an access (a reveal, an export, a login, a token, a refusal), never a
# change to a record the domain apps read: the caches kept against the audit log skip them
# (meetings.findings.cache, structure.counts).
NO_RECORD_CHANGED = frozenset(
    {
        AuditAction.REVEAL,
        AuditAction.EXPORT,
        AuditAction.LOGIN,
        AuditAction.LOGOUT,
        AuditAction.LOGIN_FAILED,
        AuditAction.LOCKOUT,
        AuditAction.UNLOCK,
        AuditAction.TOKEN,
        AuditAction.DENIED,
    }
)


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("audit events are append-only")

    def delete(self):
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    # The chain position; gaps or reordering break verification.
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField("时间", db_index=True)
    # No database constraint and no cascade: removing a user must never rewrite the log.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField("操作人", max_length=150, blank=True, db_index=True)
    ip = models.CharField("IP", max_length=45, blank=True)
    action = models.CharField("操作", max_length=20, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField("对象类型", max_length=50, blank=True, db_index=True)
    object_id = models.CharField("对象ID", max_length=40, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    changes = models.JSONField("变更", default=dict, blank=True)
    message = models.CharField("说明", max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class AuditHead(models.Model):
    """A single row holding the end of the chain; updating it first serializes appenders."""

    seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.seq}"


class DenialWindow(models.Model):
    """Refused requests of one user on one route within one minute (`audit.denials`): the first
    is an audit event at once, the rest only raise `count`, and a summary event with the count is
    appended when the minute is over. Not part of the chain; rows are removed once summarised."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    actor_username = models.CharField(max_length=150)
    ip = models.CharField(max_length=45, blank=True)
    route = models.CharField(max_length=200)
    minute = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "route", "minute"], name="audit_denialwindow_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor_username} {self.route} {self.minute:%H:%M} ×{self.count}"
