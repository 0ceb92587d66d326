"""Recruitment files of a branch that is dissolved (orgs.signals.organization_dissolved)."""

from __future__ import annotations

import datetime as dt

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, PendingEvent, diff, record_many
from dangjian.core.errors import ServiceValidationError
from dangjian.orgs.models import Organization, OrgKind
from dangjian.recruitment.models import Applicant
from dangjian.regulations.periods import cn_date


def move_for_dissolution(
    sender,
    *,
    organization: Organization,
    on: dt.date,
    actor: Actor,
    merged_into: Organization | None = None,
    **kwargs,
) -> int:
    """A file still open (an applicant, activist or candidate: a probationary member is a member,
    and a branch with members is not dissolved) follows its branch into the branch it merges
    into, audited; the steps recorded stay as they were. A branch dissolved without merging
    into another branch keeps its open files, so the dissolution is refused, saying how: files
    must not be stranded where nobody can record their next step."""
    files = list(
        Applicant.objects.select_for_update()
        .filter(organization=organization, closed_on__isnull=True)
        .order_by("pk")
    )
    if not files:
        return 0
    if merged_into is None or merged_into.kind != OrgKind.BRANCH:
        raise ServiceValidationError(
            {
                "recruitment": f"该组织还有{len(files)}份未办结的发展档案：请选择“合并到”一个"
                "党支部，档案随之转入该支部"
            }
        )
    why = f"{organization.name}合并撤销（自{cn_date(on)}起），发展档案转入{merged_into.name}"
    events = []
    for applicant in files:
        before = applicant.audit_fields()
        applicant.organization = merged_into
        events.append(
            PendingEvent.of(
                AuditAction.MOVE, applicant, diff(before, applicant.audit_fields()), why
            )
        )
    Applicant.objects.filter(pk__in=[a.pk for a in files]).update(organization=merged_into)
    record_many(actor, events)
    return len(files)
