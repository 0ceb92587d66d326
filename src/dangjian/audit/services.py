"""Writing audit events (every service calls `record`) and verifying the hash chain."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from json.encoder import encode_basestring as _string
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from dangjian.audit.models import AuditAction, AuditEvent, AuditHead
from dangjian.core.bulk import EncodedJSON, insert_rows
from dangjian.crypto import default_keyring

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where; views build it from the request, commands from the CLI."""

    user: Any = None
    ip: str = ""

    @classmethod
    def from_request(cls, request) -> Actor:
        ip = request.META.get("REMOTE_ADDR", "") or ""
        user = (
            request.user
            if getattr(request, "user", None) and request.user.is_authenticated
            else None
        )
        return cls(user=user, ip=ip)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user=None, ip=label)

    @property
    def username(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        return ""


_PLAIN = frozenset({str, int, bool, float, type(None)})


def jsonable(value: Any) -> Any:
    """Turn a field value into what JSON stores and reads back unchanged (so hashes match)."""
    if type(value) in _PLAIN:  # most values: nothing to turn (imports diff tens of thousands)
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    return value


def diff(before: dict | None, after: dict | None) -> dict:
    """Before and after of the fields that changed: {field: [before, after]}."""
    if not before:  # a creation: every field that has a value (the loop below, at once)
        after = jsonable(after or {})
        return {key: [None, after[key]] for key in sorted(after) if after[key] is not None}
    before = jsonable(before)
    after = jsonable(after or {})
    out = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            out[key] = [old, new]
    return out


def _payload(event: AuditEvent) -> bytes:
    return _payload_of(
        seq=event.seq,
        at=_hashed_time(event.at),
        actor=event.actor_username,
        ip=event.ip,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        object_repr=event.object_repr,
        changes=event.changes,
        message=event.message,
    )


def _hashed_time(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


# The encoding an event's hash covers: sorted keys, compact, UTF-8. One encoder for every
# event (`json.dumps` with options builds a new one per call).
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _payload_of(**body: Any) -> bytes:
    """The bytes an event's hash covers (the same for `record`, `record_many` and `verify`)."""
    return _ENCODER.encode(body).encode()


def _text(value: Any) -> str:
    """One value of the body as `_ENCODER` writes it (a string through the C escaper at once)."""
    return _string(value) if type(value) is str else _ENCODER.encode(value)


def _payload_around(changes_text: str, **body: Any) -> bytes:
    """`_payload_of(changes=..., **body)` for changes already encoded by `_ENCODER`: the
    changes are encoded once, for the hash and for the row (`record_many`).

    The body's keys are written in sorted order (action, actor, at, changes, ip, message,
    object_id, object_repr, object_type, seq), each value as `_ENCODER` writes it, without
    encoding a dict per event."""
    return _Bodies(body.pop("actor"), body.pop("at"), body.pop("ip")).payload(changes_text, **body)


class _Bodies:
    """The hashed bodies of one batch of events: actor, time and address are the batch's, so
    their part of the text is written once (per action)."""

    def __init__(self, actor: str, at: str, ip: str) -> None:
        self._middle = f'"actor":{_text(actor)},"at":{_text(at)},"changes":'
        self._ip = f',"ip":{_text(ip)},"message":'
        self._heads: dict[str, str] = {}

    def payload(
        self,
        changes_text: str,
        *,
        action: str,
        message: str,
        object_id: str,
        object_repr: str,
        object_type: str,
        seq: int,
    ) -> bytes:
        head = self._heads.get(action)
        if head is None:
            head = self._heads[action] = f'{{"action":{_text(action)},{self._middle}'
        # `seq` as the encoder writes an int (`int.__repr__`, which refuses anything else).
        return (
            f"{head}{changes_text}{self._ip}{_text(message)},"
            f'"object_id":{_text(object_id)},"object_repr":{_text(object_repr)},'
            f'"object_type":{_text(object_type)},"seq":{int.__repr__(seq)}}}'
        ).encode()


def _claim_seqs(count: int = 1) -> AuditHead:
    """Reserve `count` positions; the returned head's seq is the last of them."""
    # Updating the head row first takes the write lock on every engine (a row lock on PostgreSQL
    # and MariaDB, the database lock on SQLite), so concurrent appenders queue here.
    if AuditHead.objects.filter(pk=1).update(seq=F("seq") + count) == 0:
        try:
            with transaction.atomic():
                AuditHead.objects.create(pk=1, seq=count, last_hash=GENESIS)
        except IntegrityError:
            AuditHead.objects.filter(pk=1).update(seq=F("seq") + count)
    return AuditHead.objects.get(pk=1)


def record(
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    *,
    changes: dict | None = None,
    message: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    with transaction.atomic():
        head = _claim_seqs(1)
        # Microseconds are dropped so that every engine stores exactly what was hashed.
        now = timezone.now().replace(microsecond=0)
        event = AuditEvent(
            seq=head.seq,
            at=now,
            actor=actor.user,
            actor_username=actor.username,
            ip=actor.ip[:45],
            action=AuditAction(action),
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr,
            changes=jsonable(changes or {}),
            message=message[:500],
            prev_hash=head.last_hash,
        )
        event.hash = default_keyring().chain_hash(head.last_hash, _payload(event))
        event.save()
        AuditHead.objects.filter(pk=1).update(last_hash=event.hash)
    return event


@dataclass(frozen=True)
class PendingEvent:
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict  # JSON-safe already, as `diff` returns it
    message: str = ""

    @classmethod
    def of(
        cls,
        action: str,
        obj: models.Model,
        changes: dict,
        message: str = "",
        *,
        object_repr: str = "",
    ) -> PendingEvent:
        """The event of one saved object, named as `record` names it (its model's label, its
        key, its text unless `object_repr` is given)."""
        return cls(
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_repr=(object_repr or str(obj))[:200],
            changes=changes,
            message=message[:500],
        )


# The columns `record_many` writes, in the order of its rows.
_EVENT_COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "actor_username",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "message",
    "prev_hash",
    "hash",
)


def record_many(actor: Actor, pending: list[PendingEvent]) -> int:
    """Append many events at once (bulk imports): one head update, one multi-row insert.

    Each item is its own event in the chain, exactly as `record` would write it; the rows go in
    with one `executemany` (no model instances: this is the import's hot path).
    """
    if not pending:
        return 0
    keyring = default_keyring()
    actor_id = actor.user.pk if actor.user is not None else None
    username, ip = actor.username, actor.ip[:45]
    with transaction.atomic():
        head = _claim_seqs(len(pending))
        first_seq = head.seq - len(pending) + 1
        # The head's hash is the previous event's: appenders are serialized by the head lock.
        prev_hash = head.last_hash
        now = timezone.now().replace(microsecond=0)
        bodies = _Bodies(username, _hashed_time(now), ip)
        rows = []
        for seq, item in enumerate(pending, start=first_seq):
            action = AuditAction(item.action).value
            object_repr, message = item.object_repr[:200], item.message[:500]
            # Encoded once: the same text is hashed and stored (the column holds JSON that
            # reads back as the same value, which is what `verify_chain` hashes again).
            changes = EncodedJSON(_ENCODER.encode(item.changes))
            payload = bodies.payload(
                changes,
                action=action,
                message=message,
                object_id=item.object_id,
                object_repr=object_repr,
                object_type=item.object_type,
                seq=seq,
            )
            event_hash = keyring.chain_hash(prev_hash, payload)
            rows.append(
                (
                    seq,
                    now,
                    actor_id,
                    username,
                    ip,
                    action,
                    item.object_type,
                    item.object_id,
                    object_repr,
                    changes,
                    message,
                    prev_hash,
                    event_hash,
                )
            )
            prev_hash = event_hash
        insert_rows(AuditEvent, _EVENT_COLUMNS, rows)
        AuditHead.objects.filter(pk=1).update(last_hash=prev_hash)
    return len(rows)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str = ""


def verify_chain() -> ChainReport:
    """Recompute every hash in order; name the first event that does not fit."""
    from dangjian.core.keys import audit_keyring

    keyring = audit_keyring()  # knows the chain keys of events before a key rotation
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"事件 #{expected_seq} 缺失（被删除）")
        if event.prev_hash != prev_hash:
            return ChainReport(False, checked, event.seq, f"事件 #{event.seq} 的前序哈希不连续")
        if keyring.chain_hash(prev_hash, _payload(event), seq=event.seq) != event.hash:
            return ChainReport(False, checked, event.seq, f"事件 #{event.seq} 的内容已被篡改")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != checked or head.last_hash != prev_hash):
        return ChainReport(
            False,
            checked,
            checked + 1,
            f"链尾记录为 #{head.seq}，实际只有 {checked} 条（末尾事件被删除）",
        )
    return ChainReport(True, checked)
