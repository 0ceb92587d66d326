"""Shared helpers of the transfer tests: the receiving branch's and a third branch's
secretaries, and a transfer from the demo branch FGW-B01 to its sibling FGW-B02."""

from __future__ import annotations

import datetime as dt

from dangjian.accounts.models import Role, User
from dangjian.accounts.services import assign_role, create_user
from dangjian.audit.services import Actor
from dangjian.transfers import services
from dangjian.transfers.models import Transfer
from tests.conftest import PASSWORD

D = dt.date
APPLIED, APPROVED, RECEIVED = D(2026, 11, 2), D(2026, 11, 5), D(2026, 11, 20)


def as_(user) -> Actor:
    return Actor(user=user, ip="127.0.0.1")


def secretary_of(org, username: str) -> User:
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing
    actor = Actor.system("test")
    user = create_user(actor, username, PASSWORD, display_name=f"{org.name}书记")
    assign_role(actor, user, Role.BRANCH_SECRETARY, org)
    return user


def receiver(demo) -> User:
    """The secretary of FGW-B02, the receiving branch."""
    return secretary_of(demo.sibling_branch, "receiver")


def outsider(demo) -> User:
    """The secretary of CZJ-B01, a branch of another department: no part in the transfer."""
    return secretary_of(demo.other_branch, "outsider")


def start(demo, member=None, *, applied_on=APPLIED, **kw) -> Transfer:
    kw.setdefault("kind", "within")
    if kw["kind"] == "within":
        kw.setdefault("to_organization", demo.sibling_branch)
    return services.start(
        as_(demo.users["secretary"]),
        member or demo.member_in_branch,
        reason=kw.pop("reason", "工作调动"),
        applied_on=applied_on,
        **kw,
    )


def approved(demo, member=None, *, on=APPROVED, **kw) -> Transfer:
    return services.approve(as_(demo.users["organ"]), start(demo, member, **kw), on)
