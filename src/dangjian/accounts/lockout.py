"""What a run of failed logins locks (django-axes' AXES_LOCKOUT_PARAMETERS).

An ordinary account is locked by its username, wherever the failures come from (等保: lock the
account). An administrator account is locked by (username, client address): a stranger who
knows the name `secadmin` cannot lock the security administrator out from another machine, and
so cannot stop the one person who unlocks everyone else. Every failure is audited either way
(`signals.on_login_failed`), and `dangjian unlock USER` works from the shell when nobody can log
in at all.
"""

from __future__ import annotations

from dangjian.accounts.models import ADMIN_ROLES, RoleAssignment


def _username(request_or_attempt, credentials) -> str:
    if credentials and credentials.get("username"):
        return str(credentials["username"])
    username = getattr(request_or_attempt, "username", None)
    if username:
        return str(username)
    post = getattr(request_or_attempt, "POST", None)
    return str(post.get("username", "")) if post is not None else ""


def is_admin_username(username: str) -> bool:
    return (
        bool(username)
        and RoleAssignment.objects.filter(user__username=username, role__in=ADMIN_ROLES).exists()
    )


def lockout_parameters(request_or_attempt, credentials=None) -> list:
    if is_admin_username(_username(request_or_attempt, credentials)):
        return [["username", "ip_address"]]
    return ["username"]
