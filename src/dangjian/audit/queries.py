"""Reads of the audit log, for the auditor only: filters by kind of event, kind of object,
person, organization and time.

The audit app sits below the domain apps: it reaches users, organizations and members through
the app registry (names, not imports) for the person and organization filters.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast, Collate

from dangjian.audit.models import AuditAction, AuditEvent


def _people(term: str) -> Q:
    """Events by, or about, the person: the actor's username or real name, or the object's name."""
    users = get_user_model().objects.filter(
        Q(username=term) | Q(first_name=term) | Q(last_name=term) | Q(member__name=term)
    )
    return (
        Q(actor_username=term) | Q(actor_id__in=users.values("pk")) | Q(object_repr__contains=term)
    )


def _organization(term: str) -> Q | None:
    """Events by someone of the organization (or below it) or about it or one of its members."""
    organization = apps.get_model("orgs", "Organization")
    member = apps.get_model("members", "Member")
    paths = list(
        organization.objects.filter(Q(name=term) | Q(code=term)).values_list("path", flat=True)
    )
    if not paths:
        return None
    under = Q()
    for path in paths:
        under |= Q(organization__path__startswith=path)
    subtree = organization.objects.filter(
        Q(*[Q(path__startswith=p) for p in paths], _connector=Q.OR)
    )
    members = member.objects.filter(under)
    users = get_user_model().objects.filter(
        Q(member__in=members.values("pk")) | Q(roles__organization__in=subtree.values("pk"))
    )
    return (
        Q(actor_id__in=users.values("pk"))
        | Q(
            object_type=organization._meta.label_lower,
            object_id__in=subtree.annotate(key=_as_object_id("pk")).values("key"),
        )
        | Q(
            object_type=member._meta.label_lower,
            object_id__in=members.annotate(key=_as_object_id("pk")).values("key"),
        )
    )


def _as_object_id(field: str):
    """A primary key as the text `AuditEvent.object_id` holds, comparable on every engine (MariaDB
    needs the column's collation: a cast takes the connection's, and '=' refuses the mix)."""
    as_text = Cast(field, CharField(max_length=40))
    if connection.vendor == "mysql":
        return Collate(as_text, _object_id_collation())
    return as_text


@cache
def _object_id_collation() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
            " AND TABLE_NAME = %s AND COLUMN_NAME = 'object_id'",
            [AuditEvent._meta.db_table],
        )
        return cursor.fetchone()[0]


def filtered_events(params) -> tuple[QuerySet[AuditEvent], dict]:
    qs = AuditEvent.objects.all().order_by("-seq")
    applied = {}
    actor = (params.get("actor") or "").strip()
    if actor:
        qs = qs.filter(actor_username=actor)
        applied["actor"] = actor
    person = (params.get("person") or "").strip()[:100]
    if person:
        qs = qs.filter(_people(person))
        applied["person"] = person
    organization = (params.get("org") or "").strip()[:100]
    if organization:
        where = _organization(organization)
        qs = qs.filter(where) if where is not None else qs.none()
        applied["org"] = organization
    action = params.get("action") or ""
    if action in AuditAction.values:
        qs = qs.filter(action=action)
        applied["action"] = action
    object_type = (params.get("object_type") or "").strip()
    if object_type:
        qs = qs.filter(object_type=object_type)
        applied["object_type"] = object_type
    for key, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
        raw = (params.get(key) or "").strip()
        if raw:
            try:
                qs = qs.filter(**{lookup: dt.date.fromisoformat(raw)})
                applied[key] = raw
            except ValueError:
                pass
    return qs, applied
