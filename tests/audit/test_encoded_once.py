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


# The body's own text fields are written one by one (`_Bodies`), not by encoding a dict: each
# must come out as `_payload_of` writes it, awkward characters included.
AWKWARD_TEXT = ['李"四\\', "行\u2028分隔\u2029", "\u0001\u001f\u007f", "党建😀𠀀", "", "</script>"]


@pytest.mark.parametrize("text", AWKWARD_TEXT)
@pytest.mark.parametrize(
    "key", ["actor", "ip", "object_type", "object_id", "object_repr", "message"]
)
def test_each_body_text_is_written_as_the_whole_body_encoding_writes_it(key, text):
    body = {**BODY, key: text}
    changes = TRICKY[2]
    assert _payload_around(_ENCODER.encode(changes), **body) == _payload_of(changes=changes, **body)


@pytest.mark.django_db
def test_record_many_with_awkward_names_and_messages_verifies():
    before = last_seq()
    events = [
        PendingEvent(AuditAction.CREATE, "members.member", str(i), text, {"a": [None, 1]}, text)
        for i, text in enumerate(AWKWARD_TEXT)
    ]
    events.append(PendingEvent(AuditAction.UPDATE, "members.member", "99", "王五", {}, "改"))

    record_many(Actor(ip='10.0.0.1"\u2028'), events)

    stored = events_since(before)
    assert [e.object_repr for e in stored] == [*AWKWARD_TEXT, "王五"]
    assert [e.action for e in stored] == ["create"] * len(AWKWARD_TEXT) + ["update"]
    assert verify_chain().ok
