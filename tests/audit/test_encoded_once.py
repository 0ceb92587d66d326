"""`record_many` encodes each event's changes once: the same JSON text is hashed and stored.

The hash covers the event body encoded with sorted keys (`_payload_of`); the batched path
splices the changes' text into that body (`_payload_around`) and hands the same text to the
insert (`core.bulk.EncodedJSON`), so the text must be exactly what `_payload_of` would give and
must be stored as JSON (an object), not as a JSON string holding the text.
"""

from __future__ import annotations

import pytest

from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import (
    _ENCODER,
    Actor,
    PendingEvent,
    _payload_around,
    _payload_of,
    record_many,
    verify_chain,
)
from tests.helpers import events_since, last_seq

TRICKY = [
    {},
    {"name": [None, "李四"], "organization": [None, 5]},
    {"job_title": ['科员 "甲"', "副处长\\二级"], "note": [None, "行\u2028分隔\u0007"]},
    {"z": [None, True], "a": [1.5, None], "中": [[1, "二"], {"k": "v"}]},
    {"emoji": [None, "党建😀𠀀"]},
]
BODY = {
    "seq": 12,
    "at": "2026-12-04T23:10:00.000000",
    "actor": "secretary",
    "ip": "10.0.0.7",
    "action": "update",
    "object_type": "members.member",
    "object_id": "7",
    "object_repr": "张三",
    "message": "花名册导入：名单.xlsx",
}


@pytest.mark.parametrize("changes", TRICKY)
def test_the_spliced_payload_is_the_payload_of_the_whole_body(changes):
    assert _payload_around(_ENCODER.encode(changes), **BODY) == _payload_of(changes=changes, **BODY)


@pytest.mark.django_db
def test_record_many_stores_the_changes_as_json_objects_that_verify():
    before = last_seq()
    events = [
        PendingEvent(AuditAction.UPDATE, "members.member", str(i), "张三", changes, "批量")
        for i, changes in enumerate(TRICKY)
    ]

    assert record_many(Actor.system("test"), events) == len(TRICKY)

    stored = events_since(before)
    assert [e.changes for e in stored] == TRICKY
    # Stored as an object (a key lookup finds it), not as a JSON string of the text.
    assert AuditEvent.objects.filter(seq__gt=before, changes__name__1="李四").count() == 1
    assert verify_chain().ok
