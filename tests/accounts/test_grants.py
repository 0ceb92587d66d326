"""Two people for every grant that opens personal data (三权分立).

The system administrator requests, a security administrator approves; nobody approves their
own request, a grant for themselves, or one for an account they created; the auditors see and
are told of every request and decision; the administrators never hold a business role; and the
system administrator alone reaches no member data by any sequence of the requests open to them.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from dangjian.accounts import grants, services
from dangjian.accounts.access import Action, scope_for
from dangjian.accounts.models import Grant, GrantStatus, Role, RoleAssignment, User
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.notices.models import Notice
from tests.conftest import PASSWORD
from tests.helpers import assert_audited, last_seq

SYSTEM = Actor.system("test")
NEW_PASSWORD = "Hongqi#2026x"


@pytest.fixture
def admins(demo):
    return {
        name: Actor(demo.users[name], "10.0.0.5") for name in ("sysadmin", "secadmin", "auditor")
    }


@pytest.fixture
def newcomer(demo, admins) -> User:
    """An account the system administrator made (and whose first password they know)."""
    return services.create_user(admins["sysadmin"], "zhaoliu", NEW_PASSWORD, display_name="赵六")


def _login(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302
    return client


def _reads_members(user: User) -> bool:
    user = User.objects.get(pk=user.pk)  # a fresh scope
    scope = scope_for(user)
    return bool(scope.paths.get(Action.READ)) or bool(scope.own_member_id)


# ---- the path that works ---------------------------------------------------------------------


def test_a_requested_role_takes_effect_only_when_the_security_administrator_approves(
    demo, admins, newcomer, django_capture_on_commit_callbacks
):
    start = last_seq()
    with django_capture_on_commit_callbacks(execute=True):
        grant = grants.request_role(
            admins["sysadmin"], newcomer, Role.BRANCH_SECRETARY, demo.branch
        )

    assert grant.status == GrantStatus.PENDING
    assert not newcomer.roles.exists() and not _reads_members(newcomer)
    assert_audited(start, AuditAction.CREATE, grant, actor="sysadmin")
    told = set(
        Notice.objects.filter(key=f"grant:{grant.pk}:requested").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"secadmin", "auditor"}

    start = last_seq()
    with django_capture_on_commit_callbacks(execute=True):
        grants.approve(admins["secadmin"], grant)

    assert list(newcomer.roles.values_list("role", flat=True)) == [Role.BRANCH_SECRETARY]
    assert _reads_members(newcomer)
    assert_audited(
        start,
        AuditAction.UPDATE,
        grant,
        actor="secadmin",
        changes={"status": [GrantStatus.PENDING, GrantStatus.APPROVED]},
        alone=False,
    )
    assert_audited(
        start,
        AuditAction.CREATE,
        object_type="accounts.roleassignment",
        actor="secadmin",
        alone=False,
    )
    told = set(
        Notice.objects.filter(key=f"grant:{grant.pk}:approved").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"auditor", "sysadmin"}


def test_the_auditor_sees_pending_and_approved_grants_and_decides_nothing(demo, admins, newcomer):
    pending = grants.request_role(admins["sysadmin"], newcomer, Role.BRANCH_COMMITTEE, demo.branch)
    approved = grants.request_role(admins["sysadmin"], newcomer, Role.BRANCH_SECRETARY, demo.branch)
    grants.approve(admins["secadmin"], approved)
    auditor = _login("auditor")

    page = auditor.get(reverse("accounts:grants"))

    assert page.status_code == 200
    listed = {g.pk: g.status for g, _ in page.context["items"]}
    assert listed == {pending.pk: GrantStatus.PENDING, approved.pk: GrantStatus.APPROVED}
    assert "批准" not in page.content.decode().replace("已批准", "")
    start = last_seq()
    assert auditor.post(reverse("accounts:grant_approve", args=[pending.pk])).status_code == 403
    assert last_seq() == start and not newcomer.roles.filter(role=Role.BRANCH_COMMITTEE).exists()


def test_rejected_and_cancelled_requests_grant_nothing(demo, admins, newcomer):
    rejected = grants.request_role(admins["sysadmin"], newcomer, Role.BRANCH_SECRETARY, demo.branch)
    cancelled = grants.request_role(
        admins["sysadmin"], newcomer, Role.BRANCH_COMMITTEE, demo.branch
    )
    grants.reject(admins["secadmin"], rejected)
    grants.cancel(admins["sysadmin"], cancelled)

    assert not newcomer.roles.exists()
    with pytest.raises(ServiceValidationError, match="已处理"):
        grants.approve(admins["secadmin"], Grant.objects.get(pk=rejected.pk))
    assert not newcomer.roles.exists()


# ---- who may not approve ---------------------------------------------------------------------


def test_the_system_administrator_cannot_approve_any_request(demo, admins, newcomer):
    grant = grants.request_role(admins["sysadmin"], newcomer, Role.BRANCH_SECRETARY, demo.branch)
    with pytest.raises(ServiceValidationError) as excinfo:
        grants.approve(admins["sysadmin"], grant)
    assert excinfo.value.errors == {"grant": "只有安全管理员可以审批授权申请"}
    assert (
        _login("sysadmin").post(reverse("accounts:grant_approve", args=[grant.pk])).status_code
        == 403
    )
    assert not newcomer.roles.exists()


def test_only_the_system_administrator_may_request(demo, admins, newcomer):
    clients = {name: _login(name) for name in ("secadmin", "auditor")}
    start = last_seq()
    for name, client in clients.items():
        with pytest.raises(ServiceValidationError):
            grants.request_role(admins[name], newcomer, Role.BRANCH_SECRETARY, demo.branch)
        response = client.post(
            reverse("accounts:grant_request", args=[newcomer.pk]),
            {"role": Role.BRANCH_SECRETARY, "organization": "FGW-B01"},
        )
        assert response.status_code == 403
    assert not Grant.objects.exists() and last_seq() == start


def test_nobody_approves_a_grant_for_themselves(demo, admins):
    """A second security administrator's role, asked for a secadmin: not by that secadmin."""
    second = services.create_user(SYSTEM, "secadmin2", NEW_PASSWORD)
    services.assign_role(SYSTEM, second, Role.SECADMIN)
    grant = grants.request_reset(admins["sysadmin"], second)

    with pytest.raises(ServiceValidationError) as excinfo:
        grants.approve(Actor(second, ""), grant)

    assert excinfo.value.errors == {"grant": "不能审批给本人的授权"}
    grants.approve(admins["secadmin"], grant)  # the other one may


def test_the_creator_of_an_account_cannot_approve_its_grants(demo, admins):
    """A security administrator who made an account (from the shell, say) is its creator."""
    made = services.create_user(admins["secadmin"], "made.by.sec", NEW_PASSWORD)
    grant = grants.request_role(admins["sysadmin"], made, Role.BRANCH_COMMITTEE, demo.branch)

    with pytest.raises(ServiceValidationError) as excinfo:
        grants.approve(admins["secadmin"], grant)

    assert excinfo.value.errors == {"grant": "不能审批本人创建的账号的授权"}
    assert not made.roles.exists()


def test_nobody_approves_their_own_request(demo, admins, newcomer):
    """Were a security administrator to have requested (an old row, a direct write), still no."""
    grant = Grant.objects.create(
        user=newcomer, role=Role.BRANCH_COMMITTEE, organization=demo.branch,
        requested_by=demo.users["secadmin"],
    )  # fmt: skip
    with pytest.raises(ServiceValidationError) as excinfo:
        grants.approve(admins["secadmin"], grant)
    assert excinfo.value.errors == {"grant": "不能审批本人提出的申请"}


# ---- the administrators hold no business role -----------------------------------------------


@pytest.mark.parametrize("admin", ["sysadmin", "secadmin", "auditor"])
def test_an_administrator_account_can_never_be_granted_a_business_role(demo, admins, admin):
    start = last_seq()
    with pytest.raises(ServiceValidationError) as excinfo:
        grants.request_role(
            admins["sysadmin"], demo.users[admin], Role.ORGAN_COMMITTEE, demo.organ_committee
        )
    assert excinfo.value.errors == {"role": "管理员账号不能兼任业务角色"}
    assert last_seq() == start


def test_a_request_made_before_the_account_became_an_administrator_fails_at_approval(
    demo, admins, newcomer
):
    business = grants.request_role(admins["sysadmin"], newcomer, Role.BRANCH_COMMITTEE, demo.branch)
    services.assign_role(SYSTEM, newcomer, Role.AUDITOR)
    with pytest.raises(ServiceValidationError):
        grants.approve(admins["secadmin"], business)
    assert list(newcomer.roles.values_list("role", flat=True)) == [Role.AUDITOR]
    assert Grant.objects.get(pk=business.pk).status == GrantStatus.PENDING


# ---- password resets ------------------------------------------------------------------------


def test_a_reset_needs_approval_and_its_password_must_be_changed_at_next_login(demo, admins):
    member = demo.users["member"]
    old_session = _login("member")
    grant = grants.request_reset(admins["sysadmin"], member)
    assert User.objects.get(pk=member.pk).check_password(PASSWORD)  # nothing yet

    secadmin = _login("secadmin")
    response = secadmin.post(reverse("accounts:grant_approve", args=[grant.pk]))

    password = response.context["password"]
    assert response.status_code == 200 and password in response.content.decode()
    assert old_session.get(reverse("members:list")).status_code == 302  # its session ended
    fresh = _login("member", password)
    page = fresh.get(reverse("members:list"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("password_change"))
    assert fresh.get("/api/v1/members").status_code == 403
    changed = fresh.post(
        reverse("password_change"),
        {"old_password": password, "password": "Xinmima#2027", "password2": "Xinmima#2027"},
    )
    assert changed.status_code == 302
    assert fresh.get(reverse("members:list")).status_code == 200
    assert password not in "".join(str(e.changes) + e.message for e in _events_since_start())


def _events_since_start():
    from dangjian.audit.models import AuditEvent

    return AuditEvent.objects.all()


# ---- the system administrator alone ---------------------------------------------------------


def test_the_system_administrator_alone_reaches_no_member_data(
    demo, admins, django_capture_on_commit_callbacks
):
    """Every request open to the system administrator, in the order an attacker would try:
    make an account (whose password they know), ask for roles for it and for themselves, ask for
    resets of accounts that read members, try to decide those requests, end sessions, remove and
    request roles again, and read members through the pages, the API and exports. Afterwards no
    account whose password the system administrator knows reads a single member."""
    sysadmin = _login("sysadmin")
    me = demo.users["sysadmin"]
    sysadmin.post(
        reverse("accounts:user_create"),
        {
            "username": "shadow",
            "password": NEW_PASSWORD,
            "role": Role.ORGAN_COMMITTEE,
            "organization": "FGW-JGDW",
        },
    )
    shadow = User.objects.get(username="shadow")
    with django_capture_on_commit_callbacks(execute=True):
        for user, role, org in [
            (shadow, Role.ORGAN_COMMITTEE, "FGW-JGDW"),
            (shadow, Role.SECADMIN, ""),
            (me, Role.ORGAN_COMMITTEE, "FGW-JGDW"),
            (me, Role.SECADMIN, ""),
        ]:
            sysadmin.post(
                reverse("accounts:grant_request", args=[user.pk]),
                {"role": role, "organization": org},
            )
        for name in ("secretary", "organ", "member", "secadmin"):
            sysadmin.post(reverse("accounts:reset_request", args=[demo.users[name].pk]))
    pending = list(Grant.objects.filter(status=GrantStatus.PENDING))
    assert pending, "the requests were made"
    for grant in pending:
        for decision in ("grant_approve", "grant_reject"):
            assert (
                sysadmin.post(reverse(f"accounts:{decision}", args=[grant.pk])).status_code == 403
            )
    sysadmin.post(reverse("accounts:user_active", args=[shadow.pk]), {"active": "1"})
    for name in ("secretary", "organ"):  # their notices, to the system administrator's mailbox
        sysadmin.post(
            reverse("accounts:user_detail", args=[demo.users[name].pk]),
            {"display_name": name, "email": "sysadmin@elsewhere.example"},
        )
    assert not User.objects.filter(email="sysadmin@elsewhere.example").exists()
    assert sysadmin.get(reverse("accounts:member_accounts") + "?org=FGW-B01").status_code == 403
    # Nothing was granted or reset, and the reads stay closed.
    assert Grant.objects.filter(status=GrantStatus.APPROVED).count() == 0
    assert not RoleAssignment.objects.filter(user=shadow).exists()
    for name in ("secretary", "organ", "member", "secadmin"):
        assert User.objects.get(pk=demo.users[name].pk).check_password(PASSWORD)
    assert not _reads_members(me) and not _reads_members(shadow)
    shadow_client = _login("shadow", NEW_PASSWORD)
    shadow_client.post(
        reverse("password_change"),
        {"old_password": NEW_PASSWORD, "password": "Yingzi#2027x", "password2": "Yingzi#2027x"},
    )
    member = demo.member_in_branch
    for client in (sysadmin, shadow_client):
        assert client.get(reverse("members:detail", args=[member.pk])).status_code in {403, 404}
        assert client.get(reverse("members:list")).status_code in {403, 404}
        assert client.get(reverse("members:export")).status_code in {403, 404}
        assert client.get(f"/api/v1/members/{member.pk}").status_code in {403, 404}
    token = services.create_token(SYSTEM, me, name="try")  # even with a token of its own
    api = Client(headers={"authorization": f"Bearer {token}"})
    assert api.get(f"/api/v1/members/{member.pk}").status_code in {403, 404}
    assert api.get("/api/v1/members").status_code in {403, 404}


# ---- two approvers at once -------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the in-memory, shared-cache SQLite test database answers 'table is locked' instead "
    "of waiting; the row lock is what is raced here (PostgreSQL, MariaDB)",
)
@pytest.mark.django_db(transaction=True)
def test_two_security_administrators_approving_at_once_grant_once():
    def user(name: str, role: str | None = None) -> User:
        made = services.create_user(SYSTEM, name, NEW_PASSWORD)
        if role:
            services.assign_role(SYSTEM, made, role)
        return made

    sysadmin, left, right = (
        user("sys", Role.SYSADMIN),
        user("sec1", Role.SECADMIN),
        user("sec2", Role.SECADMIN),
    )
    target = user("target")
    grant = grants.request_role(Actor(sysadmin, ""), target, Role.AUDITOR)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(approver: User) -> None:
        try:
            barrier.wait()
            grants.approve(Actor(approver, approver.username), Grant.objects.get(pk=grant.pk))
            outcomes.append("approved")
        except ServiceValidationError as exc:
            outcomes.append(exc.errors["grant"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(a,)) for a in (left, right)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert sorted(outcomes) == ["approved", "该申请已处理"]
    assert RoleAssignment.objects.filter(user=target).count() == 1
    assert (
        AuditEvent.objects.filter(object_type="accounts.grant", action=AuditAction.UPDATE).count()
        == 1
    )


def test_the_security_administrator_finds_the_pending_requests_among_their_to_dos(
    demo, admins, newcomer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        grant = grants.request_role(
            admins["sysadmin"], newcomer, Role.BRANCH_SECRETARY, demo.branch
        )
    todo = reverse("accounts:grants") + "?status=pending"
    page = _login("secadmin").get(reverse("notices:inbox")).content.decode()
    assert grant.summary in page and todo in page
    auditor = _login("auditor").get(reverse("notices:inbox")).content.decode()
    assert f"新的授权申请：{grant.summary}" in auditor  # told, as a notice
    assert todo not in auditor  # but nothing to do
    grants.approve(admins["secadmin"], grant)
    assert todo not in _login("secadmin").get(reverse("notices:inbox")).content.decode()
