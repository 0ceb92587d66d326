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
