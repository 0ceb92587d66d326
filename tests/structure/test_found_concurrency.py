"""Two foundings at once (PostgreSQL, MariaDB): the one that waits for the other's commit is
refused with the code's message, not a database error; and a founding above whose code sorts
first (shifting the subtree below) waits for a founding in that subtree, so the tree stays
consistent (docs/organization-history.md: a founding locks its parent's line)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections, transaction

from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.orgs.models import Organization, OrgKind
from dangjian.orgs.services import create_organization

SYSTEM = Actor.system("test")
LONG_AGO = dt.date(2020, 1, 1)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="the in-memory, shared-cache SQLite test database answers 'table is locked' "
        "instead of waiting; the row locks are what is raced here (PostgreSQL, MariaDB)",
    ),
    pytest.mark.django_db(transaction=True),
]


def found(parent: Organization | None, code: str, kind: str, name: str = "") -> Organization:
    return create_organization(
        SYSTEM, parent, name=name or f"测试{code}", kind=kind, code=code, founded_on=LONG_AGO
    )


def race(first, second) -> list[object]:
    """`first` runs in a transaction held open for a second after it; `second` starts once
    `first` has written (so it cannot see it yet) and must wait for its commit."""
    written, outcomes = threading.Event(), [None, None]

    def hold() -> None:
        try:
            with transaction.atomic():
                outcomes[0] = first()
                written.set()
                time.sleep(1)
        finally:
            written.set()
            connections.close_all()

    def follow() -> None:
        written.wait(60)
        try:
            outcomes[1] = second()
        except ServiceValidationError as exc:
            outcomes[1] = exc.errors
        except Exception as exc:  # what the test must not see: a database error
            outcomes[1] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hold), threading.Thread(target=follow)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_a_code_taken_meanwhile_is_refused_with_its_message():
    root = found(None, "T-GW", OrgKind.WORKING_COMMITTEE)
    committee = found(root, "T-JGDW", OrgKind.ORGAN_COMMITTEE)
    first, second = race(
        lambda: found(committee, "T-B01", OrgKind.BRANCH, "测试甲支部"),
        lambda: found(
            Organization.objects.get(pk=committee.pk), "T-B01", OrgKind.BRANCH, "测试乙支部"
        ),
    )
    assert isinstance(first, Organization)
    assert second == {"code": "组织编码 T-B01 已被使用"}
    assert Organization.objects.filter(code="T-B01").count() == 1
    assert Organization.objects.get(pk=committee.pk).numchild == 1


def test_a_name_taken_meanwhile_under_the_same_parent_is_refused_with_its_message():
    root = found(None, "T-GW", OrgKind.WORKING_COMMITTEE)
    committee = found(root, "T-JGDW", OrgKind.ORGAN_COMMITTEE)
    first, second = race(
        lambda: found(committee, "T-B01", OrgKind.BRANCH, "测试同名支部"),
        lambda: found(
            Organization.objects.get(pk=committee.pk), "T-B02", OrgKind.BRANCH, "测试同名支部"
        ),
    )
    assert isinstance(first, Organization)
    assert second == {"name": "测试T-JGDW下已有“测试同名支部”"}
    assert Organization.objects.filter(name="测试同名支部").count() == 1


def test_a_founding_above_that_shifts_the_parents_subtree_waits_for_the_founding_below():
    """A branch founded under T-M (not yet committed); meanwhile T-A, whose code sorts first,
    is founded beside T-M, so treebeard moves T-M's subtree one place right. Had it not waited,
    its move would miss the uncommitted branch, left behind under T-A's new path."""
    root = found(None, "T-GW", OrgKind.WORKING_COMMITTEE)
    below = found(root, "T-M", OrgKind.ORGAN_COMMITTEE)
    first, second = race(
        lambda: found(below, "T-M-B01", OrgKind.BRANCH),
        lambda: found(Organization.objects.get(pk=root.pk), "T-A", OrgKind.ORGAN_COMMITTEE),
    )
    assert isinstance(first, Organization) and isinstance(second, Organization)
    parent = Organization.objects.get(code="T-M")
    branch = Organization.objects.get(code="T-M-B01")
    assert Organization.objects.get_parent(branch) == parent
    assert [o.code for o in Organization.objects.get_children(parent)] == ["T-M-B01"]
    assert list(Organization.objects.get_children(Organization.objects.get(code="T-A"))) == []
