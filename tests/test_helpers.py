"""The shared audit helpers fail when the event is not there (tests.helpers)."""

from __future__ import annotations

import pytest

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from tests.helpers import actions_since, assert_audited, events_since, last_seq


def test_assert_audited_finds_the_event_and_nothing_else(demo):
    seq = last_seq()
    branch = demo.branch
    actor = Actor(user=demo.users["organ"])
    record(actor, AuditAction.UPDATE, branch, changes={"name": ["旧", "新"]}, message="改名")

    event = assert_audited(
        seq,
        AuditAction.UPDATE,
        branch,
        actor="organ",
        message="改名",
        changes={"name": ["旧", "新"]},
    )
    assert event.seq == seq + 1 == last_seq()
    assert events_since(seq) == [event]
    assert actions_since(seq) == [AuditAction.UPDATE]
    for wrong in (
        {"action": AuditAction.CREATE},
        {"obj": demo.sibling_branch},
        {"actor": "secretary"},
        {"message": "其他"},
        {"changes": {"name": ["旧", "另一个"]}},
    ):
        with pytest.raises(AssertionError):
            assert_audited(seq, **{"action": AuditAction.UPDATE, "obj": branch, **wrong})

    record(actor, AuditAction.CREATE, demo.sibling_branch)
    with pytest.raises(AssertionError):
        assert_audited(seq, AuditAction.UPDATE, branch)  # no longer alone
    assert assert_audited(seq, AuditAction.UPDATE, branch, alone=False) == event
