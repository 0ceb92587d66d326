"""Accounts for members from the roster: one step for a branch, a printable sheet of one-time
passwords, a link to an existing account; only for those who may reveal the members; the
account follows a move."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.accounts import services
from dangjian.accounts.access import Action, scope_for
from dangjian.accounts.models import User
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.members import member_accounts
from dangjian.members.models import Member
from tests.conftest import PASSWORD
from tests.helpers import assert_audited, last_seq


def _login(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302
    return client


def test_a_secretary_opens_accounts_for_the_whole_branch_in_one_step(demo):
    secretary = _login("secretary")
    waiting = list(member_accounts.without_account(demo.branch))
    assert len(waiting) > 3
    start = last_seq()

    response = secretary.post(
        reverse("accounts:member_account_create") + "?org=FGW-B01", {"scheme": "pinyin"}
    )

    assert response.status_code == 200
    issued = response.context["issued"]
    assert [row.name for row in issued] == [m.name for m in waiting]
    page = response.content.decode()
    assert all(row.password in page and row.username in page for row in issued)
    assert not member_accounts.without_account(demo.branch).exists()
    users = User.objects.filter(member__in=waiting)
    assert users.count() == len(waiting)
    assert all(u.must_change_password and not u.roles.exists() for u in users)
    assert all(
        u.username == Member.objects.get(pk=u.member_id).name_pinyin or u.username[-1].isdigit()
        for u in users
    )
    created = AuditEvent.objects.filter(seq__gt=start, action=AuditAction.CREATE)
    assert created.count() == len(waiting)
    assert not any(row.password in (e.message + str(e.changes)) for e in created for row in issued)
    # A member logs in with the slip, must change the password, then sees their own record.
    row = issued[0]
    member = _login(row.username, row.password)
    assert member.get(reverse("home"))["Location"].startswith(reverse("password_change"))
    member.post(
        reverse("password_change"),
        {"old_password": row.password, "password": "Wode#mima2027", "password2": "Wode#mima2027"},
    )
    own = User.objects.get(username=row.username).member_id
    assert member.get(reverse("members:detail", args=[own])).status_code == 200
    assert member.get(reverse("members:detail", args=[waiting[-1].pk])).status_code == 404


def test_usernames_by_organization_code_and_a_chosen_few(demo):
    secretary = demo.users["secretary"]
    some = list(member_accounts.without_account(demo.branch)[:2])
    issued = member_accounts.create_for_members(
        Actor(secretary, ""), demo.branch, [m.pk for m in some], "org"
    )
    assert [row.username for row in issued] == ["fgw-b01-001", "fgw-b01-002"]
    again = member_accounts.create_for_members(
        Actor(secretary, ""),
        demo.branch,
        [member_accounts.without_account(demo.branch)[0].pk],
        "org",
    )
    assert again[0].username == "fgw-b01-003"


@pytest.mark.parametrize("username", ["sysadmin", "inspector"])
def test_those_who_cannot_reveal_the_members_cannot_open_their_accounts(demo, username):
    start = last_seq()
    with pytest.raises(ServiceValidationError):
        member_accounts.create_for_members(Actor(demo.users[username], ""), demo.branch)
    assert last_seq() == start
    client = _login(username)
    response = client.post(reverse("accounts:member_account_create") + "?org=FGW-B01")
    assert response.status_code in {403, 404}
    assert member_accounts.without_account(demo.branch).count() > 3


def test_a_secretary_cannot_open_accounts_in_a_sibling_branch(demo):
    client = _login("secretary")
    response = client.post(reverse("accounts:member_account_create") + "?org=FGW-B02")
    assert response.status_code == 404


def test_an_existing_account_is_linked_to_a_member_and_follows_a_move(demo):
    from dangjian.members.services import move_member

    account = services.create_user(Actor.system("t"), "li.si", "Hongqi#2026x")
    member = demo.member_in_branch
    start = last_seq()
    client = _login("secretary")
    start = last_seq()

    client.post(
        reverse("accounts:member_account_link") + "?org=FGW-B01",
        {"member": member.pk, "username": "li.si"},
    )

    account.refresh_from_db()
    assert account.member_id == member.pk
    assert_audited(
        start, AuditAction.UPDATE, account, actor="secretary", changes={"member": [None, member.pk]}
    )
    move_member(Actor(demo.users["organ"], ""), member, demo.sibling_branch, reason="工作调动")
    fresh = User.objects.get(pk=account.pk)
    assert scope_for(fresh).own_member_id == member.pk
    assert Member.objects.get(pk=member.pk).organization == demo.sibling_branch
    assert not scope_for(fresh).paths.get(Action.READ)


def test_an_administrator_account_is_never_linked_to_a_member(demo):
    with pytest.raises(ServiceValidationError) as excinfo:
        member_accounts.link(
            Actor(demo.users["secretary"], ""), demo.users["auditor"], demo.member_in_branch
        )
    assert excinfo.value.errors == {"username": "管理员账号不能关联党员档案"}
