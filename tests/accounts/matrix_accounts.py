"""Permission-matrix entries for 用户管理, the grants and the user's own password page.

The pages act on one target account (made once, through the services, with a role, a token and
a pending role request of the system administrator): only the system administrator manages
accounts, only the security administrator decides a request, the three administrators read
the grants, and everyone signed in changes their own password.
"""

from __future__ import annotations

from tests.matrix_helpers import NO_SCOPE, OK, PERSONAS, Entry, Objects, only, rows

TARGET = "matrix-target"

ADMINS = rows(
    (NO_SCOPE,),
    member=403, secretary=403, committee=403, inspector=403, organ=403,
    sysadmin=OK, secadmin=OK, auditor=OK,
)  # fmt: skip
EVERYONE = rows(
    (NO_SCOPE,),
    member=OK, secretary=OK, committee=OK, inspector=OK, organ=OK,
    sysadmin=OK, secadmin=OK, auditor=OK,
)  # fmt: skip


def _cache(objs: Objects) -> dict:
    if not hasattr(objs, "_accounts"):
        objs._accounts = {}
    return objs._accounts


def target(objs: Objects) -> dict:
    """The target account, its role, its token and a pending request for another role."""
    from dangjian.accounts import grants, services
    from dangjian.accounts.models import ApiToken, Role, User
    from dangjian.audit.services import Actor

    cache = _cache(objs)
    if "target" not in cache:
        system = Actor.system("matrix")
        user = User.objects.filter(username=TARGET).first()
        if user is None:
            user = services.create_user(system, TARGET, "Matrix#2026x", display_name="矩阵目标")
            services.assign_role(system, user, Role.BRANCH_COMMITTEE, objs.demo.branch)
            services.create_token(system, user, name="matrix")
            sysadmin = Actor(objs.demo.users["sysadmin"], "127.0.0.1")
            grants.request_role(sysadmin, user, Role.DISCIPLINE, objs.demo.organ_committee)
        cache["target"] = {
            "user": user.pk,
            "role": user.roles.get().pk,
            "token": ApiToken.objects.get(user=user).pk,
            "grant": user.grants.get().pk,
        }
    return cache["target"]


def user_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": target(objs)["user"]}, {}


def role_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    made = target(objs)
    return {"pk": made["user"], "role_pk": made["role"]}, {}


def token_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    made = target(objs)
    return {"pk": made["user"], "token_pk": made["token"]}, {}


def grant_kwarg(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": target(objs)["grant"]}, {}


def disable_form(objs: Objects, scope: str) -> dict:
    return {"active": "0"}


def edit_form(objs: Objects, scope: str) -> dict:
    return {"display_name": "矩阵目标（改）", "email": ""}


def grant_form(objs: Objects, scope: str) -> dict:
    return {"role": "branch_secretary", "organization": "FGW-B01"}


def wrong_password_form(objs: Objects, scope: str) -> dict:
    # A wrong current password: the page answers with the form again and changes nothing.
    return {
        "old_password": "Not-the-one#1",
        "password": "Another#2026x",
        "password2": "Another#2026x",
    }


# Member accounts, by the branch in `?org=`: those who may reveal its members.
BRANCH_SCOPES = ("own_branch", "sibling", "other_dept")
REVEALERS = rows(
    BRANCH_SCOPES,
    member=403, secretary=(OK, 404, 404), committee=403, inspector=403, organ=(OK, OK, 404),
    sysadmin=403, secadmin=403, auditor=403,
)  # fmt: skip


def branch_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {}, {"org": objs.org(scope).code}


def link_form(objs: Objects, scope: str) -> dict:
    """A member of the branch without an account, and an account without a member."""
    from dangjian.accounts import services
    from dangjian.accounts.models import User
    from dangjian.audit.services import Actor
    from dangjian.members import member_accounts

    cache = _cache(objs)
    if ("link", scope) not in cache:
        username = f"matrix-link-{scope}"
        if not User.objects.filter(username=username).exists():
            services.create_user(Actor.system("matrix"), username, "Matrix#2026x")
        member = member_accounts.without_account(objs.org(scope)).first()
        cache[("link", scope)] = {"member": member.pk, "username": username}
    return cache[("link", scope)]


EVERYONE_302 = rows((NO_SCOPE,), **dict.fromkeys(PERSONAS[1:], 302))


ACCOUNTS_MATRIX: dict[str, tuple[Entry, ...]] = {
    # Two-factor pages: anyone signed in may enrol; verifying without a device sends to enrolment.
    "two_factor_setup": (Entry("GET", EVERYONE),),
    "two_factor_verify": (Entry("GET", EVERYONE_302),),
    "accounts:two_factor_admin": (Entry("GET", only("secadmin")),),
    "accounts:two_factor_reset": (
        Entry("POST", only("secadmin"), ok=302, url=user_kwarg, audits="update"),
    ),
    "accounts:member_accounts": (Entry("GET", REVEALERS, BRANCH_SCOPES, url=branch_query),),
    "accounts:member_account_create": (
        Entry("POST", REVEALERS, BRANCH_SCOPES, url=branch_query, audits="create"),
    ),
    "accounts:member_account_link": (
        Entry(
            "POST",
            REVEALERS,
            BRANCH_SCOPES,
            ok=302,
            url=branch_query,
            body=link_form,
            audits="update",
        ),
    ),
    "accounts:user_detail": (
        Entry("GET", only("sysadmin"), url=user_kwarg),
        Entry("POST", only("sysadmin"), ok=302, url=user_kwarg, body=edit_form, audits="update"),
    ),
    "accounts:user_active": (
        Entry("POST", only("sysadmin"), ok=302, url=user_kwarg, body=disable_form, audits="update"),
    ),
    "accounts:grant_request": (
        Entry("POST", only("sysadmin"), ok=302, url=user_kwarg, body=grant_form, audits="create"),
    ),
    "accounts:reset_request": (
        Entry("POST", only("sysadmin"), ok=302, url=user_kwarg, audits="create"),
    ),
    "accounts:sessions_end": (Entry("POST", only("sysadmin"), ok=302, url=user_kwarg),),
    "accounts:role_remove": (
        Entry("POST", only("sysadmin"), ok=302, url=role_kwarg, audits="delete"),
    ),
    "accounts:token_revoke": (
        Entry("POST", only("sysadmin"), ok=302, url=token_kwarg, audits="token"),
    ),
    "accounts:grants": (Entry("GET", ADMINS),),
    "accounts:grant_approve": (
        Entry("POST", only("secadmin"), ok=302, url=grant_kwarg, audits="create"),
    ),
    "accounts:grant_reject": (
        Entry("POST", only("secadmin"), ok=302, url=grant_kwarg, audits="update"),
    ),
    "accounts:grant_cancel": (
        Entry("POST", only("sysadmin"), ok=302, url=grant_kwarg, audits="update"),
    ),
    "password_change": (
        Entry("GET", EVERYONE),
        Entry("POST", EVERYONE, body=wrong_password_form),
    ),
}
