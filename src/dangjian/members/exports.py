"""The member list as an .xlsx roster in the import template's layout (export → edit → import)."""

from __future__ import annotations

import io
from collections import Counter

from dangjian.members.roster.cells import PartialDate
from dangjian.members.roster.layout import write_roster
from dangjian.orgs.models import Organization, OrgKind


def _partial(value, precision: str):
    if value is None:
        return None
    return PartialDate(value, "month" if precision == "month" else "day")


def members_xlsx(members, *, unmasked: bool = False, title: str | None = None) -> tuple[bytes, int]:
    """Masked by default; only a caller allowed to reveal passes `unmasked` (and audits it)."""
    # Branch names repeat across departments (办公室党支部); such names are exported as the
    # organization code so that re-importing the file finds the same branch.
    names = Counter(Organization.objects.filter(kind=OrgKind.BRANCH).values_list("name", flat=True))

    def rows():
        for m in members.iterator(chunk_size=2000):
            org = m.organization
            yield {
                "name": m.name,
                "id_number": m.id_number if unmasked else m.id_number_masked,
                "gender": m.gender,
                "ethnicity": m.ethnicity,
                "education": m.education,
                "phone": m.phone if unmasked else m.phone_masked,
                "organization": org.code if names[org.name] > 1 else org.name,
                "party_group": m.party_group.name if m.party_group_id else "",
                "status": m.status,
                "category": m.category,
                "admitted_on": _partial(m.admitted_on, m.admitted_on_precision),
                "confirmed_on": _partial(m.confirmed_on, m.confirmed_on_precision),
                "job_title": m.job_title,
            }

    buffer = io.BytesIO()
    count = write_roster(rows(), buffer, title=title)
    return buffer.getvalue(), count
