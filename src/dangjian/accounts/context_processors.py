"""Navigation entries for the current user, chosen by role and scope (accounts.access)."""

from dangjian.accounts.access import scope_for
from dangjian.accounts.middleware import idle_timeout
from dangjian.accounts.models import Role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {
        # The page warns before the session's idle timeout ends it (site.js).
        "idle_seconds": idle_timeout(scope),
        "nav": {
            "tree": scope.sees_structure,
            # A member who reads nobody else has 我的信息; a list of one person is no use.
            "members": bool(scope.paths.get("read")),
            "own": bool(scope.own_member_id),
            "compliance": bool(scope.paths.get("read")),
            "meetings": bool(scope.paths.get("read")),
            "my_meetings": bool(scope.own_member_id),
            "duties": bool(scope.paths.get("read")),
            "library": bool(scope.paths.get("read")) or bool(scope.own_member_id),
            # Discipline records: the 纪检 and the 机关党委 only (docs/discipline.md).
            "discipline": bool(scope.roles & {Role.DISCIPLINE, Role.ORGAN_COMMITTEE}),
            "audit": Role.AUDITOR in scope.roles,
            "users": Role.SYSADMIN in scope.roles,
            "security": Role.SECADMIN in scope.roles,
            "grants": scope.is_admin,
            "member_accounts": bool(scope.paths.get("reveal")),
            # The administrators' accounts are named after their role: say it once.
            "roles": [
                label
                for label in (Role(r).label for r in sorted(scope.roles))
                if label != user.display_name
            ],
        },
    }
