"""Users, roles bound to an organization (covering its subtree), and API tokens."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    SYSADMIN = "sysadmin", "系统管理员"
    SECADMIN = "secadmin", "安全管理员"
    AUDITOR = "auditor", "审计员"
    ORGAN_COMMITTEE = "organ_committee", "机关党委"
    DISCIPLINE = "discipline", "纪检"
    BRANCH_SECRETARY = "branch_secretary", "支部书记"
    BRANCH_COMMITTEE = "branch_committee", "支委"


# 三权分立: the three administrator roles are never held together by one user.
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})
# Roles bound to an organization; their scope is that organization's subtree.
SCOPED_ROLES = frozenset(
    {Role.ORGAN_COMMITTEE, Role.DISCIPLINE, Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE}
)


class User(AbstractUser):
    member = models.OneToOneField(
        "members.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="user",
        verbose_name="对应党员",
    )
    # Who made the account: that person alone can never give it a role (三权分立).
    created_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # An initial or reset password: the user sets one of their own before anything else.
    must_change_password = models.BooleanField("须修改密码", default=False)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    @property
    def display_name(self) -> str:
        return self.first_name or self.username


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name="所辖组织",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organization"], name="unique_role_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} {self.organization or ''}"

    def audit_fields(self) -> dict:
        return {"user": self.user_id, "role": self.role, "organization": self.organization_id}


class ApiToken(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("名称", max_length=100, blank=True)
    # HMAC-SM3 of the token; the token itself is shown once and never stored.
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.prefix}…"

    def audit_fields(self) -> dict:
        return {"user": self.user_id, "name": self.name, "prefix": self.prefix}


class PasswordHistory(models.Model):
    """The hashes of a user's earlier passwords: the last N may not be used again."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d}"


class UserSession(models.Model):
    """A login session of a user, so the system administrator can see and end it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    ip_address = models.CharField(max_length=45, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class GrantStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"
    CANCELLED = "cancelled", "已撤回"


class GrantKind(models.TextChoices):
    ROLE = "role", "授予角色"
    RESET = "reset", "重置密码"


class Grant(models.Model):
    """A request of the system administrator that takes effect only when a security
    administrator approves it (三权分立): a role or a password reset, either of which could
    otherwise open personal data to the one who asked (see `grants`)."""

    kind = models.CharField("类型", max_length=16, choices=GrantKind.choices, default="role")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField("角色", max_length=32, choices=Role.choices, blank=True)
    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="所辖组织",
    )
    status = models.CharField(
        "状态", max_length=16, choices=GrantStatus.choices, default=GrantStatus.PENDING
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "授权申请"
        verbose_name_plural = "授权申请"
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.user}"

    @property
    def summary(self) -> str:
        if self.kind == GrantKind.ROLE:
            org = f"（{self.organization.name}）" if self.organization_id else ""
            return f"授予 {self.user.username} {self.get_role_display()}{org}"
        return f"重置 {self.user.username} 的密码"

    def audit_fields(self) -> dict:
        return {
            "kind": self.kind,
            "user": self.user_id,
            "role": self.role,
            "organization": self.organization_id,
            "status": self.status,
        }
