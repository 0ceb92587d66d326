"""Which members a user may see and change: `accounts.access` decides (`members_q`,
`member_allows`); this module applies the decision to the members' table, which sits above
accounts."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from dangjian.accounts.access import Action, member_allows, members_q
from dangjian.members.models import Member


def visible_members(user, action: Action = Action.READ):
    return Member.objects.filter(members_q(user, action))


def get_member_for_user(user, pk, action: Action = Action.READ):
    """The member for this user: 404 outside the read scope, 403 when `action` is denied."""
    try:
        member = Member.objects.select_related("organization", "party_group").get(pk=pk)
    except (Member.DoesNotExist, ValueError):
        raise Http404("党员不存在") from None
    if not member_allows(user, member, Action.READ):
        raise Http404("党员不存在")
    if action != Action.READ and not member_allows(user, member, action):
        raise PermissionDenied("您对该党员没有此操作权限")
    return member
