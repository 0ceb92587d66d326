"""Helpers shared by the tests of every app: what the audit log gained since a point.

seq = last_seq()
services.do_something(...)
event = assert_audited(seq, AuditAction.UPDATE, item, changes={"status": ["open", "done"]})

A refused request also appends an event ("denied", `audit.denials`); these helpers leave such
events out unless asked (`denials=True`), so "a refusal changes nothing" reads as before.
"""

from __future__ import annotations

from typing import Any

from dangjian.audit.models import AuditEvent


def last_seq() -> int:
    """The chain position of the newest audit event other than a refused request (0 before the
    first): `last_seq() == before` still says "nothing was written" after a refusal."""
    event = AuditEvent.objects.exclude(action="denied").order_by("-seq").only("seq").first()
    return event.seq if event else 0


def events_since(seq: int, *, denials: bool = False) -> list[AuditEvent]:
    """The audit events appended after `seq`, oldest first (refused requests only if asked)."""
    events = AuditEvent.objects.filter(seq__gt=seq).order_by("seq")
    if not denials:
        events = events.exclude(action="denied")
    return list(events)


def actions_since(seq: int, *, denials: bool = False) -> list[str]:
    """The actions of the audit events appended after `seq`, oldest first."""
    return [e.action for e in events_since(seq, denials=denials)]


def assert_audited(
    since: int,
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    message: str | None = None,
    changes: dict | None = None,
    alone: bool = True,
) -> AuditEvent:
    """The audit event appended after `since` with `action` on `obj` (a model instance) or on
    `object_type`/`object_id`, and, when given, this actor's username, message and changes
    (each key given must be in the event's changes with that [before, after]).

    With `alone` (the default) it must be the only event appended since; otherwise exactly one
    of the new events must match. Returns the event for further checks.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    wanted = {
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "actor_username": actor,
        "message": message,
    }
    wanted = {key: value for key, value in wanted.items() if value is not None}

    def matches(event: AuditEvent) -> bool:
        if any(getattr(event, key) != value for key, value in wanted.items()):
            return False
        return all(event.changes.get(key) == value for key, value in (changes or {}).items())

    events = events_since(since)
    found = [event for event in events if matches(event)]
    shown = [(e.action, e.object_type, e.object_id, e.actor_username, e.message) for e in events]
    if alone:
        assert len(events) == 1 and found, f"expected one event {wanted} {changes or ''}: {shown}"
    else:
        assert len(found) == 1, f"expected one event {wanted} {changes or ''} among {shown}"
    return found[0]
