"""Founding days (成立) of the demo's organizations, from their records.

The generators create the tree first and its members and posts after, so an organization's
founding spell is written (or moved back) once everything is in: it starts on the earliest day a
record places in it or below it (the first post, the first membership spell, which starts at
admission, the first meeting held) — the rule the migration `orgs/0002_organization_history`
applied to existing data (docs/organization-history.md), with the meetings the migration did not
read. The generators call it once the meetings are in too: the findings judge an organization
only from its founding (findings/as_was.py), so a generated meeting held before it would stand in
no finding. Synthetic data, written in bulk like the rest of the demo.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Min

from dangjian.meetings.models import Meeting, MeetingStatus
from dangjian.members.models import MembershipSpell
from dangjian.orgs.models import Organization, OrganizationSpell, OrgEvent, Post


def found_from_records(root: Organization, today: dt.date) -> int:
    """Give every organization of `root`'s subtree a founding spell starting on its earliest
    record (at the latest `today`); returns how many spells were written or moved back."""
    orgs = list(
        Organization.objects.filter(path__startswith=root.path).values_list("pk", "path", "kind")
    )
    first: dict[int, dt.date] = {pk: today for pk, _path, _kind in orgs}
    sub = {"organization__path__startswith": root.path}
    for model, field in (
        (Post, "started_on"),
        (MembershipSpell, "started_on"),
        (Meeting, "held_on"),
    ):
        rows = model.objects.filter(**sub).values("organization_id").annotate(day=Min(field))
        if model is Meeting:
            rows = rows.filter(status=MeetingStatus.HELD)
        for row in rows.order_by():
            pk = row["organization_id"]
            if row["day"] is not None:
                first[pk] = min(first[pk], row["day"])
    by_path = {path: pk for pk, path, _kind in orgs}
    for pk, path, _kind in sorted(orgs, key=lambda o: -len(o[1])):
        parent = by_path.get(path[: -Organization.steplen])
        if parent is not None:
            first[parent] = min(first[parent], first[pk])
    spells = {
        s.organization_id: s
        for s in OrganizationSpell.objects.filter(
            start_reason=OrgEvent.FOUNDED, organization__path__startswith=root.path
        )
    }
    new = [
        OrganizationSpell(
            organization_id=pk, kind=kind, started_on=first[pk], start_reason=OrgEvent.FOUNDED
        )
        for pk, _path, kind in orgs
        if pk not in spells
    ]
    OrganizationSpell.objects.bulk_create(new, batch_size=1000)
    moved = [s for pk, s in spells.items() if first[pk] < s.started_on]
    for s in moved:
        s.started_on = first[s.organization_id]
    OrganizationSpell.objects.bulk_update(moved, ["started_on"], batch_size=1000)
    return len(new) + len(moved)
