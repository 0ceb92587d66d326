"""Reads for the records a self-assessment (自评) rests on: what the target organization may
link (its subtree's held meetings, work items and the files uploaded as their evidence, of the
scheme's year, through the same helpers a work item links evidence with) and what it has
linked, as labels and links for the explanation page and the report. Writes are in
`services_evidence`."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from dangjian.assessment.models import EvidenceKind, SelfEvidence, Target
from dangjian.duties import services as duties

CHOICES_SHOWN = 100  # per kind on the form, the most recent first


def candidates(target: Target, kind: str) -> QuerySet:
    """The records of `kind` the target may link: of its organization's subtree and the
    scheme's year. Anything else (another organization's, another year's) is out of scope."""
    org, year = target.organization, target.scheme.year
    if kind == EvidenceKind.MEETING:
        return duties.held_meetings_in(org).filter(held_on__year=year).order_by("-held_on", "-pk")
    if kind == EvidenceKind.WORK_ITEM:
        return (
            duties.items_in(org)
            .filter(Q(plan_year=year) | Q(deadline__year=year))
            .order_by("-deadline", "-pk")
        )
    if kind == EvidenceKind.DOCUMENT:
        return (
            duties.documents_in(org)
            .filter(Q(item__plan_year=year) | Q(item__deadline__year=year))
            .select_related("item")
            .order_by("-added_at", "-pk")
        )
    raise ValueError(kind)


def label(kind: str, record) -> str:
    if kind == EvidenceKind.MEETING:
        return (
            f"{record.held_on:%Y-%m-%d} {record.get_kind_display()}“{record.topic}”"
            f"（{record.organization.name}）"
        )
    if kind == EvidenceKind.WORK_ITEM:
        return (
            f"{record.title}（{record.organization.name}，截止{record.deadline:%Y-%m-%d}，"
            f"{record.get_status_display()}）"
        )
    return f"{record.original_name}（任务“{record.item.title}”的佐证材料）"


def link(kind: str, record) -> str:
    if kind == EvidenceKind.MEETING:
        return reverse("meetings:detail", args=[record.pk])
    if kind == EvidenceKind.WORK_ITEM:
        return reverse("duties:detail", args=[record.pk])
    return reverse("duties:evidence_file", args=[record.pk])


def _record(row: SelfEvidence):
    return {
        EvidenceKind.MEETING: row.meeting,
        EvidenceKind.WORK_ITEM: row.work_item,
        EvidenceKind.DOCUMENT: row.document,
    }[EvidenceKind(row.kind)]


def linked(target: Target) -> list[dict[str, Any]]:
    """The target's linked records, each with its kind, label, link and note (one query)."""
    rows = SelfEvidence.objects.filter(target=target).select_related(
        "meeting__organization", "work_item__organization", "document__item"
    )
    out = []
    for row in rows:
        record = _record(row)
        out.append(
            {
                "pk": row.pk,
                "kind": row.get_kind_display(),
                "label": label(row.kind, record),
                "link": link(row.kind, record),
                "note": row.note,
            }
        )
    return out


def choices(target: Target) -> list[tuple[str, str, list[tuple[int, str]]]]:
    """For the form: per kind, the most recent records not yet linked."""
    taken = set(
        SelfEvidence.objects.filter(target=target).values_list(
            "kind", "meeting_id", "work_item_id", "document_id"
        )
    )
    ids = {(k, m or w or d) for k, m, w, d in taken}
    out = []
    for kind in EvidenceKind:
        qs = candidates(target, kind)[:CHOICES_SHOWN]
        rows = [(r.pk, label(kind, r)) for r in qs if (kind.value, r.pk) not in ids]
        out.append((kind.value, kind.label, rows))
    return out
