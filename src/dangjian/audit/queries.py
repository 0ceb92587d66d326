"""Reads of the audit log, for the auditor only."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from dangjian.audit.models import AuditAction, AuditEvent


def filtered_events(params) -> tuple[QuerySet[AuditEvent], dict]:
    qs = AuditEvent.objects.all().order_by("-seq")
    applied = {}
    actor = (params.get("actor") or "").strip()
    if actor:
        qs = qs.filter(actor_username=actor)
        applied["actor"] = actor
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
