"""用户管理: the system administrator's list, edit, disable, sessions and tokens.

Each write is checked for its audit event; a disabled account stops at once, on its open
sessions and on its API tokens.
"""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from dangjian.accounts import services
from dangjian.accounts.models import ApiToken, Role, User, UserSession
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from tests.conftest import PASSWORD
from tests.helpers import assert_audited, last_seq

ACTOR = Actor.system("test")


def _login(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


@pytest.fixture
def sysadmin(demo) -> Client:
    return _login("sysadmin")


@pytest.mark.parametrize("name", ["张三", "zhang san", "a/b", "x;drop", "名字.1", "a\u200bb"])
def test_usernames_are_letters_digits_and_dot_dash_underscore(demo, name):
    start = last_seq()
    with pytest.raises(ServiceValidationError) as excinfo:
        services.create_user(ACTOR, name, "Hongqi#2026x")
    assert excinfo.value.errors == {"username": services.USERNAME_RULE}
    assert last_seq() == start


def test_a_username_with_dot_dash_and_underscore_is_accepted(demo):
    assert services.create_user(ACTOR, "zhang.san-2_x", "Hongqi#2026x").pk


def test_the_list_filters_by_name_role_and_state(demo, sysadmin):
    quiet = services.create_user(ACTOR, "quiet.one", "Hongqi#2026x", display_name="静")
    services.set_active(ACTOR, quiet, False)
    url = reverse("accounts:users")

    def names(**query) -> set[str]:
        return {u.username for u in sysadmin.get(url, query).context["users"]}

    assert names(q="quiet") == {"quiet.one"}
    assert names(role=Role.BRANCH_SECRETARY) == {"secretary"}
    assert names(status="disabled") == {"quiet.one"}
    assert "quiet.one" in names(role="none") and "sysadmin" not in names(role="none")
    assert "quiet.one" not in names(status="active")


def test_editing_a_user_is_audited_with_before_and_after(demo, sysadmin):
    account = services.create_user(ACTOR, "wang.wu", "Hongqi#2026x", display_name="王五")
    start = last_seq()
    response = sysadmin.post(
        reverse("accounts:user_detail", args=[account.pk]),
        {"display_name": "新名字", "email": "w@example.gov.cn"},
    )
    assert response.status_code == 302
    assert_audited(
        start,
        AuditAction.UPDATE,
        account,
        actor="sysadmin",
        changes={"display_name": ["王五", "新名字"], "email": ["", "w@example.gov.cn"]},
    )


def test_the_email_of_an_account_that_reads_members_is_not_changed_by_another(demo, sysadmin):
    """Its notices speak of members: the system administrator cannot redirect them."""
    for name in ("secretary", "member"):
        user = demo.users[name]
        start = last_seq()
        response = sysadmin.post(
            reverse("accounts:user_detail", args=[user.pk]),
            {"display_name": user.first_name, "email": "me@elsewhere.example"},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["email"] == [
            "可查看党员信息的账号，邮箱不能由他人修改"
        ]
        assert User.objects.get(pk=user.pk).email == user.email and last_seq() == start


def test_a_disabled_account_stops_at_once_on_its_sessions_and_tokens(demo, sysadmin):
    secretary = demo.users["secretary"]
    page = _login("secretary")
    token = services.create_token(ACTOR, secretary, name="t")
    api = Client(headers={"authorization": f"Bearer {token}"})
    assert page.get(reverse("members:list")).status_code == 200
    assert api.get(reverse("api:list_members")).status_code == 200
    assert UserSession.objects.filter(user=secretary).count() == 1
    start = last_seq()

    response = sysadmin.post(reverse("accounts:user_active", args=[secretary.pk]), {"active": "0"})

    assert response.status_code == 302
    assert_audited(start, AuditAction.UPDATE, secretary, changes={"is_active": [True, False]})
    assert page.get(reverse("members:list")).status_code == 302  # to the login page
    assert api.get(reverse("api:list_members")).status_code == 401
    assert not UserSession.objects.filter(user=secretary).exists()
    # Enabled again: the token works, the ended session does not come back.
    sysadmin.post(reverse("accounts:user_active", args=[secretary.pk]), {"active": "1"})
    assert api.get(reverse("api:list_members")).status_code == 200
    assert page.get(reverse("members:list")).status_code == 302


def test_the_system_administrator_cannot_disable_their_own_account(demo, sysadmin):
    me = demo.users["sysadmin"]
    start = last_seq()
    response = sysadmin.post(
        reverse("accounts:user_active", args=[me.pk]), {"active": "0"}, follow=True
    )
    assert "不能停用自己的账号" in response.content.decode()
    me.refresh_from_db()
    assert me.is_active and last_seq() == start


def test_sessions_are_listed_and_ended_one_or_all(demo, sysadmin):
    secretary = demo.users["secretary"]
    first, second = _login("secretary"), _login("secretary")
    detail = reverse("accounts:user_detail", args=[secretary.pk])
    sessions = sysadmin.get(detail).context["sessions"]
    assert len(sessions) == 2
    start = last_seq()

    sysadmin.post(
        reverse("accounts:sessions_end", args=[secretary.pk]), {"session": [sessions[0].pk]}
    )

    assert_audited(start, AuditAction.UPDATE, secretary, message="结束 secretary 的 1 个会话")
    alive = [c.get(reverse("members:list")).status_code for c in (first, second)]
    assert sorted(alive) == [200, 302]
    sysadmin.post(reverse("accounts:sessions_end", args=[secretary.pk]))
    assert [c.get(reverse("members:list")).status_code for c in (first, second)] == [302, 302]
    assert not Session.objects.filter(session_key__in=[s.session_key for s in sessions]).exists()


def test_tokens_are_listed_and_revoked(demo, sysadmin):
    secretary = demo.users["secretary"]
    token = services.create_token(ACTOR, secretary, name="报表")
    row = ApiToken.objects.get(user=secretary, name="报表")
    detail = sysadmin.get(reverse("accounts:user_detail", args=[secretary.pk]))
    assert row.prefix in detail.content.decode() and token not in detail.content.decode()
    start = last_seq()

    sysadmin.post(reverse("accounts:token_revoke", args=[secretary.pk, row.pk]))

    assert_audited(start, AuditAction.TOKEN, row, actor="sysadmin")
    assert services.user_for_token(token) is None


def test_removing_a_role_takes_effect_at_once_and_is_audited(demo, sysadmin):
    secretary = demo.users["secretary"]
    page = _login("secretary")
    assignment = secretary.roles.get()
    start = last_seq()

    sysadmin.post(reverse("accounts:role_remove", args=[secretary.pk, assignment.pk]))

    assert_audited(start, AuditAction.DELETE, assignment, actor="sysadmin")
    assert page.get(reverse("members:list", query={"org": "FGW-B01"})).status_code in {403, 404}


def test_token_list_and_revoke_from_the_shell(demo, capsys):
    from django.core.management import call_command

    secretary = demo.users["secretary"]
    token = services.create_token(ACTOR, secretary, name="脚本")
    row = ApiToken.objects.get(user=secretary)
    call_command("token", "list", "secretary")
    out = capsys.readouterr().out
    assert row.prefix in out and "脚本" in out and token not in out
    start = last_seq()

    call_command("token", "revoke", row.prefix)

    assert_audited(start, AuditAction.TOKEN, row)
    assert services.user_for_token(token) is None
    assert User.objects.get(pk=secretary.pk).is_active
