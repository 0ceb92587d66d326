"""Two people for every grant that opens personal data (三权分立).

The system administrator makes accounts and *requests*: a role, or a password reset. A request
takes effect only when a security administrator approves it; nobody approves a request of their
own, one made for themselves, or one for an account they created. The auditors are told of every
request and every decision (through `dangjian.notices`) and see them all on the grants page.

Every role is granted this way, the administrator roles too: a security or audit role given by
the system administrator alone would let one person approve their own next request. A password
reset is a grant as well, since whoever knows an account's password reads what the account reads;
its one-time password is shown once, to the approver, who hands it over.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import services
from dangjian.accounts.access import has_role
from dangjian.accounts.models import (
    Grant,
    GrantKind,
    GrantStatus,
    Role,
    RoleAssignment,
    User,
)
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core.errors import ServiceValidationError
from dangjian.notices.services import notify
from dangjian.orgs.models import Organization

NOTICE_REQUESTED = "grant_request"
NOTICE_DECIDED = "grant_decided"


def _require(actor: Actor, role: str, what: str) -> None:
    if actor.user is None or not has_role(actor.user, role):
        raise ServiceValidationError({"user": f"只有{Role(role).label}可以{what}"})


def _holders(role: str, *, excluding: set[int] | None = None) -> set[int]:
    ids = set(
        RoleAssignment.objects.filter(role=role, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    return ids - (excluding or set())


def _tell(grant: Grant, *, decided: bool) -> None:
    """The auditors always; on a request the security administrators (who may approve it), on
    a decision the requester."""
    link = reverse("accounts:grants")
    if decided:
        title = f"授权申请{grant.get_status_display()}：{grant.summary}"
        key = f"grant:{grant.pk}:{grant.status}"
        to = _holders(Role.AUDITOR) | {grant.requested_by_id}
    else:
        title = f"新的授权申请：{grant.summary}"
        key = f"grant:{grant.pk}:requested"
        to = _holders(Role.AUDITOR) | _holders(Role.SECADMIN, excluding={grant.user_id})
    kind = NOTICE_DECIDED if decided else NOTICE_REQUESTED
    transaction.on_commit(
        lambda: notify(to, key=key, kind=kind, title=title, link=link, subject=grant)
    )


def _pending_twin(user: User, kind: str, role: str = "", org=None) -> bool:
    return Grant.objects.filter(
        user=user, kind=kind, role=role, organization=org, status=GrantStatus.PENDING
    ).exists()


@transaction.atomic
def request_role(
    actor: Actor, user: User, role: str, organization: Organization | None = None
) -> Grant:
    """The system administrator asks for `role` (bound to `organization`) for `user`."""
    _require(actor, Role.SYSADMIN, "申请授予角色")
    services.validate_role(user, role, organization)
    if RoleAssignment.objects.filter(user=user, role=role, organization=organization).exists():
        raise ServiceValidationError({"role": "该用户已有此角色"})
    if _pending_twin(user, GrantKind.ROLE, role, organization):
        raise ServiceValidationError({"role": "已有相同的待审批申请"})
    grant = Grant.objects.create(
        kind=GrantKind.ROLE,
        user=user,
        role=role,
        organization=organization,
        requested_by=actor.user,
    )
    record(actor, AuditAction.CREATE, grant, changes=diff(None, grant.audit_fields()))
    _tell(grant, decided=False)
    return grant


@transaction.atomic
def request_reset(actor: Actor, user: User) -> Grant:
    """The system administrator asks for a one-time password for `user`."""
    _require(actor, Role.SYSADMIN, "申请重置密码")
    if _pending_twin(user, GrantKind.RESET):
        raise ServiceValidationError({"user": "已有待审批的重置密码申请"})
    grant = Grant.objects.create(kind=GrantKind.RESET, user=user, requested_by=actor.user)
    record(actor, AuditAction.CREATE, grant, changes=diff(None, grant.audit_fields()))
    _tell(grant, decided=False)
    return grant


def _lock_pending(grant: Grant) -> Grant:
    locked = Grant.objects.select_for_update().select_related("user").get(pk=grant.pk)
    if locked.status != GrantStatus.PENDING:
        raise ServiceValidationError({"grant": "该申请已处理"})
    return locked


def _decide(actor: Actor, grant: Grant, status: str) -> None:
    before = grant.audit_fields()
    grant.status = status
    grant.decided_by = actor.user
    grant.decided_at = timezone.now()
    grant.save(update_fields=["status", "decided_by", "decided_at"])
    record(
        actor,
        AuditAction.UPDATE,
        grant,
        changes=diff(before, grant.audit_fields()),
        message=f"{grant.get_status_display()}：{grant.summary}",
    )
    _tell(grant, decided=True)


def refusal_to_approve(actor: Actor, grant: Grant) -> str:
    """Why `actor` may not approve `grant` ('' when they may)."""
    if actor.user is None or not has_role(actor.user, Role.SECADMIN):
        return "只有安全管理员可以审批授权申请"
    if grant.requested_by_id == actor.user.pk:
        return "不能审批本人提出的申请"
    if grant.user_id == actor.user.pk:
        return "不能审批给本人的授权"
    if grant.user.created_by_id == actor.user.pk:
        return "不能审批本人创建的账号的授权"
    return ""


@transaction.atomic
def approve(actor: Actor, grant: Grant) -> str:
    """Carry out the request; for a reset, return the one-time password (shown once)."""
    grant = _lock_pending(grant)
    reason = refusal_to_approve(actor, grant)
    if reason:
        raise ServiceValidationError({"grant": reason})
    password = ""
    if grant.kind == GrantKind.ROLE:
        services.assign_role(actor, grant.user, grant.role, grant.organization)
    else:
        password = services.reset_password(actor, grant.user)
    _decide(actor, grant, GrantStatus.APPROVED)
    return password


@transaction.atomic
def reject(actor: Actor, grant: Grant) -> None:
    grant = _lock_pending(grant)
    if actor.user is None or not has_role(actor.user, Role.SECADMIN):
        raise ServiceValidationError({"grant": "只有安全管理员可以驳回授权申请"})
    _decide(actor, grant, GrantStatus.REJECTED)


@transaction.atomic
def cancel(actor: Actor, grant: Grant) -> None:
    grant = _lock_pending(grant)
    if actor.user is None or grant.requested_by_id != actor.user.pk:
        raise ServiceValidationError({"grant": "只有申请人可以撤回申请"})
    _decide(actor, grant, GrantStatus.CANCELLED)
