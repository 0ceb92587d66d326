"""The audit log in words an auditor reads: object kinds and field names in Chinese (from the
models' verbose names), choices by their labels, references by the object's name, yes/no, and
"（空）" for nothing. What the event stored is never changed; this only reads it.

The audit app sits below the domain apps, so it finds their models through the app registry
(`apps.get_model(object_type)`) rather than importing them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from dangjian.audit.models import AuditEvent

EMPTY = "（空）"
# Object types that are no model of their own.
OTHER_KINDS = {
    "request": "访问请求",
    "members.id_search": "按身份证号查找",
    "members.roster_import": "花名册导入",
    "audit.auditevent": "审计日志",
}


@cache
def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def kind_label(object_type: str) -> str:
    if object_type in OTHER_KINDS:
        return OTHER_KINDS[object_type]
    model = _model(object_type)
    if model is None:
        return object_type or "—"
    return str(model._meta.verbose_name)


def _field(object_type: str, name: str) -> models.Field | None:
    model = _model(object_type)
    if model is None:
        return None
    for candidate in (name, name.removesuffix("_id")):
        try:
            field = model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
        if isinstance(field, models.Field):
            return field
    return None


def field_label(object_type: str, name: str) -> str:
    field = _field(object_type, name)
    if (
        field is None
        or not field.verbose_name
        or field.verbose_name == field.name.replace("_", " ")
    ):
        return name
    return str(field.verbose_name)


def value_words(object_type: str, name: str, value: Any, names: dict | None = None) -> str:
    """One stored value in words: a choice's label, a referenced object's name, 是/否."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    field = _field(object_type, name)
    if field is not None and field.choices:
        labels = {str(k): str(v) for k, v in field.flatchoices}
        if isinstance(value, list):
            return "、".join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))
    if field is not None and field.is_relation and field.related_model is not None:
        related = field.related_model
        key = (related._meta.label_lower, str(value))
        if names is not None and key in names:
            return names[key]
        obj = related._default_manager.filter(pk=value).first()
        words = str(obj) if obj is not None else "（已不存在）"
        if names is not None:
            names[key] = words
        return words
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class ReadableEvent:
    event: AuditEvent
    kind: str
    changes: list[Change]

    def changes_text(self) -> str:
        return "；".join(f"{c.field}：{c.before} → {c.after}" for c in self.changes)


def readable(event: AuditEvent, names: dict | None = None) -> ReadableEvent:
    changes = []
    for key, pair in (event.changes or {}).items():
        before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        changes.append(
            Change(
                field_label(event.object_type, key),
                value_words(event.object_type, key, before, names),
                value_words(event.object_type, key, after, names),
            )
        )
    return ReadableEvent(event, kind_label(event.object_type), changes)


def readable_page(events) -> list[ReadableEvent]:
    names: dict = {}  # referenced objects looked up once per page
    return [readable(e, names) for e in events]


def kinds_in_log() -> list[tuple[str, str]]:
    """The object kinds the log holds, for the filter: (object_type, Chinese label)."""
    types = AuditEvent.objects.order_by().values_list("object_type", flat=True).distinct()
    return sorted(((t, kind_label(t)) for t in types if t), key=lambda pair: pair[1])
